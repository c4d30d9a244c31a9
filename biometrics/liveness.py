"""Active liveness: did one live person perform the challenge's actions, in order, on camera?

The video is tracked once (MediaPipe face mesh); per frame we derive head pose (yaw, pitch), eye
openness (EAR) and mouth opening (MAR), each against the person's OWN neutral (the median over the
video), detect every action as an event with start and end times, then match the challenge in order.
The passive PAD signals (biometrics.pad) run on the same tracking and are reported with their scores.
Thresholds come in as data (`LivenessThresholds`, overridden by the policy); this module only measures
and applies them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.challenge import Action
from biometrics.face_detection import box_from_mesh
from biometrics.face_mesh import FaceTracker, FrameFaces, track_faces
from biometrics.head_pose import (
    estimate_pose,
    eye_aspect_ratio,
    mouth_opening_ratio,
    relative_pitch,
    upper_face_points,
)
from biometrics.pad import PadInput, PadReason, PadScore, PadSignal, PadThresholds, default_signals
from biometrics.video import VideoClip, read_video
from verification.common.outcome import CheckStatus

logger = logging.getLogger(__name__)

# (BGR frame, face mesh) -> encoding
FaceEncoder = Callable[[npt.NDArray[np.uint8], npt.NDArray[np.float64]], npt.NDArray[np.float64] | None]


class LivenessReason(StrEnum):
    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    FACE_LOST = "face_lost"
    FACE_CHANGED = "face_changed"
    FACE_UNVERIFIED = "face_unverified"  # continuity could not be measured (no encodable frame)
    ACTION_MISSING = "action_missing"
    ACTION_ORDER_WRONG = "action_order_wrong"
    VIDEO_TOO_SHORT = "video_too_short"


# Reasons that say "could not judge" rather than "judged and failed": alone they give INCONCLUSIVE.
_INCONCLUSIVE_ONLY = {LivenessReason.FACE_LOST.value, LivenessReason.FACE_UNVERIFIED.value,
                      PadReason.PARALLAX_UNMEASURED.value}


@dataclass(frozen=True)
class LivenessThresholds:
    turn_deg: float = 15.0  # yaw away from the person's neutral for a turn
    look_deg: float = 10.0  # pitch away from neutral for look up / down
    return_fraction: float = 0.5  # an action ends when back within this fraction of its threshold
    blink_ear_fraction: float = 0.7  # eyes closed: EAR below this fraction of the open-eye median
    blink_max_s: float = 0.7  # a longer closure is not a blink
    # Inner-lip gap / mouth width above the person's median (a smile showing teeth already reads ~0.2
    # at rest). Mouths opened on request by generated heads rose by 0.22-0.54: 0.25 missed 3 of 50.
    mouth_open_ratio: float = 0.15
    min_action_frames: int = 2  # (after smoothing) for turns, looks and mouth opening
    min_duration_s: float = 1.5
    max_face_lost_s: float = 0.5
    # Faces are counted every face_count_interval_s (tracking one face is half the cost of tracking two);
    # more counted frames than max_multiple_face_frames with 2+ faces fails: a second face in view for
    # 0.4 s is always counted twice, one detector glitch never fails a video.
    face_count_interval_s: float = 0.2
    max_multiple_face_frames: int = 1
    max_face_distance: float = 0.6  # between encodings of the same person at different moments
    # One encoding per continuity_every_s of video (at least 2, at most max_continuity_samples): a person
    # swapped in after the first action (lead-in plus a 1-s action) is still sampled, and every 1.25 s a
    # second performer could be on camera has its own sample. An encoding costs ~0.15 s on this CPU.
    continuity_every_s: float = 1.25
    max_continuity_samples: int = 8
    pad: PadThresholds = field(default_factory=PadThresholds)


@dataclass(frozen=True)
class ActionEvent:
    action: Action
    start_s: float
    end_s: float
    peak: float  # degrees for turns/looks, EAR fraction of baseline for blinks, MAR for the mouth


@dataclass(frozen=True)
class ActionResult:
    action: Action
    detected: bool
    in_order: bool
    start_s: float | None
    end_s: float | None
    peak: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value, "detected": self.detected, "in_order": self.in_order,
            "start_s": _round(self.start_s, 3), "end_s": _round(self.end_s, 3), "peak": _round(self.peak, 3),
        }


@dataclass(frozen=True)
class LivenessResult:
    status: CheckStatus
    score: float | None  # fraction of the challenge's actions performed in order
    actions: tuple[ActionResult, ...]
    pad: tuple[PadScore, ...]
    reasons: tuple[str, ...]  # LivenessReason and PadReason values
    face_distance_max: float | None  # largest encoding distance between continuity samples
    frames: int
    duration_s: float
    thresholds: LivenessThresholds

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "score": _round(self.score, 3),
            "actions": [a.to_dict() for a in self.actions],
            "pad": {p.name: _round(p.score, 4) for p in self.pad},
            "pad_details": [p.to_dict() for p in self.pad],
            "reasons": list(self.reasons),
            "face_distance_max": _round(self.face_distance_max, 4),
            "frames": self.frames,
            "duration_s": round(self.duration_s, 3),
            "thresholds": asdict(self.thresholds),
        }


@dataclass(frozen=True)
class FaceSeries:
    """Per retained frame: the main face's measures (NaN where no face) and the face count."""

    times: npt.NDArray[np.float64]
    counts: npt.NDArray[np.intp]
    yaw: npt.NDArray[np.float64]
    pitch: npt.NDArray[np.float64]
    ear: npt.NDArray[np.float64]
    mar: npt.NDArray[np.float64]
    landmarks: tuple[npt.NDArray[np.float64] | None, ...]

    @property
    def has_face(self) -> npt.NDArray[np.bool_]:
        return ~np.isnan(self.yaw)


def check_liveness(
    clip: VideoClip,
    challenge: Sequence[Action],
    *,
    thresholds: LivenessThresholds = LivenessThresholds(),
    encoder: FaceEncoder | None = None,
    signals: Sequence[PadSignal] | None = None,
    faces: Sequence[FrameFaces] | None = None,
) -> LivenessResult:
    """Run the active challenge and the passive signals on a decoded clip (whose faces are tracked here
    unless `faces` gives them, one per frame).

    `encoder` maps a BGR frame and the tracked face's landmarks to an identity encoding (default: the
    face-matching encoder); it is a parameter so tests and other deployments can swap it. `signals`
    defaults to every PAD signal built from `thresholds.pad`."""
    if faces is None:
        faces = track_faces(clip.frames, clip.timestamps, thresholds.face_count_interval_s)
    series = measure_series(clip, faces)
    reasons: list[str] = []
    if clip.duration_s < thresholds.min_duration_s:
        reasons.append(LivenessReason.VIDEO_TOO_SHORT)
    if not series.has_face.any():
        reasons.append(LivenessReason.NO_FACE)
        actions = tuple(ActionResult(a, False, False, None, None, None) for a in challenge)
        return _result(reasons, actions, (), None, clip, thresholds, challenge)
    reasons += _presence_reasons(series, thresholds)

    events = detect_events(series, thresholds)
    actions = match_challenge(challenge, events)
    for action in actions:
        if not action.detected:
            reasons.append(LivenessReason.ACTION_MISSING)
        elif not action.in_order:
            reasons.append(LivenessReason.ACTION_ORDER_WRONG)

    distance = _face_distance(clip, series, continuity_samples(clip.duration_s, thresholds), encoder)
    if distance is None:
        reasons.append(LivenessReason.FACE_UNVERIFIED)
    elif distance > thresholds.max_face_distance:
        reasons.append(LivenessReason.FACE_CHANGED)

    pad_input = PadInput(clip, series.landmarks, pose_deviation(series))
    if signals is None:
        signals = default_signals(thresholds.pad)
    pad = tuple(signal.measure(pad_input) for signal in signals)
    reasons += [p.reason for p in pad if p.reason is not None]
    return _result(reasons, actions, pad, distance, clip, thresholds, challenge)


def check_liveness_video(path: str | Path, challenge: Sequence[Action], *,
                         thresholds: LivenessThresholds = LivenessThresholds(), encoder: FaceEncoder | None = None,
                         **decoding: Any) -> LivenessResult:
    """check_liveness on the video at `path` (read_video's `decoding` options), each frame tracked while
    the next one is decoded. Raises VideoDecodeError."""
    with FaceTracker(thresholds.face_count_interval_s) as tracker:
        clip = read_video(path, on_frame=tracker.feed, **decoding)
        faces = tracker.finish()
    return check_liveness(clip, challenge, thresholds=thresholds, encoder=encoder, faces=faces)


def measure_series(clip: VideoClip, faces: Sequence[FrameFaces]) -> FaceSeries:
    n = len(clip.frames)
    values = np.full((4, n), np.nan)
    rough_pitch = np.full(n, np.nan)
    landmarks: list[npt.NDArray[np.float64] | None] = []
    for i, (frame, found) in enumerate(zip(clip.frames, faces, strict=True)):
        main = found.main
        landmarks.append(main)
        if main is None:
            continue
        height, width = frame.shape[:2]
        pose = estimate_pose(main, width, height)
        values[:, i] = (pose.yaw, np.nan, eye_aspect_ratio(main), mouth_opening_ratio(main))
        rough_pitch[i] = pose.pitch
    with_face = np.flatnonzero(~np.isnan(values[0]))
    if with_face.size:
        # Pitch is measured against the most neutral frame (solvePnP's pose nearest its medians), from
        # the mesh itself: see head_pose.relative_pitch.
        offsets = np.hypot(values[0, with_face] - np.median(values[0, with_face]),
                           rough_pitch[with_face] - np.median(rough_pitch[with_face]))
        reference = _present(landmarks, int(with_face[np.argmin(offsets)]))
        points = upper_face_points(reference)
        for i in with_face:
            values[1, i] = relative_pitch(reference, _present(landmarks, int(i)), points)
    return FaceSeries(
        times=np.asarray(clip.timestamps, dtype=np.float64),
        counts=np.array([f.count for f in faces]),
        # Head pose and mouth get a 3-frame median (one-frame landmark glitches are common); the eyes do
        # not: a blink lasts only 1-3 frames at 10-15 fps and a median would erase it.
        yaw=_median3(values[0]), pitch=_median3(values[1]), ear=values[2], mar=_median3(values[3]),
        landmarks=tuple(landmarks),
    )


def _present(landmarks: Sequence[npt.NDArray[np.float64] | None], index: int) -> npt.NDArray[np.float64]:
    found = landmarks[index]
    if found is None:
        raise ValueError(f"frame {index} has no face")
    return found


def pose_deviation(series: FaceSeries) -> npt.NDArray[np.float64]:
    """Angular distance (degrees) of the head from its neutral pose, per frame."""
    return np.hypot(series.yaw - np.nanmedian(series.yaw), series.pitch - np.nanmedian(series.pitch))


def detect_events(series: FaceSeries, t: LivenessThresholds) -> list[ActionEvent]:
    """Every action the person performed, in time order."""
    yaw = series.yaw - np.nanmedian(series.yaw)
    pitch = series.pitch - np.nanmedian(series.pitch)
    events: list[ActionEvent] = []
    excursions = (
        (Action.TURN_LEFT, yaw, t.turn_deg), (Action.TURN_RIGHT, -yaw, t.turn_deg),
        (Action.LOOK_UP, pitch, t.look_deg), (Action.LOOK_DOWN, -pitch, t.look_deg),
        (Action.OPEN_MOUTH, series.mar - np.nanmedian(series.mar), t.mouth_open_ratio),
    )
    for action, signal, threshold in excursions:
        for start, end, peak in _excursions(signal, threshold, threshold * t.return_fraction, t.min_action_frames):
            events.append(ActionEvent(action, float(series.times[start]), float(series.times[end]),
                                      float(signal[peak])))
    events += _blinks(series, t)
    return sorted(events, key=lambda e: e.start_s)


def match_challenge(challenge: Sequence[Action], events: Sequence[ActionEvent]) -> tuple[ActionResult, ...]:
    """Match the asked actions in order, each to the earliest event of its kind that starts after the
    previous matched event's start (overlap allowed: a blink at the end of a turn still counts).
    An action only found before that point is reported detected but out of order."""
    results = []
    after = -np.inf
    for action in challenge:
        kind = [e for e in events if e.action == action]
        later = [e for e in kind if e.start_s > after]
        if later:
            event = later[0]
            after = event.start_s
            results.append(ActionResult(action, True, True, event.start_s, event.end_s, event.peak))
        elif kind:
            event = kind[0]
            results.append(ActionResult(action, True, False, event.start_s, event.end_s, event.peak))
        else:
            results.append(ActionResult(action, False, False, None, None, None))
    return tuple(results)


def _excursions(signal: npt.NDArray[np.float64], threshold: float, back: float,
                min_frames: int) -> list[tuple[int, int, int]]:
    """(start, end, peak) frame indices of each run where `signal` exceeds `threshold` for at least
    `min_frames` frames and then comes back below `back`. NaN (no face) neither starts nor ends a run."""
    runs: list[tuple[int, int, int]] = []
    i, n = 0, len(signal)
    while i < n:
        if not signal[i] > threshold:
            i += 1
            continue
        start = i
        j = i
        while j < n and not signal[j] < back:
            j += 1
        if j == n:
            break  # never came back: not a complete action
        above = np.flatnonzero(signal[start:j] > threshold)
        if above.size >= min_frames:
            peak = start + int(np.nanargmax(signal[start:j]))
            runs.append((start, j, peak))
        i = j
    return runs


def _blinks(series: FaceSeries, t: LivenessThresholds) -> list[ActionEvent]:
    open_level = float(np.nanmedian(series.ear))
    closed = series.ear < t.blink_ear_fraction * open_level
    is_open = series.ear >= t.blink_ear_fraction * open_level  # NaN is neither open nor closed
    events = []
    i, n = 1, len(closed)
    while i < n:
        if not closed[i] or not is_open[i - 1]:
            i += 1
            continue
        j = i
        while j < n and closed[j]:
            j += 1
        # A blink: open before, open after, closed for no longer than blink_max_s.
        if j < n and is_open[j] and series.times[j - 1] - series.times[i] <= t.blink_max_s:
            depth = float(np.min(series.ear[i:j]) / open_level)
            events.append(ActionEvent(Action.BLINK, float(series.times[i]), float(series.times[j]), depth))
        i = j
    return events


def _presence_reasons(series: FaceSeries, t: LivenessThresholds) -> list[str]:
    reasons: list[str] = []
    if int(np.count_nonzero(series.counts > 1)) > t.max_multiple_face_frames:
        reasons.append(LivenessReason.MULTIPLE_FACES)
    longest, start = 0.0, None
    for i, present in enumerate(series.has_face):
        if present:
            start = None
            continue
        start = i if start is None else start
        # Lost from the last frame with a face (or the first frame) to the next one with a face.
        end = series.times[min(i + 1, len(series.times) - 1)]
        longest = max(longest, float(end - series.times[max(start - 1, 0)]))
    if longest > t.max_face_lost_s:
        reasons.append(LivenessReason.FACE_LOST)
    return reasons


def continuity_samples(duration_s: float, thresholds: LivenessThresholds) -> int:
    """How many moments of a video of `duration_s` are encoded to check it shows one person throughout."""
    return min(thresholds.max_continuity_samples, max(2, round(duration_s / thresholds.continuity_every_s)))


def _face_distance(clip: VideoClip, series: FaceSeries, samples: int, encoder: FaceEncoder | None) -> float | None:
    """Largest encoding distance between the best face of each of `samples` equal parts of the video:
    eyes open and the most frontal (a turned head or closed eyes make the same person look less alike)."""
    encode = encoder if encoder is not None else _default_encoder
    with_face = np.flatnonzero(series.has_face)
    deviation = pose_deviation(series)
    eyes_open = series.ear >= 0.8 * np.nanmedian(series.ear)
    encodings = []
    for part in np.array_split(with_face, samples):
        if part.size == 0:
            continue
        candidates = part[eyes_open[part]] if eyes_open[part].any() else part
        index = int(candidates[np.argmin(deviation[candidates])])
        landmarks = series.landmarks[index]
        if landmarks is None:
            continue
        encoding = encode(clip.frames[index], landmarks)
        if encoding is not None:
            encodings.append(encoding)
    if len(encodings) < 2:
        return None
    return max(float(np.linalg.norm(a - b)) for k, a in enumerate(encodings) for b in encodings[k + 1:])


def _default_encoder(frame: npt.NDArray[np.uint8],
                     landmarks: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
    from biometrics.face_matching import face_encoding  # dlib: loaded only when continuity is checked

    # Video frames are BGR, dlib reads RGB. The tracked face's box spares a detection (~25 ms a sample).
    rgb = cast(npt.NDArray[np.uint8], cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))  # OpenCV's stubs lose the dtype
    return face_encoding(rgb, box_from_mesh(landmarks, frame.shape))


def _result(reasons: list[str], actions: tuple[ActionResult, ...], pad: tuple[PadScore, ...],
            distance: float | None, clip: VideoClip, thresholds: LivenessThresholds,
            challenge: Sequence[Action]) -> LivenessResult:
    unique = tuple(dict.fromkeys(str(r) for r in reasons))
    if not unique:
        status = CheckStatus.PASS
    elif all(r in _INCONCLUSIVE_ONLY for r in unique):
        status = CheckStatus.INCONCLUSIVE
    else:
        status = CheckStatus.FAIL
    in_order = sum(a.in_order for a in actions)
    score = in_order / len(challenge) if challenge else None
    return LivenessResult(status, score, actions, pad, unique, distance, len(clip.frames), clip.duration_s, thresholds)


def _median3(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    if values.size < 3:
        return values.copy()
    padded = np.concatenate(([values[0]], values, [values[-1]]))
    stacked = np.stack([padded[:-2], padded[1:-1], padded[2:]])
    out = values.copy()
    valid = ~np.isnan(values)
    with np.errstate(all="ignore"):
        out[valid] = np.nanmedian(stacked[:, valid], axis=0)
    return out


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)
