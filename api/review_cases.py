"""The review step behind the console: random assignment of cases, what a reviewer sees of one, and the
reviewer's decision (ETSI TS 119 461 hybrid process: the human decides on top of the automation).

Every function works in the caller's unit of work; the route commits, then enqueues.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.review_auth import Refused
from api.review_trail import ReviewActionKind, record_action
from storage.enrollments.models import CheckResult, Decision, Enrollment
from storage.enrollments.repositories import Captures, CheckResults, Decisions, Enrollments
from storage.evidence.layout import DerivedImage, DerivedKind, derived_images, derived_prefix
from storage.evidence.store import EvidenceStore
from storage.review.models import Operator, ReviewAssignment
from storage.review.repositories import ReviewAssignments
from verification.decision import rules as automated_decision
from verification.decision.policy import load_policy
from verification.decision.records import reviewer_fields
from verification.decision.review import ReviewReason, reason_fits
from verification.decision.rules import CheckName, Outcome, Verdict, apply_review
from verification.enrollment.lifecycle import CaptureKind, Status, require_transition
from workers.services.webhooks import emit_status_event

AUTOMATED = "automated"  # decided_by of the pipeline's decisions (workers.services.decision)
PORTRAIT = DerivedImage(DerivedKind.PORTRAIT)
OUTCOME_STATUS = {Outcome.APPROVED: Status.APPROVED, Outcome.REJECTED: Status.REJECTED}
PICK_TRIES = 3
# The MRZ fields in the order a reviewer reads a document (unknown ones follow, alphabetically).
MRZ_FIELD_ORDER = ("document_code", "issuing_state", "document_number", "surname", "given_names", "nationality",
                   "birth_date", "sex", "expiry_date", "issue_date", "office_code", "optional_data",
                   "optional_data_2")
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
        raise Refused(403, "This case is not assigned to you, or your time on it ran out: take the next case.")
    return enrollment, assignment


@dataclass(frozen=True)
class EvidenceLink:
    label: str
    url: str


@dataclass(frozen=True)
class CheckView:
    name: str
    status: str
    score: float | None
    reasons: list[str]
    details: str  # pretty JSON, shown as is


@dataclass(frozen=True)
class CaseView:
    enrollment: Enrollment
    assignment: ReviewAssignment
    documents: list[EvidenceLink]
    portrait: EvidenceLink | None
    selfie_frames: list[EvidenceLink]
    videos: list[EvidenceLink]
    mrz_fields: list[tuple[str, str]]
    checks: list[CheckView]
    automated: Decision | None
    approval_reasons: list[ReviewReason]
    rejection_reasons: list[ReviewReason]


def case_view(session: Session, evidence: EvidenceStore, enrollment: Enrollment,
              assignment: ReviewAssignment) -> CaseView:
    base = f"/review/cases/{enrollment.id}"
    captures = Captures(session).of_enrollment(enrollment.id)
    documents = [EvidenceLink(c.kind, f"{base}/captures/{c.kind}") for c in captures
                 if not CaptureKind(c.kind).is_video]
    videos = [EvidenceLink(c.kind, f"{base}/captures/{c.kind}") for c in captures if CaptureKind(c.kind).is_video]
    derived = _derived_names(evidence, enrollment.id)
    frames = sorted((image for image in derived if image.kind is DerivedKind.SELFIE_FRAME),
                    key=lambda image: image.rank or 0)
    rows = CheckResults(session).of_enrollment(enrollment.id)
    return CaseView(
        enrollment=enrollment, assignment=assignment, documents=documents,
        portrait=EvidenceLink("portrait", f"{base}/derived/portrait") if PORTRAIT in derived else None,
        selfie_frames=[EvidenceLink(image.name, f"{base}/derived/{image.name}") for image in frames], videos=videos,
        mrz_fields=_mrz_fields(rows), checks=[_check_view(row) for row in rows],
        automated=_automated(session, enrollment.id),
        approval_reasons=[r for r in ReviewReason if reason_fits(r, approve=True)],
        rejection_reasons=[r for r in ReviewReason if reason_fits(r, approve=False)],
    )


def _derived_names(evidence: EvidenceStore, enrollment_id: str) -> dict[DerivedImage, str]:
    return derived_images(enrollment_id, evidence.keys(derived_prefix(enrollment_id)))


def _check_view(row: CheckResult) -> CheckView:
    return CheckView(row.check, row.status, row.score, list(row.reasons),
                     json.dumps(row.details, indent=2, ensure_ascii=False, sort_keys=True))


def _mrz_fields(rows: list[CheckResult]) -> list[tuple[str, str]]:
    """The fields the document check read from the MRZ, in a document's reading order."""
    document = next((row for row in rows if row.check == CheckName.DOCUMENT), None)
    fields = reviewer_fields(document.details) if document else {}
    rank = {name: index for index, name in enumerate(MRZ_FIELD_ORDER)}
    names = sorted(fields, key=lambda name: (rank.get(name, len(rank)), name))
    return [(name, _shown(fields[name])) for name in names]


def _shown(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else "" if value is None else str(value)


def _automated(session: Session, enrollment_id: str) -> Decision | None:
    return next((d for d in reversed(Decisions(session).of_enrollment(enrollment_id)) if d.decided_by == AUTOMATED),
                None)


def evidence_object(session: Session, enrollment_id: str, source: str, name: str,
                    evidence: EvidenceStore) -> tuple[str, str]:
    """The object key and content type behind a console evidence URL: a capture by kind, or a derived image
    by name; only this enrollment's objects can be named."""
    if source == "captures":
        capture = Captures(session).of_kind(enrollment_id, name) if name in set(CaptureKind) else None
        if capture is not None:
            return capture.object_key, capture.content_type
    elif source == "derived" and (image := DerivedImage.parse(name)) is not None:
        key = _derived_names(evidence, enrollment_id).get(image)
        if key is not None:
            return key, "image/jpeg"
    raise Refused(404, "No such evidence in this case.")


def decide_case(session: Session, operator: Operator, enrollment_id: str, approve: bool, reason: ReviewReason,
                comment: str, now: datetime) -> Outcome:
    """The reviewer's word on their assigned case: apply_review over the automated decision, a final Decision
    row, the transition out of review, the webhook event queued (sent by the caller after its commit)."""
    comment = comment.strip()
    if not reason_fits(reason, approve) or not comment or len(comment) > MAX_COMMENT:
        raise Refused(422, f"A decision needs a reason that fits it and a comment of 1 to {MAX_COMMENT} characters.")
    enrollment, assignment = assigned_case(session, operator, enrollment_id, now, for_update=True)
    if enrollment.status != Status.REVIEW:
        raise Refused(409, f"This case is {enrollment.status} already.")
    row = _automated(session, enrollment_id)
    if row is None:
        raise Refused(409, "This case has no automated decision to review.")
    policy = load_policy(enrollment.policy_name)
    automated = automated_decision.Decision(Outcome(row.outcome), Verdict(row.verdict), tuple(row.reasons),
                                            row.policy_name, row.policy_version)
    decision = apply_review(automated, approve, reason.value, policy)
    Decisions(session).add(Decision(
        enrollment_id=enrollment_id, outcome=decision.outcome.value, reasons=list(decision.reasons),
        user_reasons=list(decision.user_reasons(policy)), policy_name=decision.policy_name,
        policy_version=decision.policy_version, decided_by=operator.username, verdict=decision.verdict.value,
        final=True, decided_at=now))
    target = OUTCOME_STATUS[decision.outcome]
    require_transition(Status(enrollment.status), target)
    Enrollments(session).transition(enrollment, target, f"reviewer decision: {decision.outcome}", now)
    assignment.closed_at, assignment.closed_because = now, "decided"
    record_action(session, operator, ReviewActionKind.DECIDE, now, enrollment_id,
                  {"approve": approve, "outcome": decision.outcome.value, "reason": reason.value, "comment": comment})
    emit_status_event(session, enrollment)
    return decision.outcome
