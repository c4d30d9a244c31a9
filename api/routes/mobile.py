"""Mobile-app endpoints (enrollment token, scoped to one enrollment): captures, challenge, submit, status."""

from __future__ import annotations

import logging
import random
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from api import uploads
from api.deps import RuntimeDep, SessionDep, enrollment_of_token
from api.errors import ApiError
from api.schemas import CaptureStored, ChallengeIssued, EnrollmentStatus
from biometrics.challenge import draw_actions
from storage.enrollments.models import Capture, Challenge, Decision, Enrollment
from storage.enrollments.repositories import Captures, Challenges, Decisions, Enrollments
from storage.evidence.layout import capture_key
from storage.uploads import UploadSpool
from verification.enrollment.lifecycle import (
    CaptureKind,
    Status,
    missing_for_submission,
    require_capturing,
    require_transition,
)
from workers.pipeline import start_pipeline

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/enrollments/{enrollment_id}", tags=["mobile app"])

TokenEnrollment = Annotated[Enrollment, Depends(enrollment_of_token)]
_rng = random.SystemRandom()


@router.put("/captures/{kind}", response_model=CaptureStored, status_code=201)
async def upload_capture(kind: CaptureKind, request: Request, enrollment: TokenEnrollment, runtime: RuntimeDep,
                         x_challenge_nonce: Annotated[str | None, Header()] = None) -> CaptureStored:
    """The body is the raw file (Content-Type image/jpeg, image/png, video/mp4 or video/webm). The selfie
    video names the challenge it answers in `X-Challenge-Nonce`."""
    require_capturing(Status(enrollment.status), enrollment.expires_at, datetime.now(UTC))
    if kind is CaptureKind.SELFIE_VIDEO and not x_challenge_nonce:
        raise ApiError(400, "challenge_required", "the selfie video must name its challenge in X-Challenge-Nonce")
    uploads.check_declared_type(request, kind)
    settings = runtime.settings
    with UploadSpool(uploads.size_limit(kind, settings)) as spool:
        upload = await uploads.receive(request, spool)
        await uploads.validate(upload, request, kind, settings)
        capture_id = str(uuid.uuid4())
        key = capture_key(enrollment.id, kind, capture_id, upload.media_type.extension)
        await run_in_threadpool(runtime.evidence.put_file, key, upload.path, upload.media_type.value)
    try:
        replaced = await run_in_threadpool(_record_capture, runtime, enrollment.id, kind, capture_id, key,
                                           upload.media_type.value, upload.size, upload.sha256, x_challenge_nonce)
    except BaseException:
        await run_in_threadpool(runtime.evidence.delete, key)  # the row was not written: leave no orphan
        raise
    if replaced is not None:
        await run_in_threadpool(runtime.evidence.delete, replaced)
    return CaptureStored(capture_id=capture_id, kind=kind, content_type=upload.media_type.value, size=upload.size,
                         sha256=upload.sha256)


def _record_capture(runtime: RuntimeDep, enrollment_id: str, kind: CaptureKind, capture_id: str, key: str,
                    content_type: str, size: int, sha256: str, nonce: str | None) -> str | None:
    """One transaction: re-check the enrollment under lock, consume the challenge, write the row.
    Returns the object key of a capture this one replaces."""
    now = datetime.now(UTC)
    with runtime.database.session() as session:
        enrollments = Enrollments(session)
        enrollment = enrollments.get(enrollment_id, for_update=True)
        assert enrollment is not None
        require_capturing(Status(enrollment.status), enrollment.expires_at, now)
        challenge_id = None
        if kind is CaptureKind.SELFIE_VIDEO:
            challenge = Challenges(session).by_nonce(enrollment_id, nonce or "", for_update=True)
            if challenge is None:
                raise ApiError(404, "challenge_not_found", "no such challenge for this enrollment")
            if challenge.used_at is not None:
                raise ApiError(409, "challenge_used", "this challenge was already answered: request a new one")
            if now >= challenge.expires_at:
                raise ApiError(410, "challenge_expired", "the challenge expired: request a new one")
            challenge.used_at = now
            challenge_id = challenge.id
        previous = Captures(session).replace(Capture(
            id=capture_id, enrollment_id=enrollment_id, kind=kind, content_type=content_type, size=size,
            sha256=sha256, object_key=key, challenge_id=challenge_id, created_at=now))
        if enrollment.status == Status.CREATED:
            enrollments.transition(enrollment, Status.CAPTURING, f"first capture: {kind}", now)
        return previous.object_key if previous else None


@router.post("/challenge", response_model=ChallengeIssued, status_code=201)
def issue_challenge(enrollment: TokenEnrollment, session: SessionDep, runtime: RuntimeDep) -> ChallengeIssued:
    now = datetime.now(UTC)
    require_capturing(Status(enrollment.status), enrollment.expires_at, now)
    challenge = Challenge(id=str(uuid.uuid4()), enrollment_id=enrollment.id, nonce=secrets.token_urlsafe(16),
                          actions=[a.value for a in draw_actions(_rng)], issued_at=now, used_at=None,
                          expires_at=now + timedelta(seconds=runtime.settings.challenge_ttl_seconds))
    Challenges(session).add(challenge)
    return ChallengeIssued(nonce=challenge.nonce, actions=challenge.actions, expires_at=challenge.expires_at)


@router.post("/submit", response_model=EnrollmentStatus, status_code=202)
def submit(enrollment: TokenEnrollment, session: SessionDep, background: BackgroundTasks) -> EnrollmentStatus:
    now = datetime.now(UTC)
    enrollments = Enrollments(session)
    enrollment = enrollments.get(enrollment.id, for_update=True) or enrollment
    require_capturing(Status(enrollment.status), enrollment.expires_at, now)
    missing = missing_for_submission({CaptureKind(c.kind) for c in Captures(session).of_enrollment(enrollment.id)})
    if missing:
        raise ApiError(409, "captures_missing", {"missing": [m.value for m in missing]})
    require_transition(Status(enrollment.status), Status.SUBMITTED)
    enrollments.transition(enrollment, Status.SUBMITTED, "submitted by the mobile app", now)
    enrollment.submitted_at = now
    session.commit()  # the pipeline must see the submission: enqueue only after the commit
    background.add_task(start_pipeline, enrollment.id)
    return _status_view(enrollment, None)


@router.get("/status", response_model=EnrollmentStatus)
def status(enrollment: TokenEnrollment, session: SessionDep) -> EnrollmentStatus:
    return _status_view(enrollment, Decisions(session).latest(enrollment.id),
                        missing_for_submission({CaptureKind(c.kind)
                                                for c in Captures(session).of_enrollment(enrollment.id)}))


def _status_view(enrollment: Enrollment, decision: Decision | None,
                 missing: list[CaptureKind] | None = None) -> EnrollmentStatus:
    return EnrollmentStatus(enrollment_id=enrollment.id, status=enrollment.status, updated_at=enrollment.updated_at,
                            document_tilt=enrollment.document_tilt,
                            missing=[m.value for m in missing or []],
                            user_reasons=decision.user_reasons if decision else [])
