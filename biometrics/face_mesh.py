"""MediaPipe face mesh over a video: per frame, the tracked face's 478 landmarks in pixels, and how many
faces are in view.

The mesh tracks ONE face: asked for two, MediaPipe runs its face detector on every frame looking for
the second, which doubled the cost of tracking. Other faces are counted instead by the same (short-range)
detector every `count_interval_s` of video. Tracking runs in a background thread fed frame by frame
(FaceTracker), so a caller can decode (and count faces on) the next frame while this one is tracked:
OpenCV and MediaPipe release the GIL, so on two cores the two overlap.

The models are loaded once per process (lazily, on first use) and the tracking state is reset before each
video, so one video's last face position never seeds the next video's first frame. Locks serialise
use: the graphs are stateful and not safe to share between threads.
"""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

_lock = threading.Lock()  # the mesh
_detector_lock = threading.Lock()


@dataclass(frozen=True)
class FrameFaces:
    """One frame: the tracked face's landmarks, an array (478, 3) of x, y in pixels and z (relative depth,
    same scale as x; smaller is nearer the camera), or None; and the number of faces in view."""

    main: npt.NDArray[np.float64] | None
    count: int  # the detector's count on frames it examined, else 1 or 0 (the tracked face)
    counted: bool  # whether the detector examined this frame for other faces


@functools.cache
def _load_models() -> tuple[Any, Any]:
    import mediapipe as mp  # heavy import (~1 s), deferred to first use

    mesh = mp.solutions.face_mesh.FaceMesh(
        static_image_mode=False, max_num_faces=1, refine_landmarks=True,
        min_detection_confidence=0.5, min_tracking_confidence=0.5,
    )
    detector = mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.5)
    return mesh, detector


def load_face_mesh() -> None:
    """Load the models now (a worker calls this at process start so the first request is not slow)."""
    _load_models()


class FaceTracker:
    """Tracks the faces of ONE video, fed frame by frame (BGR, with its time in seconds), in a thread.

    Use as a context manager: `feed` every frame in order, then `finish` for the results. Leaving the
    block early (a decoding error) abandons the frames not yet tracked. Faces are counted in the feeding
    thread, so counting overlaps tracking too.
    """

    def __init__(self, count_interval_s: float = 0.0) -> None:
        self._count_interval_s = count_interval_s
        self._last_count_s = -np.inf
        self._frames: queue.SimpleQueue[tuple[npt.NDArray[np.uint8], int | None] | None] = queue.SimpleQueue()
        self._faces: list[FrameFaces] = []
        self._error: BaseException | None = None
        self._abandoned = False
        self._thread = threading.Thread(target=self._run, name="face-tracker", daemon=True)

    def __enter__(self) -> FaceTracker:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._thread.is_alive():
            self._abandoned = True
            self._frames.put(None)
            self._thread.join()

    def feed(self, frame: npt.NDArray[np.uint8], time_s: float) -> None:
        count = None
        # 10 % tolerance for timestamp jitter, as in the decoder's frame selection.
        if time_s - self._last_count_s >= 0.9 * self._count_interval_s:
            self._last_count_s = time_s
            count = count_faces(frame)
        self._frames.put((frame, count))

    def finish(self) -> tuple[FrameFaces, ...]:
        """Wait for every fed frame to be tracked; the faces per frame, in order."""
        self._frames.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return tuple(self._faces)

    def _run(self) -> None:
        try:
            mesh, _ = _load_models()
            with _lock:
                mesh.reset()
                while (item := self._frames.get()) is not None and not self._abandoned:
                    frame, count = item
                    found = mesh.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)).multi_face_landmarks
                    main = _to_pixels(found[0].landmark, frame.shape[1], frame.shape[0]) if found else None
                    tracked = int(main is not None)
                    counted = count is not None
                    self._faces.append(FrameFaces(main, max(count or 0, tracked), counted))
        except BaseException as error:  # handed to the caller by finish()
            self._error = error


def count_faces(frame: npt.NDArray[np.uint8]) -> int:
    """Faces MediaPipe's short-range detector finds in a BGR frame."""
    _, detector = _load_models()
    with _detector_lock:
        return len(detector.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)).detections or ())


def track_faces(frames: Sequence[npt.NDArray[np.uint8]], timestamps: Sequence[float] | None = None,
                count_interval_s: float = 0.0) -> tuple[FrameFaces, ...]:
    """The tracked face in each BGR frame of one video, with faces counted every `count_interval_s` of
    the `timestamps` (every frame by default)."""
    with FaceTracker(count_interval_s if timestamps is not None else 0.0) as tracker:
        # strict=False: the caller's timestamps are not checked against its frames.
        for frame, time_s in zip(frames, timestamps if timestamps is not None else [0.0] * len(frames),
                                 strict=False):
            tracker.feed(frame, time_s)
        return tracker.finish()


def _to_pixels(landmarks: Any, width: int, height: int) -> npt.NDArray[np.float64]:
    points = np.array([(p.x, p.y, p.z) for p in landmarks], dtype=np.float64)
    # MediaPipe's z uses roughly the same scale as x (normalised by the image width).
    return points * np.array([width, height, width], dtype=np.float64)
