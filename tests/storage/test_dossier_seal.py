"""The seal step (workers.services.dossier.seal_dossier) on enrollments made as the pipeline and the review
console make them, against PostgreSQL and both stores; and the erasure job on what it sealed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.audit.models import AuditLogRow
from storage.enrollments.repositories import Captures, Enrollments
from storage.evidence.dossier import Dossier
from storage.evidence.encrypted import master_keys
from storage.evidence.erasure import RECEIPT_TYP, ErasureBlocked, ErasureRefusal
from storage.evidence.integrity import verify_dossier
from storage.evidence.layout import working_prefix
from storage.evidence.manifest import Role, open_record
from storage.evidence.models import DossierRecord
from storage.evidence.repositories import Dossiers, ReviewTrail
from storage.evidence.store import DeletionRefused, S3Store
from storage.keys import KeyUse
from storage.runtime import Runtime
from tests.api.conftest import RP_KEY
from tests.api.review_factories import make_case
from tests.storage.evidence_factories import World, dossier_world, review
from verification.common.dates import add_years
from workers.services.dossier import CaptureAltered, purge_expired, seal_dossier
from workers.services.retention import end_retention_early, set_legal_hold


@pytest.fixture(scope="module", params=["s3", "directory"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    endpoint = request.getfixturevalue("s3_endpoint") if request.param == "s3" else None
    with dossier_world(tmp_path_factory.mktemp("seal"), request.param, endpoint) as world:
        yield world


def dossier_of(runtime: Runtime, enrollment_id: str) -> Dossier:
    return Dossier(runtime.evidence, master_keys(runtime.settings), enrollment_id)


def record_of(runtime: Runtime, enrollment_id: str) -> DossierRecord | None:
    with runtime.database.session() as session:
        return Dossiers(session).get(enrollment_id)


def audit_rows(runtime: Runtime, enrollment_id: str) -> list[AuditLogRow]:
    with runtime.database.session() as session:
        return list(session.scalars(select(AuditLogRow).where(AuditLogRow.target == f"dossier:{enrollment_id}")
                                    .order_by(AuditLogRow.id)))


def roles(sealed_objects: tuple) -> dict[str, int]:  # type: ignore[type-arg]
    counts: dict[str, int] = {}
    for entry in sealed_objects:
        counts[entry.role.value] = counts.get(entry.role.value, 0) + 1
    return counts


def test_seal_after_the_decision_gathers_every_piece_and_verifies(world: World) -> None:
    runtime = world.runtime
    enrollment_id = make_case(world.http, runtime)  # in review, as pvid-substantial sends every approval
    before = datetime.now(UTC)
    sealed = seal_dossier(runtime, enrollment_id)
    assert sealed is not None and sealed.manifest.version == 1
    assert roles(sealed.manifest.objects) == {"capture": 1, "crop": 1, "frame": 3, "check_result": 4,
                                              "decision": 1, "enrollment": 1}
    record = record_of(runtime, enrollment_id)
    assert record is not None
    assert (record.manifest_version, record.manifest_sha256, record.outcome) == (1, sealed.sha256, "review")
    assert add_years(before, 7) <= record.retention_until == sealed.manifest.retain_until <= add_years(
        datetime.now(UTC), 7)
    result = verify_dossier(dossier_of(runtime, enrollment_id), runtime.keys().jwks([KeyUse.DOSSIER]),
                            expected_manifest_sha256=record.manifest_sha256)
    assert result.intact and result.objects == len(sealed.manifest.objects)

    # The capture in the dossier is the upload, encrypted at rest.
    with runtime.database.session() as session:
        capture = Captures(session).of_enrollment(enrollment_id)[0]
    uploaded = runtime.evidence.read_bytes(capture.object_key)
    entry = next(e for e in sealed.manifest.objects if e.role is Role.CAPTURE)
    assert entry.sha256 == capture.sha256 == hashlib.sha256(uploaded).hexdigest()
    assert dossier_of(runtime, enrollment_id).evidence.read_bytes(entry.key) == uploaded
    assert uploaded[1000:1064] not in runtime.evidence.read_bytes(entry.key)
    assert [r.action for r in audit_rows(runtime, enrollment_id)] == ["key_operation", "dossier_sealed"]


def test_reseal_after_the_review_adds_only_the_new_evidence(world: World) -> None:
    runtime = world.runtime
    enrollment_id = make_case(world.http, runtime)
    first = seal_dossier(runtime, enrollment_id)
    assert first is not None
    review(runtime, enrollment_id, approve=True)
    second = seal_dossier(runtime, enrollment_id)
    assert second is not None
    assert (second.manifest.version, second.manifest.previous_sha256) == (2, first.sha256)
    old = set(first.manifest.objects)
    assert old < set(second.manifest.objects)
    added = roles(tuple(set(second.manifest.objects) - old))
    # The reviewer's decision, their actions (assignment excluded: made directly), the assertion, and the
    # enrollment's facts again, now with the review in its history.
    assert added == {"decision": 1, "review_action": 1, "assertion": 1, "enrollment": 1}
    with runtime.database.session() as session:
        trail = ReviewTrail(session).of_enrollment(enrollment_id)
    decide = next(e for e in second.manifest.objects if e.role is Role.REVIEW_ACTION)
    stored = json.loads(dossier_of(runtime, enrollment_id).evidence.read_bytes(decide.key))
    assert stored["action"] == trail[-1].action == "decide" and stored["detail"]["comment"] == "compared by hand"
    record = record_of(runtime, enrollment_id)
    assert record is not None and (record.manifest_version, record.outcome) == (2, "approved")
    assert record.retention_until >= first.manifest.retain_until

    again = seal_dossier(runtime, enrollment_id)  # a duplicate delivery: nothing new, no new manifest
    assert again is not None and again.sha256 == second.sha256
    assert [r.action for r in audit_rows(runtime, enrollment_id)] == ["key_operation", "dossier_sealed",
                                                                      "dossier_sealed"]


def test_nothing_is_sealed_before_a_decision(world: World) -> None:
    created = world.http.post("/v1/enrollments", json={}, headers={"Authorization": f"Bearer {RP_KEY}"})
    enrollment_id = created.json()["enrollment_id"]
    assert seal_dossier(world.runtime, enrollment_id) is None
    assert record_of(world.runtime, enrollment_id) is None
    assert list(world.runtime.evidence.keys(f"dossiers/{enrollment_id}/")) == []


def test_a_capture_altered_since_its_upload_is_not_sealed(world: World) -> None:
    runtime = world.runtime
    enrollment_id = make_case(world.http, runtime)
    with runtime.database.session() as session:
        capture = Captures(session).of_enrollment(enrollment_id)[0]
    altered = bytearray(runtime.evidence.read_bytes(capture.object_key))
    altered[-10] ^= 0xFF
    runtime.evidence.put_bytes(capture.object_key, bytes(altered), capture.content_type)
    with pytest.raises(CaptureAltered):
        seal_dossier(runtime, enrollment_id)
    name = capture.object_key.rsplit("/", 1)[-1]
    assert not any(key.endswith(name) for key in runtime.evidence.keys(f"dossiers/{enrollment_id}/"))


@pytest.mark.parametrize("world", ["s3"], indirect=True)  # a directory cannot lock (storage.evidence.store)
def test_sealed_versions_are_locked_on_the_s3_server(world: World) -> None:
    runtime = world.runtime
    enrollment_id = make_case(world.http, runtime)
    sealed = seal_dossier(runtime, enrollment_id)
    assert sealed is not None
    for version in runtime.evidence.versions(f"dossiers/{enrollment_id}/"):
        if "/entries/" in version.key:
            continue  # unsigned bookkeeping, never locked
        with pytest.raises(DeletionRefused):
            runtime.evidence.delete_version(version)


def test_erasure_at_term_removes_evidence_and_personal_data_and_keeps_a_signed_tombstone(world: World) -> None:
    runtime = world.runtime
    enrollment_id = make_case(world.http, runtime)
    review(runtime, enrollment_id, approve=True)
    sealed = seal_dossier(world.with_settings(retention_years=0), enrollment_id)
    assert sealed is not None
    not_yet = make_case(world.http, runtime)
    assert seal_dossier(runtime, not_yet) is not None  # 7 years
    now = datetime.now(UTC) + timedelta(seconds=1)

    outcomes = purge_expired(runtime, now=now)
    assert [(o.enrollment_id, o.complete, o.refused_versions) for o in outcomes
            if o.enrollment_id in (enrollment_id, not_yet)] == [(enrollment_id, True, 0)]
    assert list(runtime.evidence.keys(f"dossiers/{enrollment_id}/")) == []
    assert list(runtime.evidence.keys(f"{working_prefix(enrollment_id)}/")) == []
    assert runtime.evidence.versions(f"dossiers/{enrollment_id}/") == []
    with runtime.database.session() as session:
        assert Enrollments(session).get(enrollment_id) is None
        assert Captures(session).of_enrollment(enrollment_id) == []
        assert [a.detail for a in ReviewTrail(session).of_enrollment(enrollment_id)] == [{}]  # who/when stay
        assert Enrollments(session).get(not_yet) is not None
        tombstone = Dossiers(session).get(enrollment_id)
    assert tombstone is not None and tombstone.erased_at == now and tombstone.erasure_outcome == "complete"
    assert (tombstone.outcome, tombstone.manifest_sha256) == ("approved", sealed.sha256)
    receipt = open_record(tombstone.erasure_details["receipt"], runtime.keys().jwks([KeyUse.DOSSIER]), RECEIPT_TYP)
    assert receipt["enrollment_id"] == enrollment_id and receipt["manifest_sha256"] == sealed.sha256
    assert receipt["erased_at"] == now.isoformat() and receipt["database"]["enrollments"] == 1
    assert receipt["deleted_versions"] > len(sealed.manifest.objects)
    erasure = audit_rows(runtime, enrollment_id)[-1]
    assert erasure.action == "erasure" and erasure.details["receipt_sha256"] == hashlib.sha256(
        tombstone.erasure_details["receipt"].encode()).hexdigest()
    assert enrollment_id not in {o.enrollment_id for o in purge_expired(runtime, now=now)}  # done once


def test_a_legal_hold_suspends_erasure_until_released(world: World) -> None:
    runtime = world.runtime
    enrollment_id = make_case(world.http, runtime)
    assert seal_dossier(world.with_settings(retention_years=0), enrollment_id) is not None
    now = datetime.now(UTC) + timedelta(seconds=1)
    with runtime.database.session() as session:
        set_legal_hold(session, enrollment_id, True, actor="dpo", role="auditor", reason="court order 2026-118",
                       now=now)
    assert enrollment_id not in {o.enrollment_id for o in purge_expired(runtime, now=now)}
    assert list(runtime.evidence.keys(f"dossiers/{enrollment_id}/"))
    with runtime.database.session() as session:
        set_legal_hold(session, enrollment_id, False, actor="dpo", role="auditor", reason="case closed", now=now)
    assert enrollment_id in {o.enrollment_id for o in purge_expired(runtime, now=now) if o.complete}
    assert [r.action for r in audit_rows(runtime, enrollment_id)][-3:] == ["legal_hold", "legal_hold", "erasure"]


def test_erasure_brought_forward_where_no_lock_holds(world: World) -> None:
    """Early erasure where the law allows: on a directory it is done at the next run; on S3 the COMPLIANCE
    lock set at sealing holds until its date, so it is refused and nothing changes."""
    runtime = world.runtime
    enrollment_id = make_case(world.http, runtime)
    sealed = seal_dossier(runtime, enrollment_id)  # retained 7 years
    assert sealed is not None
    now = datetime.now(UTC)

    def end_early() -> None:
        with runtime.database.session() as session:
            end_retention_early(session, runtime.evidence, enrollment_id, actor="dpo", role="auditor",
                                reason="erasure request, no retention duty (ticket 77)", now=now)

    if isinstance(runtime.evidence, S3Store):
        with pytest.raises(ErasureBlocked) as refused:
            end_early()
        assert refused.value.code is ErasureRefusal.STORE_LOCKED
        record = record_of(runtime, enrollment_id)
        assert record is not None and record.retention_until == sealed.manifest.retain_until
        assert enrollment_id not in {o.enrollment_id for o in purge_expired(runtime, now=now)}
        return
    end_early()
    outcome = next(o for o in purge_expired(runtime, now=now) if o.enrollment_id == enrollment_id)
    assert outcome.complete
    with runtime.database.session() as session:
        assert Enrollments(session).get(enrollment_id) is None
    assert [r.action for r in audit_rows(runtime, enrollment_id)][-2:] == ["erasure", "erasure"]


def test_seal_and_erasure_on_the_embedded_defaults(tmp_path: Path) -> None:
    """SQLite and an evidence directory, as `idv demo` runs: no row locks, one writer."""
    with dossier_world(tmp_path, "embedded") as world:
        enrollment_id = make_case(world.http, world.runtime)
        sealed = seal_dossier(world.with_settings(retention_years=0), enrollment_id)
        assert sealed is not None
        jwks = world.runtime.keys().jwks([KeyUse.DOSSIER])
        assert verify_dossier(dossier_of(world.runtime, enrollment_id), jwks,
                              expected_manifest_sha256=sealed.sha256).intact
        outcomes = purge_expired(world.runtime, now=datetime.now(UTC) + timedelta(seconds=1))
        assert [(o.enrollment_id, o.complete) for o in outcomes] == [(enrollment_id, True)]
        with world.runtime.database.session() as session:
            assert Enrollments(session).get(enrollment_id) is None
            assert Captures(session).of_enrollment(enrollment_id) == []
        assert list(world.runtime.evidence.keys(f"dossiers/{enrollment_id}/")) == []
