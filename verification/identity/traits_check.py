"""The traits check: the document's confirmed traits against the traits the person declared at enrollment
and the INS traits the relying party retrieved, field by field, the RNIV way (verification.identity.traits).

- A declared trait that differs, minor or major, fails the check (`declared_traits_mismatch:<field>`): the
  person is not who they said, or mistyped; the policy says whether a human reviews it or it is rejected
  (verification.decision.rules).
- An INS trait that differs does not fail it, nor is it a reason: RNIV has the document identity
  transmitted with the INS not confirmed (verification.identity.rniv); the comparison is in the details,
  for the reviewer, and its discrepancies in the assertion.
- A trait the document did not confirm is not compared: the document check reports it unconfirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from verification.common.outcome import CheckStatus
from verification.identity.model import IdentityTraits, KnownTraits
from verification.identity.traits import DEFAULT_RULES, DiscrepancyRules, TraitsComparison, compare_traits


class TraitsReason(StrEnum):
    DECLARED_MISMATCH = "declared_traits_mismatch"  # reported as "declared_traits_mismatch:<field>"


@dataclass(frozen=True)
class TraitsCheckResult:
    status: CheckStatus
    reasons: tuple[str, ...]
    declared: TraitsComparison | None  # None when no traits were declared
    ins: TraitsComparison | None  # None when the relying party gave no INS traits
    score: float | None = None  # a comparison has no score: the severities say it

    def to_dict(self) -> dict[str, Any]:
        return {"declared": None if self.declared is None else self.declared.to_dict(),
                "ins": None if self.ins is None else self.ins.to_dict()}


def check_traits(document: KnownTraits, declared: IdentityTraits | None, ins: IdentityTraits | None,
                 rules: DiscrepancyRules = DEFAULT_RULES) -> TraitsCheckResult:
    declared_comparison = None if declared is None else compare_traits(document, declared, rules)
    ins_comparison = None if ins is None else compare_traits(document, ins, rules)
    mismatched = () if declared_comparison is None else tuple(
        f"{TraitsReason.DECLARED_MISMATCH}:{d.field}" for d in declared_comparison.discrepancies)
    return TraitsCheckResult(CheckStatus.FAIL if mismatched else CheckStatus.PASS, mismatched, declared_comparison,
                             ins_comparison)
