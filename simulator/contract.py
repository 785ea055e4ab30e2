"""The ad platform's answers, as JSON models of the simulator's own.

They spell the context contract of docs/ARCHITECTURE.md ("Ad platform HTTP API") field by field,
but are defined here: the simulator is the world the agent is judged against, so it imports
nothing of the agent's (a test enforces it). Units: ``*_pct``, ``ctr`` and ``conversion_rate``
in percent; ``impression_share`` and ``budget_utilization`` as fractions; money in the account
currency.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Action(StrEnum):
    creative_refresh = "Creative Refresh"
    audience_expansion = "Audience Expansion"
    bid_adjustment = "Bid Adjustment"
    campaign_pause = "Campaign Pause"
    budget_reallocation = "Budget Reallocation"
    continue_monitoring = "Continue Monitoring"


class CampaignMetrics(BaseModel):
    campaign_id: str
    campaign_name: str
    platform: str
    spend: float
    impressions: int
    clicks: int
    conversions: float
    cpa: float | None
    ctr: float
    conversion_rate: float
    cpm: float
    cpa_change_pct: float | None
    cpm_change_pct: float | None
    ctr_change_pct: float | None
    spend_change_pct: float | None
    cpa_trend_days: int
    daily_budget: float
    budget_utilization: float
    impression_share: float | None
    impression_share_change_pct: float | None
    period_start: date
    period_end: date
    comparison_period_start: date
    comparison_period_end: date
    # Beyond the contract (which allows extras): the bid a Bid Adjustment moves, and the status.
    current_bid: float
    status: str


class CreativeMetrics(BaseModel):
    creative_id: str
    creative_name: str
    ctr: float
    ctr_change_pct: float | None
    ctr_trend: str
    engagement_rate: float
    creative_age_days: int
    average_frequency: float
    frequency_trend: str
    total_impressions: int
    unique_reach: int


class CreativesResponse(BaseModel):
    creatives: list[CreativeMetrics]


class CompetitorSignals(BaseModel):
    active_competitors_count: int
    new_competitors_count: int
    activity_change_pct: float
    avg_bid_increase_pct: float


class AudienceSegment(BaseModel):
    segment_id: str
    name: str
    spend: float
    conversions: float
    cpa: float | None


class AudienceData(BaseModel):
    audience_size: int
    reach: int
    reach_change_pct: float | None
    average_frequency: float
    frequency_trend: str
    segments: list[AudienceSegment]


class DailyPoint(BaseModel):
    date: date
    spend: float
    impressions: int
    clicks: int
    conversions: float


class PastAction(BaseModel):
    action: str
    applied_at: date
    cpa_change_pct: float | None


class HistoryData(BaseModel):
    baseline_cpa: float | None
    daily: list[DailyPoint]
    past_actions: list[PastAction]


class CampaignSummary(BaseModel):
    """One row of GET /campaigns: what any account listing shows, and no ground truth."""

    campaign_id: str
    campaign_name: str
    platform: str
    status: str


class CampaignSettings(BaseModel):
    status: str
    bid: float
    daily_budget: float
    audience_size: int
    creative_ids: list[str]
    segment_budgets: dict[str, float]


class ActionParameters(BaseModel):
    """Body parameters of an action (the agent's ``ActionParameters``; unknown keys ignored)."""

    model_config = ConfigDict(extra="ignore")

    bid_change_pct: float | None = None
    current_bid: float | None = None
    new_bid: float | None = None
    budget_shift_amount: float | None = Field(default=None, ge=0)
    from_segment_id: str | None = None
    to_segment_id: str | None = None
    audience_expansion_pct: float | None = Field(default=None, ge=0)
    creative_ids: list[str] = Field(default_factory=list)


class ActionBody(BaseModel):
    """Body of POST /campaigns/{id}/actions."""

    action: Action
    parameters: ActionParameters = Field(default_factory=ActionParameters)
