"""The evidence dossier of one enrollment: encrypted objects under one prefix and signed manifests.

Layout under `dossiers/<enrollment_id>/`:

    datakey.json                    the wrapped data key (storage.evidence.encrypted)
    objects/<role>/<name>           evidence, encrypted (storage.evidence.crypto's format)
    entries/<role>/<name>.json      an unsigned note of each object's digest, written by `add`
    manifests/v0001.jws, v0002...   signed manifests, one per seal, never overwritten

`add` may run anywhere (API upload, each worker task); `seal` runs from one place at a time (the
decision task, a reviewer's action). It carries the previous manifest's entries forward once its
signature checks, takes in the entries noted since, re-reading each new object through decryption so
the signature attests what is really stored, and writes the next manifest version. A manifest is a
compact JWS (ES256, `typ` "idv-dossier-manifest+jws", no expiry: it must verify for years) over
canonical JSON, signed with the key ring's "dossier" key:

    {"format": 1, "enrollment_id", "prefix", "version", "sealed_at", "retain_until", "data_key_id",
     "previous_sha256": SHA-256 of the previous manifest's JWS or null,
     "objects": [{"key", "role", "sha256", "size", "content_type", "created_at"}, ...]}  (sorted by key)

Manifests hold digests and object names, never evidence content; they are stored in clear so an
auditor can check them with the published JWKS alone.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from io import BytesIO
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt import api_jws

from storage.evidence import layout
from storage.evidence.crypto import DEFAULT_CHUNK_SIZE, IntegrityError, MasterKeyProvider, UnknownMasterKey
from storage.evidence.encrypted import DataKeyMissing, DataKeyRecord, EncryptedEvidence
from storage.evidence.store import EvidenceStore, ObjectNotFound

if TYPE_CHECKING:  # storage.evidence.retention imports this module to erase dossiers
    from storage.evidence.retention import RetentionBackend

MANIFEST_FORMAT = 1
MANIFEST_TYP = "idv-dossier-manifest+jws"
ALGORITHM = "ES256"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_MANIFEST_NAME = re.compile(r"v(\d{4,})\.jws")


class Role(StrEnum):
    CAPTURE = "capture"
    FRAME = "frame"
    CROP = "crop"
    CHECK_RESULT = "check_result"
    DECISION = "decision"
    REVIEW_ACTION = "review_action"
    ASSERTION = "assertion"
    ENROLLMENT = "enrollment"  # the enrollment's own facts: relying party, policy, status history


class DossierErrorCode(StrEnum):
    BAD_NAME = "dossier_bad_name"
    BAD_SIGNATURE = "manifest_bad_signature"
    MALFORMED = "manifest_malformed"
    ENTRY_MISMATCH = "dossier_entry_mismatch"
    ALREADY_ADDED = "dossier_object_already_added"
    RETENTION_SHORTENED = "dossier_retention_shortened"


class DossierError(Exception):
    def __init__(self, code: DossierErrorCode, detail: str) -> None:
        super().__init__(f"{code.value}: {detail}")
        self.code = code
        self.detail = detail


class SigningKey(Protocol):
    """A P-256 signing key with its kid (storage.keys.StoredKey of use "dossier")."""

    @property
    def kid(self) -> str: ...

    @property
    def private_key(self) -> ec.EllipticCurvePrivateKey: ...


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise DossierError(DossierErrorCode.BAD_NAME, f"{name!r}: letters, digits, '.', '_', '-' only")
    return name


def dossier_prefix(enrollment_id: str) -> str:
    return layout.dossier_prefix(_check_name(enrollment_id))


def _canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ManifestEntry:
    key: str
    role: Role
    sha256: str
    size: int
    content_type: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "role": self.role.value, "sha256": self.sha256, "size": self.size,
                "content_type": self.content_type, "created_at": self.created_at.isoformat()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ManifestEntry:
        return cls(str(data["key"]), Role(data["role"]), str(data["sha256"]), int(data["size"]),
                   str(data["content_type"]), datetime.fromisoformat(data["created_at"]))


@dataclass(frozen=True)
class Manifest:
    enrollment_id: str
    version: int
    sealed_at: datetime
    retain_until: datetime
    data_key_id: str
    previous_sha256: str | None
    objects: tuple[ManifestEntry, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"format": MANIFEST_FORMAT, "enrollment_id": self.enrollment_id,
                "prefix": dossier_prefix(self.enrollment_id), "version": self.version,
                "sealed_at": self.sealed_at.isoformat(), "retain_until": self.retain_until.isoformat(),
                "data_key_id": self.data_key_id, "previous_sha256": self.previous_sha256,
                "objects": [entry.to_dict() for entry in self.objects]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        if data.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"unknown manifest format {data.get('format')!r}")
        manifest = cls(str(data["enrollment_id"]), int(data["version"]), datetime.fromisoformat(data["sealed_at"]),
                       datetime.fromisoformat(data["retain_until"]), str(data["data_key_id"]),
                       data["previous_sha256"], tuple(ManifestEntry.from_dict(e) for e in data["objects"]))
        if data.get("prefix") != dossier_prefix(manifest.enrollment_id):
            raise ValueError("the manifest's prefix is not its enrollment's")
        return manifest


@dataclass(frozen=True)
class SealedManifest:
    manifest: Manifest
    object_key: str
    token: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.token.encode("ascii")).hexdigest()


def sign_record(payload: Mapping[str, Any], key: SigningKey, typ: str) -> str:
    """A compact JWS (ES256, no expiry: it must verify for years) over the canonical JSON of `payload`."""
    return api_jws.encode(_canonical(payload), key.private_key, algorithm=ALGORITHM,
                          headers={"kid": key.kid, "typ": typ})


def open_record(token: str, jwks: Mapping[str, Any], typ: str) -> dict[str, Any]:
    """The JSON payload of a token of type `typ` signed by one of the keys in `jwks`, else `DossierError`."""
    try:
        header = api_jws.get_unverified_header(token)
        if header.get("typ") != typ:
            raise DossierError(DossierErrorCode.BAD_SIGNATURE, f"typ {header.get('typ')!r}, expected {typ}")
        entry = next((k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid")), None)
        if entry is None:
            raise DossierError(DossierErrorCode.BAD_SIGNATURE, f"no dossier key {header.get('kid')!r}")
        payload = api_jws.decode_complete(token, jwt.PyJWK(entry, algorithm=ALGORITHM),
                                          algorithms=[ALGORITHM])["payload"]
    except jwt.PyJWTError as error:
        raise DossierError(DossierErrorCode.BAD_SIGNATURE, str(error)) from error
    try:
        data = json.loads(payload)
    except ValueError as error:
        raise DossierError(DossierErrorCode.MALFORMED, str(error)) from error
    if not isinstance(data, dict):
        raise DossierError(DossierErrorCode.MALFORMED, "the payload is not a JSON object")
    return data


def sign_manifest(manifest: Manifest, key: SigningKey) -> str:
    return sign_record(manifest.to_dict(), key, MANIFEST_TYP)


def open_manifest(token: str, jwks: Mapping[str, Any]) -> Manifest:
    """The manifest of a token signed by one of the dossier keys in `jwks`, else `DossierError`."""
    data = open_record(token, jwks, MANIFEST_TYP)
    try:
        return Manifest.from_dict(data)
    except (KeyError, TypeError, ValueError) as error:
        raise DossierError(DossierErrorCode.MALFORMED, str(error)) from error


def _digest(chunks: Iterable[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class Dossier:
    def __init__(self, store: EvidenceStore, master_keys: MasterKeyProvider, enrollment_id: str,
                 *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        self.enrollment_id = enrollment_id
        self.prefix = dossier_prefix(enrollment_id)
        self.store = store
        self.evidence = EncryptedEvidence(store, master_keys, self.prefix, chunk_size=chunk_size)

    def open(self) -> DataKeyRecord:
        """Create the dossier's data key (once, when the enrollment is created; idempotent)."""
        return self.evidence.create_data_key()

    def object_key(self, role: Role, name: str) -> str:
        return f"{self.prefix}/objects/{role.value}/{_check_name(name)}"

    def manifest_key(self, version: int) -> str:
        return f"{self.prefix}/manifests/v{version:04d}.jws"

    def _entry_key(self, role: Role, name: str) -> str:
        return f"{self.prefix}/entries/{role.value}/{name}.json"

    def add(self, role: Role, name: str, stream: BinaryIO, length: int, content_type: str,
            *, now: datetime | None = None) -> ManifestEntry:
        """Encrypt and store one object; it is covered by the next `seal`.

        Evidence is written once: a name whose note exists (the add completed, perhaps sealed already) is
        refused with ALREADY_ADDED, which a retried task may take as done. An object without its note (a
        crash between the two writes) is simply rewritten."""
        key = self.object_key(role, name)
        note = self._entry_key(role, name)
        if note in set(self.store.keys(note)):
            raise DossierError(DossierErrorCode.ALREADY_ADDED, key)
        info = self.evidence.put(key, stream, length)
        entry = ManifestEntry(key, role, info.sha256, info.size, content_type, now or _utcnow())
        self.store.put_bytes(note, _canonical(entry.to_dict()), "application/json")
        return entry

    def add_bytes(self, role: Role, name: str, data: bytes, content_type: str,
                  *, now: datetime | None = None) -> ManifestEntry:
        return self.add(role, name, BytesIO(data), len(data), content_type, now=now)

    def read(self, key: str) -> Iterator[bytes]:
        """An object's plaintext (the caller writes the audit-log row: who reads evidence, and why)."""
        return self.evidence.read(key)

    def added_keys(self) -> set[str]:
        """Object keys whose `add` completed (sealed or pending): one listing for a whole gathering."""
        notes = f"{self.prefix}/entries/"
        return {f"{self.prefix}/objects/{note[len(notes):].removesuffix('.json')}"
                for note in self.store.keys(notes) if note.endswith(".json")}

    def manifest_versions(self) -> dict[int, str]:
        """Stored manifests by version (any other name under manifests/ is no manifest of ours)."""
        versions = {}
        for key in self.store.keys(f"{self.prefix}/manifests/"):
            match = _MANIFEST_NAME.fullmatch(key.rsplit("/", 1)[-1])
            if match and key == self.manifest_key(int(match.group(1))):
                versions[int(match.group(1))] = key
        return versions

    def latest_manifest(self, jwks: Mapping[str, Any]) -> SealedManifest | None:
        """The newest manifest, its signature checked (`DossierError` if it does not verify)."""
        versions = self.manifest_versions()
        if not versions:
            return None
        key = versions[max(versions)]
        token = self.read_token(key)
        return SealedManifest(open_manifest(token, jwks), key, token)

    def read_token(self, key: str) -> str:
        """A stored manifest as text; bytes that are no JWS then fail `open_manifest`, not decoding."""
        return self.store.read_bytes(key).decode("ascii", errors="replace")

    def _pending_entries(self, listed: Mapping[str, ManifestEntry]) -> list[ManifestEntry]:
        pending = []
        for note in self.store.keys(f"{self.prefix}/entries/"):
            try:
                entry = ManifestEntry.from_dict(json.loads(self.store.read_bytes(note)))
            except (KeyError, TypeError, ValueError) as error:
                raise DossierError(DossierErrorCode.ENTRY_MISMATCH, f"{note} is unreadable: {error}") from error
            name = entry.key.rsplit("/", 1)[-1]
            if note != self._entry_key(entry.role, name) or entry.key != self.object_key(entry.role, name):
                raise DossierError(DossierErrorCode.ENTRY_MISMATCH, f"{note} does not describe its own object")
            if entry.key not in listed:
                pending.append(entry)
        return pending

    def seal(self, *, signing_key: SigningKey, jwks: Mapping[str, Any], retain_until: datetime,
             now: datetime | None = None, lock: RetentionBackend | None = None) -> SealedManifest:
        """Sign a manifest covering everything added so far; returns the latest one unchanged when there
        is nothing new. With `lock`, every listed object, the data key and the manifest are locked in the
        store until `retain_until`, on every call, so a retry completes an interrupted locking."""
        previous = self.latest_manifest(jwks)
        listed = {entry.key: entry for entry in previous.manifest.objects} if previous else {}
        if previous and retain_until < previous.manifest.retain_until:
            raise DossierError(DossierErrorCode.RETENTION_SHORTENED,
                               f"retained until {previous.manifest.retain_until.isoformat()} already")
        new = self._pending_entries(listed)
        for entry in new:
            if _digest(self.evidence.read(entry.key)) != (entry.sha256, entry.size):
                raise DossierError(DossierErrorCode.ENTRY_MISMATCH, f"{entry.key} differs from its noted digest")
        if previous and not new and retain_until == previous.manifest.retain_until:
            sealed = previous
        else:
            sealed = self._sign_next(previous, [*listed.values(), *new], signing_key, retain_until, now or _utcnow())
        if lock is not None:
            for key in (self.evidence.data_key_object, *(e.key for e in sealed.manifest.objects), sealed.object_key):
                lock.lock(key, retain_until)
        return sealed

    def _sign_next(self, previous: SealedManifest | None, entries: list[ManifestEntry], signing_key: SigningKey,
                   retain_until: datetime, now: datetime) -> SealedManifest:
        version = previous.manifest.version + 1 if previous else 1
        manifest = Manifest(self.enrollment_id, version, now, retain_until, self.evidence.data_key_record().data_key_id,
                            previous.sha256 if previous else None, tuple(sorted(entries, key=lambda e: e.key)))
        sealed = SealedManifest(manifest, self.manifest_key(version), sign_manifest(manifest, signing_key))
        self.store.put_bytes(sealed.object_key, sealed.token.encode("ascii"), "application/jose")
        return sealed


class DossierProblem(StrEnum):
    NO_MANIFEST = "no_manifest"
    MANIFEST_BAD_SIGNATURE = "manifest_bad_signature"
    MANIFEST_MALFORMED = "manifest_malformed"
    MANIFEST_MISSING = "manifest_missing"  # a gap in the version sequence
    MANIFEST_CHAIN_BROKEN = "manifest_chain_broken"  # previous_sha256 does not match the previous file
    MANIFEST_NOT_EXPECTED = "manifest_not_expected"  # latest differs from the digest recorded elsewhere
    DROPPED = "dropped_from_manifest"  # listed by an earlier manifest, missing or changed in a later one
    DATA_KEY_MISSING = "data_key_missing"
    DATA_KEY_UNUSABLE = "data_key_unusable"
    OBJECT_MISSING = "object_missing"
    OBJECT_TAMPERED = "object_tampered"  # decryption failed to authenticate
    DIGEST_MISMATCH = "digest_mismatch"
    UNLISTED = "unlisted_object"
    ERASED = "erased"  # at the end of its retention (storage.evidence.retention), with a signed receipt


@dataclass(frozen=True)
class Problem:
    key: str
    problem: DossierProblem


@dataclass(frozen=True)
class DossierVerification:
    enrollment_id: str
    intact: bool
    objects: int  # objects checked against the manifest
    manifest_version: int | None
    manifest_sha256: str | None
    problems: tuple[Problem, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"enrollment_id": self.enrollment_id, "intact": self.intact, "objects": self.objects,
                "manifest_version": self.manifest_version, "manifest_sha256": self.manifest_sha256,
                "problems": [{"key": p.key, "problem": p.problem.value} for p in self.problems]}


_SIGNATURE_PROBLEMS = {DossierErrorCode.BAD_SIGNATURE: DossierProblem.MANIFEST_BAD_SIGNATURE,
                       DossierErrorCode.MALFORMED: DossierProblem.MANIFEST_MALFORMED}


def _check_manifests(dossier: Dossier, jwks: Mapping[str, Any],
                     problems: list[Problem]) -> SealedManifest | None:
    """Every manifest version in order; returns the newest one whose signature holds."""
    versions = dossier.manifest_versions()
    trusted: SealedManifest | None = None
    previous_digest: str | None = None  # of the previous version's stored bytes, whatever they are
    for version in range(1, max(versions, default=0) + 1):
        key = dossier.manifest_key(version)
        if version not in versions:
            problems.append(Problem(key, DossierProblem.MANIFEST_MISSING))
            previous_digest = None
            continue
        raw = dossier.store.read_bytes(key)
        token = raw.decode("ascii", errors="replace")
        follows_a_stored_version = version == 1 or previous_digest is not None
        expected_previous = previous_digest
        previous_digest = hashlib.sha256(raw).hexdigest()
        try:
            manifest = open_manifest(token, jwks)
        except DossierError as error:
            problems.append(Problem(key, _SIGNATURE_PROBLEMS[error.code]))
            continue
        if manifest.enrollment_id != dossier.enrollment_id or manifest.version != version:
            problems.append(Problem(key, DossierProblem.MANIFEST_MALFORMED))  # e.g. another dossier's
            continue
        # After a missing version, that gap is the report.
        if follows_a_stored_version and manifest.previous_sha256 != expected_previous:
            problems.append(Problem(key, DossierProblem.MANIFEST_CHAIN_BROKEN))
        if trusted is not None:
            later = set(manifest.objects)
            problems.extend(Problem(e.key, DossierProblem.DROPPED) for e in trusted.manifest.objects
                            if e not in later)
        trusted = SealedManifest(manifest, key, token)
    return trusted


def verify_dossier(dossier: Dossier, jwks: Mapping[str, Any], *,
                   expected_manifest_sha256: str | None = None) -> DossierVerification:
    """Re-verify a dossier from the store: manifest signatures and chain, then every listed object's
    plaintext SHA-256 by streaming decryption, then anything stored but not listed. Each problem names
    its culprit. `expected_manifest_sha256` (recorded in the database at seal time) also catches the
    removal of the newest manifest, which the store alone cannot show."""
    problems: list[Problem] = []
    trusted = _check_manifests(dossier, jwks, problems)
    checked = 0
    if trusted is None:
        if not problems:
            problems.append(Problem(f"{dossier.prefix}/manifests/", DossierProblem.NO_MANIFEST))
    else:
        if expected_manifest_sha256 is not None and trusted.sha256 != expected_manifest_sha256:
            problems.append(Problem(trusted.object_key, DossierProblem.MANIFEST_NOT_EXPECTED))
        checked = _check_objects(dossier, trusted.manifest, problems)
        # Entry notes are unsigned bookkeeping that a verifier never trusts; manifests are checked above.
        allowed = {dossier.evidence.data_key_object, *(e.key for e in trusted.manifest.objects),
                   *dossier.manifest_versions().values()}
        problems.extend(Problem(key, DossierProblem.UNLISTED) for key in dossier.store.keys(dossier.prefix + "/")
                        if key not in allowed and not key.startswith(f"{dossier.prefix}/entries/"))
    return DossierVerification(dossier.enrollment_id, not problems and trusted is not None, checked,
                               trusted.manifest.version if trusted else None, trusted.sha256 if trusted else None,
                               tuple(problems))


def _check_objects(dossier: Dossier, manifest: Manifest, problems: list[Problem]) -> int:
    data_key = dossier.evidence.data_key_object
    try:
        if dossier.evidence.load_data_key().data_key_id != manifest.data_key_id:
            problems.append(Problem(data_key, DossierProblem.DATA_KEY_UNUSABLE))
            return 0
    except DataKeyMissing:
        problems.append(Problem(data_key, DossierProblem.DATA_KEY_MISSING))
        return 0
    except (IntegrityError, UnknownMasterKey, ValueError, KeyError):
        problems.append(Problem(data_key, DossierProblem.DATA_KEY_UNUSABLE))
        return 0
    for entry in manifest.objects:
        try:
            found = _digest(dossier.read(entry.key))
        except ObjectNotFound:
            problems.append(Problem(entry.key, DossierProblem.OBJECT_MISSING))
            continue
        except IntegrityError:
            problems.append(Problem(entry.key, DossierProblem.OBJECT_TAMPERED))
            continue
        if found != (entry.sha256, entry.size):
            problems.append(Problem(entry.key, DossierProblem.DIGEST_MISMATCH))
    return len(manifest.objects)
