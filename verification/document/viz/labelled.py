"""The fields of a visual zone found by their printed labels, in the words one OCR model read.

French and EU documents print each field under or after a bilingual label: "NOM / Surname" above the
surname on the 2021 card and the passport, "Nom : DAMBARD" on the 1988 card. A label is found in the words
(leniently: it only says where to look), its value is the text right after it on its line or, failing
that, the line just under it starting where the label starts. The value itself is then taken as read or
not at all: parsed strictly for its field (a date that is exactly a date, a name of letters only...).
This needs no MRZ, so it reads card fronts too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from verification.document.fields import FieldName, FieldValue
from verification.document.viz.dates import birth_date, parse_date
from verification.document.viz.ocr import Word
from verification.identity.traits import folded_form, typo_distance


@dataclass(frozen=True)
class Label:
    field: FieldName | None  # None: a label of a field not read here, which only ends other fields' values
    key: str  # the label's letters, folded (see _key)
    right_only: bool = False  # its value never stands under it (a title-like label, the 1988 card's "à")
    # A label too short to trust alone: it starts its line, and counts only where this field's label is too.
    after: FieldName | None = None


_LABELS = tuple(
    Label(field, key) for field, keys in (
        (FieldName.SURNAME, ("NOM", "NOMS", "SURNAME")),
        (FieldName.GIVEN_NAMES, ("PRENOMS", "PRENOM", "PRENOMSGIVENNAMES", "GIVENNAMES")),
        (FieldName.SEX, ("SEXE", "SEX")),
        (FieldName.BIRTH_DATE, ("DATEDENAISS", "DATEDENAISSANCE", "DATEOFBIRTH", "NEELE", "NELE")),
        (FieldName.BIRTH_PLACE, ("LIEUDENAISSANCE", "LIEUDENAISS", "PLACEOFBIRTH")),
        (FieldName.DOCUMENT_NUMBER, ("NDUDOCUMENT", "DOCUMENTNO", "PASSEPORTN", "NDUPASSEPORT", "PASSPORTNO",
                                     "CARDNO")),
        (FieldName.EXPIRY_DATE, ("DATEDEXPIR", "DATEDEXPIRATION", "EXPIRYDATE", "DATEOFEXPIRY",
                                 "CARTEVALABLEJUSQUAU", "VALABLEJUSQUAU")),
        (None, ("NOMDUSAGE", "ALTERNATENAME", "NATIONALITE", "NATIONALITY", "SIGNATURE", "TAILLE", "HEIGHT",
                "ADRESSE", "DELIVREELE", "DATEDEDELIVRANCE", "DATEOFISSUE", "AUTORITE", "AUTHORITY", "TYPE",
                "CODEDUPAYS", "COUNTRYCODE", "CARTENATIONALEDIDENTITE", "IDENTITYCARD", "PASSEPORT", "PASSPORT")),
    ) for key in keys
) + (
    Label(FieldName.DOCUMENT_NUMBER, "CARTENATIONALEDIDENTITEN", right_only=True),  # the 1988 card's title
    # The 1988 card: "Né(e) le : 24.04.1994", then "à : LYON 4E ARRONDISSEMENT" under it.
    Label(FieldName.BIRTH_PLACE, "A", right_only=True, after=FieldName.BIRTH_DATE),
)
_MAX_LABEL_WORDS = 5
_CAPITALS = frozenset({FieldName.SURNAME, FieldName.BIRTH_PLACE})
_EDGE_SPECKS = "\"“”„'’‘`.,:;|_~*°©®«»"
# The words of labels, long enough not to be names too: a value made of one is a label misplaced ("Given").
_LABEL_VOCABULARY = frozenset({
    "NOM", "NOMS", "SURNAME", "PRENOM", "PRENOMS", "GIVEN", "NAMES", "SEXE", "DATE", "NAISS", "NAISSANCE", "BIRTH",
    "LIEU", "PLACE", "DOCUMENT", "EXPIR", "EXPIRY", "USAGE", "DUSAGE", "ALTERNATE", "NAME", "NATIONALITE",
    "NATIONALITY", "SIGNATURE", "CARTE", "NATIONALE", "IDENTITE", "IDENTITY", "CARD", "PASSEPORT", "PASSPORT",
})
_NAME = re.compile(r"[^\W\d_]+(?:[-' ][^\W\d_]+)*")  # letters, single hyphens, apostrophes or spaces between
_PLACE = re.compile(r"[^\W\d_]+(?:[-' ][^\W\d_]+)*(?: \d{1,2}(?:E|ER|EME))?(?: ARRONDISSEMENT)?(?: \(?\d{2,3}\)?)?")
_DOCUMENT_NUMBER = re.compile(r"(?=.*\d)[A-Z0-9]{6,14}")


@dataclass(frozen=True)
class _Hit:
    label: Label
    words: tuple[Word, ...]

    @property
    def box(self) -> tuple[int, int, int, int]:
        return union(self.words)


@dataclass(frozen=True)
class Printed:
    """A field's value as read, and where it is printed (the box of its words)."""

    value: FieldValue
    box: tuple[int, int, int, int]
    # Another label of the same field led to another value (a label misread, "NOM D'USAGE" taken for
    # "NOM"): where the field is printed is in doubt, which a second reading of the same place cannot lift.
    contested: bool = False


def read_labelled(words: Sequence[Word], today: date) -> dict[FieldName, Printed]:
    """The fields whose label and value this model read: the first readable value of each field's labels,
    contested when another of its labels gives another value. A short label ("à") only fills a field no
    other label gave, and only just under the label it goes with."""
    parts = [part for word in words for part in _split(word)]
    hits, label_words = _hits(parts)
    out: dict[FieldName, Printed] = {}
    for hit in sorted(hits, key=lambda h: h.label.after is not None):  # stable: reading order kept
        field = hit.label.field
        if field is None or (hit.label.after is not None and (field in out or not _beside(hit, hits))):
            continue
        printed = _value(field, hit, parts, label_words, today)
        if printed is None:
            continue
        first = out.setdefault(field, printed)
        if folded_form(str(first.value)) != folded_form(str(printed.value)):
            out[field] = replace(first, contested=True)
    return out


def _beside(hit: _Hit, hits: Sequence[_Hit]) -> bool:
    """Whether a short label stands within two lines under the label it goes with."""
    top = hit.box[1]
    return any(other.label.field is hit.label.after and 0 < top - other.box[1] <= 3 * (other.box[3] - other.box[1])
               for other in hits)


def _value(field: FieldName, hit: _Hit, words: Sequence[Word], label_words: set[Word], today: date
           ) -> Printed | None:
    for value_words in _values(hit, words, label_words):
        value = parse_value(field, " ".join(word.text for word in value_words), today)
        # Found by a label, a surname or place must be in capitals, as printed: a mixed-case word there is
        # a label's translation misread ("Sumame"). Found through the MRZ, its case is the document's.
        if value is not None and (field not in _CAPITALS or str(value).isupper()):
            return Printed(value, union(value_words))
    return None


def parse_value(field: FieldName, text: str, today: date) -> FieldValue | None:
    """A field's value in the text printed for it, or None when the text is not exactly such a value."""
    text = re.sub(r"\s*([-'’])\s*", r"\1", _trimmed(text)).replace("’", "'")
    if _is_label(text):
        return None
    if field is FieldName.SURNAME:
        return text if _NAME.fullmatch(text) else None
    if field is FieldName.GIVEN_NAMES:
        # Each name starts with a capital: a lower-case start is a first letter lost to the OCR ("isèle").
        names = tuple(name.strip() for name in text.split(","))
        return names if all(_NAME.fullmatch(name) and name[0].isupper() for name in names) else None
    if field is FieldName.SEX:
        return text if text in ("F", "M", "X") else None
    if field is FieldName.DOCUMENT_NUMBER:
        return text if _DOCUMENT_NUMBER.fullmatch(text) else None
    if field is FieldName.BIRTH_PLACE:
        return text if _PLACE.fullmatch(folded_form(text)) else None
    if field is FieldName.BIRTH_DATE:
        born = birth_date(text, today)
        return born.isoformat() if born else None
    if field is FieldName.EXPIRY_DATE:
        expiry = parse_date(text)
        return expiry.isoformat() if expiry else None
    return None


def _trimmed(text: str) -> str:
    """The text without what a reading picks up at a value's ends: specks read as symbols ("“MARTIN",
    ".. PARIS:", "1990 ©"). Nothing inside the value is touched."""
    words = text.split()
    while words and not any(c.isalnum() for c in words[0]):
        words.pop(0)
    while words and not any(c.isalnum() for c in words[-1]):
        words.pop()
    return " ".join(words).strip(_EDGE_SPECKS)


def _is_label(text: str) -> bool:
    """Whether a value is a label's text: a label in full, or one of its words."""
    key = _key(text)
    return (any(_matches(key, label) for label in _LABELS if len(label.key) >= 4)
            or any(_key(word) in _LABEL_VOCABULARY for word in re.split(r"[\s,/]+", text)))


def _key(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", folded_form(text))


def _split(word: Word) -> list[Word]:
    """A word glued to its label's translation ("NOM/Surname") or to its value ("Nom:DAMBARD") as two,
    the slash or colon starting the second (boxes shared in proportion to the characters)."""
    cut_at = next((i for i, c in enumerate(word.text) if c in "/:" and 0 < i < len(word.text) - 1), None)
    if cut_at is None:
        return [word]
    x0, y0, x1, y1 = word.box
    cut = x0 + (x1 - x0) * cut_at // len(word.text)
    head = replace(word, text=word.text[:cut_at], box=(x0, y0, cut, y1))
    return [head, *_split(replace(word, text=word.text[cut_at:], box=(cut, y0, x1, y1)))]


def _matches(key: str, label: Label) -> bool:
    if len(label.key) < 6:
        return key == label.key
    return typo_distance(key, label.key) <= 1 + len(label.key) // 12


def _hits(words: Sequence[Word]) -> tuple[list[_Hit], set[Word]]:
    """Labels found on each line (the longest first), and every word that belongs to a label: the label's
    own and its translation after a slash, up to the next label on the line."""
    hits: list[_Hit] = []
    label_words: set[Word] = set()
    lines: dict[int, list[Word]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    for line in lines.values():
        i = 0
        line_hits: list[tuple[int, int, Label]] = []
        while i < len(line):
            found = _label_at(line, i)
            if found is None or (found[1].after is not None and i > 0):
                i += 1
                continue
            line_hits.append((i, found[0], found[1]))
            i = found[0]
        line_spans: list[tuple[int, int, Label]] = []
        for n, (start, end, label) in enumerate(line_hits):
            stop = line_hits[n + 1][0] if n + 1 < len(line_hits) else len(line)
            if end < stop and line[end].text.startswith("/"):
                end = _translation_end(line, end, stop)
            line_spans.append((start, end, label))
            label_words.update(line[start:end])
        combined = _combined(line, line_spans)
        hits += [_Hit(label, tuple(line[start:end])) for n, (start, end, label) in enumerate(line_spans)
                 if n not in combined]
    return hits, label_words


def _combined(line: Sequence[Word], spans: Sequence[tuple[int, int, Label]]) -> set[int]:
    """The labels of one field printed for two ("Surname, Given names" over "ERIKSSON ANNA MARIA"): two
    field labels that follow each other closely, not as columns. Their value is neither field's alone."""
    combined: set[int] = set()
    for n in range(len(spans) - 1):
        (_, end, label), (start, _, following) = spans[n], spans[n + 1]
        gap = line[start].box[0] - line[end - 1].box[2]
        if (label.field and following.field and label.field is not following.field
                and gap <= line[start].height and end == start):
            combined.update((n, n + 1))
    return combined


def _label_at(line: Sequence[Word], start: int) -> tuple[int, Label] | None:
    """The longest label starting at a word (where the label ends, and which); an exact match first."""
    for end in range(min(len(line), start + _MAX_LABEL_WORDS), start, -1):
        key = "".join(_key(w.text) for w in line[start:end])
        label = next((la for la in _LABELS if la.key == key), None) or next(
            (la for la in _LABELS if _matches(key, la)), None)
        if label is not None:
            return end, label
    return None


def _translation_end(line: Sequence[Word], start: int, stop: int) -> int:
    """Where a label's translation ends: the next label, or a gap wider than twice the text's height."""
    end = start + 1
    while end < stop and line[end].box[0] - line[end - 1].box[2] <= 2 * line[end - 1].height:
        end += 1
    return end


def _values(hit: _Hit, words: Sequence[Word], label_words: set[Word]) -> list[list[Word]]:
    """The candidate values of a label: the words after it on its line, then the line under it."""
    x0, y0, x1, y1 = hit.box
    height = max(y1 - y0, 1)
    candidates: list[list[Word]] = []
    after = sorted((w for w in words if w not in label_words and w.box[0] >= x1 - height // 2
                    and abs(w.centre_y - (y0 + y1) / 2) < height * 0.6), key=lambda w: w.box[0])
    if after and after[0].box[0] - x1 <= 4 * height:
        candidates.append(_run(after, label_words))
    # A translation found without its label ("/Place of birth" right of "Lieu de naissance") has no value under it.
    if not hit.label.right_only and not hit.words[0].text.startswith("/"):
        under = [w for w in words if w not in label_words and abs(w.box[0] - x0) <= 2 * height
                 and w.box[1] > (y0 + y1) / 2 and w.centre_y - y1 < 3 * height]
        for first in sorted(under, key=lambda w: w.box[1]):  # a speck read as a character may come first
            row = sorted((w for w in words if w.box[0] >= first.box[0]
                          and abs(w.centre_y - first.centre_y) < first.height * 0.6), key=lambda w: w.box[0])
            candidates.append(_run(row, label_words))
    return candidates


def _run(row: Sequence[Word], label_words: set[Word]) -> list[Word]:
    """The words of a value: from the first, rightwards while the gaps stay within the text's spacing."""
    run = [row[0]]
    for word in row[1:]:
        if word in label_words or word.box[0] - run[-1].box[2] > 1.5 * max(run[-1].height, word.height):
            break
        run.append(word)
    return run


def union(words: Sequence[Word]) -> tuple[int, int, int, int]:
    return (min(w.box[0] for w in words), min(w.box[1] for w in words),
            max(w.box[2] for w in words), max(w.box[3] for w in words))
