from __future__ import annotations

import cv2
import numpy as np
import pytest

from biometrics.pad import PadInput, PadReason, PadThresholds, default_signals
from biometrics.pad.frozen import FrozenFramesSignal
from biometrics.pad.moire import MoireSignal, spectral_peak_ratio
from biometrics.pad.planarity import ParallaxSignal, nose_parallax
from biometrics.pad.timing import TimestampSignal
from biometrics.video import VideoClip
from tests.biometrics.liveness_factories import face_landmarks, make_clip, portrait_frame

THRESHOLDS = PadThresholds()


def _noisy_frames(count: int, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    base = portrait_frame(160, 120).astype(np.int16)
    return [np.clip(base + rng.normal(0, 3, base.shape), 0, 255).astype(np.uint8) for _ in range(count)]


def _input(clip: VideoClip, landmarks: list[np.ndarray | None] | None = None,
           deviation: list[float] | None = None) -> PadInput:
    n = len(clip.frames)
    return PadInput(clip, tuple(landmarks if landmarks is not None else [None] * n),
                    np.array(deviation if deviation is not None else [np.nan] * n, dtype=np.float64))


# --- parallax -----------------------------------------------------------------------------------------

def test_a_turning_head_shows_parallax_a_turning_photo_does_not() -> None:
    frontal = face_landmarks(0)
    assert nose_parallax(frontal, face_landmarks(25)) > 3 * THRESHOLDS.min_parallax
    assert nose_parallax(frontal, face_landmarks(0, 15)) > 3 * THRESHOLDS.min_parallax
    flat_frontal = face_landmarks(0, flat=True)
    assert nose_parallax(flat_frontal, face_landmarks(25, flat=True)) < 0.1 * THRESHOLDS.min_parallax
    assert nose_parallax(flat_frontal, face_landmarks(-30, 10, flat=True)) < 0.1 * THRESHOLDS.min_parallax


def _turn(flat: bool) -> tuple[VideoClip, list[np.ndarray | None], list[float]]:
    yaws = [0, 0, 10, 20, 28, 30, 28, 20, 10, 0]
    clip = make_clip([np.zeros((480, 640, 3), np.uint8)] * len(yaws))
    return clip, [face_landmarks(y, flat=flat) for y in yaws], [float(y) for y in yaws]


@pytest.mark.parametrize(("flat", "attack"), [(False, False), (True, True)])
def test_parallax_signal_flags_planar_motion(flat: bool, attack: bool) -> None:
    clip, landmarks, deviation = _turn(flat)
    score = ParallaxSignal(THRESHOLDS.min_parallax).measure(_input(clip, landmarks, deviation))
    assert score.attack_detected is attack
    assert score.score is not None
    assert (score.reason is PadReason.FLAT_MOTION) is attack


def test_parallax_is_unmeasured_without_a_turn() -> None:
    clip, landmarks, _ = _turn(flat=True)
    score = ParallaxSignal(THRESHOLDS.min_parallax).measure(_input(clip, landmarks, [3.0] * len(landmarks)))
    assert score.score is None and not score.attack_detected
    assert score.reason is PadReason.PARALLAX_UNMEASURED


# --- frozen frames --------------------------------------------------------------------------------------

def test_live_noise_is_not_frozen() -> None:
    score = FrozenFramesSignal(THRESHOLDS.max_still_s).measure(_input(make_clip(_noisy_frames(30))))
    assert score.score == 0.0 and not score.attack_detected


def test_a_frozen_stretch_is_flagged_with_its_duration() -> None:
    frames = _noisy_frames(30)
    frames[10:25] = [frames[10]] * 15  # 1 s frozen at 15 fps
    score = FrozenFramesSignal(THRESHOLDS.max_still_s).measure(_input(make_clip(frames)))
    assert score.attack_detected and score.reason is PadReason.FROZEN_FRAMES
    assert score.score == pytest.approx(14 / 15)


def test_a_looped_sequence_counts_as_repeated() -> None:
    frames = _noisy_frames(10)
    score = FrozenFramesSignal(THRESHOLDS.max_still_s).measure(_input(make_clip(frames + frames + frames)))
    assert score.attack_detected
    assert score.score == pytest.approx(20 / 15)


# --- timestamps -------------------------------------------------------------------------------------------

def _timed(times: list[float], fps: float = 15.0) -> PadInput:
    frames = [np.zeros((8, 8, 3), np.uint8)] * len(times)
    return _input(VideoClip(tuple(frames), tuple(times), tuple(times), fps, 8, 8, 1.0))


def _timestamps(times: list[float], fps: float = 15.0) -> tuple[bool, float | None]:
    score = TimestampSignal(THRESHOLDS.max_gap_ratio, THRESHOLDS.max_rate_mismatch).measure(_timed(times, fps))
    return score.attack_detected, score.score


def test_regular_timestamps_with_jitter_pass() -> None:
    rng = np.random.default_rng(3)
    times = list(np.cumsum(1 / 15 + rng.uniform(-0.005, 0.005, 45)))
    assert _timestamps(times) == (False, pytest.approx(1.0, abs=0.3))


@pytest.mark.parametrize("times", [
    [i / 15 for i in range(20)] + [1.0 + i / 15 for i in range(20)],  # jumps back: spliced
    [i / 15 for i in range(20)] + [3.0 + i / 15 for i in range(20)],  # 1.7 s gap
])
def test_spliced_or_gapped_timestamps_are_flagged(times: list[float]) -> None:
    assert _timestamps(times)[0]


def test_frame_rate_disagreeing_with_the_container_is_flagged() -> None:
    assert _timestamps([i / 15 for i in range(30)], fps=30.0)[0]


# --- moire ------------------------------------------------------------------------------------------------

def test_a_periodic_pattern_over_the_face_raises_the_moire_score() -> None:
    face = cv2.cvtColor(portrait_frame(480, 360)[40:320, 140:340], cv2.COLOR_BGR2GRAY)
    y, x = np.mgrid[: face.shape[0], : face.shape[1]]
    grating = 12 * np.sin(2 * np.pi * (x * 0.21 + y * 0.13))
    screen = np.clip(face + grating, 0, 255).astype(np.uint8)
    assert spectral_peak_ratio(face) < THRESHOLDS.max_moire_ratio < spectral_peak_ratio(screen)


def test_moire_signal_without_a_face_is_unmeasured() -> None:
    score = MoireSignal(THRESHOLDS.max_moire_ratio).measure(_input(make_clip(_noisy_frames(3))))
    assert score.score is None and not score.attack_detected


def test_default_signals_have_distinct_names() -> None:
    names = [signal.name for signal in default_signals(THRESHOLDS)]
    assert len(names) == len(set(names)) == 4
