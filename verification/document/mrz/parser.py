"""ICAO 9303 MRZ parsing and validation: TD1, TD2, TD3, MRV-A, MRV-B and the French 1988-2021 ID card.

`parse_mrz` reports, it never repairs: OCR candidate correction belongs to the reader, which calls this
on every candidate (so it stays cheap: tables built at import, no regular expressions). A result is
valid only when the format is known, every check digit and date holds, every field holds only the
characters its type allows (letters in names and country codes, digits in dates and check digits), the
states and nationality are ICAO codes and the document code names a kind of document.

What that catches, precisely: ICAO weights 7, 3 and 1 are invertible mod 10, so one substituted
character changes every check digit over it unless old and new values agree mod 10 (0/A/K/U/<,
1/B/L/V, 2/C/M/W, 3/D/N/X, 4/E/O/Y, 5/F/P/Z, 6/G/Q, 7/H/R, 8/I/S, 9/J/T), in which case no check digit
sees it. The type rules reject such a swap where the field is digit-only; what remains undetectable is
a swap within one class inside an alphanumeric or letter field (document numbers, optional data, the
French card's names under its final digit), and '0' <-> '<' at a check digit where '<' is allowed.
tests/verification/test_mrz_properties.py states and tests this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from verification.document.mrz.checkdigit import FILLER, MRZ_ALPHABET, check_digit
from verification.document.mrz.codes import is_state_code
from verification.document.mrz.dates import (
    FRENCH_CARD_ISSUED_FROM,
    FRENCH_CARD_ISSUED_UNTIL,
    DateFault,
    expiry_date,
    french_card_validity,
    issue_month,
    past_date,
)
from verification.document.mrz.fields import MrzFields, given_names, name_part, sex_code, split_names, strip_fillers
from verification.document.mrz.formats import (
    ALLOWED_CHARACTERS,
    LAYOUTS,
    CheckSpec,
    FieldKind,
    FieldSpan,
    MrzFormat,
    MrzLayout,
    detect_format,
    field_layout,
)

__all__ = [
    "FieldKind",
    "FieldSpan",
    "MrzCheck",
    "MrzFields",
    "MrzFormat",
    "MrzProblem",
    "MrzResult",
    "detect_format",
    "field_layout",
    "french_card_validity",
    "parse_mrz",
]


class MrzProblem(StrEnum):
    """Stable problem codes. FIELD_TYPE is reported as "field_type:<field name>"."""

    UNKNOWN_FORMAT = "unknown_format"
    INVALID_CHARACTERS = "invalid_characters"  # a character outside 0-9, A-Z and '<'
    FIELD_TYPE = "field_type"  # an MRZ character the field's kind does not allow
    UNKNOWN_CODE = "unknown_code"  # "unknown_code:<field>": a state or nationality not in ICAO's list
    DOCUMENT_CODE = "invalid_document_code"  # not A, C, I, P or V followed by a letter or a filler
    # French card: the card number's YYMM is no month, or one outside the model's issuing years.
    INVALID_ISSUE_DATE = "invalid_issue_date"


CHECK_DIGIT_MISMATCH = "mismatch"
DATE_PATTERN = "YYMMDD"


@dataclass(frozen=True)
class MrzCheck:
    """One check digit (name as in the layout: "document_number", "composite", "final", ...) or one
    date's validity ("birth_date_value", "expiry_date_value"). `reason` is "" when valid, else
    "mismatch" for a check digit or a `DateFault` value for a date."""

    name: str
    valid: bool
    expected: str
    found: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "valid": self.valid,
            "expected": self.expected,
            "found": self.found,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class MrzResult:
    format: MrzFormat | None
    lines: tuple[str, ...]
    fields: MrzFields | None
    checks: tuple[MrzCheck, ...]
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        known = self.format is not None and self.fields is not None
        return known and not self.problems and all(c.valid for c in self.checks)

    @property
    def failed_checks(self) -> tuple[MrzCheck, ...]:
        return tuple(c for c in self.checks if not c.valid)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": None if self.format is None else str(self.format),
            "valid": self.valid,
            "lines": list(self.lines),
            "fields": None if self.fields is None else self.fields.to_dict(),
            "checks": [c.to_dict() for c in self.checks],
            "problems": list(self.problems),
        }


def _read(layout: MrzLayout, lines: tuple[str, ...]) -> dict[str, str]:
    return {span.name: lines[span.line][span.start : span.end] for span in layout.fields}


def _digit_check(name: str, data: str, found: str, filler_if_empty: bool = False) -> MrzCheck:
    expected = check_digit(data)
    valid = found == expected or (filler_if_empty and found == FILLER and not strip_fillers(data))
    return MrzCheck(name, valid, expected, found, "" if valid else CHECK_DIGIT_MISMATCH)


def _long_document_number(spec: CheckSpec, raw: dict[str, str]) -> tuple[str, str, str] | None:
    """(full number, its check digit, optional data left after it) for a TD1/TD2 number over 9."""
    if spec.continuation is None or raw[spec.digit] != FILLER:
        return None
    head = raw[spec.covers[0]]
    tail = raw[spec.continuation]
    run = tail.partition(FILLER)[0]
    if FILLER in head or len(run) < 2:
        return None
    return head + run[:-1], run[-1], tail[len(run) :]


def _check_digits(layout: MrzLayout, raw: dict[str, str]) -> tuple[list[MrzCheck], str, str]:
    """Every check digit of the layout, with the document number and the optional data they imply
    (both move when a TD1/TD2 document number continues into the optional data)."""
    checks = []
    document_number = "".join(raw[name] for name in layout.check("document_number").covers)
    optional_data = raw.get("optional_data", "")
    for spec in layout.checks:
        long_number = _long_document_number(spec, raw)
        if long_number is not None:
            document_number, found, optional_data = long_number
            checks.append(_digit_check(spec.name, document_number, found))
        else:
            data = "".join(raw[name] for name in spec.covers)
            checks.append(_digit_check(spec.name, data, raw[spec.digit], spec.filler_if_empty))
    return checks, document_number, optional_data


def _date_check(name: str, text: str, value: date | DateFault) -> tuple[MrzCheck, date | None]:
    if isinstance(value, DateFault):
        return MrzCheck(name, False, DATE_PATTERN, text, str(value)), None
    return MrzCheck(name, True, DATE_PATTERN, text), value


def _french_issue_date(raw: dict[str, str], today: date) -> date | None:
    """The French card's month of issue; None unless a real month within the model's issuing years."""
    issued = issue_month(raw["issue_month"], today)
    if isinstance(issued, DateFault) or not FRENCH_CARD_ISSUED_FROM <= issued <= FRENCH_CARD_ISSUED_UNTIL:
        return None
    return issued


def _type_problems(layout: MrzLayout, raw: dict[str, str]) -> list[str]:
    # Check digits and dates have their own checks, which already fail on a wrong character.
    return [
        f"{MrzProblem.FIELD_TYPE}:{span.name}"
        for span in layout.fields
        if span.kind not in (FieldKind.CHECK, FieldKind.DATE)
        and not ALLOWED_CHARACTERS[span.kind].issuperset(raw[span.name])
    ]


# ICAO 9303-3 §4.2.2: the first character of the document code says the kind of document.
DOCUMENT_KINDS = frozenset("ACIPV")


def _code_problems(raw: dict[str, str]) -> list[str]:
    """Codes with a meaning of their own: the states against ICAO's list, the document code's kind."""
    # A nationality left blank (fillers only, seen on real cards) is absent, not an unknown code.
    problems = [f"{MrzProblem.UNKNOWN_CODE}:{name}" for name in ("issuing_state", "nationality")
                if name in raw and not is_state_code(raw[name])
                and not (name == "nationality" and not strip_fillers(raw[name]))]
    if raw["document_code"][:1] not in DOCUMENT_KINDS:
        problems.append(MrzProblem.DOCUMENT_CODE)
    return problems


def _decode(
    raw: dict[str, str], document_number: str, optional_data: str, dates: dict[str, date | None]
) -> MrzFields:
    if "names" in raw:
        surname, given = split_names(raw["names"])
    else:
        surname, given = name_part(raw["surname"]), given_names(raw["given_names"])
    nationality = raw.get("nationality")
    return MrzFields(
        document_code=strip_fillers(raw["document_code"]),
        issuing_state=strip_fillers(raw["issuing_state"]),
        surname=surname,
        given_names=given,
        document_number=strip_fillers(document_number),
        nationality=None if nationality is None else strip_fillers(nationality),
        birth_date=dates.get("birth_date"),
        sex=sex_code(raw["sex"]),
        expiry_date=dates.get("expiry_date"),
        optional_data=strip_fillers(optional_data),
        optional_data_2=strip_fillers(raw.get("optional_data_2", "")),
        issue_date=dates.get("issue_date"),
        office_code=raw.get("office_code"),
        raw=tuple(raw.items()),
    )


def parse_mrz(lines: Sequence[str] | str, *, today: date | None = None) -> MrzResult:
    """Parse and validate an MRZ given as its lines (a single string is split at line breaks).

    Never raises on bad input and never corrects it: an unknown shape gives format None and problem
    "unknown_format", characters outside the MRZ alphabet give "invalid_characters". `today` anchors
    the century of two-digit years (see verification.document.mrz.dates); default date.today().
    """
    reference = today or date.today()
    if isinstance(lines, str):
        lines = lines.splitlines()
    text = tuple(lines)
    if not all(isinstance(line, str) for line in text):
        return MrzResult(None, (), None, (), (MrzProblem.UNKNOWN_FORMAT,))
    fmt = detect_format(text)
    if not all(MRZ_ALPHABET.issuperset(line) for line in text):
        return MrzResult(fmt, text, None, (), (MrzProblem.INVALID_CHARACTERS,))
    if fmt is None:
        return MrzResult(None, text, None, (), (MrzProblem.UNKNOWN_FORMAT,))

    layout = LAYOUTS[fmt]
    raw = _read(layout, text)
    problems = _type_problems(layout, raw) + _code_problems(raw)
    checks, document_number, optional_data = _check_digits(layout, raw)
    dates: dict[str, date | None] = {}
    for name, resolve in (("birth_date", past_date), ("expiry_date", expiry_date)):
        if name in raw:
            check, dates[name] = _date_check(f"{name}_value", raw[name], resolve(raw[name], reference))
            checks.append(check)
    if "issue_month" in raw:
        dates["issue_date"] = _french_issue_date(raw, reference)
        if dates["issue_date"] is None:
            problems.append(MrzProblem.INVALID_ISSUE_DATE)
    fields = _decode(raw, document_number, optional_data, dates)
    return MrzResult(fmt, text, fields, tuple(checks), tuple(str(p) for p in problems))
