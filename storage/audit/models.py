"""Tables of the audit log and of the auditors' API keys (on storage.enrollments.models.Base, so one
metadata and one Alembic history hold every table)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.enrollments.models import Base

# BIGINT on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
AuditId = BigInteger().with_variant(Integer(), "sqlite")


class AuditLogRow(Base):
    """An append-only, hash-chained log row (storage.audit.log computes `row_hash` and checks the chain)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(AuditId, primary_key=True, autoincrement=False)  # contiguous, set by append
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(Text, index=True)
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditorKey(Base):
    """An API key of the auditor API (api/routes/audit.py), held by an operator whose role is auditor:
    credentials of their own, apart from console passwords, relying-party keys and enrollment tokens.
    Stored as a SHA-256 digest (a 256-bit random secret, storage.enrollments.credentials)."""

    __tablename__ = "auditor_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
