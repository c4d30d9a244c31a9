"""Document videos filmed synthetically: a generated card held, tilted in 3D (projected with a pinhole camera),
turned over; the analysis must pick readable frames and tell a real tilt from none or the wrong one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest

from synthetic.camera import blur
from synthetic.document_video import FRAME, film_card, pose_card
from synthetic.document_video import HELD as HELD_POSE
from synthetic.document_video import TILT as TILT_ANGLES
from synthetic.documents import render_document
from synthetic.identities import DocumentKind, random_person
from synthetic.portraits import fallback_portrait
from verification.common.outcome import CheckStatus
from verification.document.check import check_document
from verification.document.policy import DocumentPolicy
from verification.document.video import TiltDirection, VideoReason, analyse_document_video

TODAY = date(2026, 11, 23)
FPS = 15.0


def _card(kind: DocumentKind, portrait: np.ndarray, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return render_document(kind, random_person(rng, kind, TODAY), portrait, rng=rng).image


HELD = list(HELD_POSE)
TILT = list(TILT_ANGLES)


def _times(frames: list[np.ndarray]) -> list[float]:
    return [i / FPS for i in range(len(frames))]


@pytest.fixture(scope="module")
def passport() -> np.ndarray:
    return _card(DocumentKind.TD3_PASSPORT, fallback_portrait().image)


@pytest.mark.parametrize(("angles", "axis", "direction"), [
    (HELD + TILT + HELD, "y", TiltDirection.LEFT),
    (HELD + [-a for a in TILT] + HELD, "y", TiltDirection.RIGHT),
    (HELD + TILT + HELD, "x", TiltDirection.UP),
])
def test_a_tilted_card_is_seen_tilting_the_right_way(passport: np.ndarray, angles: list[float], axis: str,
                                                     direction: TiltDirection) -> None:
    frames = film_card(passport, angles, axis)
    analysis = analyse_document_video(frames, _times(frames), instruction=direction)
    assert analysis.status is CheckStatus.PASS, analysis.reasons
    assert analysis.tilt_direction is direction
    assert analysis.segments == 1
    assert analysis.moved_as_instructed


def test_a_tilt_the_other_way_is_not_what_was_asked(passport: np.ndarray) -> None:
    frames = film_card(passport, HELD + TILT + HELD)
    analysis = analyse_document_video(frames, _times(frames), instruction=TiltDirection.RIGHT)
    assert analysis.status is CheckStatus.FAIL
    assert VideoReason.WRONG_TILT in analysis.reasons


def test_a_card_only_slid_and_turned_in_the_image_plane_did_not_tilt(passport: np.ndarray) -> None:
    frames = []
    for i in range(20):  # slides across the frame and turns by up to 8 degrees, never leaving the plane
        pose = pose_card(passport, 0.0, "y", (6.0 * i - 60, 2.0 * i))
        rotation = cv2.getRotationMatrix2D((FRAME[0] / 2, FRAME[1] / 2), 8 * np.sin(i / 3), 1.0)
        frames.append(cv2.warpAffine(pose, rotation, FRAME, borderValue=(70, 90, 110)))
    analysis = analyse_document_video(frames, _times(frames), instruction=TiltDirection.LEFT)
    assert analysis.status is CheckStatus.FAIL
    assert VideoReason.NOT_TILTED in analysis.reasons
    assert analysis.score is not None and analysis.score < 0.05


def test_the_sharp_held_frames_are_chosen_and_read(passport: np.ndarray) -> None:
    frames = film_card(passport, HELD + TILT + HELD)
    for index in range(6):  # the start of the held pose is out of focus
        frames[index] = blur(frames[index], 3.0)
    analysis = analyse_document_video(frames, _times(frames))
    assert analysis.mrz_frames and min(analysis.mrz_frames) >= 6
    assert analysis.portrait_frame is not None and analysis.portrait_frame >= 6
    chosen = [frames[i] for i in analysis.frame_indices()]
    result = check_document(chosen, DocumentPolicy(), TODAY)
    assert result.mrz is not None and result.mrz.valid
    # Names need the printed zone of a frame to read them as the MRZ does; nothing else may be doubtful.
    assert result.status is CheckStatus.PASS or set(result.reasons) <= {"field_unconfirmed:surname",
                                                                       "field_unconfirmed:given_names"}
    assert result.portrait is not None


def test_two_sides_give_the_mrz_from_one_and_the_portrait_from_the_other() -> None:
    back = _card(DocumentKind.TD1_ID_CARD, np.full((220, 170, 3), (200, 200, 200), np.uint8))
    front = np.full((630, 1000, 3), (236, 226, 214), np.uint8)
    face = cv2.resize(fallback_portrait().image, (300, 380))
    front[120:500, 60:360] = face
    frames = film_card(back, HELD + TILT) + film_card(front, HELD + TILT)
    analysis = analyse_document_video(frames, _times(frames))
    assert analysis.segments == 2
    assert analysis.mrz_frames and max(analysis.mrz_frames) < len(HELD + TILT)
    assert analysis.portrait_frame is not None and analysis.portrait_frame >= len(HELD + TILT)
    assert analysis.status is CheckStatus.PASS


def test_a_video_of_nothing_trackable_is_inconclusive() -> None:
    frames = [np.full((FRAME[1], FRAME[0], 3), 128, np.uint8) for _ in range(10)]
    analysis = analyse_document_video(frames, _times(frames))
    assert analysis.status is CheckStatus.INCONCLUSIVE
    assert VideoReason.NOT_TRACKED in analysis.reasons
    assert analysis.frame_indices() == ()


def test_check_document_reads_a_document_video_file(tmp_path: Path, passport: np.ndarray) -> None:
    """The CLI path: a video file decoded by biometrics.video.read_video, then analysed and read."""
    import json

    from click.testing import CliRunner

    from api.cli.documents import check_document_command

    path = tmp_path / "document.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, FRAME)
    for frame in film_card(passport, HELD + TILT + HELD):
        writer.write(frame)
    writer.release()
    arguments = [str(path), "--json", "--today", "2026-11-23", "--tilt"]
    outputs = {}
    for tilt in ("left", "up"):
        result = CliRunner().invoke(check_document_command, [*arguments, tilt])
        assert result.exit_code == 0, result.output
        outputs[tilt] = json.loads(result.stdout.strip().splitlines()[-1])
    assert outputs["left"]["status"] == "pass" and outputs["left"]["mrz_type"] == "td3"
    assert outputs["left"]["video"]["tilt_direction"] == "left"
    assert outputs["up"]["status"] == "fail" and "tilt_not_as_instructed" in outputs["up"]["reasons"]
