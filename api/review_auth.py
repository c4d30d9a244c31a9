"""Operator sessions for the review console: a signed cookie, a CSRF token bound to it, roles.

Session cookie: `<base64url JSON {sub, iat, exp, nonce}>.<hex HMAC-SHA256>` keyed by settings.session_secret;
HttpOnly, SameSite=Strict, Secure when served over https. Logging out sets the operator's
`sessions_revoked_at`, which voids every cookie issued before it; deactivating the operator voids them all.

CSRF, signed double-submit: the token is an HMAC of the session's nonce, sent both as a cookie and as a
hidden form field; a state-changing form is accepted only when both are present, equal and right.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Form, Request, Response

from api.deps import RuntimeDep, SessionDep
from api.errors import ApiError
from storage.review.credentials import OperatorRole
from storage.review.models import Operator
from storage.review.repositories import Operators

SESSION_COOKIE = "idv_review_session"
CSRF_COOKIE = "idv_review_csrf"
CSRF_FIELD = "csrf_token"


REVIEW_ROLES = frozenset({OperatorRole.REVIEWER, OperatorRole.ADMIN})  # who may take and decide cases
TRAIL_ROLES = frozenset({OperatorRole.AUDITOR, OperatorRole.ADMIN})  # who may read the review trail


class LoginRequired(Exception):
    """No valid session: the console answers with a redirect to its login page."""


@dataclass(frozen=True)
class SessionClaims:
    operator_id: str
    issued_at: float  # sub-second, so a login right after a logout is not taken for an older session
    expires_at: float
    nonce: str


def _mac(secret: str, purpose: str, data: bytes) -> str:
    return hmac.new(secret.encode(), purpose.encode() + b"\x00" + data, hashlib.sha256).hexdigest()


def issue_session(secret: str, operator_id: str, now: datetime, ttl_s: int) -> tuple[str, SessionClaims]:
    """A new session's cookie value and claims."""
    issued = now.timestamp()
    claims = SessionClaims(operator_id, issued, issued + ttl_s, secrets.token_hex(16))
    body = base64.urlsafe_b64encode(json.dumps({"sub": claims.operator_id, "iat": claims.issued_at,
                                                "exp": claims.expires_at, "nonce": claims.nonce}).encode())
    return f"{body.decode()}.{_mac(secret, 'session', body)}", claims


def read_session(secret: str, value: str, now: datetime) -> SessionClaims | None:
    """The claims of a cookie this server signed and that has not expired; None otherwise."""
    body, _, mac = value.partition(".")
    if not _equal(mac, _mac(secret, "session", body.encode())):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body))
        claims = SessionClaims(str(data["sub"]), float(data["iat"]), float(data["exp"]), str(data["nonce"]))
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None
    return claims if now.timestamp() < claims.expires_at else None


def _equal(given: str, expected: str) -> bool:
    """Constant-time comparison of strings from the client, whatever characters they hold."""
    return hmac.compare_digest(given.encode(), expected.encode())


def csrf_token(secret: str, claims: SessionClaims) -> str:
    return _mac(secret, "csrf", claims.nonce.encode())


def set_session_cookies(response: Response, request: Request, value: str, csrf: str, ttl_s: int) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, value, max_age=ttl_s, httponly=True, samesite="strict", secure=secure)
    # Read back only from the form's hidden field: the page never needs it from script, so HttpOnly too.
    response.set_cookie(CSRF_COOKIE, csrf, max_age=ttl_s, httponly=True, samesite="strict", secure=secure)


def clear_session_cookies(response: Response) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, httponly=True, samesite="strict")


@dataclass(frozen=True)
class OperatorSession:
    operator: Operator
    claims: SessionClaims
    csrf: str

    @property
    def can_review(self) -> bool:
        return self.operator.role in REVIEW_ROLES

    @property
    def can_audit(self) -> bool:
        return self.operator.role in TRAIL_ROLES


def current_operator(request: Request, session: SessionDep, runtime: RuntimeDep) -> OperatorSession:
    now = datetime.now(UTC)
    secret = runtime.settings.session_secret.get_secret_value()
    claims = read_session(secret, request.cookies.get(SESSION_COOKIE, ""), now)
    operator = Operators(session).get(claims.operator_id) if claims else None
    if claims is None or operator is None or not operator.active:
        raise LoginRequired
    revoked = operator.sessions_revoked_at
    if revoked is not None and claims.issued_at <= revoked.timestamp():
        raise LoginRequired
    return OperatorSession(operator, claims, csrf_token(secret, claims))


CurrentOperator = Annotated[OperatorSession, Depends(current_operator)]


def reviewer(current: CurrentOperator) -> OperatorSession:
    if not current.can_review:
        raise ApiError(403, "role_not_allowed", f"The role {current.operator.role} may not review cases.")
    return current


Reviewer = Annotated[OperatorSession, Depends(reviewer)]


def auditor(current: CurrentOperator) -> OperatorSession:
    if not current.can_audit:
        raise ApiError(403, "role_not_allowed", f"The role {current.operator.role} may not read the review trail.")
    return current


Auditor = Annotated[OperatorSession, Depends(auditor)]


def csrf_checked(request: Request, current: CurrentOperator,
                 csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> OperatorSession:
    """For every state-changing form: the hidden field, the cookie and the session must agree."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not (csrf_token and _equal(csrf_token, cookie) and _equal(csrf_token, current.csrf)):
        raise ApiError(403, "csrf_token_invalid", "This form is not valid any more (missing or wrong security "
                                                  "token): reload the page and try again.")
    return current


CsrfChecked = Annotated[OperatorSession, Depends(csrf_checked)]


def reviewer_csrf_checked(current: CsrfChecked) -> OperatorSession:
    return reviewer(current)


ReviewerForm = Annotated[OperatorSession, Depends(reviewer_csrf_checked)]
