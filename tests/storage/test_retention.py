from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.evidence.dossier import Dossier
from storage.evidence.erasure import ErasureBlocked, ErasureRefusal, erase_dossier
from storage.evidence.integrity import verify_dossier
from storage.evidence.manifest import Role
from storage.evidence.retention import RetentionPolicy, due_for_erasure
from storage.evidence.store import DirectoryStore, EvidenceStore, S3Store
from tests.storage.evidence_factories import dossier_keys, master_keys
from verification.common.dates import add_years

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class Row:
    name: str
    retention_until: datetime
    legal_hold: bool = False
    erased_at: datetime | None = None


def test_add_years_keeps_the_calendar_date() -> None:
    assert add_years(datetime(2026, 3, 1, tzinfo=UTC), 7) == datetime(2033, 3, 1, tzinfo=UTC)
    assert add_years(datetime(2028, 2, 29, tzinfo=UTC), 1) == datetime(2029, 2, 28, tzinfo=UTC)


def test_retention_period_per_relying_party() -> None:
    policy = RetentionPolicy(default_years=7, per_relying_party={"bank": 5})
    assert policy.retain_until("bank", NOW) == add_years(NOW, 5)
    assert policy.retain_until("health", NOW) == add_years(NOW, 7)
    with pytest.raises(ValueError):
        RetentionPolicy(default_years=-1)


def test_due_for_erasure_skips_held_running_and_erased_dossiers() -> None:
    rows = [
        Row("due", NOW - timedelta(seconds=1)),
        Row("due-exactly-now", NOW),
        Row("held", NOW - timedelta(days=1), legal_hold=True),
        Row("running", NOW + timedelta(seconds=1)),
        Row("erased", NOW - timedelta(days=1), erased_at=NOW - timedelta(hours=1)),
    ]
    assert [row.name for row in due_for_erasure(rows, NOW)] == ["due", "due-exactly-now"]


def filled_dossier(store: EvidenceStore, enrollment_id: str, tmp_path: Path, retain_until: datetime,
                   *, lock: bool = False) -> Dossier:
    dossier = Dossier(store, master_keys(), enrollment_id)
    dossier.open()
    dossier.add_bytes(Role.CAPTURE, "selfie.webm", b"video" * 1000, "video/webm")
    dossier.add_bytes(Role.DECISION, "decision.json", b"{}", "application/json")
    signing_key, jwks = dossier_keys(tmp_path / f"keys-{enrollment_id}")
    dossier.seal(signing_key=signing_key, jwks=jwks, retain_until=retain_until, lock=lock)
    return dossier


def test_erasure_waits_for_legal_hold_and_retention(evidence_store: EvidenceStore, tmp_path: Path) -> None:
    dossier = filled_dossier(evidence_store, "e1", tmp_path, NOW)
    with pytest.raises(ErasureBlocked) as held:
        erase_dossier(evidence_store, dossier.prefix, retain_until=NOW, legal_hold=True, now=NOW + timedelta(days=1))
    assert held.value.code is ErasureRefusal.LEGAL_HOLD
    with pytest.raises(ErasureBlocked) as early:
        erase_dossier(evidence_store, dossier.prefix, retain_until=NOW, legal_hold=False,
                      now=NOW - timedelta(seconds=1))
    assert early.value.code is ErasureRefusal.RETENTION_RUNNING
    assert len(list(evidence_store.keys(dossier.prefix + "/"))) > 3


def test_erasure_deletes_every_version_data_key_first(evidence_store: EvidenceStore, tmp_path: Path) -> None:
    dossier = filled_dossier(evidence_store, "e1", tmp_path, NOW)
    other = filled_dossier(evidence_store, "e2", tmp_path, NOW)
    # A second version of an object (the store keeps both when versioned; `add` writes evidence once).
    dossier.evidence.put_bytes(dossier.object_key(Role.DECISION, "decision.json"), b'{"v":2}')
    stored = evidence_store.versions(dossier.prefix + "/")
    report = erase_dossier(evidence_store, dossier.prefix, retain_until=NOW, legal_hold=False, now=NOW)
    assert report.complete and len(report.deleted) == len(stored)
    assert report.deleted[0].key == dossier.evidence.data_key_object
    assert evidence_store.versions(dossier.prefix + "/") == []
    assert list(evidence_store.keys(dossier.prefix + "/")) == []
    assert list(evidence_store.keys(other.prefix + "/"))  # a neighbour's dossier is untouched


def test_object_lock_refuses_early_deletion_on_the_s3_server(s3_store: S3Store, tmp_path: Path) -> None:
    """moto enforces COMPLIANCE retention against deleting a locked version (DESIGN §8); the dossier's
    database row says the retention is over, the store's lock still holds."""
    locked_until = datetime.now(UTC) + timedelta(days=1)
    dossier = filled_dossier(s3_store, "e1", tmp_path, locked_until, lock=True)
    report = erase_dossier(s3_store, dossier.prefix, retain_until=NOW, legal_hold=False,
                           now=locked_until + timedelta(seconds=1))
    refused = {r.version.key for r in report.refused}
    assert not report.complete
    assert {dossier.evidence.data_key_object, *(k for k in dossier.manifest_versions().values())} <= refused
    assert all(r.reason == "AccessDenied" for r in report.refused)
    # Only the unlocked entry notes went; the sealed dossier still verifies.
    assert all("/entries/" in v.key for v in report.deleted)
    _, jwks = dossier_keys(tmp_path / "keys-e1")
    assert verify_dossier(Dossier(s3_store, dossier.evidence.master_keys, "e1"), jwks).intact


def test_the_directory_store_cannot_lock(directory_store: DirectoryStore) -> None:
    assert directory_store.supports_lock is False
    directory_store.put_bytes("dossiers/e1/x", b"x", "text/plain")
    directory_store.lock("dossiers/e1/x", NOW + timedelta(days=1))
    directory_store.delete("dossiers/e1/x")
    assert list(directory_store.keys("dossiers/e1/")) == []
