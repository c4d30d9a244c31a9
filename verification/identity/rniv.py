"""The identity-vigilance status this service transmits with a verified identity (RNIV, see RNIV.md).

A remote identity verification at eIDAS level substantial (PVID) on a passport, national identity card
or residence permit validates an identity: the transmitted status is `VALI`.

INS: the relying party may give us the traits it got from the INSi teleservice when it creates the
enrollment. We compare them with the document's strict traits:
- all equal (hyphens, apostrophes and spaces ignored): `ins_traits_confirmed` is true, and the relying
  party, which holds the INS, may qualify the identity (`QUAL`);
- any difference: only the document identity is transmitted, status `VALI`, with the discrepancies
  listed field by field.

We never receive, store or transmit the INS number or its OID: the status `QUAL` carries the INS and only
the relying party has it, so the upgrade to `QUAL` is the relying party's decision (see
verification.relying_party.integration). Keeping the INS out of our evidence is also data minimisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from verification.identity.model import IdentityTraits
from verification.identity.traits import DEFAULT_RULES, DiscrepancyRules, FieldComparison, Severity, compare_traits


class IdentityStatus(StrEnum):
    """The four RNIV confidence statuses of an identity, mutually exclusive."""

    PROV = "PROV"  # provisional: neither checked on a high-trust document nor retrieved from INSi
    RECUP = "RECUP"  # retrieved from the national INS databases, not checked on a document
    VALI = "VALI"  # checked on a high-trust identity document (in person or eIDAS substantial)
    QUAL = "QUAL"  # validated and INS retrieved: the only status that carries the INS

    @property
    def ins_retrieved(self) -> bool:
        return self in (IdentityStatus.RECUP, IdentityStatus.QUAL)

    @property
    def document_checked(self) -> bool:
        return self in (IdentityStatus.VALI, IdentityStatus.QUAL)


@dataclass(frozen=True)
class IdentityVigilance:
    status: IdentityStatus
    ins_traits_confirmed: bool
    discrepancies: tuple[FieldComparison, ...]  # document vs INS traits; empty when none were given
    transmitted: IdentityTraits  # always the document's traits

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "ins_traits_confirmed": self.ins_traits_confirmed,
            "discrepancies": [d.to_dict() for d in self.discrepancies],
            "traits": self.transmitted.to_dict(),
        }


def assess_vigilance(
    document_traits: IdentityTraits,
    ins_traits: IdentityTraits | None,
    rules: DiscrepancyRules = DEFAULT_RULES,
) -> IdentityVigilance:
    """The status to transmit for an identity verified on a high-trust document (see module docstring).

    Every accepted `DocumentType` is a high-trust document in the RNIV sense, so a verified identity is
    always `VALI`; confirmation of INS traits needs strict equality, a minor difference is not enough.
    """
    if ins_traits is None:
        return IdentityVigilance(IdentityStatus.VALI, False, (), document_traits)
    comparison = compare_traits(document_traits, ins_traits, rules)
    return IdentityVigilance(
        status=IdentityStatus.VALI,
        ins_traits_confirmed=comparison.overall is Severity.EQUAL,
        discrepancies=comparison.discrepancies,
        transmitted=document_traits,
    )
