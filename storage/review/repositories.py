"""SQL of the review step: operators, random assignment of cases, the reviewer-action trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from storage.enrollments.models import Enrollment
from storage.review.models import Operator, ReviewAction, ReviewAssignment


class Operators:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, operator: Operator) -> None:
        self.session.add(operator)

    def get(self, operator_id: str) -> Operator | None:
        return self.session.get(Operator, operator_id)

    def by_username(self, username: str) -> Operator | None:
        return self.session.scalar(select(Operator).where(Operator.username == username))


class ReviewAssignments:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, assignment: ReviewAssignment) -> None:
        self.session.add(assignment)

    def close_expired(self, now: datetime) -> None:
        """Return the cases whose reviewer let the time run out to the queue."""
        self.session.execute(update(ReviewAssignment)
                             .where(ReviewAssignment.closed_at.is_(None), ReviewAssignment.expires_at <= now)
                             .values(closed_at=now, closed_because="expired"))

    def open_of_operator(self, operator_id: str, now: datetime) -> ReviewAssignment | None:
        return self.session.scalar(select(ReviewAssignment).where(
            ReviewAssignment.operator_id == operator_id, ReviewAssignment.closed_at.is_(None),
            ReviewAssignment.expires_at > now).order_by(ReviewAssignment.id.desc()).limit(1))

    def open_for(self, operator_id: str, enrollment_id: str, now: datetime) -> ReviewAssignment | None:
        return self.session.scalar(select(ReviewAssignment).where(
            ReviewAssignment.operator_id == operator_id, ReviewAssignment.enrollment_id == enrollment_id,
            ReviewAssignment.closed_at.is_(None), ReviewAssignment.expires_at > now))

    def pick_unassigned(self, status: str) -> Enrollment | None:
        """One enrollment in `status` that no open assignment holds, drawn uniformly at random and locked.
        SKIP LOCKED: reviewers asking at the same moment draw among the cases the others are not taking
        (PostgreSQL; SQLite has no row locks and serialises writers instead)."""
        held = exists().where(ReviewAssignment.enrollment_id == Enrollment.id, ReviewAssignment.closed_at.is_(None))
        return self.session.scalar(select(Enrollment).where(Enrollment.status == status, ~held)
                                   .order_by(func.random()).limit(1)
                                   .with_for_update(skip_locked=True, of=Enrollment))

    def count_unassigned(self, status: str) -> int:
        held = exists().where(ReviewAssignment.enrollment_id == Enrollment.id, ReviewAssignment.closed_at.is_(None))
        return int(self.session.scalar(select(func.count()).select_from(Enrollment)
                                       .where(Enrollment.status == status, ~held)) or 0)

    def of_enrollment(self, enrollment_id: str) -> list[ReviewAssignment]:
        return list(self.session.scalars(select(ReviewAssignment).where(ReviewAssignment.enrollment_id == enrollment_id)
                                         .order_by(ReviewAssignment.id)))


class ReviewActions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, operator_id: str, action: str, at: datetime, enrollment_id: str | None = None,
            detail: dict[str, Any] | None = None) -> ReviewAction:
        row = ReviewAction(operator_id=operator_id, action=action, enrollment_id=enrollment_id, detail=detail or {},
                           at=at)
        self.session.add(row)
        return row

    def of_operator(self, operator_id: str) -> list[ReviewAction]:
        return list(self.session.scalars(select(ReviewAction).where(ReviewAction.operator_id == operator_id)
                                         .order_by(ReviewAction.id)))

    def of_enrollment(self, enrollment_id: str) -> list[ReviewAction]:
        return list(self.session.scalars(select(ReviewAction).where(ReviewAction.enrollment_id == enrollment_id)
                                         .order_by(ReviewAction.id)))

    def last_of(self, operator_id: str, action: str) -> ReviewAction | None:
        return self.session.scalar(select(ReviewAction).where(ReviewAction.operator_id == operator_id,
                                                              ReviewAction.action == action)
                                   .order_by(ReviewAction.id.desc()).limit(1))

    def recent(self, limit: int) -> list[tuple[ReviewAction, str]]:
        """The newest actions first, each with its operator's username."""
        rows = self.session.execute(select(ReviewAction, Operator.username)
                                    .join(Operator, Operator.id == ReviewAction.operator_id)
                                    .order_by(ReviewAction.id.desc()).limit(limit))
        return [(action, username) for action, username in rows]
