"""Identity traits normalised and compared the RNIV way.

Two forms exist: the *display* form (what is transmitted) is upper case with the diacritics, hyphens,
apostrophes and single spaces of the name as printed (the RNIV keeps them where the document shows them);
the *comparison* form also drops diacritics (NFKD, combining marks dropped, ligatures spelled out),
hyphens, apostrophes and spaces, because the RNIV ignores them when comparing traits, and MRZs turn them
into plain letters and fillers that readers render as spaces.

Whether a difference is minor or major is the facility's identity-vigilance procedure, not a rule of
this code: it comes in as `DiscrepancyRules`. `DEFAULT_RULES` is only a default, a starting point that a
facility is expected to review:
- names equal after normalisation: equal;
- a name within one typing error (insertion, deletion, substitution or swap of two neighbouring
  letters) of the other, on names of at least 5 letters: minor;
- same first given name but later given names different or missing: minor;
- any difference in birth date, sex or birth place code: major;
- anything else: major.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from verification.identity.model import IdentityTraits, KnownTraits

# Letters NFKD leaves whole; spelled out the way French civil status and the MRZ (ICAO 9303) do.
_SPELLED_OUT = str.maketrans({"Œ": "OE", "Æ": "AE", "ß": "SS", "Ø": "OE", "Ł": "L", "Đ": "D", "Þ": "TH"})
# Typographic hyphens and apostrophes, written the plain way.
_PLAIN_PUNCTUATION = str.maketrans({"‐": "-", "‑": "-", "–": "-", "’": "'", "ʼ": "'", "`": "'"})
# What the RNIV ignores in comparisons: hyphens, apostrophes and spaces.
_IGNORED_IN_COMPARISON = str.maketrans("", "", "-' ")


def _fold(text: str) -> str:
    upper = text.upper().translate(_SPELLED_OUT)
    decomposed = unicodedata.normalize("NFKD", upper)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def display_form(text: str) -> str:
    """Upper case, diacritics, hyphens and apostrophes kept, single spaces: "Maëlis-Gaëlle" -> "MAËLIS-GAËLLE"."""
    return " ".join(text.upper().translate(_PLAIN_PUNCTUATION).split())


def folded_form(text: str) -> str:
    """Upper case, no diacritics, hyphens and apostrophes kept, single spaces: "Maëlis-Gaëlle" ->
    "MAELIS-GAELLE" (what two OCR models that do not both know diacritics can agree on)."""
    return _fold(display_form(text))


def comparison_form(text: str) -> str:
    """No diacritics, hyphens, apostrophes or spaces: 'Maëlis-Gaëlle' -> 'MAELISGAELLE'."""
    return folded_form(text).translate(_IGNORED_IN_COMPARISON)


def display_traits(traits: IdentityTraits) -> IdentityTraits:
    """The traits with names and birth place in display form, as transmitted to relying parties."""
    return replace(
        traits,
        birth_name=display_form(traits.birth_name),
        given_names=tuple(display_form(name) for name in traits.given_names),
        birth_place=display_form(traits.birth_place) if traits.birth_place else None,
    )


def typo_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


class Severity(StrEnum):
    EQUAL = "equal"
    MINOR = "minor"
    MAJOR = "major"


_ORDER = {Severity.EQUAL: 0, Severity.MINOR: 1, Severity.MAJOR: 2}


def worst(severities: list[Severity]) -> Severity:
    return max(severities, key=_ORDER.__getitem__, default=Severity.EQUAL)


class TraitField(StrEnum):
    BIRTH_NAME = "birth_name"
    FIRST_GIVEN_NAME = "first_given_name"
    GIVEN_NAMES = "given_names"
    BIRTH_DATE = "birth_date"
    SEX = "sex"
    BIRTH_PLACE_CODE = "birth_place_code"


@dataclass(frozen=True)
class DiscrepancyRules:
    """A facility's minor/major classification of trait differences (see the module docstring)."""

    typo_max_edits: int = 1  # 0 makes every name difference fall to `name_difference`
    typo_min_length: int = 5  # shorter names get no typo tolerance: one letter is too much of them
    typo: Severity = Severity.MINOR
    name_difference: Severity = Severity.MAJOR
    later_given_names_difference: Severity = Severity.MINOR
    birth_date_difference: Severity = Severity.MAJOR
    sex_difference: Severity = Severity.MAJOR
    birth_place_code_difference: Severity = Severity.MAJOR


DEFAULT_RULES = DiscrepancyRules()


@dataclass(frozen=True)
class FieldComparison:
    field: TraitField
    severity: Severity
    document_value: str  # comparison form (names) or ISO / code value
    other_value: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field.value,
            "severity": self.severity.value,
            "document_value": self.document_value,
            "other_value": self.other_value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FieldComparison:
        return cls(TraitField(data["field"]), Severity(data["severity"]), data["document_value"], data["other_value"])


@dataclass(frozen=True)
class TraitsComparison:
    fields: tuple[FieldComparison, ...]

    @property
    def overall(self) -> Severity:
        return worst([f.severity for f in self.fields])

    @property
    def discrepancies(self) -> tuple[FieldComparison, ...]:
        return tuple(f for f in self.fields if f.severity is not Severity.EQUAL)

    def field(self, name: TraitField) -> FieldComparison | None:
        return next((f for f in self.fields if f.field is name), None)

    def to_dict(self) -> dict[str, Any]:
        return {"overall": self.overall.value, "fields": [f.to_dict() for f in self.fields]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TraitsComparison:
        return cls(tuple(FieldComparison.from_dict(f) for f in data["fields"]))


# INSEE codes of the three cities divided in municipal arrondissements, and their arrondissements' codes: a
# card prints "PARIS" (75056) where the INS birth code names the arrondissement (75106).
ARRONDISSEMENTS = {"75056": ("75101", "75120"), "69123": ("69381", "69389"), "13055": ("13201", "13216")}


def same_birth_place(a: str, b: str) -> bool:
    """Two INSEE birth place codes naming one place: equal, or a city and one of its arrondissements."""
    if a == b:
        return True
    return any(city in (a, b) and first <= (b if a == city else a) <= last
               for city, (first, last) in ARRONDISSEMENTS.items())


def _name_severity(a: str, b: str, rules: DiscrepancyRules) -> Severity:
    if a == b:
        return Severity.EQUAL
    if min(len(a), len(b)) >= rules.typo_min_length and typo_distance(a, b) <= rules.typo_max_edits:
        return rules.typo
    return rules.name_difference


def _exact(field: TraitField, a: str, b: str, difference: Severity) -> FieldComparison:
    return FieldComparison(field, Severity.EQUAL if a == b else difference, a, b)


def _split_first_given_name(names: list[str], first: str) -> tuple[str, list[str]]:
    """The first given name of `names`, re-joining the leading names that spell `first` together.

    A composed first name ('MARIE-LOUISE') comes out of an MRZ as two names ('MARIE', 'LOUISE'): the
    filler replaces the hyphen. Since hyphens and spaces are ignored, those names are that one name.
    """
    joined = ""
    for count, name in enumerate(names, start=1):
        joined += name
        if joined == first:
            return joined, names[count:]
        if len(joined) >= len(first):
            break
    return names[0], names[1:]


def _given_names(
    document: tuple[str, ...], other: tuple[str, ...], rules: DiscrepancyRules
) -> tuple[FieldComparison, FieldComparison]:
    doc = [comparison_form(n) for n in document]
    oth = [comparison_form(n) for n in other]
    doc_first, doc_rest = _split_first_given_name(doc, oth[0])
    oth_first, oth_rest = _split_first_given_name(oth, doc_first)
    first = FieldComparison(
        TraitField.FIRST_GIVEN_NAME, _name_severity(doc_first, oth_first, rules), doc_first, oth_first
    )
    whole: Severity
    if first.severity is not Severity.EQUAL:
        whole = first.severity
    elif doc_rest == oth_rest:
        whole = Severity.EQUAL
    else:
        whole = rules.later_given_names_difference
    return first, FieldComparison(TraitField.GIVEN_NAMES, whole, " ".join(doc), " ".join(oth))


def compare_traits(
    document: IdentityTraits | KnownTraits, other: IdentityTraits | KnownTraits, rules: DiscrepancyRules = DEFAULT_RULES
) -> TraitsComparison:
    """Compare the document's traits with declared or INS traits, field by field.

    A trait is compared only when both sides give it (KnownTraits leaves out what a document did not confirm).
    """
    fields: list[FieldComparison] = []
    if document.birth_name and other.birth_name:
        doc_name, other_name = comparison_form(document.birth_name), comparison_form(other.birth_name)
        fields.append(
            FieldComparison(TraitField.BIRTH_NAME, _name_severity(doc_name, other_name, rules), doc_name, other_name)
        )
    if document.given_names and other.given_names:
        fields += _given_names(document.given_names, other.given_names, rules)
    if document.birth_date and other.birth_date:
        fields.append(
            _exact(
                TraitField.BIRTH_DATE,
                document.birth_date.isoformat(),
                other.birth_date.isoformat(),
                rules.birth_date_difference,
            )
        )
    if document.sex and other.sex:
        fields.append(_exact(TraitField.SEX, document.sex.value, other.sex.value, rules.sex_difference))
    if document.birth_place_code and other.birth_place_code:
        ours, theirs = document.birth_place_code.strip().upper(), other.birth_place_code.strip().upper()
        same = same_birth_place(ours, theirs)
        severity = Severity.EQUAL if same else rules.birth_place_code_difference
        fields.append(FieldComparison(TraitField.BIRTH_PLACE_CODE, severity, ours, theirs))
    return TraitsComparison(tuple(fields))
