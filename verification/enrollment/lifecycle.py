"""The enrollment life cycle: statuses, which transitions are allowed, what each step requires.

created → capturing → submitted → processing → review → approved | rejected ; expired, failed.
A terminal status never changes again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from verification.common.errors import CodedError


class Status(StrEnum):
    CREATED = "created"
    CAPTURING = "capturing"
    SUBMITTED = "submitted"
    PROCESSING = "processing"
    REVIEW = "review"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL

    @property
    def accepts_captures(self) -> bool:
        return self in (Status.CREATED, Status.CAPTURING)


TERMINAL = frozenset({Status.APPROVED, Status.REJECTED, Status.EXPIRED, Status.FAILED})

ALLOWED: dict[Status, frozenset[Status]] = {
    Status.CREATED: frozenset({Status.CAPTURING, Status.SUBMITTED, Status.EXPIRED}),
    Status.CAPTURING: frozenset({Status.SUBMITTED, Status.EXPIRED}),
    Status.SUBMITTED: frozenset({Status.PROCESSING, Status.FAILED}),
    # processing -> capturing: the policy asked the person to capture again (usability failure).
    Status.PROCESSING: frozenset({Status.REVIEW, Status.APPROVED, Status.REJECTED, Status.CAPTURING, Status.FAILED}),
    Status.REVIEW: frozenset({Status.APPROVED, Status.REJECTED}),
}


class CaptureKind(StrEnum):
    DOCUMENT_FRONT = "document_front"
    DOCUMENT_BACK = "document_back"
    DOCUMENT_VIDEO = "document_video"
    SELFIE_VIDEO = "selfie_video"

    @property
    def is_video(self) -> bool:
        return self in (CaptureKind.DOCUMENT_VIDEO, CaptureKind.SELFIE_VIDEO)


class LifecycleError(CodedError):
    """A step the enrollment's state does not allow; `code` is the stable reason."""


def require_transition(current: Status, target: Status) -> None:
    if target not in ALLOWED.get(current, frozenset()):
        raise LifecycleError("invalid_state", f"an enrollment in status {current} cannot become {target}")


def require_capturing(status: Status, expires_at: datetime, now: datetime) -> None:
    if now >= expires_at and status.accepts_captures:
        raise LifecycleError("enrollment_expired", "the enrollment session has expired")
    if not status.accepts_captures:
        raise LifecycleError("enrollment_submitted", f"the enrollment is {status}: captures are closed")


def missing_for_submission(kinds: set[CaptureKind]) -> list[CaptureKind]:
    """What is still needed: a document (image or video) and the selfie video answering a challenge."""
    missing = []
    if not kinds & {CaptureKind.DOCUMENT_FRONT, CaptureKind.DOCUMENT_VIDEO}:
        missing.append(CaptureKind.DOCUMENT_FRONT)
    if CaptureKind.SELFIE_VIDEO not in kinds:
        missing.append(CaptureKind.SELFIE_VIDEO)
    return missing
