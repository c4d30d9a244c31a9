"""Relying-party endpoints (API key): open an enrollment, read its status and result."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import RelyingPartyDep, RuntimeDep, SessionDep, enrollment_of_party
from api.schemas import CheckView, DecisionView, EnrollmentCreate, EnrollmentCreated, EnrollmentResult
from storage.enrollments.models import Enrollment
from storage.enrollments.repositories import Assertions, CheckResults, Decisions
from workers.services import enrollments

router = APIRouter(prefix="/v1/enrollments", tags=["relying party"])

PartyEnrollment = Annotated[Enrollment, Depends(enrollment_of_party)]


@router.post("", status_code=201, response_model=EnrollmentCreated)
def create_enrollment(body: EnrollmentCreate, party: RelyingPartyDep, session: SessionDep,
                      runtime: RuntimeDep) -> EnrollmentCreated:
    enrollment, token = enrollments.create_enrollment(
        session, runtime, party,
        declared_traits=body.declared_traits.model_dump(mode="json") if body.declared_traits else None,
        ins_traits=body.ins_traits.model_dump(mode="json") if body.ins_traits else None,
        callback_url=str(body.callback_url) if body.callback_url else None, now=datetime.now(UTC))
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
