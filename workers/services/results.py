"""Storing a check's typed result and the artefacts it derived (frames, crops) as evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

import cv2
import numpy as np

from storage.enrollments.repositories import CheckResults
from storage.evidence.layout import DerivedImage, derived_key
from storage.runtime import Runtime
from verification.common.outcome import CheckStatus
from verification.decision.rules import CheckName


class CheckResultLike(Protocol):
    status: CheckStatus
    score: float | None
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]: ...


def save_check(runtime: Runtime, enrollment_id: str, name: CheckName, result: CheckResultLike) -> None:
    with runtime.database.session() as session:
        CheckResults(session).upsert(enrollment_id, name, status=result.status.value, score=result.score,
                                     reasons=list(result.reasons), details=result.to_dict(), at=datetime.now(UTC))


def save_failure(runtime: Runtime, enrollment_id: str, name: CheckName, status: CheckStatus, reason: str,
                 detail: str) -> None:
    """A check that could not run on its input (undecodable video…) still leaves a result with its reason."""
    with runtime.database.session() as session:
        CheckResults(session).upsert(enrollment_id, name, status=status.value, score=None, reasons=[reason],
                                     details={"error": detail}, at=datetime.now(UTC))


def save_image(runtime: Runtime, enrollment_id: str, derived: DerivedImage, image: np.ndarray) -> str:
    """A derived image (portrait crop, chosen selfie frame) as JPEG evidence; returns its object key."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise ValueError(f"cannot encode {derived.name}")
    key = derived_key(enrollment_id, derived)
    runtime.evidence.put_bytes(key, encoded.tobytes(), "image/jpeg")
    return key
