"""Presentation and injection attack videos against the liveness challenge, each with its metadata.

- flat_photo: a printed photo moved as a rigid plane (turned, tilted, shifted) to mimic the challenge's
  head turns; perspective foreshortening can fool a naive yaw estimator, but there is no parallax and no
  blink or mouth movement.
- screen_replay: a bona fide rendering filmed off a screen (bezel, moire, reduced contrast, colour cast,
  refresh banding).
- frozen: a bona fide video whose stream stalls: one frame held for 2-3 s, or repeated stalls of about 1 s.
- wrong_order: a bona fide video answering the challenge's actions in another order.
- second_person: another identity takes over mid-video, or a second face appears beside the first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Literal, cast

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.challenge import Action
from synthetic.camera import desk_background
from synthetic.face3d import FaceModel, build_face_model, detect_landmarks, render_face
from synthetic.selfie import (
    Choreography,
    PhoneCamera,
    SelfieVideo,
    TimedAction,
    choreograph,
    filmed,
    write_video,
)


class AttackType(StrEnum):
    FLAT_PHOTO = "flat_photo"
    SCREEN_REPLAY = "screen_replay"
    FROZEN = "frozen"
    WRONG_ORDER = "wrong_order"
    SECOND_PERSON = "second_person"


Size = tuple[int, int]


def flat_photo(portrait: npt.NDArray[np.uint8], actions: Sequence[Action], path: Path, *, rng: np.random.Generator,
               fps: float = 15, size: Size = (640, 480), seconds_per_action: float = 1.2) -> SelfieVideo:
    """A printed photo held up to the camera and turned, tilted and shifted as a plane in step with the
    challenge's head movements (blinks and mouth openings cannot be performed)."""
    plan = choreograph(actions, fps=fps, seconds_per_action=seconds_per_action, rng=rng)
    border = round(portrait.shape[1] * rng.uniform(0.0, 0.08))  # some prints are trimmed to the face
    # cast: OpenCV's stubs type its results as any numeric array; 8-bit images stay 8-bit.
    photo = cast(npt.NDArray[np.uint8], cv2.copyMakeBorder(portrait, border, border, border, border,
                                                     cv2.BORDER_CONSTANT, value=(235, 238, 240)))
    scene = cast(npt.NDArray[np.uint8], cv2.GaussianBlur(desk_background(size, rng), (0, 0), 3))
    # The print fills about the same part of the frame as a real face would; sometimes its edges leave it.
    height_fraction = rng.uniform(0.85, 1.25)
    focal = 1.1 * size[0]
    shift_gain = rng.uniform(0.0, 0.12) * size[0]  # attackers also slide the print the way the nose would go
    camera = PhoneCamera(size, size, fps, rng)

    def frames() -> Iterator[npt.NDArray[np.uint8]]:
        for index, pose in enumerate(plan.poses):
            shift = (shift_gain * np.sin(np.deg2rad(pose.yaw)) / np.sin(np.deg2rad(35)),
                     -shift_gain * np.sin(np.deg2rad(pose.pitch)) / np.sin(np.deg2rad(35)))
            quad = _plane_quad(photo.shape[1], photo.shape[0], size, height_fraction * size[1], focal,
                               pose.yaw, pose.pitch, pose.roll * 2, shift)
            yield camera.capture(_paste_quad(scene, photo, quad), index)

    count = write_video(frames(), path, fps=fps, size=size)
    return SelfieVideo(Path(path), fps, size, count, _flat_timeline(plan), AttackType.FLAT_PHOTO,
                       f"printed photo, border {border} px, height {height_fraction:.2f} x frame")


def screen_replay(portrait: npt.NDArray[np.uint8], actions: Sequence[Action], path: Path, *, rng: np.random.Generator,
                  fps: float = 15, size: Size = (640, 480), seconds_per_action: float = 1.2) -> SelfieVideo:
    """A bona fide recording replayed on a phone or monitor screen and filmed."""
    model = build_face_model(portrait, canvas_aspect=size[0] / size[1])
    plan = choreograph(actions, fps=fps, seconds_per_action=seconds_per_action, rng=rng)
    recording = PhoneCamera(model.size, size, fps, rng, noise_sigma=1.5)
    screen = _Screen(size, fps, rng)
    camera = PhoneCamera(size, size, fps, rng)
    frames = (camera.capture(screen.show(frame, index), index)
              for index, frame in enumerate(filmed(model, plan.poses, recording)))
    count = write_video(frames, path, fps=fps, size=size)
    return SelfieVideo(Path(path), fps, size, count, plan.timeline, AttackType.SCREEN_REPLAY, screen.describe())


def frozen(portrait: npt.NDArray[np.uint8], actions: Sequence[Action], path: Path, *, rng: np.random.Generator,
           fps: float = 15, size: Size = (640, 480), seconds_per_action: float = 1.2,
           mode: Literal["hold", "stalls"] | None = None) -> SelfieVideo:
    """A bona fide video whose stream freezes: either one frame held for 2-3 s, or 2-3 stalls of 0.8-1.4 s
    (an injected or replayed stream stalling). Shorter stalls are not generated: a live camera's stream
    can repeat a frame or two too, and real compressed videos of a still face show 0.3-s stretches of
    near-identical frames, so the frozen-frames signal only judges stretches longer than 0.5 s.
    `mode` picks the kind; None draws it at random."""
    model = build_face_model(portrait, canvas_aspect=size[0] / size[1])
    plan = choreograph(actions, fps=fps, seconds_per_action=seconds_per_action, rng=rng)
    count = len(plan.poses)
    source = np.arange(count)
    if (mode or ("hold" if rng.random() < 0.5 else "stalls")) == "hold":
        length = min(int(rng.uniform(2.0, 3.0) * fps), count - 1)
        start = int(rng.integers(int(0.5 * fps), max(int(0.5 * fps) + 1, count - length)))
        source[start:start + length] = start
        note = f"one frame held {length / fps:.1f} s from {start / fps:.1f} s"
    else:
        stalls = int(rng.integers(2, 4))
        lengths = [int(rng.uniform(0.8, 1.4) * fps) for _ in range(stalls)]
        starts = np.sort(rng.choice(np.arange(int(0.3 * fps), count - max(lengths)), size=stalls, replace=False))
        for start, length in zip(starts, lengths, strict=True):
            source[start:start + length] = start
        note = f"{stalls} stalls of {min(lengths) / fps:.1f}-{max(lengths) / fps:.1f} s"
    camera = PhoneCamera(model.size, size, fps, rng)

    def frames() -> Iterator[npt.NDArray[np.uint8]]:
        held_index, held = -1, np.empty(0, np.uint8)
        for index, wanted in enumerate(source):
            if wanted != held_index:
                held_index, held = int(wanted), camera.capture(render_face(model, plan.poses[wanted]), index)
            yield held

    written = write_video(frames(), path, fps=fps, size=size)
    return SelfieVideo(Path(path), fps, size, written, plan.timeline, AttackType.FROZEN, note)


def wrong_order(portrait: npt.NDArray[np.uint8], actions: Sequence[Action], path: Path, *, rng: np.random.Generator,
                fps: float = 15, size: Size = (640, 480), seconds_per_action: float = 1.2) -> SelfieVideo:
    """A live-looking video performing the challenge's actions in a different order (a single-action
    challenge is answered with another action)."""
    performed = _other_order(tuple(actions), rng)
    model = build_face_model(portrait, canvas_aspect=size[0] / size[1])
    plan = choreograph(performed, fps=fps, seconds_per_action=seconds_per_action, rng=rng)
    count = write_video(filmed(model, plan.poses, PhoneCamera(model.size, size, fps, rng)), path, fps=fps,
                        size=size)
    return SelfieVideo(Path(path), fps, size, count, plan.timeline, AttackType.WRONG_ORDER,
                       "performed " + ",".join(performed))


def second_person(portrait: npt.NDArray[np.uint8], actions: Sequence[Action], path: Path, *,
                  other: npt.NDArray[np.uint8],
                  rng: np.random.Generator, fps: float = 15, size: Size = (640, 480),
                  seconds_per_action: float = 1.2, mode: Literal["swap", "beside"] | None = None) -> SelfieVideo:
    """The challenge performed, but `other` (another identity) either takes over after the first action
    ('swap') or appears beside the first person for a while ('beside'); `mode` None draws one at random."""
    aspect = size[0] / size[1]
    model = build_face_model(portrait, canvas_aspect=aspect)
    intruder = build_face_model(other, canvas_aspect=aspect)
    plan = choreograph(actions, fps=fps, seconds_per_action=seconds_per_action, rng=rng)
    camera = PhoneCamera(model.size, size, fps, rng)
    first_end = plan.timeline[0].end_s
    if (mode or ("swap" if rng.random() < 0.5 else "beside")) == "swap":
        start = int((first_end + 0.1) * fps)
        note = f"swap to another person at {start / fps:.1f} s"

        def canvas(index: int) -> npt.NDArray[np.uint8]:
            return render_face(intruder if index >= start else model, plan.poses[index])
    else:
        start = int(rng.uniform(0.3, first_end) * fps)
        stop = min(len(plan.poses), start + int(rng.uniform(1.5, 3.0) * fps))
        side = "left" if rng.random() < 0.5 else "right"
        cutout = _head_cutout(intruder, scale=rng.uniform(0.85, 1.0))
        note = f"second face at the {side} from {start / fps:.1f} s to {stop / fps:.1f} s"

        def canvas(index: int) -> npt.NDArray[np.uint8]:
            frame = render_face(model, plan.poses[index])
            return _paste_beside(frame, cutout, side) if start <= index < stop else frame

    frames = (camera.capture(canvas(index), index) for index in range(len(plan.poses)))
    count = write_video(frames, path, fps=fps, size=size)
    return SelfieVideo(Path(path), fps, size, count, plan.timeline, AttackType.SECOND_PERSON, note)


class _Screen:
    """A display filmed by a camera: bezel, slight perspective, moire, lower contrast, colour cast and a
    rolling refresh band."""

    def __init__(self, size: Size, fps: float, rng: np.random.Generator) -> None:
        width, height = size
        self.size, self.fps = size, fps
        self.contrast = rng.uniform(0.65, 0.85)
        self.cast = np.array([rng.uniform(1.0, 1.12), rng.uniform(0.95, 1.05), rng.uniform(0.85, 1.0)], np.float32)
        self.fill = float(rng.uniform(0.82, 0.95))  # fraction of the frame the lit screen covers
        self.band_speed = rng.uniform(0.3, 1.2)  # frame heights per second
        inset = np.array([width, height]) * (1 - self.fill) / 2
        jitter = rng.uniform(-0.03, 0.03, size=(4, 2)) * np.array([width, height])
        screen = np.array([inset, [width - inset[0], inset[1]], [width - inset[0], height - inset[1]],
                             [inset[0], height - inset[1]]], dtype=np.float32) + jitter
        source = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
        self.homography = cv2.getPerspectiveTransform(source, screen.astype(np.float32))
        bezel = cv2.getPerspectiveTransform(source, (screen + (screen - screen.mean(0)) * 0.06).astype(np.float32))
        # cast: OpenCV's stubs type its results as any numeric array; 8-bit images stay 8-bit.
        room = cast(npt.NDArray[np.uint8], cv2.GaussianBlur(desk_background(size, rng), (0, 0), 4))
        cv2.fillConvexPoly(room, np.round(cv2.perspectiveTransform(source[None], bezel)[0]).astype(np.int32),
                           (18, 18, 20))
        self.background = room
        # Washed-out, tinted display: one lookup table per channel.
        levels = (np.arange(256, dtype=np.float32)[:, None] * self.contrast * self.cast
                  + 255 * (1 - self.contrast) * 0.55)
        self.tone = np.clip(levels, 0, 255).astype(np.uint8)[None]
        lit_area = cv2.warpPerspective(np.ones((height, width), np.float32), self.homography, size)[..., None]
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        angle = rng.uniform(0, np.pi)
        period = rng.uniform(2.2, 3.5)  # pixels: near the camera's sampling, so the grid beats into moire
        grid = np.sin(2 * np.pi * (xs * np.cos(angle) + ys * np.sin(angle)) / period)
        beat = np.sin(2 * np.pi * (xs * np.cos(angle + 0.08) + ys * np.sin(angle + 0.08)) / (period * 1.03))
        self.moire = 1 + rng.uniform(0.08, 0.15) * (grid * beat)[..., None] * lit_area
        self.lit_area = lit_area
        self.rows = np.arange(height, dtype=np.float32)

    def show(self, frame: npt.NDArray[np.uint8], index: int) -> npt.NDArray[np.uint8]:
        height = self.size[1]
        lit = cv2.LUT(frame, self.tone)
        out = self.background.copy()
        cv2.warpPerspective(lit, self.homography, self.size, dst=out, borderMode=cv2.BORDER_TRANSPARENT)
        centre = (index / self.fps * self.band_speed % 1.2 - 0.1) * height
        band = 0.12 * np.exp(-(((self.rows - centre) / (0.08 * height)) ** 2))
        gain = self.moire * (1 - self.lit_area * band[:, None, None])
        shown: npt.NDArray[np.uint8] = np.clip(out * gain, 0, 255).astype(np.uint8)
        return shown

    def describe(self) -> str:
        return f"screen covering {self.fill:.2f} of the frame, contrast {self.contrast:.2f}"


def _plane_quad(width: int, height: int, size: Size, shown_height: float, focal: float, yaw: float,
                pitch: float, roll: float, shift: tuple[float, float]) -> npt.NDArray[np.float32]:
    """Image corners of a `width` x `height` print held facing the camera so it looks `shown_height` px
    tall, then rotated by yaw/pitch/roll (HeadPose conventions) about its centre and shifted."""
    scale = shown_height / height
    corners = np.array([[-width / 2, -height / 2, 0], [width / 2, -height / 2, 0], [width / 2, height / 2, 0],
                        [-width / 2, height / 2, 0]]) * scale
    a, b, c = np.deg2rad([yaw, pitch, roll])
    rotation = (np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
                @ np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
                @ np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]]))
    rotated = corners @ rotation.T
    depth = focal - rotated[:, 2]  # the print's centre sits `focal` away: unit magnification there
    centre = np.array([size[0] / 2 + shift[0], size[1] / 2 + shift[1]])
    quad: npt.NDArray[np.float32] = (centre + rotated[:, :2] * (focal / depth)[:, None]).astype(np.float32)
    return quad


def _paste_quad(scene: npt.NDArray[np.uint8], image: npt.NDArray[np.uint8],
                quad: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
    height, width = image.shape[:2]
    source = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    homography = cv2.getPerspectiveTransform(source, quad)
    out = scene.copy()
    cv2.warpPerspective(image, homography, (scene.shape[1], scene.shape[0]), dst=out,
                        flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
    return out


def _flat_timeline(plan: Choreography) -> tuple[TimedAction, ...]:
    """What a flat print can show: the turns and tilts, never a blink or an open mouth."""
    return tuple(step for step in plan.timeline if step.action not in (Action.BLINK, Action.OPEN_MOUTH))


def _other_order(actions: tuple[Action, ...], rng: np.random.Generator) -> tuple[Action, ...]:
    if len(actions) == 1:
        return (Action(str(rng.choice([a.value for a in Action if a is not actions[0]]))),)
    while True:
        order = tuple(actions[i] for i in rng.permutation(len(actions)))
        if order != actions:
            return order


def _head_cutout(model: FaceModel, scale: float) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
    """The model's head (face plus hair margin) at rest, scaled, with a feathered elliptic alpha mask."""
    landmarks = detect_landmarks(model.texture)
    x0, y0 = landmarks[:, :2].min(axis=0)
    x1, y1 = landmarks[:, :2].max(axis=0)
    pad_x, pad_y = (x1 - x0) * 0.35, (y1 - y0) * 0.35
    height, width = model.texture.shape[:2]
    left, top = int(max(0, x0 - pad_x)), int(max(0, y0 - pad_y))
    right, bottom = int(min(width, x1 + pad_x)), int(min(height, y1 + pad_y * 0.6))
    head = cv2.resize(model.texture[top:bottom, left:right], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    alpha = np.zeros(head.shape[:2], np.float32)
    centre = (head.shape[1] // 2, head.shape[0] // 2)
    cv2.ellipse(alpha, centre, (int(head.shape[1] * 0.45), int(head.shape[0] * 0.47)), 0, 0, 360, (1.0,), -1)
    # cast: OpenCV's stubs type its results as any numeric array; 8-bit images stay 8-bit.
    feathered = cv2.GaussianBlur(alpha, (0, 0), max(2.0, head.shape[1] / 30))
    return cast(npt.NDArray[np.uint8], head), cast(npt.NDArray[np.float32], feathered)


def _paste_beside(frame: npt.NDArray[np.uint8], cutout: tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]],
                  side: str) -> npt.NDArray[np.uint8]:
    head, alpha = cutout
    height, width = frame.shape[:2]
    h, w = head.shape[:2]
    h, w = min(h, height), min(w, width)
    x = 0 if side == "left" else width - w
    y = max(0, height // 2 - h // 2)
    out = frame.copy()
    region = out[y:y + h, x:x + w].astype(np.float32)
    a = alpha[:h, :w, None]
    out[y:y + h, x:x + w] = (region * (1 - a) + head[:h, :w] * a).astype(np.uint8)
    return out


def render_attack(attack: AttackType, portrait: npt.NDArray[np.uint8], actions: Sequence[Action], path: Path, *,
                  other: npt.NDArray[np.uint8], rng: np.random.Generator, fps: float = 15, size: Size = (640, 480),
                  seconds_per_action: float = 1.2) -> SelfieVideo:
    """Write an attack video of type `attack` against the challenge `actions`; `other` is the second
    identity's portrait (used by second_person only)."""
    if attack is AttackType.SECOND_PERSON:
        return second_person(portrait, actions, path, other=other, rng=rng, fps=fps, size=size,
                             seconds_per_action=seconds_per_action)
    render = {AttackType.FLAT_PHOTO: flat_photo, AttackType.SCREEN_REPLAY: screen_replay,
              AttackType.FROZEN: frozen, AttackType.WRONG_ORDER: wrong_order}[attack]
    return render(portrait, actions, path, rng=rng, fps=fps, size=size, seconds_per_action=seconds_per_action)
