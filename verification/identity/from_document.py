"""The identity and document facts a document check confirmed: what the decision compares with declared
and INS traits, and what the assertion carries.

Built from confirmed fields only (DocumentFields.confirmed_value: independent sources agreed, or a reviewer
confirmed the field looking at the document): an unconfirmed field is left out, never transmitted. The
fields come from the document check's stored record (`DocumentFields.from_dict`), with the reviewer's over
them (`reviewed`): the assertion is issued by a later task than the one that read the document.
"""

from __future__ import annotations

from datetime import date

from verification.document.fields import DocumentFields, FieldName, FieldSource
from verification.identity.model import DocumentFacts, DocumentType, IdentityTraits, KnownTraits, Sex

_SEXES = {sex.value: sex for sex in Sex}


class FieldsUnconfirmed(ValueError):
    """An identity or document needs fields the document check left unconfirmed."""

    def __init__(self, names: list[FieldName]) -> None:
        super().__init__(f"unconfirmed fields: {', '.join(names)}")
        self.names = tuple(names)


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


def reviewed(document: DocumentFields, reviewer: DocumentFields) -> DocumentFields:
    """The document's fields with those a reviewer confirmed or corrected (source `reviewer`) over them."""
    return DocumentFields({**document.fields, **reviewer.fields})


def _text(fields: DocumentFields, name: FieldName) -> str | None:
    value = fields.confirmed_value(name)
    return value.strip() or None if isinstance(value, str) else None


def _date(fields: DocumentFields, name: FieldName) -> date | None:
    value = _text(fields, name)
    return date.fromisoformat(value) if value else None


def known_traits(fields: DocumentFields) -> KnownTraits:
    """The strict traits the document confirmed; the others are left unknown."""
    given = fields.confirmed_value(FieldName.GIVEN_NAMES)
    names = (given,) if isinstance(given, str) else given or ()
    return KnownTraits(
        birth_name=_text(fields, FieldName.SURNAME),
        given_names=tuple(name for name in names if name.strip()),
        birth_date=_date(fields, FieldName.BIRTH_DATE),
        sex=_SEXES.get(_text(fields, FieldName.SEX) or ""),
        birth_place_code=_text(fields, FieldName.BIRTH_PLACE_CODE),
    )


def _nationality(fields: DocumentFields) -> str | None:
    # A format without a nationality (the French 1988 card, issued to nationals only): the issuing state.
    name = FieldName.ISSUING_STATE if fields.get(FieldName.NATIONALITY) is None else FieldName.NATIONALITY
    return _text(fields, name)


def identity_from_document(fields: DocumentFields) -> IdentityTraits:
    """The identity to transmit: every confirmed trait, the birth place code only where confirmed (without
    it the identity is not validated: verification.identity.rniv). Raises FieldsUnconfirmed when a name,
    the birth date or the sex is unconfirmed: no identity leaves without them."""
    known = known_traits(fields)
    name, birth, sex = known.birth_name, known.birth_date, known.sex
    if name is None or not known.given_names or birth is None or sex is None:
        needed = {FieldName.SURNAME: name, FieldName.GIVEN_NAMES: known.given_names, FieldName.BIRTH_DATE: birth,
                  FieldName.SEX: sex}
        raise FieldsUnconfirmed([field for field, value in needed.items() if not value])
    return IdentityTraits(birth_name=name, given_names=known.given_names, birth_date=birth, sex=sex,
                          birth_place_code=known.birth_place_code, birth_place=_text(fields, FieldName.BIRTH_PLACE),
                          nationality=_nationality(fields))


def document_from_document(fields: DocumentFields) -> DocumentFacts:
    """The document's own facts (the assertion's evidence); its validity dates only where confirmed."""
    code = _text(fields, FieldName.DOCUMENT_CODE)
    number = _text(fields, FieldName.DOCUMENT_NUMBER)
    issuer = _text(fields, FieldName.ISSUING_STATE)
    if code is None or number is None or issuer is None:
        needed = {FieldName.DOCUMENT_CODE: code, FieldName.DOCUMENT_NUMBER: number, FieldName.ISSUING_STATE: issuer}
        raise FieldsUnconfirmed([field for field, value in needed.items() if value is None])
    kind = document_type(code)
    if kind is None:
        raise ValueError(f"document code {code!r} is not an identity document")
    return DocumentFacts(document_type=kind, number=number, issuing_country=issuer,
                         expiry_date=_date(fields, FieldName.EXPIRY_DATE),
                         issue_date=_date(fields, FieldName.ISSUE_DATE))


def field_sources(fields: DocumentFields) -> dict[str, FieldSource]:
    """Each confirmed field (the only ones the assertion may carry) with its source."""
    return {name.value: field.source for name, field in fields if field.confirmed}
