"""The signing step: an approved enrollment gets its validated-identity assertion (once)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from storage.enrollments.models import Assertion, Decision
from storage.enrollments.repositories import Assertions, CheckResults, Decisions, Enrollments, RelyingParties
from storage.keys import KeyUse
from storage.runtime import Runtime
from verification.common.jws import sign
from verification.decision.records import DocumentRecord
from verification.decision.rules import CheckName
from verification.document.fields import DocumentFields
from verification.enrollment.lifecycle import Status
from verification.identity.assertion import CheckDetail, CheckMethod, build_assertion_claims
from verification.identity.from_document import (
    document_from_document,
    field_sources,
    identity_from_document,
    reviewed,
)
from verification.identity.model import IdentityTraits
from verification.identity.rniv import assess_vigilance
from workers.services.decision import AUTOMATED
from workers.services.results import document_record

# Which OIDC4IDA check method each automated check stands for.
CHECK_METHODS = {CheckName.DOCUMENT: CheckMethod.REMOTE_IMAGE_INSPECTION,
                 CheckName.FACE_MATCH: CheckMethod.BIOMETRIC_REMOTE}


def run_assertion(runtime: Runtime, enrollment_id: str) -> None:
    now = datetime.now(UTC)
    with runtime.database.session() as session:
        enrollment = Enrollments(session).get(enrollment_id)
        assertions = Assertions(session)
        if enrollment is None or enrollment.status != Status.APPROVED or assertions.of_enrollment(enrollment_id):
            return  # not approved, or signed already
        party = RelyingParties(session).get(enrollment.relying_party_id)
        if party is None:  # a foreign key: only a broken database gets here
            raise LookupError(f"enrollment {enrollment_id}: relying party {enrollment.relying_party_id} not found")
        checks = {CheckName(row.check): row for row in CheckResults(session).of_enrollment(enrollment_id)}
        decisions = Decisions(session).of_enrollment(enrollment_id)
        fields = _delivered_fields(enrollment_id, document_record(session, enrollment_id), decisions)
        identity = identity_from_document(fields)
        details = [CheckDetail(method, txn=enrollment_id, time=checks[name].created_at)
                   for name, method in CHECK_METHODS.items()]
        details += [CheckDetail(CheckMethod.HUMAN_REMOTE, txn=enrollment_id, time=d.decided_at)
                    for d in decisions if d.decided_by != AUTOMATED and d.final]
        ins = IdentityTraits.from_dict(enrollment.ins_traits) if enrollment.ins_traits else None
        declared = IdentityTraits.from_dict(enrollment.declared_traits) if enrollment.declared_traits else None
        jti = str(uuid.uuid4())
        lifetime = timedelta(seconds=runtime.settings.assertion_ttl_seconds)
        claims = build_assertion_claims(
            issuer=runtime.settings.issuer, subject=str(uuid.uuid5(uuid.NAMESPACE_URL, f"idv:{enrollment_id}")),
            audience=party.name, enrollment_id=enrollment_id, identity=identity,
            document=document_from_document(fields), checks=details, field_sources=field_sources(fields),
            vigilance=assess_vigilance(identity, ins, declared_traits=declared),
            verified_at=decisions[-1].decided_at, lifetime=lifetime, jti=jti, issued_at=now)
        key = runtime.keys().active_key(KeyUse.ASSERTION)
        assertions.add(Assertion(jti=jti, enrollment_id=enrollment_id, token=sign(claims, key), kid=key.kid,
                                 issued_at=now, expires_at=now + lifetime))


def _delivered_fields(enrollment_id: str, record: DocumentRecord | None, decisions: list[Decision]) -> DocumentFields:
    """The document check's fields with those the reviewer of the final decision confirmed over them."""
    if record is None:  # approved without a document result: only a broken database gets here
        raise LookupError(f"enrollment {enrollment_id}: no document check result")
    final = next((d for d in decisions if d.final), None)
    reviewer = DocumentFields.from_dict(final.identity_fields or {}) if final is not None else DocumentFields({})
    return reviewed(record.identity_fields, reviewer)
