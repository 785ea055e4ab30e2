"""What model calls cost: one record per LLM call, and the totals of a recommendation run.

Reasoners attach the ``LLMUsage`` of the calls behind each answer (``SignalAnalysis.usage``,
``Recommendation.usage``, ``Critique.usage``); the workflow adds them up in
``LifecycleState.usage``, which the store keeps and the API shows. The rules reasoner calls no
model, so its answers carry no usage.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, ValidationError


class Operation(StrEnum):
    """What a model call was for (the ``operation`` label of the LLM metrics)."""

    analysis = "analysis"
    recommendation = "recommendation"
    critique = "critique"
    judge = "judge"
    summary = "summary"  # the portfolio review's executive summary


class LLMUsage(BaseModel):
    """One model call."""

    operation: Operation
    provider: str
    model: str
    prompt_version: str
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    latency_ms: float = Field(default=0.0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0)
    cached: bool = Field(default=False, description="answered from the response cache: free")
    complexity: float | None = Field(
        default=None, description="the complexity score that routed the call to its model"
    )
    repair: bool = Field(default=False, description="a re-ask after an invalid answer")


def usages_in(details: Iterable[Any]) -> list[LLMUsage]:
    """The LLM calls a failed step reports in its error's details (an invalid answer still
    cost its tokens); other details are skipped."""
    usages = []
    for detail in details:
        try:
            usages.append(LLMUsage.model_validate(detail))
        except ValidationError:
            continue
    return usages


def total_cost(usages: Iterable[LLMUsage]) -> float:
    return round(sum(usage.cost_usd for usage in usages), 8)


class OperationTotals(BaseModel):
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class UsageTotals(BaseModel):
    """Every model call of one recommendation run, with running totals."""

    calls: list[LLMUsage] = Field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    by_operation: dict[str, OperationTotals] = Field(default_factory=dict)

    def plus(self, usages: Iterable[LLMUsage]) -> UsageTotals:
        totals = self.model_copy(deep=True)
        for usage in usages:
            totals.calls.append(usage)
            totals.input_tokens += usage.input_tokens
            totals.output_tokens += usage.output_tokens
            totals.cost_usd = round(totals.cost_usd + usage.cost_usd, 8)
            op = totals.by_operation.setdefault(usage.operation.value, OperationTotals())
            op.calls += 1
            op.input_tokens += usage.input_tokens
            op.output_tokens += usage.output_tokens
            op.cost_usd = round(op.cost_usd + usage.cost_usd, 8)
        return totals
