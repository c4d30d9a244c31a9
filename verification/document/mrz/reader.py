"""Reading an MRZ from a photo: find the band, OCR it a few ways, correct with the check digits, parse.

For each candidate band (upright first, sideways only if that reads nothing), crop, scale to a glyph
height and binarisation, tesseract reads the lines with two models, one trained on MRZs and its English
one (verification.document.mrz.ocr; the search: verification.document.mrz.search). Each line is rebuilt on
its printed glyphs (verification.document.mrz.lines), fitted to a format, corrected and parsed, its fields
re-read when it fails its checks (verification.document.mrz.candidate). A valid reading must be confirmed
by a second one (see read_mrz); the names, which no check digit covers, are read until two tries agree on
them, then taken from the reading closest to all (verification.document.mrz.names). A reading is never
made valid by anything but evidence from the image or a correction the check digits single out.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from verification.common.outcome import CheckStatus
from verification.document.mrz.agreement import Verdicts, agreeing_captures
from verification.document.mrz.band import to_gray
from verification.document.mrz.candidate import checked_content
from verification.document.mrz.correction import Correction
from verification.document.mrz.parser import MrzResult
from verification.document.mrz.search import DEFAULT_OPTIONS, Box, ReaderOptions, SearchOutcome, search


class MrzReason(StrEnum):
    NOT_FOUND = "mrz_not_found"  # no band of MRZ-like lines in the image
    UNREADABLE = "mrz_unreadable"  # a band, but no reading of a known format
    CHECK_DIGIT_FAILED = "mrz_check_digit_failed"
    AMBIGUOUS = "mrz_ambiguous"  # several corrections satisfy every check: none is chosen
    # Readings that pass every check but disagree, or one that passes only after help no other confirms.
    UNCONFIRMED = "mrz_unconfirmed"
    NAMES_UNVERIFIED = "mrz_names_unverified"  # names were read but no check digit covers them
    INVALID_CONTENT = "mrz_invalid_content"  # format problems (bad dates, letters in digit fields...)


@dataclass(frozen=True)
class MrzReading:
    status: CheckStatus
    lines: tuple[str, ...]
    result: MrzResult | None
    corrections: tuple[Correction, ...]
    valid_candidates: int  # 0: no reading passes; 1: one does; >1: ambiguous
    reasons: tuple[MrzReason, ...]
    elapsed_ms: float
    ocr_calls: int
    raw_text: tuple[str, ...] = field(default=())  # what tesseract read, before any correction
    # Per MrzFields attribute: None where independent readings confirm it, else why not (see agreement).
    field_confirmations: Verdicts = field(default_factory=dict)
    band_box: Box | None = None  # x, y, width, height of the band read, in the image

    @property
    def valid(self) -> bool:
        return self.status is CheckStatus.PASS

    @property
    def unconfirmed(self) -> bool:
        """Every check holds, but no second reading of the image agreed (see read_mrz)."""
        return MrzReason.UNCONFIRMED in self.reasons

    @property
    def score(self) -> float | None:
        """Fraction of check digits that hold (None when nothing was read)."""
        if self.result is None or not self.result.checks:
            return None
        return sum(c.valid for c in self.result.checks) / len(self.result.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "score": self.score,
            "mrz_type": None if self.result is None or self.result.format is None else str(self.result.format),
            "lines": list(self.lines),
            "fields": None if self.result is None or self.result.fields is None else self.result.fields.to_dict(),
            "checks": [] if self.result is None else [c.to_dict() for c in self.result.checks],
            "problems": [] if self.result is None else list(self.result.problems),
            "corrections": [c.to_dict() for c in self.corrections],
            "valid_candidates": self.valid_candidates,
            "reasons": [str(r) for r in self.reasons],
            "elapsed_ms": round(self.elapsed_ms, 1),
            "ocr_calls": self.ocr_calls,
            "field_confirmations": {name: None if reason is None else str(reason)
                                    for name, reason in self.field_confirmations.items()},
            "band_box": None if self.band_box is None else list(self.band_box),
        }

def confirmed_by(reading: MrzReading, others: Sequence[MrzReading]) -> MrzReading:
    """A reading corroborated by other captures of the document (a second photo, other video frames)
    whose valid readings agree with it on every checked field: captures with their own noise, blur and
    framing. An unconfirmed reading (every check holds, one try said so) becomes valid, and each field the
    captures read alike is confirmed (verification.document.mrz.agreement.agreeing_captures)."""
    result = reading.result
    if result is None or result.fields is None or result.format is None or not (reading.valid or reading.unconfirmed):
        return reading
    content = checked_content(result)
    for other in others:
        if (other.result is not None and other.result.valid and other.result.format is result.format
                and other.result.fields is not None and checked_content(other.result) == content):
            verdicts = agreeing_captures(reading.field_confirmations, result.fields, other.result.fields,
                                         result.format)
            reading = replace(reading, field_confirmations=verdicts)
            if reading.unconfirmed:
                reading = replace(reading, status=CheckStatus.PASS, reasons=(MrzReason.NAMES_UNVERIFIED,))
    return reading


def read_mrz(image: npt.NDArray[np.uint8], *, today: date | None = None,
             options: ReaderOptions = DEFAULT_OPTIONS) -> MrzReading:
    """Read and validate the MRZ of a BGR or grey document image (see verification.document.mrz.search)."""
    started = time.perf_counter()
    return _reading(search(to_gray(image), options, today), started)


def _reading(found: SearchOutcome, started: float) -> MrzReading:
    elapsed = (time.perf_counter() - started) * 1000
    best, calls, found_band, unconfirmed = found.best, found.calls, found.found_band, found.unconfirmed
    if best.result is None or best.outcome is None:
        reason = MrzReason.UNREADABLE if found_band else MrzReason.NOT_FOUND
        return MrzReading(CheckStatus.INCONCLUSIVE, (), None, (), 0, (reason,), elapsed, calls, best.raw,
                          band_box=found.band_box)
    result, outcome = best.result, best.outcome
    reasons: list[MrzReason] = []
    if result.valid and not unconfirmed:
        status = CheckStatus.PASS
        reasons.append(MrzReason.NAMES_UNVERIFIED)
    else:
        status = CheckStatus.FAIL
        if outcome.valid_candidates > 1:
            reasons.append(MrzReason.AMBIGUOUS)
        if unconfirmed:
            reasons.append(MrzReason.UNCONFIRMED)
        if result.failed_checks:
            reasons.append(MrzReason.CHECK_DIGIT_FAILED)
        if result.problems:
            reasons.append(MrzReason.INVALID_CONTENT)
    return MrzReading(
        status, outcome.lines, result, outcome.corrections, outcome.valid_candidates, tuple(reasons), elapsed, calls,
        best.raw, found.verdicts, found.band_box,
    )
