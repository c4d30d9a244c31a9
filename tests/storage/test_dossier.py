from __future__ import annotations

import base64
import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from storage.evidence.crypto import LocalMasterKeys
from storage.evidence.dossier import Dossier
from storage.evidence.integrity import DossierProblem, Problem, verify_dossier
from storage.evidence.manifest import DossierError, DossierErrorCode, Role, SealedManifest, sign_manifest
from storage.evidence.store import EvidenceStore
from storage.keys import StoredKey
from tests.storage.evidence_factories import dossier_keys, master_keys

SEALED_AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
RETAIN_UNTIL = datetime(2033, 11, 23, 10, 0, tzinfo=UTC)


class Sealer:
    """One enrollment's dossier with its keys, filled with a capture and a check result."""

    def __init__(self, store: EvidenceStore, tmp_path: Path, enrollment_id: str = "e-123") -> None:
        self.store = store
        self.master_keys = master_keys()
        self.signing_key, self.jwks = dossier_keys(tmp_path / "keys")
        self.dossier = Dossier(store, self.master_keys, enrollment_id, chunk_size=4096)
        self.dossier.open()
        self.capture = self.dossier.add_bytes(Role.CAPTURE, "document-front.jpg", os.urandom(20_000), "image/jpeg")
        self.check = self.dossier.add_bytes(Role.CHECK_RESULT, "document.json", b'{"status":"pass"}',
                                            "application/json")

    def seal(self, retain_until: datetime = RETAIN_UNTIL) -> SealedManifest:
        return self.dossier.seal(signing_key=self.signing_key, jwks=self.jwks, retain_until=retain_until,
                                 now=SEALED_AT)

    def verify(self, **kwargs: Any) -> tuple[bool, set[Problem]]:
        fresh = Dossier(self.store, self.master_keys, self.dossier.enrollment_id)
        result = verify_dossier(fresh, self.jwks, **kwargs)
        return result.intact, set(result.problems)


@pytest.fixture
def sealer(evidence_store: EvidenceStore, tmp_path: Path) -> Sealer:
    return Sealer(evidence_store, tmp_path)


def test_sealed_dossier_verifies_intact(sealer: Sealer) -> None:
    sealed = sealer.seal()
    result = verify_dossier(sealer.dossier, sealer.jwks, expected_manifest_sha256=sealed.sha256)
    assert result.intact and result.problems == ()
    assert (result.objects, result.manifest_version, result.manifest_sha256) == (2, 1, sealed.sha256)
    listed = {e.key: e for e in sealed.manifest.objects}
    assert listed[sealer.capture.key] == sealer.capture
    assert sealed.manifest.retain_until == RETAIN_UNTIL and sealed.manifest.previous_sha256 is None
    assert sealed.manifest.data_key_id == sealer.dossier.evidence.data_key_record().data_key_id


def test_manifest_is_an_es256_jws_of_the_dossier_type(sealer: Sealer) -> None:
    token = sealer.seal().token
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "ES256", "kid": sealer.signing_key.kid, "typ": "idv-dossier-manifest+jws"}


def test_flipped_byte_names_the_object(sealer: Sealer) -> None:
    sealer.seal()
    stored = bytearray(sealer.store.read_bytes(sealer.capture.key))
    stored[-100] ^= 0x01
    sealer.store.put_bytes(sealer.capture.key, bytes(stored), "application/octet-stream")
    assert sealer.verify() == (False, {Problem(sealer.capture.key, DossierProblem.OBJECT_TAMPERED)})


def test_deleted_object_is_named(sealer: Sealer) -> None:
    sealer.seal()
    sealer.store.delete(sealer.check.key)
    assert sealer.verify() == (False, {Problem(sealer.check.key, DossierProblem.OBJECT_MISSING)})


def test_unlisted_object_is_named(sealer: Sealer) -> None:
    sealer.seal()
    planted = f"{sealer.dossier.prefix}/objects/capture/planted.jpg"
    sealer.store.put_bytes(planted, b"not evidence", "image/jpeg")
    assert sealer.verify() == (False, {Problem(planted, DossierProblem.UNLISTED)})


def test_deleted_data_key_is_named(sealer: Sealer) -> None:
    sealer.seal()
    sealer.store.delete(sealer.dossier.evidence.data_key_object)
    assert sealer.verify() == (False, {Problem(sealer.dossier.evidence.data_key_object,
                                               DossierProblem.DATA_KEY_MISSING)})


def test_manifest_replaced_by_one_signed_with_another_key_is_named(sealer: Sealer) -> None:
    sealed = sealer.seal()
    outsider = StoredKey(sealer.signing_key.kid, sealer.signing_key.use, ec.generate_private_key(ec.SECP256R1()),
                         SEALED_AT)
    fewer = replace(sealed.manifest, objects=(sealer.capture,))
    sealer.store.put_bytes(sealed.object_key, sign_manifest(fewer, outsider).encode(), "application/jose")
    intact, problems = sealer.verify()
    assert not intact
    assert Problem(sealed.object_key, DossierProblem.MANIFEST_BAD_SIGNATURE) in problems


def test_edited_manifest_payload_is_named(sealer: Sealer) -> None:
    sealed = sealer.seal()
    header, payload, signature = sealed.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["retain_until"] = SEALED_AT.isoformat()
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    sealer.store.put_bytes(sealed.object_key, f"{header}.{edited}.{signature}".encode(), "application/jose")
    assert sealer.verify() == (False, {Problem(sealed.object_key, DossierProblem.MANIFEST_BAD_SIGNATURE)})


def test_reseal_after_a_review_adds_a_chained_version(sealer: Sealer) -> None:
    first = sealer.seal()
    assert sealer.seal() == first  # nothing new: no new version
    review = sealer.dossier.add_bytes(Role.REVIEW_ACTION, "review-1.json", b'{"approve":true}', "application/json")
    second = sealer.seal()
    assert second.manifest.version == 2 and second.manifest.previous_sha256 == first.sha256
    assert {e.key for e in second.manifest.objects} == {sealer.capture.key, sealer.check.key, review.key}
    assert sealer.store.read_bytes(first.object_key).decode() == first.token
    assert sealer.verify(expected_manifest_sha256=second.sha256) == (True, set())


def test_removing_a_manifest_version_is_detected(sealer: Sealer) -> None:
    first = sealer.seal()
    sealer.dossier.add_bytes(Role.DECISION, "decision.json", b"{}", "application/json")
    sealer.seal()
    sealer.store.delete(first.object_key)
    assert sealer.verify() == (False, {Problem(first.object_key, DossierProblem.MANIFEST_MISSING)})


def test_rolled_back_to_an_older_manifest_is_detected_with_the_recorded_digest(sealer: Sealer) -> None:
    sealer.seal()
    decision = sealer.dossier.add_bytes(Role.DECISION, "decision.json", b"{}", "application/json")
    second = sealer.seal()
    sealer.store.delete(second.object_key)
    sealer.store.delete(decision.key)
    intact, problems = sealer.verify(expected_manifest_sha256=second.sha256)
    assert not intact
    assert {p.problem for p in problems} == {DossierProblem.MANIFEST_NOT_EXPECTED}


def test_evidence_is_written_once(sealer: Sealer) -> None:
    with pytest.raises(DossierError) as refused:
        sealer.dossier.add_bytes(Role.CAPTURE, "document-front.jpg", b"a different picture", "image/jpeg")
    assert refused.value.code is DossierErrorCode.ALREADY_ADDED


def test_seal_refuses_an_object_that_differs_from_its_note(sealer: Sealer) -> None:
    sealer.dossier.evidence.put_bytes(sealer.capture.key, b"a different picture")
    with pytest.raises(DossierError) as refused:
        sealer.seal()
    assert refused.value.code is DossierErrorCode.ENTRY_MISMATCH


def test_seal_refuses_to_shorten_retention(sealer: Sealer) -> None:
    sealer.seal()
    with pytest.raises(DossierError) as refused:
        sealer.seal(retain_until=RETAIN_UNTIL - timedelta(days=1))
    assert refused.value.code is DossierErrorCode.RETENTION_SHORTENED


def test_seal_refuses_to_extend_a_forged_manifest(sealer: Sealer, tmp_path: Path) -> None:
    sealed = sealer.seal()
    outsider, _ = dossier_keys(tmp_path / "outsider")
    sealer.store.put_bytes(sealed.object_key, sign_manifest(sealed.manifest, outsider).encode(), "application/jose")
    sealer.dossier.add_bytes(Role.DECISION, "decision.json", b"{}", "application/json")
    with pytest.raises(DossierError) as refused:
        sealer.seal()
    assert refused.value.code is DossierErrorCode.BAD_SIGNATURE


def test_a_dossier_never_sealed_is_not_intact(evidence_store: EvidenceStore, tmp_path: Path) -> None:
    sealer = Sealer(evidence_store, tmp_path)
    intact, problems = sealer.verify()
    assert not intact
    assert problems == {Problem(f"{sealer.dossier.prefix}/manifests/", DossierProblem.NO_MANIFEST)}


def test_a_wrong_master_key_is_reported_on_the_data_key(sealer: Sealer) -> None:
    sealer.seal()
    stranger = Dossier(sealer.store, LocalMasterKeys({"m1": os.urandom(32)}, "m1"), "e-123")
    result = verify_dossier(stranger, sealer.jwks)
    assert not result.intact
    assert set(result.problems) == {Problem(stranger.evidence.data_key_object, DossierProblem.DATA_KEY_UNUSABLE)}


def test_names_that_could_escape_the_prefix_are_refused(sealer: Sealer) -> None:
    with pytest.raises(DossierError):
        sealer.dossier.add_bytes(Role.FRAME, "../../e-999/objects/frame/x", b"x", "image/jpeg")
    with pytest.raises(DossierError):
        Dossier(sealer.store, sealer.master_keys, "../other")


def test_seal_locks_the_sealed_objects_on_every_call(sealer: Sealer, monkeypatch: pytest.MonkeyPatch) -> None:
    locked: list[tuple[str, datetime]] = []
    monkeypatch.setattr(sealer.store, "lock", lambda key, retain_until: locked.append((key, retain_until)))
    for _ in range(2):
        sealed = sealer.dossier.seal(signing_key=sealer.signing_key, jwks=sealer.jwks, retain_until=RETAIN_UNTIL,
                                     lock=True)
    expected = [(key, RETAIN_UNTIL) for key in (sealer.dossier.evidence.data_key_object, sealer.capture.key,
                                                sealer.check.key, sealed.object_key)]
    assert sorted(locked) == sorted(expected * 2)


def test_a_manifest_copied_from_another_dossier_is_not_trusted(sealer: Sealer, tmp_path: Path) -> None:
    sealed = sealer.seal()
    neighbour = Sealer(sealer.store, tmp_path / "neighbour", enrollment_id="e-456")
    neighbour.signing_key, neighbour.jwks = sealer.signing_key, sealer.jwks
    neighbour.dossier.add_bytes(Role.DECISION, "decision.json", b"{}", "application/json")
    foreign = neighbour.seal()
    sealer.store.put_bytes(sealed.object_key, foreign.token.encode(), "application/jose")
    intact, problems = sealer.verify()
    assert not intact
    assert problems == {Problem(sealed.object_key, DossierProblem.MANIFEST_MALFORMED)}


def test_garbage_in_place_of_a_manifest_is_named(sealer: Sealer) -> None:
    first = sealer.seal()
    sealer.dossier.add_bytes(Role.DECISION, "decision.json", b"{}", "application/json")
    second = sealer.seal()
    sealer.store.put_bytes(first.object_key, "\u00e9t\u00e9 \x00".encode() + os.urandom(50), "application/jose")
    assert sealer.verify() == (False, {Problem(first.object_key, DossierProblem.MANIFEST_BAD_SIGNATURE),
                                       Problem(second.object_key, DossierProblem.MANIFEST_CHAIN_BROKEN)})
