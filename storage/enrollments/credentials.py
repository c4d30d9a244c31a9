"""Relying-party API keys and enrollment tokens are stored as SHA-256 digests, never in clear.

They are 256-bit random values, so an unsalted fast hash is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
