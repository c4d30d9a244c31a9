"""MediaPipe face mesh over a video: per frame, every face's 478 landmarks in pixels.

The model is loaded once per process (lazily, on first use) and its tracking state is reset before each
video, so one video's last face position never seeds the next video's first frame. A lock serialises
use: the graph is stateful and not safe to share between threads.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

LANDMARK_COUNT = 478  # 468 mesh points + 10 iris points (refine_landmarks=True)
MAX_FACES = 2  # enough to tell "one face" from "more than one"

_lock = threading.Lock()


@dataclass(frozen=True)
class FrameFaces:
    """The faces found in one frame: each an array (478, 3) of x, y in pixels and z (relative depth,
    same scale as x; smaller is nearer the camera)."""

    faces: tuple[np.ndarray, ...]

    @property
    def count(self) -> int:
        return len(self.faces)

    @property
    def main(self) -> np.ndarray | None:
        """The largest face, or None."""
        if not self.faces:
            return None
        return max(self.faces, key=lambda f: float(np.ptp(f[:, 0]) * np.ptp(f[:, 1])))


@functools.cache
def _load_face_mesh() -> Any:
    import mediapipe as mp  # heavy import (~1 s), deferred to first use

    return mp.solutions.face_mesh.FaceMesh(
        static_image_mode=False, max_num_faces=MAX_FACES, refine_landmarks=True,
        min_detection_confidence=0.5, min_tracking_confidence=0.5,
    )


def load_face_mesh() -> None:
    """Load the model now (a worker calls this at process start so the first request is not slow)."""
    _load_face_mesh()


def track_faces(frames: Sequence[np.ndarray]) -> tuple[FrameFaces, ...]:
    """Landmarks of every face in each BGR frame of one video, in order."""
    mesh = _load_face_mesh()
    results: list[FrameFaces] = []
    with _lock:
        mesh.reset()
        for frame in frames:
            height, width = frame.shape[:2]
            output = mesh.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            faces = tuple(
                _to_pixels(face.landmark, width, height) for face in (output.multi_face_landmarks or ())
            )
            results.append(FrameFaces(faces))
    return tuple(results)


def _to_pixels(landmarks: Any, width: int, height: int) -> np.ndarray:
    points = np.array([(p.x, p.y, p.z) for p in landmarks], dtype=np.float64)
    # MediaPipe's z uses roughly the same scale as x (normalised by the image width).
    return points * np.array([width, height, width], dtype=np.float64)
