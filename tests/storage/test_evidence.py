from __future__ import annotations

import hashlib
import io
import os

import pytest

from storage.evidence.store import EvidenceStore, EvidenceStoreError, ObjectNotFound


def test_round_trip_streams_in_chunks(evidence_store: EvidenceStore) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    evidence_store.put("enrollments/e1/captures/a.bin", io.BytesIO(data), len(data), "application/octet-stream")
    chunks = list(evidence_store.read("enrollments/e1/captures/a.bin"))
    assert len(chunks) > 1
    assert hashlib.sha256(b"".join(chunks)).digest() == hashlib.sha256(data).digest()


def test_keys_lists_a_prefix_sorted(evidence_store: EvidenceStore) -> None:
    for key in ("p/b", "p/a", "q/c"):
        evidence_store.put_bytes(key, b"x", "text/plain")
    assert list(evidence_store.keys("p/")) == ["p/a", "p/b"]


def test_missing_object_raises_not_found(evidence_store: EvidenceStore) -> None:
    with pytest.raises(ObjectNotFound):
        list(evidence_store.read("nope"))


def test_delete_removes(evidence_store: EvidenceStore) -> None:
    evidence_store.put_bytes("d/x", b"x", "text/plain")
    evidence_store.delete("d/x")
    assert list(evidence_store.keys("d/")) == []


def test_short_stream_is_refused_and_leaves_nothing(directory_store: EvidenceStore) -> None:
    with pytest.raises(EvidenceStoreError):
        directory_store.put("s/x", io.BytesIO(b"abc"), 10, "text/plain")
    assert list(directory_store.keys("s/")) == []


def test_directory_store_refuses_escaping_keys(directory_store: EvidenceStore) -> None:
    with pytest.raises(ValueError):
        directory_store.put_bytes("../outside", b"x", "text/plain")
