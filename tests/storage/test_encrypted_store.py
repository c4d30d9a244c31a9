from __future__ import annotations

import hashlib
import io
import os

import pytest

from storage.evidence.crypto import IntegrityError, LocalMasterKeys, ShortPlaintext
from storage.evidence.encrypted import DataKeyMissing, EncryptedEvidence
from storage.evidence.store import EvidenceStore
from tests.storage.evidence_factories import master_keys

PREFIX = "dossiers/e1"


def opened(store: EvidenceStore, keys: LocalMasterKeys | None = None, prefix: str = PREFIX) -> EncryptedEvidence:
    evidence = EncryptedEvidence(store, keys or master_keys(), prefix, chunk_size=4096)
    evidence.create_data_key()
    return evidence


def test_round_trip_reports_plaintext_digest_and_stored_size(evidence_store: EvidenceStore) -> None:
    evidence = opened(evidence_store)
    data = os.urandom(3 * 4096 + 100)
    info = evidence.put(f"{PREFIX}/objects/capture/video.webm", io.BytesIO(data), len(data))
    assert (info.size, info.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    stored = evidence_store.read_bytes(info.key)
    assert len(stored) == info.stored_size > info.size
    assert data[:64] not in stored
    assert evidence.read_bytes(info.key) == data


def test_a_fresh_reader_unwraps_the_stored_data_key(evidence_store: EvidenceStore) -> None:
    keys = master_keys()
    opened(evidence_store, keys).put_bytes(f"{PREFIX}/objects/capture/a", b"evidence")
    assert EncryptedEvidence(evidence_store, keys, PREFIX).read_bytes(f"{PREFIX}/objects/capture/a") == b"evidence"


def test_data_key_creation_is_idempotent(evidence_store: EvidenceStore) -> None:
    evidence = opened(evidence_store)
    assert evidence.create_data_key() == evidence.data_key_record()


def test_writing_before_the_data_key_exists_is_refused(evidence_store: EvidenceStore) -> None:
    with pytest.raises(DataKeyMissing):
        EncryptedEvidence(evidence_store, master_keys(), PREFIX).put_bytes(f"{PREFIX}/x", b"x")


def test_keys_outside_the_prefix_are_refused(evidence_store: EvidenceStore) -> None:
    evidence = opened(evidence_store)
    for key in ("dossiers/e2/x", f"{PREFIX}/datakey.json"):
        with pytest.raises(ValueError):
            evidence.put_bytes(key, b"x")


def test_a_short_stream_stores_nothing(evidence_store: EvidenceStore) -> None:
    evidence = opened(evidence_store)
    with pytest.raises(ShortPlaintext):
        evidence.put(f"{PREFIX}/objects/capture/short", io.BytesIO(b"abc"), 10_000)
    assert f"{PREFIX}/objects/capture/short" not in set(evidence_store.keys(PREFIX + "/"))


def test_a_flipped_stored_byte_fails_the_read(evidence_store: EvidenceStore) -> None:
    evidence = opened(evidence_store)
    key = f"{PREFIX}/objects/frame/f1.jpg"
    evidence.put_bytes(key, os.urandom(10_000))
    stored = bytearray(evidence_store.read_bytes(key))
    stored[len(stored) // 2] ^= 0x80
    evidence_store.put_bytes(key, bytes(stored), "application/octet-stream")
    with pytest.raises(IntegrityError):
        evidence.read_bytes(key)


def test_objects_moved_between_keys_or_dossiers_fail_the_read(evidence_store: EvidenceStore) -> None:
    keys = master_keys()
    first, second = opened(evidence_store, keys), opened(evidence_store, keys, "dossiers/e2")
    first.put_bytes(f"{PREFIX}/objects/crop/a", b"portrait A")
    second.put_bytes("dossiers/e2/objects/crop/a", b"portrait B")
    evidence_store.put_bytes(f"{PREFIX}/objects/crop/b", evidence_store.read_bytes(f"{PREFIX}/objects/crop/a"), "x")
    evidence_store.put_bytes(f"{PREFIX}/objects/crop/a", evidence_store.read_bytes("dossiers/e2/objects/crop/a"), "x")
    for key in (f"{PREFIX}/objects/crop/a", f"{PREFIX}/objects/crop/b"):
        with pytest.raises(IntegrityError):
            first.read_bytes(key)


def test_rewrap_moves_the_data_key_to_the_new_master_key(evidence_store: EvidenceStore) -> None:
    m1, m2 = os.urandom(32), os.urandom(32)
    opened(evidence_store, LocalMasterKeys({"m1": m1}, "m1")).put_bytes(f"{PREFIX}/objects/decision/d", b"{}")
    before = EncryptedEvidence(evidence_store, LocalMasterKeys({"m1": m1}, "m1"), PREFIX).data_key_record()
    after = EncryptedEvidence(evidence_store, LocalMasterKeys({"m1": m1, "m2": m2}, "m2"), PREFIX).rewrap()
    assert (after.master_key_id, after.data_key_id) == ("m2", before.data_key_id)
    new_only = EncryptedEvidence(evidence_store, LocalMasterKeys({"m2": m2}, "m2"), PREFIX)
    assert new_only.read_bytes(f"{PREFIX}/objects/decision/d") == b"{}"
