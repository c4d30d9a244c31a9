"""The service's signing keys: EC P-256 private keys, one per kid, with a use and a life cycle.

Directory layout: `<kid>.pem` (PKCS#8, unencrypted, mode 0600) and `<kid>.json` (kid, use, created_at,
retired_at). The kid is the key's RFC 7638 JWK thumbprint. Each use ("assertion", "dossier") has its own
keys. Rotation retires the active key: it signs no more but stays in the JWKS while tokens it signed can
still be valid, i.e. until retired_at + the maximum token lifetime. Dossier keys stay published for good:
sealed dossiers are re-verified for years.

Deployments with a secret manager give one PEM instead (`KeyRing.from_pem`); such a ring cannot rotate.
Paths and values come in as parameters: the settings object lives in storage.settings.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from verification.common.canonical import canonical
from verification.common.errors import CodedError

logger = logging.getLogger(__name__)

ALGORITHM = "ES256"


class KeyUse(StrEnum):
    ASSERTION = "assertion"
    DOSSIER = "dossier"


class KeyRingErrorCode(StrEnum):
    NO_ACTIVE_KEY = "no_active_key"
    READ_ONLY = "key_ring_read_only"
    BAD_KEY_FILE = "bad_key_file"
    WRONG_CURVE = "key_wrong_curve"


class KeyRingError(CodedError):
    code: KeyRingErrorCode

    def __init__(self, code: KeyRingErrorCode, detail: str) -> None:
        super().__init__(code, detail)


def _b64url_uint(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()


def thumbprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of a P-256 public key."""
    numbers = public_key.public_numbers()
    members = canonical({"crv": "P-256", "kty": "EC", "x": _b64url_uint(numbers.x), "y": _b64url_uint(numbers.y)})
    return base64.urlsafe_b64encode(hashlib.sha256(members).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class StoredKey:
    kid: str
    use: KeyUse
    private_key: ec.EllipticCurvePrivateKey
    created_at: datetime
    retired_at: datetime | None = None

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}

    def metadata(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "use": self.use.value,
            "created_at": self.created_at.isoformat(),
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
        }


def _p256(private_key: object, source: str) -> ec.EllipticCurvePrivateKey:
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or not isinstance(private_key.curve, ec.SECP256R1):
        raise KeyRingError(KeyRingErrorCode.WRONG_CURVE, f"{source}: not an EC P-256 private key")
    return private_key


def _load_pem(pem: bytes, source: str) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except ValueError as error:
        raise KeyRingError(KeyRingErrorCode.BAD_KEY_FILE, f"{source}: {error}") from error
    return _p256(key, source)


def _write_private(path: Path, content: bytes) -> None:
    """Write atomically, readable by the owner only from the first byte."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class KeyRing:
    def __init__(
        self,
        keys: Iterable[StoredKey],
        *,
        max_token_lifetime: timedelta,
        directory: Path | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._keys = {key.kid: key for key in keys}
        self._max_token_lifetime = max_token_lifetime
        self._directory = directory
        self._clock = clock

    @classmethod
    def load(
        cls,
        directory: Path,
        *,
        max_token_lifetime: timedelta,
        clock: Callable[[], datetime] = _utcnow,
    ) -> KeyRing:
        """The keys in `directory`; a use without an active key gets a freshly generated one."""
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        keys = [cls._read(path) for path in sorted(directory.glob("*.json"))]
        ring = cls(keys, max_token_lifetime=max_token_lifetime, directory=directory, clock=clock)
        for use in KeyUse:
            if ring._active(use) is None:
                ring._add(use)
        return ring

    @classmethod
    def from_pem(
        cls,
        pem: str | bytes,
        kid: str,
        *,
        max_token_lifetime: timedelta,
        use: KeyUse = KeyUse.ASSERTION,
        created_at: datetime | None = None,
    ) -> KeyRing:
        """A one-key ring from a PEM held by a secret manager (given through settings)."""
        data = pem.encode() if isinstance(pem, str) else pem
        key = StoredKey(kid, use, _load_pem(data, f"PEM for {kid}"), created_at or _utcnow())
        return cls([key], max_token_lifetime=max_token_lifetime)

    @staticmethod
    def _read(metadata_path: Path) -> StoredKey:
        try:
            meta = json.loads(metadata_path.read_text())
            pem = metadata_path.with_suffix(".pem").read_bytes()
            retired = meta.get("retired_at")
            return StoredKey(
                kid=meta["kid"],
                use=KeyUse(meta["use"]),
                private_key=_load_pem(pem, str(metadata_path.with_suffix(".pem"))),
                created_at=datetime.fromisoformat(meta["created_at"]),
                retired_at=datetime.fromisoformat(retired) if retired else None,
            )
        except (OSError, KeyError, ValueError) as error:
            raise KeyRingError(KeyRingErrorCode.BAD_KEY_FILE, f"{metadata_path}: {error}") from error

    def _save(self, key: StoredKey, *, with_private: bool) -> None:
        if self._directory is None:
            raise KeyRingError(KeyRingErrorCode.READ_ONLY, "this key ring has no directory to write to")
        if with_private:
            pem = key.private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            _write_private(self._directory / f"{key.kid}.pem", pem)
        _write_private(self._directory / f"{key.kid}.json", json.dumps(key.metadata(), indent=2).encode())

    def _add(self, use: KeyUse) -> StoredKey:
        private_key = ec.generate_private_key(ec.SECP256R1())
        key = StoredKey(thumbprint(private_key.public_key()), use, private_key, self._clock())
        self._save(key, with_private=True)
        self._keys[key.kid] = key
        logger.info("generated %s signing key %s", use.value, key.kid)
        return key

    def _active(self, use: KeyUse) -> StoredKey | None:
        candidates = [k for k in self._keys.values() if k.use is use and k.retired_at is None]
        return max(candidates, key=lambda k: k.created_at, default=None)

    def active_key(self, use: KeyUse) -> StoredKey:
        key = self._active(use)
        if key is None:
            raise KeyRingError(KeyRingErrorCode.NO_ACTIVE_KEY, f"no active {use.value} key")
        return key

    def rotate(self, use: KeyUse) -> str:
        """Generate a new active key for `use` and retire the previous ones; returns the new kid."""
        if self._directory is None:
            raise KeyRingError(KeyRingErrorCode.READ_ONLY, "a key ring built from one PEM cannot rotate")
        now = self._clock()
        new = self._add(use)
        for key in list(self._keys.values()):
            if key.use is use and key.retired_at is None and key.kid != new.kid:
                retired = replace(key, retired_at=now)
                self._save(retired, with_private=False)
                self._keys[key.kid] = retired
                logger.info("retired %s signing key %s", use.value, key.kid)
        return new.kid

    def _published(self, key: StoredKey, now: datetime) -> bool:
        if key.retired_at is None or key.use is KeyUse.DOSSIER:
            return True
        return now < key.retired_at + self._max_token_lifetime

    def jwks(self, uses: Iterable[KeyUse] = tuple(KeyUse)) -> dict[str, list[dict[str, Any]]]:
        """Public keys only, newest first: active keys and retired ones still able to verify."""
        wanted = set(uses)
        now = self._clock()
        keys = sorted(self._keys.values(), key=lambda k: k.created_at, reverse=True)
        return {"keys": [k.public_jwk() for k in keys if k.use in wanted and self._published(k, now)]}
