"""The confirmed-field figures of `idv evaluate documents` (verification.document.field_scoring) on hand-built
fields, and the manifest's `fields` column."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from verification.document.evaluation import ManifestError, printed_json, read_manifest
from verification.document.field_scoring import FieldTruth, field_truth, score_fields, summarise_fields
from verification.document.fields import (
    DocumentField,
    DocumentFields,
    FieldName,
    FieldSource,
    UnconfirmedReason,
    unconfirmed,
)

TODAY = date(2026, 12, 7)
# The 2021 French card specimen's MRZ (ICAO 9303 TD1), check digits valid: 9 fields.
CARD = ("IDFRAX4RTBPFW46<<<<<<<<<<<<<<<", "9007138F3002119FRA<<<<<<<<<<<6", "MARTIN<<MAELYS<GAELLE<MARIE<<<")
# A TD3 whose names field is filled to its last character: the MRZ cut the given names (a fourth, ANNE).
TRUNCATED = ("P<UTOVANDERSTEEN<<MARIANNE<LOUISE<ELISABETHE", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
PRINTED_GIVEN_NAMES = ("Marianne", "Louise", "Elisabethe", "Anne")


def _fields(**values: DocumentField) -> DocumentFields:
    return DocumentFields({FieldName(name): field for name, field in values.items()})


def _scored(truth: FieldTruth, reported: DocumentFields, expected_valid: bool = True) -> dict[str, Any]:
    return {"expected_valid": expected_valid, **score_fields(truth, reported)}


def test_the_truth_is_the_valid_mrz_with_printed_fields_over_it() -> None:
    truth = field_truth(CARD, {FieldName.GIVEN_NAMES: ("Maëlys-Gaëlle", "Marie"), FieldName.BIRTH_PLACE: "PARIS"},
                        TODAY)
    assert truth.values[FieldName.BIRTH_DATE] == "1990-07-13"
    assert truth.values[FieldName.DOCUMENT_NUMBER] == "X4RTBPFW4"
    assert truth.values[FieldName.GIVEN_NAMES] == ("Maëlys-Gaëlle", "Marie")
    assert truth.values[FieldName.BIRTH_PLACE] == "PARIS"
    assert len(truth.values) == 10
    broken = (CARD[0], CARD[1].replace("9007138", "9007148"), CARD[2])  # birth date check digit fails
    assert field_truth(broken, {}, TODAY).values == {}


def test_a_confirmed_wrong_field_is_the_worst_error_and_an_unconfirmed_one_is_not() -> None:
    truth = field_truth(CARD, {}, TODAY)
    confirmed_wrong = _fields(surname=DocumentField("MARTIN", FieldSource.MRZ),
                              document_number=DocumentField("X4RT8PFW4", FieldSource.MRZ))
    doubtful_wrong = _fields(surname=DocumentField("MARTIN", FieldSource.MRZ),
                             document_number=unconfirmed("X4RT8PFW4", UnconfirmedReason.LOOKALIKE))
    scored = [_scored(truth, confirmed_wrong), _scored(truth, doubtful_wrong)]
    assert scored[0]["confirmed_wrong"] == {"document_number": {"reported": "X4RT8PFW4", "expected": "X4RTBPFW4"}}
    assert scored[1]["confirmed_wrong"] == {}
    assert summarise_fields(scored)["wrong_confirmed"] == 1


def test_names_compare_the_rniv_way_and_a_truncated_name_agrees_with_the_printed_one_it_begins() -> None:
    card = field_truth(CARD, {}, TODAY)
    printed = _fields(surname=DocumentField("Martin", FieldSource.MRZ_VIZ),
                      given_names=DocumentField(("Maëlys-Gaëlle", "Marie"), FieldSource.MRZ_VIZ),
                      birth_date=DocumentField("1990-07-13", FieldSource.MRZ_VIZ))
    assert score_fields(card, printed)["fields_confirmed_right"] == 3
    passport = field_truth(TRUNCATED, {}, TODAY)
    assert FieldName.GIVEN_NAMES in passport.truncated
    full = _fields(given_names=DocumentField(PRINTED_GIVEN_NAMES, FieldSource.MRZ_VIZ))
    assert score_fields(passport, full)["fields_confirmed_right"] == 1
    # Printed truth is whole: a name that merely begins it is wrong.
    printed_truth = field_truth(TRUNCATED, {FieldName.GIVEN_NAMES: PRINTED_GIVEN_NAMES}, TODAY)
    cut = _fields(given_names=DocumentField(("MARIANNE", "LOUISE", "ELISABETHE"), FieldSource.MRZ))
    assert set(score_fields(printed_truth, cut)["confirmed_wrong"]) == {"given_names"}
    assert score_fields(printed_truth, full)["fields_confirmed_right"] == 1


def test_the_rate_counts_true_fields_confirmed_and_right_over_documents_with_a_valid_mrz() -> None:
    truth = field_truth(CARD, {}, TODAY)  # 9 true fields
    three_right = _fields(surname=DocumentField("MARTIN", FieldSource.MRZ),
                          sex=DocumentField("F", FieldSource.MRZ),
                          nationality=DocumentField("FRA", FieldSource.MRZ),
                          issuing_state=unconfirmed("FRA", UnconfirmedReason.SINGLE_READING),
                          expiry_date=DocumentField("2030-02-12", FieldSource.MRZ),  # confirmed, wrong
                          birth_place=DocumentField("PARIS", FieldSource.VIZ))  # no truth: unjudged
    front = FieldTruth({FieldName.SURNAME: "MARTIN", FieldName.BIRTH_PLACE: "PARIS"}, frozenset())
    all_right = _fields(surname=DocumentField("MARTIN", FieldSource.VIZ), birth_place=DocumentField("PARIS",
                                                                                                      FieldSource.VIZ))
    scored = [_scored(truth, three_right), _scored(truth, DocumentFields({})), _scored(front, all_right, False)]
    assert scored[0]["confirmed_unjudged"] == ["birth_place"]
    summary = summarise_fields(scored)
    assert summary["fields_expected"] == 18  # the front without MRZ is not counted
    assert summary["confirmed_field_rate"] == round(3 / 18, 4)
    assert summary["wrong_confirmed"] == 1
    assert summarise_fields([])["confirmed_field_rate"] is None


def test_the_manifest_fields_column_is_read_and_written_back(tmp_path: Path) -> None:
    printed = {FieldName.GIVEN_NAMES: ("Maëlis-Gaëlle", "Marie"), FieldName.BIRTH_DATE: "1990-07-13"}
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(f'path,mrz,fields,kind\na.png,,"{printed_json(printed).replace(chr(34), 2 * chr(34))}",blur\n'
                        "b.png,,,\n", encoding="utf-8")
    first, second = read_manifest(manifest)
    assert first.printed == printed and first.kind == "blur"
    assert second.printed == {} and second.kind == "" and printed_json(second.printed) == ""
    manifest.write_text('path,mrz,fields\na.png,,"{""birth_town"": ""PARIS""}"\n', encoding="utf-8")
    with pytest.raises(ManifestError):
        read_manifest(manifest)
