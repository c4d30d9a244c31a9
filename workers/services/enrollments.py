"""Opening an enrollment (relying party) and submitting it (mobile app)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from storage.enrollments.credentials import new_secret, secret_hash
from storage.enrollments.models import Enrollment, RelyingParty
from storage.enrollments.repositories import Enrollments
from storage.runtime import Runtime
from verification.common.errors import CodedError
from verification.document.video import draw_tilt
from verification.enrollment.lifecycle import Status, require_capturing
from workers.services.captures import missing_captures
from workers.services.lifecycle import transition


def create_enrollment(session: Session, runtime: Runtime, party: RelyingParty, *,
                      declared_traits: dict[str, Any] | None, ins_traits: dict[str, Any] | None,
                      callback_url: str | None, now: datetime) -> tuple[Enrollment, str]:
    """A new enrollment under the deployment's policy, with the document tilt it will ask for; returns it and
    the mobile app's token, in clear this once."""
    token = new_secret()
    enrollment = Enrollment(
        id=str(uuid.uuid4()),
        relying_party_id=party.id,
        status=Status.CREATED,
        token_hash=secret_hash(token),
        declared_traits=declared_traits,
        ins_traits=ins_traits,
        callback_url=callback_url,
        policy_name=runtime.settings.policy,
        document_tilt=draw_tilt(runtime.rng),
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(seconds=runtime.settings.enrollment_ttl_seconds),
        submitted_at=None,
    )
    Enrollments(session).add(enrollment, cause=f"created by relying party {party.name}")
    return enrollment, token


def submit(session: Session, enrollment: Enrollment, now: datetime) -> Enrollment:
    """Closes the captures (a document and the answered selfie video needed) and hands the enrollment to the
    pipeline, which the caller starts once this has committed."""
    enrollment = Enrollments(session).get(enrollment.id, for_update=True) or enrollment
    require_capturing(Status(enrollment.status), enrollment.expires_at, now)
    missing = missing_captures(session, enrollment.id)
    if missing:
        raise CodedError("captures_missing", {"missing": [m.value for m in missing]})
    transition(session, enrollment, Status.SUBMITTED, "submitted by the mobile app", now)
    enrollment.submitted_at = now
    return enrollment
