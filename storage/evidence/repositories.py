"""Repositories of the dossier rows and of the erasure of an enrollment's personal data: all their SQL.
They add and query; the caller's unit of work commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.db import rowcount
from storage.enrollments.models import Enrollment, RelyingParty
from storage.evidence.models import DossierRecord
from storage.review.models import ReviewAction


class Dossiers:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, record: DossierRecord) -> None:
        self.session.add(record)

    def get(self, enrollment_id: str, *, for_update: bool = False) -> DossierRecord | None:
        query = select(DossierRecord).where(DossierRecord.enrollment_id == enrollment_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalar(query)

    def record_seal(self, record: DossierRecord, *, version: int, manifest_sha256: str, sealed_at: datetime,
                    retention_until: datetime, outcome: str | None = None) -> None:
        if retention_until < record.retention_until and record.manifest_version > 0:
            raise ValueError("a sealed dossier's retention is never shortened")
        record.manifest_version = version
        record.manifest_sha256 = manifest_sha256
        record.sealed_at = sealed_at
        record.retention_until = retention_until
        record.outcome = outcome

    def search(self, criteria: DossierSearch) -> list[DossierRecord]:
        """Dossiers matching every criterion given, newest seal first."""
        query = select(DossierRecord)
        if criteria.enrollment_id is not None:
            query = query.where(DossierRecord.enrollment_id == criteria.enrollment_id)
        if criteria.relying_party is not None:
            query = query.join(RelyingParty, RelyingParty.id == DossierRecord.relying_party_id).where(
                RelyingParty.name == criteria.relying_party)
        if criteria.outcome is not None:
            query = query.where(DossierRecord.outcome == criteria.outcome)
        if criteria.sealed_from is not None:
            query = query.where(DossierRecord.sealed_at >= criteria.sealed_from)
        if criteria.sealed_until is not None:
            query = query.where(DossierRecord.sealed_at < criteria.sealed_until)
        if not criteria.include_erased:
            query = query.where(DossierRecord.erased_at.is_(None))
        query = (query.order_by(DossierRecord.sealed_at.desc(), DossierRecord.enrollment_id)
                 .limit(criteria.limit).offset(criteria.offset))
        return list(self.session.scalars(query))

    def expired(self, now: datetime, *, limit: int = 100, skip: frozenset[str] = frozenset()) -> list[DossierRecord]:
        """Dossiers due for erasure, oldest first, locked for this transaction; rows another worker holds
        are skipped. The SQL mirrors storage.evidence.retention.erasure_due (held dossiers must not fill `limit`);
        the caller still applies that function, the rule's one tested statement."""
        query = (select(DossierRecord)
                 .where(DossierRecord.erased_at.is_(None), DossierRecord.retention_until <= now,
                        DossierRecord.legal_hold.is_(False))
                 .order_by(DossierRecord.retention_until).limit(limit)
                 .with_for_update(skip_locked=True))
        if skip:  # those this run tried already (an incomplete erasure stays due)
            query = query.where(DossierRecord.enrollment_id.not_in(skip))
        return list(self.session.scalars(query))

    def not_on_master_key(self, master_key_id: str, *, limit: int = 100) -> list[DossierRecord]:
        """Live dossiers whose data key is wrapped by another master key than `master_key_id` (the active
        one, after a rotation), locked for this transaction."""
        query = (select(DossierRecord)
                 .where(DossierRecord.master_key_id != master_key_id, DossierRecord.erased_at.is_(None))
                 .order_by(DossierRecord.created_at).limit(limit).with_for_update(skip_locked=True))
        return list(self.session.scalars(query))

    def mark_erased(self, record: DossierRecord, *, at: datetime, complete: bool, details: dict[str, Any]) -> None:
        """Record the erasure; an incomplete one keeps erased_at empty so the next run retries it."""
        record.erasure_outcome = "complete" if complete else "incomplete"
        record.erasure_details = details
        if complete:
            record.erased_at = at


@dataclass(frozen=True)
class DossierSearch:
    enrollment_id: str | None = None
    relying_party: str | None = None  # its name
    outcome: str | None = None
    sealed_from: datetime | None = None
    sealed_until: datetime | None = None  # exclusive
    include_erased: bool = False
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class ErasedRows:
    enrollments: int
    review_actions_scrubbed: int


class PersonalData:
    """An enrollment's personal data in the database."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def erase(self, enrollment_id: str) -> ErasedRows:
        """Delete the enrollment, which cascades to its captures, challenges, events, check results,
        decisions, assertion, review assignments and webhook deliveries; empty the free-text details of its
        review actions, which outlive it so the reviewers' own trail (who, what, when) stays whole."""
        enrollments = rowcount(self.session.execute(delete(Enrollment).where(Enrollment.id == enrollment_id)))
        scrubbed = rowcount(self.session.execute(update(ReviewAction).where(ReviewAction.enrollment_id == enrollment_id)
                                                 .values(detail={})))
        return ErasedRows(enrollments, scrubbed)


class ReviewTrail:
    """The review actions on one enrollment, for its dossier (the review step owns the table)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def of_enrollment(self, enrollment_id: str) -> list[ReviewAction]:
        return list(self.session.scalars(select(ReviewAction).where(ReviewAction.enrollment_id == enrollment_id)
                                         .order_by(ReviewAction.id)))


