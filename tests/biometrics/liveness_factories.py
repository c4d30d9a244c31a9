"""Factories for the liveness tests: synthetic face landmarks seen at a known pose, small clips, videos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from biometrics.head_pose import RIGID_FACE_MODEL, camera_matrix
from biometrics.video import VideoClip

# A 3D face (millimetres, camera axes: x right, y down, z away; nose tip at the origin): the rigid model
# plus the brows, mouth corners and chin around the nose, and the nose points.
FACE_3D: dict[int, tuple[float, float, float]] = {
    **RIGID_FACE_MODEL,
    70: (-50.0, -58.0, 38.0), 300: (50.0, -58.0, 38.0),  # brows, outer
    105: (-30.0, -62.0, 28.0), 334: (30.0, -62.0, 28.0),  # brows, middle
    61: (-26.0, 30.0, 30.0), 291: (26.0, 30.0, 30.0),  # mouth corners
    152: (0.0, 75.0, 30.0),  # chin
    4: (0.0, -6.0, -2.0), 5: (0.0, -14.0, 2.0),  # nose
    98: (-12.0, 4.0, 14.0), 327: (12.0, 4.0, 14.0),  # nostrils
}
HEAD_CENTRE_Z = 90.0  # the head turns about a point this far behind the nose tip


def face_landmarks(yaw: float, pitch: float = 0.0, *, flat: bool = False, width: int = 640, height: int = 480,
                   distance: float = 500.0, points: dict[int, tuple[float, float, float]] = FACE_3D) -> np.ndarray:
    """(478, 3) landmarks (unset points at 0) of a face turned `yaw` degrees to ITS left (nose towards
    the image's right) and looking `pitch` degrees up. `flat=True` squashes the face onto the plane
    of its eyes first: a photo of it turned the same way."""
    indices = list(points)
    model = np.array([points[i] for i in indices], dtype=np.float64)
    if flat:
        model[:, 2] = HEAD_CENTRE_Z
    # Turning to its left moves the nose (in front of the centre) to +x: a negative angle about +y.
    rotation = cv2.Rodrigues(np.array([-np.radians(pitch), 0.0, 0.0]))[0] @ \
        cv2.Rodrigues(np.array([0.0, -np.radians(yaw), 0.0]))[0]
    centre = np.array([0.0, 0.0, HEAD_CENTRE_Z])
    camera_points = (model - centre) @ rotation.T + centre + [0.0, 0.0, distance]
    projected, _ = cv2.projectPoints(camera_points, np.zeros(3), np.zeros(3), camera_matrix(width, height), None)
    landmarks = np.zeros((478, 3))
    landmarks[indices, :2] = projected.reshape(-1, 2)
    return landmarks


def make_clip(frames: list[np.ndarray], fps: float = 15.0, timestamps: list[float] | None = None) -> VideoClip:
    times = tuple(timestamps) if timestamps is not None else tuple(i / fps for i in range(len(frames)))
    height, width = frames[0].shape[:2]
    return VideoClip(tuple(frames), times, times, fps, width, height, 1.0)


def portrait_frame(width: int = 480, height: int = 360) -> np.ndarray:
    """scikit-image's bundled astronaut photo (a real face) centred on a grey canvas, BGR."""
    from skimage import data

    photo = cv2.cvtColor(data.astronaut()[20:300, 130:370], cv2.COLOR_RGB2BGR)
    canvas = np.full((height, width, 3), 110, dtype=np.uint8)
    side = int(height * 0.8)
    scaled = cv2.resize(photo, (side * photo.shape[1] // photo.shape[0], side))
    top, left = (height - scaled.shape[0]) // 2, (width - scaled.shape[1]) // 2
    canvas[top:top + scaled.shape[0], left:left + scaled.shape[1]] = scaled
    return canvas


def shifted(frame: np.ndarray, dx: float, dy: float, scale: float = 1.0) -> np.ndarray:
    """The frame moved and scaled in the image plane: a photo slid in front of the camera."""
    height, width = frame.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), 0.0, scale)
    matrix[:, 2] += (dx, dy)
    return cv2.warpAffine(frame, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)


def write_video(path: Path, frames: list[np.ndarray], fps: float) -> Path:
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path
