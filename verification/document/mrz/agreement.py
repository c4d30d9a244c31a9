"""Which fields of an MRZ reading independent readings confirm (the `mrz` source of
verification.document.fields).

A check digit that holds confirms nothing on its own: one misread document number in ten passes it by
chance, look-alike swaps of one class (B/8, D/0, S/5...) inside an alphanumeric field leave it unchanged,
and names and country codes have none. A field is confirmed by the MRZ when readings by at least two OCR
models, which misread different characters (the MRZ model an M as R, the English one a filler as K), gave
it the same value, each without the help of a check-digit correction on that field: a correction the check
digits chose is the one guess among many that happens to pass, not something read. And those agreeing
readings must be at least half of all the readings (in whatever format they were taken): where most
readings of a field differ (a name printed over a security pattern), two models can share a misreading
(ALI read ACT by both).

Names carry no check digit (but on the French 1988 card) and the two models share misreadings of them
under poor light or blur (L read I, M read N by both): names the models agree on are `mrz_unchecked`,
never confirmed by the MRZ alone, only with the printed names of the visual zone (`mrz+viz`, see
verification.document.confirmation) or by a reviewer.
"""

from __future__ import annotations

from collections.abc import Sequence

from verification.document.fields import UnconfirmedReason
from verification.document.mrz.candidate import Candidate
from verification.document.mrz.fields import MrzFields, given_names, name_part, split_names
from verification.document.mrz.formats import MrzFormat, field_layout
from verification.document.mrz.names import clear_name_padding

# MrzFields attributes a reading reports, and the layout fields they are decoded from.
FIELD_SPANS: dict[str, tuple[str, ...]] = {
    "document_code": ("document_code",),
    "issuing_state": ("issuing_state",),
    "surname": ("names", "surname"),
    "given_names": ("names", "given_names"),
    # TD1/TD2 numbers over 9 continue in the optional data; the French 1988 card's is three fields.
    "document_number": ("document_number", "optional_data", "issue_month", "issue_department", "card_serial"),
    "nationality": ("nationality",),
    "birth_date": ("birth_date",),
    "sex": ("sex",),
    "expiry_date": ("expiry_date",),
    "issue_date": ("issue_month",),
}
# Characters that OCR confuses with a character of another kind, which only the alphanumeric fields allow
# side by side (elsewhere the field's type settles them): check digits alone cannot tell them apart.
LOOKALIKES = frozenset("B8D0OQIL1SZ2G6")
ALNUM_FIELDS = frozenset({"document_number"})
NAME_FIELDS = frozenset({"surname", "given_names"})
MIN_MODELS = 2
Verdicts = dict[str, UnconfirmedReason | None]


def _positions(fmt: MrzFormat, field: str) -> set[tuple[int, int]]:
    spans = [span for span in field_layout(fmt) if span.name in FIELD_SPANS[field]]
    return {(span.line, index) for span in spans for index in range(span.start, span.end)}


def _present(value: object) -> bool:
    """Whether a decoded field holds something (no nationality, no given names, no date are absent)."""
    return value is not None and value != "" and value != ()


def _checked(fmt: MrzFormat, field: str) -> bool:
    """Whether a check digit covers the field (the French 1988 card's names, under its final digit)."""
    return all(span.checked_by for span in field_layout(fmt) if span.name in FIELD_SPANS[field])


def _guessed(reading: Candidate, positions: set[tuple[int, int]]) -> bool:
    """Whether a check-digit correction chose a character of the field in this reading."""
    outcome = reading.outcome
    return outcome is not None and any(c.rule == "check_digits" and (c.line, c.position) in positions
                                       for c in outcome.corrections)


def field_verdicts(final: Candidate, readings: Sequence[tuple[str, Candidate]]) -> Verdicts:
    """For each field of `final` (the reading the search settled on): None when readings by two models
    (among `readings`, as (model, reading)) agree on its value unaided, else why it is unconfirmed."""
    result = final.result
    if result is None or result.fields is None or result.format is None:
        return {}
    if not result.valid:
        return dict.fromkeys(FIELD_SPANS, UnconfirmedReason.READING_INVALID)
    fmt, fields = result.format, result.fields
    verdicts: Verdicts = {}
    for name in FIELD_SPANS:
        value = getattr(fields, name)
        if not _present(value):
            continue
        positions = _positions(fmt, name)
        agreeing = [model for model, reading in readings
                    if _same_field(reading, fmt, name, value) and not _guessed(reading, positions)]
        if len(set(agreeing)) >= MIN_MODELS and len(agreeing) * 2 >= len(readings):
            unchecked = name in NAME_FIELDS and not _checked(fmt, name)
            verdicts[name] = UnconfirmedReason.UNCHECKED if unchecked else None
        elif name in ALNUM_FIELDS and LOOKALIKES.intersection(value):
            verdicts[name] = UnconfirmedReason.LOOKALIKE
        else:
            verdicts[name] = UnconfirmedReason.SINGLE_READING
    return verdicts


def _same_field(reading: Candidate, fmt: MrzFormat, name: str, value: object) -> bool:
    result = reading.result
    fields: MrzFields | None = None if result is None else result.fields
    if result is None or result.format is not fmt or fields is None:
        return False
    return (_names(fields)[name] if name in NAME_FIELDS else getattr(fields, name)) == value


def _names(fields: MrzFields) -> dict[str, object]:
    """The names of a reading as the search reports them: the padding after a name field cleared (fillers
    that OCR read as letters, see verification.document.mrz.names)."""
    raw = {key: "".join(clear_name_padding(list(text))) for key, text in fields.raw}
    if "names" in raw:
        surname, given = split_names(raw["names"])
        return {"surname": surname, "given_names": given}
    return {"surname": name_part(raw["surname"]), "given_names": given_names(raw["given_names"])}


def agreeing_captures(verdicts: Verdicts, fields: MrzFields, other: MrzFields, fmt: MrzFormat) -> Verdicts:
    """`verdicts` with every checked field that another capture's valid reading (`other`) read alike
    confirmed: two photos (or video frames) differ in noise, blur and framing. Names no check digit covers
    stay unconfirmed: the same two models read them on both captures, and share their misreadings."""
    out: Verdicts = {}
    for name in FIELD_SPANS:
        value = getattr(fields, name)
        if not _present(value):
            continue
        verdict = verdicts.get(name, UnconfirmedReason.SINGLE_READING)
        if name in NAME_FIELDS and not _checked(fmt, name):
            out[name] = verdict
        else:
            out[name] = None if getattr(other, name) == value else verdict
    return out
