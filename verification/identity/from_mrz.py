"""The identity and document facts an MRZ establishes, for the assertion.

Takes the MRZ fields in their stored JSON form (`MrzFields.to_dict()`), since the assertion is issued by a
later task than the one that read the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from verification.identity.model import DocumentFacts, DocumentType, IdentityTraits, Sex


def document_type(document_code: str) -> DocumentType | None:
    """ICAO 9303 document codes: P… passport; I/A/C… identity cards, where a second letter R marks a
    residence permit (IR, AR, CR, as the UK, France, Germany and others issue them). Visas (V…) and other
    codes are not identity documents."""
    code = document_code.replace("<", "")
    if code.startswith("P"):
        return DocumentType.PASSPORT
    if code[:1] in ("I", "A", "C"):
        return DocumentType.RESIDENCE_PERMIT if code[1:2] == "R" else DocumentType.IDCARD
    return None


def identity_from_mrz(fields: Mapping[str, Any]) -> IdentityTraits:
    birth_date = fields.get("birth_date")
    if not birth_date:
        raise ValueError("the MRZ gave no valid birth date")
    return IdentityTraits(
        birth_name=fields["surname"],
        given_names=tuple(fields["given_names"]),
        birth_date=date.fromisoformat(birth_date),
        sex=Sex(fields["sex"]) if fields["sex"] in ("M", "F") else Sex.UNSPECIFIED,
        nationality=fields.get("nationality") or fields.get("issuing_state"),
    )


def document_from_mrz(fields: Mapping[str, Any]) -> DocumentFacts:
    kind = document_type(fields["document_code"])
    if kind is None:
        raise ValueError(f"document code {fields['document_code']!r} is not an identity document")
    expiry, issued = fields.get("expiry_date"), fields.get("issue_date")
    return DocumentFacts(
        document_type=kind,
        number=fields["document_number"],
        issuing_country=fields["issuing_state"],
        expiry_date=date.fromisoformat(expiry) if expiry else None,
        issue_date=date.fromisoformat(issued) if issued else None,
    )
