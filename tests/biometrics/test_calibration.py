from __future__ import annotations

import numpy as np
import pytest

from biometrics.calibration import (
    calibrate_threshold,
    det_curve,
    empirical_threshold,
    error_rates,
    gaussian_threshold,
    upper_bound_95,
)
from biometrics.face_evaluation import EncodedImage, evaluate, pair_distances
from biometrics.face_quality import FaceReason


def test_error_rates_count_matches_at_or_below_the_threshold() -> None:
    rates = error_rates(np.array([0.2, 0.4, 0.6]), np.array([0.5, 0.7, 0.9, 1.0]), 0.5)
    assert (rates.false_matches, rates.false_non_matches) == (1, 1)
    assert rates.fmr == 0.25 and rates.fnmr == pytest.approx(1 / 3)


def test_empirical_threshold_allows_floor_of_target_times_pairs() -> None:
    impostor = np.linspace(0.5, 1.0, 2000)
    threshold = empirical_threshold(impostor, 1e-3)  # 2 false matches allowed, the third is not
    assert error_rates(np.array([]), impostor, threshold).false_matches == 2
    assert threshold < impostor[2]


def test_gaussian_threshold_is_the_normal_quantile() -> None:
    impostor = np.random.default_rng(0).normal(0.9, 0.08, 200_000)
    assert gaussian_threshold(impostor, 1e-3) == pytest.approx(0.9 - 3.0902 * 0.08, abs=2e-3)


def test_a_small_sample_gets_the_conservative_gaussian_tail() -> None:
    impostor = np.random.default_rng(1).normal(0.88, 0.085, 1500)  # < 3 / 1e-3 pairs: target unobservable
    calibration = calibrate_threshold(impostor, 1e-3)
    assert not calibration.resolvable and calibration.method == "gaussian_tail"
    assert calibration.threshold == pytest.approx(gaussian_threshold(impostor, 1e-4))
    assert calibration.threshold < calibration.empirical_threshold


def test_a_large_sample_uses_the_empirical_quantile_when_it_is_stricter() -> None:
    rng = np.random.default_rng(2)
    # A heavy lower tail the normal law underestimates: the empirical quantile is the stricter one.
    impostor = np.concatenate([rng.normal(0.9, 0.05, 20_000), rng.uniform(0.3, 0.6, 400)])
    calibration = calibrate_threshold(impostor, 1e-3)
    assert calibration.resolvable and calibration.method == "empirical"
    assert error_rates(np.array([]), impostor, calibration.threshold).fmr <= 1e-3


def test_upper_bound_follows_the_rule_of_three() -> None:
    assert upper_bound_95(0, 1476) == pytest.approx(3 / 1476, rel=0.01)
    assert upper_bound_95(5, 100) > 0.05


def test_det_curve_runs_from_all_rejected_to_all_accepted() -> None:
    points = det_curve(np.array([0.1, 0.3]), np.array([0.2, 0.8]))
    assert [(p.threshold, p.fmr, p.fnmr) for p in points] == [
        (0.1, 0.0, 0.5), (0.2, 0.5, 0.5), (0.3, 0.5, 0.0), (0.8, 1.0, 0.0)]


def test_pairs_with_a_refused_image_count_as_non_matches_and_are_reported_apart() -> None:
    near, far = np.zeros(128), np.full(128, 0.1)  # distance 1.13
    encoded = [EncodedImage(near), EncodedImage(near), EncodedImage(None, (FaceReason.FACE_TOO_SMALL,)),
               EncodedImage(far)]
    identities = ["a", "a", "a", "b"]
    pairs = pair_distances([image.encoding for image in encoded], identities)
    assert (len(pairs.genuine), len(pairs.impostor), pairs.refused_genuine, pairs.refused_impostor) == (1, 2, 2, 1)
    output = evaluate(encoded, identities, threshold=0.5).to_dict()
    assert (output["genuine_pairs"], output["impostor_pairs"]) == (3, 3)
    assert output["fnmr"] == pytest.approx(2 / 3) and output["fmr"] == 0.0
    assert output["compared_pairs"] == {"genuine": 1, "impostor": 2, "fmr": 0.0, "fnmr": 0.0}
    assert output["fta"] == 0.25 and output["refusal_reasons"] == {"face_too_small": 1}
