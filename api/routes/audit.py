"""The auditor API (/v1/audit): search dossiers, read a manifest, stream one decrypted object, export a
dossier as a zip, verify a dossier or the audit log.

Credentials of its own: `Authorization: Bearer <auditor key>`, a key issued (`idv audit auditor-key USER`)
to an operator of role auditor. Relying-party keys, enrollment tokens and console sessions open nothing
here. Every call states why in `X-Audit-Reason` (UTF-8, percent-encoded beyond ASCII) and is written to
the audit log (who, role, what, when, why) and committed before any evidence leaves: no reason, no
access; no trace, no byte. The reason is kept for good: it must name a case or an order, not a person. Evidence is
checked as it streams out: a chunk that does not authenticate, or an object whose digest is not the
manifest's, stops the response.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import FileResponse, StreamingResponse
from jinja2 import Environment
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from api.deps import BearerDep, RuntimeDep, SessionDep
from api.errors import ApiError
from storage.audit import log as audit
from storage.enrollments.repositories import RelyingParties
from storage.evidence.crypto import IntegrityError, UnknownMasterKey
from storage.evidence.dossier import Dossier
from storage.evidence.encrypted import DataKeyMissing, master_keys
from storage.evidence.manifest import DossierError, ManifestEntry, Role, SealedManifest
from storage.evidence.models import DossierRecord
from storage.evidence.repositories import Dossiers, DossierSearch
from storage.evidence.store import ObjectNotFound
from storage.keys import KeyUse
from storage.runtime import Runtime
from storage.streams import checked
from workers.services.retention import DossierNotFound, verify_recorded_dossier

router = APIRouter(prefix="/v1/audit", tags=["auditor"])
MAX_REASON = 500


@dataclass(frozen=True)
class AuditorCall:
    username: str
    role: str
    reason: str


def auditor_call(session: SessionDep, credential: BearerDep,
                 x_audit_reason: Annotated[str | None, Header()] = None) -> AuditorCall:
    operator = audit.auditor_for_key(session, credential)
    if operator is None:
        raise ApiError(401, "invalid_auditor_key", "this credential does not open the auditor API")
    reason = unquote(x_audit_reason or "").strip()
    if not reason:
        raise ApiError(400, audit.AuditReasonRequired.code, "state the reason for this access in X-Audit-Reason")
    if len(reason) > MAX_REASON:
        raise ApiError(400, "audit_reason_too_long", {"max_characters": MAX_REASON})
    return AuditorCall(operator.username, operator.role, reason)


Auditor = Annotated[AuditorCall, Depends(auditor_call)]


def _log(session: Session, call: AuditorCall, action: audit.AuditAction, target: str,
         details: dict[str, Any] | None = None) -> None:
    """The access's row, committed now: whatever follows, the trace stays."""
    audit.append(session, actor=call.username, role=call.role, action=action, target=target, reason=call.reason,
                 details=details)
    session.commit()


def _summary(session: Session, record: DossierRecord) -> dict[str, Any]:
    party = RelyingParties(session).get(record.relying_party_id)
    return {"enrollment_id": record.enrollment_id, "relying_party": party.name if party else None,
            "outcome": record.outcome, "manifest_version": record.manifest_version,
            "manifest_sha256": record.manifest_sha256, "sealed_at": record.sealed_at, "created_at": record.created_at,
            "retention_until": record.retention_until, "legal_hold": record.legal_hold, "erased_at": record.erased_at,
            "erasure_outcome": record.erasure_outcome}


@router.get("/dossiers")
def search_dossiers(call: Auditor, session: SessionDep,
                    enrollment_id: str | None = None, relying_party: str | None = None, outcome: str | None = None,
                    sealed_from: datetime | None = None, sealed_until: datetime | None = None,
                    include_erased: bool = False, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                    offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Dossiers by enrollment id, relying party (name), outcome and seal dates (`sealed_until` exclusive)."""
    criteria = DossierSearch(enrollment_id, relying_party, outcome, sealed_from, sealed_until, include_erased,
                             limit, offset)
    records = Dossiers(session).search(criteria)
    _log(session, call, audit.AuditAction.SEARCH, "dossiers",
         {"criteria": {k: v.isoformat() if isinstance(v, datetime) else v for k, v in vars(criteria).items()
                       if v is not None}, "found": len(records)})
    return {"dossiers": [_summary(session, r) for r in records], "count": len(records)}


def _record(session: Session, enrollment_id: str) -> DossierRecord:
    record = Dossiers(session).get(enrollment_id)
    if record is None:
        raise DossierNotFound(enrollment_id)
    return record


def _live(session: Session, enrollment_id: str) -> DossierRecord:
    record = _record(session, enrollment_id)
    if record.erased_at is not None:
        raise ApiError(410, "dossier_erased", {"erased_at": record.erased_at.isoformat(),
                                               "receipt": (record.erasure_details or {}).get("receipt")})
    return record


def _dossier(runtime: Runtime, enrollment_id: str) -> Dossier:
    return Dossier(runtime.evidence, master_keys(runtime.settings), enrollment_id)


def _manifest(runtime: Runtime, dossier: Dossier, record: DossierRecord) -> SealedManifest:
    """The newest manifest, provided its signature holds and it is the one the database recorded."""
    try:
        sealed = dossier.latest_manifest(runtime.keys().jwks([KeyUse.DOSSIER]))
    except DossierError as error:
        raise ApiError(409, "dossier_not_intact", {"problem": error.code.value, "detail": error.detail}) from error
    if sealed is None:
        raise ApiError(404, "dossier_not_sealed", "this dossier has no manifest yet")
    if sealed.sha256 != record.manifest_sha256:
        raise ApiError(409, "dossier_not_intact", {"problem": "manifest_not_expected", "key": sealed.object_key})
    return sealed


@router.get("/dossiers/{enrollment_id}")
def read_dossier(enrollment_id: str, call: Auditor, session: SessionDep, runtime: RuntimeDep) -> dict[str, Any]:
    """The dossier's record and its signed manifest; for an erased dossier, its tombstone and the signed
    erasure receipt."""
    record = _record(session, enrollment_id)
    if record.erased_at is not None:
        _log(session, call, audit.AuditAction.EVIDENCE_READ, f"dossier:{enrollment_id}", {"erased": True})
        return {**_summary(session, record), "erasure_receipt": (record.erasure_details or {}).get("receipt")}
    dossier = _dossier(runtime, enrollment_id)
    _log(session, call, audit.AuditAction.EVIDENCE_READ, f"{dossier.prefix}/manifests/",
         {"enrollment_id": enrollment_id})
    sealed = _manifest(runtime, dossier, record)
    return {**_summary(session, record), "manifest": sealed.manifest.to_dict(), "manifest_jws": sealed.token}


def _entry(dossier: Dossier, sealed: SealedManifest, role: Role, name: str) -> ManifestEntry:
    try:
        key = dossier.object_key(role, name)
    except DossierError as error:
        raise ApiError(404, "object_not_in_manifest", error.detail) from error
    entry = next((e for e in sealed.manifest.objects if e.key == key), None)
    if entry is None:
        raise ApiError(404, "object_not_in_manifest", f"{key} is not listed by the dossier's manifest")
    return entry


def _checked(dossier: Dossier, entry: ManifestEntry) -> Iterator[bytes]:
    """The object's plaintext, refused before the first byte when it is missing or its first chunk does
    not authenticate, and cut off when a later chunk fails or the whole differs from the manifest."""
    try:
        chunks = dossier.read(entry.key)
        first = next(chunks, b"")
    except (ObjectNotFound, DataKeyMissing) as error:
        raise ApiError(409, "evidence_missing", {"key": entry.key}) from error
    except (IntegrityError, UnknownMasterKey) as error:
        raise ApiError(409, "evidence_tampered", {"key": entry.key}) from error

    def mismatch() -> IntegrityError:
        return IntegrityError(f"{entry.key} differs from its manifest entry")

    return checked(itertools.chain((first,), chunks), entry.sha256, entry.size, mismatch)


@router.get("/dossiers/{enrollment_id}/objects/{role}/{name}")
def read_object(enrollment_id: str, role: Role, name: str, call: Auditor, session: SessionDep,
                runtime: RuntimeDep) -> StreamingResponse:
    """One object of the dossier, decrypted, streamed; its manifest digest in `X-Evidence-SHA256`."""
    record = _live(session, enrollment_id)
    dossier = _dossier(runtime, enrollment_id)
    entry = _entry(dossier, _manifest(runtime, dossier, record), role, name)
    _log(session, call, audit.AuditAction.EVIDENCE_READ, entry.key, {"enrollment_id": enrollment_id})
    return StreamingResponse(_checked(dossier, entry), media_type=entry.content_type,
                             headers={"X-Evidence-SHA256": entry.sha256, "Content-Length": str(entry.size),
                                      "Cache-Control": "no-store"})


@router.get("/dossiers/{enrollment_id}/export")
def export_dossier(enrollment_id: str, call: Auditor, session: SessionDep, runtime: RuntimeDep) -> FileResponse:
    """The whole dossier as a zip: manifest (signed and decoded), the dossier keys' JWKS, every object
    decrypted, and summary.html showing the images, scores and decisions. Built in a temporary file (memory
    stays bounded), only from objects that match the manifest."""
    record = _live(session, enrollment_id)
    dossier = _dossier(runtime, enrollment_id)
    sealed = _manifest(runtime, dossier, record)
    _log(session, call, audit.AuditAction.EXPORT, f"dossier:{enrollment_id}",
         {"manifest_sha256": sealed.sha256, "objects": len(sealed.manifest.objects)})
    handle = tempfile.NamedTemporaryFile(prefix="idv-export-", suffix=".zip", delete=False)  # noqa: SIM115
    try:
        with handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            _write_export(archive, dossier, sealed, runtime.keys().jwks([KeyUse.DOSSIER]), _summary(session, record))
    except BaseException:
        os.unlink(handle.name)
        raise
    return FileResponse(handle.name, media_type="application/zip", filename=f"dossier-{enrollment_id}.zip",
                        headers={"Cache-Control": "no-store"}, background=BackgroundTask(os.unlink, handle.name))


RECORD_ROLES = (Role.CHECK_RESULT, Role.DECISION, Role.REVIEW_ACTION, Role.ENROLLMENT)


def _write_export(archive: zipfile.ZipFile, dossier: Dossier, sealed: SealedManifest, jwks: dict[str, Any],
                  summary: dict[str, Any]) -> None:
    archive.writestr("manifest.jws", sealed.token)
    archive.writestr("manifest.json", json.dumps(sealed.manifest.to_dict(), indent=2, ensure_ascii=False))
    archive.writestr("jwks.json", json.dumps(jwks, indent=2))
    records: dict[Role, list[dict[str, Any]]] = {role: [] for role in RECORD_ROLES}
    for entry in sealed.manifest.objects:
        with archive.open(_export_path(dossier, entry), "w") as out:
            kept = _copy_checked(dossier, entry, out, keep=entry.role in records)
        if entry.role in records:
            records[entry.role].append(json.loads(kept))
    archive.writestr("summary.html", _render_summary(dossier, sealed, summary, records))


def _export_path(dossier: Dossier, entry: ManifestEntry) -> str:
    return "objects/" + entry.key.removeprefix(dossier.prefix + "/objects/")


def _copy_checked(dossier: Dossier, entry: ManifestEntry, out: IO[bytes], *, keep: bool) -> bytes:
    """Copy the object's plaintext to `out`; returns it too when `keep` (the small JSON records)."""
    kept = bytearray()
    try:
        for chunk in _checked(dossier, entry):
            out.write(chunk)
            if keep:
                kept += chunk
    except IntegrityError as error:
        raise ApiError(409, "evidence_tampered", {"key": entry.key}) from error
    return bytes(kept)


_SUMMARY = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evidence dossier {{ s.enrollment_id }}</title>
<style>body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
table{border-collapse:collapse;margin-bottom:1.5em}img,video{max-height:260px;margin:.3em;border:1px solid #999}</style>
</head><body>
<h1>Evidence dossier {{ s.enrollment_id }}</h1>
<table>
<tr><th>Relying party</th><td>{{ s.relying_party }}</td></tr>
<tr><th>Outcome</th><td><strong>{{ s.outcome }}</strong></td></tr>
<tr><th>Manifest</th><td>version {{ m.version }}, sealed {{ m.sealed_at }}, SHA-256 {{ sha256 }}</td></tr>
<tr><th>Retained until</th><td>{{ m.retain_until }}{% if s.legal_hold %} (legal hold){% endif %}</td></tr>
</table>
<h2>Images and videos</h2>
{% for e in media %}<figure style="display:inline-block">
{% if e.video %}<video controls src="{{ e.path }}"></video>{% else -%}
<img src="{{ e.path }}" alt="{{ e.name }}">{% endif %}
<figcaption>{{ e.role }}: {{ e.name }}</figcaption></figure>{% endfor %}
<h2>Checks</h2>
<table><tr><th>Check</th><th>Status</th><th>Score</th><th>Reasons</th><th>At</th></tr>
{% for c in r.check_result %}<tr><td>{{ c.check }}</td><td>{{ c.status }}</td><td>{{ c.score }}</td>
<td>{{ c.reasons | join(", ") }}</td><td>{{ c.created_at }}</td></tr>{% endfor %}</table>
<h2>Decisions</h2>
<table><tr><th>Outcome</th><th>By</th><th>Verdict</th><th>Reasons</th><th>Policy</th><th>Final</th><th>At</th></tr>
{% for d in r.decision | sort(attribute="decided_at") %}<tr><td>{{ d.outcome }}</td><td>{{ d.decided_by }}</td>
<td>{{ d.verdict }}</td><td>{{ d.reasons | join(", ") }}</td><td>{{ d.policy }}</td><td>{{ d.final }}</td>
<td>{{ d.decided_at }}</td></tr>{% endfor %}</table>
<h2>Review actions</h2>
<table><tr><th>Action</th><th>Operator</th><th>Detail</th><th>At</th></tr>
{% for a in r.review_action | sort(attribute="at") %}<tr><td>{{ a.action }}</td><td>{{ a.operator_id }}</td>
<td>{{ a.detail | tojson }}</td><td>{{ a.at }}</td></tr>{% endfor %}</table>
<h2>Objects</h2>
<table><tr><th>Object</th><th>Role</th><th>Type</th><th>Bytes</th><th>SHA-256</th></tr>
{% for e in m.objects %}<tr><td>{{ e.key }}</td><td>{{ e.role }}</td><td>{{ e.content_type }}</td><td>{{ e.size }}</td>
<td><code>{{ e.sha256 }}</code></td></tr>{% endfor %}</table>
<p>Verify: manifest.jws is an ES256 JWS of manifest.json under a key of jwks.json; each object's SHA-256 is listed.</p>
</body></html>
""")


def _render_summary(dossier: Dossier, sealed: SealedManifest, summary: dict[str, Any],
                    records: dict[Role, list[dict[str, Any]]]) -> str:
    media = [{"path": _export_path(dossier, e), "role": e.role.value,
              "name": e.key.rsplit("/", 1)[-1], "video": e.content_type.startswith("video/")}
             for e in sealed.manifest.objects if e.content_type.startswith(("image/", "video/"))]
    return _SUMMARY.render(s=summary, m=sealed.manifest.to_dict(), sha256=sealed.sha256, media=media,
                           r={role.value: rows for role, rows in records.items()})


@router.get("/dossiers/{enrollment_id}/verify")
def verify(enrollment_id: str, call: Auditor, session: SessionDep, runtime: RuntimeDep) -> dict[str, Any]:
    """`{intact, objects, problems}`: manifest signatures and chain, the digest recorded at the last seal,
    every object decrypted and digested, nothing unlisted; each problem names its object."""
    _record(session, enrollment_id)
    _log(session, call, audit.AuditAction.VERIFY, f"dossier:{enrollment_id}")
    return verify_recorded_dossier(session, runtime.evidence, master_keys(runtime.settings),
                                   runtime.keys().jwks([KeyUse.DOSSIER]), enrollment_id)


@router.get("/log/verify")
def verify_log(call: Auditor, session: SessionDep) -> dict[str, Any]:
    """The audit log's hash chain, row by row, up to this call (whose own row comes after)."""
    result = audit.verify_log(session).to_dict()
    _log(session, call, audit.AuditAction.VERIFY, "audit_log", {"rows": result["rows"], "intact": result["intact"]})
    return result


@router.get("/jwks")
def dossier_keys(call: Auditor, session: SessionDep, runtime: RuntimeDep) -> dict[str, Any]:
    """The public keys that sign manifests and erasure receipts (kept published for good)."""
    _log(session, call, audit.AuditAction.VERIFY, "dossier_keys")
    return runtime.keys().jwks([KeyUse.DOSSIER])
