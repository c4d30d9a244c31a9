"""The identity-vigilance status this service transmits with a verified identity (RNIV, see RNIV.md).

A remote identity verification at eIDAS level substantial (PVID) on a passport, national identity card
or residence permit validates an identity: the transmitted status is `VALI` — when the document confirmed
every strict trait. An identity a strict trait of which the document did not confirm (in practice the
birth place code, which the MRZ does not carry) was not checked on a high-trust document as a whole: it is
transmitted `PROV`, with the traits it lacks, and the facility validates it at the desk.

Declared traits (what the person typed at enrollment) are compared the same way; their discrepancies
travel with the INS ones, each marked with the traits it was found against (the decision acts on the
declared ones: verification.decision.rules).

INS: the relying party may give us the traits it got from the INSi teleservice when it creates the
enrollment. We compare them with the document's strict traits:
- all equal (hyphens, apostrophes and spaces ignored), every strict trait compared, on a `VALI` identity:
  `ins_traits_confirmed` is true, and the relying party, which holds the INS, may qualify it (`QUAL`);
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
from verification.identity.traits import (
    DEFAULT_RULES,
    DiscrepancyRules,
    FieldComparison,
    Severity,
    TraitField,
    compare_traits,
)


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


class ComparedTraits(StrEnum):
    """The traits the document's were compared with."""

    DECLARED = "declared"  # typed by the person at enrollment
    INS = "ins"  # retrieved by the relying party from the INSi teleservice


def _discrepancies(against: ComparedTraits, comparisons: tuple[FieldComparison, ...]) -> list[dict[str, Any]]:
    return [{"traits": against.value, **d.to_dict()} for d in comparisons]


@dataclass(frozen=True)
class IdentityVigilance:
    status: IdentityStatus
    ins_traits_confirmed: bool
    discrepancies: tuple[FieldComparison, ...]  # document vs INS traits; empty when none were given
    transmitted: IdentityTraits  # always the document's confirmed traits
    declared_discrepancies: tuple[FieldComparison, ...] = ()  # document vs declared traits

    @property
    def unconfirmed_traits(self) -> tuple[str, ...]:
        """The strict traits the document did not confirm (why the identity is not VALI): an identity leaves
        only with its names, birth date and sex (verification.identity.from_document), so at most this one."""
        return () if self.transmitted.birth_place_code else (TraitField.BIRTH_PLACE_CODE.value,)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "ins_traits_confirmed": self.ins_traits_confirmed,
            "discrepancies": _discrepancies(ComparedTraits.INS, self.discrepancies)
            + _discrepancies(ComparedTraits.DECLARED, self.declared_discrepancies),
            "unconfirmed_traits": list(self.unconfirmed_traits),
            "traits": self.transmitted.to_dict(),
        }


def assess_vigilance(
    document_traits: IdentityTraits,
    ins_traits: IdentityTraits | None,
    rules: DiscrepancyRules = DEFAULT_RULES,
    declared_traits: IdentityTraits | None = None,
) -> IdentityVigilance:
    """The status to transmit for an identity verified on a high-trust document (see module docstring).

    Every accepted `DocumentType` is a high-trust document in the RNIV sense: `VALI` when the document
    confirmed every strict trait, `PROV` otherwise. Confirmation of INS traits needs strict equality on
    every strict trait of a validated identity: a minor difference is not enough, nor a trait left out.
    """
    status = IdentityStatus.VALI if document_traits.birth_place_code else IdentityStatus.PROV
    declared = () if declared_traits is None else compare_traits(document_traits, declared_traits, rules).discrepancies
    if ins_traits is None:
        return IdentityVigilance(status, False, (), document_traits, declared)
    comparison = compare_traits(document_traits, ins_traits, rules)
    every_trait = comparison.field(TraitField.BIRTH_PLACE_CODE) is not None
    return IdentityVigilance(
        status=status,
        ins_traits_confirmed=status is IdentityStatus.VALI and every_trait and comparison.overall is Severity.EQUAL,
        discrepancies=comparison.discrepancies,
        transmitted=document_traits,
        declared_discrepancies=declared,
    )
