"""Build the reasoner an eval runs: by name, optionally at a given prompt version.

Names are the worker's (``activities.reasoning.REASONERS``: ``rules``, ``openai``,
``anthropic``), so evals measure exactly what the worker would run, without the workflow's rules
fallback: a failing LLM step fails its case. A prompt version is passed through the settings
field ``prompt_version`` (``PROMPT_VERSION``); the rules reasoner has no prompts, so for it the
version only labels the run. Every answer's model calls are reported to the case's usage meter
(``evals.usage``), so reports show tokens and cost per case; with ``LLM_CACHE=true`` a re-run
is answered from the cache and costs nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from temporalio.exceptions import ApplicationError

from activities.reasoning import REASONERS, Reasoner, build_reasoner
from domain.lifecycle import AnalysisInput, CritiqueInput, ReasoningStep
from domain.recommendation import Critique, Recommendation, SignalAnalysis
from domain.usage import LLMUsage, usages_in
from evals.usage import record_usage
from settings import Settings, get_settings


@dataclass(frozen=True)
class ReasonerChoice:
    name: str
    prompt_version: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}@{self.prompt_version}" if self.prompt_version else self.name


class ReasonerSetupError(ValueError):
    pass


def known_reasoners() -> list[str]:
    return sorted(REASONERS)


def make_reasoner(choice: ReasonerChoice, settings: Settings | None = None) -> Reasoner:
    settings = settings or get_settings()
    if choice.name not in REASONERS:
        raise ReasonerSetupError(
            f"unknown reasoner {choice.name!r}; choose one of: {', '.join(known_reasoners())}"
        )
    update: dict[str, object] = {"reasoner": choice.name}
    if choice.prompt_version:
        update["prompt_version"] = choice.prompt_version
    return MeteredReasoner(build_reasoner(settings.model_copy(update=update)))


def prompt_version_note(choice: ReasonerChoice) -> str | None:
    """A warning when --prompt-version cannot reach the reasoner."""
    if not choice.prompt_version:
        return None
    if choice.name == "rules":
        return "note: the rules reasoner has no prompts; --prompt-version only labels this run"
    return None


class MeteredReasoner:
    """Reports the model calls behind each answer to the current eval case, including the calls
    of a step that failed (an invalid answer still cost its tokens)."""

    def __init__(self, reasoner: Reasoner) -> None:
        self.inner = reasoner
        self.name = reasoner.name

    async def analyze(self, inp: AnalysisInput) -> SignalAnalysis:
        return await _metered(self.inner.analyze(inp))

    async def recommend(self, step: ReasoningStep) -> Recommendation:
        return await _metered(self.inner.recommend(step))

    async def critique(self, inp: CritiqueInput) -> Critique:
        return await _metered(self.inner.critique(inp))


Answer = TypeVar("Answer", SignalAnalysis, Recommendation, Critique)


async def _metered(step: Awaitable[Answer]) -> Answer:
    try:
        answer = await step
    except ApplicationError as err:
        _record(usages_in(err.details))
        raise
    _record(answer.usage)
    return answer


def _record(usages: list[LLMUsage]) -> None:
    for call in usages:
        record_usage(call.input_tokens, call.output_tokens, call.cost_usd)
