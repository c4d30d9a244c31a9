"""Stored check results read back through their typed loaders, including rows stored before the schema
version was (version 1) and the bare error rows of a check that could not run."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from biometrics.portrait import PortraitLocation
from synthetic.documents import render_document
from synthetic.identities import DocumentKind, random_person
from synthetic.portraits import fallback_portrait
from verification.common.outcome import CheckStatus
from verification.decision.records import (
    SCHEMA_VERSION,
    DocumentRecord,
    FaceMatchRecord,
    LivenessRecord,
    load_check,
    reviewer_fields,
    stored_details,
)
from verification.decision.rules import CheckName, CheckSummary
from verification.document.check import check_document
from verification.document.policy import DocumentPolicy

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize("kind", [DocumentKind.TD1_ID_CARD, DocumentKind.FR_ID_1988])
def test_the_document_record_gives_back_the_fields_read(kind: DocumentKind) -> None:
    rng = np.random.default_rng(7)
    person = random_person(rng, kind, TODAY)
    image = render_document(person.document_kind, person, fallback_portrait().image, rng=rng).image
    result = check_document([image], DocumentPolicy(), TODAY)
    assert result.mrz is not None and result.mrz.result is not None and result.mrz.result.fields is not None
    details = stored_details(result.to_dict())
    record = load_check(CheckName.DOCUMENT, "pass", 0.9, ["x"], details)
    assert isinstance(record, DocumentRecord) and record.schema_version == SCHEMA_VERSION
    assert record.fields == result.mrz.result.fields
    assert record.portrait == result.portrait and record.portrait is not None
    assert record.summary() == CheckSummary(CheckName.DOCUMENT, CheckStatus.PASS, ("x",), 0.9)
    shown = reviewer_fields(details)
    assert "raw" not in shown and shown["surname"] == record.fields.surname


def test_a_row_stored_before_versions_reads_as_version_1() -> None:
    details = {"status": "pass", "distance": 0.31, "threshold": 0.56, "model": "dlib", "score": 0.69}
    record = load_check(CheckName.FACE_MATCH, "pass", 0.69, [], details)
    assert isinstance(record, FaceMatchRecord) and record.schema_version == 1
    assert record.summary().measure == 0.31  # the face match's measure is its distance, not its score


def test_an_error_row_loads_with_its_columns() -> None:
    record = load_check(CheckName.LIVENESS, "fail", None, ["video_unreadable"], {"error": "cannot decode"})
    assert isinstance(record, LivenessRecord)
    assert (record.status, record.reasons, record.error) == (CheckStatus.FAIL, ("video_unreadable",), "cannot decode")
    document = load_check(CheckName.DOCUMENT, "inconclusive", None, ["r"], {"error": "e"})
    assert isinstance(document, DocumentRecord) and document.fields is None and document.portrait_frame is None
    assert reviewer_fields({"error": "e"}) == {}


def test_a_newer_schema_is_refused_rather_than_misread() -> None:
    with pytest.raises(ValueError, match="schema version"):
        load_check(CheckName.LIVENESS, "pass", 1.0, [], {"schema_version": SCHEMA_VERSION + 1})


def test_the_portrait_location_round_trips() -> None:
    location = PortraitLocation(1, (10, 20, 110, 140))
    assert PortraitLocation.from_dict(location.to_dict()) == location
