"""Operators signing in to and out of the review console, each attempt in the reviewer trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from storage.review.credentials import check_credentials
from storage.review.models import Operator
from workers.services.review_trail import ReviewActionKind, record_action


def log_in(session: Session, username: str, password: str, now: datetime) -> Operator | None:
    """The operator, when the password is right and the account active; a refused attempt on a known
    account is in the trail too."""
    operator, valid = check_credentials(session, username, password)
    if operator is None:
        return None
    record_action(session, operator, ReviewActionKind.LOGIN if valid else ReviewActionKind.LOGIN_REFUSED, now)
    return operator if valid else None


def log_out(session: Session, operator: Operator, now: datetime) -> None:
    """Voids this session's cookie and every other one of this operator issued before now."""
    operator.sessions_revoked_at = now
    record_action(session, operator, ReviewActionKind.LOGOUT, now)
