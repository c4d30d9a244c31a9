"""The operator review console (server-rendered HTML under /review): login, a case drawn at random, the
evidence side by side with every check, and the approve/reject form. Not part of the JSON API.

Pages answer a missing session with a redirect to the login page and a refusal with an HTML page; every
response forbids caching and framing and allows no resource from elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Form, Request, Response
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from api.deps import CeleryDep, RuntimeDep, SessionDep
from api.errors import ApiError, error_response, status_of
from api.review_auth import (
    Auditor,
    CsrfChecked,
    CurrentOperator,
    LoginRequired,
    Reviewer,
    ReviewerForm,
    clear_session_cookies,
    csrf_token,
    issue_session,
    set_session_cookies,
)
from api.review_cases import case_view
from storage.review.repositories import ReviewActions, ReviewAssignments
from verification.common.errors import CodedError
from verification.decision.review import ReviewReason
from verification.enrollment.lifecycle import Status
from workers.pipeline import finish_reviewed
from workers.services import operators, review
from workers.services.review_trail import ReviewActionKind, record_action

ROOT = Path(__file__).resolve().parents[1]
templates = Jinja2Templates(directory=ROOT / "templates")
HOME, LOGIN = "/review/", "/review/login"
TRAIL_PAGE_SIZE = 200
MAX_FIELDS_JSON = 4000
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


class ConsoleRoute(APIRoute):
    """Turns LoginRequired into a redirect and a refusal (a coded error) into a page (into the API's JSON error
    body for a client that accepts JSON), and adds the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired:
                response = RedirectResponse(LOGIN, status_code=303)
            except CodedError as error:
                status = status_of(error)
                if status is None:
                    raise  # not meant for operators: an internal error, as any other failure
                if "application/json" in request.headers.get("accept", ""):  # a program: the API's error body
                    response = error_response(error, status)
                else:
                    response = templates.TemplateResponse(request, "error.html", {"message": str(error.detail),
                                                          "code": error.code}, status_code=status)
            response.headers.update(SECURITY_HEADERS)
            return response

        return console_handler


router = APIRouter(prefix="/review", tags=["review console"], route_class=ConsoleRoute, include_in_schema=False)


@router.get("/static/review.css")
def stylesheet() -> FileResponse:
    return FileResponse(ROOT / "static" / "review.css", media_type="text/css")


@router.get("/login")
def login_form(request: Request) -> Response:
    return templates.TemplateResponse(request, "login.html", {})


@router.post("/login")
def login(request: Request, session: SessionDep, runtime: RuntimeDep, username: Annotated[str, Form(max_length=100)],
          password: Annotated[str, Form(max_length=1000)]) -> Response:
    now = datetime.now(UTC)
    operator = operators.log_in(session, username, password, now)
    if operator is None:
        return templates.TemplateResponse(request, "login.html", {"error": "Wrong username or password."},
                                          status_code=401)
    settings = runtime.settings
    secret = settings.session_secret.get_secret_value()
    value, claims = issue_session(secret, operator.id, now, settings.review_session_ttl_seconds)
    response = RedirectResponse(HOME, status_code=303)
    set_session_cookies(response, request, value, csrf_token(secret, claims), settings.review_session_ttl_seconds)
    return response


@router.post("/logout")
def logout(current: CsrfChecked, session: SessionDep) -> Response:
    operators.log_out(session, current.operator, datetime.now(UTC))
    response = RedirectResponse(LOGIN, status_code=303)
    clear_session_cookies(response)
    return response


@router.get("/")
def home(request: Request, current: CurrentOperator, session: SessionDep) -> Response:
    now = datetime.now(UTC)
    assignments = ReviewAssignments(session)
    context = {
        "current": current,
        "assignment": assignments.open_of_operator(current.operator.id, now) if current.can_review else None,
        "waiting": assignments.count_unassigned(Status.REVIEW) if current.can_review else None,
        "last_decision": ReviewActions(session).last_of(current.operator.id, ReviewActionKind.DECIDE),
    }
    return templates.TemplateResponse(request, "home.html", context)


@router.post("/next")
def next_case(request: Request, current: ReviewerForm, session: SessionDep, runtime: RuntimeDep) -> Response:
    assignment = review.assign_next(session, current.operator, datetime.now(UTC),
                                    runtime.settings.review_assignment_ttl_seconds)
    if assignment is None:
        return templates.TemplateResponse(request, "home.html", {"current": current, "waiting": 0, "empty": True})
    return RedirectResponse(f"/review/cases/{assignment.enrollment_id}", status_code=303)


@router.get("/cases/{enrollment_id}")
def open_case(request: Request, enrollment_id: str, current: Reviewer, session: SessionDep,
              runtime: RuntimeDep) -> Response:
    now = datetime.now(UTC)
    enrollment, assignment = review.assigned_case(session, current.operator, enrollment_id, now)
    view = case_view(session, runtime.evidence, enrollment, assignment)
    record_action(session, current.operator, ReviewActionKind.OPEN_CASE, now, enrollment_id)
    return templates.TemplateResponse(request, "case.html", {"current": current, "case": view})


@router.get("/cases/{enrollment_id}/{source}/{name}")
def evidence(enrollment_id: str, source: Literal["captures", "derived"], name: str, current: Reviewer,
             session: SessionDep, runtime: RuntimeDep) -> Response:
    """One image (or the selfie video) of the reviewer's case, streamed from the evidence store: never a
    public or presigned URL. Each view is in the trail before the first byte leaves."""
    now = datetime.now(UTC)
    review.assigned_case(session, current.operator, enrollment_id, now)
    key, content_type = review.evidence_object(session, enrollment_id, source, name, runtime.evidence)
    stream = runtime.evidence.read(key)
    record_action(session, current.operator, ReviewActionKind.VIEW_EVIDENCE, now, enrollment_id, {"object": key})
    session.commit()
    return StreamingResponse(stream, media_type=content_type, headers={"Content-Disposition": "inline"})


@router.post("/cases/{enrollment_id}/decision")
def decide(enrollment_id: str, current: ReviewerForm, session: SessionDep, celery: CeleryDep,
           background: BackgroundTasks, decision: Annotated[Literal["approve", "reject"], Form()],
           reason: Annotated[ReviewReason, Form()],
           comment: Annotated[str, Form(max_length=review.MAX_COMMENT)] = "",
           fields: Annotated[str, Form(max_length=MAX_FIELDS_JSON)] = "") -> Response:
    """`fields`: the fields the reviewer confirmed or corrected looking at the document, a JSON object (field
    name -> value; given names as a list, dates ISO)."""
    review.decide_case(session, current.operator, enrollment_id, decision == "approve", reason, comment,
                       datetime.now(UTC), _fields_object(fields))
    session.commit()  # signing, sealing and the webhook must see the decision: enqueue only after the commit
    background.add_task(finish_reviewed, celery, enrollment_id)
    return RedirectResponse(HOME, status_code=303)


def _fields_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text.strip() else {}
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ApiError(422, "review_fields_invalid", "fields: a JSON object, field name -> value")
    return value


@router.get("/trail")
def trail(request: Request, current: Auditor, session: SessionDep) -> Response:
    """The newest reviewer actions, for auditors; reading the trail is itself an action in it."""
    record_action(session, current.operator, ReviewActionKind.VIEW_TRAIL, datetime.now(UTC))
    actions = ReviewActions(session).recent(TRAIL_PAGE_SIZE)
    return templates.TemplateResponse(request, "trail.html", {"current": current, "actions": actions})
