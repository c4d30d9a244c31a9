"""The validated identity as a FHIR R4 FR Core Patient, for procedure tools that speak FHIR.

Canonical URLs and codes follow the FR Core implementation guide (Interop'Santé, hl7.fr/ig/fhir/core,
release 2.x): the `fr-core-identity-reliability` extension with its `identityStatus`, `validationDate`
and `validationMode` sub-extensions; statuses from the code system `fr-core-cs-v2-0445` (the 2.2 ballot
moves them to `fr-core-cs-identity-status`: change `IDENTITY_STATUS_SYSTEM` when adopting it); the
checked document from `fr-core-cs-mode-validation-identity` (PA passport, CN national identity card,
CS residence permit). The birth place uses the core `patient-birthPlace` extension whose address holds
the INSEE code (in `district`, as FR Core's birth-place definition asks, and as an
`fr-core-address-insee-code` coding).

No INS identifier is written: we never hold it (see verification.identity.rniv).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from verification.identity.assertion import RNIV_CLAIM
from verification.identity.model import DocumentType, IdentityTraits, Sex
from verification.identity.rniv import IdentityStatus, IdentityVigilance
from verification.identity.traits import display_traits

FR_CORE = "https://hl7.fr/ig/fhir/core"
PATIENT_PROFILE = f"{FR_CORE}/StructureDefinition/fr-core-patient"
IDENTITY_RELIABILITY_URL = f"{FR_CORE}/StructureDefinition/fr-core-identity-reliability"
IDENTITY_STATUS_SYSTEM = f"{FR_CORE}/CodeSystem/fr-core-cs-v2-0445"
VALIDATION_MODE_SYSTEM = f"{FR_CORE}/CodeSystem/fr-core-cs-mode-validation-identity"
BIRTH_LIST_GIVEN_NAME_URL = f"{FR_CORE}/StructureDefinition/fr-core-patient-birth-list-given-name"
INSEE_CODE_URL = f"{FR_CORE}/StructureDefinition/fr-core-address-insee-code"
COMMUNE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"
BIRTH_PLACE_URL = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"

_STATUS_DISPLAY = {
    "PROV": "Identité provisoire",
    "RECUP": "Identité récupérée",
    "VALI": "Identité validée",
    "QUAL": "Identité qualifiée",
}
_VALIDATION_MODE = {
    DocumentType.PASSPORT: ("PA", "Passeport"),
    DocumentType.IDCARD: ("CN", "Carte nationale d'identité"),
    DocumentType.RESIDENCE_PERMIT: ("CS", "Carte de séjour"),
}
_GENDER = {Sex.MALE: "male", Sex.FEMALE: "female", Sex.UNSPECIFIED: "unknown"}


def _reliability(status: str, document_type: DocumentType, validated_on: date) -> dict[str, Any]:
    """The status, and for a validated identity (not a PROV one: a strict trait unconfirmed) how and when."""
    mode_code, mode_display = _VALIDATION_MODE[document_type]
    extensions: list[dict[str, Any]] = [
        {
            "url": "identityStatus",
            "valueCoding": {"system": IDENTITY_STATUS_SYSTEM, "code": status, "display": _STATUS_DISPLAY[status]},
        }
    ]
    if IdentityStatus(status).document_checked:
        extensions += [
            {"url": "validationDate", "valueDate": validated_on.isoformat()},
            {
                "url": "validationMode",
                "valueCoding": {"system": VALIDATION_MODE_SYSTEM, "code": mode_code, "display": mode_display},
            },
        ]
    return {"url": IDENTITY_RELIABILITY_URL, "extension": extensions}


def _birth_place(traits: IdentityTraits) -> dict[str, Any] | None:
    address: dict[str, Any] = {}
    if traits.birth_place_code:
        address["district"] = traits.birth_place_code
    if traits.birth_commune_code:
        coding = {"system": COMMUNE_SYSTEM, "code": traits.birth_commune_code}
        address["extension"] = [{"url": INSEE_CODE_URL, "valueCoding": coding}]
    if traits.birth_place:
        address["city"] = traits.birth_place
    return {"url": BIRTH_PLACE_URL, "valueAddress": address} if address else None


def patient_resource(
    identity: IdentityTraits,
    vigilance: IdentityVigilance,
    document_type: DocumentType,
    validated_on: date,
    *,
    resource_id: str | None = None,
) -> dict[str, Any]:
    """A FR Core Patient (JSON) for the transmitted identity: birth name, birth given names, sex, birth date."""
    if identity != vigilance.transmitted:
        raise ValueError("the Patient must carry the identity the vigilance assessment transmits")
    return _patient(display_traits(identity), vigilance.status.value, document_type, validated_on, resource_id)


def patient_from_assertion(claims: dict[str, Any], *, resource_id: str | None = None) -> dict[str, Any]:
    """The relying party's side: the Patient for the identity a verified assertion transmits."""
    rniv = claims[RNIV_CLAIM]
    verification = claims["verified_claims"]["verification"]
    document = verification["evidence"][0]["document_details"]
    return _patient(IdentityTraits.from_dict(rniv["traits"]), rniv["status"], DocumentType(document["type"]),
                    datetime.fromisoformat(verification["time"]).date(), resource_id)


def _patient(shown: IdentityTraits, status: str, document_type: DocumentType, validated_on: date,
             resource_id: str | None) -> dict[str, Any]:
    extensions = [_reliability(status, document_type, validated_on)]
    birth_place = _birth_place(shown)
    if birth_place:
        extensions.append(birth_place)
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "meta": {"profile": [PATIENT_PROFILE]},
        "extension": extensions,
        "name": [
            {
                "extension": [{"url": BIRTH_LIST_GIVEN_NAME_URL, "valueString": " ".join(shown.given_names)}],
                "use": "official",
                "family": shown.birth_name,
                "given": list(shown.given_names),
            }
        ],
        "gender": _GENDER[shown.sex],
        "birthDate": shown.birth_date.isoformat(),
    }
    if resource_id:
        patient["id"] = resource_id
    return patient
