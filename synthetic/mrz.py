"""Composing machine-readable zones (ICAO 9303 TD1/TD3, French 1988 card) and breaking them on purpose.

Each format is described once as a layout of check-digit fields (data slices -> check position); composing
fills every check from it and `break_mrz` uses the same table to damage exactly one of them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from synthetic.identities import DocumentKind, SyntheticPerson
from verification.document.mrz.checkdigit import char_value, check_digit

Defect = Literal[
    "document_number_check", "birth_date_check", "expiry_date_check", "composite_check", "document_number_digit",
]
DEFECTS: tuple[Defect, ...] = (
    "document_number_check", "birth_date_check", "expiry_date_check", "composite_check", "document_number_digit",
)

Slice = tuple[int, int, int]  # (line index, start, stop)


@dataclass(frozen=True)
class CheckField:
    data: tuple[Slice, ...]
    check: tuple[int, int]  # (line index, position)


@dataclass(frozen=True)
class MrzLayout:
    line_length: int
    line_count: int
    checks: dict[str, CheckField]  # "composite" last: it covers the other check digits


TD3_LAYOUT = MrzLayout(44, 2, {
    "document_number": CheckField(((1, 0, 9),), (1, 9)),
    "birth_date": CheckField(((1, 13, 19),), (1, 19)),
    "expiry_date": CheckField(((1, 21, 27),), (1, 27)),
    "personal_number": CheckField(((1, 28, 42),), (1, 42)),
    "composite": CheckField(((1, 0, 10), (1, 13, 20), (1, 21, 43)), (1, 43)),
})
TD1_LAYOUT = MrzLayout(30, 3, {
    "document_number": CheckField(((0, 5, 14),), (0, 14)),
    "birth_date": CheckField(((1, 0, 6),), (1, 6)),
    "expiry_date": CheckField(((1, 8, 14),), (1, 14)),
    "composite": CheckField(((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)), (1, 29)),
})
# French national ID card 1988-2021: 2 x 36, no expiry date; the final digit covers both lines.
FR88_LAYOUT = MrzLayout(36, 2, {
    "document_number": CheckField(((1, 0, 12),), (1, 12)),
    "birth_date": CheckField(((1, 27, 33),), (1, 33)),
    "composite": CheckField(((0, 0, 36), (1, 0, 35)), (1, 35)),
})
LAYOUTS: dict[DocumentKind, MrzLayout] = {
    DocumentKind.TD3_PASSPORT: TD3_LAYOUT,
    DocumentKind.TD1_ID_CARD: TD1_LAYOUT,
    DocumentKind.TD1_RESIDENCE_PERMIT: TD1_LAYOUT,
    DocumentKind.FR_ID_1988: FR88_LAYOUT,
}
_DOCUMENT_CODES = {
    DocumentKind.TD3_PASSPORT: "P<",
    DocumentKind.TD1_ID_CARD: "ID",
    DocumentKind.TD1_RESIDENCE_PERMIT: "IR",
    DocumentKind.FR_ID_1988: "ID",
}
# Letters NFKD does not decompose into A-Z plus a mark.
_LIGATURES = {"ß": "SS", "Æ": "AE", "Ø": "OE", "Œ": "OE", "Đ": "D", "Ł": "L", "Þ": "TH"}


def mrz_name(text: str) -> str:
    """Transliterate to MRZ characters: upper case, diacritics dropped, apostrophes removed, spaces and
    hyphens as '<' (the French issuing practice)."""
    upper = text.upper()
    upper = "".join(_LIGATURES.get(c, c) for c in upper)
    plain = "".join(c for c in unicodedata.normalize("NFKD", upper) if not unicodedata.combining(c))
    plain = plain.replace("'", "").replace("’", "")
    return "".join(c if "A" <= c <= "Z" else "<" for c in plain)


def compose_mrz(person: SyntheticPerson) -> tuple[str, ...]:
    """The MRZ lines of `person`'s document, every check digit valid."""
    kind = person.document_kind
    lines: tuple[str, ...]
    if kind is DocumentKind.FR_ID_1988:
        lines = _fr88_lines(person)
    elif kind is DocumentKind.TD3_PASSPORT:
        lines = _td3_lines(person)
    else:
        lines = _td1_lines(person, _DOCUMENT_CODES[kind])
    return _fill_checks(lines, LAYOUTS[kind].checks)


def layout_of(lines: tuple[str, ...]) -> MrzLayout:
    shape = (len(lines), len(lines[0]))
    for layout in (TD3_LAYOUT, TD1_LAYOUT, FR88_LAYOUT):
        if (layout.line_count, layout.line_length) == shape and all(len(line) == shape[1] for line in lines):
            return layout
    raise ValueError(f"unknown MRZ shape {len(lines)} x {[len(line) for line in lines]}")


def break_mrz(lines: tuple[str, ...], what: Defect) -> tuple[str, ...]:
    """`lines` with exactly one failing check.

    `*_check` replaces that check digit by a wrong one; `document_number_digit` alters one character of
    the number and keeps its check digit (a tampered or misprinted number). The composite digit is
    recomputed afterwards (except for `composite_check` itself), so only the named check fails.
    """
    layout = layout_of(lines)
    rows = [list(line) for line in lines]
    field = _field_of(what)
    if field not in layout.checks:
        raise ValueError(f"{what} does not apply to a {layout.line_count}x{layout.line_length} MRZ")
    check = layout.checks[field]
    if what == "document_number_digit":
        line, start, stop = check.data[0]
        position = next(i for i in range(start, stop) if rows[line][i] != "<")
        rows[line][position] = _substitute(rows[line][position])
    else:
        line, position = check.check
        rows[line][position] = _substitute(rows[line][position])
    damaged = tuple("".join(row) for row in rows)
    if field == "composite":
        return damaged
    return _fill_checks(damaged, {"composite": layout.checks["composite"]})


def applicable_defects(kind: DocumentKind) -> tuple[Defect, ...]:
    """The defects `break_mrz` can introduce into an MRZ of `kind` (the 1988 card has no expiry date)."""
    return tuple(d for d in DEFECTS if _field_of(d) in LAYOUTS[kind].checks)


def _field_of(defect: Defect) -> str:
    return "composite" if defect == "composite_check" else defect.removesuffix("_check").removesuffix("_digit")


def failing_checks(lines: tuple[str, ...]) -> tuple[str, ...]:
    """Names of the check-digit fields of `lines` that do not hold."""
    layout = layout_of(lines)
    return tuple(name for name, field in layout.checks.items()
                 if check_digit(_gather(lines, field)) != lines[field.check[0]][field.check[1]])


def _fill_checks(lines: tuple[str, ...], fields: dict[str, CheckField]) -> tuple[str, ...]:
    rows = [list(line) for line in lines]
    for field in fields.values():
        rows[field.check[0]][field.check[1]] = check_digit(_gather(tuple("".join(r) for r in rows), field))
    return tuple("".join(row) for row in rows)


def _substitute(char: str) -> str:
    """A digit whose check value differs from `char`'s modulo 10: with weights 7, 3, 1 (all prime to 10)
    the substitution then always changes the check digit it contributes to."""
    return next(d for d in "5381" if (char_value(d) - char_value(char)) % 10)


def _gather(lines: tuple[str, ...], field: CheckField) -> str:
    return "".join(lines[line][start:stop] for line, start, stop in field.data)


def _pad(text: str, width: int) -> str:
    return text[:width].ljust(width, "<")


def _names(person: SyntheticPerson, width: int) -> str:
    surname = mrz_name(person.surname)
    given = "<".join(mrz_name(g) for g in person.given_names)
    return _pad(f"{surname}<<{given}", width)


def _yymmdd(day: date) -> str:
    return f"{day:%y%m%d}"


def _td3_lines(person: SyntheticPerson) -> tuple[str, str]:
    line1 = _pad(f"P<{person.issuing_state}", 5) + _names(person, 39)
    line2 = (_pad(person.document_number, 9) + "0" + person.nationality + _yymmdd(person.birth_date) + "0"
             + person.sex.value + _yymmdd(person.expiry_date) + "0" + "<" * 14 + "0" + "0")
    return line1, line2


def _td1_lines(person: SyntheticPerson, code: str) -> tuple[str, str, str]:
    line1 = _pad(code + person.issuing_state + _pad(person.document_number, 9) + "0", 30)
    line2 = (_yymmdd(person.birth_date) + "0" + person.sex.value + _yymmdd(person.expiry_date) + "0"
             + person.nationality + "<" * 11 + "0")
    return line1, line2, _names(person, 30)


def _fr88_lines(person: SyntheticPerson) -> tuple[str, str]:
    # Line 1 ends with the issuing department (3) and office (3) codes; the number embeds the department.
    department = person.document_number[4:7]
    line1 = "IDFRA" + _pad(mrz_name(person.surname), 25) + department + "001"
    given = _pad("<<".join(mrz_name(g) for g in person.given_names), 14)
    line2 = (person.document_number + "0" + given + _yymmdd(person.birth_date) + "0" + person.sex.value + "0")
    return line1, line2
