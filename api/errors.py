"""One error shape for every failure: {"error": code, "detail": ...}. No traceback ever reaches a client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from verification.common.errors import CodedError
from verification.enrollment.lifecycle import LifecycleError

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: Any = None) -> None:
        super().__init__(code)
        self.status, self.code, self.detail = status, code, detail


LIFECYCLE_STATUS = {"enrollment_expired": 410, "enrollment_submitted": 409, "invalid_state": 409}

# The HTTP status of each CodedError code a client may see; any other code is an internal error.
CODED_STATUS: dict[str, int] = {
    # Evidence dossiers and the audit log (storage/evidence, storage/audit, workers/services/retention.py).
    "dossier_not_found": 404,
}


def _body(code: str, detail: Any) -> dict[str, Any]:
    return {"error": code, "detail": detail}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(_body(error.code, error.detail), status_code=error.status)

    @app.exception_handler(LifecycleError)
    async def lifecycle_error(_: Request, error: LifecycleError) -> JSONResponse:
        return JSONResponse(_body(error.code, str(error)), status_code=LIFECYCLE_STATUS.get(error.code, 409))

    @app.exception_handler(CodedError)
    async def coded_error(_: Request, error: CodedError) -> JSONResponse:
        status = CODED_STATUS.get(error.code)
        if status is None:
            raise error  # not meant for clients: on to `unexpected`, as any other failure
        return JSONResponse(_body(error.code, error.detail), status_code=status)

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
