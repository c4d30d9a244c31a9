"""Recording a decision, automated or a reviewer's (one function for both), and the decision step: check
results → outcome under the enrollment's policy → status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from storage.enrollments.models import Decision, Enrollment
from storage.enrollments.repositories import CheckResults, Decisions, Enrollments
from storage.runtime import Runtime
from verification.decision import rules
from verification.decision.policy import Policy, load_policy
from verification.decision.rules import Outcome, decide
from verification.document.fields import DocumentFields
from verification.enrollment.lifecycle import Status
from workers.services.lifecycle import transition
from workers.services.results import check_record
from workers.services.traits import run_traits_check

AUTOMATED = "automated"  # decided_by of the pipeline's decisions; a reviewer's carry the reviewer's username
OUTCOME_STATUS = {
    Outcome.APPROVED: Status.APPROVED,
    Outcome.REJECTED: Status.REJECTED,
    Outcome.REVIEW: Status.REVIEW,
    Outcome.RESUBMIT: Status.CAPTURING,
}
FINAL_OUTCOMES = frozenset({Outcome.APPROVED, Outcome.REJECTED})


def record_decision(session: Session, enrollment: Enrollment, decision: rules.Decision, policy: Policy,
                    decided_by: str, now: datetime, identity_fields: DocumentFields | None = None) -> None:
    """A decision's Decision row (with the fields a reviewer confirmed, if any) and the enrollment's transition
    to its outcome's status (the relying party's event queued with it), in the caller's unit of work."""
    Decisions(session).add(Decision(
        enrollment_id=enrollment.id, outcome=decision.outcome.value, reasons=list(decision.reasons),
        user_reasons=list(decision.user_reasons(policy)), policy_name=decision.policy_name,
        policy_version=decision.policy_version, decided_by=decided_by, verdict=decision.verdict.value,
        final=decision.outcome in FINAL_OUTCOMES, decided_at=now,
        identity_fields=None if identity_fields is None else identity_fields.to_dict()))
    by = AUTOMATED if decided_by == AUTOMATED else "reviewer"
    transition(session, enrollment, OUTCOME_STATUS[decision.outcome], f"{by} decision: {decision.outcome}", now)


def run_decision(runtime: Runtime, enrollment_id: str) -> None:
    now = datetime.now(UTC)
    with runtime.database.session() as session:
        enrollment = Enrollments(session).get(enrollment_id, for_update=True)
        if enrollment is None or enrollment.status != Status.PROCESSING:
            return  # decided already (a duplicate delivery) or no longer ours to decide
        policy = load_policy(enrollment.policy_name)
        resubmissions = sum(d.outcome == Outcome.RESUBMIT for d in Decisions(session).of_enrollment(enrollment_id))
        run_traits_check(session, enrollment, now)
        checks = [check_record(row).summary() for row in CheckResults(session).of_enrollment(enrollment_id)]
        decision = decide(checks, policy, resubmissions)
        record_decision(session, enrollment, decision, policy, AUTOMATED, now)
        if decision.outcome is Outcome.RESUBMIT:  # a fresh capture window for the retry
            enrollment.expires_at = now + timedelta(seconds=runtime.settings.enrollment_ttl_seconds)
