from __future__ import annotations

from datetime import date

import pytest

from tests.verification import make_traits
from verification.identity.model import DocumentFacts, DocumentType, IdentityTraits, Sex
from verification.identity.traits import (
    DEFAULT_RULES,
    DiscrepancyRules,
    Severity,
    TraitField,
    compare_traits,
    comparison_form,
    display_form,
    display_traits,
    same_birth_place,
    typo_distance,
)


@pytest.mark.parametrize(
    ("raw", "display", "comparison"),
    [
        ("Maëlis-Gaëlle", "MAËLIS-GAËLLE", "MAELISGAELLE"),
        ("O'Neil", "O'NEIL", "ONEIL"),
        ("d’Artagnan", "D'ARTAGNAN", "DARTAGNAN"),
        ("D ARTAGNAN", "D ARTAGNAN", "DARTAGNAN"),
        ("  Lætitia   Cœur ", "LÆTITIA CŒUR", "LAETITIACOEUR"),
        ("Strauß", "STRAUSS", "STRAUSS"),
        ("Çelik-Øster", "ÇELIK-ØSTER", "CELIKOESTER"),  # ICAO 9303 spells Ø out as OE
        ("José", "JOSÉ", "JOSE"),
        ("Jean‑Luc d’Ornano", "JEAN-LUC D'ORNANO", "JEANLUCDORNANO"),
    ],
)
def test_normalisation(raw: str, display: str, comparison: str) -> None:
    assert display_form(raw) == display
    assert comparison_form(raw) == comparison


def test_display_traits_normalises_names_and_place_only() -> None:
    shown = display_traits(make_traits(birth_place="Saint-Étienne"))
    assert (shown.birth_name, shown.given_names, shown.birth_place) == (
        "DUPONT-LAGARDE",
        ("MAËLIS-GAËLLE", "ANNE"),
        "SAINT-ÉTIENNE",
    )
    assert shown.birth_date == date(1990, 4, 12) and shown.birth_place_code == "69123"


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("MARTIN", "MARTIN", 0), ("MARTIN", "MARTAN", 1), ("MARTIN", "MRATIN", 1), ("MARTIN", "MARTINE", 1),
     ("MARTIN", "MORTAN", 2), ("", "ABC", 3)],
)
def test_typo_distance(a: str, b: str, distance: int) -> None:
    assert typo_distance(a, b) == distance
    assert typo_distance(b, a) == distance


def _severities(
    document: IdentityTraits, other: IdentityTraits, rules: DiscrepancyRules = DEFAULT_RULES
) -> dict[str, str]:
    comparison = compare_traits(document, other, rules)
    return {f.field.value: f.severity.value for f in comparison.fields}


def test_equal_ignoring_case_accents_hyphens_apostrophes() -> None:
    document = make_traits(birth_name="DUPONT LAGARDE", given_names=("MAELIS GAELLE", "ANNE"))
    other = make_traits(birth_name="Dupont-Lagarde", given_names=("Maëlis-Gaëlle", "Anne"))
    comparison = compare_traits(document, other)
    assert comparison.overall is Severity.EQUAL
    assert comparison.discrepancies == ()
    assert comparison.field(TraitField.BIRTH_NAME).document_value == "DUPONTLAGARDE"


def test_one_typo_on_a_long_name_is_minor() -> None:
    comparison = compare_traits(make_traits(), make_traits(birth_name="Dupont-Lagrade"))
    assert comparison.field(TraitField.BIRTH_NAME).severity is Severity.MINOR
    assert comparison.overall is Severity.MINOR


def test_one_typo_on_a_short_name_is_major() -> None:
    comparison = compare_traits(make_traits(birth_name="Roux"), make_traits(birth_name="Ruox"))
    assert comparison.field(TraitField.BIRTH_NAME).severity is Severity.MAJOR


def test_two_typos_are_major() -> None:
    comparison = compare_traits(make_traits(), make_traits(birth_name="Dupond-Lagrade"))
    assert comparison.overall is Severity.MAJOR


def test_later_given_names_missing_or_different_is_minor() -> None:
    missing = compare_traits(make_traits(), make_traits(given_names=("Maëlis-Gaëlle",)))
    different = compare_traits(make_traits(), make_traits(given_names=("Maëlis-Gaëlle", "Louise")))
    for comparison in (missing, different):
        assert comparison.field(TraitField.FIRST_GIVEN_NAME).severity is Severity.EQUAL
        assert comparison.field(TraitField.GIVEN_NAMES).severity is Severity.MINOR
        assert comparison.overall is Severity.MINOR


def test_different_first_given_name_is_major_on_both_given_name_fields() -> None:
    severities = _severities(make_traits(), make_traits(given_names=("Anne", "Maëlis-Gaëlle")))
    assert severities["first_given_name"] == severities["given_names"] == "major"


def test_composed_first_name_split_by_the_mrz_filler_is_one_name() -> None:
    mrz = make_traits(given_names=("MAELIS", "GAELLE", "ANNE"))
    comparison = compare_traits(mrz, make_traits())
    assert comparison.overall is Severity.EQUAL
    reverse = compare_traits(make_traits(), mrz)
    assert reverse.overall is Severity.EQUAL


@pytest.mark.parametrize(
    "change",
    [{"birth_date": date(1990, 4, 13)}, {"sex": Sex.MALE}, {"birth_place_code": "69124"}],
)
def test_birth_date_sex_or_birth_place_difference_is_major(change: dict[str, object]) -> None:
    comparison = compare_traits(make_traits(), make_traits(**change))
    assert comparison.overall is Severity.MAJOR
    assert [d.field.value for d in comparison.discrepancies] == list(change)


def test_birth_place_compared_only_when_both_given() -> None:
    comparison = compare_traits(make_traits(birth_place_code=None), make_traits(birth_place_code="75056"))
    assert comparison.field(TraitField.BIRTH_PLACE_CODE) is None
    assert comparison.overall is Severity.EQUAL


def test_rules_are_data() -> None:
    strict = DiscrepancyRules(typo_max_edits=0, later_given_names_difference=Severity.MAJOR)
    assert _severities(make_traits(), make_traits(birth_name="Dupont-Lagrade"), strict)["birth_name"] == "major"
    assert _severities(make_traits(), make_traits(given_names=("Maëlis-Gaëlle",)), strict)["given_names"] == "major"
    lenient = DiscrepancyRules(birth_place_code_difference=Severity.MINOR)
    assert compare_traits(make_traits(), make_traits(birth_place_code="69124"), lenient).overall is Severity.MINOR


def test_traits_json_round_trip() -> None:
    traits = make_traits()
    assert IdentityTraits.from_dict(traits.to_dict()) == traits
    document = DocumentFacts(DocumentType.IDCARD, "880692310285", "FRA")
    assert DocumentFacts.from_dict(document.to_dict()) == document


def test_traits_reject_a_single_string_of_given_names() -> None:
    data = make_traits().to_dict() | {"given_names": "Anne Marie"}
    with pytest.raises(ValueError, match="list"):
        IdentityTraits.from_dict(data)


def test_traits_reject_empty_names() -> None:
    with pytest.raises(ValueError):
        make_traits(birth_name=" ")
    with pytest.raises(ValueError):
        make_traits(given_names=())


def test_birth_commune_code_excludes_countries() -> None:
    assert make_traits(birth_place_code="69123").birth_commune_code == "69123"
    assert make_traits(birth_place_code="99109").birth_commune_code is None


def test_a_city_and_one_of_its_arrondissements_are_one_birth_place() -> None:
    assert same_birth_place("75056", "75106") and same_birth_place("69387", "69123")
    assert same_birth_place("13055", "13216") and same_birth_place("33063", "33063")
    assert not same_birth_place("75056", "69381") and not same_birth_place("75106", "75107")
    assert not same_birth_place("75056", "75121")
