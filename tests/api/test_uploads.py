"""Bad input is a clear 4xx with a stable code, and leaves nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from storage.enrollments.models import Capture
from storage.enrollments.repositories import Captures, Enrollments
from tests import media
from tests.api.conftest import OTHER_RP_KEY, Enrollment, present, runtime_of


def put(client: TestClient, enrollment: Enrollment, kind: str, body: bytes, content_type: str,
        **headers: str) -> httpx.Response:
    return client.put(f"/v1/enrollments/{enrollment.id}/captures/{kind}", content=body,
                      headers={**enrollment.auth, "Content-Type": content_type, **headers})


def stored(client: TestClient, enrollment: Enrollment) -> tuple[list[Capture], list[str]]:
    runtime = runtime_of(client)
    with runtime.database.session() as session:
        rows = Captures(session).of_enrollment(enrollment.id)
    return rows, list(runtime.evidence.keys(f"enrollments/{enrollment.id}/"))


def assert_nothing_stored(client: TestClient, enrollment: Enrollment) -> None:
    assert stored(client, enrollment) == ([], [])


def test_image_upload_is_stored_with_its_digest(client: TestClient, enrollment: Enrollment) -> None:
    body = media.jpeg()
    response = put(client, enrollment, "document_front", body, "image/jpeg")
    assert response.status_code == 201, response.text
    import hashlib

    assert response.json()["sha256"] == hashlib.sha256(body).hexdigest()
    rows, keys = stored(client, enrollment)
    assert [r.kind for r in rows] == ["document_front"] and len(keys) == 1
    assert runtime_of(client).evidence.read_bytes(keys[0]) == body


def test_replacing_a_capture_removes_the_old_object(client: TestClient, enrollment: Enrollment) -> None:
    put(client, enrollment, "document_front", media.jpeg(), "image/jpeg")
    put(client, enrollment, "document_front", media.png(), "image/png")
    rows, keys = stored(client, enrollment)
    assert len(rows) == 1 and rows[0].content_type == "image/png" and len(keys) == 1 and keys[0].endswith(".png")


@pytest.mark.parametrize(("body", "content_type", "status", "code"), [
    (b"%PDF-1.4 not an image", "application/pdf", 415, "unsupported_media_type"),
    (b"%PDF-1.4 not an image at all, just text", "image/jpeg", 415, "unrecognised_content"),
    (media.png(), "image/jpeg", 415, "content_type_mismatch"),
    (media.jpeg()[:3000], "image/jpeg", 422, "corrupt_image"),
    (media.jpeg(100, 80), "image/jpeg", 422, "image_too_small"),
    (b"", "image/jpeg", 400, "empty_upload"),
])
def test_bad_images_are_refused(client: TestClient, enrollment: Enrollment, body: bytes, content_type: str,
                                status: int, code: str) -> None:
    response = put(client, enrollment, "document_front", body, content_type)
    assert (response.status_code, response.json()["error"]) == (status, code)
    assert_nothing_stored(client, enrollment)


def test_image_for_a_video_capture_is_refused(client: TestClient, enrollment: Enrollment) -> None:
    response = put(client, enrollment, "document_video", media.jpeg(), "image/jpeg")
    assert (response.status_code, response.json()["error"]) == (415, "wrong_media_for_capture")


def test_oversized_upload_is_refused_while_streaming(client: TestClient, enrollment: Enrollment) -> None:
    big = media.jpeg() + b"\0" * 2_100_000  # over the 2 MB image limit of these tests

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold on the stream itself
        for start in range(0, len(big), 65536):
            yield big[start:start + 65536]

    response = client.put(f"/v1/enrollments/{enrollment.id}/captures/document_front", content=chunks(),
                          headers={**enrollment.auth, "Content-Type": "image/jpeg"})
    assert (response.status_code, response.json()["error"]) == (413, "upload_too_large")
    assert_nothing_stored(client, enrollment)


def test_decompression_bomb_is_refused(client: TestClient, enrollment: Enrollment) -> None:
    import cv2
    import numpy as np

    bomb = cv2.imencode(".png", np.zeros((7000, 7000), np.uint8))[1].tobytes()  # 49 Mpx, tiny file
    assert len(bomb) < 2_000_000
    response = put(client, enrollment, "document_front", bomb, "image/png")
    assert (response.status_code, response.json()["error"]) == (422, "image_too_large")
    assert_nothing_stored(client, enrollment)


def test_corrupt_and_truncated_videos_are_refused(client: TestClient, enrollment: Enrollment,
                                                  tmp_path: Path) -> None:
    video = media.mp4(tmp_path / "v.mp4")
    challenge = client.post(f"/v1/enrollments/{enrollment.id}/challenge", headers=enrollment.auth).json()
    answering = {"X-Challenge-Nonce": challenge["nonce"]}
    for body in (video[: len(video) // 2], video[:40] + bytes(len(video) - 40)):
        response = put(client, enrollment, "selfie_video", body, "video/mp4", **answering)
        assert (response.status_code, response.json()["error"]) == (422, "corrupt_video"), response.text
    assert_nothing_stored(client, enrollment)
    response = put(client, enrollment, "selfie_video", video, "video/mp4", **answering)
    assert response.status_code == 201, response.text  # the challenge was not burnt by the refused uploads


def test_selfie_needs_a_challenge_and_a_challenge_is_single_use(client: TestClient, enrollment: Enrollment,
                                                                tmp_path: Path) -> None:
    video = media.mp4(tmp_path / "v.mp4")
    response = put(client, enrollment, "selfie_video", video, "video/mp4")
    assert (response.status_code, response.json()["error"]) == (400, "challenge_required")
    response = put(client, enrollment, "selfie_video", video, "video/mp4", **{"X-Challenge-Nonce": "unknown"})
    assert (response.status_code, response.json()["error"]) == (404, "challenge_not_found")
    challenge = client.post(f"/v1/enrollments/{enrollment.id}/challenge", headers=enrollment.auth)
    assert challenge.status_code == 201 and len(challenge.json()["actions"]) == 3
    nonce = challenge.json()["nonce"]
    answered = put(client, enrollment, "selfie_video", video, "video/mp4", **{"X-Challenge-Nonce": nonce})
    assert answered.status_code == 201
    reused = put(client, enrollment, "selfie_video", video, "video/mp4", **{"X-Challenge-Nonce": nonce})
    assert (reused.status_code, reused.json()["error"]) == (409, "challenge_used")
    rows, keys = stored(client, enrollment)
    assert len(rows) == 1 and len(keys) == 1  # the refused reuse stored nothing


def test_a_challenge_of_another_enrollment_is_not_accepted(client: TestClient, enrollment: Enrollment,
                                                           rp_auth: dict[str, str], tmp_path: Path) -> None:
    other = client.post("/v1/enrollments", json={}, headers=rp_auth).json()
    nonce = client.post(f"/v1/enrollments/{other['enrollment_id']}/challenge",
                        headers={"Authorization": f"Bearer {other['enrollment_token']}"}).json()["nonce"]
    response = put(client, enrollment, "selfie_video", media.mp4(tmp_path / "v.mp4"), "video/mp4",
                   **{"X-Challenge-Nonce": nonce})
    assert (response.status_code, response.json()["error"]) == (404, "challenge_not_found")


def test_expired_challenge_is_refused(client: TestClient, enrollment: Enrollment, tmp_path: Path) -> None:
    from sqlalchemy import update

    from storage.enrollments.models import Challenge

    nonce = client.post(f"/v1/enrollments/{enrollment.id}/challenge", headers=enrollment.auth).json()["nonce"]
    with runtime_of(client).database.session() as session:
        session.execute(update(Challenge).where(Challenge.nonce == nonce)
                        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    response = put(client, enrollment, "selfie_video", media.mp4(tmp_path / "v.mp4"), "video/mp4",
                   **{"X-Challenge-Nonce": nonce})
    assert (response.status_code, response.json()["error"]) == (410, "challenge_expired")
    assert_nothing_stored(client, enrollment)


def test_another_enrollments_token_is_refused(client: TestClient, enrollment: Enrollment,
                                              rp_auth: dict[str, str]) -> None:
    other = client.post("/v1/enrollments", json={}, headers=rp_auth).json()
    response = client.put(f"/v1/enrollments/{enrollment.id}/captures/document_front", content=media.jpeg(),
                          headers={"Authorization": f"Bearer {other['enrollment_token']}",
                                   "Content-Type": "image/jpeg"})
    assert (response.status_code, response.json()["error"]) == (403, "token_not_valid_for_enrollment")
    assert_nothing_stored(client, enrollment)


def test_relying_party_sees_only_its_enrollments(client: TestClient, enrollment: Enrollment) -> None:
    response = client.get(f"/v1/enrollments/{enrollment.id}/result",
                          headers={"Authorization": f"Bearer {OTHER_RP_KEY}"})
    assert (response.status_code, response.json()["error"]) == (404, "enrollment_not_found")
    response = client.get(f"/v1/enrollments/{enrollment.id}/result", headers={"Authorization": "Bearer nope"})
    assert (response.status_code, response.json()["error"]) == (401, "invalid_api_key")


def test_upload_to_an_expired_enrollment_is_refused(client: TestClient, enrollment: Enrollment) -> None:
    with runtime_of(client).database.session() as session:
        row = present(Enrollments(session).get(enrollment.id))
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    response = put(client, enrollment, "document_front", media.jpeg(), "image/jpeg")
    assert (response.status_code, response.json()["error"]) == (410, "enrollment_expired")
    assert_nothing_stored(client, enrollment)


def test_upload_after_submission_is_refused(client: TestClient, enrollment: Enrollment) -> None:
    with runtime_of(client).database.session() as session:
        row = present(Enrollments(session).get(enrollment.id))
        row.status = "submitted"
    response = put(client, enrollment, "document_front", media.jpeg(), "image/jpeg")
    assert (response.status_code, response.json()["error"]) == (409, "enrollment_submitted")
    assert_nothing_stored(client, enrollment)


def test_submit_lists_what_is_missing(client: TestClient, enrollment: Enrollment) -> None:
    response = client.post(f"/v1/enrollments/{enrollment.id}/submit", headers=enrollment.auth)
    assert response.status_code == 409
    assert response.json() == {"error": "captures_missing", "detail": {"missing": ["document_front", "selfie_video"]}}


def test_invalid_enrollment_request_is_a_422_with_a_code(client: TestClient, rp_auth: dict[str, str]) -> None:
    response = client.post("/v1/enrollments", json={"declared_traits": {"birth_name": ""}}, headers=rp_auth)
    assert response.status_code == 422 and response.json()["error"] == "invalid_request"
    response = client.post("/v1/enrollments", json={})
    assert (response.status_code, response.json()["error"]) == (401, "unauthenticated")


def test_openapi_and_jwks_are_served(client: TestClient) -> None:
    assert "/v1/enrollments" in client.get("/openapi.json").json()["paths"]
    keys = client.get("/.well-known/jwks.json").json()["keys"]
    assert keys and all(k["alg"] == "ES256" and "d" not in k for k in keys)
