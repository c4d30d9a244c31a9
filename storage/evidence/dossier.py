"""The evidence dossier of one enrollment: encrypted objects under one prefix and signed manifests.

Layout under `dossiers/<enrollment_id>/`:

    datakey.json                    the wrapped data key (storage.evidence.encrypted)
    objects/<role>/<name>           evidence, encrypted (storage.evidence.crypto's format)
    entries/<role>/<name>.json      an unsigned note of each object's digest, written by `add`
    manifests/v0001.jws, v0002...   signed manifests (storage.evidence.manifest), one per seal, never overwritten

`add` may run anywhere (API upload, each worker task); `seal` runs from one place at a time (the
decision task, a reviewer's action). It carries the previous manifest's entries forward once its
signature checks, takes in the entries noted since, re-reading each new object through decryption so
the signature attests what is really stored, and writes the next manifest version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from storage.evidence.crypto import DEFAULT_CHUNK_SIZE, MasterKeyProvider
from storage.evidence.encrypted import DataKeyRecord, EncryptedEvidence
from storage.evidence.manifest import (
    DossierError,
    DossierErrorCode,
    Manifest,
    ManifestEntry,
    Role,
    SealedManifest,
    check_name,
    dossier_prefix,
    open_manifest,
    sign_manifest,
)
from storage.evidence.store import EvidenceStore
from storage.streams import Readable, digest_of
from verification.common.canonical import canonical
from verification.common.jws import SigningKey

_MANIFEST_NAME = re.compile(r"v(\d{4,})\.jws")


def _utcnow() -> datetime:
    return datetime.now(UTC)


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
        return f"{self.prefix}/objects/{role.value}/{check_name(name)}"

    def manifest_key(self, version: int) -> str:
        return f"{self.prefix}/manifests/v{version:04d}.jws"

    def _entry_key(self, role: Role, name: str) -> str:
        return f"{self.prefix}/entries/{role.value}/{name}.json"

    def add(self, role: Role, name: str, stream: Readable, length: int, content_type: str,
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
        self.store.put_bytes(note, canonical(entry.to_dict()), "application/json")
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
             now: datetime | None = None, lock: bool = False) -> SealedManifest:
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
            if not digest_of(self.evidence.read(entry.key)).matches(entry.sha256, entry.size):
                raise DossierError(DossierErrorCode.ENTRY_MISMATCH, f"{entry.key} differs from its noted digest")
        if previous and not new and retain_until == previous.manifest.retain_until:
            sealed = previous
        else:
            sealed = self._sign_next(previous, [*listed.values(), *new], signing_key, retain_until, now or _utcnow())
        if lock:
            for key in (self.evidence.data_key_object, *(e.key for e in sealed.manifest.objects), sealed.object_key):
                self.store.lock(key, retain_until)
        return sealed

    def _sign_next(self, previous: SealedManifest | None, entries: list[ManifestEntry], signing_key: SigningKey,
                   retain_until: datetime, now: datetime) -> SealedManifest:
        version = previous.manifest.version + 1 if previous else 1
        manifest = Manifest(self.enrollment_id, version, now, retain_until, self.evidence.data_key_record().data_key_id,
                            previous.sha256 if previous else None, tuple(sorted(entries, key=lambda e: e.key)))
        sealed = SealedManifest(manifest, self.manifest_key(version), sign_manifest(manifest, signing_key))
        self.store.put_bytes(sealed.object_key, sealed.token.encode("ascii"), "application/jose")
        return sealed
