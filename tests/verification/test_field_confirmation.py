"""Each field confirmed from independent sources (verification.document.confirmation), on hand-built readings."""

from __future__ import annotations

from datetime import date

from verification.document.confirmation import confirm_fields, merge_visual, zone_mismatches
from verification.document.fields import (
    DocumentField,
    DocumentFields,
    FieldName,
    FieldSource,
    UnconfirmedReason,
    unconfirmed,
)
from verification.document.mrz.fields import MrzFields
from verification.document.mrz.parser import parse_mrz

TODAY = date(2026, 12, 7)
# The 2021 French card specimen's MRZ (ICAO 9303 TD1), check digits valid.
CARD = ["IDFRAX4RTBPFW46<<<<<<<<<<<<<<<", "9007138F3002119FRA<<<<<<<<<<<6", "MARTIN<<MAELYS<GAELLE<MARIE<<<"]


def _mrz() -> MrzFields:
    fields = parse_mrz(CARD, today=TODAY).fields
    assert fields is not None
    return fields


def _viz(**values: object) -> DocumentFields:
    return DocumentFields({FieldName(k): DocumentField(v if not isinstance(v, list) else tuple(v), FieldSource.VIZ)
                           for k, v in values.items()})


ALL_CONFIRMED: dict[str, UnconfirmedReason | None] = dict.fromkeys(
    ("document_code", "issuing_state", "surname", "given_names", "document_number", "nationality", "birth_date", "sex",
     "expiry_date"))


def test_the_mrz_alone_gives_its_own_verdict_per_field() -> None:
    verdicts = {**ALL_CONFIRMED, "document_number": UnconfirmedReason.LOOKALIKE}
    fields = confirm_fields(_mrz(), verdicts, [])
    assert fields.get(FieldName.SURNAME) == DocumentField("MARTIN", FieldSource.MRZ)
    number = fields.get(FieldName.DOCUMENT_NUMBER)
    assert number is not None and not number.confirmed and number.reason is UnconfirmedReason.LOOKALIKE
    assert fields.confirmed_value(FieldName.BIRTH_DATE) == "1990-07-13"


def test_a_field_the_reader_gave_no_verdict_for_is_unconfirmed() -> None:
    fields = confirm_fields(_mrz(), {}, [])
    assert all(not field.confirmed for _, field in fields)


def test_mrz_and_visual_zone_agreeing_confirm_and_the_printed_names_are_kept() -> None:
    verdicts = {**ALL_CONFIRMED, "surname": UnconfirmedReason.SINGLE_READING,
                "given_names": UnconfirmedReason.SINGLE_READING}
    visual = _viz(surname="Martin", given_names=["Maëlys-Gaëlle", "Marie"], birth_date="1990-07-13")
    fields = confirm_fields(_mrz(), verdicts, [visual])
    assert fields.get(FieldName.SURNAME) == DocumentField("Martin", FieldSource.MRZ_VIZ)
    assert fields.get(FieldName.GIVEN_NAMES) == DocumentField(("Maëlys-Gaëlle", "Marie"), FieldSource.MRZ_VIZ)
    assert fields.get(FieldName.BIRTH_DATE) == DocumentField("1990-07-13", FieldSource.MRZ_VIZ)


def test_zones_that_disagree_leave_the_field_unconfirmed_whatever_the_mrz_says() -> None:
    fields = confirm_fields(_mrz(), ALL_CONFIRMED, [_viz(birth_date="1990-07-31")])
    birth = fields.get(FieldName.BIRTH_DATE)
    assert birth is not None and birth.reason is UnconfirmedReason.ZONES_DISAGREE and birth.value == "1990-07-13"
    assert zone_mismatches(fields) == (FieldName.BIRTH_DATE,)


def test_a_visual_reading_made_once_neither_confirms_nor_contradicts() -> None:
    once = DocumentFields({FieldName.BIRTH_DATE: DocumentField("1990-07-31", FieldSource.UNCONFIRMED,
                                                               UnconfirmedReason.SINGLE_READING)})
    fields = confirm_fields(_mrz(), ALL_CONFIRMED, [once])
    assert fields.get(FieldName.BIRTH_DATE) == DocumentField("1990-07-13", FieldSource.MRZ)


def test_fields_only_the_visual_zone_carries_keep_its_verdict() -> None:
    visual = DocumentFields({
        FieldName.BIRTH_PLACE: DocumentField("BORDEAUX", FieldSource.VIZ),
        FieldName.BIRTH_PLACE_CODE: DocumentField("33063", FieldSource.VIZ),
    })
    fields = confirm_fields(None, {}, [visual])
    assert fields.confirmed_value(FieldName.BIRTH_PLACE_CODE) == "33063"
    assert fields.get(FieldName.SURNAME) is None


def test_two_captures_reading_a_value_alike_confirm_it_and_disagreeing_ones_do_not() -> None:
    single = DocumentField("D'ALMEIDA", FieldSource.UNCONFIRMED, UnconfirmedReason.SINGLE_READING)
    merged = merge_visual([DocumentFields({FieldName.SURNAME: single}), DocumentFields({FieldName.SURNAME: single})])
    assert merged[FieldName.SURNAME] == DocumentField("D'ALMEIDA", FieldSource.VIZ)
    other = DocumentField("DALMEIDO", FieldSource.VIZ)
    merged = merge_visual([_viz(surname="D'ALMEIDA"), DocumentFields({FieldName.SURNAME: other})])
    assert not merged[FieldName.SURNAME].confirmed


def test_a_name_the_mrz_truncated_agrees_with_the_printed_name_it_begins() -> None:
    long_names = ["IDFRAX4RTBPFW46<<<<<<<<<<<<<<<", "9007138F3002119FRA<<<<<<<<<<<6",
                  "MARTIN<<MAELYS<GAELLE<MARIEJOS"]
    mrz = parse_mrz(long_names, today=TODAY).fields
    assert mrz is not None
    fields = confirm_fields(mrz, ALL_CONFIRMED, [_viz(given_names=["Maëlys-Gaëlle", "Marie-Josée"])])
    assert fields.get(FieldName.GIVEN_NAMES) == DocumentField(("Maëlys-Gaëlle", "Marie-Josée"), FieldSource.MRZ_VIZ)


def test_an_invalid_mrz_contradicts_nothing_the_visual_zone_confirmed() -> None:
    """A card's front read as an MRZ gives garbage that fails its checks: the printed fields stand alone."""
    fields = confirm_fields(_mrz(), {}, [_viz(birth_date="1990-07-31")], UnconfirmedReason.READING_INVALID)
    assert fields.get(FieldName.BIRTH_DATE) == DocumentField("1990-07-31", FieldSource.VIZ)
    assert fields.get(FieldName.SURNAME) == DocumentField("MARTIN", FieldSource.UNCONFIRMED,
                                                          UnconfirmedReason.READING_INVALID)
    assert zone_mismatches(fields) == ()


def test_a_field_read_without_a_value_keeps_its_reason() -> None:
    place = DocumentFields({FieldName.BIRTH_PLACE_CODE: unconfirmed(None, UnconfirmedReason.AMBIGUOUS_PLACE)})
    fields = confirm_fields(_mrz(), ALL_CONFIRMED, [place])
    code = fields.get(FieldName.BIRTH_PLACE_CODE)
    assert code is not None and code.value is None and code.reason is UnconfirmedReason.AMBIGUOUS_PLACE


def test_names_the_mrz_models_agree_on_need_the_printed_zone_read_once_at_least() -> None:
    verdicts = {**ALL_CONFIRMED, "surname": UnconfirmedReason.UNCHECKED, "given_names": UnconfirmedReason.UNCHECKED}
    alone = confirm_fields(_mrz(), verdicts, [])
    surname = alone.get(FieldName.SURNAME)
    assert surname is not None and surname.reason is UnconfirmedReason.UNCHECKED
    once = DocumentFields({FieldName.SURNAME: unconfirmed("Martin", UnconfirmedReason.SINGLE_READING),
                           FieldName.GIVEN_NAMES: unconfirmed(("Maëlys-Gaëlle",), UnconfirmedReason.SINGLE_READING)})
    fields = confirm_fields(_mrz(), verdicts, [once])
    assert fields.get(FieldName.SURNAME) == DocumentField("Martin", FieldSource.MRZ_VIZ)
    given = fields.get(FieldName.GIVEN_NAMES)  # MAELYS GAELLE MARIE is not what was printed: no agreement
    assert given is not None and given.reason is UnconfirmedReason.UNCHECKED
    # A field one MRZ model read alone is not confirmed by a printed zone read once either.
    single = {**verdicts, "surname": UnconfirmedReason.SINGLE_READING}
    lone = confirm_fields(_mrz(), single, [once]).get(FieldName.SURNAME)
    assert lone is not None and not lone.confirmed
