"""The validated-identity assertion: JWT claims in the OpenID Connect for Identity Assurance 1.0 shape.

Choices (stable: relying parties code against them):
- `acr` = `http://eidas.europa.eu/LoA/substantial`; `verification.trust_framework` = `eidas`, the
  OIDC4IDA registry identifier for identities attested under the eIDAS regulation (PVID is France's
  certification scheme for remote verification at eIDAS level substantial), `assurance_level` =
  `substantial`; `verification_process` and the top-level `txn` (RFC 8417) are the enrollment id.
- `claims` carry the document's confirmed traits only, in the RNIV display form (upper case; diacritics,
  hyphens and apostrophes kept where the visual zone confirmed the name as printed): `family_name` and
  `birth_family_name` are both the birth name (documents give the birth name; a usage name is not
  verified), `given_name` and `birth_given_name` the birth first names joined by spaces, `gender`
  male/female (absent when the document leaves it unspecified).
- `RNIV_CLAIM` (`urn:idv:rniv`, a private claim name in the issuer's own URN space) holds the
  identity-vigilance outcome: status, ins_traits_confirmed, discrepancies and the strict traits with the
  given names as a list and the INSEE birth place code, which OIDC claims cannot carry exactly;
  `unconfirmed_traits` names the strict traits the document did not confirm (the identity is then PROV).
- The document evidence carries `field_sources`: each delivered field (verification.document.fields names)
  with where it was confirmed (`mrz`, `viz`, `mrz+viz`, `reviewer`). OIDC4IDA's evidence has no member for
  per-claim provenance; it lets an issuer add members to an evidence object, which relying parties ignore
  when unknown, and the evidence is where the claims' origin belongs: the sources are of the fields this
  document established, beside its `check_details` (a reviewer's source goes with the `pvr` check there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from verification.document.fields import FieldSource
from verification.identity.model import DocumentFacts, IdentityTraits, Sex
from verification.identity.rniv import IdentityVigilance
from verification.identity.traits import display_traits

ACR_SUBSTANTIAL = "http://eidas.europa.eu/LoA/substantial"
TRUST_FRAMEWORK = "eidas"
ASSURANCE_LEVEL = "substantial"
RNIV_CLAIM = "urn:idv:rniv"

_GENDER = {Sex.MALE: "male", Sex.FEMALE: "female"}


class CheckMethod(StrEnum):
    """OIDC4IDA check methods used by this service."""

    REMOTE_IMAGE_INSPECTION = "vri"
    CRYPTOGRAPHIC = "vcrypt"
    BIOMETRIC_REMOTE = "bvr"
    HUMAN_REMOTE = "pvr"


@dataclass(frozen=True)
class CheckDetail:
    check_method: CheckMethod
    organization: str | None = None
    txn: str | None = None
    time: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"check_method": self.check_method.value}
        if self.organization:
            detail["organization"] = self.organization
        if self.txn:
            detail["txn"] = self.txn
        if self.time:
            detail["time"] = _iso(self.time)
        return detail


def _require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: assertion times must carry a time zone")
    return moment


def _iso(moment: datetime) -> str:
    return _require_aware(moment).astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _document_details(document: DocumentFacts) -> dict[str, Any]:
    details: dict[str, Any] = {
        "type": document.document_type.value,
        "document_number": document.number,
        "issuer": {"country_code": document.issuing_country},
    }
    if document.issue_date:
        details["date_of_issuance"] = document.issue_date.isoformat()
    if document.expiry_date:
        details["date_of_expiry"] = document.expiry_date.isoformat()
    return details


def _place_of_birth(identity: IdentityTraits) -> dict[str, str] | None:
    place: dict[str, str] = {}
    if identity.birth_commune_code:
        place["country"] = "FRA"
    if identity.birth_place:
        place["locality"] = identity.birth_place
    return place or None


def _person_claims(identity: IdentityTraits) -> dict[str, Any]:
    given = " ".join(identity.given_names)
    claims: dict[str, Any] = {
        "family_name": identity.birth_name,
        "birth_family_name": identity.birth_name,
        "given_name": given,
        "birth_given_name": given,
        "birthdate": identity.birth_date.isoformat(),
    }
    if identity.sex in _GENDER:
        claims["gender"] = _GENDER[identity.sex]
    if identity.nationality:
        claims["nationalities"] = [identity.nationality]
    place = _place_of_birth(identity)
    if place:
        claims["place_of_birth"] = place
    return claims


def build_assertion_claims(
    *,
    issuer: str,
    subject: str,
    audience: str,
    enrollment_id: str,
    identity: IdentityTraits,
    document: DocumentFacts,
    checks: Sequence[CheckDetail],
    field_sources: Mapping[str, FieldSource],
    vigilance: IdentityVigilance,
    verified_at: datetime,
    lifetime: timedelta,
    jti: str,
    issued_at: datetime | None = None,
) -> dict[str, Any]:
    """The JWT claims of a validated-identity assertion (see the module docstring for the names).

    `issued_at` defaults to now: issuance follows the human review, which may come long after
    `verified_at`, and `exp` counts from issuance.
    """
    if identity != vigilance.transmitted:
        raise ValueError("the asserted identity must be the one the vigilance assessment transmits")
    if lifetime <= timedelta(0):
        raise ValueError("lifetime must be positive")
    issued = _require_aware(issued_at or datetime.now(UTC))
    shown = display_traits(identity)
    return {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "iat": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
        "jti": jti,
        "txn": enrollment_id,
        "acr": ACR_SUBSTANTIAL,
        "verified_claims": {
            "verification": {
                "trust_framework": TRUST_FRAMEWORK,
                "assurance_level": ASSURANCE_LEVEL,
                "time": _iso(verified_at),
                "verification_process": enrollment_id,
                "evidence": [
                    {
                        "type": "document",
                        "check_details": [check.to_dict() for check in checks],
                        "document_details": _document_details(document),
                        "field_sources": {name: source.value for name, source in sorted(field_sources.items())},
                    }
                ],
            },
            "claims": _person_claims(shown),
        },
        RNIV_CLAIM: {**vigilance.to_dict(), "traits": shown.to_dict()},
    }
