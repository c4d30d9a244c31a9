"""The data an MRZ carries, decoded: names split, fillers stripped, dates resolved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from verification.document.mrz.checkdigit import FILLER

NAME_SEPARATOR = FILLER * 2
_SEX = {"M": "M", "F": "F", "X": "X", FILLER: "X"}


def strip_fillers(text: str) -> str:
    return text.strip(FILLER)


def name_part(text: str) -> str:
    """One name component: fillers at the ends dropped, a single filler inside read as a space."""
    return strip_fillers(text).replace(FILLER, " ")


def given_names(text: str) -> tuple[str, ...]:
    """Given names separated by '<<' (components joined by a single '<' stay one name, with spaces)."""
    return tuple(part for part in (name_part(p) for p in text.split(NAME_SEPARATOR)) if part)


def split_names(text: str) -> tuple[str, tuple[str, ...]]:
    """An ICAO name field: the primary identifier (surname) up to the first '<<', then the given names."""
    surname, _, rest = strip_fillers(text).partition(NAME_SEPARATOR)
    return name_part(surname), given_names(rest)


def sex_code(text: str) -> str:
    """'M', 'F', or 'X' for unspecified ('X' or '<'); any other character is returned as read."""
    return _SEX.get(text, text)


@dataclass(frozen=True)
class MrzFields:
    """Decoded MRZ data. Fields a format does not carry are None (expiry and nationality on the French
    1988 card, issue date and office code elsewhere). `raw` keeps every field exactly as read, check
    digits included, in layout order."""

    document_code: str
    issuing_state: str
    surname: str
    given_names: tuple[str, ...]
    document_number: str
    nationality: str | None
    birth_date: date | None
    sex: str
    expiry_date: date | None
    optional_data: str
    optional_data_2: str
    issue_date: date | None
    office_code: str | None
    raw: tuple[tuple[str, str], ...]

    def raw_field(self, name: str) -> str:
        return dict(self.raw)[name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "document_code": self.document_code,
            "issuing_state": self.issuing_state,
            "surname": self.surname,
            "given_names": list(self.given_names),
            "document_number": self.document_number,
            "nationality": self.nationality,
            "birth_date": _iso(self.birth_date),
            "sex": self.sex,
            "expiry_date": _iso(self.expiry_date),
            "optional_data": self.optional_data,
            "optional_data_2": self.optional_data_2,
            "issue_date": _iso(self.issue_date),
            "office_code": self.office_code,
            "raw": dict(self.raw),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MrzFields:
        """The fields back from their stored form (to_dict), for the steps that run after the reading."""
        return cls(
            document_code=data["document_code"],
            issuing_state=data["issuing_state"],
            surname=data["surname"],
            given_names=tuple(data["given_names"]),
            document_number=data["document_number"],
            nationality=data.get("nationality"),
            birth_date=_day(data.get("birth_date")),
            sex=data["sex"],
            expiry_date=_day(data.get("expiry_date")),
            optional_data=data.get("optional_data", ""),
            optional_data_2=data.get("optional_data_2", ""),
            issue_date=_day(data.get("issue_date")),
            office_code=data.get("office_code"),
            raw=tuple((str(name), str(value)) for name, value in (data.get("raw") or {}).items()),
        )


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
