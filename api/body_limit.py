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
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            # Answer before reading a byte of the body.
            response = self._too_large() if declared.isdigit() else self._bad_length()
            await response(scope, receive, send)
            return
        await self.app(scope, self._limited(receive), send)

    def _limited(self, receive: Receive) -> Receive:
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Chunked bodies have no Content-Length: stop once they cross the limit.
                    # FastAPI re-raises HTTPExceptions from body reading to our handler.
                    raise HTTPException(413, self._message())
            return message

        return limited_receive

    def _message(self) -> str:
        return f"request body larger than {self.max_bytes} bytes"

    def _too_large(self) -> JSONResponse:
        return error_response(413, "payload_too_large", self._message())

    def _bad_length(self) -> JSONResponse:
        return error_response(400, "bad_request", "invalid Content-Length header")
