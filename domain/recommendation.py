"""The recommendation contract (the seed's fields) and what the reasoning steps exchange."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.budget import BudgetAllocation
from domain.usage import LLMUsage


class ActionType(StrEnum):
    """The six actions. The values are the product vocabulary: keep them exactly."""

    creative_refresh = "Creative Refresh"
    audience_expansion = "Audience Expansion"
    bid_adjustment = "Bid Adjustment"
    campaign_pause = "Campaign Pause"
    budget_reallocation = "Budget Reallocation"
    continue_monitoring = "Continue Monitoring"

    @property
    def is_executable(self) -> bool:
        """Continue Monitoring changes nothing on the ad platform."""
        return self is not ActionType.continue_monitoring


class RootCause(StrEnum):
    creative_fatigue = "creative_fatigue"
    audience_saturation = "audience_saturation"
    competitive_pressure = "competitive_pressure"
    fundamental_problem = "fundamental_problem"
    uneven_efficiency = "uneven_efficiency"
    normal_variance = "normal_variance"


# The seed's suitability matrix: the action each root cause calls for.
ACTION_FOR_ROOT_CAUSE: dict[RootCause, ActionType] = {
    RootCause.creative_fatigue: ActionType.creative_refresh,
    RootCause.audience_saturation: ActionType.audience_expansion,
    RootCause.competitive_pressure: ActionType.bid_adjustment,
    RootCause.fundamental_problem: ActionType.campaign_pause,
    RootCause.uneven_efficiency: ActionType.budget_reallocation,
    RootCause.normal_variance: ActionType.continue_monitoring,
}


class RiskLevel(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class Severity(StrEnum):
    critical = "CRITICAL"
    major = "MAJOR"
    minor = "MINOR"


class Signal(BaseModel):
    """One observation the reasoning relies on, e.g. 'CTR down 28 % over 7 days'."""

    name: str
    value: float | None = None
    threshold: float | None = None
    significant: bool = False
    critical: bool = False
    description: str


class RootCauseScore(BaseModel):
    root_cause: RootCause
    score: float = Field(ge=0, le=1)
    evidence: list[str] = Field(default_factory=list)
    counter_evidence: list[str] = Field(
        default_factory=list, description="observations that do not fit this cause"
    )


class SignalAnalysis(BaseModel):
    """Output of the analysis step: what moved, how much, and which causes fit."""

    campaign_id: str
    signals: list[Signal]
    root_causes: list[RootCauseScore] = Field(description="best first")
    primary_root_cause: RootCause
    complexity_score: float = Field(ge=0, le=1, description="conflict and size of the change")
    summary: str
    model: str = "rules"
    missing_sources: list[str] = Field(
        default_factory=list, description="optional sources the analysis had to do without"
    )
    usage: list[LLMUsage] = Field(default_factory=list, description="model calls behind it")


class ActionParameters(BaseModel):
    """What exactly to change on the ad platform; only the fields for the action are set."""

    bid_change_pct: float | None = Field(default=None, description="e.g. +15.0")
    current_bid: float | None = None
    new_bid: float | None = None
    budget_shift_amount: float | None = Field(default=None, ge=0)
    from_segment_id: str | None = None
    to_segment_id: str | None = None
    audience_expansion_pct: float | None = Field(default=None, ge=0)
    creative_ids: list[str] = Field(default_factory=list, description="creatives to replace")


class ExpectedImpact(BaseModel):
    metric: str = Field(description="cpa, ctr, conversions ...")
    change_pct: float = Field(description="expected change, e.g. -15.0 for CPA down 15 %")
    timeframe_days: int = Field(default=3, ge=1)
    description: str = ""


class Alternative(BaseModel):
    action: ActionType
    why_not: str


class Recommendation(BaseModel):
    campaign_id: str
    recommended_action: ActionType
    specific_action: str = Field(description='e.g. "increase bid 15 % from $2.50 to $2.88"')
    parameters: ActionParameters = Field(default_factory=ActionParameters)
    reasoning: str
    signal_analysis: str
    root_cause: RootCause
    supporting_evidence: list[str]
    contradictory_evidence: list[str] = Field(default_factory=list)
    expected_impact: ExpectedImpact
    risk_level: RiskLevel
    risk_factors: list[str] = Field(default_factory=list)
    alternatives_considered: list[Alternative] = Field(default_factory=list)
    success_metrics: list[str] = Field(default_factory=list)
    confidence: float = Field(ge=0, le=1)
    confidence_reasoning: str
    generated_at: datetime
    model: str = "rules"
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    degraded: bool = False
    degraded_reasons: list[str] = Field(default_factory=list)
    feedback_response: list[str] = Field(
        default_factory=list,
        description="how the reviewers' feedback of earlier revisions was taken into account",
    )
    # A Budget Reallocation drafted by the Thompson-sampling optimiser (domain.budget): the
    # target allocation, its propensities and the seed, so the decision can be replayed and
    # allocation policies compared offline. None for every other draft.
    budget_allocation: BudgetAllocation | None = None

    def marked_degraded(self, reasons: list[str]) -> Recommendation:
        """A copy marked degraded, with the new reasons added once each."""
        if not reasons:
            return self
        added = [r for r in dict.fromkeys(reasons) if r not in self.degraded_reasons]
        return self.model_copy(
            update={"degraded": True, "degraded_reasons": [*self.degraded_reasons, *added]}
        )

    usage: list[LLMUsage] = Field(default_factory=list, description="model calls behind it")


class CritiqueIssue(BaseModel):
    severity: Severity
    description: str
    code: str | None = Field(
        default=None,
        description="machine-readable kind, e.g. contradicts_evidence, magnitude, weak_evidence",
    )


class Critique(BaseModel):
    issues: list[CritiqueIssue] = Field(default_factory=list)
    adjusted_confidence: float = Field(ge=0, le=1)
    summary: str
    usage: list[LLMUsage] = Field(default_factory=list, description="model calls behind it")

    @property
    def has_critical(self) -> bool:
        return any(issue.severity is Severity.critical for issue in self.issues)

    def needs_regeneration(self, min_confidence: float) -> bool:
        return self.has_critical or self.adjusted_confidence < min_confidence
