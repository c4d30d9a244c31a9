"""The evidence store: one interface, an S3 backend (MinIO in production, through the minio client)
and a local-directory backend (embedded default). Objects are streamed in both directions."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from minio import Minio
from minio.error import S3Error

CHUNK = 256 * 1024


class EvidenceStoreError(Exception):
    """A transient or backend failure of the store (workers retry on it)."""


class ObjectNotFound(EvidenceStoreError):
    pass


class EvidenceStore(ABC):
    @abstractmethod
    def put(self, key: str, stream: BinaryIO, length: int, content_type: str) -> None:
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

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        with path.open("rb") as stream:
            self.put(key, stream, path.stat().st_size, content_type)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        self.put(key, BytesIO(data), len(data), content_type)

    def download(self, key: str, path: Path) -> None:
        with path.open("wb") as out:
            for chunk in self.read(key):
                out.write(chunk)

    def read_bytes(self, key: str) -> bytes:
        return b"".join(self.read(key))


class DirectoryStore(EvidenceStore):
    """Files under a root directory, written atomically (temp file + rename), owner-only permissions."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"object key escapes the store: {key!r}")
        return path

    def put(self, key: str, stream: BinaryIO, length: int, content_type: str) -> None:
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


class S3Store(EvidenceStore):
    """S3 / MinIO through the minio client. The bucket is created on first use (with object lock when
    asked: it can only be enabled at creation)."""

    def __init__(self, client: Minio, bucket: str, *, object_lock: bool = True) -> None:
        self.client = client
        self.bucket = bucket
        try:
            if not client.bucket_exists(bucket):
                client.make_bucket(bucket, object_lock=object_lock)
        except S3Error as error:
            if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise EvidenceStoreError(str(error)) from error

    def put(self, key: str, stream: BinaryIO, length: int, content_type: str) -> None:
        try:
            self.client.put_object(self.bucket, key, stream, length, content_type=content_type,
                                   part_size=max(5 * 1024 * 1024, CHUNK))
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


def _copy(stream: BinaryIO, out: BinaryIO, length: int) -> int:
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


def _iter_response(response) -> Iterator[bytes]:  # type: ignore[no-untyped-def]
    try:
        yield from response.stream(CHUNK)
    finally:
        response.close()
        response.release_conn()

