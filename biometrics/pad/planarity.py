"""Parallax: a flat photo or screen moves as a plane, a real head does not.

Any motion of a plane (moved, tilted, turned in front of the camera) maps its image points from one frame
to another by a single homography. On a real head the nose stands 3-4 cm in front of the eyes, brows and
mouth: when the head turns, the nose slides across the face, away from where the homography of the rest
of the face puts it. The score is that displacement of the nose points, in units of the face's
inter-ocular distance, between the most frontal frame and the most turned frames.

Caveat, measured on videos made by turning photos as planes: a photo turned as a plane rarely reaches a head-pose
deviation of 15 degrees at all, because solvePnP reads yaw from the very same nose-to-eyes geometry. The
turn actions of the challenge are thus the first line against flat photos; this signal is the explicit
measurement behind it and catches a flat face that the pose estimator takes for a turned one.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.head_pose import inter_ocular_distance
from biometrics.pad.base import PadInput, PadReason, PadScore

# Mesh points around the nose, roughly one surface: eye corners, brows, mouth corners, chin, forehead.
FACE_PLANE_POINTS = (33, 133, 362, 263, 70, 300, 105, 334, 61, 291, 152, 10)
NOSE_POINTS = (1, 2, 4, 5, 98, 327)  # tip, base, bridge end, nostrils


@dataclass(frozen=True)
class ParallaxSignal:
    min_parallax: float  # below: the face moved like a plane (attack)
    min_deviation_deg: float = 15.0  # only frames turned this far show enough parallax to judge
    min_frames: int = 3  # fewer turned frames: a pose glitch, not a turn; nothing to judge
    peak_frames: int = 5  # the score is the median over this many most-turned frames
    name: str = "parallax"

    def measure(self, data: PadInput) -> PadScore:
        deviation = data.pose_deviation_deg
        with_face = [i for i, lm in enumerate(data.landmarks) if lm is not None and not np.isnan(deviation[i])]
        turned = [i for i in with_face if deviation[i] >= self.min_deviation_deg]
        if len(turned) < self.min_frames:
            return PadScore(self.name, None, self.min_parallax, False, PadReason.PARALLAX_UNMEASURED,
                            f"{len(turned)} frame(s) turned by {self.min_deviation_deg:g} degrees or more")
        reference = _landmarks(data, min(with_face, key=lambda i: deviation[i]))
        peaks = sorted(turned, key=lambda i: deviation[i], reverse=True)[: self.peak_frames]
        score = float(np.median([nose_parallax(reference, _landmarks(data, i)) for i in peaks]))
        attack = score < self.min_parallax
        return PadScore(
            self.name, score, self.min_parallax, attack, PadReason.FLAT_MOTION if attack else None,
            f"median over {len(peaks)} frames turned {min(deviation[peaks]):.0f}-{max(deviation[peaks]):.0f} degrees",
        )


def _landmarks(data: PadInput, index: int) -> npt.NDArray[np.float64]:
    landmarks = data.landmarks[index]
    if landmarks is None:
        raise ValueError(f"frame {index} has no face")
    return landmarks


def nose_parallax(reference: npt.NDArray[np.float64], moved: npt.NDArray[np.float64]) -> float:
    """Mean distance between the nose points in `moved` and where the homography fitted on the face-plane
    points puts them, divided by the reference's inter-ocular distance. Least squares on purpose: the
    homography must explain the whole face plane, not a convenient subset of it."""
    plane = list(FACE_PLANE_POINTS)
    nose = list(NOSE_POINTS)
    homography, _ = cv2.findHomography(reference[plane, :2], moved[plane, :2], 0)
    if homography is None:
        raise ValueError("degenerate landmarks: no homography")
    predicted = cv2.perspectiveTransform(reference[nose, :2].reshape(-1, 1, 2), homography).reshape(-1, 2)
    distance = np.linalg.norm(predicted - moved[nose, :2], axis=1)
    return float(np.mean(distance)) / max(inter_ocular_distance(reference), 1e-6)
