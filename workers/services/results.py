"""Storing a check's typed result and the artefacts it derived (frames, crops) as evidence, and reading the
results back as typed records (verification.decision.records)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import cv2
from cv2.typing import MatLike
from sqlalchemy.orm import Session

from storage.enrollments.models import CheckResult
from storage.enrollments.repositories import CheckResults
from storage.evidence.layout import DerivedImage, derived_key
from storage.runtime import Runtime
from verification.common.outcome import CheckStatus
from verification.decision.records import CheckRecord, DocumentRecord, load_check, stored_details
from verification.decision.rules import CheckName


class CheckResultLike(Protocol):
    @property
    def status(self) -> CheckStatus: ...

    @property
    def score(self) -> float | None: ...

    @property
    def reasons(self) -> Sequence[str]: ...

    def to_dict(self) -> dict[str, Any]: ...


def save_check(runtime: Runtime, enrollment_id: str, name: CheckName, result: CheckResultLike) -> None:
    with runtime.database.session() as session:
        record_check(session, enrollment_id, name, result, datetime.now(UTC))


def record_check(session: Session, enrollment_id: str, name: CheckName, result: CheckResultLike,
                 now: datetime) -> None:
    """A check's result stored in the caller's unit of work."""
    CheckResults(session).upsert(enrollment_id, name, status=result.status.value, score=result.score,
                                 reasons=list(result.reasons), details=stored_details(result.to_dict()), at=now)


def save_failure(runtime: Runtime, enrollment_id: str, name: CheckName, status: CheckStatus, reason: str,
                 detail: str) -> None:
    """A check that could not run on its input (undecodable video…) still leaves a result with its reason."""
    with runtime.database.session() as session:
        CheckResults(session).upsert(enrollment_id, name, status=status.value, score=None, reasons=[reason],
                                     details=stored_details({"error": detail}), at=datetime.now(UTC))


def check_record(row: CheckResult) -> CheckRecord:
    """A stored check result as its check's typed record."""
    return load_check(CheckName(row.check), row.status, row.score, row.reasons, row.details)


def document_record(session: Session, enrollment_id: str) -> DocumentRecord | None:
    """The document check's stored result; None when it stored none (or only a row of another shape)."""
    row = next((r for r in CheckResults(session).of_enrollment(enrollment_id) if r.check == CheckName.DOCUMENT), None)
    record = None if row is None else check_record(row)
    return record if isinstance(record, DocumentRecord) else None


def load_check_record(runtime: Runtime, enrollment_id: str, name: CheckName) -> CheckRecord | None:
    """One check's stored result, or None when that check has not stored one."""
    with runtime.database.session() as session:
        row = next((r for r in CheckResults(session).of_enrollment(enrollment_id) if r.check == name), None)
        return None if row is None else check_record(row)


def save_lossless(runtime: Runtime, key: str, image: MatLike) -> None:
    """An image a later step reads back pixel for pixel (PNG): what it computes is what it would have computed
    on the decoded pixels."""
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise ValueError(f"cannot encode {key}")
    runtime.evidence.put_bytes(key, encoded.tobytes(), "image/png")


def save_image(runtime: Runtime, enrollment_id: str, derived: DerivedImage, image: MatLike) -> str:
    """A derived image (portrait crop, chosen selfie frame) as JPEG evidence; returns its object key."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise ValueError(f"cannot encode {derived.name}")
    key = derived_key(enrollment_id, derived)
    runtime.evidence.put_bytes(key, encoded.tobytes(), "image/jpeg")
    return key
