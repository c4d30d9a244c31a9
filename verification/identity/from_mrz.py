"""The identity and document facts an MRZ establishes, for the assertion.

Takes the MRZ fields as the document check stored them, reloaded (`MrzFields.from_dict`): the assertion is
issued by a later task than the one that read the document.
"""

from __future__ import annotations

from verification.document.mrz.fields import MrzFields
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


def identity_from_mrz(fields: MrzFields) -> IdentityTraits:
    if fields.birth_date is None:
        raise ValueError("the MRZ gave no valid birth date")
    return IdentityTraits(
        birth_name=fields.surname,
        given_names=fields.given_names,
        birth_date=fields.birth_date,
        sex=Sex(fields.sex) if fields.sex in ("M", "F") else Sex.UNSPECIFIED,
        nationality=fields.nationality or fields.issuing_state,
    )


def document_from_mrz(fields: MrzFields) -> DocumentFacts:
    kind = document_type(fields.document_code)
    if kind is None:
        raise ValueError(f"document code {fields.document_code!r} is not an identity document")
    return DocumentFacts(
        document_type=kind,
        number=fields.document_number,
        issuing_country=fields.issuing_state,
        expiry_date=fields.expiry_date,
        issue_date=fields.issue_date,
    )
