from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from storage.evidence.models import DossierRecord
from storage.evidence.repositories import Dossiers
from storage.evidence.retention import due_for_erasure
from tests.storage.evidence_factories import fresh_schema

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    with fresh_schema(postgres_url) as engine:
        yield engine


def dossier(enrollment_id: str, retention_until: datetime, *, master_key_id: str = "m1",
            legal_hold: bool = False) -> DossierRecord:
    return DossierRecord(enrollment_id=enrollment_id, relying_party_id="rp-1", prefix=f"dossiers/{enrollment_id}",
                         data_key_id=f"dk-{enrollment_id}", master_key_id=master_key_id, manifest_version=0,
                         retention_until=retention_until, legal_hold=legal_hold, created_at=NOW - timedelta(days=1))


def test_expired_dossiers_feed_the_erasure_decision(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        repo = Dossiers(session)
        for record in (dossier("old", NOW - timedelta(days=2)),
                       dossier("held", NOW - timedelta(days=1), legal_hold=True),
                       dossier("young", NOW + timedelta(days=1))):
            repo.add(record)
    with Session(engine) as session, session.begin():
        repo = Dossiers(session)
        expired = repo.expired(NOW)
        assert [r.enrollment_id for r in expired] == ["old"]
        assert due_for_erasure(expired, NOW) == expired
        repo.mark_erased(expired[0], at=NOW, complete=True, details={"deleted": 7})
    with Session(engine) as session:
        assert Dossiers(session).expired(NOW) == []
        tombstone = Dossiers(session).get("old")
        assert tombstone is not None
        assert (tombstone.erased_at, tombstone.erasure_outcome) == (NOW, "complete")


def test_an_incomplete_erasure_is_retried(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        Dossiers(session).add(dossier("e1", NOW - timedelta(days=1)))
    with Session(engine) as session, session.begin():
        repo = Dossiers(session)
        repo.mark_erased(repo.expired(NOW)[0], at=NOW, complete=False, details={"refused": 2})
    with Session(engine) as session:
        assert [r.erasure_outcome for r in Dossiers(session).expired(NOW)] == ["incomplete"]


def test_a_row_locked_by_one_eraser_is_skipped_by_another(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        Dossiers(session).add(dossier("e1", NOW - timedelta(days=1)))
    with Session(engine) as first, first.begin(), Session(engine) as second, second.begin():
        assert len(Dossiers(first).expired(NOW)) == 1
        assert Dossiers(second).expired(NOW) == []


def test_seal_records_the_manifest_and_never_shortens_retention(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        repo = Dossiers(session)
        record = dossier("e1", NOW + timedelta(days=1))
        repo.add(record)
        repo.record_seal(record, version=1, manifest_sha256="ab" * 32, sealed_at=NOW,
                         retention_until=NOW + timedelta(days=7 * 365))
        with pytest.raises(ValueError):
            repo.record_seal(record, version=2, manifest_sha256="cd" * 32, sealed_at=NOW,
                             retention_until=NOW + timedelta(days=30))
    with Session(engine) as session:
        stored = Dossiers(session).get("e1")
        assert stored is not None and (stored.manifest_version, stored.manifest_sha256) == (1, "ab" * 32)


def test_dossiers_to_rewrap_after_a_master_key_rotation(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        repo = Dossiers(session)
        repo.add(dossier("a", NOW, master_key_id="m1"))
        repo.add(dossier("b", NOW, master_key_id="m2"))
        erased = dossier("c", NOW, master_key_id="m1")
        repo.add(erased)
        repo.mark_erased(erased, at=NOW, complete=True, details={})
    with Session(engine) as session:
        assert [r.enrollment_id for r in Dossiers(session).not_on_master_key("m2")] == ["a"]
