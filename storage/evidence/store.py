"""The evidence store: one interface, an S3 backend (MinIO in production, through the minio client)
and a local-directory backend (embedded default). Objects are streamed in both directions.

Retention is a capability of the store: `lock` makes an object's current version undeletable until a
date, `versions` and `delete_version` let erasure remove every version. On S3/MinIO the lock is an
object-lock retention in COMPLIANCE mode (the bucket must be created with object lock, which also turns
versioning on): nobody, the service included, can delete a retained version before that date. A local
directory has no such thing, and none can be built: whoever owns the files can delete them. There
retention rests on erasure refusing to act early and on the signed manifest making any loss visible
(storage.evidence.integrity); deployments that need write-once storage use S3/MinIO.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention
from urllib3 import BaseHTTPResponse

from storage.streams import Readable
from verification.common.errors import CodedError

CHUNK = 256 * 1024


class EvidenceStoreError(CodedError):
    """A transient or backend failure of the store (workers retry on it)."""

    code = "evidence_store_error"

    def __init__(self, detail: str) -> None:
        super().__init__(self.code, detail)


class ObjectNotFound(EvidenceStoreError):
    code = "evidence_missing"


@dataclass(frozen=True)
class StoredVersion:
    key: str
    version_id: str | None  # None on an unversioned store


class DeletionRefused(EvidenceStoreError):
    """The store refused to delete a version (an object lock still holds it)."""

    code = "evidence_deletion_refused"

    def __init__(self, version: StoredVersion, reason: str) -> None:
        super().__init__(f"{version.key} ({version.version_id}): {reason}")
        self.version = version
        self.reason = reason


class EvidenceStore(ABC):
    supports_lock: bool  # whether `lock` really makes objects undeletable

    @abstractmethod
    def put(self, key: str, stream: Readable, length: int, content_type: str) -> None:
        """Store `length` bytes read from `stream` under `key` (overwrites)."""

    @abstractmethod
    def read(self, key: str) -> Iterator[bytes]:
        """The object's bytes in chunks, never loaded whole."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing object is not an error."""

    @abstractmethod
    def keys(self, prefix: str) -> Iterator[str]:
        """Keys under a prefix, sorted."""

    @abstractmethod
    def lock(self, key: str, retain_until: datetime) -> None:
        """Make the current version of `key` undeletable until `retain_until` (no-op where unsupported)."""

    @abstractmethod
    def versions(self, prefix: str) -> list[StoredVersion]:
        """Every stored version under the prefix, delete markers included."""

    @abstractmethod
    def delete_version(self, version: StoredVersion) -> None:
        """Delete one version for good; `DeletionRefused` when the store's lock forbids it."""

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        with path.open("rb") as stream:
            self.put(key, stream, path.stat().st_size, content_type)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        self.put(key, BytesIO(data), len(data), content_type)

    def read_bytes(self, key: str) -> bytes:
        return b"".join(self.read(key))


class DirectoryStore(EvidenceStore):
    """Files under a root directory, written atomically (temp file + rename), owner-only permissions.
    No lock and no versions: see the module's docstring."""

    supports_lock = False

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"object key escapes the store: {key!r}")
        return path

    def put(self, key: str, stream: Readable, length: int, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.partial")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            copied = _copy(stream, out, length)
        if copied != length:
            tmp.unlink()
            raise EvidenceStoreError(f"short stream for {key}: {copied} of {length} bytes")
        tmp.replace(path)

    def read(self, key: str) -> Iterator[bytes]:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return _iter_file(path)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self, prefix: str) -> Iterator[str]:
        base = self._path(prefix) if prefix else self.root
        if base.is_file():
            return iter([prefix])
        found = (p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())
        return iter(sorted(k for k in found if not Path(k).name.startswith(".")))

    def lock(self, key: str, retain_until: datetime) -> None:
        return None

    def versions(self, prefix: str) -> list[StoredVersion]:
        return [StoredVersion(key, None) for key in self.keys(prefix)]

    def delete_version(self, version: StoredVersion) -> None:
        self.delete(version.key)


class S3Store(EvidenceStore):
    """S3 / MinIO through the minio client. The bucket is created on first use (with object lock when
    asked: it can only be enabled at creation)."""

    supports_lock = True

    def __init__(self, client: Minio, bucket: str, *, object_lock: bool = True) -> None:
        self.client = client
        self.bucket = bucket
        try:
            if not client.bucket_exists(bucket):
                client.make_bucket(bucket, object_lock=object_lock)
        except S3Error as error:
            if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise EvidenceStoreError(str(error)) from error

    def put(self, key: str, stream: Readable, length: int, content_type: str) -> None:
        try:
            # minio's put_object types its data as BinaryIO but calls only read(n) on it.
            self.client.put_object(self.bucket, key, stream, length,  # type: ignore[arg-type]
                                   content_type=content_type, part_size=max(5 * 1024 * 1024, CHUNK))
        except (S3Error, OSError) as error:
            raise EvidenceStoreError(f"put {key}: {error}") from error

    def read(self, key: str) -> Iterator[bytes]:
        try:
            response = self.client.get_object(self.bucket, key)
        except S3Error as error:
            if error.code in ("NoSuchKey", "NoSuchObject"):
                raise ObjectNotFound(key) from error
            raise EvidenceStoreError(f"get {key}: {error}") from error
        return _iter_response(response)

    def delete(self, key: str) -> None:
        try:
            self.client.remove_object(self.bucket, key)
        except S3Error as error:
            raise EvidenceStoreError(f"delete {key}: {error}") from error

    def keys(self, prefix: str) -> Iterator[str]:
        try:
            names = [o.object_name for o in self.client.list_objects(self.bucket, prefix=prefix, recursive=True)]
        except S3Error as error:
            raise EvidenceStoreError(f"list {prefix}: {error}") from error
        return iter(sorted(n for n in names if n))

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


def _copy(stream: Readable, out: BinaryIO, length: int) -> int:
    copied = 0
    while copied < length:
        chunk = stream.read(min(CHUNK, length - copied))
        if not chunk:
            break
        out.write(chunk)
        copied += len(chunk)
    return copied


def _iter_file(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            yield chunk


def _iter_response(response: BaseHTTPResponse) -> Iterator[bytes]:
    try:
        yield from response.stream(CHUNK)
    finally:
        response.close()
        response.release_conn()

