"""One OCR reading of a band interpreted as an MRZ: its lines fitted to a format, corrected with the check
digits (verification.document.mrz.correction) and parsed (verification.document.mrz.parser); a reading that
fails its checks has its digit, code and sex fields re-read one by one with their own alphabet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from verification.document.mrz.band import Glyph
from verification.document.mrz.correction import CorrectionOutcome, PositionKind, correct, fit_length
from verification.document.mrz.formats import FieldKind, FieldSpan, MrzFormat, detect_format, field_layout
from verification.document.mrz.lines import choose_lines, text_lines
from verification.document.mrz.ocr import PSM_SINGLE_LINE, OcrLine, recognise
from verification.document.mrz.parser import MrzResult, parse_mrz


def position_kinds(fmt: MrzFormat) -> list[list[PositionKind]]:
    """The parser's layout as one correction kind per character."""
    spans = field_layout(fmt)
    lines: dict[int, list[PositionKind]] = {}
    for span in spans:
        if span.kind is FieldKind.LETTERS and "name" in span.name:
            kind = PositionKind.NAME
        else:
            kind = {
                FieldKind.LETTERS: PositionKind.LETTER,
                FieldKind.DIGITS: PositionKind.DIGIT,
                FieldKind.DATE: PositionKind.DIGIT,
                FieldKind.ALNUM: PositionKind.ALNUM,
                FieldKind.CHECK: PositionKind.CHECK,
                FieldKind.SEX: PositionKind.SEX,
            }[span.kind]
        if span.name in ("issuing_state", "nationality"):
            kind = PositionKind.STATE
        elif kind is PositionKind.ALNUM and len(span.checked_by) >= 2:
            kind = PositionKind.ALNUM_CHECKED
        kinds = [kind] * (span.end - span.start)
        if span.name == "document_code":
            kinds[0] = PositionKind.DOCUMENT_TYPE
        lines.setdefault(span.line, []).extend(kinds)
    return [lines[i] for i in sorted(lines)]


_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ<"


def _field_alphabet(span: FieldSpan) -> str | None:
    """The characters a field is re-read with on its own; None for names and free alphanumeric fields,
    where a narrower alphabet would prove nothing."""
    if span.kind in (FieldKind.DATE, FieldKind.DIGITS, FieldKind.CHECK):
        return _DIGITS
    if span.kind is FieldKind.SEX:
        return "MFX<"
    if span.kind is FieldKind.LETTERS and "name" not in span.name:
        return _LETTERS
    return None


def _reread_fields(lines: Sequence[str], fmt: MrzFormat, glyphs: Sequence[tuple[Glyph, ...] | None],
                   image: npt.NDArray[np.uint8], model: str) -> list[str]:
    """The lines with their digit, code and sex fields re-read one by one, each restricted to the
    characters its type allows. Tesseract's language model pulls a date read after letters towards
    letters (F1901012 -> FIDOVOT); alone, with digits only, it reads the digits. Filler glyphs keep '<'.
    Only lines whose glyphs were matched one to one can be cut into fields."""
    out = [list(line) for line in lines]
    groups: list[list[Any]] = []  # [line, start, end, alphabet]: consecutive fields of one alphabet
    for span in field_layout(fmt):
        alphabet = _field_alphabet(span)
        if alphabet is None or glyphs[span.line] is None:
            continue
        last = groups[-1] if groups else None
        if last is not None and last[0] == span.line and last[2] == span.start and last[3] == alphabet:
            last[2] = span.end
        else:
            groups.append([span.line, span.start, span.end, alphabet])
    for line, start, end, alphabet in groups:
        cells = glyphs[line][start:end]
        positions = [start + i for i, glyph in enumerate(cells) if not glyph.chevron]
        if not positions:
            continue
        height = max(g.box[3] for g in cells) - min(g.box[1] for g in cells)
        pad = max(2, height // 2)
        x0, x1 = min(g.box[0] for g in cells) - pad, max(g.box[2] for g in cells) + pad
        y0, y1 = min(g.box[1] for g in cells) - pad, max(g.box[3] for g in cells) + pad
        field = image[max(0, y0) : y1, max(0, x0) : x1]
        text = "".join(s.char for ocr_line in recognise(field, psm=PSM_SINGLE_LINE, whitelist=alphabet,
                                                                  language=model)
                       for s in ocr_line)
        if len(text) == len(positions):
            for position, char in zip(positions, text, strict=True):
                out[line][position] = char
    return ["".join(chars) for chars in out]

@dataclass
class Candidate:
    """A reading of a band as an MRZ (empty: nothing read yet) and how it came about."""

    outcome: CorrectionOutcome | None = None
    result: MrzResult | None = None
    raw: tuple[str, ...] = ()
    reread: bool = False  # fields were re-read one by one

    @property
    def as_read(self) -> bool:
        """Valid without help: no field re-read and no correction chosen by the check digits."""
        corrected = self.outcome is not None and any(c.rule == "check_digits" for c in self.outcome.corrections)
        return not (self.reread or corrected)

    @property
    def valid(self) -> bool:
        return self.result is not None and self.result.valid

    @property
    def score(self) -> float | None:
        if self.result is None or not self.result.checks:
            return None
        return sum(c.valid for c in self.result.checks) / len(self.result.checks)

    @property
    def format(self) -> MrzFormat:
        assert self.result is not None and self.result.format is not None
        return self.result.format

    def checked_content(self) -> tuple[str, ...]:
        assert self.result is not None
        return checked_content(self.result)

    def rank(self) -> tuple[int, int]:
        if self.result is None:
            return (-1, -1)
        return (int(self.result.valid), sum(c.valid for c in self.result.checks))


def interpret(ocr_lines: Sequence[OcrLine], image: npt.NDArray[np.uint8], ink: npt.NDArray[np.uint8],
              today: date | None, model: str) -> Candidate | None:
    """What tesseract read of a band (its lines, on the binarised `image`, whose glyphs are `ink`) as an
    MRZ of a known format; None when it fits none."""
    raw = tuple("".join(s.char for s in line) for line in ocr_lines)
    assembled = text_lines(ocr_lines, image, ink, model)
    window = choose_lines([len(line.text) for line in assembled])
    if window is None:
        return None
    start, count, length = window
    chosen = assembled[start : start + count]
    lines = [fit_length(line.text, length) for line in chosen]
    fmt = detect_format(lines)
    if fmt is None:
        return None
    best = _checked(lines, fmt, raw, today)
    aligned = [line.glyphs if line.glyphs is not None and len(line.text) == length else None for line in chosen]
    if not best.valid and any(g is not None for g in aligned):
        reread = _reread_fields(lines, fmt, aligned, image, model)
        if reread != lines:
            second = replace(_checked(reread, fmt, raw, today), reread=True)
            if second.rank() > best.rank():
                best = second
    return best


def _checked(lines: list[str], fmt: MrzFormat, raw: tuple[str, ...], today: date | None) -> Candidate:
    outcome = correct(lines, position_kinds(fmt), lambda candidate: parse_mrz(list(candidate), today=today).valid)
    return Candidate(outcome, parse_mrz(list(outcome.lines), today=today), raw)

def checked_content(result: MrzResult) -> tuple[str, ...]:
    """What the check digits vouch for: the characters of every field a check digit covers."""
    assert result.format is not None
    return tuple(result.lines[span.line][span.start : span.end] for span in field_layout(result.format)
                 if span.checked_by)

