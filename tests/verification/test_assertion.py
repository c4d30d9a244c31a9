from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from tests.verification import make_document, make_traits
from verification.common.jws import ASSERTION_TYP, TokenError, TokenErrorCode, sign, verify
from verification.document.fields import FieldSource
from verification.identity.assertion import (
    ACR_SUBSTANTIAL,
    RNIV_CLAIM,
    CheckDetail,
    CheckMethod,
    build_assertion_claims,
)
from verification.identity.model import Sex
from verification.identity.rniv import assess_vigilance

ISSUER = "https://idv.example.test"
AUDIENCE = "hospital-a"
VERIFIED_AT = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
SOURCES = {"surname": FieldSource.MRZ_VIZ, "birth_date": FieldSource.MRZ, "birth_place_code": FieldSource.REVIEWER}


@dataclass(frozen=True)
class Key:
    kid: str
    private_key: ec.EllipticCurvePrivateKey


def make_key(kid: str = "k1", curve: ec.EllipticCurve | None = None) -> Key:
    return Key(kid, ec.generate_private_key(curve or ec.SECP256R1()))


def jwks_of(*keys: Key) -> dict[str, Any]:
    entries = []
    for key in keys:
        jwk = ECAlgorithm.to_jwk(key.private_key.public_key(), as_dict=True)
        entries.append({**jwk, "kid": key.kid, "use": "sig", "alg": "ES256"})
    return {"keys": entries}


def make_claims(
    issued_at: datetime | None = None, lifetime: timedelta = timedelta(minutes=15), **identity: Any
) -> dict[str, Any]:
    traits = make_traits(**identity)
    checks = [
        CheckDetail(CheckMethod.REMOTE_IMAGE_INSPECTION, "idv", "doc-1", VERIFIED_AT),
        CheckDetail(CheckMethod.BIOMETRIC_REMOTE, "idv", "face-1", VERIFIED_AT),
        CheckDetail(CheckMethod.HUMAN_REMOTE, "idv", "review-1", VERIFIED_AT),
    ]
    return build_assertion_claims(
        issuer=ISSUER,
        subject="enr-123",
        audience=AUDIENCE,
        enrollment_id="enr-123",
        identity=traits,
        document=make_document(),
        checks=checks,
        field_sources=SOURCES,
        vigilance=assess_vigilance(traits, None),
        verified_at=VERIFIED_AT,
        lifetime=lifetime,
        jti="jti-1",
        issued_at=issued_at or datetime.now(UTC),
    )


def test_claims_structure() -> None:
    issued = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    claims = make_claims(issued_at=issued)
    assert claims["iss"] == ISSUER and claims["aud"] == AUDIENCE and claims["sub"] == "enr-123"
    assert claims["iat"] == int(issued.timestamp())
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert claims["acr"] == ACR_SUBSTANTIAL == "http://eidas.europa.eu/LoA/substantial"
    assert claims["txn"] == "enr-123" and claims["jti"] == "jti-1"
    verification = claims["verified_claims"]["verification"]
    assert verification["trust_framework"] == "eidas"
    assert verification["assurance_level"] == "substantial"
    assert verification["time"] == "2026-03-02T10:15:00Z"
    assert verification["verification_process"] == "enr-123"
    (evidence,) = verification["evidence"]
    assert evidence["type"] == "document"
    assert [c["check_method"] for c in evidence["check_details"]] == ["vri", "bvr", "pvr"]
    assert evidence["check_details"][0] == {
        "check_method": "vri", "organization": "idv", "txn": "doc-1", "time": "2026-03-02T10:15:00Z"
    }
    assert evidence["document_details"] == {
        "type": "idcard",
        "document_number": "X4RTBPFW4",
        "issuer": {"country_code": "FRA"},
        "date_of_issuance": "2021-06-02",
        "date_of_expiry": "2031-06-01",
    }
    assert evidence["field_sources"] == {"birth_date": "mrz", "birth_place_code": "reviewer", "surname": "mrz+viz"}
    person = claims["verified_claims"]["claims"]
    assert person == {
        "family_name": "DUPONT-LAGARDE",
        "birth_family_name": "DUPONT-LAGARDE",
        "given_name": "MAËLIS-GAËLLE ANNE",
        "birth_given_name": "MAËLIS-GAËLLE ANNE",
        "birthdate": "1990-04-12",
        "gender": "female",
        "nationalities": ["FRA"],
        "place_of_birth": {"country": "FRA", "locality": "LYON"},
    }
    rniv = claims[RNIV_CLAIM]
    assert rniv["status"] == "VALI" and rniv["ins_traits_confirmed"] is False and rniv["discrepancies"] == []
    assert rniv["unconfirmed_traits"] == []
    assert rniv["traits"]["given_names"] == ["MAËLIS-GAËLLE", "ANNE"]
    assert rniv["traits"]["birth_place_code"] == "69123"
    json.dumps(claims)  # JSON-ready


def test_optional_claims_left_out_when_unknown() -> None:
    claims = make_claims(sex=Sex.UNSPECIFIED, nationality=None, birth_place=None, birth_place_code="99109")
    person = claims["verified_claims"]["claims"]
    assert "gender" not in person and "nationalities" not in person and "place_of_birth" not in person


def test_document_without_expiry_has_no_expiry_claim() -> None:
    traits = make_traits()
    claims = build_assertion_claims(
        issuer=ISSUER, subject="s", audience=AUDIENCE, enrollment_id="e", identity=traits,
        document=make_document(expiry_date=None, issue_date=None), checks=[], field_sources={},
        vigilance=assess_vigilance(traits, None), verified_at=VERIFIED_AT, lifetime=timedelta(minutes=5), jti="j",
    )
    details = claims["verified_claims"]["verification"]["evidence"][0]["document_details"]
    assert "date_of_expiry" not in details and "date_of_issuance" not in details


def test_identity_must_be_the_transmitted_one() -> None:
    traits = make_traits()
    with pytest.raises(ValueError, match="transmits"):
        build_assertion_claims(
            issuer=ISSUER, subject="s", audience=AUDIENCE, enrollment_id="e",
            identity=make_traits(birth_date=date(1991, 1, 1)), document=make_document(), checks=[], field_sources={},
            vigilance=assess_vigilance(traits, None),
            verified_at=VERIFIED_AT, lifetime=timedelta(minutes=5), jti="j",
        )


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        make_claims(issued_at=datetime(2026, 3, 2, 11, 0))


def test_signed_token_verifies_against_the_jwks() -> None:
    key = make_key()
    claims = make_claims()
    token = sign(claims, key)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "ES256", "kid": "k1", "typ": ASSERTION_TYP}
    assert verify(token, jwks_of(make_key("other"), key), audience=AUDIENCE, issuer=ISSUER) == claims


def _error(token: str, jwks: dict[str, Any], **options: Any) -> TokenErrorCode:
    with pytest.raises(TokenError) as caught:
        verify(token, jwks, **({"audience": AUDIENCE} | options))
    return caught.value.code


def test_tampered_token_is_rejected() -> None:
    key = make_key()
    header, payload, signature = sign(make_claims(), key).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims[RNIV_CLAIM]["status"] = "QUAL"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert _error(f"{header}.{forged}.{signature}", jwks_of(key)) is TokenErrorCode.BAD_SIGNATURE


def test_expired_token_is_rejected() -> None:
    key = make_key()
    token = sign(make_claims(issued_at=datetime.now(UTC) - timedelta(hours=1)), key)
    assert _error(token, jwks_of(key)) is TokenErrorCode.EXPIRED


def test_wrong_audience_is_rejected() -> None:
    key = make_key()
    assert _error(sign(make_claims(), key), jwks_of(key), audience="hospital-b") is TokenErrorCode.WRONG_AUDIENCE


def test_wrong_issuer_is_rejected() -> None:
    key = make_key()
    token = sign(make_claims(), key)
    assert _error(token, jwks_of(key), issuer="https://evil.test") is TokenErrorCode.WRONG_ISSUER


def test_unknown_kid_is_rejected() -> None:
    token = sign(make_claims(), make_key("gone"))
    assert _error(token, jwks_of(make_key("k1"))) is TokenErrorCode.UNKNOWN_KID


def test_signature_by_another_key_with_the_same_kid_is_rejected() -> None:
    token = sign(make_claims(), make_key("k1"))
    assert _error(token, jwks_of(make_key("k1"))) is TokenErrorCode.BAD_SIGNATURE


def test_other_token_types_are_rejected() -> None:
    key = make_key()
    token = sign(make_claims(), key, typ="JWT")
    assert _error(token, jwks_of(key)) is TokenErrorCode.WRONG_TYPE


def test_missing_claim_is_rejected() -> None:
    key = make_key()
    claims = make_claims()
    del claims["jti"]
    assert _error(sign(claims, key), jwks_of(key)) is TokenErrorCode.MISSING_CLAIM


def test_garbage_is_malformed() -> None:
    assert _error("not.a.token", jwks_of(make_key())) is TokenErrorCode.MALFORMED


def test_audience_check_can_be_skipped_explicitly() -> None:
    key = make_key()
    assert verify(sign(make_claims(), key), jwks_of(key), audience=None)["aud"] == AUDIENCE


def test_only_p256_keys_sign() -> None:
    with pytest.raises(ValueError, match="P-256"):
        sign(make_claims(), make_key(curve=ec.SECP384R1()))
