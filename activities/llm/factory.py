"""Build an ``LLMReasoner`` from the settings (``REASONER=openai|anthropic``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from activities.llm.cache import DatabaseResponseCache
from activities.llm.circuit import CircuitBreaker
from activities.llm.metering import CallLabels, metered_call
from activities.llm.pricing import PriceTable
from activities.llm.prompts import PromptRegistry
from activities.llm.providers import (
    AnthropicProvider,
    OpenAIProvider,
    Provider,
    StructuredRequest,
)
from activities.llm.reasoner import LLMReasoner
from activities.llm.routing import ModelRouter
from activities.llm.throttle import CallLimiter
from domain.usage import Operation
from settings import ConfigurationError

if TYPE_CHECKING:
    from settings import Settings

# provider -> (cheap, strong) models used when LLM_MODEL / LLM_STRONG_MODEL are not set.
DEFAULT_MODELS: dict[str, tuple[str, str]] = {
    "openai": ("gpt-4o-mini", "gpt-4o"),
    "anthropic": ("claude-haiku-4-5", "claude-sonnet-4-6"),
}
# Local OpenAI-compatible servers ignore the key, but the SDK insists on one.
UNUSED_KEY = "not-needed"


class LLMSetupError(ConfigurationError):
    """The LLM configuration cannot work (e.g. no API key); raised at worker start-up."""


def build_llm_reasoner(settings: Settings, provider_name: str) -> LLMReasoner:
    prompts = PromptRegistry.load(settings.prompts_dir).select(settings.prompt_version)
    cheap, strong = DEFAULT_MODELS[provider_name]
    if settings.llm_model:
        cheap = strong = settings.llm_model
    return LLMReasoner(
        provider=_provider(settings, provider_name),
        prompts=prompts,
        router=ModelRouter(
            cheap=cheap,
            strong=settings.llm_strong_model or strong,
            complexity_threshold=settings.llm_complexity_threshold,
        ),
        prices=PriceTable(settings.llm_price_table()),
        breaker=CircuitBreaker(
            provider_name, settings.llm_circuit_failures, settings.llm_circuit_cooldown_seconds
        ),
        cache=DatabaseResponseCache(settings.database_url) if settings.llm_cache else None,
        limiter=call_limiter(settings),
    )


def call_limiter(settings: Settings) -> CallLimiter:
    """LLM_MAX_CONCURRENCY and LLM_REQUESTS_PER_MINUTE, for one reasoner (one per worker)."""
    return CallLimiter.from_settings(settings.llm_max_concurrency, settings.llm_requests_per_minute)


def build_judge_completion(
    settings: Settings, provider_name: str, model: str, schema: dict[str, Any], prompt_version: str
) -> Callable[[str, str], Awaitable[str]]:
    """(system, user) -> the judge's JSON answer, as structured output of ``schema``; metered
    under the operation ``judge``."""
    provider = _provider(settings, provider_name)
    prices = PriceTable(settings.llm_price_table())
    labels = CallLabels(Operation.judge, prompt_version)
    limiter = call_limiter(settings)

    async def complete(system: str, user: str) -> str:
        request = StructuredRequest(
            model=model,
            system=system,
            user=user,
            schema_name="judge_verdict",
            schema=schema,
            temperature=0.0,
            max_tokens=2000,
        )
        async with limiter.slot():
            reply, _usage = await metered_call(provider, request, labels, prices)
        return reply.text

    return complete


def build_provider(settings: Settings, name: str) -> Provider:
    """The provider client for ``name`` (openai or anthropic) with the configured key, base
    URL and timeout; LLMSetupError when it has no key."""
    return _provider(settings, name)


def _provider(settings: Settings, name: str) -> Provider:
    key = settings.llm_api_key_for(name)
    if key is None and settings.llm_base_url and name == "openai":
        key = UNUSED_KEY
    if key is None:
        variable = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}[name]
        raise LLMSetupError(
            f"the {name} provider needs an API key: set LLM_API_KEY or {variable} "
            "(REASONER=rules runs without a model)"
        )
    provider_class = OpenAIProvider if name == "openai" else AnthropicProvider
    return provider_class(key, settings.llm_base_url, settings.llm_timeout_seconds)
