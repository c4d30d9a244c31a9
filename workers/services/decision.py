"""The decision step: check results → outcome under the enrollment's policy → status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.enrollments.models import CheckResult, Decision
from storage.enrollments.repositories import CheckResults, Decisions, Enrollments
from storage.runtime import Runtime
from verification.decision.policy import load_policy
from verification.decision.rules import CheckSummary, Outcome, decide
from verification.enrollment.lifecycle import Status, require_transition
from workers.services.results import check_record
from workers.services.webhooks import emit_status_event

OUTCOME_STATUS = {
    Outcome.APPROVED: Status.APPROVED,
    Outcome.REJECTED: Status.REJECTED,
    Outcome.REVIEW: Status.REVIEW,
    Outcome.RESUBMIT: Status.CAPTURING,
}


def _summary(row: CheckResult) -> CheckSummary:
    return check_record(row).summary()


def run_decision(runtime: Runtime, enrollment_id: str) -> None:
    now = datetime.now(UTC)
    with runtime.database.session() as session:
        enrollments = Enrollments(session)
        enrollment = enrollments.get(enrollment_id, for_update=True)
        if enrollment is None or enrollment.status != Status.PROCESSING:
            return  # decided already (a duplicate delivery) or no longer ours to decide
        policy = load_policy(enrollment.policy_name)
        decisions = Decisions(session)
        resubmissions = sum(d.outcome == Outcome.RESUBMIT for d in decisions.of_enrollment(enrollment_id))
        checks = [_summary(row) for row in CheckResults(session).of_enrollment(enrollment_id)]
        decision = decide(checks, policy, resubmissions)
        decisions.add(Decision(
            enrollment_id=enrollment_id, outcome=decision.outcome, reasons=list(decision.reasons),
            user_reasons=list(decision.user_reasons(policy)), policy_name=policy.name,
            policy_version=policy.version, decided_by="automated", verdict=decision.verdict,
            final=decision.outcome in (Outcome.APPROVED, Outcome.REJECTED), decided_at=now))
        target = OUTCOME_STATUS[decision.outcome]
        require_transition(Status(enrollment.status), target)
        enrollments.transition(enrollment, target, f"automated decision: {decision.outcome}", now)
        emit_status_event(session, enrollment)
        if decision.outcome is Outcome.RESUBMIT:  # a fresh capture window for the retry
            enrollment.expires_at = now + timedelta(seconds=runtime.settings.enrollment_ttl_seconds)
