"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class Traits(BaseModel):
    """Identity traits declared by the relying party, or retrieved by it from the INSi service."""

    model_config = ConfigDict(extra="forbid")

    birth_name: str = Field(min_length=1, max_length=100)
    given_names: list[str] = Field(min_length=1, max_length=10)
    birth_date: date
    sex: Literal["M", "F", "X"]
    birth_place_code: str | None = Field(default=None, pattern=r"^[0-9AB]{5}$")  # INSEE commune/country code


class EnrollmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    declared_traits: Traits | None = None
    ins_traits: Traits | None = None
    callback_url: HttpUrl | None = None


class EnrollmentCreated(BaseModel):
    enrollment_id: str
    enrollment_token: str
    status: str
    expires_at: datetime


class CaptureStored(BaseModel):
    capture_id: str
    kind: str
    content_type: str
    size: int
    sha256: str


class ChallengeIssued(BaseModel):
    nonce: str
    actions: list[str]
    expires_at: datetime


class EnrollmentStatus(BaseModel):
    enrollment_id: str
    status: str
    updated_at: datetime
    # A document video must tilt the card this way: the edge sent away from the camera.
    document_tilt: Literal["left", "right", "up", "down"]
    missing: list[str] = []
    user_reasons: list[str] = []


class DecisionView(BaseModel):
    outcome: str
    reasons: list[str]
    user_reasons: list[str]
    policy: str
    decided_by: str
    decided_at: datetime
    final: bool


class CheckView(BaseModel):
    check: str
    status: str
    score: float | None
    reasons: list[str]


class EnrollmentResult(BaseModel):
    enrollment_id: str
    status: str
    decision: DecisionView | None
    checks: list[CheckView]
    assertion: str | None
    details: dict[str, Any] = {}
