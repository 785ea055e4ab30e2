"""Models that cross the boundary of the scheduled workflows: the KPI watch, the pacing
monitor's passes and its halts (their activities' inputs and results)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from domain.changes import ChangeVerdict
from domain.lifecycle import ExecutionResult
from domain.notifications import Notification
from domain.pacing import PacingAction, PacingPolicy
from domain.platform import CampaignSummary
from domain.thresholds import SignalThresholds

# ----------------------------------------------------------------------------- KPI watch


class WatchInput(BaseModel):
    """What the schedule passes to every watch pass (from the worker's settings)."""

    thresholds: SignalThresholds = Field(default_factory=SignalThresholds)
    change_cooldown: timedelta = timedelta(hours=72)
    chunk_size: int = Field(default=100, ge=1, le=1000)
    max_starts: int = Field(default=200, ge=0, description="analyses one pass may start")


class WatchChunk(BaseModel):
    campaigns: list[CampaignSummary]
    at: datetime
    thresholds: SignalThresholds
    change_cooldown: timedelta


class StartAnalysis(BaseModel):
    campaign_id: str
    requested_by: str


class AnalysisStart(BaseModel):
    recommendation_id: str
    deduplicated: bool
    error: str | None = None


class WatchResult(BaseModel):
    pass_id: str
    counts: dict[str, int]
    started: list[str] = Field(default_factory=list, description="recommendation ids")


# ----------------------------------------------------------------------------- pacing


class PacingInput(BaseModel):
    """What the schedule passes to every pacing pass (from the worker's settings)."""

    policy: PacingPolicy = Field(default_factory=PacingPolicy)
    chunk_size: int = Field(default=250, ge=1, le=2000)
    parallel_chunks: int = Field(default=4, ge=1, le=32)
    console_url: str = "http://127.0.0.1:8000"
    # A halt is a change like any other: the queue's cooldown and approval age apply.
    change_cooldown: timedelta = timedelta(hours=72)
    max_approval_age: timedelta = timedelta(hours=24)


class PassStart(BaseModel):
    pass_id: str
    at: datetime
    autonomous_halt: bool


class PassPlan(BaseModel):
    plan_id: str | None = None
    lines: int = 0


class PacingChunk(BaseModel):
    pass_id: str
    plan_id: str
    offset: int
    limit: int
    at: datetime
    policy: PacingPolicy
    console_url: str


class AlertToAct(BaseModel):
    """A line the pass raised (or refreshed) an alert for, and what to do about it."""

    alert_key: str
    campaign_id: str | None
    campaign_name: str | None
    line_id: str
    action: PacingAction
    new: bool
    notification: Notification | None = None


class ChunkResult(BaseModel):
    counts: dict[str, int] = Field(default_factory=dict)
    alerts: list[AlertToAct] = Field(default_factory=list)


class PassEnd(BaseModel):
    pass_id: str
    counts: dict[str, int]
    at: datetime


class HaltRequest(BaseModel):
    """Pause one campaign through its change queue (``PacingHaltWorkflow``)."""

    halt_id: str = Field(description="the halt workflow's id and the change's idempotency key")
    alert_key: str
    campaign_id: str
    campaign_name: str = ""
    reason: str
    console_url: str
    change_cooldown: timedelta
    max_approval_age: timedelta
    at: datetime


class HaltOutcome(BaseModel):
    halt_id: str
    alert_key: str
    campaign_id: str
    verdict: ChangeVerdict
    reason: str = ""
    execution: ExecutionResult | None = None
    at: datetime


class PacingResult(BaseModel):
    pass_id: str
    plan_id: str | None
    lines: int
    counts: dict[str, int]
    halts: list[str] = Field(default_factory=list, description="halt workflow ids started")
