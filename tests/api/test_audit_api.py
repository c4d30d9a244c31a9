"""The auditor API and the `idv audit` / `idv retention` commands, over HTTP (in process), PostgreSQL and
the S3 server, on dossiers sealed by the seal step from enrollments made as the pipeline makes them."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.cli.dossier import audit as audit_cli
from api.cli.dossier import retention as retention_cli
from storage.audit.log import AuditorKeyRefused, issue_auditor_key, revoke_auditor_keys
from storage.audit.models import AuditLogRow
from storage.evidence.crypto import DEFAULT_CHUNK_SIZE, IntegrityError
from storage.evidence.erasure import RECEIPT_TYP
from storage.evidence.manifest import Role, SealedManifest, open_manifest, open_record
from storage.review.credentials import OperatorRole
from storage.runtime import Runtime
from storage.settings import get_settings
from tests.api.conftest import RP_KEY
from tests.api.review_factories import make_case, make_operator
from tests.storage.evidence_factories import World, dossier_world, make_auditor, review
from workers.services.dossier import purge_expired, seal_dossier

REASON = "supervisory inspection 2026-17"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[World]:
    with dossier_world(tmp_path_factory.mktemp("audit-api"), "s3", s3_endpoint) as world:
        yield world


@pytest.fixture(scope="module")
def auditor(world: World) -> tuple[str, str]:
    return make_auditor(world.runtime)


@pytest.fixture
def http(world: World, auditor: tuple[str, str]) -> TestClient:
    """The auditor's client: their key and a reason on every request."""
    return TestClient(world.http.app, headers={"Authorization": f"Bearer {auditor[1]}", "X-Audit-Reason": REASON})


def sealed_case(world: World, *, approve: bool = True, runtime: Runtime | None = None) -> tuple[str, SealedManifest]:
    enrollment_id = make_case(world.http, world.runtime)
    review(world.runtime, enrollment_id, approve=approve)
    sealed = seal_dossier(runtime or world.runtime, enrollment_id)
    assert sealed is not None
    return enrollment_id, sealed


def rows_after(runtime: Runtime, row_id: int) -> list[AuditLogRow]:
    with runtime.database.session() as session:
        return list(session.scalars(select(AuditLogRow).where(AuditLogRow.id > row_id).order_by(AuditLogRow.id)))


def last_row_id(runtime: Runtime) -> int:
    rows = rows_after(runtime, 0)
    return rows[-1].id if rows else 0


def entry_of(sealed: SealedManifest, role: Role) -> tuple[str, str, str]:
    """(object key, role, name) of the first object of that role."""
    entry = next(e for e in sealed.manifest.objects if e.role is role)
    return entry.key, role.value, entry.key.rsplit("/", 1)[-1]


def test_every_access_leaves_a_row_with_who_role_what_when_and_why(world: World, http: TestClient,
                                                                    auditor: tuple[str, str]) -> None:
    enrollment_id, sealed = sealed_case(world)
    key, role, name = entry_of(sealed, Role.CAPTURE)
    start = last_row_id(world.runtime)
    before = datetime.now(UTC)

    found = http.get("/v1/audit/dossiers", params={"enrollment_id": enrollment_id})
    assert found.status_code == 200 and [d["enrollment_id"] for d in found.json()["dossiers"]] == [enrollment_id]
    dossier = http.get(f"/v1/audit/dossiers/{enrollment_id}")
    assert dossier.status_code == 200
    assert dossier.json()["manifest"]["version"] == 1 and dossier.json()["outcome"] == "approved"
    obj = http.get(f"/v1/audit/dossiers/{enrollment_id}/objects/{role}/{name}")
    assert obj.status_code == 200 and obj.headers["x-evidence-sha256"] == hashlib.sha256(obj.content).hexdigest()
    assert obj.content == world.runtime.evidence.read_bytes(f"enrollments/{enrollment_id}/captures/{name}")
    assert http.get(f"/v1/audit/dossiers/{enrollment_id}/export").status_code == 200
    assert http.get(f"/v1/audit/dossiers/{enrollment_id}/verify").json()["intact"] is True
    assert http.get("/v1/audit/log/verify").json()["intact"] is True

    rows = rows_after(world.runtime, start)
    assert [(r.action, r.target) for r in rows] == [
        ("search", "dossiers"), ("evidence_read", f"dossiers/{enrollment_id}/manifests/"), ("evidence_read", key),
        ("export", f"dossier:{enrollment_id}"), ("verify", f"dossier:{enrollment_id}"), ("verify", "audit_log")]
    assert {(r.actor, r.role, r.reason) for r in rows} == {(auditor[0], "auditor", REASON)}
    assert all(before <= r.at <= datetime.now(UTC) for r in rows)


def test_a_reason_beyond_ascii_is_sent_percent_encoded(world: World, http: TestClient) -> None:
    start = last_row_id(world.runtime)
    response = http.get("/v1/audit/jwks", headers={"X-Audit-Reason": quote("contrôle d'identité n°12")})
    assert response.status_code == 200 and response.json()["keys"]
    assert [r.reason for r in rows_after(world.runtime, start)] == ["contrôle d'identité n°12"]


def test_search_by_relying_party_outcome_and_seal_dates(world: World, http: TestClient) -> None:
    start = datetime.now(UTC)
    approved, _ = sealed_case(world, approve=True)
    rejected, _ = sealed_case(world, approve=False)

    def ids(**params: object) -> set[str]:
        response = http.get("/v1/audit/dossiers", params={"sealed_from": start.isoformat(), **params})
        assert response.status_code == 200, response.text
        return {d["enrollment_id"] for d in response.json()["dossiers"]}

    assert ids() == ids(relying_party="rp-test") == {approved, rejected}
    assert ids(outcome="approved") == {approved} and ids(outcome="rejected") == {rejected}
    assert ids(relying_party="rp-other") == set()
    assert ids(sealed_until=start.isoformat()) == set()
    assert http.get("/v1/audit/dossiers", params={"limit": 0}).status_code == 422


def test_export_holds_the_verifiable_manifest_the_objects_and_a_readable_summary(world: World,
                                                                                 http: TestClient) -> None:
    enrollment_id, sealed = sealed_case(world)
    response = http.get(f"/v1/audit/dossiers/{enrollment_id}/export")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = open_manifest(archive.read("manifest.jws").decode(), json.loads(archive.read("jwks.json")))
    assert manifest == sealed.manifest
    for entry in manifest.objects:
        data = archive.read("objects/" + entry.key.split("/objects/", 1)[1])
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (entry.sha256, entry.size)
    summary = archive.read("summary.html").decode()
    images = re.findall(r'<img src="([^"]+)"', summary)
    assert len(images) == 5 and all(path in archive.namelist() for path in images)  # document, crop, 3 frames
    face_match = json.loads(next(archive.read(n) for n in archive.namelist() if "/face_match-" in n))
    assert f"<td>{face_match['score']}</td>" in summary and "<strong>approved</strong>" in summary
    assert "compared by hand" in summary  # the reviewer's comment, from the review trail


def test_tampering_is_detected_and_named(world: World, http: TestClient) -> None:
    enrollment_id, sealed = sealed_case(world)
    capture, role, name = entry_of(sealed, Role.CAPTURE)
    check, _, _ = entry_of(sealed, Role.CHECK_RESULT)
    store = world.runtime.evidence
    stored = bytearray(store.read_bytes(capture))
    stored[100] ^= 0x01  # in the first chunk: refused before any byte is sent
    store.put_bytes(capture, bytes(stored), "application/octet-stream")
    store.delete(check)

    report = http.get(f"/v1/audit/dossiers/{enrollment_id}/verify").json()
    assert report["intact"] is False and report["objects"] == len(sealed.manifest.objects)
    assert {(p["key"], p["problem"]) for p in report["problems"]} == {(capture, "object_tampered"),
                                                                       (check, "object_missing")}
    refused = http.get(f"/v1/audit/dossiers/{enrollment_id}/objects/{role}/{name}")
    assert refused.status_code == 409 and refused.json() == {"error": "evidence_tampered", "detail": {"key": capture}}
    assert http.get(f"/v1/audit/dossiers/{enrollment_id}/export").status_code == 409

    # A manifest replaced by another dossier's (validly signed) one is named too.
    _, other = sealed_case(world)
    store.put_bytes(sealed.object_key, other.token.encode(), "application/jose")
    problems = http.get(f"/v1/audit/dossiers/{enrollment_id}/verify").json()["problems"]
    assert {"key": sealed.object_key, "problem": "manifest_malformed"} in problems
    assert http.get(f"/v1/audit/dossiers/{enrollment_id}").status_code == 409


def test_a_stream_is_cut_off_where_a_later_chunk_fails(world: World, http: TestClient) -> None:
    enrollment_id, sealed = sealed_case(world)
    capture, role, name = entry_of(sealed, Role.CAPTURE)
    stored = bytearray(world.runtime.evidence.read_bytes(capture))
    assert len(stored) > 2 * DEFAULT_CHUNK_SIZE  # the flip below is past the first chunk
    stored[-100] ^= 0x01
    world.runtime.evidence.put_bytes(capture, bytes(stored), "application/octet-stream")
    # Headers are out by then: the server aborts the response (the test client re-raises its error).
    with pytest.raises(IntegrityError):
        http.get(f"/v1/audit/dossiers/{enrollment_id}/objects/{role}/{name}")


def test_requests_without_auditor_credentials_or_a_reason_are_refused_and_read_nothing(
        world: World, auditor: tuple[str, str]) -> None:
    enrollment_id, sealed = sealed_case(world)
    _, role, name = entry_of(sealed, Role.CAPTURE)
    url = f"/v1/audit/dossiers/{enrollment_id}/objects/{role}/{name}"
    created = world.http.post("/v1/enrollments", json={}, headers={"Authorization": f"Bearer {RP_KEY}"}).json()
    start = last_row_id(world.runtime)
    client = TestClient(world.http.app)

    def get(**headers: str) -> tuple[int, str]:
        response = client.get(url, headers=headers)
        return response.status_code, response.json()["error"]

    assert get(**{"X-Audit-Reason": REASON}) == (401, "unauthenticated")
    for credential in (RP_KEY, created["enrollment_token"], "a-guess"):  # relying party, mobile app, anyone
        assert get(Authorization=f"Bearer {credential}", **{"X-Audit-Reason": REASON}) == (401, "invalid_auditor_key")
    for reason in ("", "   "):
        assert get(Authorization=f"Bearer {auditor[1]}", **{"X-Audit-Reason": reason}) == (400, "audit_reason_required")
    assert get(Authorization=f"Bearer {auditor[1]}") == (400, "audit_reason_required")
    assert rows_after(world.runtime, start) == []

    reviewer = make_operator(world.runtime, OperatorRole.REVIEWER)
    with world.runtime.database.session() as session, pytest.raises(AuditorKeyRefused):
        issue_auditor_key(session, reviewer, now=datetime.now(UTC))
    with world.runtime.database.session() as session:
        holder = make_operator(world.runtime, OperatorRole.AUDITOR)
        revoked = issue_auditor_key(session, holder, now=datetime.now(UTC))
        assert revoke_auditor_keys(session, holder, now=datetime.now(UTC)) == 1
    assert get(Authorization=f"Bearer {revoked}", **{"X-Audit-Reason": REASON}) == (401, "invalid_auditor_key")


def test_unknown_dossiers_and_objects_are_not_found(world: World, http: TestClient) -> None:
    enrollment_id, _ = sealed_case(world)
    assert http.get("/v1/audit/dossiers/no-such-enrollment").json()["error"] == "dossier_not_found"
    expected = {"capture/planted.jpg": (404, "object_not_in_manifest"),
                "capture/.hidden": (404, "object_not_in_manifest"), "nonsense/x": (422, "invalid_request")}
    for path, (status, error) in expected.items():
        response = http.get(f"/v1/audit/dossiers/{enrollment_id}/objects/{path}")
        assert (response.status_code, response.json()["error"]) == (status, error), path


def test_a_dossier_is_erased_at_term_and_the_api_shows_the_signed_receipt(world: World, http: TestClient) -> None:
    enrollment_id, sealed = sealed_case(world, runtime=world.with_settings(retention_years=0))
    _, role, name = entry_of(sealed, Role.CAPTURE)
    assert http.get(f"/v1/audit/dossiers/{enrollment_id}/objects/{role}/{name}").status_code == 200
    now = datetime.now(UTC) + timedelta(seconds=1)
    assert enrollment_id in {o.enrollment_id for o in purge_expired(world.runtime, now=now) if o.complete}

    tombstone = http.get(f"/v1/audit/dossiers/{enrollment_id}").json()
    assert tombstone["erased_at"] is not None and tombstone["outcome"] == "approved"
    assert tombstone["manifest_sha256"] == sealed.sha256
    receipt = open_record(tombstone["erasure_receipt"], http.get("/v1/audit/jwks").json(), RECEIPT_TYP)
    assert (receipt["enrollment_id"], receipt["manifest_sha256"], receipt["versions_left"]) == (
        enrollment_id, sealed.sha256, 0)
    report = http.get(f"/v1/audit/dossiers/{enrollment_id}/verify").json()
    assert report["intact"] is False and report["problems"] == [{"key": f"dossiers/{enrollment_id}",
                                                                 "problem": "erased"}]
    gone = http.get(f"/v1/audit/dossiers/{enrollment_id}/objects/{role}/{name}")
    assert gone.status_code == 410 and gone.json()["error"] == "dossier_erased"
    assert http.get("/v1/audit/dossiers", params={"enrollment_id": enrollment_id}).json()["count"] == 0
    listed = http.get("/v1/audit/dossiers", params={"enrollment_id": enrollment_id, "include_erased": True})
    assert [d["erased_at"] is not None for d in listed.json()["dossiers"]] == [True]


# --- command line ----------------------------------------------------------------------------------------------

@pytest.fixture
def cli(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    settings = world.runtime.settings
    for name, value in (("DATA_DIR", settings.data_dir), ("DATABASE_URL", settings.database_url),
                        ("S3_ENDPOINT", settings.s3_endpoint), ("S3_BUCKET", settings.s3_bucket),
                        ("S3_REGION", settings.s3_region), ("S3_SECURE", "false"), ("S3_ACCESS_KEY", "testing"),
                        ("S3_SECRET_KEY", "testing")):
        monkeypatch.setenv(f"IDV_{name}", str(value))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_verify_names_the_culprit_and_fails(world: World, cli: CliRunner) -> None:
    enrollment_id, sealed = sealed_case(world)
    ok = cli.invoke(audit_cli, ["verify", enrollment_id, "--json"])
    assert ok.exit_code == 0, ok.output
    assert (json.loads(ok.output)["intact"], json.loads(ok.output)["problems"]) == (True, [])
    world.runtime.evidence.delete(sealed.object_key)
    broken = cli.invoke(audit_cli, ["verify", enrollment_id, "--json"])
    assert broken.exit_code == 1
    report = json.loads(broken.output)
    assert report["intact"] is False and {"key": f"dossiers/{enrollment_id}/manifests/",
                                          "problem": "no_manifest"} in report["problems"]


def test_cli_legal_hold_and_purge(world: World, cli: CliRunner) -> None:
    enrollment_id, _ = sealed_case(world, runtime=world.with_settings(retention_years=0))
    held = cli.invoke(retention_cli, ["legal-hold", enrollment_id, "--on", "--reason", "court order 2026-118"])
    assert held.exit_code == 0, held.output
    purged = json.loads(cli.invoke(retention_cli, ["purge", "--json"]).output)
    assert enrollment_id not in {o["enrollment_id"] for o in purged["erased"]}
    assert cli.invoke(retention_cli, ["legal-hold", enrollment_id, "--off", "--reason", "released"]).exit_code == 0
    purged = json.loads(cli.invoke(retention_cli, ["purge", "--json"]).output)
    assert enrollment_id in {o["enrollment_id"] for o in purged["erased"]}
    again = cli.invoke(retention_cli, ["legal-hold", enrollment_id, "--on", "--reason", "too late"])
    assert again.exit_code == 1 and "no live dossier" in again.output


def test_cli_auditor_key_and_log_verification(world: World, cli: CliRunner) -> None:
    username = make_operator(world.runtime, OperatorRole.AUDITOR)
    issued = cli.invoke(audit_cli, ["auditor-key", username, "--json"])
    assert issued.exit_code == 0, issued.output
    key = json.loads(issued.output)["auditor_key"]
    response = world.http.get("/v1/audit/log/verify", headers={"Authorization": f"Bearer {key}",
                                                               "X-Audit-Reason": REASON})
    assert response.status_code == 200 and response.json()["intact"] is True
    verified = cli.invoke(audit_cli, ["verify-log", "--json"])
    assert verified.exit_code == 0 and json.loads(verified.output)["rows"] > response.json()["rows"]
    refused = cli.invoke(audit_cli, ["auditor-key", make_operator(world.runtime, OperatorRole.REVIEWER)])
    assert refused.exit_code == 1 and "not an active operator of role auditor" in refused.output
