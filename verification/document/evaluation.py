"""Scoring MRZ reading, and the fields the document check confirms, against a manifest of documents whose
printed MRZ is known.

A manifest is a CSV with columns `path,mrz`: image paths relative to the manifest's folder, the printed MRZ
lines joined with '|' (empty for an image without MRZ). Optional columns: `fields`, a JSON object (FieldName
-> value, dates in ISO form, given names as a list) of what the visual zone shows and the MRZ cannot carry;
`kind`, a group to report apart (a degradation). Each document is scored on validity, exact lines and the
decoded fields it got right; `summarise` turns those into the issue's figures (read_valid, field_accuracy,
exact_lines, median_ms, false_valid); verification.document.field_scoring scores the confirmed fields.
"""

from __future__ import annotations

import csv
import json
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from verification.document.field_scoring import field_truth, json_value, score_fields
from verification.document.fields import FieldName, FieldValue
from verification.document.mrz.parser import MrzResult, parse_mrz

# The fields `field_accuracy` counts, as MRZ raw fields (dates as printed, so an invalid date still counts).
SCORED_FIELDS = ("document_number", "surname", "given_names", "birth_date", "expiry_date", "sex", "nationality",
                 "issuing_state")


class ManifestError(ValueError):
    """The manifest lacks the columns it needs."""


@dataclass(frozen=True)
class ManifestRow:
    path: Path
    expected: tuple[str, ...]  # empty when the image carries no MRZ
    printed: Mapping[FieldName, FieldValue] = field(default_factory=dict)  # the `fields` column
    kind: str = ""


def load_image(path: Path) -> npt.NDArray[np.uint8]:
    """BGR pixels turned upright per EXIF (phone photos), as the document check takes them."""
    with Image.open(path) as image:
        rgb = np.array(ImageOps.exif_transpose(image).convert("RGB"))
    return cast(npt.NDArray[np.uint8], cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def read_manifest(manifest: Path) -> list[ManifestRow]:
    """Rows `path,mrz[,fields][,kind]`: paths relative to the manifest's folder, MRZ lines joined with '|'."""
    with manifest.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"path", "mrz"} <= set(reader.fieldnames):
            raise ManifestError("the manifest needs 'path' and 'mrz' columns")
        return [ManifestRow(manifest.parent / row["path"], tuple(row["mrz"].split("|")) if row["mrz"] else (),
                            _printed(row.get("fields") or ""), row.get("kind") or "") for row in reader]


def _printed(text: str) -> dict[FieldName, FieldValue]:
    try:
        data = json.loads(text) if text else {}
        return {FieldName(name): tuple(value) if isinstance(value, list) else str(value)
                for name, value in data.items()}
    except (ValueError, AttributeError) as error:
        raise ManifestError(f"the 'fields' column needs a JSON object of field names: {text!r}") from error


def printed_json(printed: Mapping[FieldName, FieldValue]) -> str:
    """The `fields` column for `printed` (empty when there is nothing)."""
    data = {name.value: json_value(value) for name, value in printed.items()}
    return json.dumps(data, ensure_ascii=False) if data else ""


def _fields(result: MrzResult | None) -> dict[str, str]:
    if result is None or result.fields is None:
        return {}
    raw = dict(result.fields.raw)
    decoded = result.fields
    return {
        "document_number": decoded.document_number,
        "surname": decoded.surname,
        "given_names": " ".join(decoded.given_names),
        "birth_date": raw.get("birth_date", ""),
        "expiry_date": raw.get("expiry_date", ""),
        "sex": decoded.sex,
        "nationality": decoded.nationality or "",
        "issuing_state": decoded.issuing_state,
    }


def score_reading(row: ManifestRow, lines: tuple[str, ...], valid: bool, elapsed_ms: float,
                  today: date) -> dict[str, Any]:
    """One document's figures: validity, exact lines, and which expected fields were read exactly."""
    expected = parse_mrz(list(row.expected), today=today) if row.expected else None
    expected_fields = {k: v for k, v in _fields(expected).items() if k in SCORED_FIELDS and
                       (k != "nationality" or v)}
    read_fields = _fields(parse_mrz(list(lines), today=today)) if lines else {}
    correct = sorted(k for k, v in expected_fields.items() if read_fields.get(k) == v)
    return {
        "path": str(row.path),
        "expected": list(row.expected),
        "expected_valid": expected is not None and expected.valid,
        "lines": list(lines),
        "valid": valid,
        "exact": tuple(lines) == row.expected,
        "fields_total": len(expected_fields),
        "fields_correct": len(correct),
        "fields_wrong": sorted(set(expected_fields) - set(correct)),
        "elapsed_ms": round(elapsed_ms, 1),
    }


def summarise(per_document: list[dict[str, Any]]) -> dict[str, Any]:
    """`read_valid` counts the documents whose printed MRZ is valid; the others (deliberately broken
    specimens, fronts without MRZ) must never read valid: `false_valid` counts those that did, and
    `valid_wrong` the valid readings whose lines differ from the expected ones."""
    readable = [d for d in per_document if d["expected_valid"]]
    fields_total = sum(d["fields_total"] for d in per_document)
    return {
        "documents": len(per_document),
        "read_valid": _fraction(sum(d["valid"] for d in readable), len(readable)),
        "exact_lines": _fraction(sum(d["exact"] for d in per_document), len(per_document)),
        "field_accuracy": _fraction(sum(d["fields_correct"] for d in per_document), fields_total),
        "median_ms": round(statistics.median(d["elapsed_ms"] for d in per_document), 1) if per_document else None,
        "valid_expected": len(readable),
        "false_valid": sum(d["valid"] and not d["expected_valid"] for d in per_document),
        "valid_wrong": sum(d["valid"] and d["expected_valid"] and not d["exact"] for d in per_document),
    }


def by_kind(per_document: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The documents of each `kind` (manifest column), in order of first appearance."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for document in per_document:
        groups.setdefault(document["kind"], []).append(document)
    return groups


def _fraction(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def evaluate_reader(rows: list[ManifestRow], today: date) -> list[dict[str, Any]]:
    """This project's reader on every row, timed from decoded pixels (the engine loaded once)."""
    from verification.document.mrz.reader import read_mrz

    scored = []
    for row in rows:
        image = load_image(row.path)
        started = time.perf_counter()
        reading = read_mrz(image, today=today)
        elapsed = (time.perf_counter() - started) * 1000
        scored.append(score_reading(row, reading.lines, reading.valid, elapsed, today))
    return scored


def evaluate_passporteye(rows: list[ManifestRow], today: date) -> list[dict[str, Any]]:
    """Plain PassportEye 2.2.2 (its own region finding, OCR and validity flag), timed from the file."""
    from passporteye import read_mrz as passporteye_read_mrz

    scored = []
    for row in rows:
        started = time.perf_counter()
        mrz = passporteye_read_mrz(str(row.path))
        elapsed = (time.perf_counter() - started) * 1000
        lines: tuple[str, ...] = ()
        if mrz is not None:
            lines = tuple(line.replace(" ", "") for line in mrz.aux.get("text", "").splitlines() if line.strip())
        scored.append(score_reading(row, lines, bool(mrz is not None and mrz.valid), elapsed, today))
    return scored


def evaluate_check(rows: list[ManifestRow], today: date) -> list[dict[str, Any]]:
    """The full document check (default policy, as the service runs it) on every row, timed from decoded
    pixels: its MRZ reading scored as evaluate_reader's (one image: the same read_mrz call), and its fields
    against the row's truth."""
    from verification.document.check import check_document
    from verification.document.policy import DocumentPolicy

    scored = []
    for row in rows:
        image = load_image(row.path)
        started = time.perf_counter()
        result = check_document([image], DocumentPolicy(), today)
        elapsed = (time.perf_counter() - started) * 1000
        lines, valid = (result.mrz.lines, result.mrz.valid) if result.mrz is not None else ((), False)
        truth = field_truth(row.expected, row.printed, today)
        scored.append({**score_reading(row, lines, valid, elapsed, today), "kind": row.kind,
                       **score_fields(truth, result.fields)})
    return scored
