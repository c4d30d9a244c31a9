"""Envelope encryption of evidence, independent of the store.

Each dossier has its own 256-bit data key; a master key (local here, a KMS or HSM behind the same
interface) wraps it. Objects are encrypted as a stream of AES-256-GCM chunks, in the spirit of the
STREAM construction (Hoang et al., "Online authenticated-encryption and its nonce-reuse misuse-
resistance", 2015) used by Tink and age, so memory stays bounded whatever the object's size.

Encrypted object layout (all integers big-endian):

    header  = b"IDVE" | version u8 (=1) | chunk_size u32 | nonce_prefix 8 bytes
              | data_key_id length u8 | data_key_id (ASCII)
    chunk i = AES-256-GCM(data key, nonce = nonce_prefix | i u32, plaintext[i*chunk_size : ...],
                          aad = header | object key length u16 | object key (UTF-8) | i u32 | final u8)

Every chunk is `chunk_size` bytes of plaintext plus a 16-byte tag, except the last (shorter or equal,
possibly empty), which alone carries final = 1. The AAD binds each chunk to the header, to the object's
key and to its position, so a flipped byte, a dropped or appended chunk, swapped chunks, a truncated
object and an object copied under another key all fail authentication. The ciphertext length is a
function of the plaintext length (`encrypted_size`), so a store that needs the length up front (S3)
gets it without a temporary file.
"""

from __future__ import annotations

import base64
import itertools
import os
import struct
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.streams import Readable, StreamDigest

MAGIC = b"IDVE"
FORMAT_VERSION = 1
KEY_BYTES = 32
TAG_BYTES = 16
NONCE_PREFIX_BYTES = 8
DEFAULT_CHUNK_SIZE = 64 * 1024
# A forged header must not make the reader buffer gigabytes before authentication fails.
MAX_CHUNK_SIZE = 4 * 1024 * 1024
_FIXED_HEADER = struct.Struct(">4sBI8sB")  # magic, version, chunk size, nonce prefix, key id length
_WRAP_NONCE_BYTES = 12


class CryptoError(Exception):
    """Not a CodedError on purpose: it is raised while evidence streams out, after the response started,
    where an API error handler must not catch it (the server aborts the response instead)."""

    code = "crypto_error"


class IntegrityError(CryptoError):
    """The ciphertext, its header or its key does not authenticate: tampered, truncated or misplaced."""

    code = "integrity_error"


class UnknownMasterKey(CryptoError):
    code = "unknown_master_key"


class ShortPlaintext(CryptoError):
    """The plaintext stream ended before the announced length."""

    code = "short_plaintext"


@dataclass(frozen=True)
class WrappedKey:
    """A data key encrypted under the master key `key_id`."""

    key_id: str
    ciphertext: bytes

    def to_dict(self) -> dict[str, str]:
        return {"key_id": self.key_id, "ciphertext": base64.b64encode(self.ciphertext).decode("ascii")}

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> WrappedKey:
        return cls(data["key_id"], base64.b64decode(data["ciphertext"], validate=True))


class MasterKeyProvider(ABC):
    """Wraps and unwraps data keys; the master keys never leave it (a KMS or HSM can implement this)."""

    @property
    @abstractmethod
    def active_key_id(self) -> str:
        """The master key new data keys are wrapped with."""

    @abstractmethod
    def wrap(self, data_key: bytes) -> WrappedKey: ...

    @abstractmethod
    def unwrap(self, wrapped: WrappedKey) -> bytes:
        """The data key; `UnknownMasterKey` if its master key is gone, `IntegrityError` if tampered."""


class LocalMasterKeys(MasterKeyProvider):
    """Master keys held in process (from settings). Retired keys stay so that old data keys unwrap;
    `rewrap` moves a dossier onto the active key, after which a retired key can be dropped."""

    def __init__(self, keys: Mapping[str, bytes], active_key_id: str) -> None:
        for key_id, key in keys.items():
            if len(key) != KEY_BYTES:
                raise ValueError(f"master key {key_id!r} must be {KEY_BYTES} bytes, got {len(key)}")
        if active_key_id not in keys:
            raise UnknownMasterKey(f"active master key {active_key_id!r} is not among the keys")
        self._keys = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active = active_key_id

    @classmethod
    def from_base64(cls, keys: Mapping[str, str], active_key_id: str) -> LocalMasterKeys:
        return cls({key_id: base64.b64decode(value, validate=True) for key_id, value in keys.items()},
                   active_key_id)

    @property
    def active_key_id(self) -> str:
        return self._active

    def wrap(self, data_key: bytes) -> WrappedKey:
        nonce = os.urandom(_WRAP_NONCE_BYTES)
        sealed = self._keys[self._active].encrypt(nonce, data_key, _wrap_aad(self._active))
        return WrappedKey(self._active, nonce + sealed)

    def unwrap(self, wrapped: WrappedKey) -> bytes:
        cipher = self._keys.get(wrapped.key_id)
        if cipher is None:
            raise UnknownMasterKey(f"master key {wrapped.key_id!r} is not available")
        nonce, sealed = wrapped.ciphertext[:_WRAP_NONCE_BYTES], wrapped.ciphertext[_WRAP_NONCE_BYTES:]
        try:
            return cipher.decrypt(nonce, sealed, _wrap_aad(wrapped.key_id))
        except InvalidTag as error:
            raise IntegrityError(f"wrapped data key under {wrapped.key_id!r} does not authenticate") from error


def _wrap_aad(master_key_id: str) -> bytes:
    return b"idv-data-key|" + master_key_id.encode("utf-8")


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=8 * KEY_BYTES)


def rewrap(wrapped: WrappedKey, provider: MasterKeyProvider) -> WrappedKey:
    """The same data key wrapped under the provider's active master key (objects are untouched)."""
    if wrapped.key_id == provider.active_key_id:
        return wrapped
    return provider.wrap(provider.unwrap(wrapped))


def encrypted_size(plaintext_size: int, data_key_id: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
    chunks = max(1, -(-plaintext_size // chunk_size))
    return _FIXED_HEADER.size + len(data_key_id.encode("ascii")) + plaintext_size + chunks * TAG_BYTES


def _header(chunk_size: int, nonce_prefix: bytes, data_key_id: str) -> bytes:
    key_id = data_key_id.encode("ascii")
    if not 0 < len(key_id) < 256:
        raise ValueError("data key id must be 1 to 255 ASCII characters")
    return _FIXED_HEADER.pack(MAGIC, FORMAT_VERSION, chunk_size, nonce_prefix, len(key_id)) + key_id


def _aad_prefix(header: bytes, object_key: str) -> bytes:
    key = object_key.encode("utf-8")
    return header + struct.pack(">H", len(key)) + key


_POSITION = struct.Struct(">IB")


class Encryptor:
    """A readable stream of the ciphertext of `length` plaintext bytes read from `plaintext`.

    Stores pull it with `read(n)`; it encrypts one chunk at a time. The plaintext's SHA-256 and size are
    known once `finished` is true.
    """

    def __init__(self, data_key: bytes, data_key_id: str, object_key: str, plaintext: Readable, length: int,
                 *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        if not 0 < chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"chunk size must be in 1..{MAX_CHUNK_SIZE}")
        self._cipher = AESGCM(data_key)
        self._source = plaintext
        self._remaining = length
        self._chunk_size = chunk_size
        self._nonce_prefix = os.urandom(NONCE_PREFIX_BYTES)
        header = _header(chunk_size, self._nonce_prefix, data_key_id)
        self._aad_prefix = _aad_prefix(header, object_key)
        self._index = 0
        self._pending = bytearray(header)
        self._digest = StreamDigest()
        self.size = encrypted_size(length, data_key_id, chunk_size)
        self.finished = False

    @property
    def plaintext_sha256(self) -> str:
        if not self.finished:
            raise RuntimeError("the plaintext has not been read to its end")
        return self._digest.sha256

    def read(self, n: int = -1) -> bytes:
        want = self.size if n is None or n < 0 else n
        while len(self._pending) < want and not self.finished:
            self._pending += self._next_chunk()
        with memoryview(self._pending) as view:
            out = view[:want].tobytes()
        del self._pending[:want]
        return out

    def _next_chunk(self) -> bytes:
        take = min(self._chunk_size, self._remaining)
        block = _read_exactly(self._source, take)
        if len(block) != take:
            raise ShortPlaintext(f"plaintext ended {self._remaining - len(block)} bytes early")
        self._remaining -= take
        self._digest.update(block)
        final = self._remaining == 0
        nonce = self._nonce_prefix + struct.pack(">I", self._index)
        sealed = self._cipher.encrypt(nonce, block, self._aad_prefix + _POSITION.pack(self._index, final))
        self._index += 1
        self.finished = final
        return sealed


def _read_exactly(stream: Readable, size: int) -> bytes:
    parts: list[bytes] = []
    missing = size
    while missing:
        part = stream.read(missing)
        if not part:
            break
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def decrypt_stream(data_key: bytes, data_key_id: str, object_key: str, ciphertext: Iterable[bytes]) -> Iterator[bytes]:
    """The plaintext chunks of an encrypted object; `IntegrityError` on any tampering.

    A chunk is yielded only once authenticated, and the last one only after the end of the ciphertext
    has been seen: a consumer that reads to the end has read exactly what was encrypted.
    """
    pieces = iter(ciphertext)
    buffer = bytearray()
    while not _header_complete(buffer):
        piece = next(pieces, None)
        if piece is None:
            raise IntegrityError(f"{object_key}: truncated header")
        buffer += piece
    magic, version, chunk_size, nonce_prefix, id_length = _FIXED_HEADER.unpack_from(buffer)
    header_size = _FIXED_HEADER.size + id_length
    if magic != MAGIC or version != FORMAT_VERSION or not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise IntegrityError(f"{object_key}: not an encrypted evidence object of a known format")
    if bytes(buffer[_FIXED_HEADER.size:header_size]) != data_key_id.encode("ascii"):
        raise IntegrityError(f"{object_key}: encrypted under another data key")
    aad_prefix = _aad_prefix(bytes(buffer[:header_size]), object_key)
    del buffer[:header_size]
    cipher = AESGCM(data_key)
    sealed_size = chunk_size + TAG_BYTES
    index = 0

    def open_chunk(sealed: bytes, final: bool) -> bytes:
        nonce = nonce_prefix + struct.pack(">I", index)
        try:
            return cipher.decrypt(nonce, sealed, aad_prefix + _POSITION.pack(index, final))
        except InvalidTag as error:
            raise IntegrityError(f"{object_key}: chunk {index} does not authenticate") from error

    # The leading b"" drains what the header read already buffered.
    for piece in itertools.chain((b"",), pieces):
        buffer += piece
        # Keep at least one sealed chunk back: whether it is the final one is known only at the end.
        while len(buffer) > sealed_size:
            yield open_chunk(bytes(buffer[:sealed_size]), final=False)
            del buffer[:sealed_size]
            index += 1
    if len(buffer) < TAG_BYTES:
        raise IntegrityError(f"{object_key}: truncated after chunk {index}")
    yield open_chunk(bytes(buffer), final=True)


def _header_complete(buffer: bytearray) -> bool:
    fixed = _FIXED_HEADER.size
    return len(buffer) >= fixed and len(buffer) >= fixed + buffer[fixed - 1]
