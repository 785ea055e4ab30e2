"""Every model call goes through ``metered_call``: tokens, latency and cost on an ``LLMUsage``,
and the Prometheus counters (``activities.metrics``) for calls and errors.

Every billed call is counted, including an answer that cannot be used (truncated, refused):
its usage goes on the counters and into the raised error's details, so a run's usage and the
counters agree."""

from __future__ import annotations

import time
from dataclasses import dataclass

from temporalio.exceptions import ApplicationError

from activities import metrics
from activities.llm import errors
from activities.llm.pricing import PriceTable
from activities.llm.providers import Provider, StructuredReply, StructuredRequest
from domain.usage import LLMUsage, Operation


@dataclass(frozen=True)
class CallLabels:
    """What a call is for, recorded on its usage."""

    operation: Operation
    prompt_version: str
    complexity: float | None = None  # the score that routed it (reasoning calls)


async def metered_call(
    provider: Provider,
    request: StructuredRequest,
    labels: CallLabels,
    prices: PriceTable,
    *,
    repair: bool = False,
) -> tuple[StructuredReply, LLMUsage]:
    started = time.perf_counter()
    try:
        reply = await provider.complete(request)
    except ApplicationError as err:
        metrics.record_error(provider.name, err.type or "unknown")
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
    if reply.failure is not None:
        metrics.record_error(provider.name, reply.failure.type or "unknown")
        raise errors.with_usage(reply.failure, [usage])
    return reply, usage


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
