"""The trail of reviewer actions: a review_actions row for each, and the same fact in the hash-chained
audit log (storage.audit.log), where evidence views count as evidence reads. The reviewer's free text stays
in review_actions only: the audit log can never be erased, so it receives codes, not prose."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from storage.audit import log as audit
from storage.review.models import Operator
from storage.review.repositories import ReviewActions


class ReviewActionKind(StrEnum):
    LOGIN = "login"
    LOGIN_REFUSED = "login_refused"
    LOGOUT = "logout"
    ASSIGN = "assign"
    OPEN_CASE = "open_case"
    VIEW_EVIDENCE = "view_evidence"
    DECIDE = "decide"
    VIEW_TRAIL = "view_trail"


PRIVATE_DETAILS = frozenset({"comment"})  # kept out of the append-only log


def record_action(session: Session, operator: Operator, kind: ReviewActionKind, at: datetime,
                  enrollment_id: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """Both rows join the caller's transaction (the audit append holds the chain's lock until it commits)."""
    detail = detail or {}
    row = ReviewActions(session).add(operator.id, kind.value, at, enrollment_id, detail)
    session.flush()
    public = {key: value for key, value in detail.items() if key not in PRIVATE_DETAILS}
    evidence_read = kind is ReviewActionKind.VIEW_EVIDENCE
    audit.append(
        session, actor=operator.username, role=operator.role,
        action=audit.AuditAction.EVIDENCE_READ if evidence_read else audit.AuditAction.REVIEW_ACTION,
        target=str(detail["object"]) if evidence_read else f"enrollment:{enrollment_id or '-'}",
        reason=f"review console: {kind.value}",
        details={"review_action_id": row.id, "review_action": kind.value, "enrollment_id": enrollment_id, **public},
        at=at)
