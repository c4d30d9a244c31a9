"""The identity a verification establishes: the person's strict traits and the document they were read from.

Both travel as JSON (the pipeline stores them, the API receives declared or INS traits), hence
`to_dict` / `from_dict` with ISO dates and enum values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"
    UNSPECIFIED = "X"  # MRZ '<' or 'X'; the INS has M/F only


class DocumentType(StrEnum):
    """Identity documents accepted for PVID; the values are OIDC4IDA document types."""

    PASSPORT = "passport"
    IDCARD = "idcard"
    RESIDENCE_PERMIT = "residence_permit"


def _optional_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class IdentityTraits:
    """Strict identity traits in the sense of the French identity-vigilance rules (RNIV)."""

    birth_name: str  # family name at birth
    given_names: tuple[str, ...]  # birth first names, in civil-status order
    birth_date: date
    sex: Sex
    birth_place_code: str | None = None  # INSEE code (commune, or 99xxx for a country)
    birth_place: str | None = None  # free text, as printed
    nationality: str | None = None  # ISO 3166-1 alpha-3 / ICAO code, as in the MRZ

    def __post_init__(self) -> None:
        if not self.birth_name.strip():
            raise ValueError("birth_name is empty")
        if not self.given_names or not all(name.strip() for name in self.given_names):
            raise ValueError("given_names must hold at least one non-empty name")

    @property
    def birth_commune_code(self) -> str | None:
        """The INSEE code when it names a French commune; codes 99xxx name a country of birth abroad."""
        code = self.birth_place_code
        return code if code and not code.startswith("99") else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "birth_name": self.birth_name,
            "given_names": list(self.given_names),
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex.value,
            "birth_place_code": self.birth_place_code,
            "birth_place": self.birth_place,
            "nationality": self.nationality,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IdentityTraits:
        given = data["given_names"]
        if isinstance(given, str):
            raise ValueError("given_names must be a list of names, not one string")
        return cls(
            birth_name=data["birth_name"],
            given_names=tuple(given),
            birth_date=date.fromisoformat(data["birth_date"]),
            sex=Sex(data["sex"]),
            birth_place_code=data.get("birth_place_code"),
            birth_place=data.get("birth_place"),
            nationality=data.get("nationality"),
        )


@dataclass(frozen=True)
class KnownTraits:
    """The strict traits as far as a document confirmed them: a trait it left unconfirmed is None (or no
    given names), and is neither compared nor transmitted."""

    birth_name: str | None = None
    given_names: tuple[str, ...] = ()
    birth_date: date | None = None
    sex: Sex | None = None
    birth_place_code: str | None = None


@dataclass(frozen=True)
class DocumentFacts:
    """What the identity document itself says about itself (evidence details of the assertion)."""

    document_type: DocumentType
    number: str
    issuing_country: str  # ICAO 3-letter code from the MRZ
    expiry_date: date | None = None  # the French 1988-2021 card carries none in its MRZ
    issue_date: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "document_type": self.document_type.value,
            "number": self.number,
            "issuing_country": self.issuing_country,
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
            "issue_date": self.issue_date.isoformat() if self.issue_date else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentFacts:
        return cls(
            document_type=DocumentType(data["document_type"]),
            number=data["number"],
            issuing_country=data["issuing_country"],
            expiry_date=_optional_date(data.get("expiry_date")),
            issue_date=_optional_date(data.get("issue_date")),
        )
