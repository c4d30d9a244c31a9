"""The identity built from a document's confirmed fields only, compared with declared and INS traits (the
traits check), the RNIV status it can have, and the fields a reviewer confirms."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.verification import make_traits
from verification.common.errors import CodedError
from verification.common.outcome import CheckStatus
from verification.decision.records import TraitsRecord, load_check, stored_details
from verification.decision.review import reviewer_confirmed, unconfirmed_for_approval
from verification.decision.rules import CheckName
from verification.document.fields import DocumentField, DocumentFields, FieldName, FieldSource, UnconfirmedReason
from verification.identity.from_document import (
    FieldsUnconfirmed,
    document_from_document,
    field_sources,
    identity_from_document,
    known_traits,
    reviewed,
)
from verification.identity.model import DocumentType, Sex
from verification.identity.rniv import IdentityStatus, assess_vigilance
from verification.identity.traits import TraitField
from verification.identity.traits_check import check_traits

F, S = FieldName, FieldSource
CONFIRMED: dict[FieldName, Any] = {
    F.SURNAME: ("D'ALMEIDA", S.MRZ_VIZ), F.GIVEN_NAMES: (("Fatoumata", "Aminata"), S.MRZ_VIZ),
    F.BIRTH_DATE: ("1978-01-05", S.MRZ), F.SEX: ("F", S.MRZ), F.BIRTH_PLACE_CODE: ("75056", S.VIZ),
    F.BIRTH_PLACE: ("Paris", S.VIZ), F.DOCUMENT_CODE: ("ID", S.MRZ), F.DOCUMENT_NUMBER: ("X4RTBPFW4", S.MRZ),
    F.ISSUING_STATE: ("FRA", S.MRZ), F.NATIONALITY: ("FRA", S.MRZ), F.EXPIRY_DATE: ("2031-06-01", S.MRZ),
}


def document(**unconfirmed: str) -> DocumentFields:
    """The confirmed fields above; each name in `unconfirmed` left unconfirmed with that value as read."""
    fields = {name: DocumentField(value, source) for name, (value, source) in CONFIRMED.items()}
    for name, value in unconfirmed.items():
        fields[F(name)] = DocumentField(value, S.UNCONFIRMED, UnconfirmedReason.SINGLE_READING)
    return DocumentFields(fields)


def declared(**changes: Any) -> Any:
    return make_traits(**{"birth_name": "d’Almeida", "given_names": ("Fatoumata", "Aminata"),
                          "birth_date": date(1978, 1, 5), "birth_place_code": "75056", **changes})


def test_the_identity_carries_confirmed_fields_as_printed() -> None:
    identity = identity_from_document(document())
    assert (identity.birth_name, identity.given_names, identity.birth_date, identity.sex) == (
        "D'ALMEIDA", ("Fatoumata", "Aminata"), date(1978, 1, 5), Sex.FEMALE)
    assert (identity.birth_place_code, identity.birth_place, identity.nationality) == ("75056", "Paris", "FRA")
    facts = document_from_document(document())
    assert (facts.document_type, facts.number, facts.expiry_date) == (DocumentType.IDCARD, "X4RTBPFW4",
                                                                      date(2031, 6, 1))


def test_an_unconfirmed_field_is_never_carried() -> None:
    fields = document(birth_place_code="75065", nationality="FRB", expiry_date="2031-06-07")
    identity = identity_from_document(fields)
    assert identity.birth_place_code is None and identity.nationality is None
    assert document_from_document(fields).expiry_date is None
    sources = field_sources(fields)
    assert {"birth_place_code", "nationality", "expiry_date"}.isdisjoint(sources)
    assert sources["surname"] is S.MRZ_VIZ and sources["birth_date"] is S.MRZ


@pytest.mark.parametrize("name", ["surname", "given_names", "birth_date", "sex"])
def test_no_identity_leaves_without_its_names_birth_date_and_sex(name: str) -> None:
    with pytest.raises(FieldsUnconfirmed) as caught:
        identity_from_document(document(**{name: "read once"}))
    assert caught.value.names == (F(name),)


def test_without_a_confirmed_birth_place_code_the_identity_is_provisional() -> None:
    vigilance = assess_vigilance(identity_from_document(document(birth_place_code="75065")), declared())
    assert vigilance.status is IdentityStatus.PROV
    assert not vigilance.ins_traits_confirmed  # INS not confirmable without every strict trait
    assert vigilance.to_dict()["unconfirmed_traits"] == ["birth_place_code"]
    validated = assess_vigilance(identity_from_document(document()), declared())
    assert (validated.status, validated.ins_traits_confirmed) == (IdentityStatus.VALI, True)


def test_declared_traits_that_differ_fail_the_traits_check_field_by_field() -> None:
    result = check_traits(known_traits(document()), declared(birth_name="Dalméida", given_names=("FATOUMATA",
                                                                                               "AMINATA")), None)
    assert result.status is CheckStatus.PASS  # hyphens, apostrophes, case and accents are ignored: not a difference
    mismatch = check_traits(known_traits(document()), declared(birth_date=date(1978, 1, 7), sex=Sex.MALE), None)
    assert mismatch.status is CheckStatus.FAIL
    assert mismatch.reasons == ("declared_traits_mismatch:birth_date", "declared_traits_mismatch:sex")


def test_an_unconfirmed_document_trait_is_not_compared() -> None:
    result = check_traits(known_traits(document(birth_date="1978-01-07")), declared(birth_date=date(1978, 1, 8)),
                          None)
    assert result.status is CheckStatus.PASS and result.declared is not None
    assert result.declared.field(TraitField.BIRTH_DATE) is None


def test_ins_discrepancies_are_recorded_but_do_not_fail_the_check() -> None:
    result = check_traits(known_traits(document()), None, declared(birth_name="DALMEIDAS"))
    assert (result.status, result.reasons) == (CheckStatus.PASS, ())
    assert result.ins is not None and [d.field for d in result.ins.discrepancies] == [TraitField.BIRTH_NAME]
    record = load_check(CheckName.TRAITS, result.status.value, None, result.reasons,
                        stored_details(result.to_dict()))
    assert isinstance(record, TraitsRecord) and (record.ins, record.declared) == (result.ins, None)


def test_discrepancies_in_the_rniv_outcome_say_which_traits_they_were_found_against() -> None:
    identity = identity_from_document(document())
    vigilance = assess_vigilance(identity, declared(sex=Sex.MALE), declared_traits=declared(birth_name="ALMEIDA"))
    assert not vigilance.ins_traits_confirmed and vigilance.status is IdentityStatus.VALI
    assert [(d["traits"], d["field"]) for d in vigilance.to_dict()["discrepancies"]] == [
        ("ins", "sex"), ("declared", "birth_name")]


def test_a_reviewer_confirms_or_corrects_fields() -> None:
    confirmed = reviewer_confirmed({"birth_place_code": "75056", "given_names": ["Fatoumata", " Aminata "],
                                    "birth_date": "1978-01-05"})
    assert {name: field.source for name, field in confirmed} == dict.fromkeys(
        [F.BIRTH_PLACE_CODE, F.GIVEN_NAMES, F.BIRTH_DATE], S.REVIEWER)
    assert confirmed.confirmed_value(F.GIVEN_NAMES) == ("Fatoumata", "Aminata")
    fields = reviewed(document(birth_place_code="75065"), confirmed)
    assert identity_from_document(fields).birth_place_code == "75056"
    assert field_sources(fields)["birth_place_code"] is S.REVIEWER
    assert DocumentFields.from_dict(fields.to_dict()) == fields


@pytest.mark.parametrize("raw", [{"height": "180"}, {"birth_date": "05/01/1978"}, {"sex": "male"},
                                 {"given_names": "Fatoumata"}, {"surname": ""}, {"birth_place_code": "750566"},
                                 {"document_code": "V"}])
def test_a_reviewer_field_out_of_the_contract_is_refused(raw: dict[str, Any]) -> None:
    with pytest.raises(CodedError) as caught:
        reviewer_confirmed(raw)
    assert caught.value.code == "review_fields_invalid"


def test_an_approval_needs_every_field_the_assertion_carries_confirmed() -> None:
    assert unconfirmed_for_approval(document(), None) == ()
    lacking = document(surname="OALMEIBDA", document_number="X4RTBPFW8")
    assert unconfirmed_for_approval(lacking, None) == (F.SURNAME, F.DOCUMENT_NUMBER)
    assert unconfirmed_for_approval(reviewed(lacking, reviewer_confirmed(
        {"surname": "D'ALMEIDA", "document_number": "X4RTBPFW4"})), None) == ()
    assert unconfirmed_for_approval(DocumentFields({}), None)[:4] == (F.SURNAME, F.GIVEN_NAMES, F.BIRTH_DATE, F.SEX)
