"""Finding faces: dlib HOG on a downscaled image, upsampled for small faces, MediaPipe as a fallback;
every face is placed with dlib's 68 landmarks and checked for a plausible face geometry.

HOG scans an 80x80-pixel window, so a face must span about 80 px in the image it scans: large photos
are scanned downscaled (cheap, ~0.05 s at 640 px) and the scan is repeated upsampled when nothing is
found, within a pixel budget that bounds the cost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.face_models import hog_detector, landmark_predictor, mediapipe_detector

logger = logging.getLogger(__name__)

# Index ranges of the iBUG 300-W 68-point layout used by dlib's shape predictor.
RIGHT_EYE = slice(36, 42)  # the person's right eye, on the image's left
LEFT_EYE = slice(42, 48)
NOSE_TIP = 30
MOUTH = slice(48, 68)

# Ratio of inter-eye distance to HOG box width on real faces is ~0.33-0.50; a shape far outside
# this range was forced onto something that is not a face (HOG false positives: badges, patterns).
_PLAUSIBLE_EYE_TO_BOX = (0.25, 0.65)


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in pixel coordinates of the image it was found in."""

    left: int
    top: int
    width: int
    height: int

    @property
    def area(self) -> int:
        return self.width * self.height

    def expanded(self, margin: float, image_shape: tuple[int, ...]) -> Box:
        """The box grown by `margin` x its size on every side, clipped to the image."""
        dx, dy = round(self.width * margin), round(self.height * margin)
        left, top = max(0, self.left - dx), max(0, self.top - dy)
        right = min(image_shape[1], self.left + self.width + dx)
        bottom = min(image_shape[0], self.top + self.height + dy)
        return Box(left, top, right - left, bottom - top)

    def crop(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        return image[self.top:self.top + self.height, self.left:self.left + self.width].copy()

    def to_dict(self) -> dict[str, int]:
        return {"left": self.left, "top": self.top, "width": self.width, "height": self.height}


@dataclass(frozen=True)
class DetectedFace:
    box: Box
    landmarks: npt.NDArray[np.float64]  # (68, 2) float, image coordinates
    detector: str  # "hog" or "mediapipe"
    score: float  # the detector's confidence: HOG's SVM margin (>= 0), or MediaPipe's probability

    @property
    def inter_eye_px(self) -> float:
        return float(np.linalg.norm(self.landmarks[LEFT_EYE].mean(axis=0) - self.landmarks[RIGHT_EYE].mean(axis=0)))


def as_rgb(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """A 3-channel uint8 RGB view of a grey, grey+alpha, RGB or RGBA image.

    (OpenCV's stubs type every result as "some numeric array": the casts restore the uint8 it returns.)"""
    if image.dtype != np.uint8:
        raise ValueError(f"expected an 8-bit image, got {image.dtype}")
    if image.ndim == 2:
        return cast(npt.NDArray[np.uint8], cv2.cvtColor(image, cv2.COLOR_GRAY2RGB))
    channels = image.shape[2]
    if channels in (1, 2):  # grey, or grey + alpha
        return cast(npt.NDArray[np.uint8], cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2RGB))
    if channels == 4:
        return cast(npt.NDArray[np.uint8], cv2.cvtColor(image, cv2.COLOR_RGBA2RGB))
    if channels == 3:
        return np.ascontiguousarray(image)
    raise ValueError(f"unsupported image shape {image.shape}")


# Upsampling twice lets HOG's 80-px window find faces ~20 px wide (inter-eye ~8 px), far below any
# usable size: such faces are found to be refused as too small rather than reported as absent.
_MAX_UPSAMPLE = 2


def detect_faces(rgb: npt.NDArray[np.uint8], work_side: int = 640,
                 max_scan_pixels: int = 1_500_000) -> list[DetectedFace]:
    """Faces with plausible landmarks in an RGB image, largest first.

    `work_side` is the longest side HOG scans first; upsampled rescans stop once the scanned image
    would exceed `max_scan_pixels` (a bound on the cost of an image without any face).
    """
    boxes, detector = _hog_boxes(rgb, work_side, max_scan_pixels), "hog"
    if not boxes:
        boxes, detector = _mediapipe_boxes(rgb), "mediapipe"
    faces = [face for face in (place_face(rgb, box, detector, score) for box, score in boxes) if face]
    return sorted(faces, key=lambda face: face.box.area, reverse=True)


def place_face(rgb: npt.NDArray[np.uint8], box: Box, detector: str, score: float) -> DetectedFace | None:
    """dlib's 68 landmarks placed in a face box found by `detector`, or None when they do not form a face."""
    landmarks = _landmarks(rgb, box)
    if not _plausible(landmarks, box):
        logger.debug("dropped a %s detection whose landmarks do not form a face", detector)
        return None
    return DetectedFace(box, landmarks, detector, score)


def confirmed(rgb: npt.NDArray[np.uint8], face: DetectedFace) -> bool:
    """Whether a face is a face beyond doubt: a confident HOG detection, or one MediaPipe finds too.

    HOG's weak detections (margin < 0.3) include badges and folds of clothing with face-like landmarks
    (seen on scikit-image's astronaut: margins 0.01-0.14, real faces 0.45-1.7); a second face makes a
    comparison fail, so a weak one must be confirmed by the other detector first."""
    if face.detector == "mediapipe" or face.score >= _CONFIDENT_HOG_SCORE:
        return True
    return any(_overlap(face.box, box) >= 0.3 for box, _ in _mediapipe_boxes(rgb))


_CONFIDENT_HOG_SCORE = 0.3


def _overlap(a: Box, b: Box) -> float:
    """Intersection over union."""
    width = min(a.left + a.width, b.left + b.width) - max(a.left, b.left)
    height = min(a.top + a.height, b.top + b.height) - max(a.top, b.top)
    if width <= 0 or height <= 0:
        return 0.0
    intersection = width * height
    return intersection / (a.area + b.area - intersection)


def _hog_boxes(rgb: npt.NDArray[np.uint8], work_side: int, max_scan_pixels: int) -> list[tuple[Box, float]]:
    height, width = rgb.shape[:2]
    scale = min(1.0, work_side / max(height, width))
    scanned = rgb if scale == 1.0 else cv2.resize(
        rgb, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
    upsample = 0
    while True:
        rects, scores, _ = hog_detector().run(scanned, upsample, 0.0)
        if (len(rects) or upsample == _MAX_UPSAMPLE
                or scanned.shape[0] * scanned.shape[1] * 4 ** (upsample + 1) > max_scan_pixels):
            break
        upsample += 1
    return [(_clip(Box(round(r.left() / scale), round(r.top() / scale),
                       round(r.width() / scale), round(r.height() / scale)), rgb.shape), float(score))
            for r, score in zip(rects, scores, strict=True)]


def _mediapipe_boxes(rgb: npt.NDArray[np.uint8]) -> list[tuple[Box, float]]:
    height, width = rgb.shape[:2]
    detections = mediapipe_detector().process(rgb).detections or []
    boxes = []
    for detection in detections:
        rel = detection.location_data.relative_bounding_box
        box = _clip(Box(round(rel.xmin * width), round(rel.ymin * height),
                        round(rel.width * width), round(rel.height * height)), rgb.shape)
        if box.width > 1 and box.height > 1:
            boxes.append((box, float(detection.score[0])))
    return boxes


def box_from_mesh(landmarks: npt.NDArray[np.float64], image_shape: tuple[int, ...]) -> Box:
    """The box HOG would give for a face whose MediaPipe mesh is `landmarks` (pixels), so dlib's shape
    predictor (trained on HOG boxes) can place its landmarks without a detection. On 283 frames of the
    eight real face videos, the HOG box was the mesh's bounding box ~3 % wider each side, its top 9 % of
    the height lower and its bottom 3.5 % higher (medians)."""
    x0, y0 = landmarks[:, 0].min(), landmarks[:, 1].min()
    width, height = landmarks[:, 0].max() - x0, landmarks[:, 1].max() - y0
    box = Box(round(x0 - 0.03 * width), round(y0 + 0.09 * height), round(1.06 * width), round(0.875 * height))
    return _clip(box, image_shape)


def _clip(box: Box, image_shape: tuple[int, ...]) -> Box:
    return box.expanded(0.0, image_shape)


def _landmarks(rgb: npt.NDArray[np.uint8], box: Box) -> npt.NDArray[np.float64]:
    import dlib

    rect = dlib.rectangle(box.left, box.top, box.left + box.width, box.top + box.height)
    shape = landmark_predictor()(rgb, rect)
    return np.array([(point.x, point.y) for point in shape.parts()], dtype=np.float64)


def _plausible(landmarks: npt.NDArray[np.float64], box: Box) -> bool:
    """Eyes above the nose tip above the mouth (in the face's own frame, so roll is allowed) and an
    inter-eye distance in proportion to the box."""
    right_eye, left_eye = landmarks[RIGHT_EYE].mean(axis=0), landmarks[LEFT_EYE].mean(axis=0)
    eye_axis = left_eye - right_eye
    inter_eye = float(np.linalg.norm(eye_axis))
    if inter_eye == 0.0:
        return False
    low, high = _PLAUSIBLE_EYE_TO_BOX
    if not low <= inter_eye / max(box.width, 1) <= high:
        return False
    down = np.array([-eye_axis[1], eye_axis[0]]) / inter_eye  # perpendicular to the eye line, towards the chin
    eye_middle = (right_eye + left_eye) / 2
    nose_depth = float((landmarks[NOSE_TIP] - eye_middle) @ down)
    mouth_depth = float((landmarks[MOUTH].mean(axis=0) - eye_middle) @ down)
    return 0.0 < nose_depth < mouth_depth
