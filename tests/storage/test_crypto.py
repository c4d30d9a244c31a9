from __future__ import annotations

import hashlib
import io
import os
import struct
import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.evidence.crypto import (
    TAG_BYTES,
    Encryptor,
    IntegrityError,
    LocalMasterKeys,
    ShortPlaintext,
    UnknownMasterKey,
    decrypt_stream,
    encrypted_size,
    new_data_key,
    rewrap,
)

CHUNK = 1024
KEY_ID = "dk-1"
OBJECT = "dossiers/e1/objects/capture/front.jpg"


def encrypt(data: bytes, key: bytes, object_key: str = OBJECT, chunk_size: int = CHUNK) -> bytes:
    encryptor = Encryptor(key, KEY_ID, object_key, io.BytesIO(data), len(data), chunk_size=chunk_size)
    return encryptor.read()


def decrypt(ciphertext: bytes, key: bytes, object_key: str = OBJECT, piece: int = 333) -> bytes:
    pieces = (ciphertext[i:i + piece] for i in range(0, len(ciphertext), piece))
    return b"".join(decrypt_stream(key, KEY_ID, object_key, pieces))


def header_size() -> int:
    return len(encrypt(b"", new_data_key())) - TAG_BYTES


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK, 5 * CHUNK + 7])
def test_round_trip_and_predicted_size(size: int) -> None:
    key, data = new_data_key(), os.urandom(size)
    ciphertext = encrypt(data, key)
    assert len(ciphertext) == encrypted_size(size, KEY_ID, CHUNK)
    assert decrypt(ciphertext, key) == data


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=3000), chunk_size=st.integers(1, 700), read_size=st.integers(1, 900),
       piece=st.integers(1, 900))
def test_round_trip_whatever_the_chunking(data: bytes, chunk_size: int, read_size: int, piece: int) -> None:
    key = new_data_key()
    encryptor = Encryptor(key, KEY_ID, OBJECT, io.BytesIO(data), len(data), chunk_size=chunk_size)
    ciphertext = b"".join(iter(lambda: encryptor.read(read_size), b""))
    assert len(ciphertext) == encrypted_size(len(data), KEY_ID, chunk_size)
    assert decrypt(ciphertext, key, piece=piece) == data


def test_encryptor_reports_the_plaintext_digest_once_read() -> None:
    data = os.urandom(3 * CHUNK + 5)
    encryptor = Encryptor(new_data_key(), KEY_ID, OBJECT, io.BytesIO(data), len(data), chunk_size=CHUNK)
    with pytest.raises(RuntimeError):
        _ = encryptor.plaintext_sha256
    while encryptor.read(100):
        pass
    assert encryptor.finished
    assert encryptor.plaintext_sha256 == hashlib.sha256(data).hexdigest()


def test_short_plaintext_is_refused() -> None:
    encryptor = Encryptor(new_data_key(), KEY_ID, OBJECT, io.BytesIO(b"abc"), 10, chunk_size=CHUNK)
    with pytest.raises(ShortPlaintext):
        encryptor.read()


def test_every_flipped_byte_is_detected() -> None:
    key = new_data_key()
    ciphertext = encrypt(os.urandom(2 * CHUNK + 10), key)
    for position in range(0, len(ciphertext), 7):
        tampered = bytearray(ciphertext)
        tampered[position] ^= 0x01
        with pytest.raises(IntegrityError):
            decrypt(bytes(tampered), key)


def sealed_chunks(ciphertext: bytes) -> tuple[bytes, list[bytes]]:
    head = header_size()
    body = ciphertext[head:]
    step = CHUNK + TAG_BYTES
    return ciphertext[:head], [body[i:i + step] for i in range(0, len(body), step)]


def test_truncation_at_a_chunk_boundary_is_detected() -> None:
    key = new_data_key()
    header, chunks = sealed_chunks(encrypt(os.urandom(4 * CHUNK + 10), key))
    for keep in range(len(chunks)):
        with pytest.raises(IntegrityError):
            decrypt(header + b"".join(chunks[:keep]), key)


def test_appended_chunk_is_detected() -> None:
    key = new_data_key()
    ciphertext = encrypt(os.urandom(2 * CHUNK), key)
    _, chunks = sealed_chunks(ciphertext)
    with pytest.raises(IntegrityError):
        decrypt(ciphertext + chunks[0], key)


def test_swapped_chunks_are_detected() -> None:
    key = new_data_key()
    header, chunks = sealed_chunks(encrypt(os.urandom(3 * CHUNK + 10), key))
    chunks[0], chunks[1] = chunks[1], chunks[0]
    with pytest.raises(IntegrityError):
        decrypt(header + b"".join(chunks), key)


def test_object_moved_to_another_key_is_detected() -> None:
    key = new_data_key()
    ciphertext = encrypt(os.urandom(100), key, object_key="dossiers/e1/objects/capture/a.jpg")
    with pytest.raises(IntegrityError):
        decrypt(ciphertext, key, object_key="dossiers/e1/objects/capture/b.jpg")


def test_wrong_key_is_detected() -> None:
    ciphertext = encrypt(os.urandom(100), new_data_key())
    with pytest.raises(IntegrityError):
        decrypt(ciphertext, new_data_key())


def test_forged_header_chunk_size_is_refused_before_buffering() -> None:
    key = new_data_key()
    tampered = bytearray(encrypt(os.urandom(100), key))
    struct.pack_into(">I", tampered, 5, 2**31)
    with pytest.raises(IntegrityError, match="known format"):
        decrypt(bytes(tampered), key)


def test_truncated_header_is_detected() -> None:
    key = new_data_key()
    with pytest.raises(IntegrityError, match="header"):
        decrypt(encrypt(b"x", key)[:10], key)


def generated_stream(size: int, piece: int = 1 << 20) -> io.RawIOBase:
    """A readable stream of `size` pseudo-random bytes generated on demand (never held whole)."""

    class Generated(io.RawIOBase):
        def __init__(self) -> None:
            self.left = size
            self.counter = 0

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            n = min(self.left, piece if n < 0 else n)
            self.counter += 1
            self.left -= n
            return hashlib.sha256(self.counter.to_bytes(8, "big")).digest()[:1] * n

    return Generated()


def test_large_object_streams_with_bounded_memory() -> None:
    size = 50 * 1024 * 1024
    key = new_data_key()
    tracemalloc.start()
    try:
        encryptor = Encryptor(key, KEY_ID, OBJECT, generated_stream(size), size)  # type: ignore[arg-type]

        def ciphertext() -> Iterator[bytes]:
            while piece := encryptor.read(256 * 1024):
                yield piece

        digest, total = hashlib.sha256(), 0
        for chunk in decrypt_stream(key, KEY_ID, OBJECT, ciphertext()):
            digest.update(chunk)
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == size
    assert digest.hexdigest() == encryptor.plaintext_sha256
    assert peak < 16 * 1024 * 1024


def test_master_key_rotation_and_rewrap() -> None:
    old, new = os.urandom(32), os.urandom(32)
    before = LocalMasterKeys({"m1": old}, "m1")
    after = LocalMasterKeys({"m1": old, "m2": new}, "m2")
    data_key = new_data_key()
    wrapped = before.wrap(data_key)
    assert after.unwrap(wrapped) == data_key  # a retired key still unwraps
    moved = rewrap(wrapped, after)
    assert moved.key_id == "m2"
    assert LocalMasterKeys({"m2": new}, "m2").unwrap(moved) == data_key
    with pytest.raises(UnknownMasterKey):
        LocalMasterKeys({"m2": new}, "m2").unwrap(wrapped)


def test_tampered_or_relabelled_wrapped_key_is_refused() -> None:
    keys = LocalMasterKeys({"m1": os.urandom(32), "m2": os.urandom(32)}, "m1")
    wrapped = keys.wrap(new_data_key())
    flipped = bytearray(wrapped.ciphertext)
    flipped[-1] ^= 1
    with pytest.raises(IntegrityError):
        keys.unwrap(type(wrapped)("m1", bytes(flipped)))
    with pytest.raises(IntegrityError):
        keys.unwrap(type(wrapped)("m2", wrapped.ciphertext))


def test_master_keys_are_checked() -> None:
    with pytest.raises(ValueError):
        LocalMasterKeys({"m1": b"short"}, "m1")
    with pytest.raises(UnknownMasterKey):
        LocalMasterKeys({"m1": os.urandom(32)}, "m2")
