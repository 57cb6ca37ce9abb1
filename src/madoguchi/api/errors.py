"""How the API reports errors: a stable ``error_id`` slug, a message and details.

::

    ApiError                 an error the API answers with a status and a slug
    ├── NotAuthenticated     401 not-authenticated
    ├── Forbidden            403 forbidden (role or tenant), csrf-failed
    ├── NotFound             404 no-such-<thing>
    ├── Conflict             409 (duplicates, routing refusals)
    ├── InvalidField         422 invalid-request (a field the schema cannot judge)
    ├── CsvRejected          422 csv-rejected (details: one per bad line)
    ├── TooManyAttempts      429 too-many-sign-in-failures
    └── PayloadTooLarge      413 upload-too-large

Validation errors become 422 ``invalid-request`` with one detail per field (``field`` is the
dotted location, e.g. ``body.phone``); a value the database cannot hold (a NUL character) is a
422 too. Routing refusals (the engine's ``RoutingError``
subclasses) become 409 with a slug made from the class name. Anything else is a 500
``internal-error``: logged with its traceback, never shown to the user.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

_log = logging.getLogger("madoguchi.api")


class ErrorDetail(BaseModel):
    """One problem with a request: which field and what is wrong."""

    field: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    error_id: str
    message: str
    details: list[ErrorDetail] = []


class ApiError(Exception):
    """An error the API answers with ``status`` and the slug ``error_id``."""

    status = 400
    error_id = "bad-request"

    def __init__(
        self,
        message: str,
        *,
        error_id: str | None = None,
        details: list[ErrorDetail] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if error_id is not None:
            self.error_id = error_id
        self.details = details or []
        self.headers = headers


class NotAuthenticated(ApiError):
    """No valid session or token."""

    status = 401
    error_id = "not-authenticated"


class Forbidden(ApiError):
    """Signed in, but not allowed (role, tenant or CSRF)."""

    status = 403
    error_id = "forbidden"


class NotFound(ApiError):
    """The thing does not exist (or belongs to another tenant: the same answer)."""

    status = 404
    error_id = "not-found"


class Conflict(ApiError):
    """The request clashes with the current state."""

    status = 409
    error_id = "conflict"


class InvalidField(ApiError):
    """A field that is well-formed but not acceptable (an unknown code, a foreign customer)."""

    status = 422
    error_id = "invalid-request"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"invalid: {field}", details=[ErrorDetail(field=field, message=message)])


class CsvRejected(ApiError):
    """A CSV file with bad rows: every problem listed, nothing stored."""

    status = 422
    error_id = "csv-rejected"


class TooManyAttempts(ApiError):
    """Too many failed sign-ins."""

    status = 429
    error_id = "too-many-sign-in-failures"


class PayloadTooLarge(ApiError):
    """An upload over the configured limit."""

    status = 413
    error_id = "upload-too-large"


#: Documented on every API route (the OpenAPI document lists them).
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (401, "Not signed in"),
        (403, "Not allowed"),
        (404, "Not found"),
        (409, "Conflicts with the current state"),
        (413, "Too large"),
        (422, "Invalid request (each bad field is named)"),
        (429, "Too many attempts"),
    )
}


def slug(name: str) -> str:
    """``UnknownAgent`` → ``unknown-agent``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _body(error_id: str, message: str, details: list[ErrorDetail] | None = None) -> dict[str, Any]:
    return ErrorBody(error_id=error_id, message=message, details=details or []).model_dump()


def install_error_handlers(app: FastAPI) -> None:
    """Map exceptions to error responses."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            _body(exc.error_id, exc.message, exc.details), exc.status, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            ErrorDetail(
                field=".".join(str(p) for p in err.get("loc", ())),
                message=str(err["msg"]).removeprefix("Value error, "),
            )
            for err in exc.errors()
        ]
        fields = ", ".join(d.field for d in details)
        return JSONResponse(_body("invalid-request", f"invalid: {fields}", details), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        error_id = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return JSONResponse(_body(error_id, str(exc.detail)), exc.status_code, headers=exc.headers)

    @app.exception_handler(StatementError)
    async def _unstorable(request: Request, exc: StatementError) -> JSONResponse:
        # a value the database cannot hold (the store refuses NUL characters, NaN…): the
        # client's input, not our fault
        if isinstance(exc.orig, ValueError):
            detail = ErrorDetail(field="request", message=str(exc.orig))
            return JSONResponse(_body("invalid-request", "invalid: request", [detail]), 422)
        _log.exception("database error on %s %s", request.method, request.url.path)
        return JSONResponse(_body("internal-error", "internal error"), 500)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(_body("internal-error", "internal error"), 500)
