"""Mobile-app endpoints (enrollment token, scoped to one enrollment): captures, challenge, submit, status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from api import uploads
from api.deps import CeleryDep, RuntimeDep, SessionDep, enrollment_of_token
from api.schemas import CaptureStored, ChallengeIssued, EnrollmentStatus
from storage.enrollments.models import Decision, Enrollment
from storage.enrollments.repositories import Decisions
from storage.uploads import UploadSpool
from verification.enrollment.lifecycle import CaptureKind
from workers.pipeline import start_pipeline
from workers.services import captures, enrollments

router = APIRouter(prefix="/v1/enrollments/{enrollment_id}", tags=["mobile app"])

TokenEnrollment = Annotated[Enrollment, Depends(enrollment_of_token)]


@router.put("/captures/{kind}", response_model=CaptureStored, status_code=201)
async def upload_capture(kind: CaptureKind, request: Request, enrollment: TokenEnrollment, runtime: RuntimeDep,
                         x_challenge_nonce: Annotated[str | None, Header()] = None) -> CaptureStored:
    """The body is the raw file (Content-Type image/jpeg, image/png, video/mp4 or video/webm). The selfie
    video names the challenge it answers in `X-Challenge-Nonce`."""
    captures.require_upload_allowed(enrollment, kind, x_challenge_nonce, datetime.now(UTC))
    uploads.check_declared_type(request, kind)
    settings = runtime.settings
    with UploadSpool(uploads.size_limit(kind, settings)) as spool:
        upload = await uploads.receive(request, spool)
        await uploads.validate(upload, request, kind, settings)
        stored = await run_in_threadpool(captures.store_capture, runtime, enrollment.id, kind, upload,
                                         x_challenge_nonce)
    return CaptureStored(capture_id=stored.capture_id, kind=kind, content_type=stored.content_type, size=stored.size,
                         sha256=stored.sha256)


@router.post("/challenge", response_model=ChallengeIssued, status_code=201)
def issue_challenge(enrollment: TokenEnrollment, session: SessionDep, runtime: RuntimeDep) -> ChallengeIssued:
    challenge = captures.issue_challenge(session, runtime, enrollment, datetime.now(UTC))
    return ChallengeIssued(nonce=challenge.nonce, actions=challenge.actions, expires_at=challenge.expires_at)


@router.post("/submit", response_model=EnrollmentStatus, status_code=202)
def submit(enrollment: TokenEnrollment, session: SessionDep, celery: CeleryDep,
           background: BackgroundTasks) -> EnrollmentStatus:
    enrollment = enrollments.submit(session, enrollment, datetime.now(UTC))
    session.commit()  # the pipeline must see the submission: enqueue only after the commit
    background.add_task(start_pipeline, celery, enrollment.id)
    return _status_view(enrollment, None)


@router.get("/status", response_model=EnrollmentStatus)
def status(enrollment: TokenEnrollment, session: SessionDep) -> EnrollmentStatus:
    return _status_view(enrollment, Decisions(session).latest(enrollment.id),
                        captures.missing_captures(session, enrollment.id))


def _status_view(enrollment: Enrollment, decision: Decision | None,
                 missing: list[CaptureKind] | None = None) -> EnrollmentStatus:
    return EnrollmentStatus(enrollment_id=enrollment.id, status=enrollment.status, updated_at=enrollment.updated_at,
                            document_tilt=enrollment.document_tilt,
                            missing=[m.value for m in missing or []],
                            user_reasons=decision.user_reasons if decision else [])
