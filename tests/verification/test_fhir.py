from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from tests.verification import make_document, make_traits
from tests.verification.test_assertion import VERIFIED_AT, make_claims
from verification.identity.model import DocumentType, Sex
from verification.identity.rniv import assess_vigilance
from verification.relying_party.fhir import patient_from_assertion, patient_resource

FR_CORE = "https://hl7.fr/ig/fhir/core"
RELIABILITY = f"{FR_CORE}/StructureDefinition/fr-core-identity-reliability"
BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
COMMUNES = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"


def _patient(document_type: DocumentType = DocumentType.IDCARD, **identity: Any) -> dict[str, Any]:
    traits = make_traits(**identity)
    vigilance = assess_vigilance(traits, None)
    return patient_resource(traits, vigilance, document_type, date(2026, 3, 2), resource_id="enr-1")


def _extension(resource: dict[str, Any], url: str) -> dict[str, Any]:
    (found,) = [e for e in resource["extension"] if e["url"] == url]
    return found


def test_patient_structure() -> None:
    patient = _patient()
    assert patient["resourceType"] == "Patient" and patient["id"] == "enr-1"
    assert patient["meta"]["profile"] == [f"{FR_CORE}/StructureDefinition/fr-core-patient"]
    (name,) = patient["name"]
    assert name["use"] == "official"
    assert name["family"] == "DUPONT-LAGARDE"
    assert name["given"] == ["MAËLIS-GAËLLE", "ANNE"]
    assert name["extension"] == [{
        "url": f"{FR_CORE}/StructureDefinition/fr-core-patient-birth-list-given-name",
        "valueString": "MAËLIS-GAËLLE ANNE",
    }]
    assert patient["gender"] == "female" and patient["birthDate"] == "1990-04-12"
    assert "identifier" not in patient  # no INS: we never hold it
    json.dumps(patient)


def test_identity_reliability_extension() -> None:
    reliability = _extension(_patient(), RELIABILITY)
    parts = {e["url"]: e for e in reliability["extension"]}
    assert parts["identityStatus"]["valueCoding"]["system"] == f"{FR_CORE}/CodeSystem/fr-core-cs-v2-0445"
    assert parts["identityStatus"]["valueCoding"]["code"] == "VALI"
    assert parts["validationDate"]["valueDate"] == "2026-03-02"
    mode_system = f"{FR_CORE}/CodeSystem/fr-core-cs-mode-validation-identity"
    assert parts["validationMode"]["valueCoding"]["system"] == mode_system
    assert parts["validationMode"]["valueCoding"]["code"] == "CN"


@pytest.mark.parametrize(
    ("document_type", "code"),
    [(DocumentType.PASSPORT, "PA"), (DocumentType.IDCARD, "CN"), (DocumentType.RESIDENCE_PERMIT, "CS")],
)
def test_validation_mode_follows_the_document(document_type: DocumentType, code: str) -> None:
    reliability = _extension(_patient(document_type), RELIABILITY)
    (mode,) = [e for e in reliability["extension"] if e["url"] == "validationMode"]
    assert mode["valueCoding"]["code"] == code


def test_birth_place_in_france_carries_the_insee_coding() -> None:
    place = _extension(_patient(), BIRTH_PLACE)["valueAddress"]
    assert place["district"] == "69123" and place["city"] == "LYON"
    assert place["extension"] == [
        {
            "url": f"{FR_CORE}/StructureDefinition/fr-core-address-insee-code",
            "valueCoding": {"system": COMMUNES, "code": "69123"},
        }
    ]


def test_birth_abroad_has_the_country_code_but_no_commune_coding() -> None:
    place = _extension(_patient(birth_place_code="99109", birth_place="Berlin"), BIRTH_PLACE)
    assert place["valueAddress"] == {"district": "99109", "city": "BERLIN"}


def test_no_birth_place_extension_when_unknown_and_the_identity_is_provisional() -> None:
    patient = _patient(birth_place_code=None, birth_place=None)
    assert all("birthPlace" not in e["url"] for e in patient["extension"])
    reliability = _extension(patient, RELIABILITY)["extension"]
    assert [(e["url"], e["valueCoding"]["code"]) for e in reliability] == [("identityStatus", "PROV")]


def test_unspecified_sex_is_unknown_gender() -> None:
    assert _patient(sex=Sex.UNSPECIFIED)["gender"] == "unknown"


def test_relying_party_builds_the_same_patient_from_a_verified_assertion() -> None:
    claims = make_claims(birth_place_code="75056")
    traits = make_traits(birth_place_code="75056")
    direct = patient_resource(traits, assess_vigilance(traits, None), make_document().document_type,
                              VERIFIED_AT.date(), resource_id="p-1")
    assert patient_from_assertion(json.loads(json.dumps(claims)), resource_id="p-1") == direct
