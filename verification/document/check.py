"""Document check: image quality, MRZ read and validated, expiry, accepted document kinds and issuing states,
and where the portrait is (for face matching).

Residence permits: ICAO 9303 has no dedicated code; states issue them as TD1 cards whose document code
starts with 'I', 'A' or 'C' and whose second letter is state-defined (IR in France, AR in Germany...).
The policy therefore lists accepted document-code prefixes per kind (`DocumentPolicy.kind_prefixes`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

import cv2
import numpy as np

from verification.common.outcome import CheckStatus
from verification.document.mrz.formats import MrzFormat
from verification.document.mrz.reader import MrzReading, ReaderOptions, confirmed_by, read_mrz
from verification.document.quality import ImageQuality, QualityThresholds, assess_quality

FRENCH_CARD_VALIDITY_YEARS = 10
FRENCH_CARD_EXTENSION_YEARS = 5
# Décret 2013-1188: cards issued to adults from 2 January 2004 to 31 December 2013 gained 5 years.
FRENCH_CARD_EXTENSION_ISSUED = (date(2004, 1, 2), date(2013, 12, 31))
ADULT_AGE = 18


# The portrait of an ID-1 card or passport page spans at least this fraction of the photo's short side
# once the document fills the frame as instructed; smaller face detections are guilloche or ghost images.
MIN_PORTRAIT_FRACTION = 0.12


class DocumentReason(StrEnum):
    MRZ_NOT_VISIBLE = "mrz_not_visible"
    MRZ_INVALID = "mrz_invalid"
    MRZ_CHECK_FAILED = "mrz_check_failed"  # reported as "mrz_check_failed:<check name>", one per check
    DOCUMENT_EXPIRED = "document_expired"
    EXPIRY_UNKNOWN = "expiry_unknown"
    KIND_NOT_ACCEPTED = "document_kind_not_accepted"
    ISSUER_NOT_ACCEPTED = "issuing_state_not_accepted"


@dataclass(frozen=True)
class DocumentPolicy:
    accepted_document_kinds: frozenset[str] = frozenset({"passport", "id_card", "residence_permit"})
    accepted_issuing_states: frozenset[str] | None = None  # None: any state
    french_card_extension: bool = True
    quality: QualityThresholds = QualityThresholds()
    # document kind -> document-code prefixes (the first one or two MRZ letters)
    kind_prefixes: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "passport": ("P",),
            "residence_permit": ("IR", "AR", "CR", "RT", "IT", "A", "C"),
            "id_card": ("I",),
            "visa": ("V",),
        }
    )


@dataclass(frozen=True)
class DocumentCheckResult:
    status: CheckStatus
    score: float | None
    reasons: tuple[str, ...]
    mrz: MrzReading | None
    quality: tuple[ImageQuality, ...]
    document_kind: str | None
    expiry_date: date | None
    mrz_image_index: int | None
    portrait: PortraitLocation | None = None

    def to_dict(self) -> dict[str, Any]:
        mrz = self.mrz.to_dict() if self.mrz is not None else None
        return {
            "portrait": None if self.portrait is None else self.portrait.to_dict(),
            "status": str(self.status),
            "score": self.score,
            "reasons": list(self.reasons),
            "document_kind": self.document_kind,
            "expiry_date": None if self.expiry_date is None else self.expiry_date.isoformat(),
            "mrz_image_index": self.mrz_image_index,
            "mrz": mrz,
            "quality": [q.to_dict() for q in self.quality],
        }


@dataclass(frozen=True)
class PortraitLocation:
    """The largest face found on the document images: which image, and its box (x0, y0, x1, y1)."""

    image_index: int
    box: tuple[int, int, int, int]

    def to_dict(self) -> dict[str, Any]:
        return {"image_index": self.image_index, "box": list(self.box)}


@functools.cache
def _face_cascade() -> cv2.CascadeClassifier:
    # OpenCV's frontal-face Haar cascade: a few milliseconds per image, enough to find a printed portrait
    # (the face matcher re-detects and measures it precisely).
    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def find_portrait(image: np.ndarray) -> tuple[int, int, int, int] | None:
    """The box of the largest frontal face in a document image, or None."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    scale = min(1.0, 800 / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    side = int(MIN_PORTRAIT_FRACTION * min(small.shape))
    faces = _face_cascade().detectMultiScale(small, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
    if len(faces) == 0:
        return None
    x, y, w, h = max(faces, key=lambda f: int(f[2]) * int(f[3]))
    return (int(x / scale), int(y / scale), int((x + w) / scale), int((y + h) / scale))


def locate_portrait(images: Sequence[np.ndarray]) -> PortraitLocation | None:
    found = [(i, box) for i, image in enumerate(images) if (box := find_portrait(image)) is not None]
    if not found:
        return None
    index, box = max(found, key=lambda item: (item[1][2] - item[1][0]) * (item[1][3] - item[1][1]))
    return PortraitLocation(index, box)


def document_kind(code: str, policy: DocumentPolicy) -> str | None:
    """The policy kind whose longest prefix matches the MRZ document code."""
    best: tuple[int, str] | None = None
    for kind, prefixes in policy.kind_prefixes.items():
        for prefix in prefixes:
            if code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), kind)
    return None if best is None else best[1]


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def french_card_expiry(issued: date, birth: date | None, extension: bool) -> date:
    """Validity end of a 1988-2021 French card: 10 years, 15 for adults issued 2004-01-02..2013-12-31."""
    expiry = _add_years(issued, FRENCH_CARD_VALIDITY_YEARS)
    adult = birth is not None and _add_years(birth, ADULT_AGE) <= issued
    first, last = FRENCH_CARD_EXTENSION_ISSUED
    if extension and adult and first <= issued <= last:
        expiry = _add_years(expiry, FRENCH_CARD_EXTENSION_YEARS)
    return expiry


def _trust(reading: MrzReading) -> int:
    return 3 if reading.valid else 2 if reading.unconfirmed else 1 if reading.result is not None else 0


def check_document(images: Sequence[np.ndarray], policy: DocumentPolicy, today: date,
                   reader_options: ReaderOptions = ReaderOptions()) -> DocumentCheckResult:
    """Read the MRZ from whichever image carries it (front/back), apply the policy, locate the portrait.

    Quality reasons ("move_closer", "image_blurred", "avoid_glare") are given whenever the MRZ could not
    be read valid: they tell the applicant what to change. A valid MRZ proves the image good enough.
    A reading one image leaves unconfirmed is confirmed by another image's agreeing reading.
    """
    quality = tuple(assess_quality(image, policy.quality) for image in images)
    portrait = locate_portrait(images)
    readings: list[MrzReading] = []
    for image in images:
        readings.append(confirmed_by(read_mrz(image, today=today, options=reader_options), readings))
        if readings[-1].valid:
            break
    # The most trustworthy reading, the first of equals: valid, then unconfirmed, then read at all.
    index = max(range(len(readings)), key=lambda i: _trust(readings[i]), default=None)
    reading = None if index is None else readings[index]
    hints = [str(r) for q in quality for r in q.reasons]
    if reading is None or reading.result is None or reading.result.fields is None:
        reasons = [str(DocumentReason.MRZ_NOT_VISIBLE), *hints]
        return DocumentCheckResult(CheckStatus.INCONCLUSIVE, None, tuple(dict.fromkeys(reasons)), reading, quality,
                                   None, None, None, portrait)
    fields = reading.result.fields
    kind = document_kind(fields.document_code, policy)
    if reading.result.format is MrzFormat.FR_ID_1988 and fields.issue_date is not None:
        expiry: date | None = french_card_expiry(fields.issue_date, fields.birth_date, policy.french_card_extension)
    else:
        expiry = fields.expiry_date
    status = CheckStatus.PASS
    reasons: list[str] = []
    if reading.unconfirmed:  # every check holds, but only one reading says so: doubt, not a wrong MRZ
        reasons += [str(r) for r in reading.reasons]
        reasons += hints
        status = CheckStatus.INCONCLUSIVE
    elif not reading.valid:
        reasons.append(DocumentReason.MRZ_INVALID)
        reasons += [str(r) for r in reading.reasons]
        reasons += [f"{DocumentReason.MRZ_CHECK_FAILED}:{c.name}" for c in reading.result.failed_checks]
        reasons += hints
        status = CheckStatus.FAIL
    if expiry is None:
        reasons.append(DocumentReason.EXPIRY_UNKNOWN)
        status = CheckStatus.FAIL if status is CheckStatus.FAIL else CheckStatus.INCONCLUSIVE
    elif expiry < today:
        reasons.append(DocumentReason.DOCUMENT_EXPIRED)
        status = CheckStatus.FAIL
    if kind is None or kind not in policy.accepted_document_kinds:
        reasons.append(DocumentReason.KIND_NOT_ACCEPTED)
        status = CheckStatus.FAIL
    if policy.accepted_issuing_states is not None and fields.issuing_state not in policy.accepted_issuing_states:
        reasons.append(DocumentReason.ISSUER_NOT_ACCEPTED)
        status = CheckStatus.FAIL
    return DocumentCheckResult(status, reading.score, tuple(str(r) for r in dict.fromkeys(reasons)), reading,
                               quality, kind, expiry, index, portrait)
