"""The traits step, run by the decision step before it decides: the document's confirmed traits against
the traits declared at enrollment and the INS traits (verification.identity.traits_check), stored as a
check result beside the others."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.enrollments.models import Enrollment
from verification.decision.rules import CheckName
from verification.document.fields import DocumentFields
from verification.identity.from_document import known_traits
from verification.identity.model import IdentityTraits
from verification.identity.traits_check import check_traits
from workers.services.results import document_record, record_check


def _traits(data: dict[str, Any] | None) -> IdentityTraits | None:
    return None if data is None else IdentityTraits.from_dict(data)


def run_traits_check(session: Session, enrollment: Enrollment, now: datetime) -> None:
    """In the caller's unit of work. A document check that could not run confirmed nothing: nothing compared."""
    record = document_record(session, enrollment.id)
    fields = record.identity_fields if record is not None else DocumentFields({})
    result = check_traits(known_traits(fields), _traits(enrollment.declared_traits), _traits(enrollment.ins_traits))
    record_check(session, enrollment.id, CheckName.TRAITS, result, now)
