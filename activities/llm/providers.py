"""One structured-output call to a model, over the official SDKs.

- OpenAI (and OpenAI-compatible servers via ``base_url``): Chat Completions with
  ``response_format={"type": "json_schema", "json_schema": {..., "strict": true}}``.
- Anthropic: Messages with one tool whose ``input_schema`` is the answer schema and
  ``tool_choice`` forcing it, so the answer is the tool call's ``input``.

Both clients are built with ``max_retries=0``: Temporal retries the activity instead, so every
attempt is visible in the workflow history and bounded by its retry policy. SDK errors become
``ApplicationError``s here (``activities.llm.errors``). A truncated or refused answer is billed
like any other, so it comes back as a reply with its tokens and the error in ``failure``
(``metered_call`` records the usage, then raises it); an answer that is not the requested JSON
comes back with ``data=None`` for the caller to re-ask.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

import anthropic
import openai
from temporalio.exceptions import ApplicationError

from activities.llm import errors


@dataclass(frozen=True)
class StructuredRequest:
    model: str
    system: str
    user: str
    schema_name: str
    schema: dict[str, Any]
    temperature: float
    max_tokens: int


@dataclass(frozen=True)
class StructuredReply:
    data: Any  # the parsed JSON answer; None when the model did not answer with JSON
    text: str  # the answer as sent, for the re-ask and for logs
    model: str  # as the provider reports it
    input_tokens: int
    output_tokens: int
    # A billed answer that cannot be used (truncated, refused): raised once its usage is recorded.
    failure: ApplicationError | None = None


class Provider(Protocol):
    name: str

    async def complete(self, request: StructuredRequest) -> StructuredReply: ...

    async def close(self) -> None: ...


class OpenAIProvider:
    name = "openai"

    def __init__(self, api_key: str, base_url: str | None, timeout: float) -> None:
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0
        )
        # OpenAI's own API wants max_completion_tokens (reasoning models reject max_tokens);
        # OpenAI-compatible servers (vLLM, Ollama, llama.cpp) reliably know max_tokens.
        self._max_tokens_param = "max_tokens" if base_url else "max_completion_tokens"

    async def complete(self, request: StructuredRequest) -> StructuredReply:
        try:
            response = await self._client.chat.completions.create(
                model=request.model,
                messages=[
                    {"role": "system", "content": request.system},
                    {"role": "user", "content": request.user},
                ],
                response_format={
                    "type": "json_schema",
                    "json_schema": {
                        "name": request.schema_name,
                        "schema": request.schema,
                        "strict": True,
                    },
                },
                temperature=request.temperature,
                **{self._max_tokens_param: request.max_tokens},
            )
        except openai.APIStatusError as err:
            raise errors.for_status(
                self.name, err.status_code, err.response.headers, err.message
            ) from err
        except openai.APIConnectionError as err:  # timeouts included
            raise errors.unavailable(self.name, err) from err
        choice = response.choices[0]
        message = choice.message
        failure = None
        if message.refusal or choice.finish_reason == "content_filter":
            failure = errors.final(
                errors.REFUSED, f"openai refused: {message.refusal or 'content filter'}"
            )
        elif choice.finish_reason == "length":
            failure = errors.final(
                errors.TRUNCATED, f"openai answer cut at max_tokens={request.max_tokens}"
            )
        text = message.content or ""
        usage = response.usage
        return StructuredReply(
            data=None if failure else _json_or_none(text),
            text=text,
            model=response.model or request.model,
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
            failure=failure,
        )

    async def close(self) -> None:
        await self._client.close()


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, api_key: str, base_url: str | None, timeout: float) -> None:
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0
        )

    async def complete(self, request: StructuredRequest) -> StructuredReply:
        try:
            response = await self._client.messages.create(
                model=request.model,
                system=request.system,
                messages=[{"role": "user", "content": request.user}],
                tools=[
                    {
                        "name": request.schema_name,
                        "description": f"Submit the {request.schema_name} answer.",
                        "input_schema": request.schema,
                    }
                ],
                tool_choice={"type": "tool", "name": request.schema_name},
                # No temperature: the Messages API of SDK 2.x takes no sampling parameters.
                max_tokens=request.max_tokens,
            )
        except anthropic.APIStatusError as err:
            raise errors.for_status(
                self.name, err.status_code, err.response.headers, err.message
            ) from err
        except anthropic.APIConnectionError as err:  # timeouts included
            raise errors.unavailable(self.name, err) from err
        failure = None
        if response.stop_reason == "max_tokens":
            failure = errors.final(
                errors.TRUNCATED, f"anthropic answer cut at max_tokens={request.max_tokens}"
            )
        elif response.stop_reason == "refusal":
            failure = errors.final(errors.REFUSED, "anthropic refused to answer")
        call = next(
            (b for b in response.content if b.type == "tool_use" and b.name == request.schema_name),
            None,
        )
        text = (
            json.dumps(call.input)
            if call is not None
            else "".join(b.text for b in response.content if b.type == "text")
        )
        return StructuredReply(
            data=call.input if call is not None and failure is None else None,
            text=text,
            model=response.model or request.model,
            input_tokens=response.usage.input_tokens,
            output_tokens=response.usage.output_tokens,
            failure=failure,
        )

    async def close(self) -> None:
        await self._client.close()


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None
