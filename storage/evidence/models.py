"""Tables of the evidence dossier's life cycle, the audit log and the auditors' API keys (on
storage.enrollments.models.Base, so one metadata and one Alembic history hold every table)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.enrollments.models import Base

# BIGINT on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
AuditId = BigInteger().with_variant(Integer(), "sqlite")


class DossierRecord(Base):
    """One row per enrollment's dossier, kept after erasure as its tombstone (erased_at, outcome and the
    last manifest's digest). No foreign key to enrollments: the tombstone outlives the personal data."""

    __tablename__ = "dossiers"
    __table_args__ = (Index("ix_dossiers_erasure", "erased_at", "retention_until"),)

    enrollment_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    relying_party_id: Mapped[str] = mapped_column(String(36), index=True)
    prefix: Mapped[str] = mapped_column(Text)
    data_key_id: Mapped[str] = mapped_column(String(64))
    master_key_id: Mapped[str] = mapped_column(String(100), index=True)  # which dossiers a rotation must rewrap
    manifest_version: Mapped[int] = mapped_column(Integer, default=0)  # 0: never sealed
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(20), index=True)  # the decision's, at the last seal
    sealed_at: Mapped[datetime | None] = mapped_column(index=True)
    # The relying party's period from the first seal; later seals may extend it, never shorten it.
    retention_until: Mapped[datetime]
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    erased_at: Mapped[datetime | None]
    erasure_outcome: Mapped[str | None] = mapped_column(String(20))  # "complete" or "incomplete"
    erasure_details: Mapped[dict[str, Any] | None]  # what was deleted, and the signed erasure receipt


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
