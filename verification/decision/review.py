"""What a human reviewer may say about a case: stable reason codes, each valid for approval or rejection.

The code travels into the decision's reasons (verification.decision.rules.apply_review); the reviewer's free text
stays in the review trail, never in machine-readable reasons.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from verification.common.errors import CodedError
from verification.document.check import required_fields
from verification.document.fields import DocumentField, DocumentFields, FieldName, FieldSource, FieldValue
from verification.document.mrz.fields import MrzFields
from verification.identity.from_document import (
    FieldsUnconfirmed,
    document_from_document,
    document_type,
    identity_from_document,
)


class ReviewReason(StrEnum):
    IDENTITY_CONFIRMED = "identity_confirmed"
    DOUBT_RESOLVED = "automated_doubt_resolved"
    DOCUMENT_SUSPECT = "document_suspect"
    DOCUMENT_UNREADABLE = "document_unreadable"
    DATA_MISMATCH = "data_mismatch"
    FACE_MISMATCH = "face_mismatch"
    PRESENTATION_ATTACK = "presentation_attack_suspected"
    OTHER = "other"


APPROVAL_REASONS = frozenset({ReviewReason.IDENTITY_CONFIRMED, ReviewReason.DOUBT_RESOLVED, ReviewReason.OTHER})
REJECTION_REASONS = frozenset(set(ReviewReason) - APPROVAL_REASONS | {ReviewReason.OTHER})


def reason_fits(reason: ReviewReason, approve: bool) -> bool:
    """A rejection reason cannot justify an approval, nor the reverse; `other` (with its text) fits both."""
    return reason in (APPROVAL_REASONS if approve else REJECTION_REASONS)


MAX_FIELD_LENGTH = 100
MAX_GIVEN_NAMES = 10
_DATES = frozenset({FieldName.BIRTH_DATE, FieldName.EXPIRY_DATE, FieldName.ISSUE_DATE})
_FORMATS = {FieldName.SEX: re.compile(r"[MFX]"), FieldName.BIRTH_PLACE_CODE: re.compile(r"[0-9][0-9AB][0-9]{3}")}


def _invalid(name: str, why: str) -> CodedError:
    return CodedError("review_fields_invalid", {"field": name, "detail": why})


def _text(name: FieldName, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_FIELD_LENGTH:
        raise _invalid(name, f"a text of 1 to {MAX_FIELD_LENGTH} characters")
    text = " ".join(value.split())
    pattern = _FORMATS.get(name)
    if pattern is not None and not pattern.fullmatch(text):
        raise _invalid(name, f"must match {pattern.pattern}")
    if name is FieldName.DOCUMENT_CODE and document_type(text) is None:
        raise _invalid(name, "an identity document's ICAO code (P…, I…, A…, C…)")
    if name in _DATES:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise _invalid(name, "an ISO date, YYYY-MM-DD") from None
    return text


def _value(name: FieldName, value: Any) -> FieldValue:
    if name is not FieldName.GIVEN_NAMES:
        return _text(name, value)
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_GIVEN_NAMES:
        raise _invalid(name, f"a list of 1 to {MAX_GIVEN_NAMES} names")
    return tuple(_text(name, part) for part in value)


def reviewer_confirmed(raw: Mapping[str, Any]) -> DocumentFields:
    """The fields a reviewer confirmed or corrected looking at the document (field name -> value, given names
    as a list, dates ISO), with source `reviewer`; a name or value out of the contract is refused."""
    known = {name.value: name for name in FieldName}
    fields: dict[FieldName, DocumentField] = {}
    for name, value in raw.items():
        if name not in known:
            raise _invalid(name, f"not a document field: {sorted(known)}")
        fields[known[name]] = DocumentField(_value(known[name], value), FieldSource.REVIEWER)
    return DocumentFields(fields)


def unconfirmed_for_approval(fields: DocumentFields, mrz: MrzFields | None) -> tuple[FieldName, ...]:
    """What an approval still lacks in `fields` (the document's with the reviewer's over them): the fields the
    document check requires confirmed, and those without which no identity or document can be asserted
    (all of them when no MRZ was read)."""
    missing = list(fields.unconfirmed_among(required_fields(mrz))) if mrz is not None else []
    for build in (identity_from_document, document_from_document):
        try:
            build(fields)
        except FieldsUnconfirmed as error:
            missing += error.names
    return tuple(dict.fromkeys(missing))
