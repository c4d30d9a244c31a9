"""An MRZ band's text lines assembled from what tesseract read and the printed glyphs under it.

Each line is rebuilt on its printed glyphs (verification.document.mrz.band.line_glyphs): a chevron-shaped
glyph, or one like the band's other chevrons, is a filler whatever tesseract said, an I or L is settled by
its bars, and when a line splits into exactly 30, 36 or 44 evenly spaced glyphs every glyph gets one
character. Then the consecutive lines closest to a format's line length are chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from verification.document.mrz.band import Glyph, fillers_by_template, line_glyphs
from verification.document.mrz.checkdigit import FILLER
from verification.document.mrz.ocr import PSM_SINGLE_CHARACTER, OcrLine, recognise

# A text line shorter than this is not an MRZ line, even badly read (TD1 lines are 30).
MIN_LINE_LENGTH = 22
# Lines further than this (characters, on average) from a format's length are not taken for an MRZ.
MAX_LENGTH_ERROR = 6


@dataclass(frozen=True)
class TextLine:
    """One OCR line as assembled, and its glyphs when they matched its characters one to one."""

    text: str
    glyphs: tuple[Glyph, ...] | None


# Line lengths of the MRZ formats: 3 x 30 (TD1), 2 x 36 (TD2, MRV-B, French card), 2 x 44 (TD3, MRV-A).
LINE_SHAPES = ((3, 30), (2, 44), (2, 36))


def _assemble(symbols: OcrLine, glyphs: Sequence[Glyph], image: npt.NDArray[np.uint8], model: str) -> TextLine:
    """One line's text from tesseract's characters and the printed glyphs found under them.

    Tesseract reads the filler '<' as K, S, E, 6... in long runs, and drops or doubles fillers; the
    chevron shape of a glyph settles the first. When the line splits into exactly as many glyphs as an
    MRZ line has characters, each glyph takes the character tesseract read over it (the most confident
    one), and a glyph it skipped is read alone: the glyph count settles the second. OCR-B is monospaced:
    glyphs that are not evenly spaced (a stamp merged some, hid others) are no such proof.
    """
    centres = np.array([glyph.center_x for glyph in glyphs])
    if len(glyphs) in {length for _, length in LINE_SHAPES} and evenly_spaced(centres):
        over: list[str | None] = [None] * len(glyphs)
        confidence = [-1.0] * len(glyphs)
        for symbol in within_line(symbols, glyphs):
            index = int(np.argmin(np.abs(centres - (symbol.box[0] + symbol.box[2]) / 2)))
            if symbol.confidence > confidence[index]:
                over[index], confidence[index] = symbol.char, symbol.confidence
        chars = [settled_by_shape(glyph, _read_glyph(image, glyph, model) if char is None and not glyph.chevron
                                  else char) for glyph, char in zip(glyphs, over, strict=True)]
        read = [char for char in chars if char]
        if len(read) == len(chars):
            return TextLine("".join(read), tuple(glyphs))
    text: list[str] = []
    for symbol in symbols:
        centre = (symbol.box[0] + symbol.box[2]) / 2
        under = [glyph for glyph in glyphs if glyph.box[0] <= centre <= glyph.box[2]]
        text.append(settled_by_shape(under[0], symbol.char) or symbol.char if len(under) == 1 else symbol.char)
    return TextLine("".join(text), None)


def within_line(symbols: OcrLine, glyphs: Sequence[Glyph]) -> OcrLine:
    """The symbols that overlap a line's glyphs, all found: the MRZ model reads a character into a mark
    beside the line (a card's edge) or the blank beyond it. Half a pitch of slack: its boxes are loose."""
    if len(glyphs) < 2:
        return symbols
    slack = (glyphs[-1].center_x - glyphs[0].center_x) / (len(glyphs) - 1) / 2
    start, end = glyphs[0].box[0] - slack, glyphs[-1].box[2] + slack
    return tuple(symbol for symbol in symbols if symbol.box[2] >= start and symbol.box[0] <= end)


# Letters tesseract confuses with one another that the glyph's bars tell apart (see band._stem_letter).
_STEM_LETTERS = frozenset("IL")


def settled_by_shape(glyph: Glyph, char: str | None) -> str | None:
    """What the glyph's shape says over what tesseract read: '<' for a chevron, and I or L by their
    bars for a glyph read as one of them (tesseract reads a blurred OCR-B I as L)."""
    if glyph.chevron:
        return FILLER
    if char in _STEM_LETTERS and glyph.stem_letter is not None:
        return glyph.stem_letter
    return char


# Gaps between neighbouring glyph centres of a monospaced line, as multiples of the median gap. On 55 real
# bands, every line matched one to one and read right was within 0.6-1.4; a stamp's merged and hidden
# glyphs gave gaps of 2 to 14.
EVEN_SPACING = (0.5, 1.5)


def evenly_spaced(centres: npt.NDArray[np.float64]) -> bool:
    """Whether glyph centres (left to right, two or more) sit at one fixed pitch, within EVEN_SPACING."""
    gaps = np.diff(centres)
    median = float(np.median(gaps))
    return median > 0 and EVEN_SPACING[0] * median <= gaps.min() and gaps.max() <= EVEN_SPACING[1] * median


def _read_glyph(image: npt.NDArray[np.uint8], glyph: Glyph, model: str) -> str:
    """One glyph tesseract skipped in its line, read on its own ('' when it still reads nothing)."""
    x0, y0, x1, y1 = glyph.box
    pad = max(2, (y1 - y0) // 3)
    cell = image[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad]
    bordered = cast(npt.NDArray[np.uint8], cv2.copyMakeBorder(cell, pad, pad, pad, pad, cv2.BORDER_REPLICATE))
    lines = recognise(bordered, psm=PSM_SINGLE_CHARACTER, language=model)
    text = "".join(symbol.char for line in lines for symbol in line)
    return text if len(text) == 1 else ""


def text_lines(ocr_lines: Sequence[OcrLine], image: npt.NDArray[np.uint8], ink: npt.NDArray[np.uint8],
               model: str) -> list[TextLine]:
    """Each OCR line assembled with the glyphs in its rows of `image` (what tesseract read)."""
    kept = [symbols for symbols in ocr_lines if len(symbols) >= MIN_LINE_LENGTH // 2]
    glyphs = fillers_by_template(ink, [line_glyphs(ink, int(np.median([s.box[1] for s in symbols])),
                                                   int(np.median([s.box[3] for s in symbols])))
                                       for symbols in kept])
    lines = [_assemble(symbols, line, image, model) for symbols, line in zip(kept, glyphs, strict=True)]
    return [line for line in lines if len(line.text) >= MIN_LINE_LENGTH]


def choose_lines(lengths: Sequence[int]) -> tuple[int, int, int] | None:
    """Among OCR lines of these lengths: (first line, line count, line length) of the consecutive 2 or 3
    closest to a format's line length, the lowest on a tie; None when even those are too far off.

    Lines closer to another format's length are not taken for this one: two lines of 30 (a TD1 whose
    third line was missed) are no 2 x 36 MRZ, and stretching them to 36 would misplace every field."""
    best: tuple[float, int, int, int] | None = None
    line_lengths = {length for _, length in LINE_SHAPES}
    for count, length in LINE_SHAPES:
        for start in range(len(lengths) - count + 1):
            window = lengths[start : start + count]
            cost = sum(abs(n - length) for n in window) / count
            if any(sum(abs(n - other) for n in window) / count < cost for other in line_lengths):
                continue
            if best is None or (cost, -start) < (best[0], -best[1]):
                best = (cost, start, count, length)
    if best is None or best[0] > MAX_LENGTH_ERROR:
        return None
    return best[1], best[2], best[3]

