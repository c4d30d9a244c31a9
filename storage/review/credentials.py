"""Operator passwords: Argon2id (argon2-cffi, RFC 9106 parameters), salt and parameters inside the hash.

Unlike API keys (storage.enrollments.credentials), passwords are chosen by people and guessable: a slow, memory-hard
hash is what protects them if the table leaks. A hash made with weaker parameters than today's is
replaced at the next successful login.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
MAX_USERNAME_LENGTH = 100
_hasher = PasswordHasher()  # Argon2id, t=3, m=64 MiB, p=4: ~0.3 s per hash on a 2-core machine


class OperatorRole(StrEnum):
    REVIEWER = "reviewer"  # takes and decides review cases
    AUDITOR = "auditor"  # reads the review trail, decides nothing
    ADMIN = "admin"  # both


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, encoded: str) -> bool:
    try:
        return _hasher.verify(encoded, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    """Checked against when the username is unknown, so a refusal takes as long whether or not it exists."""
    return hash_password(uuid.uuid4().hex)


def needs_rehash(encoded: str) -> bool:
    """Whether a hash was made with weaker parameters than today's (replaced at the next successful login)."""
    return _hasher.check_needs_rehash(encoded)
