"""One error shape for every 4xx/5xx: ``{"error": {"code": "...", "message": "..."}}``.

Handlers here replace FastAPI's defaults so that validation errors, routing 404s, body-limit
413s and our own ``ApiError`` all look the same to clients, and no input can surface a traceback.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("api.errors")


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. `not_found`")
    message: str = Field(description="human-readable explanation")
    details: list[dict[str, Any]] | None = Field(
        default=None,
        description="field errors for `validation_error`; every bad line of a refused plan",
    )


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """Raised by routes and dependencies; rendered by ``api_error_handler``."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = headers
        self.details = details


def error_response(
    status_code: int,
    code: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    details: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, details=details))
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status_code, headers=headers
    )


# Codes for errors raised by Starlette/FastAPI itself (routing, body limit, methods).
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}


async def api_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(
        exc.status_code, exc.code, exc.message, headers=exc.headers, details=exc.details
    )


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = exc.headers
    allowed = _allowed_methods(request) if exc.status_code == 405 else None
    if allowed:
        # Starlette names only the first route of the path; a path can have several methods.
        headers = {**(headers or {}), "Allow": allowed}
    return error_response(exc.status_code, code, message, headers=headers)


def _allowed_methods(request: Request) -> str | None:
    """The methods documented for this path (the most literal matching path of the OpenAPI
    document: `/recommendations/analyze` rather than `/recommendations/{id}`)."""
    path = request.scope.get("path", "")
    found: list[tuple[int, list[str]]] = []
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods = sorted(m.upper() for m in operations if m.upper() in _METHODS)
            found.append((template.count("{"), methods))
    return ", ".join(min(found)[1]) if found else None


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}


def _clean_validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Echoing "input" back could reflect megabytes or odd bytes; location + message is enough.
    return [
        {"loc": [str(part) for part in err.get("loc", ())], "msg": err.get("msg", "invalid")}
        for err in exc.errors()
    ]


async def validation_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = _clean_validation_errors(exc)
    summary = "; ".join(f"{'.'.join(d['loc'])}: {d['msg']}" for d in details[:5])
    return error_response(422, "validation_error", f"invalid request: {summary}", details=details)


async def database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    # A database outage is not the client's fault, but neither is it a bug: 503, retry later.
    log.error("database error on %s %s: %s", request.method, request.url.path, str(exc)[:300])
    return error_response(503, "database_unavailable", "the database is unavailable; retry later")


async def unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    # Last line of defence: log the bug, never leak the traceback to the client.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(SQLAlchemyError, database_error_handler)
    # asyncpg raises OSError (not wrapped by SQLAlchemy) when it cannot reach the server.
    app.add_exception_handler(OSError, database_error_handler)
    app.add_exception_handler(Exception, unhandled_error_handler)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting the error body for the given statuses."""
    descriptions = {
        401: "missing or unknown API key (`X-API-Key`)",
        403: "the API key's role may not call this endpoint",
        404: "unknown recommendation id",
        409: "the recommendation is not in a state that accepts this request",
        413: "request body too large",
        422: "invalid body, query or path parameter",
        429: "rate limit exceeded for this API key; see `Retry-After`",
        503: "a dependency (Temporal or the database) is unavailable",
    }
    return {
        code: {"model": ErrorBody, "description": descriptions.get(code, HTTPStatus(code).phrase)}
        for code in codes
    }
