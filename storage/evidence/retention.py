"""How long evidence dossiers are kept, and which are due for erasure.

A dossier is kept for its relying party's period from its last seal that brought new evidence, in the
store under a write-once lock where the store can (storage.evidence.store), and is erased at term
(storage.evidence.erasure) unless a legal hold suspends it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from storage.settings import Settings
from verification.common.dates import add_years


@dataclass(frozen=True)
class RetentionPolicy:
    """Years to keep a dossier after sealing, per relying party (PVID providers quote 6 to 7 years)."""

    default_years: int
    per_relying_party: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.default_years < 0 or any(years < 0 for years in self.per_relying_party.values()):
            raise ValueError("retention periods must not be negative")

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        return cls(settings.retention_years, settings.retention_years_by_relying_party)

    def retain_until(self, relying_party: str, sealed_at: datetime) -> datetime:
        return add_years(sealed_at, self.per_relying_party.get(relying_party, self.default_years))


class RetentionRow(Protocol):
    """What the erasure decision reads from a dossier row (an ORM row or any object alike)."""

    retention_until: datetime
    legal_hold: bool
    erased_at: datetime | None


Row = TypeVar("Row", bound=RetentionRow)


def erasure_due(row: RetentionRow, now: datetime) -> bool:
    return row.erased_at is None and not row.legal_hold and row.retention_until <= now


def due_for_erasure(rows: Iterable[Row], now: datetime) -> list[Row]:
    """The dossiers to erase now: retention over, not under legal hold, not already erased."""
    return [row for row in rows if erasure_due(row, now)]
