"""Registering a relying party: its API key (stored as a digest) and the secret its webhooks are signed with."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from storage.enrollments.credentials import new_secret, secret_hash
from storage.enrollments.models import RelyingParty
from storage.enrollments.repositories import RelyingParties


def register_relying_party(session: Session, name: str, now: datetime,
                           api_key: str | None = None) -> tuple[RelyingParty, str]:
    """Create the relying party `name` (or give it a new key); returns it and its API key in clear, once."""
    api_key = api_key or new_secret()
    parties = RelyingParties(session)
    party = parties.by_name(name)
    if party is None:
        party = RelyingParty(id=str(uuid.uuid4()), name=name, api_key_hash=secret_hash(api_key),
                             webhook_secret=new_secret(), created_at=now)
        parties.add(party)
    else:
        party.api_key_hash = secret_hash(api_key)
    return party, api_key
