"""Tables of the human review step: operators, case assignments, and the trail of every reviewer action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.enrollments.models import Base


class Operator(Base):
    """A person who works in the review console; `role` is reviewer, auditor or admin
    (storage.review.credentials.OperatorRole)."""

    __tablename__ = "operators"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)  # Argon2id, its parameters and salt inside
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool]
    created_at: Mapped[datetime]
    sessions_revoked_at: Mapped[datetime | None]  # sessions issued before this moment are void (logout)


class ReviewAssignment(Base):
    """A case handed to one reviewer at random, until it is decided or `expires_at` passes.
    At most one open assignment per enrollment (partial unique index): two reviewers never share a case."""

    __tablename__ = "review_assignments"
    __table_args__ = (
        Index("uq_review_assignments_open", "enrollment_id", unique=True,
              postgresql_where=text("closed_at IS NULL"), sqlite_where=text("closed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enrollment_id: Mapped[str] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.id"), index=True)
    assigned_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_because: Mapped[str | None] = mapped_column(String(20))  # decided | expired


class ReviewAction(Base):
    """Who did what, when, on which enrollment. No foreign key to the enrollment: the trail outlives it."""

    __tablename__ = "review_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    enrollment_id: Mapped[str | None] = mapped_column(String(36), index=True)
    detail: Mapped[dict[str, Any]]
    at: Mapped[datetime]
