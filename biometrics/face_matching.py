"""Face comparison: dlib 128-d encodings, Euclidean distance, a threshold from the policy.

score = 1 - distance: higher is more similar; dlib distances lie in ~[0, 1.3], so an impostor's score
can be negative. The match rule is `distance <= threshold` with `threshold` a distance calibrated for
a target FMR (biometrics.calibration), carried into the result with the model name.

Against a selfie video the sharpest usable frame is compared first (an encoding costs ~0.15 s on this CPU
and a face detection ~0.04 s, most of the 0.5 s budget): when its distance is at least `decisive_margin`
away from the threshold it decides; otherwise more frames are inspected and encoded, and their median
distance decides, so that one
poorly aligned frame neither makes nor breaks a borderline match. On the eight real face videos of the
shared data the median of three frames differs from the first frame's distance by 0.04 at most, so the
default margin of 0.1 leaves clear cases to one frame without changing their outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from biometrics.face_detection import Box, as_rgb, detect_faces, place_face
from biometrics.face_models import ENCODER_MODEL_NAME, face_encoder
from biometrics.face_quality import DEFAULT_QUALITY_POLICY, FaceQuality, FaceQualityPolicy, FaceReason
from biometrics.face_samples import (
    FaceRefusal,
    FaceRole,
    FaceSample,
    SelfieCandidates,
    SelfieSelection,
    extract_document_portrait,
    face_chip,
    sample_face,
)
from verification.common.outcome import CheckStatus


@dataclass(frozen=True)
class SideReport:
    """What one side of a comparison (document, selfie, or image a / b) contributed."""

    qualities: tuple[FaceQuality, ...]  # of the faces used, or of the refused ones
    reasons: tuple[FaceReason, ...]  # refusal reasons on this side

    def to_dict(self) -> dict[str, Any]:
        return {"faces": [quality.to_dict() for quality in self.qualities],
                "reasons": [str(reason) for reason in self.reasons]}


@dataclass(frozen=True)
class FaceMatchResult:
    status: CheckStatus
    score: float | None
    distance: float | None
    threshold: float
    model: str
    reasons: tuple[FaceReason, ...]
    sides: dict[str, SideReport]
    frame_indices: tuple[int, ...] = ()  # selfie frames compared
    frame_distances: tuple[float, ...] = ()
    portrait_box: Box | None = None
    # Pixels for the evidence store; never part of to_dict.
    portrait_crop: npt.NDArray[np.uint8] | None = field(default=None, repr=False, compare=False)
    selfie_crops: tuple[npt.NDArray[np.uint8], ...] = field(default=(), repr=False, compare=False)

    @property
    def match(self) -> bool:
        return self.status is CheckStatus.PASS

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "match": self.match,
            "score": _rounded(self.score),
            "distance": _rounded(self.distance),
            "threshold": self.threshold,
            "model": self.model,
            "reasons": [str(reason) for reason in self.reasons],
            "quality": {side: report.to_dict() for side, report in self.sides.items()},
            "frame_indices": list(self.frame_indices),
            "frame_distances": [round(distance, 4) for distance in self.frame_distances],
            "portrait_box": self.portrait_box.to_dict() if self.portrait_box else None,
        }


def encode(samples: Sequence[FaceSample]) -> npt.NDArray[np.float64]:
    """(n, 128) encodings of the samples' chips, in one batch through the network."""
    if not samples:
        return np.empty((0, 128))
    return np.array(face_encoder().compute_face_descriptor([sample.chip for sample in samples]))


def face_encoding(image: npt.NDArray[np.uint8], box: Box | None = None) -> npt.NDArray[np.float64] | None:
    """Encoding of the face in `box` (one a tracker found: no detection is run), or else of the largest
    face detected in `image`, without any quality gate; None when there is no face.

    For tracking one person across video frames (liveness face continuity), not for the decision.
    """
    rgb = as_rgb(image)
    face = place_face(rgb, box, "tracker", 1.0) if box is not None else next(iter(detect_faces(rgb)), None)
    if face is None:
        return None
    return np.array(face_encoder().compute_face_descriptor(face_chip(rgb, face)))


def encoding_distance(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    return float(np.linalg.norm(a - b))


def match_images(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8], threshold: float,
                 quality: FaceQualityPolicy = DEFAULT_QUALITY_POLICY) -> FaceMatchResult:
    """Compare the main face of two photos (each read like a document portrait: the largest face)."""
    first = sample_face(a, FaceRole.DOCUMENT, quality)
    second = sample_face(b, FaceRole.DOCUMENT, quality)
    sides = {"a": _side_report(first), "b": _side_report(second)}
    if not isinstance(first, FaceSample) or not isinstance(second, FaceSample):
        return _refused(sides, threshold)
    reference, probe = encode([first, second])
    return _measured((encoding_distance(reference, probe),), sides, threshold)


def compare_document_to_selfie(document_image: npt.NDArray[np.uint8], selfie_frames: Sequence[npt.NDArray[np.uint8]],
                               threshold: float, quality: FaceQualityPolicy = DEFAULT_QUALITY_POLICY,
                               frame_count: int = 3,
                               decisive_margin: float = 0.1) -> FaceMatchResult:
    """The face-match check: the document portrait against the best selfie frame, and up to `frame_count`
    of them (their median distance) only when the first is within `decisive_margin` of the threshold.
    Selfie frames are inspected only as far as needed: a second person in view is the liveness check's
    to find, on every 0.2 s of the video, not this check's on three frames.

    Images are RGB (or grey) like every image of this module; frames decoded by biometrics.video and
    images read by OpenCV are BGR and must be converted first (dlib's encoder was trained on RGB).

    fail: the distance is above `threshold`, or a second face is in view (document or selfie);
    inconclusive: the quality gate refused the portrait or every inspected selfie frame.
    """
    portrait = extract_document_portrait(document_image, quality)
    candidates = SelfieCandidates(selfie_frames, quality)
    selection = candidates.take(1)

    def sides() -> dict[str, SideReport]:
        return {"document": _side_report(portrait), "selfie": _selfie_side(selection)}

    if not isinstance(portrait, FaceSample) or not selection.samples or selection.multiple_faces:
        return _refused(sides(), threshold)
    reference, first = encode([portrait, selection.samples[0]])
    distances = [encoding_distance(reference, first)]
    if abs(distances[0] - threshold) < decisive_margin:
        selection = candidates.take(frame_count)
        if selection.multiple_faces:
            return _refused(sides(), threshold)
        distances += [encoding_distance(reference, probe) for probe in encode(selection.samples[1:])]
    result = _measured(tuple(distances), sides(), threshold)
    compared = selection.samples[:len(distances)]
    return replace(result, frame_indices=selection.frame_indices[:len(distances)], portrait_box=portrait.box,
                   portrait_crop=portrait.crop, selfie_crops=tuple(sample.crop for sample in compared))


def _refused(sides: dict[str, SideReport], threshold: float) -> FaceMatchResult:
    """No comparison: a side was refused by the quality gate (inconclusive) or shows a second face (fail)."""
    reasons = tuple(dict.fromkeys(reason for side in sides.values() for reason in side.reasons))
    status = CheckStatus.FAIL if FaceReason.MULTIPLE_FACES in reasons else CheckStatus.INCONCLUSIVE
    return FaceMatchResult(status, None, None, threshold, ENCODER_MODEL_NAME, reasons, sides)


def _measured(frame_distances: tuple[float, ...], sides: dict[str, SideReport], threshold: float) -> FaceMatchResult:
    distance = float(np.median(frame_distances))
    matched = distance <= threshold
    return FaceMatchResult(
        status=CheckStatus.PASS if matched else CheckStatus.FAIL,
        score=1.0 - distance,
        distance=distance,
        threshold=threshold,
        model=ENCODER_MODEL_NAME,
        reasons=() if matched else (FaceReason.FACES_DIFFER,),
        sides=sides,
        frame_distances=frame_distances,
    )


def _selfie_side(selection: SelfieSelection) -> SideReport:
    """The frames used; or, when none can be used (or a second face showed), the refused ones and why."""
    if selection.samples and not selection.multiple_faces:
        return SideReport(tuple(sample.quality for sample in selection.samples), ())
    return SideReport(tuple(refusal.quality for refusal in selection.refusals if refusal.quality is not None),
                      selection.reasons)


def _side_report(outcome: FaceSample | FaceRefusal) -> SideReport:
    if isinstance(outcome, FaceSample):
        return SideReport((outcome.quality,), ())
    return SideReport((outcome.quality,) if outcome.quality else (), outcome.reasons)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
