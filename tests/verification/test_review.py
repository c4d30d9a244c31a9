"""Which reviewer reasons justify which decision."""

from __future__ import annotations

import pytest

from verification.decision.review import APPROVAL_REASONS, REJECTION_REASONS, ReviewReason, reason_fits

APPROVING = {ReviewReason.IDENTITY_CONFIRMED, ReviewReason.DOUBT_RESOLVED}
REJECTING = {ReviewReason.DOCUMENT_SUSPECT, ReviewReason.DOCUMENT_UNREADABLE, ReviewReason.DATA_MISMATCH,
             ReviewReason.FACE_MISMATCH, ReviewReason.PRESENTATION_ATTACK}


@pytest.mark.parametrize("reason", list(ReviewReason))
def test_a_reason_fits_its_side_only_and_other_fits_both(reason: ReviewReason) -> None:
    expected = {True: reason in APPROVING or reason is ReviewReason.OTHER,
                False: reason in REJECTING or reason is ReviewReason.OTHER}
    assert {approve: reason_fits(reason, approve) for approve in (True, False)} == expected


def test_every_reason_is_usable_and_only_other_is_on_both_sides() -> None:
    assert set(ReviewReason) == APPROVAL_REASONS | REJECTION_REASONS
    assert {ReviewReason.OTHER} == APPROVAL_REASONS & REJECTION_REASONS
