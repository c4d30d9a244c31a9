"""Bona fide selfie videos: a 3D head (synthetic.face3d) answering a liveness challenge in front of a
phone camera, with natural sway, auto-exposure drift and sensor noise.

Pose conventions are those of biometrics.challenge: `turn_left` = the person turns to their own left,
the nose moves to the image's right, yaw > 0; `look_up` = pitch > 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.challenge import Action
from synthetic.face3d import FaceModel, HeadPose, build_face_model, render_face

LEAD_IN_S = 0.8  # neutral frontal pose before the first action
GAP_S = 0.25  # neutral pause between actions
TAIL_S = 0.5
BLINK_S = 0.22  # a blink's closing and reopening


@dataclass(frozen=True)
class TimedAction:
    action: Action
    start_s: float
    end_s: float


@dataclass(frozen=True)
class SelfieVideo:
    path: Path
    fps: float
    size: tuple[int, int]  # width, height
    frame_count: int
    timeline: tuple[TimedAction, ...]  # the actions the video shows, in order
    label: str = "bona_fide"  # or the attack type
    note: str = ""  # what was done to the video, in words (attacks)


@dataclass(frozen=True)
class Choreography:
    poses: tuple[HeadPose, ...]  # one per frame
    timeline: tuple[TimedAction, ...]


def choreograph(actions: Sequence[Action], *, fps: float, seconds_per_action: float,
                rng: np.random.Generator) -> Choreography:
    """Per-frame head poses performing `actions` in order, with a slight natural sway throughout."""
    amplitudes = {
        Action.TURN_LEFT: ("yaw", rng.uniform(30, 40)),
        Action.TURN_RIGHT: ("yaw", -rng.uniform(30, 40)),
        Action.LOOK_UP: ("pitch", rng.uniform(18, 24)),
        Action.LOOK_DOWN: ("pitch", -rng.uniform(18, 24)),
        Action.OPEN_MOUTH: ("mouth_open", rng.uniform(0.75, 1.0)),
        Action.BLINK: ("eye_closure", 1.0),
    }
    timeline, segments = [], []
    clock = LEAD_IN_S
    for action in actions:
        duration = seconds_per_action * rng.uniform(0.85, 1.15)
        if action is Action.BLINK:
            duration = min(duration, 0.6)  # a blink is quick; the rest of its slot is neutral
        timeline.append(TimedAction(action, round(clock, 3), round(clock + duration, 3)))
        segments.append((clock, duration, *amplitudes[action]))
        clock += duration + GAP_S
    total = clock - GAP_S + TAIL_S
    count = int(round(total * fps))
    times = np.arange(count) / fps
    sway = _sway(times, rng)
    poses = []
    for index, t in enumerate(times):
        values = {"yaw": sway[0][index], "pitch": sway[1][index], "roll": sway[2][index],
                  "eye_closure": 0.0, "mouth_open": 0.0}
        for start, duration, attribute, amplitude in segments:
            if start <= t <= start + duration:
                values[attribute] += amplitude * _envelope((t - start) / duration, attribute, duration)
        poses.append(HeadPose(**values))
    return Choreography(tuple(poses), tuple(timeline))


def render_selfie_video(portrait: npt.NDArray[np.uint8], actions: Sequence[Action], path: Path, *,
                        rng: np.random.Generator, fps: float = 15, size: tuple[int, int] = (640, 480),
                        seconds_per_action: float = 1.2,
                        background: npt.NDArray[np.uint8] | None = None) -> SelfieVideo:
    """Write a bona fide selfie video of `portrait`'s head performing `actions` (mp4v for .mp4, VP8 for
    .webm) and return its metadata."""
    model = build_face_model(portrait, canvas_aspect=size[0] / size[1], background=background)
    plan = choreograph(actions, fps=fps, seconds_per_action=seconds_per_action, rng=rng)
    camera = PhoneCamera(model.size, size, fps, rng)
    count = write_video(filmed(model, plan.poses, camera), path, fps=fps, size=size)
    return SelfieVideo(Path(path), fps, size, count, plan.timeline)


def filmed(model: FaceModel, poses: Sequence[HeadPose], camera: PhoneCamera) -> Iterator[npt.NDArray[np.uint8]]:
    """Video frames of `model` at each of `poses`."""
    return (camera.capture(render_face(model, pose), index) for index, pose in enumerate(poses))


class PhoneCamera:
    """Frames a canvas (e.g. a face model's) into the video frame, covering it, with hand sway,
    auto-exposure drift and sensor noise."""

    def __init__(self, canvas_size: tuple[int, int], size: tuple[int, int], fps: float,
                 rng: np.random.Generator, noise_sigma: float = 2.5) -> None:
        self.size = size
        self.fps = fps
        width, height = canvas_size
        self.scale = max(size[0] / width, size[1] / height)
        self.offset = np.array([(size[0] - width * self.scale) / 2, (size[1] - height * self.scale) / 2])
        self.rng = rng
        self.phases = rng.uniform(0, 2 * np.pi, size=4)
        # A bank of noise frames drawn once: per-frame Gaussian draws at 1280 x 720 cost more than rendering.
        bank = rng.standard_normal((3, size[1], size[0], 3), dtype=np.float32) * noise_sigma
        self.noise_up = np.clip(bank, 0, 255).astype(np.uint8)
        self.noise_down = np.clip(-bank, 0, 255).astype(np.uint8)

    def capture(self, canvas: npt.NDArray[np.uint8], index: int) -> npt.NDArray[np.uint8]:
        t = index / self.fps
        shift = 0.006 * np.array(self.size) * np.sin(t * np.array([1.3, 0.9]) + self.phases[:2])
        matrix = np.array([[self.scale, 0, self.offset[0] + shift[0]], [0, self.scale, self.offset[1] + shift[1]]],
                          dtype=np.float32)
        frame = cv2.warpAffine(canvas, matrix, self.size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        gain = 1 + 0.03 * np.sin(t * 2.1 + self.phases[2]) + 0.01 * self.rng.standard_normal()
        frame = cv2.LUT(frame, np.clip(np.arange(256) * gain, 0, 255).astype(np.uint8))
        which = int(self.rng.integers(len(self.noise_up)))
        frame = cv2.add(frame, self.noise_up[which])
        # cast: OpenCV's stubs type its results as any numeric array; 8-bit images stay 8-bit.
        return cast(npt.NDArray[np.uint8], cv2.subtract(frame, self.noise_down[which]))


def write_video(frames: Iterable[npt.NDArray[np.uint8]], path: Path, *, fps: float, size: tuple[int, int]) -> int:
    """Encode BGR frames (mp4v in .mp4, VP8 in .webm); returns the number of frames written."""
    codec = {".mp4": "mp4v", ".webm": "VP80"}.get(Path(path).suffix.lower())
    if codec is None:
        raise ValueError(f"unsupported video container {Path(path).suffix!r} (use .mp4 or .webm)")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*codec), fps, size)
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {codec} video to {path}")
    count = 0
    try:
        for frame in frames:
            writer.write(frame)
            count += 1
    finally:
        writer.release()
    return count


def _envelope(u: float, attribute: str, duration: float) -> float:
    """0 -> 1 -> 0 over u in [0, 1]: eased movement with a hold at the extreme; a blink is one quick dip."""
    if attribute == "eye_closure":
        half = min(BLINK_S / duration, 1) / 2
        distance = abs(u - 0.5) / half
        return float(max(0.0, 1 - distance) ** 0.5)
    rise = 0.35
    if u < rise:
        return float(0.5 - 0.5 * np.cos(np.pi * u / rise))
    if u > 1 - rise:
        return float(0.5 - 0.5 * np.cos(np.pi * (1 - u) / rise))
    return 1.0


def _sway(times: npt.NDArray[np.float64], rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """(3, n) slow yaw, pitch and roll wander of a hand-held selfie, in degrees (about +-2)."""
    frequencies = rng.uniform(0.2, 0.7, size=(3, 2))
    phases = rng.uniform(0, 2 * np.pi, size=(3, 2))
    amplitudes = np.array([[1.2, 0.6], [0.8, 0.4], [0.8, 0.3]])
    waves = amplitudes[..., None] * np.sin(2 * np.pi * frequencies[..., None] * times + phases[..., None])
    sway: npt.NDArray[np.float64] = waves.sum(1)
    return sway
