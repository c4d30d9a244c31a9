"""Status transitions, each with the event a relying party hears about (review and terminal statuses)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from storage.enrollments.models import Enrollment
from storage.enrollments.repositories import Enrollments
from storage.runtime import Runtime
from verification.enrollment.lifecycle import Status, require_transition
from workers.services.webhooks import emit_status_event


def transition(session: Session, enrollment: Enrollment, target: Status, cause: str, now: datetime) -> None:
    """The one way an enrollment changes status: allowed by the life cycle, stored with its time and cause,
    its webhook event queued in the same unit of work (LifecycleError when not allowed)."""
    require_transition(Status(enrollment.status), target)
    Enrollments(session).transition(enrollment, target, cause, now)
    emit_status_event(session, enrollment)


def begin_processing(runtime: Runtime, enrollment_id: str) -> None:
    with runtime.database.session() as session:
        enrollment = Enrollments(session).get(enrollment_id, for_update=True)
        if enrollment is None or enrollment.status != Status.SUBMITTED:
            return  # already started (a duplicate delivery): nothing to do
        transition(session, enrollment, Status.PROCESSING, "verification pipeline started", datetime.now(UTC))


def fail(runtime: Runtime, enrollment_id: str, cause: str) -> None:
    """A pipeline that cannot complete leaves the enrollment failed, never stuck in processing. Once
    decided, a later step failing (signing, sealing, notifying) does not undo the decision: it is retried
    and logged instead."""
    with runtime.database.session() as session:
        enrollment = Enrollments(session).get(enrollment_id, for_update=True)
        if enrollment is None or enrollment.status not in (Status.SUBMITTED, Status.PROCESSING):
            return
        transition(session, enrollment, Status.FAILED, cause, datetime.now(UTC))
