"""Request-scoped dependencies: the runtime, the Celery app, a unit of work, and who is calling."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from api.errors import ApiError
from storage.enrollments.credentials import secret_hash
from storage.enrollments.models import Enrollment, RelyingParty
from storage.enrollments.repositories import Enrollments, RelyingParties
from storage.runtime import Runtime
from workers.celery_base import IdvCelery


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_celery(request: Request) -> IdvCelery:
    return request.app.state.celery


CeleryDep = Annotated[IdvCelery, Depends(get_celery)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.database.session() as session:
        yield session


# scope="function": commit before the response leaves, so a client acting on a 2xx finds what it created
# (the default, "request", would commit after the response is sent, and a failed commit would go unseen).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def bearer(authorization: Annotated[str | None, Header()] = None) -> str:
    scheme, _, credential = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not credential:
        raise ApiError(401, "unauthenticated", "an 'Authorization: Bearer …' header is required")
    return credential.strip()


BearerDep = Annotated[str, Depends(bearer)]


def relying_party(session: SessionDep, credential: BearerDep) -> RelyingParty:
    party = RelyingParties(session).by_key_hash(secret_hash(credential))
    if party is None:
        raise ApiError(401, "invalid_api_key", "unknown relying-party API key")
    return party


RelyingPartyDep = Annotated[RelyingParty, Depends(relying_party)]


def enrollment_of_party(enrollment_id: str, party: RelyingPartyDep, session: SessionDep) -> Enrollment:
    enrollment = Enrollments(session).get(enrollment_id)
    if enrollment is None or enrollment.relying_party_id != party.id:
        raise ApiError(404, "enrollment_not_found", "no such enrollment for this relying party")
    return enrollment


def enrollment_of_token(enrollment_id: str, session: SessionDep, credential: BearerDep) -> Enrollment:
    """The mobile app's token opens exactly one enrollment, and only until that enrollment expires."""
    enrollment = Enrollments(session).get(enrollment_id)
    if enrollment is None or not hmac.compare_digest(enrollment.token_hash, secret_hash(credential)):
        raise ApiError(403, "token_not_valid_for_enrollment", "this token does not open this enrollment")
    return enrollment
