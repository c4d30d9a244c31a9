"""The whole enrollment through the HTTP API, the Celery canvas and the real checks, on generated people.

Each scenario runs twice: distributed (PostgreSQL, Redis broker + result backend, S3 server, a real worker
process) and on the embedded defaults (SQLite, evidence directory, eager Celery) that `idv demo` uses.
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.client import MobileClient, RelyingPartyClient
from biometrics.challenge import Action
from storage.enrollments.repositories import CheckResults
from storage.evidence.encrypted import master_keys
from storage.keys import KeyUse
from synthetic.applicants import Applicant, document_film, document_photo, make_applicant, selfie_video
from synthetic.attacks import AttackType
from synthetic.mrz import mrz_name
from tests.api.conftest import RP_KEY, runtime_of
from verification.common.jws import verify
from verification.decision.records import DocumentRecord
from verification.document.fields import FieldName
from verification.identity.traits import display_form
from workers.services.results import check_record
from workers.services.retention import DossierNotFound, verify_recorded_dossier

PIPELINE_TIMEOUT_S = 240


def enroll(client: TestClient, tmp_path: Path, applicant: Applicant, rng: np.random.Generator, *,
           document: bytes | None = None, face_of: Applicant | None = None, attack: AttackType | None = None,
           filmed_tilt: Callable[[str], str] | None = None,
           declared: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """Open an enrollment as the relying party (with the traits `declared` at enrollment, if any), capture
    as the app, submit, wait; returns (id, result). With `filmed_tilt`, the document is filmed instead of
    photographed, tilted as that function answers to the enrollment's instruction."""
    party = RelyingPartyClient(client, RP_KEY)
    created = party.create_enrollment(**({"declared_traits": declared} if declared else {}))
    app = MobileClient(client, created["enrollment_id"], created["enrollment_token"])
    if filmed_tilt is None:
        app.upload("document_front", document or document_photo(applicant, rng), "image/jpeg")
    else:
        tilt = filmed_tilt(app.status()["document_tilt"])
        app.upload("document_video", document_film(applicant, tilt, tmp_path / "document.mp4", rng), "video/mp4")
    challenge = app.challenge()
    video = selfie_video(face_of or applicant, tuple(Action(a) for a in challenge["actions"]),
                         tmp_path / "selfie.mp4", rng, attack=attack)
    app.upload("selfie_video", video.path, "video/mp4", nonce=challenge["nonce"])
    app.submit()
    return created["enrollment_id"], party.wait_result(created["enrollment_id"], PIPELINE_TIMEOUT_S)


@pytest.fixture(params=["distributed", "embedded"])
def client(request: pytest.FixtureRequest) -> TestClient:
    chosen: TestClient = request.getfixturevalue(f"{request.param}_client")
    return chosen


@pytest.fixture
def rng(request: pytest.FixtureRequest, client: TestClient) -> np.random.Generator:
    """Seeded by the test's name: a run is reproducible (the checks' error rates are measured elsewhere). The
    API's own draws (the document tilt, the challenge) are seeded too, by the name without the deployment:
    both deployments are given the same instructions."""
    runtime_of(client).rng = random.Random(zlib.crc32(request.node.originalname.encode()))
    return np.random.default_rng(zlib.crc32(request.node.name.encode()))


def declared_traits(applicant: Applicant, **changes: Any) -> dict[str, Any]:
    """The traits the person types at enrollment: their own, as they write them (accents and all)."""
    person = applicant.person
    return {"birth_name": person.surname, "given_names": list(person.given_names),
            "birth_date": person.birth_date.isoformat(), "sex": person.sex.value, **changes}


def test_genuine_person_is_approved_with_an_assertion_that_verifies(client: TestClient, tmp_path: Path,
                                                                   rng: np.random.Generator) -> None:
    applicant = make_applicant(rng)
    enrollment_id, result = enroll(client, tmp_path, applicant, rng, declared=declared_traits(applicant))

    assert result["status"] == "approved", result
    assert result["decision"]["outcome"] == "approved"
    assert {c["check"]: c["status"] for c in result["checks"]} == {
        "document": "pass", "liveness": "pass", "face_match": "pass", "traits": "pass"}
    claims = verify(result["assertion"], RelyingPartyClient(client, RP_KEY).jwks(), audience="rp-test")
    assert claims["txn"] == enrollment_id
    assert claims["acr"] == "http://eidas.europa.eu/LoA/substantial"
    identity = claims["verified_claims"]["claims"]
    assert identity["birth_family_name"] == mrz_name(applicant.person.surname).replace("<", " ")
    assert identity["birthdate"] == applicant.person.birth_date.isoformat()
    assert claims["urn:idv:rniv"]["discrepancies"] == []
    assert_only_confirmed_fields(client, enrollment_id, claims)
    dossier = sealed_dossier(client, enrollment_id)  # the evidence, sealed after signing
    assert dossier["intact"] and not dossier["problems"], dossier
    assert dossier["objects"] >= 8  # 2 captures, 3 check results, the decision, the assertion, the enrollment


def assert_only_confirmed_fields(client: TestClient, enrollment_id: str, claims: dict[str, Any]) -> None:
    """Every field the assertion carries is confirmed in the stored document record, with that value and
    the source the evidence names; and the identity is VALI only with a confirmed birth place code."""
    with runtime_of(client).database.session() as session:
        row = next(r for r in CheckResults(session).of_enrollment(enrollment_id) if r.check == "document")
        record = check_record(row)
    assert isinstance(record, DocumentRecord)
    fields = record.identity_fields
    evidence = claims["verified_claims"]["verification"]["evidence"][0]
    rniv, details = claims["urn:idv:rniv"], evidence["document_details"]
    nationality = FieldName.NATIONALITY if fields.get(FieldName.NATIONALITY) else FieldName.ISSUING_STATE
    carried = {FieldName.SURNAME: rniv["traits"]["birth_name"], FieldName.GIVEN_NAMES: rniv["traits"]["given_names"],
               FieldName.BIRTH_DATE: rniv["traits"]["birth_date"], FieldName.SEX: rniv["traits"]["sex"],
               FieldName.BIRTH_PLACE_CODE: rniv["traits"]["birth_place_code"],
               FieldName.BIRTH_PLACE: rniv["traits"]["birth_place"], nationality: rniv["traits"]["nationality"],
               FieldName.DOCUMENT_NUMBER: details["document_number"],
               FieldName.ISSUING_STATE: details["issuer"]["country_code"],
               FieldName.EXPIRY_DATE: details.get("date_of_expiry"),
               FieldName.ISSUE_DATE: details.get("date_of_issuance")}
    for name, value in carried.items():
        if value is None:  # left out: it must be unconfirmed (an unconfirmed field is never carried)
            assert fields.confirmed_value(name) is None, name
            continue
        confirmed = fields.confirmed_value(name)
        assert confirmed is not None, f"{name} carried but not confirmed: {fields.get(name)}"
        shown = [display_form(v) for v in confirmed] if isinstance(confirmed, tuple) else display_form(confirmed)
        assert value == shown, name
        assert evidence["field_sources"][name] == fields.fields[name].source.value, name
    assert set(evidence["field_sources"]) == {name.value for name, field in fields if field.confirmed}
    assert rniv["status"] == ("VALI" if fields.confirmed_value(FieldName.BIRTH_PLACE_CODE) else "PROV")


def test_declared_traits_other_than_the_documents_are_rejected_when_automated(client: TestClient, tmp_path: Path,
                                                                             rng: np.random.Generator) -> None:
    applicant = make_applicant(rng)
    typed = declared_traits(applicant, birth_date=(applicant.person.birth_date + timedelta(days=2)).isoformat())
    _, result = enroll(client, tmp_path, applicant, rng, declared=typed)

    assert result["status"] == "rejected", result
    assert result["decision"]["reasons"] == ["declared_traits_mismatch:birth_date"]
    assert {c["check"]: (c["status"], c["reasons"]) for c in result["checks"]}["traits"] == (
        "fail", ["declared_traits_mismatch:birth_date"])
    assert result["assertion"] is None


def test_declared_traits_other_than_the_documents_go_to_review_under_pvid(client: TestClient, tmp_path: Path,
                                                                         rng: np.random.Generator,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime_of(client).settings, "policy", "pvid-substantial")  # for the enrollments opened
    applicant = make_applicant(rng)
    _, result = enroll(client, tmp_path, applicant, rng, declared=declared_traits(applicant, birth_name="Autrenom"))

    assert result["status"] == "review", result
    assert result["decision"]["policy"].startswith("pvid-substantial@")
    assert "declared_traits_mismatch:birth_name" in result["decision"]["reasons"]
    assert result["assertion"] is None


def sealed_dossier(client: TestClient, enrollment_id: str, timeout_s: float = 60) -> dict[str, Any]:
    """The dossier's verification once sealed (a worker seals it after signing, possibly still at work)."""
    runtime = runtime_of(client)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with runtime.database.session() as session:
                report = verify_recorded_dossier(session, runtime.evidence, master_keys(runtime.settings),
                                                 runtime.keys().jwks([KeyUse.DOSSIER]), enrollment_id)
            if report["manifest_version"] is not None:
                return report
        except DossierNotFound:
            pass  # the seal has not begun
        if time.monotonic() > deadline:
            raise TimeoutError(f"dossier of {enrollment_id} not sealed after {timeout_s} s")
        time.sleep(0.5)


def test_another_persons_selfie_is_rejected_for_face_mismatch(client: TestClient, tmp_path: Path,
                                                             rng: np.random.Generator) -> None:
    holder = make_applicant(rng)
    impostor = make_applicant(rng, other_than=holder)
    if impostor.portrait.identity == holder.portrait.identity:
        pytest.skip("a second identity needs ../shared/data/faces (only the bundled portrait is available)")
    _, result = enroll(client, tmp_path, holder, rng, face_of=impostor)

    assert result["status"] == "rejected", result
    assert "faces_differ" in result["decision"]["reasons"]
    assert result["assertion"] is None


def test_flat_photo_attack_is_not_approved(client: TestClient, tmp_path: Path, rng: np.random.Generator) -> None:
    applicant = make_applicant(rng)
    _, result = enroll(client, tmp_path, applicant, rng, attack=AttackType.FLAT_PHOTO)

    assert result["status"] != "approved", result
    assert result["assertion"] is None
    liveness = next(c for c in result["checks"] if c["check"] == "liveness")
    assert liveness["status"] != "pass"


def test_broken_check_digit_is_rejected_with_that_reason(client: TestClient, tmp_path: Path,
                                                        rng: np.random.Generator) -> None:
    applicant = make_applicant(rng)
    document = document_photo(applicant, rng, defect="birth_date_check")
    _, result = enroll(client, tmp_path, applicant, rng, document=document)

    assert result["status"] == "rejected", result
    assert "mrz_check_digit_failed" in result["decision"]["reasons"]
    assert any("birth_date" in reason for reason in result["decision"]["reasons"]), result["decision"]
    assert result["assertion"] is None


OPPOSITE = {"left": "right", "right": "left", "up": "down", "down": "up"}


def test_a_document_video_tilted_as_instructed_is_read(client: TestClient, tmp_path: Path,
                                                      rng: np.random.Generator) -> None:
    applicant = make_applicant(rng)
    _, result = enroll(client, tmp_path, applicant, rng, filmed_tilt=lambda asked: asked)

    document = next(c for c in result["checks"] if c["check"] == "document")
    if result["status"] == "review":
        # The tilt is as asked and the MRZ read valid from the frames; a field no two sources confirmed
        # (names, which the MRZ alone never confirms, need a frame's printed zone to read them too) goes to
        # an operator, and only that.
        assert document["reasons"], result
        assert all(reason.startswith("field_unconfirmed:") for reason in document["reasons"]), result
    else:
        assert result["status"] == "approved", result
        assert result["assertion"] is not None


def test_a_document_video_tilted_the_wrong_way_is_not_approved(client: TestClient, tmp_path: Path,
                                                              rng: np.random.Generator) -> None:
    applicant = make_applicant(rng)
    _, result = enroll(client, tmp_path, applicant, rng, filmed_tilt=OPPOSITE.__getitem__)

    assert result["status"] != "approved", result
    assert "tilt_not_as_instructed" in result["decision"]["reasons"]
