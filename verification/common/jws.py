"""ES256 JWS: the one signer and verifier of assertions, dossier manifests and erasure receipts
(PyJWT over `cryptography` EC P-256 keys).

Every token is a compact JWS over the canonical JSON of its payload (verification.common.canonical),
explicitly typed (RFC 8725 §3.11): the header `typ` names what it is (`idv-assertion+jwt`, a manifest, a
receipt), and verification refuses any other type, so a token this service signs for one purpose cannot
pass for another. `verify` checks an assertion's claims (expiry, audience, issuer); `verified_payload`
checks the signature and type only, for records that must verify for years. Key storage is not here
(storage.keys); signing takes any object with a `kid` and a P-256 private key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt import api_jws

from verification.common.canonical import canonical
from verification.common.errors import CodedError

ALGORITHM = "ES256"
ASSERTION_TYP = "idv-assertion+jwt"
REQUIRED_CLAIMS = ("iss", "sub", "aud", "iat", "exp", "jti")


class SigningKey(Protocol):
    """A P-256 signing key with its kid (storage.keys.StoredKey)."""

    @property
    def kid(self) -> str: ...

    @property
    def private_key(self) -> ec.EllipticCurvePrivateKey: ...


class TokenErrorCode(StrEnum):
    MALFORMED = "token_malformed"
    WRONG_TYPE = "token_wrong_type"
    UNKNOWN_KID = "token_unknown_kid"
    BAD_SIGNATURE = "token_bad_signature"
    EXPIRED = "token_expired"
    NOT_YET_VALID = "token_not_yet_valid"
    WRONG_AUDIENCE = "token_wrong_audience"
    WRONG_ISSUER = "token_wrong_issuer"
    MISSING_CLAIM = "token_missing_claim"


class TokenError(CodedError):
    code: TokenErrorCode

    def __init__(self, code: TokenErrorCode, detail: str) -> None:
        super().__init__(code, detail)


def sign(payload: Mapping[str, Any], key: SigningKey, *, typ: str = ASSERTION_TYP) -> str:
    """A compact JWS of type `typ` over the canonical JSON of `payload` (no expiry of its own)."""
    if not isinstance(key.private_key.curve, ec.SECP256R1):
        raise ValueError(f"ES256 needs a P-256 key, got {key.private_key.curve.name}")
    return api_jws.encode(canonical(payload), key.private_key, algorithm=ALGORITHM,
                          headers={"kid": key.kid, "typ": typ})


def unverified_header(token: str) -> dict[str, Any]:
    try:
        return api_jws.get_unverified_header(token)
    except jwt.DecodeError as error:
        raise TokenError(TokenErrorCode.MALFORMED, str(error)) from error


def _public_key(jwks: Mapping[str, Any], kid: str) -> jwt.PyJWK:
    for entry in jwks.get("keys", []):
        if entry.get("kid") != kid:
            continue
        if entry.get("use", "sig") != "sig" or entry.get("alg", ALGORITHM) != ALGORITHM:
            raise TokenError(TokenErrorCode.UNKNOWN_KID, f"key {kid} is not an {ALGORITHM} signing key")
        try:
            return jwt.PyJWK(entry, algorithm=ALGORITHM)
        except jwt.PyJWKError as error:
            raise TokenError(TokenErrorCode.UNKNOWN_KID, f"key {kid} is unusable: {error}") from error
    raise TokenError(TokenErrorCode.UNKNOWN_KID, f"no key {kid!r} in the key set")


def _signer_key(token: str, jwks: Mapping[str, Any], typ: str) -> jwt.PyJWK:
    """The key of `jwks` that signed a token of type `typ`, else `TokenError` (not yet the signature)."""
    header = unverified_header(token)
    if header.get("typ") != typ:
        raise TokenError(TokenErrorCode.WRONG_TYPE, f"typ {header.get('typ')!r}, expected {typ!r}")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise TokenError(TokenErrorCode.UNKNOWN_KID, "the header has no kid")
    return _public_key(jwks, kid)


# PyJWT exception -> our code; order matters: subclasses before their bases.
_ERRORS: tuple[tuple[type[jwt.PyJWTError], TokenErrorCode], ...] = (
    (jwt.ExpiredSignatureError, TokenErrorCode.EXPIRED),
    (jwt.ImmatureSignatureError, TokenErrorCode.NOT_YET_VALID),
    (jwt.InvalidAudienceError, TokenErrorCode.WRONG_AUDIENCE),
    (jwt.InvalidIssuerError, TokenErrorCode.WRONG_ISSUER),
    (jwt.MissingRequiredClaimError, TokenErrorCode.MISSING_CLAIM),
    (jwt.InvalidSignatureError, TokenErrorCode.BAD_SIGNATURE),
    (jwt.InvalidAlgorithmError, TokenErrorCode.BAD_SIGNATURE),
    (jwt.PyJWTError, TokenErrorCode.MALFORMED),
)


def _token_error(error: jwt.PyJWTError) -> TokenError:
    return TokenError(next(code for kind, code in _ERRORS if isinstance(error, kind)), str(error))


def verify(
    token: str,
    jwks: Mapping[str, Any],
    *,
    audience: str | None,
    issuer: str | None = None,
    leeway: timedelta = timedelta(seconds=30),
    typ: str = ASSERTION_TYP,
) -> dict[str, Any]:
    """The claims of a valid token, else `TokenError` with a code.

    `audience` is keyword-only and has no default: None (skip the audience check) must be a conscious
    choice, made only by tooling such as `idv assertion verify` without `--audience`.
    """
    key = _signer_key(token, jwks, typ)
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": list(REQUIRED_CLAIMS), "verify_aud": audience is not None},
        )
    except jwt.PyJWTError as error:
        raise _token_error(error) from error


def verified_payload(token: str, jwks: Mapping[str, Any], *, typ: str) -> bytes:
    """The payload bytes of a token of type `typ` whose signature holds under a key of `jwks`, else
    `TokenError`; no claim is checked (records without expiry: manifests, receipts)."""
    key = _signer_key(token, jwks, typ)
    try:
        payload: bytes = api_jws.decode_complete(token, key, algorithms=[ALGORITHM])["payload"]
    except jwt.PyJWTError as error:
        raise _token_error(error) from error
    return payload

