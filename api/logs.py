"""Structured JSON logs for the API process, and per-request telemetry (access log + metrics).

Every line is one JSON object; request lines carry method, route template, status, duration,
the caller's key name and, where the route has one, ``recommendation_id``.
"""

from __future__ import annotations

import logging
import sys
import time

from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import record_request, route_template

access_log = logging.getLogger("api.access")


def configure_logging(level: str = "INFO") -> None:
    """Send every logger (ours, uvicorn's, temporalio's) to stdout as JSON."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            # ISO 8601 in UTC, from the record's creation time.
            timestamp=True,
        )
    )
    handler.addFilter(_drop_color_message)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Uvicorn installs its own handlers when given a log config; we pass none and route its
    # loggers through the root JSON handler instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


def _drop_color_message(record: logging.LogRecord) -> bool:
    # Uvicorn attaches an ANSI-coloured copy of each message; noise in JSON logs.
    record.__dict__.pop("color_message", None)
    return True


class RequestTelemetryMiddleware:
    """Per request: one structured access-log line and the request metrics.

    Pure ASGI (no BaseHTTPMiddleware) so it sees the final status of every response, errors
    included, without buffering bodies.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            seconds = time.perf_counter() - started
            record_request(scope["method"], route_template(scope), status, seconds)
            access_log.info("request", extra=_request_fields(scope, status, seconds))


def _request_fields(scope: Scope, status: int, seconds: float) -> dict[str, object]:
    fields: dict[str, object] = {
        "method": scope["method"],
        "path": scope["path"][:256],
        "route": route_template(scope),
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
    }
    principal = scope.get("state", {}).get("principal")
    if principal is not None:
        fields["api_key_name"] = principal.name
    recommendation_id = scope.get("path_params", {}).get("recommendation_id")
    if recommendation_id:
        fields["recommendation_id"] = recommendation_id
    return fields
