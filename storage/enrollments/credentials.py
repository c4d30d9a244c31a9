"""Relying-party API keys and enrollment tokens are stored as SHA-256 digests, never in clear.

They are 256-bit random values, so an unsalted fast hash is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from storage.enrollments.models import RelyingParty
from storage.enrollments.repositories import RelyingParties


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def register_relying_party(session: Session, name: str, api_key: str | None = None) -> tuple[RelyingParty, str]:
    """Create the relying party `name` (or give it a new key); returns it and its API key in clear, once."""
    api_key = api_key or new_secret()
    parties = RelyingParties(session)
    party = parties.by_name(name)
    if party is None:
        party = RelyingParty(id=str(uuid.uuid4()), name=name, api_key_hash=secret_hash(api_key),
                             webhook_secret=new_secret(), created_at=datetime.now(UTC))
        parties.add(party)
    else:
        party.api_key_hash = secret_hash(api_key)
    return party, api_key
