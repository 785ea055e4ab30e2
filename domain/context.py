"""The context contract: what collectors produce and reasoners and evals consume.

Field names follow DESIGN.md §2 exactly. Units: every ``*_pct`` field, ``ctr`` and
``conversion_rate`` are percentages (2.8 means 2.8 %, +30.0 means up 30 %);
``impression_share`` and ``budget_utilization`` are fractions from 0 to 1; money is in the
account currency. Every source but ``campaign`` may be missing.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Trend(StrEnum):
    improving = "improving"
    stable = "stable"
    declining = "declining"


class FrequencyTrend(StrEnum):
    increasing = "increasing"
    stable = "stable"
    decreasing = "decreasing"


class _Contract(BaseModel):
    # Extra fields are allowed so sources can add data without breaking older readers.
    model_config = ConfigDict(extra="allow")


class CampaignMetrics(_Contract):
    campaign_id: str
    campaign_name: str
    platform: str
    spend: float = Field(ge=0)
    impressions: int = Field(ge=0)
    clicks: int = Field(ge=0)
    conversions: float = Field(ge=0)
    cpa: float | None = Field(default=None, ge=0, description="None when there are no conversions")
    ctr: float = Field(ge=0, description="percent")
    conversion_rate: float = Field(ge=0, description="percent")
    cpm: float = Field(ge=0)
    cpa_change_pct: float | None = None
    cpm_change_pct: float | None = None
    ctr_change_pct: float | None = None
    spend_change_pct: float | None = None
    cpa_trend_days: int = Field(default=0, ge=0, description="consecutive days CPA rose")
    daily_budget: float = Field(ge=0)
    budget_utilization: float = Field(ge=0, description="fraction, 0-1 (may exceed 1 slightly)")
    impression_share: float | None = Field(default=None, ge=0, le=1)
    impression_share_change_pct: float | None = None
    period_start: date
    period_end: date
    comparison_period_start: date
    comparison_period_end: date


class CreativeMetrics(_Contract):
    creative_id: str
    creative_name: str
    ctr: float = Field(ge=0)
    ctr_change_pct: float | None = None
    ctr_trend: Trend = Trend.stable
    engagement_rate: float | None = Field(default=None, ge=0)
    creative_age_days: int = Field(ge=0)
    average_frequency: float = Field(ge=0)
    frequency_trend: FrequencyTrend = FrequencyTrend.stable
    total_impressions: int = Field(ge=0)
    unique_reach: int = Field(ge=0)


class CompetitorSignals(_Contract):
    active_competitors_count: int = Field(ge=0)
    new_competitors_count: int = Field(ge=0)
    activity_change_pct: float = 0.0
    avg_bid_increase_pct: float = 0.0


class AudienceSegment(_Contract):
    segment_id: str
    name: str
    spend: float = Field(ge=0)
    conversions: float = Field(ge=0)
    cpa: float | None = Field(default=None, ge=0)


class AudienceData(_Contract):
    audience_size: int = Field(ge=0)
    reach: int = Field(ge=0)
    reach_change_pct: float | None = None
    average_frequency: float = Field(ge=0)
    frequency_trend: FrequencyTrend = FrequencyTrend.stable
    segments: list[AudienceSegment] = Field(default_factory=list)


class DailyPoint(_Contract):
    date: date
    spend: float = Field(ge=0)
    impressions: int = Field(ge=0)
    clicks: int = Field(ge=0)
    conversions: float = Field(ge=0)


class PastAction(_Contract):
    action: str
    applied_at: date
    cpa_change_pct: float | None = None


class HistoryData(_Contract):
    baseline_cpa: float | None = Field(default=None, ge=0)
    daily: list[DailyPoint] = Field(default_factory=list)
    past_actions: list[PastAction] = Field(default_factory=list)


OPTIONAL_SOURCES = ("creatives", "competitors", "audience", "history")


class CampaignContext(BaseModel):
    """Everything the reasoner sees about one campaign at one moment."""

    campaign: CampaignMetrics
    creatives: list[CreativeMetrics] | None = None
    competitors: CompetitorSignals | None = None
    audience: AudienceData | None = None
    history: HistoryData | None = None
    # Why each missing source is missing (source name -> error), filled by the workflow.
    source_errors: dict[str, str] = Field(default_factory=dict)

    @property
    def missing_sources(self) -> list[str]:
        return [name for name in OPTIONAL_SOURCES if getattr(self, name) is None]

    @property
    def is_partial(self) -> bool:
        return bool(self.missing_sources)
