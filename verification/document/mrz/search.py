"""The search for the best reading of an MRZ: bands, orientations, scales, binarisations and models tried in
turn until readings agree (see search), each crop binarised once and read by every model.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from verification.document.mrz.agreement import Verdicts, field_verdicts
from verification.document.mrz.band import MrzBand, crop_band, find_bands, ink_mask
from verification.document.mrz.candidate import Candidate, interpret
from verification.document.mrz.names import LineVotes, finished, names_settled
from verification.document.mrz.ocr import MRZ_MODEL, recognise


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


DEFAULT_OPTIONS = ReaderOptions()


Box = tuple[int, int, int, int]  # x, y, width, height in the image searched


@dataclass(frozen=True)
class SearchOutcome:
    """The reading the search settled on, and what it took."""

    best: Candidate
    calls: int  # OCR calls
    found_band: bool
    unconfirmed: bool = False  # valid, but no second reading agreed and OCR did not give it as is
    verdicts: Verdicts = field(default_factory=dict)  # per field (verification.document.mrz.agreement)
    band_box: Box | None = None  # where the band read lies (the glare check looks there)


# "dark" keeps only pixels darker than halfway between the ink (this percentile of the band) and Otsu's
# threshold: the MRZ is the darkest print of the band, and a stamp, a guilloche or overlaid text that
# crosses it is lighter (seen on a visa with a stamp over its first characters).
INK_PERCENTILE = 2


def _binarise(image: npt.NDArray[np.uint8], method: str) -> npt.NDArray[np.uint8]:
    if method == "otsu":
        return cast(npt.NDArray[np.uint8], cv2.threshold(image, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1])
    if method == "dark":
        otsu = cv2.threshold(image, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]
        level = (float(np.percentile(image, INK_PERCENTILE)) + otsu) / 2
        return np.where(image > level, 255, 0).astype(np.uint8)
    if method == "adaptive":
        return cast(npt.NDArray[np.uint8],
                    cv2.adaptiveThreshold(image, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 10))
    return image

def _orientations(gray: npt.NDArray[np.uint8], options: ReaderOptions) -> list[npt.NDArray[np.uint8]]:
    images = [gray]
    if options.try_rotations:
        images += [cast(npt.NDArray[np.uint8], cv2.rotate(gray, turn))
                   for turn in (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE)]
    return images


def _band_readings(image: npt.NDArray[np.uint8], band: MrzBand, options: ReaderOptions,
                   today: date | None) -> Iterator[tuple[str, str, Candidate | None]]:
    """Each OCR reading of one band, in the order tried, as (binarisation, model, reading or None when it
    fits no MRZ format). Every scale with the grey image first: on 55 real bands each of them reads valid
    about as often as the best binarisation, which is what stops the search early. Each crop is read by
    every model in turn: they misread different characters (the MRZ model an M as R, the English one a
    filler as K), so their readings confirm each other and vote on the names. The next model reads a crop
    only where the previous one's reading fitted a format: on an image without MRZ (a card's front) that
    halves the time, and no specimen read differently."""
    crops: dict[int, tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]] = {}
    for method, height in itertools.product(options.binarisations, options.glyph_heights):
        if height not in crops:
            crop = crop_band(image, band, height)
            crops[height] = (crop, ink_mask(crop))
        crop, ink = crops[height]
        binary = _binarise(crop, method)
        for model in options.models:
            candidate = interpret(recognise(binary, language=model), binary, ink, today, model)
            yield method, model, candidate
            if candidate is None:
                break


def search(gray: npt.NDArray[np.uint8], options: ReaderOptions, today: date | None) -> SearchOutcome:
    """The best reading of the MRZ of a grey document image, if any.

    Crops, scales, binarisations and models are tried in turn. A valid reading is accepted once a second
    one agrees with it on every checked field: one reading in ten of a misread document number passes its
    check digit by chance (and its composite with it, which weighs the number the same way). The search
    then goes on, at most `name_tries` more, until the names too were read alike twice and each field
    by two models (verification.document.mrz.agreement). When the
    tries run out, a valid reading seen once stands only if tesseract gave it as is and no other valid
    reading contradicts it; otherwise the result is invalid, "mrz_unconfirmed".
    """
    best = Candidate()
    readings: list[tuple[str, Candidate]] = []  # every reading of a known format, with its model
    where: dict[int, Box] = {}  # reading id -> its band's box

    def outcome(chosen: Candidate, unconfirmed: bool = False) -> SearchOutcome:
        return SearchOutcome(chosen, calls, found_band, unconfirmed, field_verdicts(chosen, readings),
                             where.get(id(chosen)))

    def settled(reading: Candidate) -> bool:
        """Names read alike twice, and every field confirmed by two models (see agreement)."""
        return names_settled(reading.format, votes) and not any(field_verdicts(reading, readings).values())

    valid: dict[tuple[str, ...], list[Candidate]] = {}
    invalid: dict[tuple[str, ...], set[tuple[str, str]]] = {}
    votes: LineVotes = Counter()
    confirmed: Candidate | None = None  # checked fields confirmed, names still being read (see names_settled)
    name_tries = 0
    calls = 0
    found_band = False
    for turn, oriented in enumerate(_orientations(gray, options)):
        bands: list[MrzBand] = find_bands(oriented)[: options.max_bands]
        found_band = found_band or bool(bands)
        for band in bands:
            box = box_in(gray, turn, band)
            for method, model, candidate in _band_readings(oriented, band, options, today):
                calls += 1
                if candidate is not None and candidate.result is not None and candidate.result.format is not None:
                    readings.append((model, candidate))
                    where[id(candidate)] = box
                    votes.update((candidate.result.format, index, line)
                                 for index, line in enumerate(candidate.result.lines))
                if confirmed is not None:
                    name_tries += 1
                    if settled(confirmed) or name_tries >= options.name_tries:
                        return outcome(_finished(confirmed, votes, today, where))
                    continue
                if candidate is None:
                    continue
                if candidate.valid:
                    agreeing = valid.setdefault(candidate.checked_content(), [])
                    agreeing.append(candidate)
                    if len(agreeing) >= options.confirmations:
                        confirmed = agreeing[0]
                        if settled(confirmed):
                            return outcome(_finished(confirmed, votes, today, where))
                    continue
                if candidate.rank() > best.rank():
                    best = candidate
                # The same invalid lines again and again: the zone is read, and it is invalid.
                key = candidate.result.lines if candidate.result is not None else ()
                invalid.setdefault(key, set()).add((method, model))
                if not valid and len(invalid[key]) >= options.consistent_invalid:
                    return outcome(_finished(candidate, votes, today, where))
        if valid or (best.score or 0.0) >= 0.5:
            break  # this orientation reads (an invalid MRZ too): turning the image would only add noise
    if confirmed is not None:
        return outcome(_finished(confirmed, votes, today, where))
    # Unconfirmed: a lone valid reading stands only if OCR gave it as is. Helped readings (re-read fields,
    # a check-digit correction) are the many tries at which a misreading passes by chance (on a real
    # Japanese specimen: a wrong document number and a wrong expiry date, each matching its digit).
    alone = [agreeing[0] for agreeing in valid.values() if agreeing[0].as_read]
    if len(valid) == 1 and alone:
        return outcome(_finished(alone[0], votes, today, where))
    if valid:
        return outcome(max(valid.values(), key=len)[0], unconfirmed=True)
    return outcome(_finished(best, votes, today, where))



def _finished(reading: Candidate, votes: LineVotes, today: date | None, where: dict[int, Box]) -> Candidate:
    """`finished` (the names settled by vote), the reading keeping the band it was read on."""
    done = finished(reading, votes, today)
    if id(reading) in where:
        where[id(done)] = where[id(reading)]
    return done


def locate_band(gray: npt.NDArray[np.uint8]) -> Box | None:
    """Where the likeliest MRZ band of an upright image lies, read or not (the glare check looks there)."""
    bands = find_bands(gray)
    return box_in(gray, 0, bands[0]) if bands else None


def box_in(gray: npt.NDArray[np.uint8], turn: int, band: MrzBand) -> Box:
    """The bounding box, in the unturned image, of a band found in orientation `turn` (see _orientations)."""
    corners = cv2.boxPoints((band.center, band.size, band.angle))
    height, width = gray.shape[:2]
    x, y = corners[:, 0], corners[:, 1]
    if turn == 1:  # turned clockwise: (x', y') = (height - 1 - y, x)
        x, y = y, height - 1 - x
    elif turn == 2:  # turned counter-clockwise: (x', y') = (y, width - 1 - x)
        x, y = width - 1 - y, x
    x0, y0 = max(0, int(np.floor(x.min()))), max(0, int(np.floor(y.min())))
    x1, y1 = min(width, int(np.ceil(x.max()))), min(height, int(np.ceil(y.max())))
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)
