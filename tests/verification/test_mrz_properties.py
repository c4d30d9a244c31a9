"""Property tests: valid MRZs of every format, then one substituted character.

The guarantee, stated precisely. ICAO weights 7, 3 and 1 are all invertible mod 10, so replacing one
character of value a by one of value b changes every check digit computed over it unless
a = b (mod 10); and when a = b (mod 10) no check digit can see it, whatever its weight. Hence:

  After one substitution old -> new at a position covered by a check digit, the MRZ can still parse as
  valid only if value(old) = value(new) mod 10 AND `new` is a character that position's field type
  allows (digits for dates, numeric parts and check digits; letters or '<' for names and codes).

The residual class, which no MRZ validator can detect, is therefore: substitutions within one of the
classes {0 A K U <} {1 B L V} {2 C M W} {3 D N X} {4 E O Y} {5 F P Z} {6 G Q} {7 H R} {8 I S} {9 J T}
inside an alphanumeric field (document numbers, optional data), a letter field covered by a check
(the French card's names, codes and office code, under its final digit), and '0' <-> '<' at a check
digit where '<' is allowed (TD3 empty personal number, TD1/TD2 long document number). Digit-only
fields have no residual: two distinct digits never agree mod 10.
"""

from __future__ import annotations

import json
import string
from datetime import date

import pycountry
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from verification.document.mrz.checkdigit import char_value, check_digit
from verification.document.mrz.formats import LAYOUTS, FieldKind, FieldSpan, MrzFormat, field_layout
from verification.document.mrz.parser import parse_mrz

TODAY = date(2026, 11, 23)
ALPHABET = string.digits + string.ascii_uppercase + "<"
LETTERS = string.ascii_uppercase + "<"
# What each field kind may hold, restated here rather than imported from the code under test.
ALLOWED = {
    FieldKind.LETTERS: set(LETTERS),
    FieldKind.DIGITS: set(string.digits),
    FieldKind.DATE: set(string.digits),
    FieldKind.ALNUM: set(ALPHABET),
    FieldKind.CHECK: set(string.digits + "<"),
    FieldKind.SEX: set("MFX<"),
}
DOCUMENT_CODES = {
    MrzFormat.TD1: st.sampled_from(["I<", "ID", "IR", "AC", "C<"]),
    MrzFormat.TD2: st.sampled_from(["I<", "ID", "AC", "P<"]),
    MrzFormat.TD3: st.sampled_from(["P<", "PD", "PO"]),
    MrzFormat.MRVA: st.sampled_from(["V<", "VD", "VN"]),
    MrzFormat.MRVB: st.sampled_from(["V<", "VD", "VN"]),
    MrzFormat.FR_ID_1988: st.just("ID"),
}
# Issuing states and nationalities: known codes (ICAO 9303-3 §5), restated here; ICAO's Germany is "D<<".
STATES = st.sampled_from(["FRA", "DEU", "D<<", "GBR", "ESP", "ITA", "NLD", "UTO", "XXA", "UNO", "EUE"])
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def yymmdd(day: date) -> str:
    return day.strftime("%y%m%d")


def text(alphabet: str, width: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=width, max_size=width)


@st.composite
def field_values(draw: st.DrawFn, fmt: MrzFormat) -> dict[str, str]:
    """Random content for every non-check field of `fmt`, each of its kind and within date ranges."""
    values: dict[str, str] = {}
    for span in field_layout(fmt):
        width = span.end - span.start
        if span.kind is FieldKind.CHECK:
            continue
        if span.name == "document_code":
            values[span.name] = draw(DOCUMENT_CODES[fmt])
        elif span.name == "issuing_state" and fmt is MrzFormat.FR_ID_1988:
            values[span.name] = "FRA"
        elif span.name in ("issuing_state", "nationality"):
            values[span.name] = draw(STATES)
        elif span.name == "birth_date":
            values[span.name] = yymmdd(draw(st.dates(date(TODAY.year - 99, 1, 1), TODAY)))
        elif span.name == "expiry_date":
            values[span.name] = yymmdd(draw(st.dates(date(TODAY.year - 79, 1, 1), date(TODAY.year + 20, 12, 31))))
        elif span.name == "issue_month":
            values[span.name] = draw(st.dates(date(1988, 1, 1), date(2021, 12, 31))).strftime("%y%m")
        elif span.kind is FieldKind.SEX:
            values[span.name] = draw(st.sampled_from("MF<"))
        else:
            alphabet = {FieldKind.LETTERS: LETTERS, FieldKind.DIGITS: string.digits, FieldKind.ALNUM: ALPHABET}
            values[span.name] = draw(text(alphabet[span.kind], width))
    return values


def compose(fmt: MrzFormat, values: dict[str, str], filler_checks: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The MRZ lines, every check digit computed in table order (the composite, last, covers the others).
    Checks named in `filler_checks` get '<' instead (for those that accept it)."""
    layout = LAYOUTS[fmt]
    values = dict(values)
    for spec in layout.checks:
        data = "".join(values[name] for name in spec.covers)
        values[spec.digit] = "<" if spec.name in filler_checks else check_digit(data)
    lines = [""] * layout.line_count
    for span in layout.fields:
        lines[span.line] += values[span.name]
    return tuple(lines)


@st.composite
def valid_mrz(draw: st.DrawFn, fmt: MrzFormat) -> tuple[str, ...]:
    values = draw(field_values(fmt))
    filler_checks: set[str] = set()
    if fmt is MrzFormat.TD3 and draw(st.booleans()):  # an empty personal number, its check '<' or '0'
        values["optional_data"] = "<" * 14
        if draw(st.booleans()):
            filler_checks.add("optional_data")
    if fmt in (MrzFormat.TD1, MrzFormat.TD2) and draw(st.booleans()):
        values.update(draw(long_document_number(fmt)))
        filler_checks.add("document_number")
    return compose(fmt, values, frozenset(filler_checks))


@st.composite
def long_document_number(draw: st.DrawFn, fmt: MrzFormat) -> dict[str, str]:
    """A document number over 9 characters (its check digit position then holds '<'): the rest and its
    check digit open the optional data, followed by a filler (when room is left) and free data."""
    optional_width = LAYOUTS[fmt].field("optional_data").end - LAYOUTS[fmt].field("optional_data").start
    solid = ALPHABET[:-1]
    number = draw(text(solid, 9)) + draw(st.text(alphabet=solid, min_size=1, max_size=optional_width - 1))
    rest = number[9:] + check_digit(number)
    if len(rest) < optional_width:
        rest += "<" + draw(text(ALPHABET, optional_width - len(rest) - 1))
    return {"document_number": number[:9], "optional_data": rest}


def substitute(lines: tuple[str, ...], span: FieldSpan, offset: int, char: str) -> tuple[tuple[str, ...], str]:
    line = lines[span.line]
    position = span.start + offset
    return (*lines[: span.line], line[:position] + char + line[position + 1 :], *lines[span.line + 1 :]), line[position]


def twins(char: str) -> list[str]:
    return [c for c in ALPHABET if c != char and (char_value(c) - char_value(char)) % 10 == 0]


def undetectable(kind: FieldKind, old: str, new: str) -> bool:
    return (char_value(old) - char_value(new)) % 10 == 0 and new in ALLOWED[kind]


FORMATS = st.sampled_from(list(MrzFormat))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_check_digit_matches_the_icao_definition(data: str) -> None:
    def value(char: str) -> int:
        return 0 if char == "<" else int(char) if char.isdigit() else ord(char) - ord("A") + 10

    assert check_digit(data) == str(sum(value(c) * (7, 3, 1)[i % 3] for i, c in enumerate(data)) % 10)


@SETTINGS
@given(st.data())
def test_generated_mrz_is_valid_and_reads_back(data: st.DataObject) -> None:
    fmt = data.draw(FORMATS)
    lines = data.draw(valid_mrz(fmt))
    result = parse_mrz(lines, today=TODAY)
    assert result.format is fmt
    assert result.valid, (lines, result.failed_checks, result.problems)
    assert result.to_dict()["fields"]["birth_date"] is not None


@SETTINGS
@given(st.data())
def test_one_substitution_under_a_check_digit_is_caught_unless_residual(data: st.DataObject) -> None:
    fmt = data.draw(FORMATS)
    lines = data.draw(valid_mrz(fmt))
    covered = [span for span in field_layout(fmt) if span.checked_by]
    span = data.draw(st.sampled_from(covered))
    offset = data.draw(st.integers(0, span.end - span.start - 1))
    old = lines[span.line][span.start + offset]
    # Half the draws among the old character's twins mod 10, the only ones a check digit cannot see.
    new = data.draw(st.sampled_from(ALPHABET) | st.sampled_from(twins(old)))
    assume(new != old)
    mutated, _ = substitute(lines, span, offset, new)
    result = parse_mrz(mutated, today=TODAY)
    if result.valid:
        assert undetectable(span.kind, old, new), (fmt, span.name, old, new, mutated)


@SETTINGS
@given(st.data())
def test_wrong_character_kind_anywhere_is_never_valid(data: st.DataObject) -> None:
    """Covered or not by a check digit (names in TD3 are not), a character the field's type forbids
    makes the MRZ invalid."""
    fmt = data.draw(FORMATS)
    lines = data.draw(valid_mrz(fmt))
    span = data.draw(st.sampled_from([s for s in field_layout(fmt) if s.kind is not FieldKind.ALNUM]))
    offset = data.draw(st.integers(0, span.end - span.start - 1))
    new = data.draw(st.sampled_from(sorted(set(ALPHABET) - ALLOWED[span.kind])))
    mutated, _ = substitute(lines, span, offset, new)
    assert not parse_mrz(mutated, today=TODAY).valid


@SETTINGS
@given(st.data())
def test_residual_class_is_real_in_document_numbers(data: st.DataObject) -> None:
    """The residual class is not a test artefact: in a TD3 document number it passes every check."""
    lines = data.draw(valid_mrz(MrzFormat.TD3))
    span = LAYOUTS[MrzFormat.TD3].field("document_number")
    offset = data.draw(st.integers(0, 8))
    old = lines[1][span.start + offset]
    mutated, _ = substitute(lines, span, offset, data.draw(st.sampled_from(twins(old))))
    assert parse_mrz(mutated, today=TODAY).valid


@SETTINGS
@given(st.data())
def test_unknown_state_or_nationality_is_never_valid(data: st.DataObject) -> None:
    """No check digit covers the issuing state or the nationality: a misread FRA as FBB must still fail."""
    fmt = data.draw(FORMATS.filter(lambda f: f is not MrzFormat.FR_ID_1988))
    lines = data.draw(valid_mrz(fmt))
    span = data.draw(st.sampled_from([s for s in field_layout(fmt) if s.name in ("issuing_state", "nationality")]))
    code = data.draw(text(string.ascii_uppercase, 3).filter(lambda c: c not in KNOWN_THREE_LETTER_CODES))
    mutated = lines
    for offset, char in enumerate(code):
        mutated, _ = substitute(mutated, span, offset, char)
    result = parse_mrz(mutated, today=TODAY)
    assert not result.valid
    assert f"unknown_code:{span.name}" in result.problems


# A few three-letter strings that are codes (so the generator above avoids them); the rest of A-Z^3 is
# overwhelmingly not, and pycountry's list is what the parser uses.
KNOWN_THREE_LETTER_CODES = frozenset(country.alpha_3 for country in pycountry.countries) | {
    "GBD", "GBN", "GBO", "GBP", "GBS", "UNO", "UNA", "UNK", "XBA", "XIM", "XCC", "XCE", "XCO", "XEC", "XPO",
    "XES", "XMP", "XOM", "XDC", "XXA", "XXB", "XXC", "XXX", "EUE", "RKS", "UTO"}


@SETTINGS
@given(st.data())
def test_document_code_names_a_kind_of_document(data: st.DataObject) -> None:
    fmt = data.draw(FORMATS)
    lines = data.draw(valid_mrz(fmt))
    span = LAYOUTS[fmt].field("document_code")
    mutated, _ = substitute(lines, span, 0, data.draw(st.sampled_from("BDEFGHJKLMNOQRSTUWXYZ")))
    assert not parse_mrz(mutated, today=TODAY).valid


NEAR_MRZ_LINE = st.sampled_from([30, 36, 44]).flatmap(lambda width: text(ALPHABET + "a «", width))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=50), NEAR_MRZ_LINE), max_size=4))
def test_garbage_never_raises(lines: list[str]) -> None:
    result = parse_mrz(lines, today=TODAY)
    assert result.fields is not None or result.problems in (("unknown_format",), ("invalid_characters",))
    assert isinstance(json.dumps(result.to_dict()), str)
