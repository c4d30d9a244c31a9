"""Face quality: measurements on a detected face, and the gate that refuses unusable faces with reasons.

A refused face is reported, never guessed at: matching a face too small or too blurred for the encoder
produces distances the calibration does not cover (grey 23x28 px faces put impostors at distances
where colour photos only put genuine pairs).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.face_detection import LEFT_EYE, NOSE_TIP, RIGHT_EYE, DetectedFace
from biometrics.head_pose import NO_DISTORTION

# dlib's encoder input: a 150x150 chip aligned on the landmarks with 25% padding (its own defaults).
CHIP_SIZE = 150
CHIP_PADDING = 0.25


class FaceReason(StrEnum):
    """Stable reason codes of the face-match check."""

    FACE_NOT_FOUND = "face_not_found"
    MULTIPLE_FACES = "multiple_faces"
    FACE_TOO_SMALL = "face_too_small"
    FACE_BLURRED = "face_blurred"
    FACE_NOT_FRONTAL = "face_not_frontal"
    EYES_CLOSED = "eyes_closed"
    FACES_DIFFER = "faces_differ"


@dataclass(frozen=True)
class FaceQualityPolicy:
    """Refusal limits; the defaults and where they come from:

    - min_inter_eye_px: 30 px, the minimum inter-eye distance usually asked of a face for automated
      comparison (ISO/IEC 19794-5 / ICAO portrait guidance ask ~60 px for a good image; 30 is the floor).
    - min_sharpness: variance of the Laplacian of the grey 150-px aligned chip. Sharp photos measure
      ~50-2300 there; the same chips blurred by a Gaussian of sigma 1.5 px measure ~10-40. 25 refuses
      clearly blurred faces only.
    - max_abs_yaw_deg / max_abs_pitch_deg: beyond a half profile (45 deg) one eye is hidden and the
      landmark alignment the encoder relies on breaks down; pitch is tighter, as the chin/forehead foreshorten.
    - min_eye_openness: eye aspect ratio (Soukupova & Cech 2016); 0.2 is their blink threshold,
      0.15 refuses closed eyes and tolerates squinting.
    - document_ghost_ratio: on a document, faces narrower than this fraction of the largest one are
      secondary portraits (ghost images, miniatures), ignored rather than counted as a second person.
    """

    min_inter_eye_px: float = 30.0
    min_sharpness: float = 25.0
    max_abs_yaw_deg: float = 45.0
    max_abs_pitch_deg: float = 30.0
    min_eye_openness: float = 0.15
    document_ghost_ratio: float = 0.6


DEFAULT_QUALITY_POLICY = FaceQualityPolicy()


@dataclass(frozen=True)
class FaceQuality:
    inter_eye_px: float
    sharpness: float
    yaw_deg: float  # > 0 when the person turns to their left (biometrics.challenge convention)
    pitch_deg: float  # > 0 when the person looks up
    eye_openness: float
    detector: str

    def to_dict(self) -> dict[str, float | str]:
        return {
            "inter_eye_px": round(self.inter_eye_px, 1),
            "sharpness": round(self.sharpness, 1),
            "yaw_deg": round(self.yaw_deg, 1),
            "pitch_deg": round(self.pitch_deg, 1),
            "eye_openness": round(self.eye_openness, 3),
            "detector": self.detector,
        }


def measure_quality(face: DetectedFace, chip: npt.NDArray[np.uint8], image_shape: tuple[int, ...]) -> FaceQuality:
    """Quality of `face`; `chip` is its aligned encoder chip (sharpness is measured there, at a fixed scale)."""
    yaw, pitch = head_pose(face.landmarks, image_shape)
    grey_chip = cv2.cvtColor(chip, cv2.COLOR_RGB2GRAY)
    return FaceQuality(
        inter_eye_px=face.inter_eye_px,
        sharpness=float(cv2.Laplacian(grey_chip, cv2.CV_64F).var()),
        yaw_deg=yaw,
        pitch_deg=pitch,
        eye_openness=(eye_aspect_ratio(face.landmarks[RIGHT_EYE]) + eye_aspect_ratio(face.landmarks[LEFT_EYE])) / 2,
        detector=face.detector,
    )


def refusal_reasons(quality: FaceQuality, policy: FaceQualityPolicy) -> tuple[FaceReason, ...]:
    """Why this face cannot be compared; empty when it can."""
    checks = (
        (quality.inter_eye_px < policy.min_inter_eye_px, FaceReason.FACE_TOO_SMALL),
        (quality.sharpness < policy.min_sharpness, FaceReason.FACE_BLURRED),
        # written as "not within" so that an unmeasurable (NaN) pose is refused too
        (not (abs(quality.yaw_deg) <= policy.max_abs_yaw_deg and abs(quality.pitch_deg) <= policy.max_abs_pitch_deg),
         FaceReason.FACE_NOT_FRONTAL),
        (quality.eye_openness < policy.min_eye_openness, FaceReason.EYES_CLOSED),
    )
    return tuple(reason for refused, reason in checks if refused)


def eye_aspect_ratio(eye: npt.NDArray[np.float64]) -> float:
    """(|p2-p6| + |p3-p5|) / (2 |p1-p4|) over the six landmarks of one eye: ~0.3 open, ~0.1 closed."""
    vertical = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    horizontal = np.linalg.norm(eye[0] - eye[3])
    return float(vertical / (2 * horizontal)) if horizontal > 0 else 0.0


# A generic head in millimetres, OpenCV camera axes (x right, y down, z away from the camera):
# nose tip, chin, outer eye corners (person's right then left), mouth corners.
_HEAD_MODEL = np.array([
    (0.0, 0.0, 0.0), (0.0, 63.6, 12.5), (-43.3, -32.7, 26.0), (43.3, -32.7, 26.0),
    (-28.9, 28.9, 24.1), (28.9, 28.9, 24.1),
], dtype=np.float64)
_HEAD_MODEL_LANDMARKS = [NOSE_TIP, 8, 36, 45, 48, 54]


def head_pose(landmarks: npt.NDArray[np.float64], image_shape: tuple[int, ...]) -> tuple[float, float]:
    """(yaw, pitch) in degrees from six landmarks (solvePnP, focal length ~ image width, no distortion)."""
    height, width = image_shape[:2]
    camera = np.array([[width, 0, width / 2], [0, width, height / 2], [0, 0, 1]], dtype=np.float64)
    ok, rotation_vector, _ = cv2.solvePnP(_HEAD_MODEL, landmarks[_HEAD_MODEL_LANDMARKS], camera, NO_DISTORTION,
                                          flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        return float("nan"), float("nan")
    rotation, _ = cv2.Rodrigues(rotation_vector)
    # Rotation about the camera's y axis (yaw) and x axis (pitch); signs per biometrics.challenge.
    yaw = -np.degrees(np.arcsin(np.clip(-rotation[2, 0], -1.0, 1.0)))
    pitch = -np.degrees(np.arctan2(rotation[2, 1], rotation[2, 2]))
    return float(yaw), float(pitch)
