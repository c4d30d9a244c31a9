"""Passive presentation-attack detection: independent signals behind one small interface (base.PadSignal).

`default_signals` builds the set the liveness check runs; a stronger detector is added by appending
one more object with `name` and `measure` (see base.py), with its threshold in `PadThresholds`.
"""

from __future__ import annotations

from dataclasses import dataclass

from biometrics.pad.base import PadInput, PadReason, PadScore, PadSignal
from biometrics.pad.frozen import FrozenFramesSignal
from biometrics.pad.moire import MoireSignal
from biometrics.pad.planarity import ParallaxSignal
from biometrics.pad.timing import TimestampSignal

__all__ = ["PadInput", "PadReason", "PadScore", "PadSignal", "PadThresholds", "default_signals"]


@dataclass(frozen=True)
class PadThresholds:
    """Decision thresholds of the default signals (the policy may override any of them)."""

    min_parallax: float = 0.025  # nose displacement off the face plane, x inter-ocular distance
    max_still_s: float = 0.5  # longest stretch of unchanged or repeated face frames
    max_gap_ratio: float = 5.0  # longest frame interval / median interval
    max_rate_mismatch: float = 0.25  # |measured fps - declared fps| / declared fps
    max_moire_ratio: float = 12.0  # strongest spectral peak / median at its frequency


def default_signals(thresholds: PadThresholds) -> tuple[PadSignal, ...]:
    return (
        ParallaxSignal(thresholds.min_parallax),
        FrozenFramesSignal(thresholds.max_still_s),
        TimestampSignal(thresholds.max_gap_ratio, thresholds.max_rate_mismatch),
        MoireSignal(thresholds.max_moire_ratio),
    )
