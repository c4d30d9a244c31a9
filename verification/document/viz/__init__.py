"""Reading the visual inspection zone (VIZ) of a document: the printed fields, each confirmed or not.

Two tesseract models read each field, French and English: they misread different characters (the French
model knows ë, ç and the apostrophe; the English one reads digits and capitals in its own way), so a field
both read alike is unlikely to be a shared misreading. The French model reads the whole page once, and
its words give the fields (verification.document.viz.labelled: found by their printed labels, no MRZ
needed); the English model then reads each field's line again, on its own, a little wider than the first
model's words (a letter the first one lost shows up as a difference); its text is parsed the same way.
Reading lines rather than the page a second time keeps a dense page within the time budget. Then:
- the two readings agree exactly (names and places in folded form: upper case without diacritics,
  which the English model cannot read, hyphens and apostrophes kept; dates and numbers as read):
  confirmed, source `viz`, the French model's text;
- the second reading fails or differs: unconfirmed (single_reading), so that the field neither
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
from verification.document.viz.labelled import Printed, parse_value, read_labelled, union
from verification.document.viz.ocr import Word, prepare, read_line, read_words, text_height
from verification.document.viz.places import lookup
from verification.identity.traits import comparison_form, folded_form

# The first model reads the page and finds the fields; the second reads each field's line again.
FIRST_MODEL, SECOND_MODEL = "fra", "eng"
_PRINTED_FORM = frozenset({FieldName.SURNAME, FieldName.GIVEN_NAMES, FieldName.BIRTH_PLACE})
_MAX_NAME_WORDS = 6
_FILLERS = "<«‹"  # the MRZ filler, as the French model may read it
# A page where the first reading found few fields is read again, its background flattened (a grey card on
# a white page, a shadow) and, where its words are small (a card photographed from afar), enlarged to the
# word height tesseract reads best, within a time budget (the longest side). The reading that found more
# fields is kept. Most card fronts and data pages are read once.
_FEW_FIELDS = 4
_TEXT_HEIGHT = 28
_LARGEST_SIDE = 2000


def read_viz(image: npt.NDArray[np.uint8], mrz: MrzFields | None, today: date) -> DocumentFields:
    """The fields printed on `image`, each with its confirmation (source `viz` when two readings agree)."""
    grey = prepare(image)
    words = read_words(grey, FIRST_MODEL)
    found = read_fields(words, mrz, today)
    if len(found) < _FEW_FIELDS:
        scale = max(1.0, _TEXT_HEIGHT / (text_height(words) or _TEXT_HEIGHT))
        flat = prepare(image, min(_LARGEST_SIDE, round(max(grey.shape) * scale)), flatten=True)
        again = read_fields(read_words(flat, FIRST_MODEL), mrz, today)
        if len(again) > len(found):
            grey, found = flat, again
    fields: dict[FieldName, DocumentField] = {}
    for name, printed in found.items():
        second = parse_value(name, read_line(grey, printed.box, SECOND_MODEL), today)
        if not printed.contested and second is not None and _same(name, printed.value, second):
            fields[name] = DocumentField(printed.value, FieldSource.VIZ)
        else:
            fields[name] = unconfirmed(printed.value, UnconfirmedReason.SINGLE_READING)
    place = fields.get(FieldName.BIRTH_PLACE)
    if place is not None and isinstance(place.value, str):
        fields[FieldName.BIRTH_PLACE_CODE] = place_code(place.value, place.confirmed)
    return DocumentFields(fields)


def read_fields(words: Sequence[Word], mrz: MrzFields | None, today: date) -> dict[FieldName, Printed]:
    """The first model's fields: by their labels, then the names the MRZ helps to find."""
    fields = read_labelled(words, today)
    if mrz is not None:
        targets = {FieldName.SURNAME: (mrz.surname,), FieldName.GIVEN_NAMES: mrz.given_names}
        for name, parts in targets.items():
            target = "".join(comparison_form(part) for part in parts)
            if name not in fields and target and (printed := _find_printed(words, target)):
                value = parse_value(name, " ".join(word.text for word in printed), today)
                if value is not None:
                    fields[name] = Printed(value, union(printed))
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


def _same(name: FieldName, a: FieldValue, b: FieldValue) -> bool:
    if name not in _PRINTED_FORM:
        return a == b
    return [folded_form(p) for p in _parts(a)] == [folded_form(p) for p in _parts(b)]


def _parts(value: FieldValue) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


def _find_printed(words: Sequence[Word], target: str) -> list[Word]:
    """The printed words, consecutive on one line, whose RNIV comparison form (commas between given names
    aside) is exactly `target`; none when no such words. The MRZ's own lines (a filler read on the line)
    are left out: the MRZ read once more is no printed zone."""
    mrz_lines = {word.line for word in words if any(char in word.text for char in _FILLERS)}
    words = [word for word in words if word.line not in mrz_lines]
    for start, first in enumerate(words):
        text = ""
        for end in range(start, min(len(words), start + _MAX_NAME_WORDS)):
            if words[end].line != first.line:
                break
            text = f"{text} {words[end].text}".strip()
            form = comparison_form(text.replace(",", " "))
            if form == target:
                return list(words[start:end + 1])
            if not target.startswith(form):
                break
    return []
