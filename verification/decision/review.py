"""What a human reviewer may say about a case: stable reason codes, each valid for approval or rejection.

The code travels into the decision's reasons (verification.decision.rules.apply_review); the reviewer's free text
stays in the review trail, never in machine-readable reasons.
"""

from __future__ import annotations

from enum import StrEnum


class ReviewReason(StrEnum):
    IDENTITY_CONFIRMED = "identity_confirmed"
    DOUBT_RESOLVED = "automated_doubt_resolved"
    DOCUMENT_SUSPECT = "document_suspect"
    DOCUMENT_UNREADABLE = "document_unreadable"
    DATA_MISMATCH = "data_mismatch"
    FACE_MISMATCH = "face_mismatch"
    PRESENTATION_ATTACK = "presentation_attack_suspected"
    OTHER = "other"


APPROVAL_REASONS = frozenset({ReviewReason.IDENTITY_CONFIRMED, ReviewReason.DOUBT_RESOLVED, ReviewReason.OTHER})
REJECTION_REASONS = frozenset(set(ReviewReason) - APPROVAL_REASONS | {ReviewReason.OTHER})


def reason_fits(reason: ReviewReason, approve: bool) -> bool:
    """A rejection reason cannot justify an approval, nor the reverse; `other` (with its text) fits both."""
    return reason in (APPROVAL_REASONS if approve else REJECTION_REASONS)
