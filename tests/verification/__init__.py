"""Tests of verification/ (pure domain code). Factories shared by these tests live here."""

from __future__ import annotations

from datetime import date
from typing import Any

from verification.identity.model import DocumentFacts, DocumentType, IdentityTraits, Sex


def make_traits(**changes: Any) -> IdentityTraits:
    fields: dict[str, Any] = {
        "birth_name": "Dupont-Lagarde",
        "given_names": ("Maëlis-Gaëlle", "Anne"),
        "birth_date": date(1990, 4, 12),
        "sex": Sex.FEMALE,
        "birth_place_code": "69123",
        "birth_place": "Lyon",
        "nationality": "FRA",
    }
    fields.update(changes)
    return IdentityTraits(**fields)


def make_document(**changes: Any) -> DocumentFacts:
    fields: dict[str, Any] = {
        "document_type": DocumentType.IDCARD,
        "number": "X4RTBPFW4",
        "issuing_country": "FRA",
        "expiry_date": date(2031, 6, 1),
        "issue_date": date(2021, 6, 2),
    }
    fields.update(changes)
    return DocumentFacts(**fields)
