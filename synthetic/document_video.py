"""A document filmed by a phone: held, tilted as instructed (one edge sent away from the camera), held again.

The card is a plane in front of a pinhole camera, so the foreshortening of a real tilt is exact; a little
hand shake moves it a few pixels from frame to frame.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from synthetic.selfie import write_video

FRAME = (1280, 720)  # width, height: a phone filming in 720p
FOCAL = 900.0
DISTANCE = 1000.0
HELD = (0.0,) * 8
TILT = (5.0, 12.0, 20.0, 25.0, 20.0, 12.0, 5.0)
# tilt name -> (axis, sign): a positive angle sends the card's left (about 'y') or top (about 'x') edge back
TILTS = {"left": ("y", 1.0), "right": ("y", -1.0), "up": ("x", 1.0), "down": ("x", -1.0)}


def pose_card(card: npt.NDArray[np.uint8], angle_deg: float, axis: str,
              shift: tuple[float, float] = (0.0, 0.0)) -> npt.NDArray[np.uint8]:
    """The card, filling ~60% of the frame's width, rotated by `angle_deg` about its vertical ('y') or
    horizontal ('x') axis, on a plain desk."""
    height, width = card.shape[:2]
    scale = 0.6 * FRAME[0] * DISTANCE / FOCAL / width
    xs = (np.array([0, width, width, 0], dtype=np.float32) - width / 2) * scale
    ys = (np.array([0, 0, height, height], dtype=np.float32) - height / 2) * scale
    theta = np.deg2rad(angle_deg)
    if axis == "y":
        x3, y3, z3 = xs * np.cos(theta), ys, -xs * np.sin(theta)
    else:
        x3, y3, z3 = xs, ys * np.cos(theta), -ys * np.sin(theta)
    z = DISTANCE + z3
    projected = np.stack([FOCAL * x3 / z + FRAME[0] / 2 + shift[0], FOCAL * y3 / z + FRAME[1] / 2 + shift[1]], axis=1)
    source = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    homography = cv2.getPerspectiveTransform(source, projected.astype(np.float32))
    desk = np.full((FRAME[1], FRAME[0], 3), (70, 90, 110), np.uint8)
    warped = cv2.warpPerspective(card, homography, FRAME, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full(card.shape[:2], 255, np.uint8), homography, FRAME)
    return np.where(mask[..., None] > 127, warped, desk)


def film_card(card: npt.NDArray[np.uint8], angles: list[float] | tuple[float, ...],
              axis: str = "y") -> list[npt.NDArray[np.uint8]]:
    """One frame per angle, with a few pixels of hand shake."""
    return [pose_card(card, angle, axis, (3 * np.sin(i), 2 * np.cos(i))) for i, angle in enumerate(angles)]


def document_video(card: npt.NDArray[np.uint8], tilt: str, path: Path, fps: float = 15.0) -> Path:
    """Write a video of `card` held, tilted as `tilt` asks ('left', 'right', 'up', 'down'), held again."""
    axis, sign = TILTS[tilt]
    frames = film_card(card, HELD + tuple(sign * a for a in TILT) + HELD, axis)
    write_video(frames, path, fps=fps, size=FRAME)
    return path
