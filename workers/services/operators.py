"""Review-console operators: creating an account, signing in and out (each attempt in the reviewer trail)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from storage.review.credentials import (
    MAX_USERNAME_LENGTH,
    MIN_PASSWORD_LENGTH,
    OperatorRole,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from storage.review.models import Operator
from storage.review.repositories import Operators
from workers.services.review_trail import ReviewActionKind, record_action


class OperatorError(ValueError):
    """An operator that cannot be created as asked (the message says why)."""


def add_operator(session: Session, username: str, password: str, role: OperatorRole, now: datetime) -> Operator:
    username = username.strip()
    if not username or len(username) > MAX_USERNAME_LENGTH:
        raise OperatorError(f"the username must have 1 to {MAX_USERNAME_LENGTH} characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OperatorError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    operators = Operators(session)
    if operators.by_username(username) is not None:
        raise OperatorError(f"operator {username!r} exists already")
    operator = Operator(id=str(uuid.uuid4()), username=username, password_hash=hash_password(password),
                        role=OperatorRole(role).value, active=True, created_at=now, sessions_revoked_at=None)
    operators.add(operator)
    return operator


def check_credentials(session: Session, username: str, password: str) -> tuple[Operator | None, bool]:
    """The operator of that name (None if unknown) and whether the password is right and the account active.
    A right password's hash made with weaker parameters than today's is replaced."""
    operator = Operators(session).by_username(username)
    valid = verify_password(password, operator.password_hash if operator else dummy_hash())
    if operator is not None and valid and needs_rehash(operator.password_hash):
        operator.password_hash = hash_password(password)
    return operator, bool(operator and operator.active and valid)


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
