"""``LLMReasoner``: the three reasoning steps answered by a model, checked like any other answer.

Each step renders its versioned prompt, routes to the cheap or strong model, asks for
structured output and validates the answer against the answer schema, the domain contract and,
for recommendations, the guardrails and the evidence (an action whose defining signal the data
does not show, such as a Campaign Pause while conversions come in, is rejected: that is what
keeps a campaign name saying "recommend Campaign Pause" from choosing the action). An invalid
answer is re-asked once with the reasons; a second invalid answer fails the step
(``LLMInvalidOutput``) and the workflow falls back to the rules reasoner.

Every call is metered (``LLMUsage`` on the answer, Prometheus counters), waits for a slot of
the process's ``CallLimiter`` (concurrency and rate) and is guarded by the provider's circuit
breaker; answers may come from the opt-in response cache.

Every billed call of a step is reported: on the answer when it succeeds, in the details of the
``ApplicationError`` when it fails (a provider error after an answer that was re-asked, a
truncated or refused answer, an open circuit before the re-ask ...). Inside an activity each
billed call is also heartbeated, so a later attempt of the same activity reports the calls of
the earlier ones (a 503 on the re-ask is retried by Temporal; the first answer was still paid).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import metrics
from activities.llm import errors
from activities.llm.answers import (
    AnalysisAnswer,
    CritiqueAnswer,
    RecommendationAnswer,
    json_schema,
    to_analysis,
    to_critique,
    to_recommendation,
)
from activities.llm.cache import ResponseCache, cache_key
from activities.llm.circuit import CircuitBreaker
from activities.llm.metering import CallLabels, cache_hit, metered_call
from activities.llm.pricing import PriceTable
from activities.llm.prompts import Prompt, PromptSet
from activities.llm.providers import Provider, StructuredReply, StructuredRequest
from activities.llm.routing import ModelRouter, case_complexity
from activities.llm.throttle import CallLimiter
from domain import rules
from domain.guardrails import GuardrailViolation, apply_guardrails
from domain.lifecycle import AnalysisInput, CritiqueInput, ReasoningStep, ReviewerFeedback
from domain.recommendation import Critique, Recommendation, SignalAnalysis
from domain.usage import LLMUsage, usages_in

log = logging.getLogger(__name__)

T = TypeVar("T")
# How much of a rejected answer goes back to the model with the re-ask.
MAX_ECHOED_ANSWER_CHARS = 4000
# Concurrent provider calls when no limiter is given (the setting LLM_MAX_CONCURRENCY).
DEFAULT_MAX_CONCURRENCY = 8
# Fields of our own bookkeeping, not evidence: kept out of prompts (and cache keys).
_NOT_FOR_PROMPTS = {"usage", "generated_at", "model", "prompt_versions"}


class AnswerRejected(ValueError):
    """The answer is not acceptable; the message tells the model why."""


@dataclass(frozen=True)
class Question(Generic[T]):
    prompt: Prompt
    variables: dict[str, Any]
    answer_model: type[BaseModel]
    complexity: float
    # Validated answer + the model that gave it -> the domain result; may raise AnswerRejected.
    parse: Callable[[Any, str], T]


class LLMReasoner:
    def __init__(
        self,
        provider: Provider,
        prompts: PromptSet,
        router: ModelRouter,
        prices: PriceTable,
        breaker: CircuitBreaker,
        cache: ResponseCache | None = None,
        clock: Callable[[], datetime] | None = None,
        limiter: CallLimiter | None = None,
    ) -> None:
        self.name = provider.name
        self.prompts = prompts
        self._provider = provider
        self._router = router
        self._prices = prices
        self._breaker = breaker
        self._cache = cache
        self._clock = clock or (lambda: datetime.now(UTC))
        # Shared by every step (activity) this reasoner answers: one reasoner per worker process.
        self.limiter = limiter or CallLimiter(DEFAULT_MAX_CONCURRENCY)

    # ----------------------------------------------------------------------------- steps

    async def analyze(self, inp: AnalysisInput) -> SignalAnalysis:
        question = Question(
            prompt=self.prompts["signal_analysis"],
            variables={
                "campaign_data": _context_data(inp.context),
                "thresholds": inp.thresholds.model_dump(mode="json"),
            },
            answer_model=AnalysisAnswer,
            complexity=case_complexity(inp.context, inp.thresholds),
            parse=lambda answer, model: to_analysis(answer, inp.context, model),
        )
        analysis, usage = await self._ask(question)
        return analysis.model_copy(update={"usage": usage})

    async def recommend(self, step: ReasoningStep) -> Recommendation:
        def parse(answer: RecommendationAnswer, model: str) -> Recommendation:
            try:
                rec = to_recommendation(
                    answer,
                    campaign_id=step.context.campaign.campaign_id,
                    generated_at=self._clock(),
                    model=model,
                    prompt_versions=self.prompts.versions,
                )
            except ValidationError as err:
                raise AnswerRejected(_validation_summary(err)) from err
            problems = guardrail_problems(rec, step)
            if problems:
                raise AnswerRejected("; ".join(problems))
            return rec

        question = Question(
            prompt=self.prompts["recommendation"],
            variables={
                "campaign_data": _context_data(step.context),
                "analysis": _without_bookkeeping(step.analysis),
                "guardrails": step.guardrails.model_dump(mode="json"),
                "previous_attempt": _without_bookkeeping(step.previous),
                "critique": _without_bookkeeping(step.critique),
                "reviewer_feedback": _feedback(step.reviewer_feedback),
            },
            answer_model=RecommendationAnswer,
            complexity=case_complexity(step.context, step.thresholds),
            parse=parse,
        )
        rec, usage = await self._ask(question)
        return rec.model_copy(update={"usage": usage})

    async def critique(self, inp: CritiqueInput) -> Critique:
        question = Question(
            prompt=self.prompts["critique"],
            variables={
                "campaign_data": _context_data(inp.context),
                "analysis": _without_bookkeeping(inp.analysis),
                "recommendation": _without_bookkeeping(inp.recommendation),
                "reviewer_feedback": _feedback(inp.reviewer_feedback),
            },
            answer_model=CritiqueAnswer,
            complexity=case_complexity(inp.context, inp.thresholds),
            parse=lambda answer, _model: to_critique(answer),
        )
        critique, usage = await self._ask(question)
        return critique.model_copy(update={"usage": usage})

    async def close(self) -> None:
        await self._provider.close()
        if self._cache is not None:
            await self._cache.close()

    # ----------------------------------------------------------------------------- asking

    async def _ask(self, question: Question[T]) -> tuple[T, list[LLMUsage]]:
        bill = _Bill()
        try:
            result = await self._answer(question, bill)
        except ApplicationError as err:
            if not bill.calls:
                raise
            # The step failed, but what it was billed for still counts: the usage travels in
            # the error's details (the workflow and the evals add it to the run's usage).
            raise errors.with_usage(err, bill.calls) from err.__cause__
        return result, bill.calls

    async def _answer(self, question: Question[T], bill: _Bill) -> T:
        prompt = question.prompt
        model = self._router.route(prompt.spec.model, question.complexity)
        key = cache_key(prompt.name, prompt.version, model, question.variables)
        cached = await self._from_cache(key, question, model, bill)
        if cached is not None:
            return cached
        request = StructuredRequest(
            model=model,
            system=prompt.spec.system,
            user=prompt.render_user(question.variables),
            schema_name=prompt.name,
            schema=json_schema(question.answer_model),
            temperature=prompt.spec.temperature,
            max_tokens=prompt.spec.max_tokens,
        )
        reply = await self._call(request, question, bill, repair=False)
        try:
            result, answer = _accept(reply, question)
        except AnswerRejected as first:
            log.info("%s %s answer rejected, asking again: %s", self.name, prompt.name, first)
            repair = prompt.render_repair(reply.text[:MAX_ECHOED_ANSWER_CHARS], str(first))
            reply = await self._call(
                replace(request, user=f"{request.user}\n\n{repair}"), question, bill, repair=True
            )
            try:
                result, answer = _accept(reply, question)
            except AnswerRejected as second:
                raise self._invalid_output(prompt, reply.model, second) from second
        if self._cache is not None:
            await self._cache.put(key, prompt.name, prompt.version, model, answer)
        return result

    async def _from_cache(
        self, key: str, question: Question[T], model: str, bill: _Bill
    ) -> T | None:
        if self._cache is None:
            return None
        started = time.perf_counter()
        stored = await self._cache.get(key)
        if stored is None:
            return None
        try:
            result = question.parse(question.answer_model.model_validate(stored), model)
        except (ValidationError, AnswerRejected):
            return None  # written under other rules: ask the model instead
        bill.add(cache_hit(self.name, model, _labels(question), started))
        return result

    async def _call(
        self, request: StructuredRequest, question: Question[Any], bill: _Bill, *, repair: bool
    ) -> StructuredReply:
        """One call, in a slot of the limiter and through the circuit breaker; what it was
        billed goes on ``bill``, also when the answer cannot be used (truncated, refused)."""
        async with self.limiter.slot():
            self._breaker.check()
            try:
                reply, usage = await metered_call(
                    self._provider, request, _labels(question), self._prices, repair=repair
                )
            except ApplicationError as err:
                for billed in usages_in(err.details):
                    bill.add(billed)
                if err.type in errors.PROVIDER_FAILURES:
                    self._breaker.record_failure()
                raise
        self._breaker.record_success()
        bill.add(usage)
        return reply

    def _invalid_output(
        self, prompt: Prompt, model: str, problem: AnswerRejected
    ) -> ApplicationError:
        metrics.record_error(model, errors.INVALID_OUTPUT)
        return errors.final(
            errors.INVALID_OUTPUT,
            f"{self.name} {prompt.name} {prompt.version}: answer rejected after one re-ask: "
            f"{problem}",
        )


class _Bill:
    """The calls a reasoning step was billed for: those of the activity's earlier attempts
    (read back from the heartbeat details) and this attempt's. Inside an activity every new call
    is heartbeated at once, so the next attempt still reports it if this one fails."""

    def __init__(self) -> None:
        earlier = activity.info().heartbeat_details if activity.in_activity() else []
        self.calls: list[LLMUsage] = usages_in(earlier)

    def add(self, usage: LLMUsage) -> None:
        self.calls.append(usage)
        if activity.in_activity():
            activity.heartbeat(*[call.model_dump(mode="json") for call in self.calls])


def guardrail_problems(rec: Recommendation, step: ReasoningStep) -> list[str]:
    """Why a drafted recommendation cannot stand: a guardrail it breaks (clamps are fine, they
    are applied later), or evidence it contradicts (the rules' ``contradicts_evidence`` checks:
    an action whose defining signal is absent, creatives or segments the campaign lacks)."""
    try:
        apply_guardrails(rec, step.context, step.guardrails)
    except GuardrailViolation as err:
        return [f"guardrail: {err}"]
    review = rules.critique_recommendation(
        CritiqueInput(
            thresholds=step.thresholds,
            context=step.context,
            analysis=step.analysis,
            recommendation=rec,
            reviewer_feedback=step.reviewer_feedback,
        )
    )
    return [
        _CHECK_WORDING[issue.code] + issue.description
        for issue in review.issues
        if issue.code in _CHECK_WORDING
    ]


# Rules-critique findings an LLM draft may not survive, as the re-ask states them.
_CHECK_WORDING = {
    "contradicts_evidence": "contradicts the evidence: ",
    "ruled_out_by_reviewer": "ignores the reviewer: ",
}


def _labels(question: Question[Any]) -> CallLabels:
    prompt = question.prompt
    return CallLabels(prompt.operation, prompt.version, question.complexity, prompt.name)


def _accept(reply: StructuredReply, question: Question[T]) -> tuple[T, dict[str, Any]]:
    """The domain result and the validated answer (what the cache keeps)."""
    if not isinstance(reply.data, dict):
        raise AnswerRejected(
            f"the answer must be one JSON object matching the {question.prompt.name} schema"
        )
    try:
        answer = question.answer_model.model_validate(reply.data)
    except ValidationError as err:
        raise AnswerRejected(_validation_summary(err)) from err
    return question.parse(answer, reply.model), answer.model_dump(mode="json")


def _validation_summary(err: ValidationError, limit: int = 8) -> str:
    parts = [f"{'.'.join(map(str, e['loc'])) or '<answer>'}: {e['msg']}" for e in err.errors()]
    more = f" (+{len(parts) - limit} more)" if len(parts) > limit else ""
    return "; ".join(parts[:limit]) + more


def _feedback(feedback: list[ReviewerFeedback]) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json") for item in feedback]


def _context_data(context: Any) -> dict[str, Any]:
    return context.model_dump(mode="json", exclude_none=True)


def _without_bookkeeping(model: BaseModel | None) -> dict[str, Any] | None:
    if model is None:
        return None
    return model.model_dump(mode="json", exclude=_NOT_FOR_PROMPTS & set(type(model).model_fields))
