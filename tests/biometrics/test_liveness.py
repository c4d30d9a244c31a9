from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from biometrics.challenge import Action
from biometrics.liveness import (
    ActionEvent,
    FaceSeries,
    LivenessReason,
    LivenessThresholds,
    check_liveness,
    check_liveness_video,
    continuity_samples,
    detect_events,
    match_challenge,
)
from biometrics.pad import PadReason
from biometrics.video import VideoDecodeError, read_video
from tests.biometrics.liveness_factories import make_clip, portrait_frame, shifted, write_video
from tests.shared_data import SHARED_DATA, requires_shared_data

MOTION = SHARED_DATA / "video" / "faces_in_motion"
THRESHOLDS = LivenessThresholds()
CHALLENGE = (Action.TURN_LEFT, Action.BLINK, Action.TURN_RIGHT)


def _same_face(frame: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Encoder stand-in: the same identity everywhere (keeps dlib out of the fast tests)."""
    return np.zeros(128)


def _series(yaw: list[float], ear: list[float] | None = None, mar: list[float] | None = None,
            fps: float = 15.0) -> FaceSeries:
    n = len(yaw)
    return FaceSeries(
        times=np.arange(n) / fps, counts=np.ones(n, dtype=int), yaw=np.array(yaw, dtype=float),
        pitch=np.zeros(n), ear=np.array(ear if ear is not None else [0.3] * n, dtype=float),
        mar=np.array(mar if mar is not None else [0.05] * n, dtype=float), landmarks=(None,) * n,
    )


def _actions(events: list[ActionEvent]) -> list[Action]:
    return [e.action for e in events]


# --- action events on measured series ---------------------------------------------------------------------

def test_turns_are_detected_with_their_direction_and_timing() -> None:
    yaw = [0] * 10 + [8, 18, 25, 26, 20, 6] + [0] * 10 + [-10, -22, -28, -21, -5] + [0] * 10
    events = detect_events(_series(yaw), THRESHOLDS)
    assert _actions(events) == [Action.TURN_LEFT, Action.TURN_RIGHT]
    left, right = events
    assert left.start_s == pytest.approx(11 / 15) and left.end_s == pytest.approx(15 / 15)
    assert left.peak == pytest.approx(26)
    assert right.peak == pytest.approx(28)


def test_a_turn_that_never_comes_back_is_not_an_action() -> None:
    assert detect_events(_series([0] * 10 + [20] * 10), THRESHOLDS) == []


def test_a_one_frame_pose_glitch_is_not_a_turn() -> None:
    assert detect_events(_series([0] * 10 + [30] + [0] * 10), THRESHOLDS) == []


def test_a_blink_is_a_short_eye_closure() -> None:
    ear = [0.3] * 10 + [0.08, 0.1] + [0.3] * 10
    events = detect_events(_series([0] * len(ear), ear=ear), THRESHOLDS)
    assert _actions(events) == [Action.BLINK]
    assert events[0].peak == pytest.approx(0.08 / 0.3)


def test_eyes_closed_for_two_seconds_is_not_a_blink() -> None:
    ear = [0.3] * 20 + [0.05] * 30 + [0.3] * 20
    assert detect_events(_series([0] * len(ear), ear=ear), THRESHOLDS) == []


def test_open_mouth() -> None:
    mar = [0.05] * 10 + [0.5] * 5 + [0.05] * 10
    assert _actions(detect_events(_series([0] * len(mar), mar=mar), THRESHOLDS)) == [Action.OPEN_MOUTH]


def test_open_mouth_is_measured_from_the_persons_own_neutral() -> None:
    smiling = [0.2] * 10 + [0.6] * 5 + [0.2] * 10  # teeth showing throughout: the lips never close
    assert _actions(detect_events(_series([0] * len(smiling), mar=smiling), THRESHOLDS)) == [Action.OPEN_MOUTH]
    assert detect_events(_series([0] * 25, mar=[0.4] * 25), THRESHOLDS) == []  # a wide smile held is no action


# --- matching the challenge ------------------------------------------------------------------------------

def _event(action: Action, start: float) -> ActionEvent:
    return ActionEvent(action, start, start + 0.5, 1.0)


def test_challenge_matched_in_order() -> None:
    events = [_event(Action.BLINK, 0.2), _event(Action.TURN_LEFT, 1.0), _event(Action.BLINK, 2.0),
              _event(Action.TURN_RIGHT, 3.0)]
    results = match_challenge(CHALLENGE, events)
    assert all(r.detected and r.in_order for r in results)
    assert [r.start_s for r in results] == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("order", [p for p in itertools.permutations(CHALLENGE) if p != CHALLENGE])
def test_every_other_order_is_refused(order: tuple[Action, ...]) -> None:
    events = [_event(action, float(i)) for i, action in enumerate(order)]
    results = match_challenge(CHALLENGE, events)
    assert any(r.detected and not r.in_order for r in results)


def test_a_missing_action_is_reported_as_missing() -> None:
    results = match_challenge(CHALLENGE, [_event(Action.TURN_LEFT, 0.0), _event(Action.TURN_RIGHT, 2.0)])
    assert [(r.detected, r.in_order) for r in results] == [(True, True), (False, False), (True, True)]


# --- whole check on small synthetic videos (MediaPipe runs; dlib does not) -------------------------------

def test_a_photo_slid_in_front_of_the_camera_fails() -> None:
    photo = portrait_frame()
    frames = [shifted(photo, 40 * np.sin(i / 5), 15 * np.cos(i / 7), 1 + 0.1 * np.sin(i / 9)) for i in range(45)]
    result = check_liveness(make_clip(frames), CHALLENGE, encoder=_same_face)
    assert result.status == "fail"
    assert LivenessReason.ACTION_MISSING in result.reasons
    assert not any(a.in_order for a in result.actions if a.action is not Action.BLINK)


def test_a_frozen_photo_fails_as_frozen() -> None:
    result = check_liveness(make_clip([portrait_frame()] * 30), CHALLENGE, encoder=_same_face)
    assert result.status == "fail"
    assert PadReason.FROZEN_FRAMES in result.reasons
    assert dict(result.to_dict()["pad"])["frozen_frames"] == pytest.approx(29 / 15, abs=1e-3)


def test_two_faces_fail() -> None:
    photo = portrait_frame(320, 360)
    frames = [shifted(np.hstack([photo, photo]), i % 3, 0) for i in range(24)]
    result = check_liveness(make_clip(frames), CHALLENGE, encoder=_same_face)
    assert LivenessReason.MULTIPLE_FACES in result.reasons
    assert result.status == "fail"


def test_no_face_fails() -> None:
    rng = np.random.default_rng(0)
    frames = [rng.integers(100, 140, (240, 320, 3), dtype=np.uint8) for _ in range(30)]
    result = check_liveness(make_clip(frames), CHALLENGE, encoder=_same_face)
    assert result.status == "fail" and LivenessReason.NO_FACE in result.reasons
    assert result.pad == ()


@pytest.mark.parametrize(("duration_s", "samples"), [(1.0, 2), (4.8, 4), (5.0, 4), (7.5, 6), (30.0, 8)])
def test_identity_is_sampled_about_every_1_25_s(duration_s: float, samples: int) -> None:
    assert continuity_samples(duration_s, THRESHOLDS) == samples


def test_another_face_later_in_the_video_fails() -> None:
    samples = continuity_samples(29 / 15, THRESHOLDS)
    identities = iter([np.zeros(128)] * (samples - 1) + [np.ones(128)])
    frames = [shifted(portrait_frame(), i % 4, 0) for i in range(30)]
    result = check_liveness(make_clip(frames), CHALLENGE, encoder=lambda frame, landmarks: next(identities))
    assert LivenessReason.FACE_CHANGED in result.reasons
    assert result.face_distance_max == pytest.approx(np.sqrt(128))


def test_a_video_file_tracked_while_decoding_gives_the_result_of_a_decoded_clip(tmp_path: Path) -> None:
    frames = [shifted(portrait_frame(), 30 * np.sin(i / 4), 0) for i in range(30)]
    path = write_video(tmp_path / "selfie.mp4", frames, fps=15)
    streamed = check_liveness_video(path, CHALLENGE, encoder=_same_face)
    decoded = check_liveness(read_video(path), CHALLENGE, encoder=_same_face)
    assert streamed.to_dict() == decoded.to_dict()
    assert streamed.frames == 30 and streamed.pad


def test_an_unreadable_video_file_is_a_decode_error_and_stops_the_tracker(tmp_path: Path) -> None:
    path = tmp_path / "selfie.mp4"
    path.write_bytes(b"not a video" * 100)
    with pytest.raises(VideoDecodeError):
        check_liveness_video(path, CHALLENGE, encoder=_same_face)
    assert not [t for t in threading.enumerate() if t.name == "face-tracker"]


def test_result_is_json_ready_and_carries_no_biometric_data() -> None:
    frames = [shifted(portrait_frame(), i % 5, 0) for i in range(20)]
    result = check_liveness(make_clip(frames), CHALLENGE, encoder=_same_face)
    text = json.dumps(result.to_dict())
    output = json.loads(text)
    assert set(output) >= {"status", "score", "actions", "pad", "reasons", "thresholds"}
    assert [a["action"] for a in output["actions"]] == [a.value for a in CHALLENGE]
    assert len(text) < 5000  # scores and times only: no landmarks, no encodings, no pixels


# --- real videos of real heads (shared data) ---------------------------------------------------------------

@requires_shared_data
@pytest.mark.shared_data
@pytest.mark.slow
def test_a_real_head_performing_turns_passes() -> None:
    # d3.mp4: turns to her right (~0.7 s), her left (~5.5 s), her right (~7.5 s), labelled by viewing.
    result = check_liveness_video(MOTION / "d3.mp4", (Action.TURN_RIGHT, Action.TURN_LEFT, Action.TURN_RIGHT))
    assert result.status == "pass", result.reasons
    assert result.face_distance_max is not None and result.face_distance_max < THRESHOLDS.max_face_distance


@requires_shared_data
@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize(("name", "closed_at"), [("d9.mp4", (0.45, 1.35)), ("d14.mp4", (0.6,))])
def test_real_blinks_are_detected(name: str, closed_at: tuple[float, ...]) -> None:
    clip = read_video(MOTION / name)
    result = check_liveness(clip, (Action.BLINK,) * len(closed_at), encoder=_same_face)
    found = [(a.start_s, a.end_s) for a in result.actions if a.detected]
    for t in closed_at:
        assert any(start - 0.1 <= t <= end for start, end in found), (t, found)


@requires_shared_data
@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(MOTION.glob("*.mp4")), ids=lambda p: p.name)
def test_a_real_head_is_never_flagged_as_flat(path: object) -> None:
    clip = read_video(path)  # type: ignore[arg-type]
    result = check_liveness(clip, (Action.TURN_LEFT, Action.TURN_RIGHT), encoder=_same_face)
    assert PadReason.FLAT_MOTION not in result.reasons
    assert PadReason.FROZEN_FRAMES not in result.reasons
    assert PadReason.TIMESTAMP_ANOMALY not in result.reasons
