"""Status transitions driven by the pipeline."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.enrollments.repositories import Enrollments
from storage.runtime import Runtime
from verification.enrollment.lifecycle import Status
from workers.services.webhooks import emit_status_event


def begin_processing(runtime: Runtime, enrollment_id: str) -> None:
    with runtime.database.session() as session:
        enrollments = Enrollments(session)
        enrollment = enrollments.get(enrollment_id, for_update=True)
        if enrollment is None or enrollment.status != Status.SUBMITTED:
            return  # already started (a duplicate delivery): nothing to do
        enrollments.transition(enrollment, Status.PROCESSING, "verification pipeline started", datetime.now(UTC))


def fail(runtime: Runtime, enrollment_id: str, cause: str) -> None:
    """A pipeline that cannot complete leaves the enrollment failed, never stuck in processing. Once
    decided, a later step failing (signing, sealing, notifying) does not undo the decision: it is retried
    and logged instead."""
    with runtime.database.session() as session:
        enrollments = Enrollments(session)
        enrollment = enrollments.get(enrollment_id, for_update=True)
        if enrollment is None or enrollment.status not in (Status.SUBMITTED, Status.PROCESSING):
            return
        enrollments.transition(enrollment, Status.FAILED, cause, datetime.now(UTC))
        emit_status_event(session, enrollment)
