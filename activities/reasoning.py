"""The reasoning activities and the seam where reasoners plug in.

``ReasoningActivities`` exposes the three reasoning steps as activities and delegates to a
``Reasoner``. The worker picks the reasoner by ``settings.reasoner`` through ``REASONERS``;
``rules`` (deterministic, no I/O) is the default and the fallback. An LLM reasoner registers a
factory here, typically wrapped as ``FallbackReasoner(llm, RulesReasoner())``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from temporalio import activity

from domain import rules
from domain.lifecycle import AnalysisInput, CritiqueInput, ReasoningStep
from domain.recommendation import Critique, Recommendation, SignalAnalysis
from workflows import activity_names as names

if TYPE_CHECKING:
    from settings import Settings

log = logging.getLogger(__name__)


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


class FallbackReasoner:
    """Use ``primary``; when it raises, answer with ``fallback`` and mark the result degraded."""

    def __init__(self, primary: Reasoner, fallback: Reasoner) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = f"{primary.name}+{fallback.name}"

    async def analyze(self, inp: AnalysisInput) -> SignalAnalysis:
        try:
            return await self.primary.analyze(inp)
        except Exception as err:  # any provider failure: the fallback keeps the run going
            self._log_fallback("analyze", err)
            return await self.fallback.analyze(inp)

    async def recommend(self, step: ReasoningStep) -> Recommendation:
        try:
            return await self.primary.recommend(step)
        except Exception as err:
            self._log_fallback("recommend", err)
            rec = await self.fallback.recommend(step)
            reason = f"{self.primary.name} failed ({type(err).__name__}); used {self.fallback.name}"
            return rec.model_copy(
                update={"degraded": True, "degraded_reasons": [*rec.degraded_reasons, reason]}
            )

    async def critique(self, inp: CritiqueInput) -> Critique:
        try:
            return await self.primary.critique(inp)
        except Exception as err:
            self._log_fallback("critique", err)
            return await self.fallback.critique(inp)

    def _log_fallback(self, step: str, err: Exception) -> None:
        log.warning(
            "%s %s failed, falling back to %s: %r", self.primary.name, step, self.fallback.name, err
        )


ReasonerFactory = Callable[["Settings"], Reasoner]

# settings.reasoner -> factory. LLM reasoners add their entry here.
REASONERS: dict[str, ReasonerFactory] = {
    "rules": lambda _settings: RulesReasoner(),
}


class UnknownReasonerError(ValueError):
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


class ReasoningActivities:
    def __init__(self, reasoner: Reasoner) -> None:
        self.reasoner = reasoner

    @activity.defn(name=names.ANALYZE_SIGNALS)
    async def analyze_signals(self, inp: AnalysisInput) -> SignalAnalysis:
        return await self.reasoner.analyze(inp)

    @activity.defn(name=names.GENERATE_RECOMMENDATION)
    async def generate_recommendation(self, step: ReasoningStep) -> Recommendation:
        return await self.reasoner.recommend(step)

    @activity.defn(name=names.CRITIQUE_RECOMMENDATION)
    async def critique_recommendation(self, inp: CritiqueInput) -> Critique:
        return await self.reasoner.critique(inp)
