"""Byte streams digested as they pass: the SHA-256 and length of uploads, evidence being encrypted,
evidence read back against its manifest entry, captures copied into a dossier."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol


class Readable(Protocol):
    """All a store reads of a stream: `read(n)`, up to n bytes, b"" at the end (a file, an encryptor, a
    checked reader)."""

    def read(self, n: int = -1, /) -> bytes: ...


class StreamDigest:
    """SHA-256 and length of the bytes fed to it so far."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self.size += len(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def matches(self, sha256: str, size: int) -> bool:
        return (self.sha256, self.size) == (sha256, size)


def digest_of(chunks: Iterable[bytes]) -> StreamDigest:
    """The digest of a whole stream, read to its end."""
    digest = StreamDigest()
    for chunk in chunks:
        digest.update(chunk)
    return digest


def checked(chunks: Iterable[bytes], sha256: str, size: int, mismatch: Callable[[], Exception]) -> Iterator[bytes]:
    """The chunks passed on while digested; `mismatch()` is raised instead of the chunk that reaches or
    passes `size` when the whole is not the expected one, or at the end of a shorter stream, so a
    consumer that stops at `size` bytes never completes with the wrong content."""
    digest = StreamDigest()
    for chunk in chunks:
        digest.update(chunk)
        if digest.size >= size and not digest.matches(sha256, size):
            raise mismatch()
        yield chunk
    if not digest.matches(sha256, size):
        raise mismatch()


class ChunkReader:
    """A readable (`read(n)`) over an iterator of chunks, for writers that pull from a file-like object."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def read(self, n: int = -1) -> bytes:
        while (n < 0 or len(self._buffer) < n) and (chunk := next(self._chunks, b"")):
            self._buffer += chunk
        out, self._buffer = (self._buffer, b"") if n < 0 else (self._buffer[:n], self._buffer[n:])
        return out
