"""Operator passwords: Argon2id (argon2-cffi, RFC 9106 parameters), salt and parameters inside the hash.

Unlike API keys (storage.enrollments.credentials), passwords are chosen by people and guessable: a slow, memory-hard
hash is what protects them if the table leaks. A hash made with weaker parameters than today's is
replaced at the next successful login.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from storage.review.models import Operator
from storage.review.repositories import Operators

MIN_PASSWORD_LENGTH = 12
MAX_USERNAME_LENGTH = 100
_hasher = PasswordHasher()  # Argon2id, t=3, m=64 MiB, p=4: ~0.3 s per hash on a 2-core machine


class OperatorRole(StrEnum):
    REVIEWER = "reviewer"  # takes and decides review cases
    AUDITOR = "auditor"  # reads the review trail, decides nothing
    ADMIN = "admin"  # both


class OperatorError(ValueError):
    """An operator that cannot be created as asked (the message says why)."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, encoded: str) -> bool:
    try:
        return _hasher.verify(encoded, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    """Checked against when the username is unknown, so a refusal takes as long whether or not it exists."""
    return hash_password(uuid.uuid4().hex)


def add_operator(session: Session, username: str, password: str, role: OperatorRole) -> Operator:
    username = username.strip()
    if not username or len(username) > MAX_USERNAME_LENGTH:
        raise OperatorError(f"the username must have 1 to {MAX_USERNAME_LENGTH} characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OperatorError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    operators = Operators(session)
    if operators.by_username(username) is not None:
        raise OperatorError(f"operator {username!r} exists already")
    operator = Operator(id=str(uuid.uuid4()), username=username, password_hash=hash_password(password),
                        role=OperatorRole(role).value, active=True, created_at=datetime.now(UTC),
                        sessions_revoked_at=None)
    operators.add(operator)
    return operator


def check_credentials(session: Session, username: str, password: str) -> tuple[Operator | None, bool]:
    """The operator of that name (None if unknown) and whether the password is right and the account active."""
    operator = Operators(session).by_username(username)
    valid = verify_password(password, operator.password_hash if operator else _dummy_hash())
    if operator is not None and valid and _hasher.check_needs_rehash(operator.password_hash):
        operator.password_hash = hash_password(password)
    return operator, bool(operator and operator.active and valid)
