"""The portrait printed on a document: where it is on the document images, found by OpenCV's Haar cascade.

A few milliseconds per image, enough to choose the frame and the region that show the portrait; the face
matcher then detects and measures that face precisely (biometrics.face_samples).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

# The portrait of an ID-1 card or passport page spans at least this fraction of the photo's short side
# once the document fills the frame as instructed; smaller face detections are guilloche or ghost images.
MIN_PORTRAIT_FRACTION = 0.12
# Detection runs on a copy at most this long: the cascade's cost grows with the pixels, not its recall.
DETECTION_SIDE = 800

PortraitBox = tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels


@dataclass(frozen=True)
class PortraitLocation:
    """The largest face found on the document images: which image, and its box (x0, y0, x1, y1)."""

    image_index: int
    box: PortraitBox

    def to_dict(self) -> dict[str, Any]:
        return {"image_index": self.image_index, "box": list(self.box)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PortraitLocation:
        x0, y0, x1, y1 = (int(v) for v in data["box"])
        return cls(int(data["image_index"]), (x0, y0, x1, y1))


@functools.cache
def _face_cascade() -> cv2.CascadeClassifier:
    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")  # type: ignore[attr-defined]  # cv2.data is untyped


def box_area(box: PortraitBox) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


def find_portrait(image: npt.NDArray[np.uint8]) -> PortraitBox | None:
    """The box of the largest frontal face in a document image (BGR or grey), or None."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    scale = min(1.0, DETECTION_SIDE / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    side = int(MIN_PORTRAIT_FRACTION * min(small.shape))
    faces = _face_cascade().detectMultiScale(small, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
    if len(faces) == 0:
        return None
    x, y, w, h = max(faces, key=lambda f: int(f[2]) * int(f[3]))
    return (int(x / scale), int(y / scale), int((x + w) / scale), int((y + h) / scale))


def locate_portrait(images: Sequence[npt.NDArray[np.uint8]]) -> PortraitLocation | None:
    """The largest portrait over several document images (front, back, video frames), the first of equals."""
    found = [(i, box) for i, image in enumerate(images) if (box := find_portrait(image)) is not None]
    if not found:
        return None
    index, box = max(found, key=lambda item: box_area(item[1]))
    return PortraitLocation(index, box)
