"""The mobile app's captures: the liveness challenge it answers, and storing a capture (an answered
challenge is consumed with it: one selfie video per challenge)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from biometrics.challenge import draw_actions
from storage.enrollments.models import Capture, Challenge, Enrollment
from storage.enrollments.repositories import Captures, Challenges, Enrollments
from storage.evidence.layout import capture_key
from storage.runtime import Runtime
from storage.uploads import SpooledUpload
from verification.common.errors import CodedError
from verification.enrollment.lifecycle import CaptureKind, Status, missing_for_submission, require_capturing
from workers.services.lifecycle import transition


def issue_challenge(session: Session, runtime: Runtime, enrollment: Enrollment, now: datetime) -> Challenge:
    """The head movements the selfie video must show, drawn afresh, valid for a short while."""
    require_capturing(Status(enrollment.status), enrollment.expires_at, now)
    challenge = Challenge(id=str(uuid.uuid4()), enrollment_id=enrollment.id, nonce=secrets.token_urlsafe(16),
                          actions=[a.value for a in draw_actions(runtime.rng)], issued_at=now, used_at=None,
                          expires_at=now + timedelta(seconds=runtime.settings.challenge_ttl_seconds))
    Challenges(session).add(challenge)
    return challenge


def require_upload_allowed(enrollment: Enrollment, kind: CaptureKind, nonce: str | None, now: datetime) -> None:
    """What can be refused before a byte is received: a closed enrollment, a selfie video naming no challenge."""
    require_capturing(Status(enrollment.status), enrollment.expires_at, now)
    if kind is CaptureKind.SELFIE_VIDEO and not nonce:
        raise CodedError("challenge_required", "the selfie video must name its challenge in X-Challenge-Nonce")


@dataclass(frozen=True)
class StoredCapture:
    capture_id: str
    kind: CaptureKind
    content_type: str
    size: int
    sha256: str


def store_capture(runtime: Runtime, enrollment_id: str, kind: CaptureKind, upload: SpooledUpload,
                  nonce: str | None) -> StoredCapture:
    """A validated upload into the evidence store, then its row in a unit of work of its own: the object it
    replaces is deleted only once that has committed, and its own object when the row could not be written
    (a refused challenge, a closed enrollment), so nothing is left orphaned."""
    assert upload.media_type is not None  # validated by the caller
    capture = StoredCapture(str(uuid.uuid4()), kind, upload.media_type.value, upload.size, upload.sha256)
    key = capture_key(enrollment_id, kind, capture.capture_id, upload.media_type.extension)
    runtime.evidence.put_file(key, upload.path, capture.content_type)
    try:
        with runtime.database.session() as session:
            replaced = record_capture(session, enrollment_id, capture, key, nonce, datetime.now(UTC))
    except BaseException:
        runtime.evidence.delete(key)
        raise
    if replaced is not None:
        runtime.evidence.delete(replaced)
    return capture


def record_capture(session: Session, enrollment_id: str, capture: StoredCapture, key: str, nonce: str | None,
                   now: datetime) -> str | None:
    """Re-checks the enrollment under lock, consumes the challenge, writes the row. Returns the object key of
    a capture this one replaces."""
    enrollment = Enrollments(session).get(enrollment_id, for_update=True)
    assert enrollment is not None
    require_capturing(Status(enrollment.status), enrollment.expires_at, now)
    challenge_id = None
    if capture.kind is CaptureKind.SELFIE_VIDEO:
        challenge_id = _consume_challenge(session, enrollment_id, nonce or "", now).id
    previous = Captures(session).replace(Capture(
        id=capture.capture_id, enrollment_id=enrollment_id, kind=capture.kind, content_type=capture.content_type,
        size=capture.size, sha256=capture.sha256, object_key=key, challenge_id=challenge_id, created_at=now))
    if enrollment.status == Status.CREATED:
        transition(session, enrollment, Status.CAPTURING, f"first capture: {capture.kind}", now)
    return previous.object_key if previous else None


def _consume_challenge(session: Session, enrollment_id: str, nonce: str, now: datetime) -> Challenge:
    challenge = Challenges(session).by_nonce(enrollment_id, nonce, for_update=True)
    if challenge is None:
        raise CodedError("challenge_not_found", "no such challenge for this enrollment")
    if challenge.used_at is not None:
        raise CodedError("challenge_used", "this challenge was already answered: request a new one")
    if now >= challenge.expires_at:
        raise CodedError("challenge_expired", "the challenge expired: request a new one")
    challenge.used_at = now
    return challenge


def missing_captures(session: Session, enrollment_id: str) -> list[CaptureKind]:
    return missing_for_submission({CaptureKind(c.kind) for c in Captures(session).of_enrollment(enrollment_id)})
