"""What the model must answer, as Pydantic models, and how answers become domain models.

These LLM-facing models are smaller than the domain's: only what the model decides (ids, dates
and model names are filled in here, usage by the reasoner), every field required and no extra
keys, which is what OpenAI's strict JSON-schema output needs. Ranges (scores and confidence
0-1) and the vocabularies (the six actions, the root causes, risk levels, severities, the
measurable impact metrics) are enforced when the answer is validated, so an out-of-range
number, a seventh action or an unmeasurable metric is rejected and re-asked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.context import CampaignContext
from domain.outcome import ImpactMetric
from domain.recommendation import (
    ActionParameters,
    ActionType,
    Alternative,
    Critique,
    CritiqueIssue,
    ExpectedImpact,
    Recommendation,
    RiskLevel,
    RootCause,
    RootCauseScore,
    Severity,
    Signal,
    SignalAnalysis,
)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignalAnswer(_Answer):
    name: str
    value: float | None
    significant: bool
    critical: bool
    description: str


class CauseAnswer(_Answer):
    root_cause: RootCause
    score: float = Field(ge=0, le=1, description="0-1")
    evidence: list[str]
    counter_evidence: list[str]


class AnalysisAnswer(_Answer):
    signals: list[SignalAnswer]
    root_causes: list[CauseAnswer] = Field(description="best first")
    primary_root_cause: RootCause
    complexity_score: float = Field(ge=0, le=1, description="0-1: conflict and size of change")
    summary: str


class ParametersAnswer(_Answer):
    bid_change_pct: float | None = Field(description="Bid Adjustment only, e.g. 15.0")
    budget_shift_amount: float | None = Field(description="Budget Reallocation only, per day")
    from_segment_id: str | None
    to_segment_id: str | None
    audience_expansion_pct: float | None = Field(description="Audience Expansion only")
    creative_ids: list[str] = Field(description="Creative Refresh only: creatives to replace")


class ImpactAnswer(_Answer):
    # Only metrics outcome judging can measure: any other (ROAS, "CPA (cost per acquisition)")
    # is rejected and re-asked like any invalid answer.
    metric: ImpactMetric = Field(description="the campaign metric expected to move")
    change_pct: float = Field(description="e.g. -15.0 for CPA down 15 %")
    timeframe_days: int = Field(ge=1)
    description: str


class AlternativeAnswer(_Answer):
    action: ActionType
    why_not: str


class RecommendationAnswer(_Answer):
    recommended_action: ActionType
    specific_action: str = Field(description='e.g. "increase bid 15 % from $2.50 to $2.88"')
    parameters: ParametersAnswer
    reasoning: str
    signal_analysis: str
    root_cause: RootCause
    supporting_evidence: list[str]
    contradictory_evidence: list[str]
    expected_impact: ImpactAnswer
    risk_level: RiskLevel
    risk_factors: list[str]
    alternatives_considered: list[AlternativeAnswer]
    success_metrics: list[str]
    confidence: float = Field(ge=0, le=1, description="0-1")
    confidence_reasoning: str
    # Required in the schema sent to the model (json_schema makes every property required);
    # the default only keeps answers from models asked with a v1 prompt valid.
    feedback_response: list[str] = Field(
        default_factory=list,
        description="one line per reviewer_feedback item: what changed because of it; "
        "empty without feedback",
    )


class IssueAnswer(_Answer):
    severity: Severity
    code: str | None = Field(description="e.g. contradicts_evidence, magnitude, weak_evidence")
    description: str


class CritiqueAnswer(_Answer):
    issues: list[IssueAnswer]
    adjusted_confidence: float = Field(ge=0, le=1, description="0-1")
    summary: str


# Keywords strict structured output (and many OpenAI-compatible servers) reject; the answer
# models enforce them when the answer is validated instead.
_UNSUPPORTED = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "default", "title"}


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A self-contained, strict-compatible JSON schema: references inlined, every property
    required, no additional properties, range keywords left to validation."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def clean(node: Any) -> Any:
        if isinstance(node, list):
            return [clean(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:  # the definition, with what the field says about it (description)
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            return clean({**definitions[node["$ref"].rsplit("/", 1)[-1]], **siblings})
        cleaned = {key: clean(value) for key, value in node.items() if key not in _UNSUPPORTED}
        if cleaned.get("type") == "object":
            cleaned["additionalProperties"] = False
            cleaned["required"] = list(cleaned.get("properties", {}))
        return cleaned

    return clean(schema)


# ----------------------------------------------------------------------------- to domain


def to_analysis(answer: AnalysisAnswer, context: CampaignContext, model: str) -> SignalAnalysis:
    return SignalAnalysis(
        campaign_id=context.campaign.campaign_id,
        signals=[Signal(**signal.model_dump()) for signal in answer.signals],
        root_causes=[RootCauseScore(**cause.model_dump()) for cause in answer.root_causes],
        primary_root_cause=answer.primary_root_cause,
        complexity_score=answer.complexity_score,
        summary=answer.summary,
        model=model,
        missing_sources=context.missing_sources,
    )


def to_recommendation(
    answer: RecommendationAnswer,
    *,
    campaign_id: str,
    generated_at: datetime,
    model: str,
    prompt_versions: dict[str, str],
) -> Recommendation:
    """Raises pydantic.ValidationError when a value breaks the domain contract."""
    fields = answer.model_dump(exclude={"parameters", "expected_impact", "alternatives_considered"})
    return Recommendation(
        **fields,
        campaign_id=campaign_id,
        parameters=ActionParameters(**answer.parameters.model_dump()),
        expected_impact=ExpectedImpact(**answer.expected_impact.model_dump(mode="json")),
        alternatives_considered=[
            Alternative(**a.model_dump()) for a in answer.alternatives_considered
        ],
        generated_at=generated_at,
        model=model,
        prompt_versions=prompt_versions,
    )


def to_critique(answer: CritiqueAnswer) -> Critique:
    return Critique(
        issues=[CritiqueIssue(**issue.model_dump()) for issue in answer.issues],
        adjusted_confidence=answer.adjusted_confidence,
        summary=answer.summary,
    )
