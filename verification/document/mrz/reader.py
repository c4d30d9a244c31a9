"""Reading an MRZ from a photo: find the band, OCR it a few ways, correct with the check digits, parse.

For each candidate band (upright first, sideways only if that reads nothing), crop, scale to a glyph
height and binarisation, tesseract reads the lines with two models, one trained on MRZs and its English
one (verification.document.mrz.ocr). Each line is rebuilt on its printed glyphs (verification.document.mrz.band.line_glyphs):
a chevron-shaped glyph, or one like the band's other chevrons, is a filler whatever tesseract said, an I
or L is settled by its bars, and when a line splits into exactly 30, 36 or 44 evenly spaced glyphs every
glyph gets one character. The lines are fitted to a format, corrected (verification.document.mrz.correction) and
parsed (verification.document.mrz.parser); a reading that fails its checks has its digit, code and sex fields
re-read one by one with their own alphabet. A valid reading must be confirmed by a second one (see
read_mrz); the names, which no check digit covers, are read until two tries agree on them, then taken
from the reading closest to all. A reading is never made valid by anything but evidence from the image
or a correction the check digits single out.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

import cv2
import numpy as np

from verification.common.outcome import CheckStatus
from verification.document.mrz.band import (
    Glyph,
    MrzBand,
    crop_band,
    fillers_by_template,
    find_bands,
    ink_mask,
    line_glyphs,
    to_gray,
)
from verification.document.mrz.checkdigit import FILLER
from verification.document.mrz.correction import Correction, CorrectionOutcome, PositionKind, correct, fit_length
from verification.document.mrz.formats import FieldKind, FieldSpan, MrzFormat, detect_format, field_layout
from verification.document.mrz.ocr import MRZ_MODEL, PSM_SINGLE_CHARACTER, PSM_SINGLE_LINE, OcrLine, recognise
from verification.document.mrz.parser import MrzResult, parse_mrz

logger = logging.getLogger(__name__)

# A text line shorter than this is not an MRZ line, even badly read (TD1 lines are 30).
MIN_LINE_LENGTH = 22
# Lines further than this (characters, on average) from a format's length are not taken for an MRZ.
MAX_LENGTH_ERROR = 6


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
class ReaderOptions:
    models: tuple[str, ...] = (MRZ_MODEL, "eng")  # tesseract models (see verification.document.mrz.ocr)
    glyph_heights: tuple[int, ...] = (24, 32, 18, 40)  # px per text line given to tesseract
    binarisations: tuple[str, ...] = ("none", "otsu", "adaptive", "dark")  # each at every height, in turn
    max_bands: int = 2
    try_rotations: bool = True  # documents photographed sideways (portrait passports)
    confirmations: int = 2  # valid readings that must agree before the search stops
    name_tries: int = 4  # tries after that confirmation, at most, until the names are read twice alike
    # Binarisations (or models) giving one same invalid reading, after which the search stops. Counted per
    # binarisation and model: one binarisation at other scales repeats its own misreading (I as 1 each time).
    consistent_invalid: int = 2


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
        }


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


@dataclass(frozen=True)
class TextLine:
    """One OCR line as assembled, and its glyphs when they matched its characters one to one."""

    text: str
    glyphs: tuple[Glyph, ...] | None


# Line lengths of the MRZ formats: 3 x 30 (TD1), 2 x 36 (TD2, MRV-B, French card), 2 x 44 (TD3, MRV-A).
LINE_SHAPES = ((3, 30), (2, 44), (2, 36))


def _assemble(symbols: OcrLine, glyphs: Sequence[Glyph], image: np.ndarray, model: str) -> TextLine:
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
                                  else char) for glyph, char in zip(glyphs, over)]
        if all(chars):
            return TextLine("".join(chars), tuple(glyphs))
    chars = []
    for symbol in symbols:
        centre = (symbol.box[0] + symbol.box[2]) / 2
        under = [glyph for glyph in glyphs if glyph.box[0] <= centre <= glyph.box[2]]
        chars.append(settled_by_shape(under[0], symbol.char) if len(under) == 1 else symbol.char)
    return TextLine("".join(chars), None)


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


def evenly_spaced(centres: np.ndarray) -> bool:
    """Whether glyph centres (left to right, two or more) sit at one fixed pitch, within EVEN_SPACING."""
    gaps = np.diff(centres)
    median = float(np.median(gaps))
    return median > 0 and EVEN_SPACING[0] * median <= gaps.min() and gaps.max() <= EVEN_SPACING[1] * median


def _read_glyph(image: np.ndarray, glyph: Glyph, model: str) -> str:
    """One glyph tesseract skipped in its line, read on its own ('' when it still reads nothing)."""
    x0, y0, x1, y1 = glyph.box
    pad = max(2, (y1 - y0) // 3)
    cell = image[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad]
    lines = recognise(cv2.copyMakeBorder(cell, pad, pad, pad, pad, cv2.BORDER_REPLICATE), psm=PSM_SINGLE_CHARACTER,
                      language=model)
    text = "".join(symbol.char for line in lines for symbol in line)
    return text if len(text) == 1 else ""


def _text_lines(ocr_lines: Sequence[OcrLine], image: np.ndarray, ink: np.ndarray, model: str) -> list[TextLine]:
    """Each OCR line assembled with the glyphs in its rows of `image` (what tesseract read)."""
    kept = [symbols for symbols in ocr_lines if len(symbols) >= MIN_LINE_LENGTH // 2]
    glyphs = fillers_by_template(ink, [line_glyphs(ink, int(np.median([s.box[1] for s in symbols])),
                                                   int(np.median([s.box[3] for s in symbols])))
                                       for symbols in kept])
    lines = [_assemble(symbols, line, image, model) for symbols, line in zip(kept, glyphs)]
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
                   image: np.ndarray, model: str) -> list[str]:
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
        cells = glyphs[line][start:end]  # type: ignore[index]
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
            for position, char in zip(positions, text):
                out[line][position] = char
    return ["".join(chars) for chars in out]


# "dark" keeps only pixels darker than halfway between the ink (this percentile of the band) and Otsu's
# threshold: the MRZ is the darkest print of the band, and a stamp, a guilloche or overlaid text that
# crosses it is lighter (seen on a visa with a stamp over its first characters).
INK_PERCENTILE = 2


def _binarise(image: np.ndarray, method: str) -> np.ndarray:
    if method == "otsu":
        return cv2.threshold(image, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]
    if method == "dark":
        otsu = cv2.threshold(image, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]
        level = (float(np.percentile(image, INK_PERCENTILE)) + otsu) / 2
        return np.where(image > level, 255, 0).astype(np.uint8)
    if method == "adaptive":
        return cv2.adaptiveThreshold(image, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 10)
    return image


@dataclass
class _Best:
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

    def rank(self) -> tuple[int, int]:
        if self.result is None:
            return (-1, -1)
        return (int(self.result.valid), sum(c.valid for c in self.result.checks))


def _interpret(ocr_lines: Sequence[OcrLine], image: np.ndarray, ink: np.ndarray, today: date | None,
               model: str) -> _Best | None:
    raw = tuple("".join(s.char for s in line) for line in ocr_lines)
    text_lines = _text_lines(ocr_lines, image, ink, model)
    window = choose_lines([len(line.text) for line in text_lines])
    if window is None:
        return None
    start, count, length = window
    chosen = text_lines[start : start + count]
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


def _checked(lines: list[str], fmt: MrzFormat, raw: tuple[str, ...], today: date | None) -> _Best:
    outcome = correct(lines, position_kinds(fmt), lambda candidate: parse_mrz(list(candidate), today=today).valid)
    return _Best(outcome, parse_mrz(list(outcome.lines), today=today), raw)


def _orientations(gray: np.ndarray, options: ReaderOptions) -> list[np.ndarray]:
    images = [gray]
    if options.try_rotations:
        images += [cv2.rotate(gray, cv2.ROTATE_90_CLOCKWISE), cv2.rotate(gray, cv2.ROTATE_90_COUNTERCLOCKWISE)]
    return images


def checked_content(result: MrzResult) -> tuple[str, ...]:
    """What the check digits vouch for: the characters of every field a check digit covers."""
    assert result.format is not None
    return tuple(result.lines[span.line][span.start : span.end] for span in field_layout(result.format)
                 if span.checked_by)


def _checked_content(best: _Best) -> tuple[str, ...]:
    assert best.result is not None
    return checked_content(best.result)


def confirmed_by(reading: MrzReading, others: Sequence[MrzReading]) -> MrzReading:
    """An unconfirmed reading confirmed by another capture of the document (a second photo, another
    video frame) whose valid reading agrees on every checked field: the agreement read_mrz looks for
    within one image, from a capture with its own noise, blur and framing."""
    if not reading.unconfirmed or reading.result is None:
        return reading
    content = checked_content(reading.result)
    if not any(other.result is not None and other.result.valid and other.result.format is reading.result.format
               and checked_content(other.result) == content for other in others):
        return reading
    return replace(reading, status=CheckStatus.PASS, reasons=(MrzReason.NAMES_UNVERIFIED,))


LineVotes = Counter[tuple[MrzFormat, int, str]]  # how often the tries so far read each line, per format


def consensus_unchecked_lines(lines: Sequence[str], fmt: MrzFormat, votes: LineVotes) -> tuple[str, ...]:
    """`lines` with each line that no check digit covers replaced by the version of it closest to all the
    tries' readings (fewest differing characters in all, each reading counted as often as it was read),
    when it is closer than the line as it stands. Tries misread different characters, so the reading
    that agrees most with the others has the fewest misreadings; a whole line is chosen, never mixed."""
    out = list(lines)
    for index in _unchecked_lines(fmt):
        read = _readings(votes, fmt, index)
        if not read:
            continue
        closest = min(read, key=lambda text: _disagreement(text, read))
        if _disagreement(closest, read) < _disagreement(lines[index], read):
            out[index] = closest
    return tuple(out)


def names_settled(fmt: MrzFormat, votes: LineVotes) -> bool:
    """Whether each line of the format that no check digit covers was read the same way twice. The MRZ
    model misreads a letter of a name in one try out of a few (M as R or A): the names need their own
    second reading, as the checked fields do, before consensus_unchecked_lines picks one."""
    return all(max(_readings(votes, fmt, index).values(), default=0) >= 2 for index in _unchecked_lines(fmt))


def _unchecked_lines(fmt: MrzFormat) -> set[int]:
    """The lines of a format that no check digit covers (the names line of TD1 and of the two-line formats)."""
    layout = field_layout(fmt)
    return {span.line for span in layout} - {span.line for span in layout if span.checked_by}


def _readings(votes: LineVotes, fmt: MrzFormat, index: int) -> Counter[str]:
    """How often the tries read each version of line `index` of a reading in format `fmt`."""
    return Counter({text: count for (f, i, text), count in votes.items() if f is fmt and i == index})


def _disagreement(text: str, readings: Counter[str]) -> int:
    """Characters of `text` that differ from each reading, summed over the readings (with repeats)."""
    return sum(count * sum(a != b for a, b in zip(text, other)) for other, count in readings.items())


def _finished(best: _Best, votes: LineVotes, today: date | None) -> _Best:
    """A reading as returned: each line no check digit covers (the names) as the reading of it closest
    to all the tries' (see consensus_unchecked_lines), then the padding of its name fields cleared (see
    clear_name_padding). Nothing a check digit covers ever changes, nor whether the reading is valid."""
    if best.result is None or best.outcome is None or best.result.format is None:
        return best
    fmt = best.result.format
    lines = [list(line) for line in consensus_unchecked_lines(best.result.lines, fmt, votes)]
    for span in field_layout(fmt):
        if "name" in span.name and not span.checked_by:
            lines[span.line][span.start : span.end] = clear_name_padding(lines[span.line][span.start : span.end])
    finished = tuple("".join(line) for line in lines)
    result = parse_mrz(list(finished), today=today)
    if result.valid != best.result.valid or checked_content(result) != _checked_content(best):
        return best
    return replace(best, result=result, outcome=replace(best.outcome, lines=finished))


def _band_readings(image: np.ndarray, band: MrzBand, options: ReaderOptions,
                   today: date | None) -> Iterator[tuple[str, str, _Best | None]]:
    """Each OCR reading of one band, in the order tried, as (binarisation, model, reading or None when it
    fits no MRZ format). Every scale with the grey image first: on 55 real bands each of them reads valid
    about as often as the best binarisation, which is what stops the search early. Each crop is read by
    every model in turn: they misread different characters (the MRZ model an M as R, the English one a
    filler as K), so their readings confirm each other and vote on the names. The next model reads a crop
    only where the previous one's reading fitted a format: on an image without MRZ (a card's front) that
    halves the time, and no specimen read differently."""
    crops: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for method, height in itertools.product(options.binarisations, options.glyph_heights):
        if height not in crops:
            crop = crop_band(image, band, height)
            crops[height] = (crop, ink_mask(crop))
        crop, ink = crops[height]
        binary = _binarise(crop, method)
        for model in options.models:
            candidate = _interpret(recognise(binary, language=model), binary, ink, today, model)
            yield method, model, candidate
            if candidate is None:
                break


def read_mrz(image: np.ndarray, *, today: date | None = None, options: ReaderOptions = ReaderOptions()) -> MrzReading:
    """Read and validate the MRZ of a BGR or grey document image.

    Crops, scales, binarisations and models are tried in turn. A valid reading is accepted once a second
    one agrees with it on every checked field: one reading in ten of a misread document number passes its
    check digit by chance (and its composite with it, which weighs the number the same way). The search
    then goes on, at most `name_tries` more, until the names too were read alike twice. When the
    tries run out, a valid reading seen once stands only if tesseract gave it as is and no other valid
    reading contradicts it; otherwise the result is invalid, "mrz_unconfirmed".
    """
    started = time.perf_counter()
    gray = to_gray(image)
    best = _Best()
    valid: dict[tuple[str, ...], list[_Best]] = {}
    invalid: dict[tuple[str, ...], set[tuple[str, str]]] = {}
    votes: LineVotes = Counter()
    confirmed: _Best | None = None  # checked fields confirmed, names still being read (see names_settled)
    name_tries = 0
    calls = 0
    found_band = False
    for oriented in _orientations(gray, options):
        bands: list[MrzBand] = find_bands(oriented)[: options.max_bands]
        found_band = found_band or bool(bands)
        for band in bands:
            for method, model, candidate in _band_readings(oriented, band, options, today):
                calls += 1
                if candidate is not None and candidate.result is not None and candidate.result.format is not None:
                    votes.update((candidate.result.format, index, line)
                                 for index, line in enumerate(candidate.result.lines))
                if confirmed is not None:
                    name_tries += 1
                    if names_settled(confirmed.format, votes) or name_tries >= options.name_tries:
                        return _reading(_finished(confirmed, votes, today), started, calls, found_band)
                    continue
                if candidate is None:
                    continue
                if candidate.valid:
                    agreeing = valid.setdefault(_checked_content(candidate), [])
                    agreeing.append(candidate)
                    if len(agreeing) >= options.confirmations:
                        confirmed = agreeing[0]
                        if names_settled(confirmed.format, votes):
                            return _reading(_finished(confirmed, votes, today), started, calls, found_band)
                    continue
                if candidate.rank() > best.rank():
                    best = candidate
                # The same invalid lines again and again: the zone is read, and it is invalid.
                key = candidate.result.lines if candidate.result is not None else ()
                invalid.setdefault(key, set()).add((method, model))
                if not valid and len(invalid[key]) >= options.consistent_invalid:
                    return _reading(_finished(candidate, votes, today), started, calls, found_band)
        if valid or (best.score or 0.0) >= 0.5:
            break  # this orientation reads (an invalid MRZ too): turning the image would only add noise
    if confirmed is not None:
        return _reading(_finished(confirmed, votes, today), started, calls, found_band)
    # Unconfirmed: a lone valid reading stands only if OCR gave it as is. Helped readings (re-read fields,
    # a check-digit correction) are the many tries at which a misreading passes by chance (on a real
    # Japanese specimen: a wrong document number and a wrong expiry date, each matching its digit).
    alone = [agreeing[0] for agreeing in valid.values() if agreeing[0].as_read]
    if len(valid) == 1 and alone:
        return _reading(_finished(alone[0], votes, today), started, calls, found_band)
    if valid:
        return _reading(max(valid.values(), key=len)[0], started, calls, found_band, unconfirmed=True)
    return _reading(_finished(best, votes, today), started, calls, found_band)


# Name parts are separated by one filler, surname and given names by two: a longer run is the padding
# that ends the field, and what follows it is fillers tesseract read as E, K, L, C...
PADDING_RUN = 4


def clear_name_padding(chars: list[str]) -> list[str]:
    """A name field's characters with everything after its first run of PADDING_RUN fillers made fillers."""
    text = "".join(chars)
    end = text.find(FILLER * PADDING_RUN)
    return chars if end < 0 else list(text[:end] + FILLER * (len(text) - end))


def _reading(best: _Best, started: float, calls: int, found_band: bool, unconfirmed: bool = False) -> MrzReading:
    elapsed = (time.perf_counter() - started) * 1000
    if best.result is None or best.outcome is None:
        reason = MrzReason.UNREADABLE if found_band else MrzReason.NOT_FOUND
        return MrzReading(CheckStatus.INCONCLUSIVE, (), None, (), 0, (reason,), elapsed, calls, best.raw)
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
        best.raw,
    )
