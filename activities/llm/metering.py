"""Every model call goes through ``metered_call``: tokens, latency and cost on an ``LLMUsage``,
the Prometheus counters (``activities.metrics``) for calls and errors, and a span.

Every billed call is counted, including an answer that cannot be used (truncated, refused):
its usage goes on the counters and into the raised error's details, so a run's usage and the
counters agree.

The span follows OpenTelemetry's GenAI semantic conventions (``chat {model}``, ``gen_ai.*``
attributes for provider, models and tokens), plus the cost and the prompt's name and version,
which the conventions do not cover. The prompt and answer text are attached only when
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` is true: they contain campaign data."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from temporalio.exceptions import ApplicationError

from activities import metrics
from activities.llm import errors
from activities.llm.pricing import PriceTable
from activities.llm.providers import Provider, StructuredReply, StructuredRequest
from domain.usage import LLMUsage, Operation
from telemetry import tracing

COST_ATTRIBUTE = "marketing_agent.llm.cost_usd"


@dataclass(frozen=True)
class CallLabels:
    """What a call is for, recorded on its usage."""

    operation: Operation
    prompt_version: str
    complexity: float | None = None  # the score that routed it (reasoning calls)
    prompt_name: str | None = None


async def metered_call(
    provider: Provider,
    request: StructuredRequest,
    labels: CallLabels,
    prices: PriceTable,
    *,
    repair: bool = False,
) -> tuple[StructuredReply, LLMUsage]:
    with _llm_span(provider.name, request, labels, repair) as span:
        reply, usage = await _metered(provider, request, labels, prices, repair, span)
    return reply, usage


async def _metered(
    provider: Provider,
    request: StructuredRequest,
    labels: CallLabels,
    prices: PriceTable,
    repair: bool,
    span: Span,
) -> tuple[StructuredReply, LLMUsage]:
    started = time.perf_counter()
    try:
        reply = await provider.complete(request)
    except ApplicationError as err:
        metrics.record_error(request.model, err.type or "unknown")
        _record_failure(span, err)
        raise
    usage = LLMUsage(
        operation=labels.operation,
        provider=provider.name,
        model=reply.model,
        prompt_version=labels.prompt_version,
        input_tokens=reply.input_tokens,
        output_tokens=reply.output_tokens,
        latency_ms=_elapsed_ms(started),
        cost_usd=prices.cost_usd(reply.model, reply.input_tokens, reply.output_tokens),
        complexity=labels.complexity,
        repair=repair,
    )
    metrics.record_call(usage)
    _record_reply(span, reply, usage)
    if reply.failure is not None:
        metrics.record_error(reply.model, reply.failure.type or "unknown")
        _record_failure(span, reply.failure)
        raise errors.with_usage(reply.failure, [usage])
    return reply, usage


@contextmanager
def _llm_span(
    provider: str, request: StructuredRequest, labels: CallLabels, repair: bool
) -> Iterator[Span]:
    attributes: dict[str, str | int | float | bool] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.system": provider,  # the older name, still what many backends read
        "gen_ai.request.model": request.model,
        "gen_ai.request.temperature": request.temperature,
        "gen_ai.request.max_tokens": request.max_tokens,
        "gen_ai.output.type": "json",
        "marketing_agent.llm.operation": labels.operation.value,
        "marketing_agent.prompt.version": labels.prompt_version,
        "marketing_agent.llm.repair": repair,
    }
    if labels.prompt_name:
        attributes["marketing_agent.prompt.name"] = labels.prompt_name
    if tracing.capture_llm_content():
        attributes["gen_ai.system_instructions"] = json.dumps(
            [{"type": "text", "content": request.system}]
        )
        attributes["gen_ai.input.messages"] = json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": request.user}]}]
        )
    tracer = tracing.tracer(__name__)
    with tracer.start_as_current_span(
        f"chat {request.model}", kind=SpanKind.CLIENT, attributes=attributes
    ) as span:
        yield span


def _record_reply(span: Span, reply: StructuredReply, usage: LLMUsage) -> None:
    span.set_attributes(
        {
            "gen_ai.response.model": reply.model,
            "gen_ai.usage.input_tokens": reply.input_tokens,
            "gen_ai.usage.output_tokens": reply.output_tokens,
            COST_ATTRIBUTE: usage.cost_usd,
        }
    )
    if tracing.capture_llm_content():
        span.set_attribute(
            "gen_ai.output.messages",
            json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": reply.text}]}]),
        )


def _record_failure(span: Span, err: ApplicationError) -> None:
    span.set_attribute("error.type", err.type or "unknown")
    span.set_status(Status(StatusCode.ERROR, str(err)[:200]))


def cache_hit(provider: str, model: str, labels: CallLabels, started: float) -> LLMUsage:
    """The usage of an answer served from the response cache: no tokens, no cost."""
    usage = LLMUsage(
        operation=labels.operation,
        provider=provider,
        model=model,
        prompt_version=labels.prompt_version,
        latency_ms=_elapsed_ms(started),
        cached=True,
        complexity=labels.complexity,
    )
    metrics.record_call(usage)
    return usage


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
