"""SQLAlchemy 2 models. Plain strings and JSON columns: storage knows nothing of domain types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

JsonType = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores naive values and would hand them back naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JsonType, list[Any]: JsonType, datetime: UtcDateTime()}


class RelyingParty(Base):
    __tablename__ = "relying_parties"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    webhook_secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class Enrollment(Base):
    __tablename__ = "enrollments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    relying_party_id: Mapped[str] = mapped_column(ForeignKey("relying_parties.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    declared_traits: Mapped[dict[str, Any] | None]
    ins_traits: Mapped[dict[str, Any] | None]
    callback_url: Mapped[str | None] = mapped_column(Text)
    policy_name: Mapped[str] = mapped_column(String(100))
    # The random tilt a document video must show (ETSI TS 119 461 VAL-8.3.3-04X), drawn at creation.
    document_tilt: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class EnrollmentEvent(Base):
    """Every status transition, with its time and cause."""

    __tablename__ = "enrollment_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enrollment_id: Mapped[str] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    cause: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]


class Capture(Base):
    __tablename__ = "captures"
    __table_args__ = (UniqueConstraint("enrollment_id", "kind"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    enrollment_id: Mapped[str] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(Text)
    challenge_id: Mapped[str | None] = mapped_column(ForeignKey("challenges.id"))
    created_at: Mapped[datetime]


class Challenge(Base):
    __tablename__ = "challenges"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    enrollment_id: Mapped[str] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    actions: Mapped[list[Any]]
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class CheckResult(Base):
    """One row per (enrollment, check): a task that runs twice overwrites its own result."""

    __tablename__ = "check_results"
    __table_args__ = (UniqueConstraint("enrollment_id", "check"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enrollment_id: Mapped[str] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    check: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[Any]]
    details: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Decision(Base):
    """Automated decisions and reviewers' ones; `final` marks the one that closes the enrollment."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enrollment_id: Mapped[str] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[list[Any]]
    user_reasons: Mapped[list[Any]]
    policy_name: Mapped[str] = mapped_column(String(100))
    policy_version: Mapped[str] = mapped_column(String(40))
    decided_by: Mapped[str] = mapped_column(String(100))
    verdict: Mapped[str] = mapped_column(String(20))  # what automation concluded, kept to compare with review
    final: Mapped[bool]
    decided_at: Mapped[datetime]
    # The fields a reviewer confirmed or corrected (verification.document.fields, source `reviewer`).
    identity_fields: Mapped[dict[str, Any] | None]


class Assertion(Base):
    __tablename__ = "assertions"

    jti: Mapped[str] = mapped_column(String(36), primary_key=True)
    enrollment_id: Mapped[str] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(Text)
    kid: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
