"""Erasure of an enrollment's evidence at the end of its retention (storage.evidence.retention).

Erasure deletes every version of every object under the dossier's prefix, the wrapped data key first:
once it is gone nothing left behind (a version the store refused to delete, a backup) can be decrypted.
`erase_enrollment` then deletes the working copies the API and the checks kept under
`enrollments/<id>/`, and the enrollment's personal data in the database; it keeps the dossier row as a
tombstone (id, dates, outcome, last manifest digest) with a receipt signed by the dossier key, and logs the
erasure in the audit log. A legal hold suspends all of it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from storage.audit import log as audit
from storage.evidence.encrypted import DATA_KEY_NAME
from storage.evidence.layout import working_prefix
from storage.evidence.models import DossierRecord
from storage.evidence.repositories import Dossiers, PersonalData
from storage.evidence.store import DeletionRefused, EvidenceStore, StoredVersion
from verification.common.errors import CodedError
from verification.common.jws import SigningKey, sign

logger = logging.getLogger(__name__)

RECEIPT_TYP = "idv-erasure-receipt+jws"
RECEIPT_FORMAT = 1
SYSTEM_ACTOR = "idv-retention"


class ErasureRefusal(StrEnum):
    LEGAL_HOLD = "legal_hold"
    RETENTION_RUNNING = "retention_running"
    STORE_LOCKED = "store_locked"  # the store's COMPLIANCE lock on a sealed dossier holds until its date


class ErasureBlocked(CodedError):
    code: ErasureRefusal

    def __init__(self, code: ErasureRefusal, detail: str) -> None:
        super().__init__(code, detail)


@dataclass(frozen=True)
class ErasureReport:
    prefix: str
    deleted: tuple[StoredVersion, ...]
    refused: tuple[DeletionRefused, ...]

    @property
    def complete(self) -> bool:
        return not self.refused

    def to_dict(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "complete": self.complete,
            "deleted": [{"key": v.key, "version_id": v.version_id} for v in self.deleted],
            "refused": [{"key": r.version.key, "version_id": r.version.version_id, "reason": r.reason}
                        for r in self.refused],
        }


def erase_dossier(store: EvidenceStore, prefix: str, *, retain_until: datetime, legal_hold: bool,
                  now: datetime) -> ErasureReport:
    """Delete every version of every object under `prefix`, data key first; `ErasureBlocked` while a
    legal hold or the retention period holds. Versions the store refuses to delete are reported, not
    raised: the rest is still erased and the caller records an incomplete erasure to retry."""
    if legal_hold:
        raise ErasureBlocked(ErasureRefusal.LEGAL_HOLD, prefix)
    if now < retain_until:
        raise ErasureBlocked(ErasureRefusal.RETENTION_RUNNING, f"{prefix} is retained until {retain_until.isoformat()}")
    return delete_versions(store, prefix, first=f"{prefix}/{DATA_KEY_NAME}")


def delete_versions(store: EvidenceStore, prefix: str, *, first: str | None = None) -> ErasureReport:
    """Delete every version under `prefix` (the object `first` before any other); refusals are reported."""
    versions = sorted(store.versions(prefix + "/"), key=lambda v: v.key != first)
    deleted: list[StoredVersion] = []
    refused: list[DeletionRefused] = []
    for version in versions:
        try:
            store.delete_version(version)
        except DeletionRefused as refusal:
            refused.append(refusal)
            continue
        deleted.append(version)
    if refused:
        logger.warning("erasure of %s incomplete: the store refused %d versions", prefix, len(refused))
    return ErasureReport(prefix, tuple(deleted), tuple(refused))


@dataclass(frozen=True)
class ErasureOutcome:
    enrollment_id: str
    complete: bool
    deleted_versions: int
    refused_versions: int
    receipt: str | None  # the signed erasure receipt, once complete

    def to_dict(self) -> dict[str, Any]:
        return {"enrollment_id": self.enrollment_id, "complete": self.complete,
                "deleted_versions": self.deleted_versions, "refused_versions": self.refused_versions,
                "receipt": self.receipt}


def erase_enrollment(session: Session, store: EvidenceStore, record: DossierRecord, *, signing_key: SigningKey,
                     now: datetime, reason: str = "retention period over") -> ErasureOutcome:
    """Erase one due dossier (the caller holds its row locked): store first, then, once nothing is left
    there, the database's personal data, the tombstone and its signed receipt; an audit-log row either way.
    `ErasureBlocked` under a legal hold or before term."""
    reports = [erase_dossier(store, record.prefix, retain_until=record.retention_until,
                             legal_hold=record.legal_hold, now=now),
               delete_versions(store, working_prefix(record.enrollment_id))]
    deleted = sum(len(r.deleted) for r in reports)
    refused = sum(len(r.refused) for r in reports)
    # Proof by listing, not by the absence of errors: the store holds no version under either prefix.
    left = [v for r in reports for v in store.versions(r.prefix + "/")]
    complete = refused == 0 and not left
    details: dict[str, Any] = {"store": [r.to_dict() for r in reports], "versions_left": len(left)}
    receipt = None
    if complete:
        rows = PersonalData(session).erase(record.enrollment_id)
        details["database"] = {"enrollments": rows.enrollments, "review_actions_scrubbed": rows.review_actions_scrubbed}
        receipt = sign(_receipt(record, now, deleted, details["database"], reason), signing_key, typ=RECEIPT_TYP)
        details["receipt"] = receipt
    Dossiers(session).mark_erased(record, at=now, complete=complete, details=details)
    audit.append(session, actor=SYSTEM_ACTOR, role=audit.SYSTEM_ROLE, action=audit.AuditAction.ERASURE,
                 target=f"dossier:{record.enrollment_id}", reason=reason, at=now,
                 details={"complete": complete, "deleted_versions": deleted, "refused_versions": refused,
                          "receipt_sha256": hashlib.sha256(receipt.encode()).hexdigest() if receipt else None})
    return ErasureOutcome(record.enrollment_id, complete, deleted, refused, receipt)


def _receipt(record: DossierRecord, now: datetime, deleted: int, database: Mapping[str, int],
             reason: str) -> dict[str, Any]:
    return {"format": RECEIPT_FORMAT, "enrollment_id": record.enrollment_id, "prefix": record.prefix,
            "working_prefix": working_prefix(record.enrollment_id), "erased_at": now.isoformat(),
            "retention_until": record.retention_until.isoformat(), "outcome": record.outcome,
            "manifest_version": record.manifest_version, "manifest_sha256": record.manifest_sha256,
            "data_key_id": record.data_key_id, "deleted_versions": deleted, "versions_left": 0,
            "database": dict(database), "reason": reason}
