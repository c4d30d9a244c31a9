"""The identity fields a document check delivers, each with where it comes from and whether it is confirmed.

A check digit that holds is not a confirmed field: one misread in ten passes it by chance, and look-alike
swaps (B/8, D/0) inside an alphanumeric field can leave it unchanged. A field is confirmed only by
independent sources that agree:
- `mrz`: its check digits hold (where it has any) and independent readings (OCR models that misread
  different characters) read it alike, with no look-alike character settled by the check digit alone;
- `viz`: read in the visual inspection zone, alike by two independent passes (fields the MRZ does not
  carry: the birth place, the names with their diacritics and apostrophes);
- `mrz+viz`: the MRZ and the visual zone agree after RNIV normalisation;
- `reviewer`: a human operator confirmed or corrected it, looking at the document;
- `unconfirmed`: none of the above; `reason` says why. An unconfirmed field is never delivered.

Values travel as JSON: text, dates in ISO form, given names as a list.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

FieldValue = str | tuple[str, ...]


class FieldSource(StrEnum):
    MRZ = "mrz"
    VIZ = "viz"
    MRZ_VIZ = "mrz+viz"
    REVIEWER = "reviewer"
    UNCONFIRMED = "unconfirmed"


class FieldName(StrEnum):
    """The identity and document fields a check may report (names as in MrzFields where both exist)."""

    SURNAME = "surname"  # the birth name
    GIVEN_NAMES = "given_names"
    BIRTH_DATE = "birth_date"
    SEX = "sex"
    BIRTH_PLACE = "birth_place"  # as printed
    BIRTH_PLACE_CODE = "birth_place_code"  # INSEE code (commune, or 99xxx for a country)
    NATIONALITY = "nationality"
    DOCUMENT_CODE = "document_code"
    DOCUMENT_NUMBER = "document_number"
    ISSUING_STATE = "issuing_state"
    EXPIRY_DATE = "expiry_date"
    ISSUE_DATE = "issue_date"


class UnconfirmedReason(StrEnum):
    """Why a field is not confirmed (reported in the check as "field_unconfirmed:<field>" and per field)."""

    NOT_READ = "not_read"  # no source gave it
    SINGLE_READING = "single_reading"  # one reading, or readings that share their misreadings
    LOOKALIKE = "lookalike_ambiguous"  # a look-alike character settled by a check digit alone
    UNCHECKED = "mrz_unchecked"  # names no check digit covers, read alike by the MRZ's models only
    READING_INVALID = "reading_invalid"  # the MRZ fails its checks
    ZONES_DISAGREE = "mrz_viz_mismatch"  # the MRZ and the visual zone say different things
    UNKNOWN_PLACE = "place_not_found"  # a birth place the official geographic code does not hold
    AMBIGUOUS_PLACE = "place_ambiguous"  # a birth place name several communes share


@dataclass(frozen=True)
class DocumentField:
    value: FieldValue | None
    source: FieldSource
    reason: UnconfirmedReason | None = None  # set exactly when the source is UNCONFIRMED

    def __post_init__(self) -> None:
        if (self.source is FieldSource.UNCONFIRMED) != (self.reason is not None):
            raise ValueError("a field is unconfirmed exactly when it has a reason")

    @property
    def confirmed(self) -> bool:
        return self.source is not FieldSource.UNCONFIRMED

    def to_dict(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        out: dict[str, Any] = {"value": value, "source": self.source.value, "confirmed": self.confirmed}
        if self.reason is not None:
            out["reason"] = self.reason.value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DocumentField:
        value = data.get("value")
        reason = data.get("reason")
        return cls(tuple(value) if isinstance(value, list) else value, FieldSource(data["source"]),
                   None if reason is None else UnconfirmedReason(reason))


def unconfirmed(value: FieldValue | None, reason: UnconfirmedReason) -> DocumentField:
    return DocumentField(value, FieldSource.UNCONFIRMED, reason)


@dataclass(frozen=True)
class DocumentFields:
    """Every field a check reports, by name; a field no source gave is absent."""

    fields: Mapping[FieldName, DocumentField]

    def __iter__(self) -> Iterator[tuple[FieldName, DocumentField]]:
        return iter(self.fields.items())

    def get(self, name: FieldName) -> DocumentField | None:
        return self.fields.get(name)

    def confirmed_value(self, name: FieldName) -> FieldValue | None:
        """The value of a confirmed field; None when the field is absent or unconfirmed."""
        field = self.fields.get(name)
        return field.value if field is not None and field.confirmed else None

    def unconfirmed_among(self, names: tuple[FieldName, ...]) -> tuple[FieldName, ...]:
        return tuple(name for name in names if self.confirmed_value(name) is None)

    def to_dict(self) -> dict[str, Any]:
        return {name.value: field.to_dict() for name, field in self.fields.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DocumentFields:
        return cls({FieldName(name): DocumentField.from_dict(field) for name, field in data.items()})
