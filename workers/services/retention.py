"""The dossiers' life-cycle use cases: legal holds, erasure brought forward, rewrapping data keys after
a master-key rotation, and re-verifying a dossier against its recorded seal (the auditor API and the
`idv audit` / `idv retention` commands call these).

Erasure before term (GDPR art. 17): the retention that PVID and ETSI TS 119 461 impose is a legal
obligation, which art. 17(3)(b) puts above the right to erasure, so a sealed dossier is normally kept to
term. Where the law allows earlier erasure (the relying party's regulation does not require the
evidence, or a court orders it), `end_retention_early` brings the date forward, with a mandatory reason
in the audit log, and the next erasure run acts on it. That is possible wherever the store holds no lock
on the dossier: the directory store, a bucket without object lock, a dossier opened but never sealed.
On S3/MinIO with object lock, a sealed dossier's COMPLIANCE lock cannot be lifted by anyone before its
date, so early erasure is refused there (ErasureRefusal.STORE_LOCKED). That is the point of compliance
mode, and the reason the lock follows the relying party's period, not a longer one; a deployment that
must honour early erasure of sealed dossiers sets the relying party's retention accordingly or uses a
bucket in governance mode (not implemented).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.audit import log as audit
from storage.evidence.crypto import MasterKeyProvider
from storage.evidence.dossier import Dossier
from storage.evidence.erasure import ErasureBlocked, ErasureRefusal
from storage.evidence.integrity import DossierProblem, DossierVerification, Problem, verify_dossier
from storage.evidence.models import DossierRecord
from storage.evidence.repositories import Dossiers
from storage.evidence.store import EvidenceStore
from verification.common.errors import CodedError


class DossierNotFound(CodedError):
    code = "dossier_not_found"

    def __init__(self, enrollment_id: str) -> None:
        super().__init__(self.code, "no dossier for this enrollment")
        self.enrollment_id = enrollment_id


def _live_record(session: Session, enrollment_id: str) -> DossierRecord:
    record = Dossiers(session).get(enrollment_id, for_update=True)
    if record is None or record.erased_at is not None:
        raise DossierNotFound(enrollment_id)
    return record


def verify_recorded_dossier(session: Session, store: EvidenceStore, master_keys: MasterKeyProvider,
                            jwks: Mapping[str, Any], enrollment_id: str) -> dict[str, Any]:
    """`{intact, objects, problems, …}` of a dossier re-verified against the manifest digest its row
    recorded at the last seal; an erased one is reported as such, with its signed erasure receipt.
    `DossierNotFound` without a row."""
    record = Dossiers(session).get(enrollment_id)
    if record is None:
        raise DossierNotFound(enrollment_id)
    if record.erased_at is None:
        dossier = Dossier(store, master_keys, enrollment_id)
        return verify_dossier(dossier, jwks, expected_manifest_sha256=record.manifest_sha256).to_dict()
    erased = DossierVerification(enrollment_id, False, 0, record.manifest_version, record.manifest_sha256,
                                 (Problem(record.prefix, DossierProblem.ERASED),))
    return {**erased.to_dict(), "erased_at": record.erased_at.isoformat(),
            "erasure_receipt": (record.erasure_details or {}).get("receipt")}


def set_legal_hold(session: Session, enrollment_id: str, hold: bool, *, actor: str, role: str, reason: str,
                   now: datetime) -> DossierRecord:
    """Suspend (or resume) the erasure of a dossier; the reason goes to the audit log."""
    record = _live_record(session, enrollment_id)
    audit.append(session, actor=actor, role=role, action=audit.AuditAction.LEGAL_HOLD,
                 target=f"dossier:{enrollment_id}", reason=reason, details={"legal_hold": hold}, at=now)
    record.legal_hold = hold
    return record


def end_retention_early(session: Session, store: EvidenceStore, enrollment_id: str, *, actor: str, role: str,
                        reason: str, now: datetime) -> DossierRecord:
    """Bring a dossier's erasure forward to now, where the law allows it (see the module's docstring).
    `ErasureBlocked` under a legal hold, and where the store locked the sealed dossier until a later date:
    nothing could erase it before then, so the date is not moved."""
    record = _live_record(session, enrollment_id)
    if record.legal_hold:
        raise ErasureBlocked(ErasureRefusal.LEGAL_HOLD, record.prefix)
    if store.supports_lock and record.manifest_version > 0 and record.retention_until > now:
        raise ErasureBlocked(ErasureRefusal.STORE_LOCKED,
                             f"{record.prefix} is locked in the store until {record.retention_until.isoformat()}")
    audit.append(session, actor=actor, role=role, action=audit.AuditAction.ERASURE,
                 target=f"dossier:{enrollment_id}", reason=reason, at=now,
                 details={"retention_ended_early": True, "was_retained_until": record.retention_until.isoformat()})
    record.retention_until = now
    return record


def rewrap_dossiers(session: Session, store: EvidenceStore, master_keys: MasterKeyProvider, *, actor: str,
                    now: datetime, limit: int = 100) -> list[str]:
    """Move live dossiers' data keys onto the active master key (after a master-key rotation); the new
    version of each data key is locked like the rest of its dossier. Returns the enrollment ids moved."""
    active = master_keys.active_key_id
    moved: list[str] = []
    for record in Dossiers(session).not_on_master_key(active, limit=limit):
        dossier = Dossier(store, master_keys, record.enrollment_id)
        dossier.evidence.rewrap()
        store.lock(dossier.evidence.data_key_object, record.retention_until)
        audit.append(session, actor=actor, role=audit.SYSTEM_ROLE, action=audit.AuditAction.KEY_OPERATION,
                     target=f"dossier:{record.enrollment_id}", reason="master key rotation", at=now,
                     details={"operation": "rewrap", "from": record.master_key_id, "to": active})
        record.master_key_id = active
        moved.append(record.enrollment_id)
    return moved
