"""Refuse oversized request bodies with 413 and the standard error body.

Written here rather than using FastAPI's ``max_body_size`` because Starlette's limiter answers
with a plain-text 413 that would break the one-error-shape promise.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response


class BodyLimitMiddleware:
    """``max_bytes`` for every path but those in ``per_path`` (path -> its own limit)."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, per_path: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = per_path or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope.get("path", ""), self.max_bytes)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            # Answer before reading a byte of the body.
            response = self._too_large(limit) if declared.isdigit() else self._bad_length()
            await response(scope, receive, send)
            return
        await self.app(scope, self._limited(receive, limit), send)

    def _limited(self, receive: Receive, limit: int) -> Receive:
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Chunked bodies have no Content-Length: stop once they cross the limit.
                    # FastAPI re-raises HTTPExceptions from body reading to our handler.
                    raise HTTPException(413, _message(limit))
            return message

        return limited_receive

    def _too_large(self, limit: int) -> JSONResponse:
        return error_response(413, "payload_too_large", _message(limit))

    def _bad_length(self) -> JSONResponse:
        return error_response(400, "bad_request", "invalid Content-Length header")


def _message(limit: int) -> str:
    return f"request body larger than {limit} bytes"
