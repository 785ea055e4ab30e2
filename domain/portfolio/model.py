"""What the portfolio review reads, the knobs it takes, and the report it produces."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from domain.budget import AllocationPolicy, BudgetAllocation
from domain.context import AudienceSegment, CampaignMetrics, HistoryData
from domain.platform import CampaignSettings
from domain.portfolio.experiments import Experiment, ExperimentPolicy, ExperimentsResult
from domain.recommendation import Recommendation

REPORT_FORMAT = "portfolio-review/1"

# ----------------------------------------------------------------------------- inputs


class CampaignSnapshot(BaseModel):
    """One campaign as the ad platform shows it now (read through the port)."""

    campaign_id: str
    campaign_name: str
    platform: str
    status: str
    metrics: CampaignMetrics | None = None
    segments: list[AudienceSegment] = Field(default_factory=list)
    history: HistoryData | None = None
    settings: CampaignSettings | None = None
    problems: dict[str, str] = Field(
        default_factory=dict, description="source -> why it could not be read"
    )


class PlatformData(BaseModel):
    """Everything the review reads from the ad platform."""

    platform: str
    window_days: int
    campaigns: list[CampaignSnapshot]
    experiments: list[Experiment] = Field(default_factory=list)
    experiments_problem: str | None = None


class OutcomeRecord(BaseModel):
    """A measured outcome in our store (the lifecycle's 3-day outcome)."""

    recommendation_id: str
    campaign_id: str
    action: str
    metric: str
    success: bool
    verdict: str | None = None
    before_value: float | None = None
    after_value: float | None = None
    actual_change_pct: float | None = None
    expected_change_pct: float | None = None
    before_spend: float | None = None
    before_conversions: float | None = None
    after_spend: float | None = None
    after_conversions: float | None = None
    after_period_start: date | None = None
    after_period_end: date | None = None
    measured_at: datetime


class RunRecord(BaseModel):
    """One recommendation run in our store, reduced to what the agent's KPIs need."""

    recommendation_id: str
    campaign_id: str
    status: str
    created_at: datetime
    action: str | None = None
    latency_seconds: float | None = Field(
        default=None, description="first step to the validated draft (analysis latency)"
    )
    decision: str | None = None
    reviewer: str | None = None
    auto_approved: bool = False
    execution: bool | None = Field(
        default=None, description="True applied, False attempted and failed, None not attempted"
    )
    policy_violation: bool = False
    llm_cost_usd: float = 0.0
    llm_calls: int = 0
    outcome: OutcomeRecord | None = None


class AgentRecords(BaseModel):
    """What our own store says about the agent over the review window."""

    since: datetime
    until: datetime
    runs: list[RunRecord] = Field(default_factory=list)
    # Outcomes of executed Budget Reallocations (older ones too): delayed rewards for the
    # optimiser's posterior.
    reallocation_outcomes: list[OutcomeRecord] = Field(default_factory=list)
    snapshot_ages_hours: dict[str, float] = Field(
        default_factory=dict, description="campaign -> hours since our latest snapshot of it"
    )
    experiments: list[Experiment] = Field(default_factory=list, description="imported")


# ----------------------------------------------------------------------------- policy


class TargetKpi(StrEnum):
    cpa = "cpa"
    roas = "roas"
    conversions = "conversions"
    conversion_rate = "conversion_rate"
    ctr = "ctr"


class CampaignTarget(BaseModel):
    kpi: TargetKpi = TargetKpi.cpa
    target: float = Field(gt=0)


class AgentTargets(BaseModel):
    """Targets of the agent's own KPIs (operational and effectiveness)."""

    execution_success_rate: float = Field(default=0.95, gt=0, le=1)
    analysis_latency_p95_seconds: float = Field(default=30.0, gt=0)
    human_review_rate: float = Field(
        default=1.0, gt=0, le=1, description="at most; lower it when auto-approval is on"
    )
    policy_violations: float = Field(default=0.0, ge=0)
    data_freshness_hours: float = Field(default=24.0, gt=0)
    acceptance_rate: float = Field(default=0.7, gt=0, le=1)
    outcome_success_rate: float = Field(default=0.6, gt=0, le=1)


class PortfolioPolicy(BaseModel):
    """Every threshold of the review; the report's provenance lists them."""

    window_days: int = Field(default=7, ge=1, le=30)
    exceeding_ratio: float = Field(default=1.2, gt=1, description="above: exceeding")
    below_ratio: float = Field(default=0.8, gt=0, lt=1, description="under: below target")
    warning_ratio: float = Field(default=0.8, gt=0, le=1, description="KPI attainment: at risk")
    critical_ratio: float = Field(default=0.5, gt=0, le=1, description="KPI attainment: critical")
    experiments: ExperimentPolicy = Field(default_factory=ExperimentPolicy)
    allocation: AllocationPolicy = Field(default_factory=AllocationPolicy)
    campaign_floor_share: float = Field(
        default=0.5, ge=0, le=1, description="a campaign keeps at least this share of its budget"
    )
    min_p_better: float = Field(
        default=0.95, gt=0.5, lt=1, description="posterior probability a budget move must have"
    )
    min_segment_cpa_gain_pct: float = Field(
        default=2.0, ge=0, description="a segment move must cut the campaign's CPA this much"
    )
    marginal_efficiency: float = Field(
        default=0.75, gt=0, le=1, description="share of its average rate extra budget buys"
    )
    targets: AgentTargets = Field(default_factory=AgentTargets)
    campaign_targets: dict[str, CampaignTarget] = Field(default_factory=dict)
    account_target_cpa: float | None = Field(default=None, gt=0)
    target_roas: float | None = Field(default=None, gt=0)
    value_per_conversion: float | None = Field(default=None, gt=0)
    campaign_values: dict[str, float] = Field(default_factory=dict)
    review_minutes: float = Field(default=10.0, ge=0, description="a person's time per decision")
    reviewer_hourly_rate: float = Field(default=60.0, ge=0)
    zero_conversion_min_clicks: int = Field(default=100, ge=1)
    spend_spike_pct: float = Field(default=50.0, gt=0)
    spend_spike_critical_pct: float = Field(default=100.0, gt=0)
    stale_after_days: int = Field(default=2, ge=1)

    def value_of(self, campaign_id: str) -> float | None:
        return self.campaign_values.get(campaign_id, self.value_per_conversion)


# ----------------------------------------------------------------------------- results


class Band(StrEnum):
    exceeding = "exceeding"
    meeting = "meeting"
    below = "below"
    unknown = "unknown"


class CampaignAnalysis(BaseModel):
    campaign_id: str
    campaign_name: str
    platform: str
    status: str
    kpi: TargetKpi
    target: float | None
    target_source: str
    actual: float | None
    attainment: float | None = Field(description="performance against target, 1.0 = on it")
    band: Band
    spend: float
    conversions: float
    clicks: int
    cpa: float | None
    daily_budget: float | None
    estimated_value: float | None
    note: str = ""


class KpiStatus(StrEnum):
    exceeded = "exceeded"
    on_track = "on_track"
    at_risk = "at_risk"
    no_data = "no_data"
    no_target = "no_target"


class KpiResult(BaseModel):
    group: Literal["operational", "effectiveness", "business"]
    name: str
    label: str
    value: float | None
    target: float | None
    direction: Literal["at_least", "at_most"]
    unit: str = ""
    attainment: float | None = None
    status: KpiStatus
    severity: Literal["warning", "critical"] | None = None
    basis: str = ""


class RoiLedger(BaseModel):
    media_spend: float
    conversions: float
    estimated_value: float | None
    value_basis: str
    llm_cost_usd: float
    llm_calls: int
    human_reviews: int
    review_minutes: float
    reviewer_hourly_rate: float
    human_review_cost: float
    agent_cost: float
    total_cost: float
    net: float | None
    net_roi: float | None
    status: Literal["profitable", "break_even", "loss", "unknown"]
    measured_savings: float | None
    outcomes_counted: int
    agent_roi: float | None
    agent_status: Literal["paying_for_itself", "not_yet", "unknown"]


class Severity(StrEnum):
    critical = "critical"
    warning = "warning"
    info = "info"


class RiskSignal(BaseModel):
    campaign_id: str
    campaign_name: str
    kind: str
    severity: Severity
    detail: str
    value: float | None = None


class SegmentAllocation(BaseModel):
    campaign_id: str
    allocation: BudgetAllocation


class LifecycleEntry(BaseModel):
    """How a recommendation enters the lifecycle: a run for ``campaign_id`` whose first draft
    is ``proposal`` (None: the run's own analysis drafts the action)."""

    campaign_id: str
    proposal: Recommendation | None = None


class PortfolioRecommendation(BaseModel):
    number: int
    priority: Literal["high", "medium", "low"]
    category: Literal["risk", "experiment", "budget", "campaign"]
    action: str
    target: str
    rationale: str
    expected_impact: str
    impact_value: float | None = None
    impact_unit: str = ""
    expected_value_per_week: float | None = None
    confidence: float = Field(ge=0, le=1)
    current_value: str
    recommended_value: str
    steps: list[str]
    lifecycle: LifecycleEntry | None = None
    manual_reason: str | None = Field(
        default=None, description="why it cannot enter the lifecycle (a person acts on it)"
    )


class HeadlineRow(BaseModel):
    label: str
    value: str
    status: str = ""


class Provenance(BaseModel):
    format: str = REPORT_FORMAT
    review_id: str
    as_of: datetime
    data_window_start: date | None
    data_window_end: date | None
    records_since: datetime
    records_until: datetime
    sources: list[str]
    versions: dict[str, str]
    seed: int
    thresholds: dict
    correction: str


class ChartRef(BaseModel):
    name: str
    title: str


class PortfolioReport(BaseModel):
    review_id: str
    as_of: datetime
    headline: list[HeadlineRow]
    campaigns: list[CampaignAnalysis]
    experiments: ExperimentsResult
    kpis: list[KpiResult]
    roi: RoiLedger
    risks: list[RiskSignal]
    budget: BudgetAllocation | None = None
    budget_note: str = ""
    segment_budgets: list[SegmentAllocation] = Field(default_factory=list)
    recommendations: list[PortfolioRecommendation]
    provenance: Provenance
    executive_summary: str | None = None
    summary_note: str | None = None
    charts: list[ChartRef] = Field(default_factory=list)

    def recommendation(self, number: int) -> PortfolioRecommendation | None:
        return next((r for r in self.recommendations if r.number == number), None)
