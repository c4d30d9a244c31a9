"""The relying party's side: what a procedure tool does with an identity transmitted online (RNIV.md).

A small library for the tool (appointment, pre-admission, kiosk) that receives our assertion, or an
identity from another online channel, and must update its identity repository. The ANS practice sheet's
five-case table is data (`RNIV_TABLE`), keyed by how the identity arrived and the local record's status;
the "always" rules are applied around it by `integrate_transmitted`:
- an existing record is changed only without a major discrepancy; a major one sends the case to manual
  handling (the facility decides, never the tool);
- a QUAL identity is never downgraded, and no status loses a property it had (INS retrieved, document
  checked);
- traits are updated only where the table says so and they differ.

Our assertion is case 3 (remote verification, VALI). It is case 5 when the INS traits the procedure tool
gave at enrollment were confirmed on the document *and* the tool holds that INS (`ins_held`): only then
may the identity become QUAL. An assertion whose document did not confirm every strict trait is
transmitted PROV: outside the sheet's five cases, it creates a provisional identity and changes nothing
that exists (`REMOTE_UNVALIDATED`), the desk validating it. Matching a transmitted identity to a local
record (strict traits plus a complementary trait, never merging two people) is the caller's job: `local`
is its result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from verification.identity.assertion import RNIV_CLAIM
from verification.identity.model import IdentityTraits
from verification.identity.rniv import IdentityStatus
from verification.identity.traits import DEFAULT_RULES, DiscrepancyRules, Severity, TraitsComparison, compare_traits


class IdentitySource(StrEnum):
    """How the user identified online: the five rows of the RNIV table."""

    FRANCECONNECT = "franceconnect"  # 1: PROV, traits conform to the national bases
    INS_RETRIEVED = "ins_retrieved"  # 2: RECUP, without INS number or OID
    REMOTE_VERIFICATION = "remote_verification"  # 3: PVID at eIDAS substantial, VALI
    FRANCECONNECT_PLUS = "franceconnect_plus"  # 4: VALI, traits conform to the national bases
    SUBSTANTIAL_WITH_INS = "substantial_with_ins"  # 5: substantial identification + INS, QUAL
    REMOTE_UNVALIDATED = "remote_unvalidated"  # our PROV: a strict trait the document did not confirm


class ActionKind(StrEnum):
    CREATE = "create"
    FOUND_AS_IS = "found_as_is"
    UPDATE_TRAITS = "update_traits"
    UPGRADE_STATUS = "upgrade_status"
    UPDATE_AND_UPGRADE = "update_and_upgrade"
    MANUAL_REVIEW = "manual_review"


@dataclass(frozen=True)
class Cell:
    """One cell of the table: the status to reach (None: keep) and whether traits follow the transmitted ones."""

    status: IdentityStatus | None
    update_traits: bool = False


_P, _R, _V, _Q = IdentityStatus.PROV, IdentityStatus.RECUP, IdentityStatus.VALI, IdentityStatus.QUAL
_KEEP = Cell(None)

# (source, local status or None when not found) -> cell; the ANS sheet's table, column by column.
RNIV_TABLE: Mapping[tuple[IdentitySource, IdentityStatus | None], Cell] = {
    # 1. FranceConnect: found at once; PROV/VALI: traits updated to the reference ones; else PROV created.
    (IdentitySource.FRANCECONNECT, _Q): _KEEP,
    (IdentitySource.FRANCECONNECT, _R): _KEEP,
    (IdentitySource.FRANCECONNECT, _V): Cell(None, update_traits=True),
    (IdentitySource.FRANCECONNECT, _P): Cell(None, update_traits=True),
    (IdentitySource.FRANCECONNECT, None): Cell(_P),
    # 2. INS retrieved, transmitted RECUP without the INS: same handling, nothing is upgraded.
    (IdentitySource.INS_RETRIEVED, _Q): _KEEP,
    (IdentitySource.INS_RETRIEVED, _R): _KEEP,
    (IdentitySource.INS_RETRIEVED, _V): Cell(None, update_traits=True),
    (IdentitySource.INS_RETRIEVED, _P): Cell(None, update_traits=True),
    (IdentitySource.INS_RETRIEVED, None): Cell(_P),
    # 3. Remote identity verification (our assertion): RECUP -> QUAL, PROV -> traits updated and VALI.
    (IdentitySource.REMOTE_VERIFICATION, _Q): _KEEP,
    (IdentitySource.REMOTE_VERIFICATION, _R): Cell(_Q),
    (IdentitySource.REMOTE_VERIFICATION, _V): _KEEP,
    (IdentitySource.REMOTE_VERIFICATION, _P): Cell(_V, update_traits=True),
    (IdentitySource.REMOTE_VERIFICATION, None): Cell(_V),
    # 4. FranceConnect+: RECUP -> QUAL, PROV -> VALI. The sheet says "upgrade" only; we also align
    # the traits on the reference ones, since a validated identity must carry checked traits.
    (IdentitySource.FRANCECONNECT_PLUS, _Q): _KEEP,
    (IdentitySource.FRANCECONNECT_PLUS, _R): Cell(_Q),
    (IdentitySource.FRANCECONNECT_PLUS, _V): _KEEP,
    (IdentitySource.FRANCECONNECT_PLUS, _P): Cell(_V, update_traits=True),
    (IdentitySource.FRANCECONNECT_PLUS, None): Cell(_V),
    # 5. Substantial identification + INS: PROV, VALI or RECUP -> QUAL with the INS traits.
    (IdentitySource.SUBSTANTIAL_WITH_INS, _Q): _KEEP,
    (IdentitySource.SUBSTANTIAL_WITH_INS, _R): Cell(_Q, update_traits=True),
    (IdentitySource.SUBSTANTIAL_WITH_INS, _V): Cell(_Q, update_traits=True),
    (IdentitySource.SUBSTANTIAL_WITH_INS, _P): Cell(_Q, update_traits=True),
    (IdentitySource.SUBSTANTIAL_WITH_INS, None): Cell(_Q),
    # Not in the sheet: our PROV (remote verification that left a strict trait unconfirmed) upgrades nothing.
    (IdentitySource.REMOTE_UNVALIDATED, _Q): _KEEP,
    (IdentitySource.REMOTE_UNVALIDATED, _R): _KEEP,
    (IdentitySource.REMOTE_UNVALIDATED, _V): _KEEP,
    (IdentitySource.REMOTE_UNVALIDATED, _P): _KEEP,
    (IdentitySource.REMOTE_UNVALIDATED, None): Cell(_P),
}


@dataclass(frozen=True)
class LocalIdentity:
    """The procedure tool's record matched to the transmitted identity."""

    traits: IdentityTraits
    status: IdentityStatus


@dataclass(frozen=True)
class IntegrationAction:
    kind: ActionKind
    source: IdentitySource
    status: IdentityStatus  # the record's status after the action (unchanged for manual review)
    traits: IdentityTraits  # the record's traits after the action (the local ones for manual review)
    comparison: TraitsComparison | None  # transmitted vs local traits; None when nothing was found

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "source": self.source.value,
            "status": self.status.value,
            "traits": self.traits.to_dict(),
            "comparison": self.comparison.to_dict() if self.comparison else None,
        }


def _keeps_properties(target: IdentityStatus, local: IdentityStatus) -> bool:
    return (target.ins_retrieved or not local.ins_retrieved) and (target.document_checked or not local.document_checked)


def integrate_transmitted(
    source: IdentitySource,
    traits: IdentityTraits,
    local: LocalIdentity | None,
    rules: DiscrepancyRules = DEFAULT_RULES,
    table: Mapping[tuple[IdentitySource, IdentityStatus | None], Cell] = RNIV_TABLE,
) -> IntegrationAction:
    """Apply the table and the "always" rules to a transmitted identity (see the module docstring).

    `table` lets a facility adapt cells; the "always" rules hold whatever it says.
    """
    cell = table[(source, local.status if local else None)]
    if local is None:
        if cell.status is None:
            raise ValueError(f"the table has no status to create for {source.value}")
        return IntegrationAction(ActionKind.CREATE, source, cell.status, traits, None)
    comparison = compare_traits(traits, local.traits, rules)
    if comparison.overall is Severity.MAJOR:
        return IntegrationAction(ActionKind.MANUAL_REVIEW, source, local.status, local.traits, comparison)
    status = cell.status or local.status
    if not _keeps_properties(status, local.status):  # never downgrade, whatever the table says
        status = local.status
    update = cell.update_traits and comparison.overall is not Severity.EQUAL
    upgrade = status is not local.status
    kind = {
        (False, False): ActionKind.FOUND_AS_IS,
        (True, False): ActionKind.UPDATE_TRAITS,
        (False, True): ActionKind.UPGRADE_STATUS,
        (True, True): ActionKind.UPDATE_AND_UPGRADE,
    }[(update, upgrade)]
    return IntegrationAction(kind, source, status, traits if update else local.traits, comparison)


def integrate(
    assertion_claims: dict[str, Any],
    local: LocalIdentity | None,
    rules: DiscrepancyRules = DEFAULT_RULES,
    *,
    ins_held: bool = False,
) -> IntegrationAction:
    """Integrate one of our assertions, already verified (signature, audience, expiry).

    `ins_held`: the procedure tool holds the INS whose traits it gave at enrollment. With confirmed INS
    traits this makes the case 5 (QUAL); otherwise it is case 3 (VALI).
    """
    rniv = assertion_claims[RNIV_CLAIM]
    if rniv["status"] not in (IdentityStatus.VALI, IdentityStatus.PROV):
        raise ValueError(f"unexpected transmitted status {rniv['status']!r}: we transmit VALI or PROV")
    traits = IdentityTraits.from_dict(rniv["traits"])
    if rniv["status"] == IdentityStatus.PROV:
        source = IdentitySource.REMOTE_UNVALIDATED
    elif rniv["ins_traits_confirmed"] and ins_held:
        source = IdentitySource.SUBSTANTIAL_WITH_INS
    else:
        source = IdentitySource.REMOTE_VERIFICATION
    return integrate_transmitted(source, traits, local, rules)

