"""Retention of evidence dossiers: how long they are kept, the store's write-once lock, and erasure.

On S3/MinIO each object of a sealed dossier gets an object-lock retention in COMPLIANCE mode until the
dossier's `retain_until` (the bucket must be created with object lock, which also turns versioning on):
nobody, the service included, can delete a retained version before that date. A local directory has no
such thing, and none can be built: whoever owns the files can delete them. There retention rests on
`erase_dossier` refusing early erasure and on the signed manifest making any loss visible
(`storage.evidence.dossier.verify_dossier`); deployments that need write-once storage use S3/MinIO.

Erasure deletes every version of every object under the dossier's prefix, the wrapped data key first:
once it is gone nothing left behind (a version the store refused to delete, a backup) can be decrypted.
`erase_enrollment` then deletes the working copies the API and the checks kept under
`enrollments/<id>/`, and the enrollment's personal data in the database; it keeps the dossier row as a
tombstone (id, dates, outcome, last manifest digest) with a receipt signed by the dossier key, and logs the
erasure in the audit log. A legal hold suspends all of it.

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

import hashlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention
from sqlalchemy.orm import Session

from storage.audit import log as audit
from storage.evidence.crypto import MasterKeyProvider
from storage.evidence.dossier import (
    Dossier,
    DossierProblem,
    DossierVerification,
    Problem,
    SigningKey,
    sign_record,
    verify_dossier,
)
from storage.evidence.encrypted import DATA_KEY_NAME
from storage.evidence.layout import working_prefix
from storage.evidence.models import DossierRecord
from storage.evidence.repositories import Dossiers, PersonalData
from storage.evidence.store import DirectoryStore, EvidenceStore, EvidenceStoreError, S3Store
from storage.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredVersion:
    key: str
    version_id: str | None  # None on an unversioned store


class DeletionRefused(EvidenceStoreError):
    """The store refused to delete a version (an object lock still holds it)."""

    def __init__(self, version: StoredVersion, reason: str) -> None:
        super().__init__(f"{version.key} ({version.version_id}): {reason}")
        self.version = version
        self.reason = reason


class RetentionBackend(ABC):
    """What a store can do for retention: lock objects until a date, list and delete every version."""

    supports_lock: bool

    @abstractmethod
    def lock(self, key: str, retain_until: datetime) -> None:
        """Make the current version of `key` undeletable until `retain_until` (no-op where unsupported)."""

    @abstractmethod
    def versions(self, prefix: str) -> list[StoredVersion]:
        """Every stored version under the prefix, delete markers included."""

    @abstractmethod
    def delete_version(self, version: StoredVersion) -> None:
        """Delete one version for good; `DeletionRefused` when the store's lock forbids it."""


class S3Retention(RetentionBackend):
    supports_lock = True

    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def lock(self, key: str, retain_until: datetime) -> None:
        if retain_until <= datetime.now(UTC):
            return  # nothing left to protect, and S3 refuses a retention date in the past
        try:
            self.client.set_object_retention(self.bucket, key, Retention(COMPLIANCE, retain_until))
        except S3Error as error:
            raise EvidenceStoreError(f"lock {key}: {error}") from error

    def versions(self, prefix: str) -> list[StoredVersion]:
        try:
            listed = self.client.list_objects(self.bucket, prefix=prefix, recursive=True, include_version=True)
            return [StoredVersion(o.object_name, o.version_id) for o in listed if o.object_name]
        except S3Error as error:
            raise EvidenceStoreError(f"list versions {prefix}: {error}") from error

    def delete_version(self, version: StoredVersion) -> None:
        try:
            self.client.remove_object(self.bucket, version.key, version_id=version.version_id)
        except S3Error as error:
            if error.code == "AccessDenied":
                raise DeletionRefused(version, error.code) from error
            raise EvidenceStoreError(f"delete {version.key} ({version.version_id}): {error}") from error


class DirectoryRetention(RetentionBackend):
    """No lock and no versions: see the module's docstring."""

    supports_lock = False

    def __init__(self, store: DirectoryStore) -> None:
        self.store = store

    def lock(self, key: str, retain_until: datetime) -> None:
        return None

    def versions(self, prefix: str) -> list[StoredVersion]:
        return [StoredVersion(key, None) for key in self.store.keys(prefix)]

    def delete_version(self, version: StoredVersion) -> None:
        self.store.delete(version.key)


def retention_backend(store: EvidenceStore) -> RetentionBackend:
    if isinstance(store, S3Store):
        return S3Retention(store.client, store.bucket)
    if isinstance(store, DirectoryStore):
        return DirectoryRetention(store)
    raise TypeError(f"no retention backend for {type(store).__name__}")


def add_years(moment: datetime, years: int) -> datetime:
    """The same calendar date `years` later; 29 February becomes 28 February in a common year."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


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


class ErasureRefusal(StrEnum):
    LEGAL_HOLD = "legal_hold"
    RETENTION_RUNNING = "retention_running"
    STORE_LOCKED = "store_locked"  # the store's COMPLIANCE lock on a sealed dossier holds until its date


class ErasureBlocked(Exception):
    def __init__(self, code: ErasureRefusal, detail: str) -> None:
        super().__init__(f"{code.value}: {detail}")
        self.code = code


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


def erase_dossier(backend: RetentionBackend, prefix: str, *, retain_until: datetime, legal_hold: bool,
                  now: datetime) -> ErasureReport:
    """Delete every version of every object under `prefix`, data key first; `ErasureBlocked` while a
    legal hold or the retention period holds. Versions the store refuses to delete are reported, not
    raised: the rest is still erased and the caller records an incomplete erasure to retry."""
    if legal_hold:
        raise ErasureBlocked(ErasureRefusal.LEGAL_HOLD, prefix)
    if now < retain_until:
        raise ErasureBlocked(ErasureRefusal.RETENTION_RUNNING, f"{prefix} is retained until {retain_until.isoformat()}")
    return delete_versions(backend, prefix, first=f"{prefix}/{DATA_KEY_NAME}")


def delete_versions(backend: RetentionBackend, prefix: str, *, first: str | None = None) -> ErasureReport:
    """Delete every version under `prefix` (the object `first` before any other); refusals are reported."""
    versions = sorted(backend.versions(prefix + "/"), key=lambda v: v.key != first)
    deleted: list[StoredVersion] = []
    refused: list[DeletionRefused] = []
    for version in versions:
        try:
            backend.delete_version(version)
        except DeletionRefused as refusal:
            refused.append(refusal)
            continue
        deleted.append(version)
    if refused:
        logger.warning("erasure of %s incomplete: the store refused %d versions", prefix, len(refused))
    return ErasureReport(prefix, tuple(deleted), tuple(refused))


RECEIPT_TYP = "idv-erasure-receipt+jws"
RECEIPT_FORMAT = 1
SYSTEM_ACTOR, SYSTEM_ROLE = "idv-retention", "system"


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
    backend = retention_backend(store)
    reports = [erase_dossier(backend, record.prefix, retain_until=record.retention_until,
                             legal_hold=record.legal_hold, now=now),
               delete_versions(backend, working_prefix(record.enrollment_id))]
    deleted = sum(len(r.deleted) for r in reports)
    refused = sum(len(r.refused) for r in reports)
    # Proof by listing, not by the absence of errors: the store holds no version under either prefix.
    left = [v for r in reports for v in backend.versions(r.prefix + "/")]
    complete = refused == 0 and not left
    details: dict[str, Any] = {"store": [r.to_dict() for r in reports], "versions_left": len(left)}
    receipt = None
    if complete:
        rows = PersonalData(session).erase(record.enrollment_id)
        details["database"] = {"enrollments": rows.enrollments, "review_actions_scrubbed": rows.review_actions_scrubbed}
        receipt = sign_record(_receipt(record, now, deleted, details["database"], reason), signing_key, RECEIPT_TYP)
        details["receipt"] = receipt
    Dossiers(session).mark_erased(record, at=now, complete=complete, details=details)
    audit.append(session, actor=SYSTEM_ACTOR, role=SYSTEM_ROLE, action=audit.AuditAction.ERASURE,
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


class DossierNotFound(LookupError):
    code = "dossier_not_found"


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
    if retention_backend(store).supports_lock and record.manifest_version > 0 and record.retention_until > now:
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
    backend = retention_backend(store)
    active = master_keys.active_key_id
    moved: list[str] = []
    for record in Dossiers(session).not_on_master_key(active, limit=limit):
        dossier = Dossier(store, master_keys, record.enrollment_id)
        dossier.evidence.rewrap()
        backend.lock(dossier.evidence.data_key_object, record.retention_until)
        audit.append(session, actor=actor, role=SYSTEM_ROLE, action=audit.AuditAction.KEY_OPERATION,
                     target=f"dossier:{record.enrollment_id}", reason="master key rotation", at=now,
                     details={"operation": "rewrap", "from": record.master_key_id, "to": active})
        record.master_key_id = active
        moved.append(record.enrollment_id)
    return moved
