"""Reading the visual inspection zone (VIZ) of a document: the printed fields, each confirmed or not.

The image is read once by each of two tesseract models, French and English: they misread different
characters (the French model knows ë, ç and the apostrophe; the English one reads digits and capitals in
its own way), so a field both read alike is unlikely to be a shared misreading. Each reading is parsed on
its own (verification.document.viz.labelled: fields found by their printed labels, no MRZ needed), then:
- both readings give the field and agree exactly (names and places in RNIV display form, which keeps
  hyphens and apostrophes; dates and numbers as read): confirmed, source `viz`, the French model's text;
- one reading only, or two that disagree: unconfirmed (single_reading), so that the field neither
  confirms nor contradicts the MRZ (verification.document.confirmation).
The MRZ, where there is one, only helps to find the printed names a label did not lead to: the printed
words whose RNIV comparison form is exactly the MRZ's name. What is returned is always what was printed
and read, never the MRZ's value and never a value pulled towards it.
The birth place's INSEE code (verification.document.viz.places) is confirmed only when the place is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import numpy.typing as npt

from verification.document.fields import (
    DocumentField,
    DocumentFields,
    FieldName,
    FieldSource,
    FieldValue,
    UnconfirmedReason,
    unconfirmed,
)
from verification.document.mrz.fields import MrzFields
from verification.document.viz.labelled import parse_value, read_labelled
from verification.document.viz.ocr import Word, prepare, read_words
from verification.document.viz.places import lookup
from verification.identity.traits import comparison_form, display_form

MODELS = ("fra", "eng")  # the first one's text is kept: it reads French diacritics
_PRINTED_FORM = frozenset({FieldName.SURNAME, FieldName.GIVEN_NAMES, FieldName.BIRTH_PLACE})
_MAX_NAME_WORDS = 6


def read_viz(image: npt.NDArray[np.uint8], mrz: MrzFields | None, today: date) -> DocumentFields:
    """The fields printed on `image`, each with its confirmation (source `viz` when two readings agree)."""
    grey = prepare(image)
    readings = [read_fields(read_words(grey, model), mrz, today) for model in MODELS]
    fields = {name: field for name in FieldName if (field := _confirm(name, readings)) is not None}
    place = fields.get(FieldName.BIRTH_PLACE)
    if place is not None and isinstance(place.value, str):
        fields[FieldName.BIRTH_PLACE_CODE] = place_code(place.value, place.confirmed)
    return DocumentFields(fields)


def read_fields(words: Sequence[Word], mrz: MrzFields | None, today: date) -> dict[FieldName, FieldValue]:
    """One model's fields: by their labels, then the names the MRZ helps to find."""
    fields = read_labelled(words, today)
    if mrz is not None:
        targets = {FieldName.SURNAME: (mrz.surname,), FieldName.GIVEN_NAMES: mrz.given_names}
        for name, parts in targets.items():
            target = "".join(comparison_form(part) for part in parts)
            if name not in fields and target and (printed := _find_printed(words, target)) is not None:
                value = parse_value(name, printed, today)
                if value is not None:
                    fields[name] = value
    return fields


def place_code(place: str, place_confirmed: bool) -> DocumentField:
    """The INSEE code of a printed birth place: confirmed when the place is and the code is unique."""
    found = lookup(place)
    if found.code is None:
        assert found.reason is not None
        return unconfirmed(None, found.reason)
    if not place_confirmed:
        return unconfirmed(found.code, UnconfirmedReason.SINGLE_READING)
    return DocumentField(found.code, FieldSource.VIZ)


def _confirm(name: FieldName, readings: Sequence[dict[FieldName, FieldValue]]) -> DocumentField | None:
    values = [reading[name] for reading in readings if name in reading]
    if not values:
        return None
    if len(values) == len(readings) and all(_same(name, values[0], other) for other in values[1:]):
        return DocumentField(values[0], FieldSource.VIZ)
    return unconfirmed(values[0], UnconfirmedReason.SINGLE_READING)


def _same(name: FieldName, a: FieldValue, b: FieldValue) -> bool:
    if name not in _PRINTED_FORM:
        return a == b
    return [display_form(p) for p in _parts(a)] == [display_form(p) for p in _parts(b)]


def _parts(value: FieldValue) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


def _find_printed(words: Sequence[Word], target: str) -> str | None:
    """The printed words, consecutive on one line, whose RNIV comparison form (commas between given names
    aside) is exactly `target`."""
    for start, first in enumerate(words):
        text = ""
        for word in words[start:start + _MAX_NAME_WORDS]:
            if word.line != first.line:
                break
            text = f"{text} {word.text}".strip()
            form = comparison_form(text.replace(",", " "))
            if form == target:
                return text
            if not target.startswith(form):
                break
    return None
