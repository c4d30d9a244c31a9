"""The review step (ETSI TS 119 461 hybrid process: the human decides on top of the automation): random
assignment of cases, a reviewer's hold on their case, and the reviewer's decision.

Every function works in the caller's unit of work; the route commits, then enqueues what follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.enrollments.models import Decision, Enrollment
from storage.enrollments.repositories import Captures, Decisions, Enrollments
from storage.evidence.layout import DerivedImage, derived_images, derived_prefix
from storage.evidence.store import EvidenceStore
from storage.review.models import Operator, ReviewAssignment
from storage.review.repositories import ReviewAssignments
from verification.common.errors import CodedError
from verification.decision import rules
from verification.decision.policy import load_policy
from verification.decision.review import ReviewReason, reason_fits, reviewer_confirmed, unconfirmed_for_approval
from verification.decision.rules import Outcome, Verdict, apply_review
from verification.document.fields import DocumentFields
from verification.enrollment.lifecycle import CaptureKind, Status
from verification.identity.from_document import reviewed
from workers.services.decision import AUTOMATED, record_decision
from workers.services.results import document_record
from workers.services.review_trail import ReviewActionKind, record_action

PICK_TRIES = 3
MAX_COMMENT = 1000


def assign_next(session: Session, operator: Operator, now: datetime, ttl_s: int) -> ReviewAssignment | None:
    """The operator's open case if they have one (no hoarding), else a case drawn at random from those
    waiting and nobody holds (VAL-8.3.3-13: a reviewer cannot choose a case, nor a case its reviewer)."""
    assignments = ReviewAssignments(session)
    assignments.close_expired(now)
    current = assignments.open_of_operator(operator.id, now)
    if current is not None:
        return current
    for _ in range(PICK_TRIES):
        enrollment = assignments.pick_unassigned(Status.REVIEW)
        if enrollment is None:
            return None
        assignment = ReviewAssignment(enrollment_id=enrollment.id, operator_id=operator.id, assigned_at=now,
                                      expires_at=now + timedelta(seconds=ttl_s), closed_at=None, closed_because=None)
        try:
            with session.begin_nested():
                assignments.add(assignment)
        except IntegrityError:
            continue  # a reviewer asking at the same instant drew it first: draw again
        record_action(session, operator, ReviewActionKind.ASSIGN, now, enrollment.id)
        return assignment
    return None


def assigned_case(session: Session, operator: Operator, enrollment_id: str, now: datetime,
                  *, for_update: bool = False) -> tuple[Enrollment, ReviewAssignment]:
    assignment = ReviewAssignments(session).open_for(operator.id, enrollment_id, now)
    enrollment = Enrollments(session).get(enrollment_id, for_update=for_update)
    if assignment is None or enrollment is None:
        raise CodedError("case_not_assigned",
                         "This case is not assigned to you, or your time on it ran out: take the next case.")
    return enrollment, assignment


def automated_decision(session: Session, enrollment_id: str) -> Decision | None:
    """The pipeline's latest decision on the enrollment, the one a reviewer decides on top of."""
    return next((d for d in reversed(Decisions(session).of_enrollment(enrollment_id)) if d.decided_by == AUTOMATED),
                None)


def derived_names(evidence: EvidenceStore, enrollment_id: str) -> dict[DerivedImage, str]:
    return derived_images(enrollment_id, evidence.keys(derived_prefix(enrollment_id)))


def evidence_object(session: Session, enrollment_id: str, source: str, name: str,
                    evidence: EvidenceStore) -> tuple[str, str]:
    """The object key and content type behind a console evidence URL: a capture by kind, or a derived image
    by name; only this enrollment's objects can be named."""
    if source == "captures":
        capture = Captures(session).of_kind(enrollment_id, name) if name in set(CaptureKind) else None
        if capture is not None:
            return capture.object_key, capture.content_type
    elif source == "derived" and (image := DerivedImage.parse(name)) is not None:
        key = derived_names(evidence, enrollment_id).get(image)
        if key is not None:
            return key, "image/jpeg"
    raise CodedError("evidence_not_found", "No such evidence in this case.")


def _require_confirmed(session: Session, enrollment_id: str, reviewer: DocumentFields) -> None:
    """An approval needs every field the assertion carries confirmed, by the document or by the reviewer."""
    document = document_record(session, enrollment_id)
    fields = reviewed(document.identity_fields if document else DocumentFields({}), reviewer)
    missing = unconfirmed_for_approval(fields, document.fields if document else None)
    if missing:
        raise CodedError("fields_unconfirmed", {"fields": [name.value for name in missing]})


def decide_case(session: Session, operator: Operator, enrollment_id: str, approve: bool, reason: ReviewReason,
                comment: str, now: datetime, fields: Mapping[str, Any] | None = None) -> Outcome:
    """The reviewer's word on their assigned case: apply_review over the automated decision, recorded as
    every decision is (a final Decision row with the fields the reviewer confirmed or corrected, the
    transition out of review, the webhook event queued: sent by the caller after its commit), the assignment
    closed and the action in the trail. An approval with a field the assertion needs that neither the
    document nor the reviewer confirmed is refused (`fields_unconfirmed`, with the fields)."""
    comment = comment.strip()
    if not reason_fits(reason, approve) or not comment or len(comment) > MAX_COMMENT:
        raise CodedError("review_decision_invalid",
                         f"A decision needs a reason that fits it and a comment of 1 to {MAX_COMMENT} characters.")
    confirmed = reviewer_confirmed(fields or {})
    enrollment, assignment = assigned_case(session, operator, enrollment_id, now, for_update=True)
    if enrollment.status != Status.REVIEW:
        raise CodedError("case_closed", f"This case is {enrollment.status} already.")
    row = automated_decision(session, enrollment_id)
    if row is None:
        raise CodedError("case_not_decided", "This case has no automated decision to review.")
    policy = load_policy(enrollment.policy_name)
    automated = rules.Decision(Outcome(row.outcome), Verdict(row.verdict), tuple(row.reasons), row.policy_name,
                               row.policy_version)
    decision = apply_review(automated, approve, reason.value, policy)
    if decision.outcome is Outcome.APPROVED:
        _require_confirmed(session, enrollment_id, confirmed)
    record_decision(session, enrollment, decision, policy, operator.username, now,
                    confirmed if confirmed.fields else None)
    assignment.closed_at, assignment.closed_because = now, "decided"
    detail: dict[str, Any] = {"approve": approve, "outcome": decision.outcome.value, "reason": reason.value,
                              "comment": comment}
    if confirmed.fields:  # which fields, not their values: the values are in the decision record
        detail["fields"] = sorted(name.value for name, _ in confirmed)
    record_action(session, operator, ReviewActionKind.DECIDE, now, enrollment_id, detail)
    return decision.outcome
