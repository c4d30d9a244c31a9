"""Frozen or duplicated frames: a still photo, a paused replay or frames injected twice.

A live camera never delivers two identical frames: sensor noise and the smallest head motion change the
face's pixels. The signal is the longest stretch of time over which the face region does not change
(mean absolute difference to the previous frame below `still_level` grey levels) or repeats a frame seen
before byte for byte (a looped or spliced sequence).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.pad.base import PadInput, PadReason, PadScore, face_box

THUMBNAIL = (64, 64)


@dataclass(frozen=True)
class FrozenFramesSignal:
    max_still_s: float  # a longer still stretch: attack
    still_level: float = 0.35  # grey levels (0-255); camera noise alone is above it
    name: str = "frozen_frames"

    def measure(self, data: PadInput) -> PadScore:
        frames = data.clip.frames
        times = data.clip.timestamps
        if len(frames) < 2:
            return PadScore(self.name, None, self.max_still_s, False, None, "fewer than two frames")
        still = still_frames(frames, data.landmarks, self.still_level)
        longest, start = 0.0, None
        for i in range(1, len(frames)):
            if still[i]:
                start = i - 1 if start is None else start
                longest = max(longest, times[i] - times[start])
            else:
                start = None
        attack = longest > self.max_still_s
        return PadScore(
            self.name, longest, self.max_still_s, attack, PadReason.FROZEN_FRAMES if attack else None,
            f"{int(np.count_nonzero(still))} of {len(frames) - 1} frames unchanged or repeated",
        )


def still_frames(frames: tuple[npt.NDArray[np.uint8], ...], landmarks: tuple[npt.NDArray[np.float64] | None, ...],
                 still_level: float) -> npt.NDArray[np.bool_]:
    """still[i]: frame i repeats an earlier frame exactly, or its face region barely differs from frame
    i-1 (the face box of frame i, or the whole frame when no face was found)."""
    still = np.zeros(len(frames), dtype=bool)
    seen: set[bytes] = set()
    # cast: OpenCV's stubs type its results as any numeric array; these stay 8-bit.
    greys = [cast(npt.NDArray[np.uint8], cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)) for frame in frames]
    for i, grey in enumerate(greys):
        # Hashing a thumbnail, not the frame: as exact for repeats, and ten times cheaper.
        digest = hashlib.blake2b(_thumbnail(grey).tobytes(), digest_size=16).digest()
        still[i] = digest in seen
        seen.add(digest)
        if i == 0 or still[i]:
            continue
        face = landmarks[i]
        box = face_box(face, grey.shape) if face is not None else None
        still[i] = _mean_abs_difference(greys[i - 1], grey, box) < still_level
    return still


def _mean_abs_difference(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8],
                         box: tuple[int, int, int, int] | None) -> float:
    if box is not None and box[2] - box[0] >= 8 and box[3] - box[1] >= 8:
        x0, y0, x1, y1 = box
        a, b = a[y0:y1, x0:x1], b[y0:y1, x0:x1]
    return float(np.mean(cv2.absdiff(_thumbnail(a), _thumbnail(b))))


def _thumbnail(grey: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    return cast(npt.NDArray[np.uint8], cv2.resize(grey, THUMBNAIL, interpolation=cv2.INTER_AREA))
