"""Document check: image quality, MRZ read and validated, the visual zone read, each identity field
confirmed from independent sources (verification.document.confirmation), expiry, accepted document kinds
and issuing states (verification.document.policy), and where the portrait is (for face matching).
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
from verification.common.dates import add_years
from verification.common.outcome import CheckStatus
from verification.document.confirmation import confirm_fields, zone_mismatches
from verification.document.fields import DocumentFields, FieldName, UnconfirmedReason
from verification.document.mrz.band import to_gray
from verification.document.mrz.codes import is_specimen_code
from verification.document.mrz.fields import MrzFields
from verification.document.mrz.formats import MrzFormat
from verification.document.mrz.reader import MrzReading, confirmed_by, read_mrz
from verification.document.mrz.search import DEFAULT_OPTIONS, ReaderOptions, locate_band
from verification.document.policy import DocumentPolicy
from verification.document.quality import Box, ImageQuality, assess_quality
from verification.document.viz import read_viz

FRENCH_CARD_VALIDITY_YEARS = 10
FRENCH_CARD_EXTENSION_YEARS = 5
# Décret 2013-1188: cards issued to adults from 2 January 2004 to 31 December 2013 gained 5 years.
FRENCH_CARD_EXTENSION_ISSUED = (date(2004, 1, 2), date(2013, 12, 31))
ADULT_AGE = 18
# An invalid reading with fewer check digits holding than this share is a misreading, not a document fact.
UNREADABLE_SCORE = 0.5


class DocumentReason(StrEnum):
    MRZ_NOT_VISIBLE = "mrz_not_visible"
    MRZ_UNREADABLE = "mrz_unreadable"  # read, but too poorly to tell a misreading from an invalid document
    MRZ_INVALID = "mrz_invalid"
    MRZ_CHECK_FAILED = "mrz_check_failed"  # reported as "mrz_check_failed:<check name>", one per check
    DOCUMENT_EXPIRED = "document_expired"
    EXPIRY_UNKNOWN = "expiry_unknown"
    KIND_NOT_ACCEPTED = "document_kind_not_accepted"
    ISSUER_NOT_ACCEPTED = "issuing_state_not_accepted"
    SPECIMEN = "document_specimen"  # ICAO 9303's fictional state (Utopia): a specimen, never a person's document
    FIELD_UNCONFIRMED = "field_unconfirmed"  # reported as "field_unconfirmed:<field>", one per field
    ZONES_DISAGREE = "mrz_viz_mismatch"  # reported as "mrz_viz_mismatch:<field>": the MRZ and the printed data differ


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


def french_card_expiry(issued: date, birth: date | None, extension: bool) -> date:
    """Validity end of a 1988-2021 French card: 10 years, 15 for adults issued 2004-01-02..2013-12-31."""
    expiry = add_years(issued, FRENCH_CARD_VALIDITY_YEARS)
    adult = birth is not None and add_years(birth, ADULT_AGE) <= issued
    first, last = FRENCH_CARD_EXTENSION_ISSUED
    if extension and adult and first <= issued <= last:
        expiry = add_years(expiry, FRENCH_CARD_EXTENSION_YEARS)
    return expiry


def _trust(reading: MrzReading) -> int:
    return 3 if reading.valid else 2 if reading.unconfirmed else 1 if reading.result is not None else 0


def required_fields(mrz: MrzFields) -> tuple[FieldName, ...]:
    """The fields the assertion carries, all of which must be confirmed for the check to pass: the strict
    traits the MRZ holds and the document's identification (its expiry, or on the French 1988 card the
    issue date its validity runs from)."""
    validity = FieldName.EXPIRY_DATE if mrz.expiry_date is not None or mrz.issue_date is None else FieldName.ISSUE_DATE
    return (FieldName.SURNAME, FieldName.GIVEN_NAMES, FieldName.BIRTH_DATE, FieldName.SEX, FieldName.DOCUMENT_CODE,
            FieldName.DOCUMENT_NUMBER, FieldName.ISSUING_STATE, validity)


def _regions(image: npt.NDArray[np.uint8], index: int, readings: Sequence[MrzReading],
             portrait: PortraitLocation | None) -> list[Box | None]:
    """Where glare would harm on image `index`: its MRZ band (the one read and, when that reading is invalid,
    the likeliest one too: what was read may not be the MRZ, and glare may be why) and the portrait; the
    whole image (None) for whichever of the two was not found there."""
    bands = [readings[index].band_box] if index < len(readings) else []
    if index < len(readings) and not readings[index].valid and (located := locate_band(to_gray(image))):
        # A reflection cuts the MRZ lines, and the band found is what is left of them: their whole row.
        bands.append((0, located[1], image.shape[1], located[3]))
    regions: list[Box | None] = [(x, y, x + width, y + height) for x, y, width, height in filter(None, bands)]
    found_band = bool(regions)
    if portrait is not None and portrait.image_index == index:
        regions.append(portrait.box)
    if not found_band or portrait is None:
        regions.append(None)
    return regions


def _unreadable(reading: MrzReading, hints: Sequence[str]) -> bool:
    """An invalid reading the person can fix by capturing again: taken from a poor photo, or so garbled that
    most of its check digits fail. A sharp photo of an MRZ whose checks mostly hold but some fail is an
    invalid document (altered, or a specimen broken on purpose): that is not retaken but refused."""
    return bool(hints) or (reading.score or 0.0) < UNREADABLE_SCORE


def _complete(reading: MrzReading) -> bool:
    return reading.valid and not any(reading.field_confirmations.values())


def _corroborated(readings: Sequence[MrzReading], index: int) -> MrzReading:
    """Reading `index` confirmed by the other captures' readings (see confirmed_by)."""
    return confirmed_by(readings[index], [r for i, r in enumerate(readings) if i != index])


def check_document(images: Sequence[npt.NDArray[np.uint8]], policy: DocumentPolicy, today: date,
                   reader_options: ReaderOptions = DEFAULT_OPTIONS) -> DocumentCheckResult:
    """Read the MRZ from whichever image carries it (front/back), read the visual zone of every image,
    confirm each identity field from independent sources, apply the policy, locate the portrait.

    Quality reasons ("move_closer", "image_blurred", "avoid_glare") are kept with every reading: they tell
    the person what to change, and the reviewer how the capture was. A capture problem the person can fix
    (an MRZ not found, unreadable, or invalid on a poor photo) is a retake; a field the assertion needs
    that no two sources confirmed makes the check doubtful, with a reason per field.
    A reading, or a field, one capture leaves unconfirmed is confirmed by another capture's agreeing
    reading: the captures are read until a valid reading has every field confirmed.
    """
    portrait = locate_portrait(images)
    readings: list[MrzReading] = []
    for image in images:  # until a valid reading has every field confirmed
        readings.append(read_mrz(image, today=today, options=reader_options))
        if any(_complete(_corroborated(readings, i)) for i in range(len(readings))):
            break
    quality = tuple(assess_quality(image, policy.quality, _regions(image, i, readings, portrait))
                    for i, image in enumerate(images))
    hints = list(dict.fromkeys(str(r) for q in quality for r in q.reasons))
    # The most trustworthy reading, the first of equals: valid, then unconfirmed, then read at all.
    corroborated = [_corroborated(readings, i) for i in range(len(readings))]
    index = max(range(len(readings)), key=lambda i: _trust(corroborated[i]), default=None)
    reading = None if index is None else corroborated[index]
    mrz = None if reading is None or reading.result is None else reading.result.fields
    visual = [read_viz(image, mrz, today) for image in images]
    if reading is None or reading.result is None or mrz is None:
        fields = confirm_fields(None, {}, visual)
        unread = tuple(dict.fromkeys([str(DocumentReason.MRZ_NOT_VISIBLE), *hints]))
        return DocumentCheckResult(CheckStatus.INCONCLUSIVE, None, unread, reading, quality, None, None, None, portrait,
                                   fields)
    if reading.valid:
        fields = confirm_fields(mrz, reading.field_confirmations, visual)
    else:  # an invalid reading confirms none of its fields
        fields = confirm_fields(mrz, {}, visual, UnconfirmedReason.READING_INVALID)
    kind = policy.document_kind(mrz.document_code)
    if reading.result.format is MrzFormat.FR_ID_1988 and mrz.issue_date is not None:
        expiry: date | None = french_card_expiry(mrz.issue_date, mrz.birth_date, policy.french_card_extension)
    else:
        expiry = mrz.expiry_date
    status = CheckStatus.PASS
    reasons: list[str] = []
    if reading.unconfirmed:  # every check holds, but only one reading says so: doubt, not a wrong MRZ
        reasons += [str(r) for r in reading.reasons]
        status = CheckStatus.INCONCLUSIVE
    elif not reading.valid and _unreadable(reading, hints):
        # A retake: what was read is too poor to judge the document's expiry, kind or issuer by.
        unread = tuple(dict.fromkeys([str(DocumentReason.MRZ_UNREADABLE), *hints]))
        return DocumentCheckResult(CheckStatus.INCONCLUSIVE, reading.score, unread, reading, quality, None, None,
                                   index, portrait, fields)
    elif not reading.valid:
        reasons.append(DocumentReason.MRZ_INVALID)
        reasons += [str(r) for r in reading.reasons]
        reasons += [f"{DocumentReason.MRZ_CHECK_FAILED}:{c.name}" for c in reading.result.failed_checks]
        reasons += [str(p) for p in reading.result.problems]
        status = CheckStatus.FAIL
    else:
        mismatched = zone_mismatches(fields)
        reasons += [f"{DocumentReason.ZONES_DISAGREE}:{name}" for name in mismatched]
        missing = [name for name in fields.unconfirmed_among(required_fields(mrz)) if name not in mismatched]
        reasons += [f"{DocumentReason.FIELD_UNCONFIRMED}:{name}" for name in missing]
        if reasons:
            status = CheckStatus.INCONCLUSIVE
    reasons += hints
    if is_specimen_code(mrz.issuing_state) or is_specimen_code(mrz.nationality or ""):
        reasons.append(DocumentReason.SPECIMEN)
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
    if policy.accepted_issuing_states is not None and mrz.issuing_state not in policy.accepted_issuing_states:
        reasons.append(DocumentReason.ISSUER_NOT_ACCEPTED)
        status = CheckStatus.FAIL
    return DocumentCheckResult(status, reading.score, tuple(str(r) for r in dict.fromkeys(reasons)), reading,
                               quality, kind, expiry, index, portrait, fields)
