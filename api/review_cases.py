"""What a reviewer sees of their case in the console: the evidence as links, the MRZ fields in reading
order, every check's details, the automated decision and the reasons a decision may give."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from storage.enrollments.models import CheckResult, Decision, Enrollment
from storage.enrollments.repositories import Captures, CheckResults
from storage.evidence.layout import DerivedImage, DerivedKind
from storage.evidence.store import EvidenceStore
from storage.review.models import ReviewAssignment
from verification.decision.records import reviewer_fields
from verification.decision.review import ReviewReason, reason_fits
from verification.decision.rules import CheckName
from verification.enrollment.lifecycle import CaptureKind
from workers.services.review import automated_decision, derived_names

PORTRAIT = DerivedImage(DerivedKind.PORTRAIT)
# The MRZ fields in the order a reviewer reads a document (unknown ones follow, alphabetically).
MRZ_FIELD_ORDER = ("document_code", "issuing_state", "document_number", "surname", "given_names", "nationality",
                   "birth_date", "sex", "expiry_date", "issue_date", "office_code", "optional_data",
                   "optional_data_2")


@dataclass(frozen=True)
class EvidenceLink:
    label: str
    url: str


@dataclass(frozen=True)
class CheckView:
    name: str
    status: str
    score: float | None
    reasons: list[str]
    details: str  # pretty JSON, shown as is


@dataclass(frozen=True)
class CaseView:
    enrollment: Enrollment
    assignment: ReviewAssignment
    documents: list[EvidenceLink]
    portrait: EvidenceLink | None
    selfie_frames: list[EvidenceLink]
    videos: list[EvidenceLink]
    mrz_fields: list[tuple[str, str]]
    checks: list[CheckView]
    automated: Decision | None
    approval_reasons: list[ReviewReason]
    rejection_reasons: list[ReviewReason]


def case_view(session: Session, evidence: EvidenceStore, enrollment: Enrollment,
              assignment: ReviewAssignment) -> CaseView:
    base = f"/review/cases/{enrollment.id}"
    captures = Captures(session).of_enrollment(enrollment.id)
    documents = [EvidenceLink(c.kind, f"{base}/captures/{c.kind}") for c in captures
                 if not CaptureKind(c.kind).is_video]
    videos = [EvidenceLink(c.kind, f"{base}/captures/{c.kind}") for c in captures if CaptureKind(c.kind).is_video]
    derived = derived_names(evidence, enrollment.id)
    frames = sorted((image for image in derived if image.kind is DerivedKind.SELFIE_FRAME),
                    key=lambda image: image.rank or 0)
    rows = CheckResults(session).of_enrollment(enrollment.id)
    return CaseView(
        enrollment=enrollment, assignment=assignment, documents=documents,
        portrait=EvidenceLink("portrait", f"{base}/derived/portrait") if PORTRAIT in derived else None,
        selfie_frames=[EvidenceLink(image.name, f"{base}/derived/{image.name}") for image in frames], videos=videos,
        mrz_fields=_mrz_fields(rows), checks=[_check_view(row) for row in rows],
        automated=automated_decision(session, enrollment.id),
        approval_reasons=[r for r in ReviewReason if reason_fits(r, approve=True)],
        rejection_reasons=[r for r in ReviewReason if reason_fits(r, approve=False)],
    )


def _check_view(row: CheckResult) -> CheckView:
    return CheckView(row.check, row.status, row.score, list(row.reasons),
                     json.dumps(row.details, indent=2, ensure_ascii=False, sort_keys=True))


def _mrz_fields(rows: list[CheckResult]) -> list[tuple[str, str]]:
    """The fields the document check read from the MRZ, in a document's reading order."""
    document = next((row for row in rows if row.check == CheckName.DOCUMENT), None)
    fields = reviewer_fields(document.details) if document else {}
    rank = {name: index for index, name in enumerate(MRZ_FIELD_ORDER)}
    names = sorted(fields, key=lambda name: (rank.get(name, len(rank)), name))
    return [(name, _shown(fields[name])) for name in names]


def _shown(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else "" if value is None else str(value)
