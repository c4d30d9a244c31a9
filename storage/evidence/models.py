"""The table of the evidence dossiers' life cycle (on storage.enrollments.models.Base, so one metadata and
one Alembic history hold every table)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.enrollments.models import Base


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

