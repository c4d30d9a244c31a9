from __future__ import annotations

import base64
import hashlib
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from storage.keys import KeyRing, KeyRingError, KeyRingErrorCode, KeyUse, thumbprint
from verification.common.jws import TokenError, TokenErrorCode, sign, verify

LIFETIME = timedelta(minutes=15)
AUDIENCE = "hospital-a"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def _claims(now: datetime) -> dict[str, object]:
    return {"iss": "i", "sub": "s", "aud": AUDIENCE, "iat": int(now.timestamp()),
            "exp": int((now + LIFETIME).timestamp()), "jti": "j"}


def _kids(ring: KeyRing) -> list[str]:
    return [k["kid"] for k in ring.jwks()["keys"]]


def test_first_load_generates_one_key_per_use_private_to_the_owner(tmp_path: Path) -> None:
    ring = KeyRing.load(tmp_path / "keys", max_token_lifetime=LIFETIME)
    assert {ring.active_key(use).use for use in KeyUse} == set(KeyUse)
    files = sorted((tmp_path / "keys").iterdir())
    assert len(files) == 4  # a PEM and a metadata file per key
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700


def test_reload_keeps_the_same_keys(tmp_path: Path) -> None:
    first = KeyRing.load(tmp_path, max_token_lifetime=LIFETIME)
    second = KeyRing.load(tmp_path, max_token_lifetime=LIFETIME)
    assert second.active_key(KeyUse.ASSERTION).kid == first.active_key(KeyUse.ASSERTION).kid
    assert second.jwks() == first.jwks()


def test_kid_is_the_jwk_thumbprint(tmp_path: Path) -> None:
    key = KeyRing.load(tmp_path, max_token_lifetime=LIFETIME).active_key(KeyUse.ASSERTION)
    assert key.kid == thumbprint(key.private_key.public_key())


def test_thumbprint_follows_rfc7638_over_the_published_jwk() -> None:
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    jwk = ECAlgorithm.to_jwk(public, as_dict=True)
    canonical = json.dumps({m: jwk[m] for m in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    assert thumbprint(public) == expected


def test_jwks_holds_public_keys_only(tmp_path: Path) -> None:
    ring = KeyRing.load(tmp_path, max_token_lifetime=LIFETIME)
    for jwk in ring.jwks()["keys"]:
        assert set(jwk) == {"kty", "crv", "x", "y", "kid", "use", "alg"}
        assert (jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"]) == ("EC", "P-256", "sig", "ES256")
    assert [k["kid"] for k in ring.jwks([KeyUse.ASSERTION])["keys"]] == [ring.active_key(KeyUse.ASSERTION).kid]


def test_rotation_keeps_old_tokens_verifiable_while_the_old_key_is_published(tmp_path: Path) -> None:
    clock = Clock()
    ring = KeyRing.load(tmp_path, max_token_lifetime=LIFETIME, clock=clock)
    old = ring.active_key(KeyUse.ASSERTION)
    old_token = sign(_claims(clock.now), old)

    new_kid = ring.rotate(KeyUse.ASSERTION)
    assert ring.active_key(KeyUse.ASSERTION).kid == new_kid != old.kid
    new_token = sign(_claims(clock.now), ring.active_key(KeyUse.ASSERTION))
    for token in (old_token, new_token):
        assert verify(token, ring.jwks(), audience=AUDIENCE)["jti"] == "j"

    clock.now += LIFETIME + timedelta(seconds=1)
    assert old.kid not in _kids(ring)
    with pytest.raises(TokenError) as caught:
        verify(old_token, ring.jwks(), audience=AUDIENCE)
    assert caught.value.code is TokenErrorCode.UNKNOWN_KID


def test_rotation_is_persisted(tmp_path: Path) -> None:
    ring = KeyRing.load(tmp_path, max_token_lifetime=LIFETIME)
    old = ring.active_key(KeyUse.ASSERTION).kid
    new = ring.rotate(KeyUse.ASSERTION)
    reloaded = KeyRing.load(tmp_path, max_token_lifetime=LIFETIME)
    assert reloaded.active_key(KeyUse.ASSERTION).kid == new
    assert json.loads((tmp_path / f"{old}.json").read_text())["retired_at"] is not None
    assert old in _kids(reloaded)


def test_uses_rotate_separately_and_dossier_keys_stay_published(tmp_path: Path) -> None:
    clock = Clock()
    ring = KeyRing.load(tmp_path, max_token_lifetime=LIFETIME, clock=clock)
    assertion_kid = ring.active_key(KeyUse.ASSERTION).kid
    old_dossier = ring.active_key(KeyUse.DOSSIER).kid
    ring.rotate(KeyUse.DOSSIER)
    assert ring.active_key(KeyUse.ASSERTION).kid == assertion_kid
    clock.now += timedelta(days=365 * 6)
    assert old_dossier in _kids(ring)


def test_from_pem_builds_a_one_key_ring_that_cannot_rotate() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    ring = KeyRing.from_pem(pem, "prod-2026", max_token_lifetime=LIFETIME)
    key = ring.active_key(KeyUse.ASSERTION)
    assert key.kid == "prod-2026"
    token = sign(_claims(datetime.now(UTC)), key)
    assert verify(token, ring.jwks(), audience=AUDIENCE)["sub"] == "s"
    with pytest.raises(KeyRingError) as caught:
        ring.rotate(KeyUse.ASSERTION)
    assert caught.value.code is KeyRingErrorCode.READ_ONLY
    with pytest.raises(KeyRingError) as missing:
        ring.active_key(KeyUse.DOSSIER)
    assert missing.value.code is KeyRingErrorCode.NO_ACTIVE_KEY


def test_from_pem_refuses_other_curves() -> None:
    pem = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyRingError) as caught:
        KeyRing.from_pem(pem, "k", max_token_lifetime=LIFETIME)
    assert caught.value.code is KeyRingErrorCode.WRONG_CURVE


def test_corrupt_key_file_is_reported(tmp_path: Path) -> None:
    ring = KeyRing.load(tmp_path, max_token_lifetime=LIFETIME)
    (tmp_path / f"{ring.active_key(KeyUse.ASSERTION).kid}.pem").write_text("not a key")
    with pytest.raises(KeyRingError) as caught:
        KeyRing.load(tmp_path, max_token_lifetime=LIFETIME)
    assert caught.value.code is KeyRingErrorCode.BAD_KEY_FILE
