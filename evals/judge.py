"""LLM-as-judge: the seed's four criteria, 1-5 each, with strengths and weaknesses.

The judge model is configured with ``JUDGE_MODEL=provider:model`` (e.g. ``openai:gpt-4o-mini``).
The seam for providers is ``JUDGE_PROVIDERS``: a provider registers a factory that, given the
model name, returns a ``CompleteFn`` (system prompt, user prompt) -> response text. ``openai``
and ``anthropic`` are registered: they ask for the verdict as structured output over the
official SDKs (``activities.llm``, loaded only when a judge is configured), with the worker's
key and base-URL settings, and meter the calls under the operation ``judge``. Without a
configured, usable provider the judge is skipped with a message saying why, and the rest of
the eval runs as usual.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence

from pydantic import BaseModel, Field, ValidationError, create_model

from domain.recommendation import Recommendation
from evals.dataset import EvalCase
from settings import ConfigurationError, get_settings

JUDGE_PROMPT_VERSION = "judge-v1"
CRITERIA: dict[str, str] = {
    "logical_consistency": (
        "Do the reasoning, root cause and recommended action follow from each other without "
        "contradiction? Does the action fit the root cause (creative fatigue -> Creative Refresh, "
        "audience saturation -> Audience Expansion, competitive pressure -> Bid Adjustment, "
        "fundamental problem -> Campaign Pause, uneven efficiency -> Budget Reallocation, "
        "normal variance -> Continue Monitoring)?"
    ),
    "evidence_support": (
        "Is every claim backed by numbers that are actually in the campaign data, and is "
        "contradictory evidence acknowledged rather than ignored?"
    ),
    "alternatives_considered": (
        "Are the plausible other actions named, each with a specific reason it was not chosen?"
    ),
    "clarity": (
        "Could a busy marketing manager act on it: a specific action with numbers, expected "
        "impact, risks and how success will be measured, in plain language?"
    ),
}
SKIPPED_NO_MODEL = (
    "judge: skipped (no judge model configured; set JUDGE_MODEL=provider:model, "
    "e.g. JUDGE_MODEL=openai:gpt-4o-mini)"
)

CompleteFn = Callable[[str, str], Awaitable[str]]


class CriterionScore(BaseModel):
    score: int = Field(ge=1, le=5)
    strengths: list[str] = Field(default_factory=list)
    weaknesses: list[str] = Field(default_factory=list)


# The answer the judge is asked for: one score object per criterion.
JudgeAnswer = create_model("JudgeAnswer", **{name: (CriterionScore, ...) for name in CRITERIA})


def _sdk_judge(provider: str) -> Callable[[str], CompleteFn]:
    def factory(model: str) -> CompleteFn:
        from activities.llm.answers import json_schema
        from activities.llm.factory import build_judge_completion

        return build_judge_completion(
            get_settings(), provider, model, json_schema(JudgeAnswer), JUDGE_PROMPT_VERSION
        )

    return factory


# provider name -> factory(model name) -> CompleteFn.
JUDGE_PROVIDERS: dict[str, Callable[[str], CompleteFn]] = {
    "openai": _sdk_judge("openai"),
    "anthropic": _sdk_judge("anthropic"),
}


class JudgeVerdict(BaseModel):
    case_id: str
    scores: dict[str, CriterionScore]

    @property
    def mean(self) -> float:
        return sum(s.score for s in self.scores.values()) / len(self.scores)


class JudgeFailure(BaseModel):
    case_id: str
    error: str


class JudgeSummary(BaseModel):
    model: str
    prompt_version: str = JUDGE_PROMPT_VERSION
    judged: int
    failed: list[JudgeFailure]
    mean_by_criterion: dict[str, float]
    mean_overall: float | None
    verdicts: list[JudgeVerdict]


class JudgeResponseError(ValueError):
    """The judge's answer is not the JSON the prompt asked for."""


SYSTEM_PROMPT = (
    "You are a senior performance-marketing analyst reviewing recommendations written by an "
    "automated agent. Score the recommendation on each criterion from 1 (poor) to 5 "
    "(excellent), judging only what is written against the campaign data given. Answer with a "
    "single JSON object and nothing else."
)


def build_prompt(case: EvalCase, recommendation: Recommendation) -> str:
    criteria = "\n".join(f"- {name}: {question}" for name, question in CRITERIA.items())
    answer_shape = {
        name: {"score": "1-5", "strengths": ["..."], "weaknesses": ["..."]} for name in CRITERIA
    }
    shown = recommendation.model_dump(
        mode="json", exclude={"generated_at", "prompt_versions", "parameters"}
    )
    return (
        f"Criteria:\n{criteria}\n\n"
        f"Campaign data (the context the agent saw):\n"
        f"{case.context.model_dump_json(exclude_none=True)}\n\n"
        f"Recommendation to judge:\n{json.dumps(shown, ensure_ascii=False)}\n\n"
        f"Answer with JSON of exactly this shape:\n{json.dumps(answer_shape)}"
    )


_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def parse_verdict(case_id: str, text: str) -> JudgeVerdict:
    """Accept the JSON object alone, fenced in ``` or surrounded by prose."""
    match = _JSON_OBJECT.search(text)
    if match is None:
        raise JudgeResponseError("no JSON object in the judge's answer")
    try:
        raw = json.loads(match.group(0))
    except json.JSONDecodeError as err:
        raise JudgeResponseError(f"invalid JSON from the judge: {err.msg}") from err
    missing = [name for name in CRITERIA if name not in raw]
    if missing:
        raise JudgeResponseError(f"judge answer lacks criteria: {', '.join(missing)}")
    try:
        scores = {name: CriterionScore.model_validate(raw[name]) for name in CRITERIA}
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise JudgeResponseError(f"bad judge score ({where}: {first['msg']})") from err
    return JudgeVerdict(case_id=case_id, scores=scores)


class Judge:
    def __init__(self, complete: CompleteFn, model: str, concurrency: int = 4) -> None:
        self.complete = complete
        self.model = model
        self.concurrency = concurrency

    async def judge(self, case: EvalCase, recommendation: Recommendation) -> JudgeVerdict:
        text = await self.complete(SYSTEM_PROMPT, build_prompt(case, recommendation))
        return parse_verdict(case.id, text)

    async def judge_all(self, items: Sequence[tuple[EvalCase, Recommendation]]) -> JudgeSummary:
        """A case whose judging fails is listed in ``failed``; the others still count."""
        gate = asyncio.Semaphore(self.concurrency)

        async def one(case: EvalCase, rec: Recommendation) -> JudgeVerdict | JudgeFailure:
            async with gate:
                try:
                    return await self.judge(case, rec)
                except Exception as err:  # a provider error or a bad answer: skip this case
                    return JudgeFailure(case_id=case.id, error=f"{type(err).__name__}: {err}")

        outcomes = await asyncio.gather(*(one(case, rec) for case, rec in items))
        verdicts = [o for o in outcomes if isinstance(o, JudgeVerdict)]
        failures = [o for o in outcomes if isinstance(o, JudgeFailure)]
        return summarize_verdicts(self.model, verdicts, failures)


def summarize_verdicts(
    model: str, verdicts: list[JudgeVerdict], failures: list[JudgeFailure]
) -> JudgeSummary:
    by_criterion = {
        name: sum(v.scores[name].score for v in verdicts) / len(verdicts)
        for name in CRITERIA
        if verdicts
    }
    overall = sum(v.mean for v in verdicts) / len(verdicts) if verdicts else None
    return JudgeSummary(
        model=model,
        judged=len(verdicts),
        failed=failures,
        mean_by_criterion=by_criterion,
        mean_overall=overall,
        verdicts=verdicts,
    )


def judge_from_env(env: Mapping[str, str] | None = None) -> tuple[Judge | None, str]:
    """The configured judge, or None and the message explaining why the judge is skipped.
    ``JUDGE_MODEL`` comes from the settings (environment or ``.env``) unless ``env`` is given."""
    configured = get_settings().judge_model if env is None else env.get("JUDGE_MODEL")
    spec = (configured or "").strip()
    if not spec:
        return None, SKIPPED_NO_MODEL
    provider, _, model = spec.partition(":")
    if not model:
        return None, f"judge: skipped (JUDGE_MODEL={spec!r} must be provider:model)"
    factory = JUDGE_PROVIDERS.get(provider)
    if factory is None:
        known = ", ".join(sorted(JUDGE_PROVIDERS)) or "none registered yet"
        return None, (
            f"judge: skipped (no client for provider {provider!r} in this build; "
            f"available: {known})"
        )
    try:
        complete = factory(model)
    except ConfigurationError as err:  # e.g. no API key for the judge's provider
        return None, f"judge: skipped ({err})"
    return Judge(complete, spec), f"judge: {spec} ({JUDGE_PROMPT_VERSION})"
