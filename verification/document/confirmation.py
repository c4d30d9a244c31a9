"""Each identity field confirmed from independent sources, or reported unconfirmed with the reason
(the sources and their meaning: verification.document.fields).

Inputs: the MRZ fields with the reader's per-field verdict (confirmed by the MRZ alone, or why not), and
the visual zone as read on each capture (front, back, video frames). The rules, per field:
- the MRZ and a confirmed visual reading agree after RNIV normalisation: `mrz+viz`, with the visual
  zone's value for names (it keeps the diacritics, apostrophes and hyphens the MRZ cannot carry);
- they disagree: unconfirmed, `mrz_viz_mismatch` — an inconsistency between the zones of one document,
  a fraud signal of its own (ETSI TS 119 461 VAL: consistency of the data read in several places);
- only the MRZ: its own verdict; only the visual zone: its own (birth place, card fronts without MRZ).
A visual reading made once (one OCR pass) confirms a value the MRZ's models agree on when it reads the
same (names included, which the MRZ alone never confirms); otherwise it neither confirms nor contradicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from verification.document.fields import (
    DocumentField,
    DocumentFields,
    FieldName,
    FieldSource,
    FieldValue,
    UnconfirmedReason,
    unconfirmed,
)
from verification.document.mrz.checkdigit import FILLER
from verification.document.mrz.fields import MrzFields
from verification.identity.traits import comparison_form

# The fields an MRZ carries, as MrzFields attributes (the names FieldName uses too).
MRZ_FIELDS = (FieldName.DOCUMENT_CODE, FieldName.ISSUING_STATE, FieldName.SURNAME, FieldName.GIVEN_NAMES,
              FieldName.DOCUMENT_NUMBER, FieldName.NATIONALITY, FieldName.BIRTH_DATE, FieldName.SEX,
              FieldName.EXPIRY_DATE, FieldName.ISSUE_DATE)
NAME_FIELDS = frozenset({FieldName.SURNAME, FieldName.GIVEN_NAMES})

# MRZ verdicts of a field its models read alike: confirmed, or names no check digit covers.
MRZ_AGREED = frozenset({None, UnconfirmedReason.UNCHECKED})
MrzVerdicts = Mapping[str, UnconfirmedReason | None]  # MrzFields attribute -> None when the MRZ confirms it


def mrz_values(fields: MrzFields) -> dict[FieldName, FieldValue]:
    """The MRZ's fields as reported values (dates in ISO form); a field the format lacks is left out."""
    values: dict[FieldName, FieldValue | date | None] = {name: getattr(fields, name.value) for name in MRZ_FIELDS}
    out: dict[FieldName, FieldValue] = {}
    for name, value in values.items():
        if isinstance(value, date):
            out[name] = value.isoformat()
        elif value:  # None, "" (no nationality) and () are absent
            out[name] = value
    return out


def _comparable(name: FieldName, value: FieldValue) -> str:
    if name in NAME_FIELDS:
        parts = (value,) if isinstance(value, str) else value
        return "".join(comparison_form(part) for part in parts)
    text = value if isinstance(value, str) else " ".join(value)
    return "".join(text.split()).upper()


def agree(name: FieldName, mrz: FieldValue, viz: FieldValue, truncated: bool = False) -> bool:
    """Whether two readings of a field say the same thing (names the RNIV way: case, diacritics, hyphens,
    apostrophes and spaces ignored). A name the MRZ truncated agrees with the printed name it begins."""
    a, b = _comparable(name, mrz), _comparable(name, viz)
    return a == b or (truncated and name in NAME_FIELDS and bool(a) and b.startswith(a))


def truncated_names(fields: MrzFields) -> frozenset[FieldName]:
    """The name fields an MRZ may have cut: a names field filled to its last character (ICAO 9303-3
    truncation). One "names" field holds both (the given names are cut first); the French 1988 card has two."""
    raw = dict(fields.raw)
    full = {key for key in ("names", "surname", "given_names") if key in raw and not raw[key].endswith(FILLER)}
    if "names" in full:
        return NAME_FIELDS
    return frozenset(FieldName(key) for key in full)


def merge_visual(readings: Sequence[DocumentFields]) -> dict[FieldName, DocumentField]:
    """One visual value per field over the captures: confirmed when one capture confirmed it or two read it
    alike (independent captures), and no confirmed reading of another capture contradicts it."""
    merged: dict[FieldName, DocumentField] = {}
    for name in FieldName:
        given = [field for reading in readings if (field := reading.get(name)) is not None]
        seen = [field for field in given if field.value]
        if not seen:
            if given:  # no value, and why (a birth place not found, or ambiguous)
                merged[name] = given[0]
            continue
        confirmed = [f for f in seen if f.confirmed]
        first = (confirmed or seen)[0]
        assert first.value is not None
        same = [f for f in seen if f.value is not None and agree(name, first.value, f.value)]
        if any(f.value is not None and not agree(name, first.value, f.value) for f in confirmed):
            merged[name] = unconfirmed(first.value, UnconfirmedReason.SINGLE_READING)  # captures disagree
        elif confirmed or len(same) >= 2:
            merged[name] = DocumentField(first.value, confirmed[0].source if confirmed else FieldSource.VIZ)
        else:
            merged[name] = first
    return merged


def confirm_fields(mrz: MrzFields | None, verdicts: MrzVerdicts, visual: Sequence[DocumentFields],
                   no_verdict: UnconfirmedReason = UnconfirmedReason.SINGLE_READING) -> DocumentFields:
    """Every field any source gave, with its source (see the module docstring); an MRZ field without a
    verdict is unconfirmed for `no_verdict`."""
    viz = merge_visual(visual)
    values = mrz_values(mrz) if mrz is not None else {}
    truncated = truncated_names(mrz) if mrz is not None else frozenset()
    out: dict[FieldName, DocumentField] = {}
    for name in FieldName:
        seen = viz.get(name)
        if name not in values:
            if seen is not None:
                out[name] = seen
            continue
        value = values[name]
        mrz_field = _mrz_field(value, verdicts.get(name.value, no_verdict))
        if seen is not None and seen.confirmed and mrz_field.reason is UnconfirmedReason.READING_INVALID:
            out[name] = seen  # an MRZ that fails its checks (or a card's front read as one) contradicts nothing
        elif (seen is not None and seen.value is not None and mrz_field.reason in MRZ_AGREED
              and agree(name, value, seen.value, name in truncated)):
            # The MRZ's models agree, and the printed zone, in another font elsewhere on the document, reads
            # the same: independent sources, even when the printed zone was read once.
            out[name] = DocumentField(seen.value if name in NAME_FIELDS else value, FieldSource.MRZ_VIZ)
        elif seen is None or not seen.confirmed or seen.value is None:
            out[name] = mrz_field
        elif agree(name, value, seen.value, name in truncated):
            out[name] = DocumentField(seen.value if name in NAME_FIELDS else value, FieldSource.MRZ_VIZ)
        else:
            out[name] = unconfirmed(value, UnconfirmedReason.ZONES_DISAGREE)
    return DocumentFields(out)


def _mrz_field(value: FieldValue, verdict: UnconfirmedReason | None) -> DocumentField:
    return DocumentField(value, FieldSource.MRZ) if verdict is None else unconfirmed(value, verdict)


def zone_mismatches(fields: DocumentFields) -> tuple[FieldName, ...]:
    """The fields whose MRZ and visual zone disagree."""
    return tuple(name for name, field in fields if field.reason is UnconfirmedReason.ZONES_DISAGREE)

