"""From images to usable face samples: the document portrait and the best selfie frames.

A sample is the aligned 150-px chip the encoder reads, the face box and a margin crop of the source
image (kept as evidence), and the face's quality. A face that fails the quality gate is a refusal with
reasons, never a sample.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.face_detection import Box, DetectedFace, as_rgb, confirmed, detect_faces
from biometrics.face_quality import (
    CHIP_PADDING,
    CHIP_SIZE,
    DEFAULT_QUALITY_POLICY,
    FaceQuality,
    FaceQualityPolicy,
    FaceReason,
    measure_quality,
    refusal_reasons,
)

# Margin around the face box in the evidence crop, as a fraction of the box size on each side.
EVIDENCE_MARGIN = 0.5
# Longest side of the frame copy on which selfie candidates are ranked by sharpness.
_RANKING_SIDE = 320


class FaceRole(StrEnum):
    """Where a face comes from, which decides what a second face means."""

    DOCUMENT = "document"  # the largest face is the portrait; much smaller ones are ghost images
    SELFIE = "selfie"  # any second face big enough to be matched is a second person in view


@dataclass(frozen=True)
class FaceSample:
    chip: npt.NDArray[np.uint8]  # 150x150 RGB, aligned on the landmarks: the encoder's input
    crop: npt.NDArray[np.uint8]  # RGB crop of the source image around the face (evidence)
    box: Box  # face box in the source image
    quality: FaceQuality


@dataclass(frozen=True)
class FaceRefusal:
    reasons: tuple[FaceReason, ...]
    quality: FaceQuality | None = None  # None when no face was found


@dataclass(frozen=True)
class SelfieSelection:
    samples: tuple[FaceSample, ...]
    frame_indices: tuple[int, ...]  # index in the input sequence of each sample
    refusals: tuple[FaceRefusal, ...]  # the inspected frames that were refused

    @property
    def reasons(self) -> tuple[FaceReason, ...]:
        return _unique(reason for refusal in self.refusals for reason in refusal.reasons)

    @property
    def multiple_faces(self) -> bool:
        return FaceReason.MULTIPLE_FACES in self.reasons


def sample_face(image: npt.NDArray[np.uint8], role: FaceRole, policy: FaceQualityPolicy) -> FaceSample | FaceRefusal:
    """The one face of `image` as a sample, or a refusal saying why there is none."""
    rgb = as_rgb(image)
    faces = detect_faces(rgb)
    if not faces:
        return FaceRefusal((FaceReason.FACE_NOT_FOUND,))
    face = faces[0]
    chip = face_chip(rgb, face)
    quality = measure_quality(face, chip, rgb.shape)
    if _other_faces(rgb, faces, role, policy):
        return FaceRefusal((FaceReason.MULTIPLE_FACES,), quality)
    reasons = refusal_reasons(quality, policy)
    if reasons:
        return FaceRefusal(reasons, quality)
    return FaceSample(chip=chip, crop=face.box.expanded(EVIDENCE_MARGIN, rgb.shape).crop(rgb), box=face.box,
                      quality=quality)


def extract_document_portrait(document_image: npt.NDArray[np.uint8],
                              policy: FaceQualityPolicy = DEFAULT_QUALITY_POLICY) -> FaceSample | FaceRefusal:
    """The portrait of a document image: its largest face (ghost images ignored), or a refusal."""
    return sample_face(document_image, FaceRole.DOCUMENT, policy)


class SelfieCandidates:
    """The faces of a selfie sequence, inspected only as far as asked (a detection costs ~40 ms a frame).

    Cheap first: at most `max_candidates` frames spread evenly over the sequence are ranked by the
    sharpness of a small grey copy; faces are then detected in that order, each `take` continuing where
    the previous one stopped. Inspection stops for good at the first frame showing two faces: that alone
    fails the comparison.
    """

    def __init__(self, frames: Sequence[npt.NDArray[np.uint8]], policy: FaceQualityPolicy = DEFAULT_QUALITY_POLICY,
                 max_candidates: int = 10) -> None:
        self._frames = frames
        self._policy = policy
        spread = np.linspace(0, len(frames) - 1, num=min(max_candidates, len(frames))).round().astype(int)
        candidates = (int(index) for index in np.unique(spread))
        self._ranked = iter(sorted(candidates, key=lambda index: -_frame_sharpness(frames[index])))
        self._samples: list[FaceSample] = []
        self._indices: list[int] = []
        self._refusals: list[FaceRefusal] = [] if frames else [FaceRefusal((FaceReason.FACE_NOT_FOUND,))]

    def take(self, count: int) -> SelfieSelection:
        """Up to `count` frames whose face passes the gate (frontal, eyes open, sharp, large enough)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        while len(self._samples) < count and not self.selection.multiple_faces:
            index = next(self._ranked, None)
            if index is None:
                break
            outcome = sample_face(self._frames[index], FaceRole.SELFIE, self._policy)
            if isinstance(outcome, FaceRefusal):
                self._refusals.append(outcome)
            else:
                self._samples.append(outcome)
                self._indices.append(index)
        return self.selection

    @property
    def selection(self) -> SelfieSelection:
        return SelfieSelection(tuple(self._samples), tuple(self._indices), tuple(self._refusals))


def face_chip(rgb: npt.NDArray[np.uint8], face: DetectedFace) -> npt.NDArray[np.uint8]:
    """The aligned chip dlib's encoder expects (same size and padding it uses internally)."""
    import dlib

    box = face.box
    rect = dlib.rectangle(box.left, box.top, box.left + box.width, box.top + box.height)
    shape = dlib.full_object_detection(rect, [dlib.point(round(x), round(y)) for x, y in face.landmarks])
    chip: npt.NDArray[np.uint8] = dlib.get_face_chip(rgb, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
    return chip


def _other_faces(rgb: npt.NDArray[np.uint8], faces: list[DetectedFace], role: FaceRole,
                 policy: FaceQualityPolicy) -> bool:
    """Whether faces beyond the largest one count as other people.

    Only faces large enough to be matched count (a face in a distant poster does not), and only
    confirmed ones (see face_detection.confirmed); on a document, faces much narrower than the portrait
    are its ghost image or miniatures.
    """
    largest = faces[0].box.width
    for face in faces[1:]:
        if face.inter_eye_px < policy.min_inter_eye_px:
            continue
        if role is FaceRole.DOCUMENT and face.box.width < policy.document_ghost_ratio * largest:
            continue
        if confirmed(rgb, face):
            return True
    return False


def _frame_sharpness(frame: npt.NDArray[np.uint8]) -> float:
    grey = cv2.cvtColor(as_rgb(frame), cv2.COLOR_RGB2GRAY)
    scale = _RANKING_SIDE / max(grey.shape)
    if scale < 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def _unique(reasons: Iterable[FaceReason]) -> tuple[FaceReason, ...]:
    return tuple(dict.fromkeys(reasons))
