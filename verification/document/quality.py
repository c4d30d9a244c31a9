"""Image quality gate for document photos: resolution, blur, glare. Measures; thresholds come from the policy.

Glare is looked for where it does harm, the MRZ band and the portrait, when the check knows where they are:
a reflection elsewhere on the card does not matter, and one over the MRZ defeats the reader though it
covers a tiny share of the photo. A glare pixel is saturated AND well above its region's median,
so the white margin of a scan or a white card background is not taken for a reflection. Where the check
could not find the band or the portrait (glare may be why), the whole image is looked at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from verification.common.outcome import CheckStatus
from verification.document.mrz.band import to_gray

# Analysis width: blur and glare are compared across photos at one scale, whatever the camera.
ANALYSIS_WIDTH = 1000
GLARE_LEVEL = 250  # saturated
GLARE_CONTRAST = 20  # grey levels above the region's median: a reflection, not a white background

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in image pixels


class QualityReason(StrEnum):
    MOVE_CLOSER = "move_closer"  # too few pixels on the document
    IMAGE_BLURRED = "image_blurred"  # hold still / focus
    AVOID_GLARE = "avoid_glare"  # saturated reflections


@dataclass(frozen=True)
class QualityThresholds:
    min_width: int = 600
    min_height: int = 350
    min_sharpness: float = 60.0  # variance of the Laplacian at ANALYSIS_WIDTH
    max_glare_fraction: float = 0.08  # glare pixels in the MRZ band, the portrait or (neither known) the image


@dataclass(frozen=True)
class ImageQuality:
    status: CheckStatus
    score: float | None
    reasons: tuple[QualityReason, ...]
    width: int
    height: int
    sharpness: float
    glare_fraction: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "score": self.score,
            "reasons": [str(r) for r in self.reasons],
            "width": self.width,
            "height": self.height,
            "sharpness": round(self.sharpness, 1),
            "glare_fraction": round(self.glare_fraction, 4),
        }


def glare_fraction(gray: npt.NDArray[np.uint8], box: Box | None = None) -> float:
    """Share of a region's pixels (the whole image without a box) that are reflections: saturated and well
    above the region's median (see the module docstring)."""
    region = gray if box is None else gray[max(0, box[1]) : box[3], max(0, box[0]) : box[2]]
    if not region.size:
        return 0.0
    level = max(GLARE_LEVEL, float(np.median(region)) + GLARE_CONTRAST)
    return float(np.count_nonzero(region >= level)) / region.size


def assess_quality(image: npt.NDArray[np.uint8], thresholds: QualityThresholds,
                   regions: Sequence[Box | None] = (None,)) -> ImageQuality:
    """Resolution, sharpness, and glare over `regions` (the MRZ band, the portrait; None: the whole image)."""
    gray = to_gray(image)
    height, width = gray.shape
    scale = ANALYSIS_WIDTH / width
    scaled = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    sharpness = float(cv2.Laplacian(scaled, cv2.CV_64F).var())
    glare = max((glare_fraction(gray, box) for box in regions), default=0.0)
    reasons = []
    if width < thresholds.min_width or height < thresholds.min_height:
        reasons.append(QualityReason.MOVE_CLOSER)
    if sharpness < thresholds.min_sharpness:
        reasons.append(QualityReason.IMAGE_BLURRED)
    if glare > thresholds.max_glare_fraction:
        reasons.append(QualityReason.AVOID_GLARE)
    glare_share = min(1.0, glare / max(thresholds.max_glare_fraction, 1e-6))
    score = min(1.0, sharpness / (2 * thresholds.min_sharpness)) * (1.0 - glare_share / 2)
    status = CheckStatus.PASS if not reasons else CheckStatus.FAIL
    return ImageQuality(status, round(score, 3), tuple(reasons), width, height, sharpness, glare)
