"""Frame timing: container timestamps that go backwards, jump, or disagree with the declared frame rate.

A phone recording has steadily increasing timestamps at its declared rate (with jitter and the odd
dropped frame). Spliced, re-muxed or injected streams often do not. The score is the largest gap
between consecutive decoded frames divided by the median gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from biometrics.pad.base import PadInput, PadReason, PadScore


@dataclass(frozen=True)
class TimestampSignal:
    max_gap_ratio: float  # a gap longer than this many median frame intervals: anomaly
    max_rate_mismatch: float  # relative difference between measured and declared fps
    name: str = "timestamps"

    def measure(self, data: PadInput) -> PadScore:
        times = np.asarray(data.clip.decoded_timestamps, dtype=np.float64)
        if times.size < 3:
            return PadScore(self.name, None, self.max_gap_ratio, False, None, "fewer than three frames")
        gaps = np.diff(times)
        problems: list[str] = []
        if np.any(gaps <= 0):
            problems.append(f"{int(np.count_nonzero(gaps <= 0))} non-increasing timestamp(s)")
        median_gap = float(np.median(gaps))
        ratio = float(np.max(gaps) / median_gap) if median_gap > 0 else float(times.size)
        if ratio > self.max_gap_ratio:
            problems.append(f"gap of {float(np.max(gaps)):.3f} s")
        declared = data.clip.source_fps
        if declared > 0 and median_gap > 0 and abs(1.0 / median_gap - declared) / declared > self.max_rate_mismatch:
            problems.append(f"{1.0 / median_gap:.1f} fps measured, {declared:.1f} declared")
        attack = bool(problems)
        return PadScore(self.name, ratio, self.max_gap_ratio, attack,
                        PadReason.TIMESTAMP_ANOMALY if attack else None, "; ".join(problems))
