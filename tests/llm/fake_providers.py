"""Local fake OpenAI and Anthropic HTTP APIs that speak the real wire formats.

The official SDKs talk to these over loopback exactly as they would to the providers:

- OpenAI ``POST /v1/chat/completions`` with ``response_format={"type": "json_schema", ...}``
  answers a ``chat.completion`` whose message content is the JSON answer, with ``usage``.
- Anthropic ``POST /v1/messages`` with one tool and a forced ``tool_choice`` answers a
  ``message`` whose content is a ``tool_use`` block carrying the answer as ``input``.

Each fake checks the request the way the provider would (API key, structured-output shape) and
answers from a script of behaviours (malformed JSON, 429 with retry-after, 5xx, 401, refusals,
truncation); once the script is used up it answers from its ``brain``: a function from the
requested schema name (signal_analysis, recommendation, critique) and the request to the answer.
``delay`` makes every answer take that long; ``max_in_flight`` is the most requests it was
answering at once.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

Wire = Literal["openai", "anthropic"]
Brain = Callable[[str, dict[str, Any]], dict[str, Any]]
API_KEY = "test-key"


@dataclass(frozen=True)
class Answer:
    """A well-formed answer: ``data`` or, when None, what the brain says."""

    data: dict[str, Any] | None = None


@dataclass(frozen=True)
class Malformed:
    """OpenAI: content that is not JSON. Anthropic: a tool input that breaks the schema."""


@dataclass(frozen=True)
class HttpError:
    status: int
    retry_after: str | None = None


@dataclass(frozen=True)
class Refusal:
    pass


@dataclass(frozen=True)
class Truncated:
    pass


Behaviour = Answer | Malformed | HttpError | Refusal | Truncated


@dataclass
class Seen:
    """One request the fake received."""

    schema_name: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)

    @property
    def user_text(self) -> str:
        return next(m["content"] for m in self.body["messages"] if m["role"] == "user")

    @property
    def system_text(self) -> str:
        if "system" in self.body:  # Anthropic
            return self.body["system"]
        return next(m["content"] for m in self.body["messages"] if m["role"] == "system")


class FakeProvider:
    def __init__(self, wire: Wire, brain: Brain) -> None:
        self.wire = wire
        self.brain = brain
        self.default_brain = brain
        self.script: deque[Behaviour] = deque()
        self.seen: list[Seen] = []
        self.delay = 0.0  # seconds each answer takes
        self.in_flight = 0  # requests being answered right now
        self.max_in_flight = 0  # the most at once since the last reset
        self.port = _free_port()
        path = "/v1/chat/completions" if wire == "openai" else "/v1/messages"
        self.app = Starlette(routes=[Route(path, self._handle, methods=["POST"])])
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        root = f"http://127.0.0.1:{self.port}"
        return f"{root}/v1" if self.wire == "openai" else root

    def then(self, *behaviours: Behaviour) -> FakeProvider:
        self.script.extend(behaviours)
        return self

    def reset(self) -> None:
        self.script.clear()
        self.seen.clear()
        self.brain = self.default_brain
        self.delay = 0.0
        self.in_flight = self.max_in_flight = 0

    def calls(self, schema_name: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.schema_name == schema_name]

    # ----------------------------------------------------------------------------- serving

    def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError(f"fake {self.wire} server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)

    # ----------------------------------------------------------------------------- handling

    async def _handle(self, request: Request) -> JSONResponse:
        self.in_flight += 1  # one event loop serves every request: no lock needed
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: Request) -> JSONResponse:
        body = await request.json()
        schema_name = self._schema_name(body)
        self.seen.append(Seen(schema_name, body, dict(request.headers)))
        problem = self._auth_problem(request) or self._shape_problem(body)
        if problem is not None:
            return problem
        behaviour = self.script.popleft() if self.script else Answer()
        return self._respond(behaviour, schema_name, body)

    def _auth_problem(self, request: Request) -> JSONResponse | None:
        if self.wire == "openai":
            ok = request.headers.get("authorization") == f"Bearer {API_KEY}"
        else:
            # The API takes the key as x-api-key or, as SDK 2.x sends it, a bearer token.
            keyed = request.headers.get("x-api-key") == API_KEY or (
                request.headers.get("authorization") == f"Bearer {API_KEY}"
            )
            ok = keyed and bool(request.headers.get("anthropic-version"))
        return None if ok else self._error(401, "invalid x-api-key / bearer token")

    def _shape_problem(self, body: dict[str, Any]) -> JSONResponse | None:
        """Refuse requests the real API would refuse or that would not force structured output."""
        if self.wire == "openai":
            fmt = body.get("response_format", {})
            schema = fmt.get("json_schema", {})
            ok = (
                fmt.get("type") == "json_schema"
                and schema.get("strict") is True
                and _strict(schema.get("schema", {}))
            )
        else:
            tools = body.get("tools", [])
            choice = body.get("tool_choice", {})
            ok = (
                len(tools) == 1
                and choice == {"type": "tool", "name": tools[0]["name"]}
                and tools[0]["input_schema"].get("type") == "object"
                and isinstance(body.get("max_tokens"), int)
            )
        return None if ok else self._error(400, "structured output not requested as expected")

    def _schema_name(self, body: dict[str, Any]) -> str:
        if self.wire == "openai":
            return body.get("response_format", {}).get("json_schema", {}).get("name", "")
        return body.get("tool_choice", {}).get("name", "")

    def _respond(self, behaviour: Behaviour, schema_name: str, body: dict[str, Any]) -> Any:
        match behaviour:
            case HttpError(status=status, retry_after=retry_after):
                headers = {"retry-after": retry_after} if retry_after else {}
                return self._error(status, f"scripted HTTP {status}", headers)
            case Answer(data=data):
                answer = data if data is not None else self.brain(schema_name, body)
                return self._message(schema_name, body, answer=answer)
            case Malformed():
                return self._message(schema_name, body, malformed=True)
            case Refusal():
                return self._message(schema_name, body, stop="refusal")
            case Truncated():
                return self._message(schema_name, body, stop="length")
        raise AssertionError(behaviour)

    def _message(
        self,
        schema_name: str,
        body: dict[str, Any],
        *,
        answer: dict[str, Any] | None = None,
        malformed: bool = False,
        stop: str | None = None,
    ) -> JSONResponse:
        input_tokens = len(json.dumps(body)) // 4
        text = json.dumps(answer) if answer is not None else '{"recommended_action": "Pau'
        output_tokens = max(1, len(text) // 4)
        if self.wire == "openai":
            return JSONResponse(
                _openai_completion(body, text, malformed, stop, input_tokens, output_tokens)
            )
        tool_input = {"unexpected": "shape"} if malformed else (answer or {})
        return JSONResponse(
            _anthropic_message(body, schema_name, tool_input, stop, input_tokens, output_tokens)
        )

    def _error(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> JSONResponse:
        if self.wire == "openai":
            kind = "rate_limit_exceeded" if status == 429 else "invalid_request_error"
            body: dict[str, Any] = {
                "error": {"message": message, "type": kind, "param": None, "code": None}
            }
        else:
            kind = {401: "authentication_error", 429: "rate_limit_error"}.get(status, "api_error")
            body = {"type": "error", "error": {"type": kind, "message": message}}
        return JSONResponse(body, status_code=status, headers=headers)


def _openai_completion(
    body: dict[str, Any],
    text: str,
    malformed: bool,
    stop: str | None,
    input_tokens: int,
    output_tokens: int,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    finish = "stop"
    if malformed:
        message["content"] = "Sure! Here is the analysis you asked for: {not json"
    if stop == "refusal":
        message = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
    if stop == "length":
        message["content"] = text[: len(text) // 2]
        finish = "length"
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": input_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        },
    }


def _anthropic_message(
    body: dict[str, Any],
    schema_name: str,
    tool_input: dict[str, Any],
    stop: str | None,
    input_tokens: int,
    output_tokens: int,
) -> dict[str, Any]:
    content: list[dict[str, Any]] = [
        {"type": "tool_use", "id": "toolu_fake", "name": schema_name, "input": tool_input}
    ]
    stop_reason = "tool_use"
    if stop == "refusal":
        content, stop_reason = [{"type": "text", "text": "I can't help with that."}], "refusal"
    if stop == "length":
        stop_reason = "max_tokens"
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
    }


def _strict(schema: dict[str, Any]) -> bool:
    """OpenAI's strict mode: every object closed, every property required, no $ref left over."""
    if not isinstance(schema, dict):
        return True
    if "$ref" in schema:
        return False
    if schema.get("type") == "object":
        closed = schema.get("additionalProperties") is False
        all_required = set(schema.get("required", [])) == set(schema.get("properties", {}))
        if not (closed and all_required):
            return False
    children = [
        *schema.get("properties", {}).values(),
        *([schema["items"]] if "items" in schema else []),
        *schema.get("anyOf", []),
    ]
    return all(_strict(child) for child in children)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
