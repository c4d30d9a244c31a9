from __future__ import annotations

from datetime import date

from tests.verification import make_traits
from verification.identity.rniv import IdentityStatus, assess_vigilance


def test_without_ins_traits_the_identity_is_validated() -> None:
    document = make_traits()
    vigilance = assess_vigilance(document, None)
    assert vigilance.status is IdentityStatus.VALI
    assert not vigilance.ins_traits_confirmed
    assert vigilance.discrepancies == ()
    assert vigilance.transmitted == document


def test_matching_ins_traits_ignoring_hyphens_and_apostrophes_are_confirmed() -> None:
    document = make_traits(birth_name="D ARTAGNAN", given_names=("MAELIS", "GAELLE", "ANNE"))
    ins = make_traits(birth_name="D'ARTAGNAN", given_names=("MAELIS-GAELLE", "ANNE"))
    vigilance = assess_vigilance(document, ins)
    assert vigilance.status is IdentityStatus.VALI
    assert vigilance.ins_traits_confirmed
    assert vigilance.discrepancies == ()


def test_differing_ins_traits_transmit_the_document_identity_with_discrepancies() -> None:
    document = make_traits()
    ins = make_traits(birth_name="Dupont-Lagrade", birth_date=date(1990, 4, 21))
    vigilance = assess_vigilance(document, ins)
    assert vigilance.status is IdentityStatus.VALI
    assert not vigilance.ins_traits_confirmed
    assert vigilance.transmitted == document
    assert {(d.field.value, d.severity.value) for d in vigilance.discrepancies} == {
        ("birth_name", "minor"),
        ("birth_date", "major"),
    }
    dumped = vigilance.to_dict()
    assert dumped["traits"]["birth_name"] == "Dupont-Lagarde"
    assert dumped["discrepancies"][0]["other_value"] == "DUPONTLAGRADE"


def test_a_minor_difference_is_not_a_confirmation() -> None:
    vigilance = assess_vigilance(make_traits(), make_traits(given_names=("Maëlis-Gaëlle",)))
    assert not vigilance.ins_traits_confirmed
    assert [d.field.value for d in vigilance.discrepancies] == ["given_names"]


def test_status_properties() -> None:
    assert [s.value for s in IdentityStatus if s.ins_retrieved] == ["RECUP", "QUAL"]
    assert [s.value for s in IdentityStatus if s.document_checked] == ["VALI", "QUAL"]
