"""The printed text of a document image, read by tesseract (dictionaries off: names are no French words).

A page is read whole once, as words with their boxes, in which the labelled fields are then found; a
field's line is read again on its own by another model (read_line). Reading the page once rather than
each field's crop keeps a document within the time budget of a check (every image of every check is read).
The page is first brought to a scale, straightened and, if asked, its background flattened (prepare).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from verification.document.mrz.ocr import PSM_SINGLE_LINE, OcrLine, recognise

# Sparse text: a card's fields are short lines scattered around a portrait and security prints, which
# tesseract's block layout analysis (PSM 3) merges across columns or drops as pictures.
PSM_SPARSE_TEXT = 11
# The longer side an image is brought to: the printed fields of a card filling the frame are then 25-40 px
# high, where tesseract reads best; an image is never enlarged past three times its size.
TARGET_SIDE = 1400
MAX_UPSCALE = 3.0
_BACKGROUND_SIGMA = 15  # px at the reading scale: wider than strokes, narrower than lighting changes
_PAPER = 230  # the grey level a flattened background takes
_SKEW_SIDE = 600  # the skew is measured on a small copy: text lines are still lines there, and it is quick
_SKEW_RANGE = 12  # degrees either way
_SKEW_IGNORED = 0.5  # below this, rotating only blurs


@dataclass(frozen=True)
class Word:
    text: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1
    line: int  # the index of the text line it belongs to

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    @property
    def centre_y(self) -> float:
        return (self.box[1] + self.box[3]) / 2


def prepare(image: npt.NDArray[np.uint8], side: int = TARGET_SIDE, flatten: bool = False) -> npt.NDArray[np.uint8]:
    """The image in grey, its text lines horizontal, its longer side brought to `side` (see TARGET_SIDE),
    its background flattened if asked (see _flattened)."""
    grey = image if image.ndim == 2 else np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    scale = min(side / max(grey.shape), MAX_UPSCALE)
    if abs(scale - 1) >= 0.05:
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        grey = np.asarray(cv2.resize(grey, None, fx=scale, fy=scale, interpolation=interpolation), dtype=np.uint8)
    if flatten:
        grey = _flattened(grey)
    angle = skew(grey)
    if abs(angle) < _SKEW_IGNORED:
        return np.ascontiguousarray(grey)
    height, width = grey.shape
    rotation = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1)
    return np.asarray(cv2.warpAffine(grey, rotation, (width, height), flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_REPLICATE), dtype=np.uint8)


def _flattened(grey: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The image divided by its background (a wide blur of itself): a grey card on a white page, a shadow
    or a lamp's gradient no longer darken whole regions, which tesseract's global threshold would turn to
    black (the 1988 card of a photocopied page read as nothing before)."""
    # Blurred at a quarter of the size (the background is smooth): a sixteenth of the work.
    small = cv2.resize(grey, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(small, (0, 0), _BACKGROUND_SIGMA / 4)
    background = cv2.resize(blurred, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    flat = grey.astype(np.float32) / np.maximum(background, 1) * _PAPER
    return np.asarray(np.clip(flat, 0, 255), dtype=np.uint8)


def skew(grey: npt.NDArray[np.uint8]) -> float:
    """The rotation (degrees, counter-clockwise) that makes the text lines horizontal: the one whose ink
    rows change most sharply from one row to the next (lines and gaps apart). A card held in a hand or
    photographed on a table is a few degrees off; tesseract then cuts its lines into fragments."""
    scale = _SKEW_SIDE / max(grey.shape)
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ink = cv2.adaptiveThreshold(small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 10)
    height, width = ink.shape

    def sharpness(angle: float) -> float:
        rotation = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1)
        rows = cv2.warpAffine(ink, rotation, (width, height)).sum(axis=1, dtype=np.float64)
        return float(np.sum(np.diff(rows) ** 2))

    coarse = max(np.arange(-_SKEW_RANGE, _SKEW_RANGE + 1, 1.0), key=sharpness)
    return float(max(np.arange(coarse - 1, coarse + 1.01, 0.25), key=sharpness))


def text_height(words: Sequence[Word]) -> float | None:
    """The median height of the words read (those of three letters or digits at least: specks aside)."""
    heights = [word.height for word in words if sum(c.isalnum() for c in word.text) >= 3]
    return float(np.median(heights)) if heights else None


def read_words(grey: npt.NDArray[np.uint8], language: str) -> list[Word]:
    """The words one model reads in the image, in reading order."""
    lines = recognise(grey, psm=PSM_SPARSE_TEXT, whitelist="", language=language)
    return [word for index, line in enumerate(lines) for word in _words(line, index)]


def _words(line: OcrLine, index: int) -> list[Word]:
    words: list[Word] = []
    chars: list[str] = []
    boxes: list[tuple[int, int, int, int]] = []
    for symbol in line:
        if symbol.word_start and chars:
            words.append(_word(chars, boxes, index))
            chars, boxes = [], []
        if symbol.char.strip():
            chars.append(symbol.char)
            boxes.append(symbol.box)
    if chars:
        words.append(_word(chars, boxes, index))
    return words


def _word(chars: list[str], boxes: list[tuple[int, int, int, int]], index: int) -> Word:
    box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    return Word("".join(chars), box, index)


def read_line(grey: npt.NDArray[np.uint8], box: tuple[int, int, int, int], language: str) -> str:
    """The text one model reads in a line of the image, around `box`: widened by a character on the left
    and three on the right, so that letters the box left out ("BOR" of BORDEAUX) are seen and make the two
    readings differ. A value's neighbours on a card stand further away."""
    x0, y0, x1, y1 = box
    height = y1 - y0
    top, bottom = max(0, y0 - height * 3 // 10), min(grey.shape[0], y1 + height * 3 // 10)
    left, right = max(0, x0 - height), min(grey.shape[1], x1 + 3 * height)
    lines = recognise(np.ascontiguousarray(grey[top:bottom, left:right]), psm=PSM_SINGLE_LINE, whitelist="",
                      language=language)
    return " ".join(word.text for index, line in enumerate(lines) for word in _words(line, index))
