"""Repositories: all SQL lives here. They add and query; the caller's unit of work commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.enrollments.models import (
    Assertion,
    Capture,
    Challenge,
    CheckResult,
    Decision,
    Enrollment,
    EnrollmentEvent,
    RelyingParty,
)


class RelyingParties:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, party: RelyingParty) -> None:
        self.session.add(party)

    def by_key_hash(self, api_key_hash: str) -> RelyingParty | None:
        return self.session.scalar(select(RelyingParty).where(RelyingParty.api_key_hash == api_key_hash))

    def by_name(self, name: str) -> RelyingParty | None:
        return self.session.scalar(select(RelyingParty).where(RelyingParty.name == name))

    def get(self, party_id: str) -> RelyingParty | None:
        return self.session.get(RelyingParty, party_id)


class Enrollments:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, enrollment: Enrollment, cause: str) -> None:
        self.session.add(enrollment)
        self.session.add(EnrollmentEvent(enrollment_id=enrollment.id, from_status=None, to_status=enrollment.status,
                                         cause=cause, at=enrollment.created_at))

    def get(self, enrollment_id: str, *, for_update: bool = False) -> Enrollment | None:
        query = select(Enrollment).where(Enrollment.id == enrollment_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalar(query)

    def transition(self, enrollment: Enrollment, to_status: str, cause: str, at: datetime) -> None:
        self.session.add(EnrollmentEvent(enrollment_id=enrollment.id, from_status=enrollment.status,
                                         to_status=to_status, cause=cause, at=at))
        enrollment.status = to_status
        enrollment.updated_at = at

    def events(self, enrollment_id: str) -> list[EnrollmentEvent]:
        return list(self.session.scalars(select(EnrollmentEvent).where(EnrollmentEvent.enrollment_id == enrollment_id)
                                         .order_by(EnrollmentEvent.id)))


class Captures:
    def __init__(self, session: Session) -> None:
        self.session = session

    def replace(self, capture: Capture) -> Capture | None:
        """Store `capture` as the enrollment's capture of its kind; returns the one it replaces."""
        previous = self.of_kind(capture.enrollment_id, capture.kind)
        if previous is not None:
            self.session.delete(previous)
            self.session.flush()
        self.session.add(capture)
        return previous

    def of_kind(self, enrollment_id: str, kind: str) -> Capture | None:
        return self.session.scalar(select(Capture).where(Capture.enrollment_id == enrollment_id, Capture.kind == kind))

    def of_enrollment(self, enrollment_id: str) -> list[Capture]:
        return list(self.session.scalars(select(Capture).where(Capture.enrollment_id == enrollment_id)
                                         .order_by(Capture.kind)))


class Challenges:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, challenge: Challenge) -> None:
        self.session.add(challenge)

    def by_nonce(self, enrollment_id: str, nonce: str, *, for_update: bool = False) -> Challenge | None:
        query = select(Challenge).where(Challenge.enrollment_id == enrollment_id, Challenge.nonce == nonce)
        if for_update:
            query = query.with_for_update()
        return self.session.scalar(query)

    def get(self, challenge_id: str) -> Challenge | None:
        return self.session.get(Challenge, challenge_id)


class CheckResults:
    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert(self, enrollment_id: str, check: str, *, status: str, score: float | None, reasons: list[str],
               details: dict[str, Any], at: datetime) -> None:
        row = self.session.scalar(select(CheckResult).where(CheckResult.enrollment_id == enrollment_id,
                                                            CheckResult.check == check))
        if row is None:
            row = CheckResult(enrollment_id=enrollment_id, check=check)
            self.session.add(row)
        row.status, row.score, row.reasons, row.details, row.created_at = status, score, reasons, details, at

    def of_enrollment(self, enrollment_id: str) -> list[CheckResult]:
        return list(self.session.scalars(select(CheckResult).where(CheckResult.enrollment_id == enrollment_id)
                                         .order_by(CheckResult.check)))


class Decisions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, decision: Decision) -> None:
        self.session.add(decision)

    def of_enrollment(self, enrollment_id: str) -> list[Decision]:
        return list(self.session.scalars(select(Decision).where(Decision.enrollment_id == enrollment_id)
                                         .order_by(Decision.id)))

    def latest(self, enrollment_id: str) -> Decision | None:
        return self.session.scalar(select(Decision).where(Decision.enrollment_id == enrollment_id)
                                   .order_by(Decision.id.desc()).limit(1))


class Assertions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, assertion: Assertion) -> None:
        self.session.add(assertion)

    def of_enrollment(self, enrollment_id: str) -> Assertion | None:
        return self.session.scalar(select(Assertion).where(Assertion.enrollment_id == enrollment_id))
