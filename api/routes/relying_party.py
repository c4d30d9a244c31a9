"""Relying-party endpoints (API key): open an enrollment, read its status and result."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import RelyingPartyDep, RuntimeDep, SessionDep, enrollment_of_party
from api.schemas import CheckView, DecisionView, EnrollmentCreate, EnrollmentCreated, EnrollmentResult
from storage.enrollments.credentials import new_secret, secret_hash
from storage.enrollments.models import Enrollment
from storage.enrollments.repositories import Assertions, CheckResults, Decisions, Enrollments
from verification.document.video import draw_tilt
from verification.enrollment.lifecycle import Status

router = APIRouter(prefix="/v1/enrollments", tags=["relying party"])

PartyEnrollment = Annotated[Enrollment, Depends(enrollment_of_party)]
_rng = random.SystemRandom()


@router.post("", status_code=201, response_model=EnrollmentCreated)
def create_enrollment(body: EnrollmentCreate, party: RelyingPartyDep, session: SessionDep,
                      runtime: RuntimeDep) -> EnrollmentCreated:
    now = datetime.now(UTC)
    token = new_secret()
    enrollment = Enrollment(
        id=str(uuid.uuid4()),
        relying_party_id=party.id,
        status=Status.CREATED,
        token_hash=secret_hash(token),
        declared_traits=body.declared_traits.model_dump(mode="json") if body.declared_traits else None,
        ins_traits=body.ins_traits.model_dump(mode="json") if body.ins_traits else None,
        callback_url=str(body.callback_url) if body.callback_url else None,
        policy_name=runtime.settings.policy,
        document_tilt=draw_tilt(_rng),
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(seconds=runtime.settings.enrollment_ttl_seconds),
        submitted_at=None,
    )
    Enrollments(session).add(enrollment, cause=f"created by relying party {party.name}")
    return EnrollmentCreated(enrollment_id=enrollment.id, enrollment_token=token, status=enrollment.status,
                             expires_at=enrollment.expires_at)


@router.get("/{enrollment_id}/result", response_model=EnrollmentResult)
def enrollment_result(enrollment: PartyEnrollment, session: SessionDep) -> EnrollmentResult:
    decision = Decisions(session).latest(enrollment.id)
    assertion = Assertions(session).of_enrollment(enrollment.id)
    checks = CheckResults(session).of_enrollment(enrollment.id)
    return EnrollmentResult(
        enrollment_id=enrollment.id,
        status=enrollment.status,
        decision=DecisionView(outcome=decision.outcome, reasons=decision.reasons, user_reasons=decision.user_reasons,
                              policy=f"{decision.policy_name}@{decision.policy_version}",
                              decided_by=decision.decided_by, decided_at=decision.decided_at, final=decision.final)
        if decision else None,
        checks=[CheckView(check=c.check, status=c.status, score=c.score, reasons=c.reasons) for c in checks],
        assertion=assertion.token if assertion else None,
    )
