"""Scoring the fields a document check reports (verification.document.fields) against a document's truth.

The truth of a document: the fields its printed MRZ carries, when that MRZ is valid (a deliberately broken or
altered MRZ is no one's identity), plus what only the visual zone shows (names with their diacritics, the
birth place), given by hand. Reported and true values compare as confirmation.agree does: names the RNIV
way, a name the MRZ truncated agreeing with the printed name it begins; dates as ISO strings.

Two figures (issue 12): `wrong_confirmed`, the documents where a field reported confirmed is wrong (the
worst error: an identity nobody should trust delivered as confirmed), and `confirmed_field_rate`, the
share of true fields reported confirmed and right, over the documents whose printed MRZ is valid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from verification.document.confirmation import agree, mrz_values, truncated_names
from verification.document.fields import DocumentFields, FieldName, FieldValue
from verification.document.mrz.parser import parse_mrz


@dataclass(frozen=True)
class FieldTruth:
    values: Mapping[FieldName, FieldValue]
    truncated: frozenset[FieldName]  # name fields the MRZ cut: a longer printed name beginning with them agrees


def field_truth(expected_mrz: Sequence[str], printed: Mapping[FieldName, FieldValue], today: date) -> FieldTruth:
    """The fields of a valid expected MRZ, completed and overridden by the `printed` ones (visual zone)."""
    parsed = parse_mrz(list(expected_mrz), today=today) if expected_mrz else None
    mrz = parsed.fields if parsed is not None and parsed.valid else None
    values = {**(mrz_values(mrz) if mrz is not None else {}), **printed}
    truncated = truncated_names(mrz) if mrz is not None else frozenset()
    return FieldTruth(values, frozenset(truncated - printed.keys()))


def score_fields(truth: FieldTruth, reported: DocumentFields) -> dict[str, Any]:
    """One document's field figures: the true fields reported confirmed and right, and the confirmed ones
    that are wrong (with both values); a confirmed field without truth is listed as unjudged."""
    right: list[str] = []
    wrong: dict[str, dict[str, Any]] = {}
    for name, field in reported:
        expected = truth.values.get(name)
        if not field.confirmed or expected is None:
            continue
        if field.value is not None and agree(name, expected, field.value, name in truth.truncated):
            right.append(name.value)
        else:
            wrong[name.value] = {"reported": json_value(field.value), "expected": json_value(expected)}
    return {
        "fields_expected": len(truth.values),
        "fields_confirmed_right": len(right),
        "confirmed_wrong": wrong,
        "confirmed_unjudged": sorted(name.value for name, field in reported
                                     if field.confirmed and name not in truth.values),
        "fields": reported.to_dict(),
    }


def summarise_fields(per_document: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """`wrong_confirmed` over every document; `confirmed_field_rate` over those whose printed MRZ is valid
    (`expected_valid`, from evaluation.score_reading)."""
    counted = [d for d in per_document if d["expected_valid"]]
    expected = sum(d["fields_expected"] for d in counted)
    return {
        "wrong_confirmed": sum(bool(d["confirmed_wrong"]) for d in per_document),
        "confirmed_field_rate": round(sum(d["fields_confirmed_right"] for d in counted) / expected, 4)
        if expected else None,
        "fields_expected": expected,
    }


def json_value(value: FieldValue | None) -> str | list[str] | None:
    """A value as JSON carries it (given names as a list)."""
    return list(value) if isinstance(value, tuple) else value
