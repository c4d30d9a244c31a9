"""Error rates of a distance threshold and the threshold for a target false match rate (ISO/IEC 19795-1).

Distances, not similarities: a comparison matches when `distance <= threshold`.

An empirical threshold for FMR 1e-3 needs enough impostor pairs to observe that rate: with n pairs and
no false match the 95% upper bound on the FMR is ~3/n (rule of three), so n >= 3 / target before the
sample can show the target is met. Below that, the threshold comes from a Gaussian fitted to the
impostor distances (their lower tail is close to normal for dlib encodings: 128-d sums of many small
independent differences), extrapolated to the target FMR divided by a safety factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt
from scipy.stats import beta

_RULE_OF_THREE = 3.0  # -ln(0.05): events for a 95% one-sided bound when none is observed


@dataclass(frozen=True)
class ErrorRates:
    threshold: float
    genuine_pairs: int
    impostor_pairs: int
    false_matches: int
    false_non_matches: int

    @property
    def fmr(self) -> float | None:
        return self.false_matches / self.impostor_pairs if self.impostor_pairs else None

    @property
    def fnmr(self) -> float | None:
        return self.false_non_matches / self.genuine_pairs if self.genuine_pairs else None

    @property
    def fmr_upper_95(self) -> float | None:
        """One-sided 95% Clopper-Pearson upper bound on the FMR."""
        return upper_bound_95(self.false_matches, self.impostor_pairs) if self.impostor_pairs else None


@dataclass(frozen=True)
class DetPoint:
    threshold: float
    fmr: float
    fnmr: float


@dataclass(frozen=True)
class Calibration:
    target_fmr: float
    threshold: float
    method: str  # "empirical" or "gaussian_tail"
    impostor_pairs: int
    resolvable: bool  # enough impostor pairs to observe the target FMR empirically
    empirical_threshold: float
    gaussian_threshold: float
    safety_factor: float

    def to_dict(self) -> dict[str, float | int | bool | str]:
        return {
            "target_fmr": self.target_fmr,
            "threshold": round(self.threshold, 4),
            "method": self.method,
            "impostor_pairs": self.impostor_pairs,
            "resolvable": self.resolvable,
            "empirical_threshold": round(self.empirical_threshold, 4),
            "gaussian_threshold": round(self.gaussian_threshold, 4),
            "safety_factor": self.safety_factor,
        }


def error_rates(genuine: npt.NDArray[np.float64], impostor: npt.NDArray[np.float64], threshold: float) -> ErrorRates:
    return ErrorRates(
        threshold=threshold,
        genuine_pairs=len(genuine),
        impostor_pairs=len(impostor),
        false_matches=int(np.count_nonzero(impostor <= threshold)),
        false_non_matches=int(np.count_nonzero(genuine > threshold)),
    )


def det_curve(genuine: npt.NDArray[np.float64], impostor: npt.NDArray[np.float64]) -> list[DetPoint]:
    """(threshold, FMR, FNMR) at every distinct observed distance, thresholds increasing."""
    if len(genuine) == 0 or len(impostor) == 0:
        return []
    thresholds = np.unique(np.concatenate([genuine, impostor]))
    fmr = np.searchsorted(np.sort(impostor), thresholds, side="right") / len(impostor)
    fnmr = 1.0 - np.searchsorted(np.sort(genuine), thresholds, side="right") / len(genuine)
    return [DetPoint(float(t), float(m), float(n)) for t, m, n in zip(thresholds, fmr, fnmr, strict=True)]


def empirical_threshold(impostor: npt.NDArray[np.float64], target_fmr: float) -> float:
    """The largest threshold at which at most floor(target x n) impostor pairs match."""
    if len(impostor) == 0:
        raise ValueError("no impostor distances")
    allowed = int(np.floor(target_fmr * len(impostor)))
    ordered = np.sort(impostor)
    if allowed >= len(ordered):
        return float(ordered[-1])
    return float(np.nextafter(ordered[allowed], -np.inf))  # just below the first pair not allowed


def gaussian_threshold(impostor: npt.NDArray[np.float64], target_fmr: float) -> float:
    """The distance below which a normal law fitted to the impostor distances puts `target_fmr` of them."""
    if len(impostor) < 2:
        raise ValueError("at least two impostor distances are needed")
    fitted = NormalDist(float(np.mean(impostor)), float(np.std(impostor, ddof=1)))
    return fitted.inv_cdf(target_fmr)


def calibrate_threshold(impostor: npt.NDArray[np.float64], target_fmr: float,
                        safety_factor: float = 10.0) -> Calibration:
    """Threshold for `target_fmr`: the empirical quantile when the sample resolves it, never above the
    Gaussian-tail estimate at target / safety_factor."""
    if not 0.0 < target_fmr < 1.0:
        raise ValueError("target_fmr must be in (0, 1)")
    resolvable = len(impostor) * target_fmr >= _RULE_OF_THREE
    empirical = empirical_threshold(impostor, target_fmr)
    gaussian = gaussian_threshold(impostor, target_fmr / safety_factor)
    if resolvable and empirical < gaussian:
        threshold, method = empirical, "empirical"
    else:
        threshold, method = gaussian, "gaussian_tail"
    return Calibration(target_fmr, threshold, method, len(impostor), resolvable, empirical, gaussian, safety_factor)


def upper_bound_95(events: int, trials: int) -> float:
    """One-sided 95% Clopper-Pearson upper bound of a proportion (3/n-like when no event is seen)."""
    if trials <= 0:
        raise ValueError("trials must be positive")
    if events >= trials:
        return 1.0
    return float(beta.ppf(0.95, events + 1, trials - events))
