"""The interface every passive presentation-attack-detection (PAD) signal implements.

A signal looks at the tracked video and returns a score, the threshold it compared it with and whether
that points to an attack. Signals are independent: a stronger detector (a trained PAD model, an
injection detector) is one more class with `name`, `reason` and `measure`, added to the list the
liveness check runs; nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from biometrics.video import VideoClip


class PadReason(StrEnum):
    FLAT_MOTION = "flat_motion"
    PARALLAX_UNMEASURED = "parallax_unmeasured"
    FROZEN_FRAMES = "frozen_frames"
    TIMESTAMP_ANOMALY = "timestamp_anomaly"
    SCREEN_MOIRE = "screen_moire"


@dataclass(frozen=True)
class PadInput:
    """What the signals see: the clip, the main face's landmarks per retained frame (None where no face
    was found) and the head's angular distance from its own neutral pose per frame (NaN without a face)."""

    clip: VideoClip
    landmarks: tuple[npt.NDArray[np.float64] | None, ...]
    pose_deviation_deg: npt.NDArray[np.float64]


@dataclass(frozen=True)
class PadScore:
    name: str
    score: float | None  # None: the signal could not be measured on this video
    threshold: float
    attack_detected: bool
    reason: PadReason | None  # set when attack_detected, or when an unmeasured signal matters
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "score": None if self.score is None else round(float(self.score), 4),
            "threshold": self.threshold,
            "attack_detected": self.attack_detected,
            "detail": self.detail,
        }


class PadSignal(Protocol):
    @property
    def name(self) -> str: ...  # read-only: the signals are frozen dataclasses

    def measure(self, data: PadInput) -> PadScore: ...


def face_box(landmarks: npt.NDArray[np.float64], shape: tuple[int, ...],
             margin: float = 0.0) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the landmarks' bounding box grown by `margin` x its size, clipped to the frame."""
    x0, y0 = landmarks[:, 0].min(), landmarks[:, 1].min()
    x1, y1 = landmarks[:, 0].max(), landmarks[:, 1].max()
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    height, width = shape[:2]
    return (
        int(max(0, x0 - dx)), int(max(0, y0 - dy)),
        int(min(width, x1 + dx)), int(min(height, y1 + dy)),
    )
