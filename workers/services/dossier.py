"""The evidence dossier steps: sealing an enrollment's dossier, and erasing the dossiers whose term is over.

`seal_dossier` runs once the automated decision (and the assertion, when one is issued) is stored, and
again after a human review. It copies into the encrypted dossier whatever is not there yet: the captures
(checked against the digest taken at upload), the derived images (portrait crop, selfie frames), each
check result, every decision, the review trail, the assertion and the enrollment's own facts and status
history. Then it signs the next manifest, locks everything in the store until the relying party's
retention date, and records the seal in the database and the audit log. Rerunning it adds nothing twice,
and with nothing new it writes no new manifest. Records that change over time (a check rerun after a new
capture, the status history) are named by their content digest, so each state that was sealed stays.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.audit import log as audit
from storage.audit.log import SYSTEM_ROLE
from storage.enrollments.models import Capture, Enrollment
from storage.enrollments.repositories import Assertions, Captures, CheckResults, Decisions, Enrollments, RelyingParties
from storage.evidence.dossier import Dossier
from storage.evidence.encrypted import master_keys
from storage.evidence.erasure import ErasureBlocked, ErasureOutcome, erase_enrollment
from storage.evidence.layout import DerivedKind, derived_images, derived_prefix
from storage.evidence.manifest import Role, SealedManifest
from storage.evidence.models import DossierRecord
from storage.evidence.repositories import Dossiers, ReviewTrail
from storage.evidence.retention import RetentionPolicy, due_for_erasure
from storage.evidence.store import EvidenceStore
from storage.keys import KeyUse
from storage.runtime import Runtime
from storage.streams import ChunkReader, checked
from verification.enrollment.lifecycle import Status

log = logging.getLogger(__name__)
SEALER = "idv-worker"
SEALABLE = frozenset({Status.REVIEW, Status.APPROVED, Status.REJECTED, Status.FAILED})
# Derived images the checks store beside the captures (workers.services.results.save_image).
DERIVED_ROLES = {DerivedKind.PORTRAIT: Role.CROP, DerivedKind.SELFIE_FRAME: Role.FRAME}


class CaptureAltered(Exception):
    """A working copy no longer has the digest taken when it was uploaded: it is not sealed."""


@dataclass(frozen=True)
class Piece:
    """One piece of evidence: a small record held whole, or a capture streamed from its working copy."""

    role: Role
    name: str
    content_type: str
    data: bytes | None = None
    capture: Capture | None = None


def seal_dossier(runtime: Runtime, enrollment_id: str, *, now: datetime | None = None) -> SealedManifest | None:
    """Seal what the enrollment has produced so far; None when there is nothing to seal yet."""
    now = now or datetime.now(UTC)
    if not _open_dossier(runtime, enrollment_id, now):
        return None
    ring = runtime.keys()
    dossier = Dossier(runtime.evidence, master_keys(runtime.settings), enrollment_id)
    jwks = ring.jwks([KeyUse.DOSSIER])
    with runtime.database.session() as session:
        enrollment = Enrollments(session).get(enrollment_id, for_update=True)  # one sealer at a time
        record = Dossiers(session).get(enrollment_id, for_update=True)
        if enrollment is None or record is None:
            return None  # erased in between
        present = dossier.added_keys()
        for piece in _evidence(session, runtime.evidence, enrollment):
            if dossier.object_key(piece.role, piece.name) not in present:
                _add(dossier, runtime.evidence, piece)
        previous = dossier.latest_manifest(jwks)
        listed = {entry.key for entry in previous.manifest.objects} if previous else set()
        # Retention runs from the last seal that brought new evidence; a seal with nothing new keeps the date.
        retain_until = record.retention_until
        if dossier.added_keys() - listed:
            retain_until = max(retain_until, _retain_until(runtime, session, enrollment, now))
        sealed = dossier.seal(signing_key=ring.active_key(KeyUse.DOSSIER), jwks=jwks, retain_until=retain_until,
                              now=now, lock=True)
        if sealed.sha256 != record.manifest_sha256:
            latest = Decisions(session).latest(enrollment_id)
            Dossiers(session).record_seal(record, version=sealed.manifest.version, manifest_sha256=sealed.sha256,
                                          sealed_at=sealed.manifest.sealed_at, retention_until=retain_until,
                                          outcome=latest.outcome if latest else None)
            audit.append(session, actor=SEALER, role=SYSTEM_ROLE, action=audit.AuditAction.DOSSIER_SEALED,
                         target=f"dossier:{enrollment_id}", reason=f"sealed with the enrollment {enrollment.status}",
                         at=now, details={"version": sealed.manifest.version, "manifest_sha256": sealed.sha256,
                                          "objects": len(sealed.manifest.objects),
                                          "retain_until": retain_until.isoformat()})
        return sealed


def _retain_until(runtime: Runtime, session: Session, enrollment: Enrollment, now: datetime) -> datetime:
    party = RelyingParties(session).get(enrollment.relying_party_id)
    return RetentionPolicy.from_settings(runtime.settings).retain_until(party.name if party else "", now)


def _open_dossier(runtime: Runtime, enrollment_id: str, now: datetime) -> bool:
    """Create the data key and the dossier's row, committed before any evidence is written: whatever a
    failed seal leaves in the store then has a row, so the erasure job finds it at term."""
    with runtime.database.session() as session:
        enrollment = Enrollments(session).get(enrollment_id, for_update=True)
        if enrollment is None or Status(enrollment.status) not in SEALABLE:
            log.info("enrollment %s: nothing to seal (%s)", enrollment_id,
                     enrollment.status if enrollment else "not found")
            return False
        records = Dossiers(session)
        if records.get(enrollment_id) is not None:
            return True
        dossier = Dossier(runtime.evidence, master_keys(runtime.settings), enrollment_id)
        data_key = dossier.open()
        records.add(DossierRecord(
            enrollment_id=enrollment_id, relying_party_id=enrollment.relying_party_id, prefix=dossier.prefix,
            data_key_id=data_key.data_key_id, master_key_id=data_key.master_key_id, manifest_version=0,
            retention_until=_retain_until(runtime, session, enrollment, now), legal_hold=False, created_at=now))
        audit.append(session, actor=SEALER, role=SYSTEM_ROLE, action=audit.AuditAction.KEY_OPERATION,
                     target=f"dossier:{enrollment_id}", reason="dossier opened: data key created", at=now,
                     details={"operation": "create_data_key", "data_key_id": data_key.data_key_id,
                              "master_key_id": data_key.master_key_id})
        return True


def _add(dossier: Dossier, store: EvidenceStore, piece: Piece) -> None:
    if piece.capture is None:
        assert piece.data is not None
        dossier.add_bytes(piece.role, piece.name, piece.data, piece.content_type)
        return
    capture = piece.capture

    def altered() -> CaptureAltered:
        return CaptureAltered(f"{capture.object_key} differs from the capture uploaded")

    # Raised before the encrypted copy is complete, so none is kept.
    reader = ChunkReader(checked(store.read(capture.object_key), capture.sha256, capture.size, altered))
    dossier.add(piece.role, piece.name, reader, capture.size, piece.content_type)


def _record(role: Role, stem: str, payload: dict[str, Any]) -> Piece:
    """A JSON record named by its content digest."""
    data = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return Piece(role, f"{stem}-{hashlib.sha256(data).hexdigest()[:16]}.json", "application/json", data)


def _evidence(session: Session, store: EvidenceStore, enrollment: Enrollment) -> Iterator[Piece]:
    """Every piece of evidence the enrollment has now."""
    enrollment_id = enrollment.id
    for capture in Captures(session).of_enrollment(enrollment_id):
        yield Piece(Role.CAPTURE, capture.object_key.rsplit("/", 1)[-1], capture.content_type, capture=capture)
    for image, key in derived_images(enrollment_id, store.keys(derived_prefix(enrollment_id))).items():
        data = store.read_bytes(key)  # small crops, read whole to name them by digest
        name = f"{image.name}-{hashlib.sha256(data).hexdigest()[:16]}.jpg"
        yield Piece(DERIVED_ROLES[image.kind], name, "image/jpeg", data)
    for check in CheckResults(session).of_enrollment(enrollment_id):
        yield _record(Role.CHECK_RESULT, check.check, {
            "check": check.check, "status": check.status, "score": check.score, "reasons": check.reasons,
            "details": check.details, "created_at": check.created_at})
    for decision in Decisions(session).of_enrollment(enrollment_id):
        yield _record(Role.DECISION, f"decision-{decision.id}", {
            "outcome": decision.outcome, "reasons": decision.reasons, "user_reasons": decision.user_reasons,
            "policy": f"{decision.policy_name}@{decision.policy_version}", "decided_by": decision.decided_by,
            "verdict": decision.verdict, "final": decision.final, "decided_at": decision.decided_at,
            "identity_fields": decision.identity_fields})
    for action in ReviewTrail(session).of_enrollment(enrollment_id):
        yield _record(Role.REVIEW_ACTION, f"review-action-{action.id}", {
            "operator_id": action.operator_id, "action": action.action, "detail": action.detail, "at": action.at})
    assertion = Assertions(session).of_enrollment(enrollment_id)
    if assertion is not None:
        yield Piece(Role.ASSERTION, f"assertion-{assertion.jti}.jws", "application/jose", assertion.token.encode())
    party = RelyingParties(session).get(enrollment.relying_party_id)
    yield _record(Role.ENROLLMENT, "enrollment", {
        "enrollment_id": enrollment_id, "relying_party": party.name if party else None,
        "policy": enrollment.policy_name, "status": enrollment.status, "created_at": enrollment.created_at,
        "submitted_at": enrollment.submitted_at, "declared_traits": enrollment.declared_traits,
        "ins_traits": enrollment.ins_traits,
        "events": [{"from": e.from_status, "to": e.to_status, "cause": e.cause, "at": e.at}
                   for e in Enrollments(session).events(enrollment_id)]})


def purge_expired(runtime: Runtime, *, now: datetime | None = None, limit: int = 100) -> list[ErasureOutcome]:
    """Erase up to `limit` dossiers whose term is over and that no legal hold keeps, one transaction each
    (the Celery beat task). An erasure the store left incomplete is retried on the next run."""
    now = now or datetime.now(UTC)
    signing_key = runtime.keys().active_key(KeyUse.DOSSIER)
    tried: set[str] = set()
    outcomes: list[ErasureOutcome] = []
    while len(tried) < limit:
        with runtime.database.session() as session:
            due = due_for_erasure(Dossiers(session).expired(now, limit=1, skip=frozenset(tried)), now)
            if not due:
                break
            tried.add(due[0].enrollment_id)
            try:
                outcomes.append(erase_enrollment(session, runtime.evidence, due[0], signing_key=signing_key, now=now))
            except ErasureBlocked as blocked:  # held or extended since it was selected
                log.info("erasure of %s skipped: %s", due[0].enrollment_id, blocked)
    return outcomes
