"""Accuracy over a labelled image set: every image encoded once, then all pairs compared at once.

Images the quality gate refuses are failures to acquire (FTA). The headline FMR and FNMR count every
pair with a refused image as a non-match, as the check itself does (a refusal can add to the FNMR, never
to the FMR); the same rates over the pairs actually compared (ISO/IEC 19795-1's FMR and FNMR) are
reported beside them, with the refused pairs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from biometrics.calibration import ErrorRates, error_rates, upper_bound_95
from biometrics.face_detection import as_rgb
from biometrics.face_matching import encode
from biometrics.face_models import ENCODER_MODEL_NAME
from biometrics.face_quality import FaceQualityPolicy, FaceReason
from biometrics.face_samples import FaceRefusal, FaceRole, sample_face


@dataclass(frozen=True)
class EncodedImage:
    encoding: npt.NDArray[np.float64] | None  # None: refused
    reasons: tuple[FaceReason, ...] = ()
    chip: npt.NDArray[np.uint8] | None = None  # the aligned face, for report thumbnails


@dataclass(frozen=True)
class PairDistances:
    """Distances of the compared pairs, with the image indices (i < j) of each pair."""

    genuine: npt.NDArray[np.float64]
    impostor: npt.NDArray[np.float64]
    genuine_index: npt.NDArray[np.intp]  # (n, 2)
    impostor_index: npt.NDArray[np.intp]
    refused_genuine: int
    refused_impostor: int


@dataclass(frozen=True)
class FaceEvaluation:
    images: int
    identities: int
    refused_images: int
    refusal_reasons: dict[str, int]
    pairs: PairDistances
    rates: ErrorRates  # over compared pairs

    @property
    def fta(self) -> float:
        return self.refused_images / self.images if self.images else 0.0

    def to_dict(self) -> dict[str, Any]:
        rates, pairs = self.rates, self.pairs
        genuine_total = rates.genuine_pairs + pairs.refused_genuine
        impostor_total = rates.impostor_pairs + pairs.refused_impostor
        return {
            "images": self.images,
            "identities": self.identities,
            "genuine_pairs": genuine_total,
            "impostor_pairs": impostor_total,
            "threshold": rates.threshold,
            "model": ENCODER_MODEL_NAME,
            "fmr": _ratio(rates.false_matches, impostor_total),
            "fnmr": _ratio(rates.false_non_matches + pairs.refused_genuine, genuine_total),
            "fta": round(self.fta, 6),
            "fmr_upper_95": round(upper_bound_95(rates.false_matches, impostor_total), 6) if impostor_total else None,
            "false_matches": rates.false_matches,
            "false_non_matches": rates.false_non_matches + pairs.refused_genuine,
            "refused_images": self.refused_images,
            "refusal_reasons": self.refusal_reasons,
            "refused_pairs": {"genuine": pairs.refused_genuine, "impostor": pairs.refused_impostor},
            "compared_pairs": {
                "genuine": rates.genuine_pairs,
                "impostor": rates.impostor_pairs,
                "fmr": _ratio(rates.false_matches, rates.impostor_pairs),
                "fnmr": _ratio(rates.false_non_matches, rates.genuine_pairs),
            },
        }


def encode_images(images: Iterable[npt.NDArray[np.uint8]], policy: FaceQualityPolicy) -> list[EncodedImage]:
    """Each image's main face through the same gate and encoder as `match_images`."""
    encoded = []
    for image in images:
        outcome = sample_face(image, FaceRole.DOCUMENT, policy)
        if isinstance(outcome, FaceRefusal):
            encoded.append(EncodedImage(None, outcome.reasons))
        else:
            encoded.append(EncodedImage(encode([outcome])[0], chip=outcome.chip))
    return encoded


def baseline_encode_images(images: Iterable[npt.NDArray[np.uint8]]) -> list[EncodedImage]:
    """Plain face_recognition, as its README uses it: HOG with one upsampling, first face found."""
    import face_recognition

    encoded = []
    for image in images:
        found = face_recognition.face_encodings(as_rgb(image))
        encoded.append(EncodedImage(found[0]) if found else EncodedImage(None, (FaceReason.FACE_NOT_FOUND,)))
    return encoded


def pair_distances(encodings: Sequence[npt.NDArray[np.float64] | None], identities: Sequence[str]) -> PairDistances:
    if len(encodings) != len(identities):
        raise ValueError("one identity per encoding")
    labels = np.asarray(identities)
    accepted = np.array([encoding is not None for encoding in encodings], dtype=bool)
    first, second = np.triu_indices(len(encodings), k=1)
    same = labels[first] == labels[second]
    compared = accepted[first] & accepted[second]
    matrix = np.zeros((len(encodings), 128))
    for index, encoding in enumerate(encodings):
        if encoding is not None:
            matrix[index] = encoding
    distances = np.linalg.norm(matrix[first] - matrix[second], axis=1)
    pairs = np.stack([first, second], axis=1)
    genuine, impostor = compared & same, compared & ~same
    return PairDistances(
        genuine=distances[genuine], impostor=distances[impostor],
        genuine_index=pairs[genuine], impostor_index=pairs[impostor],
        refused_genuine=int(np.count_nonzero(~compared & same)),
        refused_impostor=int(np.count_nonzero(~compared & ~same)),
    )


def evaluate(encoded: Sequence[EncodedImage], identities: Sequence[str], threshold: float) -> FaceEvaluation:
    pairs = pair_distances([image.encoding for image in encoded], identities)
    reasons = Counter(str(reason) for image in encoded for reason in image.reasons)
    return FaceEvaluation(
        images=len(encoded),
        identities=len(set(identities)),
        refused_images=sum(image.encoding is None for image in encoded),
        refusal_reasons=dict(sorted(reasons.items())),
        pairs=pairs,
        rates=error_rates(pairs.genuine, pairs.impostor, threshold),
    )


def _ratio(events: int, total: int) -> float | None:
    return round(events / total, 6) if total else None
