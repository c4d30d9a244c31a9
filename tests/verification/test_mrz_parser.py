"""MRZ parsing and validation on documented and real specimen MRZs (strings only, never images)."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest

from tests.shared_data import SHARED_DATA, requires_shared_data
from verification.document.mrz.checkdigit import check_digit
from verification.document.mrz.dates import french_card_validity
from verification.document.mrz.formats import LAYOUTS, FieldKind, MrzFormat, detect_format, field_layout
from verification.document.mrz.parser import MrzProblem, MrzResult, parse_mrz

TODAY = date(2026, 11, 23)

# ICAO 9303 documented examples (parts 4 to 7).
ICAO_TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
ICAO_TD1_LONG_NUMBER = (
    "I<UTOD23145890<7349<<<<<<<<<<<",
    "3407127M9507122UTO<<<<<<<<<<<2",
    "STEVENSON<<PETER<JOHN<<<<<<<<<",
)
ICAO_TD2 = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6")
ICAO_TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
ICAO_MRVA = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L8988901C4XXX4009078F96121096ZE184226B<<<<<<")
# From /work/shared/data/documents/specimens/expected.csv and french/expected.csv.
SPECIMENS_VALID = {
    "passports/Czech_Republic.png": (
        "P<CZESPECIMEN<<VZOR<<<<<<<<<<<<<<<<<<<<<<<<<|99003853<1CZE1101018M1207046110101111<<<<<94"
    ),
    "id_cards/Liechtenstein.png": (
        "IDLIEID98754015<<<<<<<<<<<<<<<|8205122M1906224LIE<<<<<<<<<<<6|OSPELT<BECK<<MARISA<<<<<<<<<<<"
    ),
    "visas/United_Kingdom.png": "VDGBRMUNIR<<FAISAL<<<<<<<<<<<<<<<<<<|AD07259817PAK7608151M0611165<<<<<<<<",
    "visas/MRVB_ICAO_Example.png": "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<|L8988901C4XXX4009078F9612109<<<<<<<<",
    "visas/USA.png": "VNUSATRAVELER<<HAPPY<<<<<<<<<<<<<<<<<<<<<<<<|1234567897CAN6612120M1407282B3XLC000FD142955",
}
MALTA_BAD = "I<BAD<BAD<<<<<0<<<<<<BAD<<<<<<|0105998<0512868BAD<<<<BAD<<<<0|<SPECIMEN1<<SPECIMEN2<<BAD<<<<"
CNI_1988_ALTERED = "IDFRADAMBARD<<<<<<<<<<<<<<<<<<075025|175775H557903VICTOR<<MARIE<9404246M5"
CNIE_2021 = "IDFRAX4RTBPFW46<<<<<<<<<<<<<<<|9007138F3002119FRA<<<<<<<<<<<6|MARTIN<<MAELYS<GAELLE<MARIE<<<"
PASSPORT_FR_ZEROS = "P<FRACITIZEN<<JOHN<<<<<<<<<<<<<<<<<<<<<<<<<<|00FV000000FRA0000000M0000000<<<<<<<<<<<<<<00"


def parse(mrz: str | tuple[str, ...]) -> MrzResult:
    return parse_mrz(mrz.split("|") if isinstance(mrz, str) else mrz, today=TODAY)


def french_card(surname: str, given: str, card_number: str, birth: str, sex: str, office: str) -> tuple[str, str]:
    """A French 1988 card MRZ built from the specification, every check digit computed here."""
    line1 = f"IDFRA{surname:<<25}{office}"
    head = f"{card_number}{check_digit(card_number)}{given:<<14}{birth}{check_digit(birth)}{sex}"
    return line1, head + check_digit(line1 + head)


FRENCH_CARD = french_card("DE<LA<TOUR", "JEAN<LUC<<ANNE", "091275012345", "810315", "M", "075012")


def with_char(lines: tuple[str, ...], line: int, position: int, char: str) -> tuple[str, ...]:
    text = lines[line]
    return (*lines[:line], text[:position] + char + text[position + 1 :], *lines[line + 1 :])


# --- documented examples -------------------------------------------------------------------------


def test_icao_td3_fields() -> None:
    result = parse(ICAO_TD3)
    assert result.valid and result.format is MrzFormat.TD3
    fields = result.fields
    assert (fields.document_code, fields.issuing_state, fields.nationality) == ("P", "UTO", "UTO")
    assert (fields.surname, fields.given_names) == ("ERIKSSON", ("ANNA MARIA",))
    assert fields.document_number == "L898902C3"
    assert (fields.birth_date, fields.expiry_date, fields.sex) == (date(1974, 8, 12), date(2012, 4, 15), "F")
    assert fields.optional_data == "ZE184226B"
    assert fields.raw_field("names") == ICAO_TD3[0][5:]
    assert {c.name for c in result.checks} == {
        "document_number", "birth_date", "expiry_date", "optional_data", "composite",
        "birth_date_value", "expiry_date_value",
    }  # fmt: skip


def test_icao_td1_fields() -> None:
    result = parse(ICAO_TD1)
    assert result.valid and result.format is MrzFormat.TD1
    assert result.fields.document_number == "D23145890"
    assert (result.fields.surname, result.fields.given_names) == ("ERIKSSON", ("ANNA MARIA",))
    assert (result.fields.optional_data, result.fields.optional_data_2) == ("", "")


def test_td1_long_document_number_continues_in_optional_data() -> None:
    result = parse(ICAO_TD1_LONG_NUMBER)
    assert result.valid
    assert result.fields.document_number == "D23145890734"
    assert result.fields.optional_data == ""
    number_check = next(c for c in result.checks if c.name == "document_number")
    assert (number_check.expected, number_check.found) == ("9", "9")


def test_td1_long_document_number_wrong_check_digit_fails() -> None:
    lines = with_char(ICAO_TD1_LONG_NUMBER, 0, 18, "8")  # its check digit, 9 -> 8
    assert {c.name for c in parse(lines).failed_checks} == {"document_number", "composite"}


def test_td1_filler_check_digit_without_continuation_fails() -> None:
    lines = with_char(ICAO_TD1, 0, 14, "<")  # '<' announces a long number, but the optional field is empty
    result = parse(lines)
    assert not result.valid
    assert [(c.name, c.found) for c in result.failed_checks] == [("document_number", "<"), ("composite", "6")]


def test_icao_td2_and_visas() -> None:
    assert parse(ICAO_TD2).format is MrzFormat.TD2 and parse(ICAO_TD2).valid
    mrva = parse(ICAO_MRVA)
    assert mrva.format is MrzFormat.MRVA and mrva.valid
    assert mrva.fields.optional_data == "6ZE184226B"
    assert "composite" not in {c.name for c in mrva.checks}


@pytest.mark.parametrize("path", sorted(SPECIMENS_VALID))
def test_government_specimens_are_valid(path: str) -> None:
    result = parse(SPECIMENS_VALID[path])
    assert result.valid, (path, result.failed_checks, result.problems)


def test_specimen_fields() -> None:
    czech = parse(SPECIMENS_VALID["passports/Czech_Republic.png"]).fields
    assert (czech.document_number, czech.birth_date, czech.optional_data) == ("99003853", date(2011, 1, 1), "110101111")
    liechtenstein = parse(SPECIMENS_VALID["id_cards/Liechtenstein.png"]).fields
    assert (liechtenstein.surname, liechtenstein.given_names) == ("OSPELT BECK", ("MARISA",))
    assert liechtenstein.document_code == "ID"
    uk_visa = parse(SPECIMENS_VALID["visas/United_Kingdom.png"])
    assert uk_visa.format is MrzFormat.MRVB and uk_visa.fields.nationality == "PAK"
    assert parse(SPECIMENS_VALID["visas/USA.png"]).fields.optional_data == "B3XLC000FD142955"


def test_malta_bad_specimen_is_invalid() -> None:
    result = parse(MALTA_BAD)
    assert not result.valid
    assert {"document_number", "birth_date", "expiry_date", "composite"} <= {c.name for c in result.failed_checks}
    assert "field_type:names" in result.problems  # digits in SPECIMEN1


def test_altered_french_card_fails_exactly_birth_date_and_final() -> None:
    result = parse(CNI_1988_ALTERED)
    assert result.format is MrzFormat.FR_ID_1988
    assert not result.valid
    assert sorted(c.name for c in result.failed_checks) == ["birth_date", "final"]
    # Its card number (check digit intact) starts 1757: month 57 is no issue month.
    assert result.problems == (MrzProblem.INVALID_ISSUE_DATE,)
    fields = result.fields
    assert (fields.surname, fields.given_names) == ("DAMBARD", ("VICTOR", "MARIE"))
    assert fields.document_number == "175775H55790"
    assert (fields.birth_date, fields.sex, fields.office_code) == (date(1994, 4, 24), "M", "075025")
    assert (fields.issue_date, fields.expiry_date, fields.nationality) == (None, None, None)


def test_cnie_2021_td1_is_valid() -> None:
    result = parse(CNIE_2021)
    assert result.valid and result.format is MrzFormat.TD1
    fields = result.fields
    assert fields.document_number == "X4RTBPFW4"
    assert (fields.birth_date, fields.expiry_date) == (date(1990, 7, 13), date(2030, 2, 11))
    assert (fields.surname, fields.given_names) == ("MARTIN", ("MAELYS GAELLE MARIE",))


def test_french_passport_template_of_zeros_is_invalid() -> None:
    result = parse(PASSPORT_FR_ZEROS)
    assert result.format is MrzFormat.TD3 and not result.valid
    reasons = {c.name: c.reason for c in result.failed_checks}
    assert reasons["birth_date_value"] == reasons["expiry_date_value"] == "zero_date"
    assert "document_number" in reasons


@requires_shared_data
@pytest.mark.shared_data
@pytest.mark.parametrize("csv_path", ["documents/specimens/expected.csv", "documents/french/expected.csv"])
def test_copied_strings_match_the_shared_manifests(csv_path: str) -> None:
    with (SHARED_DATA / csv_path).open(newline="") as handle:
        manifest = {row["path"]: row["mrz"] for row in csv.DictReader(handle) if row["mrz"]}
    copied = {
        **SPECIMENS_VALID, "id_cards/Malta_BAD.png": MALTA_BAD, "cni_1988_altered.jpg": CNI_1988_ALTERED,
        "cnie_2021_back_specimen.png": CNIE_2021, "passport_fr_template_zeros.jpg": PASSPORT_FR_ZEROS,
    }  # fmt: skip
    assert manifest and all(copied[path] == mrz for path, mrz in manifest.items())


# --- French 1988 card ----------------------------------------------------------------------------


def test_constructed_french_card_is_valid() -> None:
    result = parse(FRENCH_CARD)
    assert result.valid, (result.failed_checks, result.problems)
    fields = result.fields
    assert result.format is MrzFormat.FR_ID_1988
    assert (fields.surname, fields.given_names) == ("DE LA TOUR", ("JEAN LUC", "ANNE"))
    assert fields.document_number == "091275012345"
    assert (fields.issue_date, fields.birth_date) == (date(2009, 12, 1), date(1981, 3, 15))
    assert fields.office_code == "075012"
    assert (fields.document_code, fields.issuing_state) == ("ID", "FRA")


@pytest.mark.parametrize("card_number", ["871275012345", "220175012345", "091375012345", "000075012345"])
def test_french_card_issue_month_outside_the_model_is_a_problem(card_number: str) -> None:
    # Before 1988, after the 2021 model took over, month 13, month 00; check digits all recomputed.
    result = parse(french_card("DUPONT", "JEAN", card_number, "810315", "M", "075012"))
    assert not result.valid and result.problems == (MrzProblem.INVALID_ISSUE_DATE,) and not result.failed_checks
    assert result.fields.issue_date is None


def test_french_card_final_check_covers_line_one() -> None:
    lines = with_char(FRENCH_CARD, 0, 30, "1")  # office code 075012 -> 175012
    assert [c.name for c in parse(lines).failed_checks] == ["final"]


def test_french_card_versus_td2() -> None:
    assert detect_format(FRENCH_CARD) is MrzFormat.FR_ID_1988
    # An 'IDFRA' TD2 keeps letters (the nationality) where the French card has serial digits.
    td2 = ("IDFRA" + ICAO_TD2[0][5:], ICAO_TD2[1])
    assert detect_format(td2) is MrzFormat.TD2


@pytest.mark.parametrize(
    ("issue", "birth", "expected"),
    [
        (date(2009, 12, 1), date(1981, 3, 15), date(2024, 11, 30)),  # adult, 2004-2013: 15 years
        (date(2009, 12, 1), date(1995, 3, 15), date(2019, 11, 30)),  # minor at issue: 10 years
        (date(2003, 12, 1), date(1981, 3, 15), date(2013, 11, 30)),  # before 2004: 10 years
        (date(2014, 1, 1), date(1981, 3, 15), date(2023, 12, 31)),  # after 2013: 10 years
        (date(2009, 12, 1), None, date(2019, 11, 30)),  # age unknown: no extension
        (date(2009, 12, 1), date(1991, 12, 2), date(2019, 11, 30)),  # 18 only later in the month
    ],
)
def test_french_card_validity(issue: date, birth: date | None, expected: date) -> None:
    assert french_card_validity(issue, birth) == expected


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "today", "expected"),
    [
        ("991231", date(2026, 11, 23), date(1999, 12, 31)),
        ("261123", date(2026, 11, 23), date(2026, 11, 23)),  # born today
        ("261124", date(2026, 11, 23), date(1926, 11, 24)),  # tomorrow is impossible: a century back
        ("000229", date(2026, 11, 23), date(2000, 2, 29)),
        ("240229", date(2024, 1, 10), date(1924, 2, 29)),
    ],
)
def test_birth_century_is_the_latest_past_one(birth: str, today: date, expected: date) -> None:
    lines = with_birth(birth)
    assert parse_mrz(lines, today=today).fields.birth_date == expected


@pytest.mark.parametrize(
    ("expiry", "expected"),
    [("461231", date(2046, 12, 31)), ("470101", date(1947, 1, 1)), ("120415", date(2012, 4, 15))],
)
def test_expiry_century_window(expiry: str, expected: date) -> None:
    lines = with_dates(ICAO_TD3, expiry=expiry)
    assert parse(lines).fields.expiry_date == expected  # window: years [today - 79, today + 20]


@pytest.mark.parametrize(
    ("birth", "reason"),
    [
        ("000000", "zero_date"),
        ("741312", "invalid_month"),
        ("740012", "invalid_month"),
        ("740832", "invalid_day"),
        ("740431", "invalid_day"),
        ("740800", "invalid_day"),
        ("230229", "invalid_day"),
        ("7408<<", "not_digits"),
        ("74O812", "not_digits"),
    ],
)
def test_invalid_birth_dates_fail_with_a_reason(birth: str, reason: str) -> None:
    result = parse(with_birth(birth))
    assert not result.valid and result.fields.birth_date is None
    # The check digits were recomputed: only the date's own validity fails.
    assert [(c.name, c.reason) for c in result.failed_checks] == [("birth_date_value", reason)]


def with_dates(lines: tuple[str, str], birth: str | None = None, expiry: str | None = None) -> tuple[str, str]:
    """A TD3 MRZ with other dates and recomputed check digits (composite included)."""
    line2 = lines[1]
    birth = birth or line2[13:19]
    expiry = expiry or line2[21:27]
    body = f"{line2[:13]}{birth}{check_digit(birth)}{line2[20]}{expiry}{check_digit(expiry)}{line2[28:43]}"
    composite = check_digit(body[:10] + body[13:20] + body[21:43])
    return lines[0], body + composite


def with_birth(birth: str) -> tuple[str, str]:
    return with_dates(ICAO_TD3, birth=birth)


# --- check digits and field types ------------------------------------------------------------------


def test_td3_personal_number_check_accepts_filler_only_when_empty() -> None:
    empty = ICAO_TD3[1][:28] + "<" * 14
    for check in ("0", "<"):
        body = empty + check
        line2 = body + check_digit(body[:10] + body[13:20] + body[21:43])
        assert parse((ICAO_TD3[0], line2)).valid, check
    filled = with_char(ICAO_TD3, 1, 42, "<")
    assert [c.name for c in parse(filled).failed_checks] == ["optional_data", "composite"]


@pytest.mark.parametrize(
    ("lines", "line", "position", "char", "problem"),
    [
        (ICAO_TD3, 0, 7, "1", "field_type:names"),
        (ICAO_TD3, 0, 3, "7", "field_type:issuing_state"),
        (ICAO_TD3, 1, 11, "0", "field_type:nationality"),
        (ICAO_TD3, 1, 20, "K", "field_type:sex"),
        (ICAO_TD3, 0, 0, "8", "field_type:document_code"),
        (FRENCH_CARD, 1, 1, "O", "field_type:issue_month"),
        (FRENCH_CARD, 1, 8, "B", "field_type:card_serial"),
        (FRENCH_CARD, 1, 14, "3", "field_type:given_names"),
    ],
)
def test_wrong_character_kind_is_a_problem(
    lines: tuple[str, ...], line: int, position: int, char: str, problem: str
) -> None:
    result = parse(with_char(lines, line, position, char))
    assert not result.valid and problem in result.problems


def test_letter_in_a_check_digit_fails_even_when_its_value_matches() -> None:
    # Q = 26 weighs like 6 in the composite, which therefore still holds; the digit itself must be '6'.
    result = parse(with_char(ICAO_TD3, 1, 9, "Q"))
    assert not result.valid
    assert [(c.name, c.found) for c in result.failed_checks] == [("document_number", "Q")]


def test_sex_unspecified_reads_x() -> None:
    for char in ("<", "X"):
        lines = with_char(ICAO_TD1, 1, 7, char)
        assert parse(lines).fields.sex == "X"


# --- garbage and shapes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lines",
    [(), ("",), ("P<UTO",), ICAO_TD3[:1], (*ICAO_TD3, ICAO_TD3[1]), (ICAO_TD3[0], ICAO_TD3[1][:-1]), ICAO_TD1[:2]],
)
def test_unknown_shapes(lines: tuple[str, ...]) -> None:
    result = parse_mrz(lines, today=TODAY)
    assert result.format is None and result.problems == (MrzProblem.UNKNOWN_FORMAT,) and not result.valid


@pytest.mark.parametrize(
    "lines",
    [
        (ICAO_TD3[0].lower(), ICAO_TD3[1]),
        (ICAO_TD3[0].replace("<", " "), ICAO_TD3[1]),
        (ICAO_TD3[0][:-1] + "«", ICAO_TD3[1]),
        (ICAO_TD3[0][:-1] + "\n", ICAO_TD3[1]),
    ],
)
def test_characters_outside_the_alphabet_are_reported_not_fixed(lines: tuple[str, ...]) -> None:
    result = parse_mrz(lines, today=TODAY)
    assert result.problems == (MrzProblem.INVALID_CHARACTERS,) and result.fields is None and not result.valid
    assert result.lines == lines


def test_non_string_lines_do_not_raise() -> None:
    result = parse_mrz([None, 3], today=TODAY)  # type: ignore[list-item]
    assert result.problems == (MrzProblem.UNKNOWN_FORMAT,)


def test_single_string_is_split_into_lines() -> None:
    assert parse_mrz("\n".join(ICAO_TD3), today=TODAY).valid


def test_result_is_json_ready() -> None:
    for mrz in (ICAO_TD3, CNI_1988_ALTERED, MALTA_BAD, ("x",)):
        payload = json.loads(json.dumps(parse(mrz).to_dict()))
        assert set(payload) == {"format", "valid", "lines", "fields", "checks", "problems"}
    altered = parse(CNI_1988_ALTERED).to_dict()
    assert altered["fields"]["birth_date"] == "1994-04-24" and altered["valid"] is False


# --- layout tables ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(MrzFormat))
def test_layout_covers_every_position_once(fmt: MrzFormat) -> None:
    layout = LAYOUTS[fmt]
    for line in range(layout.line_count):
        spans = [s for s in field_layout(fmt) if s.line == line]
        assert [s.start for s in spans] == [0] + [s.end for s in spans[:-1]]
        assert spans[-1].end == layout.line_length


def icao_positions(fmt: MrzFormat, check: str) -> list[tuple[int, int]]:
    """(line, 1-based position) of every character a check covers, from the layout table."""
    spans = {s.name: s for s in field_layout(fmt)}
    covers = LAYOUTS[fmt].check(check).covers
    return [(spans[n].line, p + 1) for n in covers for p in range(spans[n].start, spans[n].end)]


def _range(line: int, first: int, last: int) -> list[tuple[int, int]]:
    return [(line, p) for p in range(first, last + 1)]


def test_composite_positions_are_icao_s() -> None:
    assert icao_positions(MrzFormat.TD1, "composite") == (
        _range(0, 6, 30) + _range(1, 1, 7) + _range(1, 9, 15) + _range(1, 19, 29)
    )
    assert icao_positions(MrzFormat.TD2, "composite") == _range(1, 1, 10) + _range(1, 14, 20) + _range(1, 22, 35)
    assert icao_positions(MrzFormat.TD3, "composite") == _range(1, 1, 10) + _range(1, 14, 20) + _range(1, 22, 43)
    assert icao_positions(MrzFormat.FR_ID_1988, "final") == _range(0, 1, 36) + _range(1, 1, 35)


def test_digit_positions_for_the_reader() -> None:
    kinds = {s.name: s.kind for s in field_layout(MrzFormat.TD3)}
    assert kinds["birth_date"] is FieldKind.DATE and kinds["composite_check"] is FieldKind.CHECK
    assert kinds["document_number"] is FieldKind.ALNUM and kinds["names"] is FieldKind.LETTERS
    spans = {s.name: s for s in field_layout(MrzFormat.TD3)}
    assert spans["names"].checked_by == ()
    assert spans["document_number"].checked_by == ("document_number", "composite")
    assert spans["birth_date_check"].checked_by == ("birth_date", "composite")
