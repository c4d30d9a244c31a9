"""Face matching: the quality gate, the document portrait, selfie frames, the comparison and its CLI.

Without ../shared/data the tests use scikit-image's astronaut (one real face); impostor pairs, grey ORL
faces and group photos need the shared data. Each image costs ~0.1-0.5 s (HOG, landmarks, encoding).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from api.cli.faces import evaluate_faces_command, match_faces_command
from biometrics.face_matching import compare_document_to_selfie, match_images
from biometrics.face_quality import FaceQualityPolicy, FaceReason
from biometrics.face_samples import FaceRefusal, FaceSample, SelfieCandidates, extract_document_portrait
from synthetic.documents import bare_card as document_image
from tests.shared_data import SHARED_DATA, requires_shared_data
from verification.common.outcome import CheckStatus
from verification.decision.policy import load_policy

FACES = SHARED_DATA / "faces"
THRESHOLD = load_policy("pvid-substantial").face_max_distance.threshold


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()  # RGB, 512 x 512, one frontal face


def _rotated(image: np.ndarray, degrees: float, scale: float) -> np.ndarray:
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, scale)
    return cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED)


def _rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


# --- the same face, another photo of it ---------------------------------------------------------------------

def test_the_same_face_rotated_scaled_and_recompressed_matches(astronaut: np.ndarray) -> None:
    result = match_images(astronaut, _jpeg(_rotated(astronaut, 8, 0.8), 60), THRESHOLD)
    assert result.status is CheckStatus.PASS and result.match
    assert result.distance is not None and result.distance < THRESHOLD / 2
    assert result.score == pytest.approx(1 - result.distance)


def test_a_grey_copy_still_matches(astronaut: np.ndarray) -> None:
    grey = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)  # 2-D: documents are often printed in grey
    assert match_images(astronaut, grey, THRESHOLD).match


def test_result_carries_score_threshold_model_and_quality(astronaut: np.ndarray) -> None:
    output = json.loads(json.dumps(match_images(astronaut, astronaut, THRESHOLD).to_dict()))
    assert {"score", "distance", "threshold", "match", "quality", "reasons", "model"} <= set(output)
    assert output["threshold"] == THRESHOLD and output["model"] == "dlib_face_recognition_resnet_model_v1"
    assert output["quality"]["a"]["faces"][0]["inter_eye_px"] > 30
    assert output["distance"] == pytest.approx(0.0, abs=1e-6) and output["reasons"] == []


# --- the quality gate refuses with a reason -------------------------------------------------------------------

def _refusal(astronaut: np.ndarray, other: np.ndarray) -> tuple[CheckStatus, tuple[FaceReason, ...]]:
    result = match_images(astronaut, other, THRESHOLD)
    assert result.distance is None and result.score is None
    return result.status, result.reasons


def test_no_face_is_inconclusive(astronaut: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    noise = cv2.GaussianBlur(rng.integers(0, 255, (400, 400, 3), dtype=np.uint8), (0, 0), 3)
    assert _refusal(astronaut, noise) == (CheckStatus.INCONCLUSIVE, (FaceReason.FACE_NOT_FOUND,))


def test_a_tiny_face_is_refused_as_too_small_not_guessed(astronaut: np.ndarray) -> None:
    tiny = cv2.resize(astronaut, None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA)  # eyes ~13 px apart
    status, reasons = _refusal(astronaut, tiny)
    assert status is CheckStatus.INCONCLUSIVE and FaceReason.FACE_TOO_SMALL in reasons


def test_a_blurred_face_is_refused(astronaut: np.ndarray) -> None:
    status, reasons = _refusal(astronaut, cv2.GaussianBlur(astronaut, (0, 0), 4))
    assert status is CheckStatus.INCONCLUSIVE and reasons == (FaceReason.FACE_BLURRED,)


def test_two_people_fail(astronaut: np.ndarray) -> None:
    status, reasons = _refusal(astronaut, np.hstack([astronaut, astronaut[:, ::-1]]))
    assert status is CheckStatus.FAIL and reasons == (FaceReason.MULTIPLE_FACES,)


def test_closed_eyes_are_refused(astronaut: np.ndarray) -> None:
    sample = extract_document_portrait(astronaut)
    assert isinstance(sample, FaceSample)
    strict = FaceQualityPolicy(min_eye_openness=sample.quality.eye_openness + 0.01)
    outcome = extract_document_portrait(astronaut, strict)
    assert isinstance(outcome, FaceRefusal) and outcome.reasons == (FaceReason.EYES_CLOSED,)


# --- document portrait and selfie frames ------------------------------------------------------------------

def test_the_document_portrait_is_the_large_face_not_the_ghost_image(astronaut: np.ndarray) -> None:
    portrait = extract_document_portrait(document_image(astronaut[20:300, 110:330]))
    assert isinstance(portrait, FaceSample)
    assert portrait.box.left + portrait.box.width < 350  # inside the portrait area, left of the card
    assert portrait.crop.shape[0] > portrait.box.height  # the evidence crop keeps a margin


def test_selfie_frames_skip_unusable_frames(astronaut: np.ndarray) -> None:
    blank = np.full_like(astronaut, 90)
    blurred = cv2.GaussianBlur(astronaut, (0, 0), 4)
    frames = [blank, blurred, astronaut, blank, _rotated(astronaut, 3, 0.9), blurred]
    selection = SelfieCandidates(frames).take(3)  # only two usable: every frame gets inspected
    assert selection.frame_indices == (2, 4)  # sharpest first
    assert {FaceReason.FACE_BLURRED, FaceReason.FACE_NOT_FOUND} <= set(selection.reasons)


def test_document_against_selfie_video(astronaut: np.ndarray) -> None:
    frames = [_rotated(astronaut, angle, 1.0) for angle in (-4, -2, 0, 2, 4)] + [np.full_like(astronaut, 90)] * 3
    result = compare_document_to_selfie(document_image(astronaut[20:300, 110:330]), frames, THRESHOLD)
    assert result.status is CheckStatus.PASS, result.to_dict()
    assert result.portrait_crop is not None and len(result.selfie_crops) == len(result.frame_indices) >= 1
    assert set(result.frame_indices) <= set(range(5))
    assert set(result.to_dict()["quality"]) == {"document", "selfie"}


def test_a_clear_match_inspects_one_selfie_frame_and_a_borderline_one_more(astronaut: np.ndarray) -> None:
    frames = [_rotated(astronaut, angle, 1.0) for angle in (-4, -2, 0, 2, 4)]
    document = document_image(astronaut[20:300, 110:330])
    clear = compare_document_to_selfie(document, frames, THRESHOLD)
    assert clear.status is CheckStatus.PASS and len(clear.frame_indices) == 1
    assert len(clear.sides["selfie"].qualities) == 1  # one face detected, one encoded
    # A threshold right at the first frame's distance makes it borderline: three frames decide.
    borderline = compare_document_to_selfie(document, frames, clear.frame_distances[0])
    assert len(borderline.frame_indices) == 3 and borderline.frame_indices[0] == clear.frame_indices[0]
    assert borderline.distance == pytest.approx(float(np.median(borderline.frame_distances)))


def test_a_second_person_in_the_selfie_fails(astronaut: np.ndarray) -> None:
    pair = np.hstack([astronaut, astronaut[:, ::-1]])
    result = compare_document_to_selfie(document_image(astronaut[20:300, 110:330]), [pair] * 4, THRESHOLD)
    assert result.status is CheckStatus.FAIL
    assert result.reasons == (FaceReason.MULTIPLE_FACES,)


def test_a_selfie_without_usable_face_is_inconclusive(astronaut: np.ndarray) -> None:
    frames = [cv2.GaussianBlur(astronaut, (0, 0), 5)] * 4
    result = compare_document_to_selfie(document_image(astronaut[20:300, 110:330]), frames, THRESHOLD)
    assert result.status is CheckStatus.INCONCLUSIVE and FaceReason.FACE_BLURRED in result.reasons


# --- real photos (shared data) ----------------------------------------------------------------------------

@requires_shared_data
@pytest.mark.shared_data
@pytest.mark.parametrize(("a", "b", "same"), [
    ("face_recognition/train__obama__obama.jpg", "face_recognition/test__obama1.jpg", True),
    ("face_recognition/train__biden__biden.jpg", "face_recognition/train__biden__biden2.jpg", True),
    ("face_recognition/train__obama__obama.jpg", "face_recognition/train__biden__biden.jpg", False),
    ("deepface/img1.jpg", "deepface/img2.jpg", True),
    ("deepface/img1.jpg", "face_recognition/train__rose_leslie__img1.jpg", False),
])
def test_real_pairs(a: str, b: str, same: bool) -> None:
    result = match_images(_rgb(FACES / a), _rgb(FACES / b), THRESHOLD)
    assert result.match is same, result.to_dict()
    assert result.reasons == (() if same else (FaceReason.FACES_DIFFER,))


@requires_shared_data
@pytest.mark.shared_data
def test_a_group_photo_is_two_people() -> None:
    result = match_images(_rgb(FACES / "face_recognition/train__obama__obama.jpg"),
                          _rgb(FACES / "face_recognition/test__obama_and_biden.jpg"), THRESHOLD)
    assert result.status is CheckStatus.FAIL and result.reasons == (FaceReason.MULTIPLE_FACES,)


@requires_shared_data
@pytest.mark.shared_data
def test_a_low_resolution_grey_orl_face_is_refused_as_too_small() -> None:
    orl = cv2.imread(str(FACES / "orl/s1/1.pgm"), cv2.IMREAD_GRAYSCALE)
    outcome = extract_document_portrait(orl)
    assert isinstance(outcome, FaceRefusal) and FaceReason.FACE_TOO_SMALL in outcome.reasons


# --- the command line ---------------------------------------------------------------------------------------

@pytest.fixture
def astronaut_files(tmp_path: Path, astronaut: np.ndarray) -> tuple[Path, Path]:
    first, second = tmp_path / "a.png", tmp_path / "b.jpg"
    cv2.imwrite(str(first), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(second), cv2.cvtColor(_rotated(astronaut, -6, 0.85), cv2.COLOR_RGB2BGR))
    return first, second


def test_match_faces_command_prints_the_issue_json(astronaut_files: tuple[Path, Path]) -> None:
    result = CliRunner().invoke(match_faces_command, [str(p) for p in astronaut_files] + ["--json"])
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    assert {"score", "distance", "threshold", "match", "quality", "reasons"} <= set(output)
    assert output["match"] is True and output["threshold"] == THRESHOLD  # the policy's threshold


def test_match_faces_threshold_override(astronaut_files: tuple[Path, Path]) -> None:
    arguments = [str(p) for p in astronaut_files] + ["--threshold", "0.0", "--json"]
    result = CliRunner().invoke(match_faces_command, arguments)
    output = json.loads(result.output)
    assert output["threshold"] == 0.0 and output["match"] is False and output["reasons"] == ["faces_differ"]


@requires_shared_data
@pytest.mark.shared_data
def test_evaluate_faces_command_counts_pairs_and_writes_a_report(tmp_path: Path) -> None:
    rows = [("face_recognition/train__obama__obama.jpg", "obama"), ("face_recognition/test__obama1.jpg", "obama"),
            ("face_recognition/train__biden__biden.jpg", "biden"),
            ("face_recognition/train__biden__biden2.jpg", "biden"),
            ("face_recognition/train__rose_leslie__img1.jpg", "rose"), ("orl/s1/1.pgm", "orl-s1"),
            ("orl/s1/2.pgm", "orl-s1")]
    manifest = tmp_path / "manifest.csv"
    with manifest.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("path", "identity", "note"))  # extra columns are ignored
        for path, identity in rows:  # paths relative to the manifest's folder
            writer.writerow((os.path.relpath(FACES / path, tmp_path), identity, "x"))
    report = tmp_path / "report.html"
    result = CliRunner().invoke(evaluate_faces_command, [str(manifest), "--json", "--report", str(report)])
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    assert (output["images"], output["identities"]) == (7, 4)
    assert (output["genuine_pairs"], output["impostor_pairs"]) == (3, 18)  # C(2,2) x 3 genuine, 21 - 3 impostor
    assert output["threshold"] == THRESHOLD
    # The two ORL faces (23 x 28 px) are refused: their pairs count as non-matches and are reported apart.
    assert output["fta"] == pytest.approx(2 / 7, abs=1e-6)
    assert output["refused_pairs"] == {"genuine": 1, "impostor": 10}
    assert output["fmr"] == 0.0 and output["fnmr"] == pytest.approx(1 / 3, abs=1e-6)
    assert output["compared_pairs"]["fnmr"] == 0.0
    assert output["refusal_reasons"]["face_too_small"] == 2
    html = report.read_text()
    assert "DET curve" in html and html.count("data:image/png;base64,") >= 4  # plots and face thumbnails
    assert "s1/1.pgm" in html and "face_too_small" in html  # the refused images, with why
