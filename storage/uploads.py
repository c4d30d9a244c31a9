"""Streamed uploads: spooled to a private temporary file while hashed, size-limited and content-sniffed.

Nothing reaches the evidence store until the whole upload is in, within its limit, of a sniffed type
the endpoint accepts; the spool file is removed whatever happens.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType

from storage.streams import StreamDigest

SNIFF_BYTES = 64


class MediaType(StrEnum):
    JPEG = "image/jpeg"
    PNG = "image/png"
    MP4 = "video/mp4"
    WEBM = "video/webm"

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "video/mp4": "mp4", "video/webm": "webm"}[self.value]


class UploadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"upload exceeds {limit} bytes")
        self.limit = limit


def sniff(head: bytes) -> MediaType | None:
    """The media type from the first bytes (magic numbers), never from the client's word."""
    if head.startswith(b"\xff\xd8\xff"):
        return MediaType.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType.PNG
    if head[4:8] == b"ftyp":  # ISO base media (MP4, MOV, 3GP): the ftyp box comes first
        return MediaType.MP4
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:SNIFF_BYTES]:
        return MediaType.WEBM
    return None


@dataclass(frozen=True)
class SpooledUpload:
    path: Path
    size: int
    sha256: str
    media_type: MediaType | None


class UploadSpool:
    """Feed it chunks as they arrive; `finish()` gives the spooled file's facts. Use as a context manager."""

    def __init__(self, limit: int, directory: Path | None = None) -> None:
        self.limit = limit
        fd, name = tempfile.mkstemp(prefix="idv-upload-", dir=directory)
        self._file = os.fdopen(fd, "wb")
        self.path = Path(name)
        self._digest = StreamDigest()
        self._head = b""

    @property
    def size(self) -> int:
        return self._digest.size

    def write(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self.limit:
            raise UploadTooLarge(self.limit)
        if len(self._head) < SNIFF_BYTES:
            self._head += chunk[: SNIFF_BYTES - len(self._head)]
        self._digest.update(chunk)
        self._file.write(chunk)

    def finish(self) -> SpooledUpload:
        self._file.close()
        return SpooledUpload(self.path, self.size, self._digest.sha256, sniff(self._head))

    def __enter__(self) -> UploadSpool:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)
