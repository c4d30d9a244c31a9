"""MRZ layouts as data: one table per format, read by the parser and by the OCR reader's correction.

Positions in this module are 0-based with exclusive ends (Python slices); ICAO 9303 counts from 1.
Every line of a layout is covered by its fields exactly once, in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from verification.document.mrz.checkdigit import FILLER, MRZ_ALPHABET


class MrzFormat(StrEnum):
    TD1 = "td1"  # ID cards: 3 lines of 30
    TD2 = "td2"  # 2 lines of 36
    TD3 = "td3"  # passports: 2 lines of 44
    MRVA = "mrva"  # visa, 2 lines of 44
    MRVB = "mrvb"  # visa, 2 lines of 36
    FR_ID_1988 = "fr_id_1988"  # French national ID card 1988-2021: 2 lines of 36, not TD2


class FieldKind(StrEnum):
    LETTERS = "letters"  # A-Z and the filler '<'
    DIGITS = "digits"  # 0-9 only
    DATE = "date"  # YYMMDD: six digits
    ALNUM = "alnum"  # 0-9, A-Z and '<'
    CHECK = "check"  # one check digit 0-9; '<' only where the check's spec allows it
    SEX = "sex"  # M, F, X or '<' (unspecified)


_DIGITS = frozenset("0123456789")
_LETTERS = frozenset(MRZ_ALPHABET - _DIGITS)

ALLOWED_CHARACTERS: Mapping[FieldKind, frozenset[str]] = {
    FieldKind.LETTERS: _LETTERS,
    FieldKind.DIGITS: _DIGITS,
    FieldKind.DATE: _DIGITS,
    FieldKind.ALNUM: MRZ_ALPHABET,
    FieldKind.CHECK: _DIGITS | {FILLER},
    FieldKind.SEX: frozenset("MFX<"),
}


@dataclass(frozen=True)
class FieldSpan:
    """One field of one line. `checked_by` names every check whose verification involves these
    characters: the check the field's digits feed, and for a check-digit field the check it holds."""

    name: str
    line: int
    start: int
    end: int
    kind: FieldKind
    checked_by: tuple[str, ...]


@dataclass(frozen=True)
class CheckSpec:
    """A check digit (at field `digit`) over the concatenation of the fields `covers`, in order."""

    name: str
    covers: tuple[str, ...]
    digit: str
    # TD3 personal number: '<' is an accepted check digit when the covered field is all fillers.
    filler_if_empty: bool = False
    # TD1/TD2: a document number longer than 9 puts '<' at its check digit and continues at the start
    # of this field, up to its first filler; the character before that filler is its check digit.
    continuation: str | None = None


@dataclass(frozen=True)
class MrzLayout:
    format: MrzFormat
    line_count: int
    line_length: int
    fields: tuple[FieldSpan, ...]
    checks: tuple[CheckSpec, ...]

    def field(self, name: str) -> FieldSpan:
        for span in self.fields:
            if span.name == name:
                return span
        raise KeyError(name)

    def check(self, name: str) -> CheckSpec:
        for spec in self.checks:
            if spec.name == name:
                return spec
        raise KeyError(name)


_FieldDef = tuple[str, int, FieldKind]


def _layout(
    fmt: MrzFormat, line_length: int, lines: Sequence[Sequence[_FieldDef]], checks: Sequence[CheckSpec]
) -> MrzLayout:
    """Lays the fields out end to end (so offsets cannot be mistyped) and derives `checked_by`."""
    coverage: dict[str, list[str]] = {}
    for check in checks:
        for name in (*check.covers, check.digit):
            coverage.setdefault(name, []).append(check.name)
    spans = []
    for line_index, field_defs in enumerate(lines):
        start = 0
        for name, width, kind in field_defs:
            spans.append(FieldSpan(name, line_index, start, start + width, kind, tuple(coverage.get(name, ()))))
            start += width
        if start != line_length:
            raise ValueError(f"{fmt} line {line_index + 1} spans {start} characters, not {line_length}")
    names = {span.name for span in spans}
    if len(names) != len(spans) or not set(coverage) <= names:
        raise ValueError(f"{fmt}: duplicate field names or checks over unknown fields")
    return MrzLayout(fmt, len(lines), line_length, tuple(spans), tuple(checks))


_L, _D, _T = FieldKind.LETTERS, FieldKind.DIGITS, FieldKind.DATE
_A, _C, _S = FieldKind.ALNUM, FieldKind.CHECK, FieldKind.SEX

# Line 2 of TD2, TD3 and both visas, up to the optional data.
_LINE2_HEAD: tuple[_FieldDef, ...] = (
    ("document_number", 9, _A),
    ("document_number_check", 1, _C),
    ("nationality", 3, _L),
    ("birth_date", 6, _T),
    ("birth_date_check", 1, _C),
    ("sex", 1, _S),
    ("expiry_date", 6, _T),
    ("expiry_date_check", 1, _C),
)
_DOCUMENT_NUMBER = CheckSpec("document_number", ("document_number",), "document_number_check")
_DOCUMENT_NUMBER_LONG = CheckSpec(
    "document_number", ("document_number",), "document_number_check", continuation="optional_data"
)
_BIRTH_DATE = CheckSpec("birth_date", ("birth_date",), "birth_date_check")
_EXPIRY_DATE = CheckSpec("expiry_date", ("expiry_date",), "expiry_date_check")
# ICAO composite: line 2 positions 1-10, 14-20 and 22 up to the composite digit (TD2 and TD3).
_LINE2_COMPOSITE = (
    "document_number", "document_number_check", "birth_date", "birth_date_check",
    "expiry_date", "expiry_date_check", "optional_data",
)  # fmt: skip


def _visa(fmt: MrzFormat, line_length: int) -> MrzLayout:
    # Visas (ICAO 9303-7) carry no composite check digit and no check over the optional data.
    return _layout(
        fmt,
        line_length,
        (
            (("document_code", 2, _L), ("issuing_state", 3, _L), ("names", line_length - 5, _L)),
            (*_LINE2_HEAD, ("optional_data", line_length - 28, _A)),
        ),
        (_DOCUMENT_NUMBER, _BIRTH_DATE, _EXPIRY_DATE),
    )


LAYOUTS: Mapping[MrzFormat, MrzLayout] = {
    MrzFormat.TD1: _layout(
        MrzFormat.TD1,
        30,
        (
            (
                ("document_code", 2, _L),
                ("issuing_state", 3, _L),
                ("document_number", 9, _A),
                ("document_number_check", 1, _C),
                ("optional_data", 15, _A),
            ),
            (
                ("birth_date", 6, _T),
                ("birth_date_check", 1, _C),
                ("sex", 1, _S),
                ("expiry_date", 6, _T),
                ("expiry_date_check", 1, _C),
                ("nationality", 3, _L),
                ("optional_data_2", 11, _A),
                ("composite_check", 1, _C),
            ),
            (("names", 30, _L),),
        ),
        (
            _DOCUMENT_NUMBER_LONG,
            _BIRTH_DATE,
            _EXPIRY_DATE,
            # Line 1 positions 6-30, line 2 positions 1-7, 9-15 and 19-29.
            CheckSpec(
                "composite",
                (
                    "document_number", "document_number_check", "optional_data", "birth_date",
                    "birth_date_check", "expiry_date", "expiry_date_check", "optional_data_2",
                ),
                "composite_check",
            ),  # fmt: skip
        ),
    ),
    MrzFormat.TD2: _layout(
        MrzFormat.TD2,
        36,
        (
            (("document_code", 2, _L), ("issuing_state", 3, _L), ("names", 31, _L)),
            (*_LINE2_HEAD, ("optional_data", 7, _A), ("composite_check", 1, _C)),
        ),
        (_DOCUMENT_NUMBER_LONG, _BIRTH_DATE, _EXPIRY_DATE, CheckSpec("composite", _LINE2_COMPOSITE, "composite_check")),
    ),
    MrzFormat.TD3: _layout(
        MrzFormat.TD3,
        44,
        (
            (("document_code", 2, _L), ("issuing_state", 3, _L), ("names", 39, _L)),
            (
                *_LINE2_HEAD,
                ("optional_data", 14, _A),
                ("optional_data_check", 1, _C),
                ("composite_check", 1, _C),
            ),
        ),
        (
            _DOCUMENT_NUMBER,
            _BIRTH_DATE,
            _EXPIRY_DATE,
            CheckSpec("optional_data", ("optional_data",), "optional_data_check", filler_if_empty=True),
            CheckSpec("composite", (*_LINE2_COMPOSITE, "optional_data_check"), "composite_check"),
        ),
    ),
    MrzFormat.MRVA: _visa(MrzFormat.MRVA, 44),
    MrzFormat.MRVB: _visa(MrzFormat.MRVB, 36),
    # French ID card 1988-2021. The 12-character card number is YYMM of issue, 3 characters of the
    # issuing department, a 5-digit serial. The final digit covers line 1 and line 2 positions 1-35.
    MrzFormat.FR_ID_1988: _layout(
        MrzFormat.FR_ID_1988,
        36,
        (
            (("document_code", 2, _L), ("issuing_state", 3, _L), ("surname", 25, _L), ("office_code", 6, _A)),
            (
                ("issue_month", 4, _D),
                ("issue_department", 3, _A),
                ("card_serial", 5, _D),
                ("document_number_check", 1, _C),
                ("given_names", 14, _L),
                ("birth_date", 6, _T),
                ("birth_date_check", 1, _C),
                ("sex", 1, _S),
                ("final_check", 1, _C),
            ),
        ),
        (
            CheckSpec("document_number", ("issue_month", "issue_department", "card_serial"), "document_number_check"),
            _BIRTH_DATE,
            CheckSpec(
                "final",
                (
                    "document_code", "issuing_state", "surname", "office_code", "issue_month",
                    "issue_department", "card_serial", "document_number_check", "given_names",
                    "birth_date", "birth_date_check", "sex",
                ),
                "final_check",
            ),  # fmt: skip
        ),
    ),
}


def field_layout(fmt: MrzFormat) -> tuple[FieldSpan, ...]:
    """Every field of `fmt`, line by line, with its character kind and the checks covering it."""
    return LAYOUTS[fmt].fields


def detect_format(lines: Sequence[str]) -> MrzFormat | None:
    """The format implied by the line count and lengths, the visa code 'V' and, for 2x36, the French
    card's 'IDFRA' prefix with digits where TD2 has the nationality. None for any other shape."""
    lengths = {len(line) for line in lines}
    if len(lengths) != 1:
        return None
    length = lengths.pop()
    first = lines[0]
    if len(lines) == 3:
        return MrzFormat.TD1 if length == 30 else None
    if len(lines) != 2:
        return None
    if length == 44:
        return MrzFormat.MRVA if first.startswith("V") else MrzFormat.TD3
    if length == 36:
        if first.startswith("V"):
            return MrzFormat.MRVB
        # French card line 2 positions 11-13 are card serial digits and its check digit; TD2 has letters.
        if first.startswith("IDFRA") and any(c in _DIGITS for c in lines[1][10:13]):
            return MrzFormat.FR_ID_1988
        return MrzFormat.TD2
    return None
