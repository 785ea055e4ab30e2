"""The reasoning activities and the seam where reasoners plug in.

``ReasoningActivities`` exposes the three reasoning steps as activities and delegates to a
``Reasoner``. The worker picks the reasoner by ``settings.reasoner`` through ``REASONERS``:
``rules`` (deterministic, no I/O, the default), ``openai`` and ``anthropic``
(``activities.llm``). The rules reasoner is also the fallback: when the primary reasoner fails
a step for good, the workflow calls the same activity again with ``fallback`` set on its input,
and the activity answers with the rules reasoner and counts the fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from temporalio import activity

from activities import metrics
from domain import rules
from domain.lifecycle import AnalysisInput, CritiqueInput, ReasonerFallback, ReasoningStep
from domain.recommendation import Critique, Recommendation, SignalAnalysis
from domain.usage import Operation
from settings import ConfigurationError
from workflows import activity_names as names

if TYPE_CHECKING:
    from settings import Settings


@runtime_checkable
class Reasoner(Protocol):
    """One implementation per provider; every method may do I/O."""

    name: str

    async def analyze(self, inp: AnalysisInput) -> SignalAnalysis: ...

    async def recommend(self, step: ReasoningStep) -> Recommendation: ...

    async def critique(self, inp: CritiqueInput) -> Critique: ...


class RulesReasoner:
    """The deterministic, explainable reasoner of ``domain.rules``."""

    name = "rules"

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))

    async def analyze(self, inp: AnalysisInput) -> SignalAnalysis:
        return rules.analyze_signals(inp.context, inp.thresholds)

    async def recommend(self, step: ReasoningStep) -> Recommendation:
        return rules.generate_recommendation(step, self._clock())

    async def critique(self, inp: CritiqueInput) -> Critique:
        return rules.critique_recommendation(inp)


ReasonerFactory = Callable[["Settings"], Reasoner]


def _llm(provider: str) -> ReasonerFactory:
    def build(settings: Settings) -> Reasoner:
        from activities.llm.factory import build_llm_reasoner  # the SDKs load only when used

        return build_llm_reasoner(settings, provider)

    return build


# settings.reasoner -> factory.
REASONERS: dict[str, ReasonerFactory] = {
    "rules": lambda _settings: RulesReasoner(),
    "openai": _llm("openai"),
    "anthropic": _llm("anthropic"),
}


class UnknownReasonerError(ConfigurationError):
    pass


def build_reasoner(settings: Settings) -> Reasoner:
    """The configured reasoner; an unknown name fails at worker start-up, not mid-run."""
    factory = REASONERS.get(settings.reasoner)
    if factory is None:
        known = ", ".join(sorted(REASONERS))
        raise UnknownReasonerError(
            f"unknown reasoner {settings.reasoner!r} (REASONER); choose one of: {known}"
        )
    return factory(settings)


async def close_reasoner(reasoner: Reasoner) -> None:
    """Release what a reasoner holds (HTTP clients, cache connections); rules hold nothing."""
    close = getattr(reasoner, "close", None)
    if close is not None:
        await close()


class ReasoningActivities:
    def __init__(self, reasoner: Reasoner, fallback: Reasoner | None = None) -> None:
        self.reasoner = reasoner
        self.fallback = fallback or RulesReasoner()

    @activity.defn(name=names.ANALYZE_SIGNALS)
    async def analyze_signals(self, inp: AnalysisInput) -> SignalAnalysis:
        return await self._pick(inp.fallback, Operation.analysis).analyze(inp)

    @activity.defn(name=names.GENERATE_RECOMMENDATION)
    async def generate_recommendation(self, step: ReasoningStep) -> Recommendation:
        return await self._pick(step.fallback, Operation.recommendation).recommend(step)

    @activity.defn(name=names.CRITIQUE_RECOMMENDATION)
    async def critique_recommendation(self, inp: CritiqueInput) -> Critique:
        return await self._pick(inp.fallback, Operation.critique).critique(inp)

    def _pick(self, fallback: ReasonerFallback | None, operation: Operation) -> Reasoner:
        if fallback is None:
            return self.reasoner
        if activity.info().attempt == 1:  # count the fallback once, not once per retry
            metrics.record_fallback(self.reasoner.name, operation.value, fallback.error_type)
        return self.fallback
