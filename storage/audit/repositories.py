"""Repositories of the audit log and of the auditors' keys: all their SQL. They add and query; the
caller's unit of work commits."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from storage.audit.models import AuditLogRow, AuditorKey
from storage.db import rowcount
from storage.review.models import Operator

# One PostgreSQL advisory lock serialises the appends to the audit chain (a transaction-level lock:
# released when the caller's unit of work commits or rolls back).
_AUDIT_LOCK = zlib.crc32(b"idv.audit_log")


class AuditorKeys:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, key: AuditorKey) -> None:
        self.session.add(key)

    def holder(self, key_hash: str) -> Operator | None:
        """The operator holding this unrevoked key (the caller checks the role and that they are active)."""
        return self.session.scalar(select(Operator).join(AuditorKey, AuditorKey.operator_id == Operator.id)
                                   .where(AuditorKey.key_hash == key_hash, AuditorKey.revoked_at.is_(None)))

    def revoke_all(self, operator_id: str, at: datetime) -> int:
        return rowcount(self.session.execute(update(AuditorKey).where(AuditorKey.operator_id == operator_id,
                                                                      AuditorKey.revoked_at.is_(None))
                                             .values(revoked_at=at)))


class AuditRows:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_chain(self) -> None:
        """Serialise appends until the transaction ends. SQLite has a single writer already; elsewhere the
        primary key (ids are contiguous, set by the appender) still refuses a forked chain."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK})

    def last(self) -> AuditLogRow | None:
        return self.session.scalar(select(AuditLogRow).order_by(AuditLogRow.id.desc()).limit(1))

    def add(self, row: AuditLogRow) -> None:
        self.session.add(row)
        self.session.flush()

    def in_order(self, *, batch: int = 1000) -> Iterator[AuditLogRow]:
        return iter(self.session.scalars(select(AuditLogRow).order_by(AuditLogRow.id)
                                         .execution_options(yield_per=batch)))
