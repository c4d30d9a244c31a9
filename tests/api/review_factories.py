"""Factories for the review console's tests: an app on a database of its own, operators, and cases waiting
for a reviewer, made the way the pipeline makes them.

A case: an enrollment opened and its document photo uploaded through the HTTP API, the real document check
run on that photo (a synthetic card rendered with a real portrait), liveness and face-match results as the
biometric steps store them, the derived portrait and selfie frames saved by the steps' own `save_image`,
then the real decision step (`workers.services.decision.run_decision`) under the enrollment's policy.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from fastapi.testclient import TestClient
from numpy.typing import NDArray

from storage.enrollments.repositories import CheckResults, Enrollments
from storage.evidence.layout import DerivedImage, DerivedKind
from storage.review.credentials import OperatorRole
from storage.runtime import Runtime
from storage.settings import Settings
from tests import services
from tests.api.conftest import RP_KEY, api_settings, celery_of
from verification.common.outcome import CheckStatus
from verification.decision.rules import CheckName
from verification.document.check import DocumentCheckResult, check_document
from verification.document.fields import DocumentFields, FieldName, UnconfirmedReason, unconfirmed
from verification.document.policy import DocumentPolicy
from verification.enrollment.lifecycle import Status
from workers.services.decision import run_decision
from workers.services.operators import add_operator
from workers.services.results import save_check, save_image
from workers.webhooks import NOTIFY

PASSWORD = "correct horse battery staple"
RP_AUTH = {"Authorization": f"Bearer {RP_KEY}"}
SELFIE_FRAMES = 3


@contextmanager
def review_settings(tmp: Path, s3_endpoint: str, **overrides: Any) -> Iterator[Settings]:
    """Settings on a PostgreSQL database of their own: the queue draws among every case in review, so other
    tests' enrollments must not be in it."""
    with services.postgres_database() as url:
        yield api_settings(tmp, url, s3_endpoint, s3_bucket="idv-review-tests", policy="pvid-substantial",
                           **overrides)


def make_operator(runtime: Runtime, role: OperatorRole = OperatorRole.REVIEWER, username: str | None = None) -> str:
    username = username or f"{role.value}-{uuid.uuid4().hex[:8]}"
    with runtime.database.session() as session:
        add_operator(session, username, PASSWORD, role, datetime.now(UTC))
    return username


@dataclass(frozen=True)
class DocumentSample:
    jpeg: bytes
    portrait: NDArray[np.uint8]
    result: DocumentCheckResult


@cache
def document_sample() -> DocumentSample:
    """One synthetic French ID card (TD1) with scikit-image's astronaut as portrait, read by the real check."""
    from synthetic.documents import render_document
    from synthetic.identities import DocumentKind, random_person
    from synthetic.portraits import fallback_portrait

    rng = np.random.default_rng(20261123)
    portrait = fallback_portrait().image
    person = random_person(rng, DocumentKind.TD1_ID_CARD)
    document = render_document(DocumentKind.TD1_ID_CARD, person, portrait, rng=rng)
    result = check_document([document.image], DocumentPolicy(), date.today())
    if result.status is not CheckStatus.PASS:
        raise RuntimeError(f"the sample document did not pass the document check: {result.reasons}")
    x0, y0, x1, y1 = (int(v) for v in document.portrait_box)
    return DocumentSample(cv2.imencode(".jpg", document.image)[1].tobytes(), document.image[y0:y1, x0:x1], result)


@dataclass(frozen=True)
class _StoredCheck:
    """A biometric check's result in the shape its step stores (status, score, reasons, details)."""

    status: CheckStatus
    score: float | None
    reasons: tuple[str, ...]
    details: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.details


def unconfirmed_document(result: DocumentCheckResult, names: tuple[FieldName, ...]) -> DocumentCheckResult:
    """The document check's result with the fields `names` left unconfirmed (read once), as the check reports
    them: inconclusive, a reason per field."""
    fields = {name: unconfirmed(field.value, UnconfirmedReason.SINGLE_READING) if name in names else field
              for name, field in result.fields}
    return replace(result, status=CheckStatus.INCONCLUSIVE, fields=DocumentFields(fields),
                   reasons=tuple(f"field_unconfirmed:{name}" for name in names))


def make_case(http: TestClient, runtime: Runtime, *, liveness: CheckStatus = CheckStatus.PASS,
              callback_url: str | None = None, declared_traits: dict[str, Any] | None = None,
              unconfirmed_fields: tuple[FieldName, ...] = ()) -> str:
    """An enrollment the decision step has sent to review; returns its id. With the default all checks pass
    (under pvid-substantial: review with automation's verdict `approve`); an inconclusive liveness, declared
    traits other than the document's or unconfirmed document fields make automation doubt."""
    body: dict[str, Any] = {"callback_url": callback_url} if callback_url else {}
    if declared_traits:
        body["declared_traits"] = declared_traits
    created = http.post("/v1/enrollments", json=body, headers=RP_AUTH)
    assert created.status_code == 201, created.text
    enrollment_id, token = created.json()["enrollment_id"], created.json()["enrollment_token"]
    sample = document_sample()
    uploaded = http.put(f"/v1/enrollments/{enrollment_id}/captures/document_front", content=sample.jpeg,
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"})
    assert uploaded.status_code == 201, uploaded.text

    _start_processing(runtime, enrollment_id)
    save_check(runtime, enrollment_id, CheckName.DOCUMENT, unconfirmed_document(sample.result, unconfirmed_fields)
               if unconfirmed_fields else sample.result)
    save_check(runtime, enrollment_id, CheckName.FACE_MATCH, _StoredCheck(
        CheckStatus.PASS, 0.71, (), {"distance": 0.29, "threshold": 0.5, "frames_compared": SELFIE_FRAMES}))
    live = liveness is CheckStatus.PASS
    save_check(runtime, enrollment_id, CheckName.LIVENESS, _StoredCheck(
        liveness, 0.83 if live else 0.41, () if live else ("planarity_suspect",),
        {"actions": ["turn_left", "blink", "look_up"], "planarity": 0.12 if live else 0.71}))
    save_image(runtime, enrollment_id, DerivedImage(DerivedKind.PORTRAIT), sample.portrait)
    for rank in range(SELFIE_FRAMES):
        save_image(runtime, enrollment_id, DerivedImage(DerivedKind.SELFIE_FRAME, rank),
                   np.roll(sample.portrait, 4 * rank, axis=1))

    run_decision(runtime, enrollment_id)
    celery_of(http).tasks[NOTIFY].delay(enrollment_id)  # as the pipeline does after a decision
    with runtime.database.session() as session:
        status = Enrollments(session).get(enrollment_id).status  # type: ignore[union-attr]
        assert status == Status.REVIEW, (status, CheckResults(session).of_enrollment(enrollment_id))
    return enrollment_id


def _start_processing(runtime: Runtime, enrollment_id: str) -> None:
    """What `submit` and the pipeline's first step do to the status, without running the checks."""
    now = datetime.now(UTC)
    with runtime.database.session() as session:
        enrollments = Enrollments(session)
        enrollment = enrollments.get(enrollment_id)
        assert enrollment is not None
        for target in (Status.SUBMITTED, Status.PROCESSING):
            enrollments.transition(enrollment, target, "test: captured elsewhere", now)
