"""Document check: image quality, MRZ read and validated, expiry, accepted document kinds and issuing states
(verification.document.policy), and where the portrait is (for face matching).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from biometrics.portrait import PortraitLocation, locate_portrait
from verification.common.outcome import CheckStatus
from verification.document.fields import DocumentFields
from verification.document.mrz.formats import MrzFormat
from verification.document.mrz.reader import MrzReading, confirmed_by, read_mrz
from verification.document.mrz.search import DEFAULT_OPTIONS, ReaderOptions
from verification.document.policy import DocumentPolicy
from verification.document.quality import ImageQuality, assess_quality

FRENCH_CARD_VALIDITY_YEARS = 10
FRENCH_CARD_EXTENSION_YEARS = 5
# Décret 2013-1188: cards issued to adults from 2 January 2004 to 31 December 2013 gained 5 years.
FRENCH_CARD_EXTENSION_ISSUED = (date(2004, 1, 2), date(2013, 12, 31))
ADULT_AGE = 18


class DocumentReason(StrEnum):
    MRZ_NOT_VISIBLE = "mrz_not_visible"
    MRZ_INVALID = "mrz_invalid"
    MRZ_CHECK_FAILED = "mrz_check_failed"  # reported as "mrz_check_failed:<check name>", one per check
    DOCUMENT_EXPIRED = "document_expired"
    EXPIRY_UNKNOWN = "expiry_unknown"
    KIND_NOT_ACCEPTED = "document_kind_not_accepted"
    ISSUER_NOT_ACCEPTED = "issuing_state_not_accepted"


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
    # Every identity field with its source and confirmation (verification.document.fields).
    fields: DocumentFields = DocumentFields({})

    def to_dict(self) -> dict[str, Any]:
        mrz = self.mrz.to_dict() if self.mrz is not None else None
        return {
            "identity_fields": self.fields.to_dict(),
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


def check_document(images: Sequence[npt.NDArray[np.uint8]], policy: DocumentPolicy, today: date,
                   reader_options: ReaderOptions = DEFAULT_OPTIONS) -> DocumentCheckResult:
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
        unread = tuple(dict.fromkeys([str(DocumentReason.MRZ_NOT_VISIBLE), *hints]))
        return DocumentCheckResult(CheckStatus.INCONCLUSIVE, None, unread, reading, quality, None, None, None, portrait)
    fields = reading.result.fields
    kind = policy.document_kind(fields.document_code)
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
