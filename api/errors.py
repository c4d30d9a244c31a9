"""One error shape for every failure: {"error": code, "detail": ...}. No traceback ever reaches a client.

The use cases raise coded errors (verification.common.errors.CodedError) and know nothing of HTTP: the one
table below gives each code a client may see its status; any other code is an internal error. ApiError is
for what only the transport knows (credentials, headers, the request body), with its own status.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from verification.common.errors import CodedError

log = logging.getLogger(__name__)

STATUS = {
    # enrollment life cycle (verification.enrollment.lifecycle)
    "enrollment_expired": 410,
    "enrollment_submitted": 409,
    "invalid_state": 409,
    # captures and submission (workers.services.captures, .enrollments)
    "challenge_required": 400,
    "challenge_not_found": 404,
    "challenge_used": 409,
    "challenge_expired": 410,
    "captures_missing": 409,
    # review console (workers.services.review)
    "case_not_assigned": 403,
    "evidence_not_found": 404,
    "case_closed": 409,
    "case_not_decided": 409,
    "review_decision_invalid": 422,
    "review_fields_invalid": 422,
    "fields_unconfirmed": 422,
    # evidence dossiers and the audit log (storage/evidence, storage/audit, workers/services/retention.py)
    "dossier_not_found": 404,
}


def status_of(error: CodedError) -> int | None:
    """The HTTP status of a refusal meant for the client; None for a code no client is meant to see."""
    return error.status if isinstance(error, ApiError) else STATUS.get(error.code)


class ApiError(CodedError):
    """A refusal only the transport knows of (credentials, headers, the request body), with its own status."""

    def __init__(self, status: int, code: str, detail: Any = None) -> None:
        super().__init__(code, detail)
        self.status = status


def _body(code: str, detail: Any) -> dict[str, Any]:
    return {"error": code, "detail": detail}


def error_response(error: CodedError, status: int) -> JSONResponse:
    return JSONResponse(_body(error.code, error.detail), status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CodedError)
    async def coded_error(_: Request, error: CodedError) -> JSONResponse:
        status = status_of(error)
        if status is None:
            raise error  # not meant for clients: on to `unexpected`, as any other failure
        return error_response(error, status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        detail = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()]
        return JSONResponse(_body("invalid_request", detail), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return JSONResponse(_body(code, error.detail), status_code=error.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(_body("internal_error", None), status_code=500)
