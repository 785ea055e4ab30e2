"""HTTP endpoints: the ad platform API (docs/ARCHITECTURE.md) and the /admin controls."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from pydantic import BaseModel, Field

from domain.context import (
    AudienceData,
    CampaignMetrics,
    CompetitorSignals,
    CreativeMetrics,
    HistoryData,
)
from domain.recommendation import RootCause
from simulator import reports
from simulator.actions import ActionBody
from simulator.faults import Fault, FaultRegistry, FaultSpec
from simulator.state import ActionResult, Mutation, SimulatorState

MAX_PERIOD_DAYS = 30  # the seeded history holds two 30-day periods
MAX_HISTORY_DAYS = 366
MAX_ADVANCE_DAYS = 366


def get_state(request: Request) -> SimulatorState:
    return request.app.state.simulator


def get_faults(request: Request) -> FaultRegistry:
    return request.app.state.faults


State = Annotated[SimulatorState, Depends(get_state)]
Faults = Annotated[FaultRegistry, Depends(get_faults)]
PeriodDays = Annotated[int, Query(ge=1, le=MAX_PERIOD_DAYS, description="length of each period")]


class CampaignSummary(BaseModel):
    campaign_id: str
    campaign_name: str
    platform: str
    scenario: RootCause
    status: str


class CreativesResponse(BaseModel):
    creatives: list[CreativeMetrics]


class CampaignSettings(BaseModel):
    status: str
    bid: float
    daily_budget: float
    audience_size: int
    creative_ids: list[str]
    segment_budgets: dict[str, float]


class Clock(BaseModel):
    today: date = Field(description="the simulated day in progress; reports end the day before")
    last_reported_day: date


class AdvanceRequest(BaseModel):
    days: int = Field(ge=1, le=MAX_ADVANCE_DAYS)


campaigns = APIRouter(prefix="/campaigns", tags=["ad platform"])
admin = APIRouter(prefix="/admin", tags=["admin"])


@campaigns.get("", response_model=list[CampaignSummary])
def list_campaigns(state: State) -> list[CampaignSummary]:
    with state.locked():
        return [
            CampaignSummary(
                campaign_id=campaign.campaign_id,
                campaign_name=campaign.spec.campaign_name,
                platform=campaign.spec.platform,
                scenario=campaign.spec.scenario,
                status=campaign.status,
            )
            for campaign in state.campaigns.values()
        ]


@campaigns.get("/{campaign_id}/metrics", response_model=CampaignMetrics)
def campaign_metrics(campaign_id: str, state: State, days: PeriodDays = 7) -> CampaignMetrics:
    with state.locked():
        return reports.campaign_metrics(state.campaign(campaign_id), state.today, days)


@campaigns.get("/{campaign_id}/creatives", response_model=CreativesResponse)
def campaign_creatives(campaign_id: str, state: State, days: PeriodDays = 7) -> CreativesResponse:
    with state.locked():
        campaign = state.campaign(campaign_id)
        engagement = state.levels.engagement_per_click
        creatives = reports.creative_metrics(campaign, state.today, days, engagement)
        return CreativesResponse(creatives=creatives)


@campaigns.get("/{campaign_id}/competitors", response_model=CompetitorSignals)
def campaign_competitors(campaign_id: str, state: State, days: PeriodDays = 7) -> CompetitorSignals:
    with state.locked():
        return reports.competitor_signals(state.campaign(campaign_id), state.today, days)


@campaigns.get("/{campaign_id}/audience", response_model=AudienceData)
def campaign_audience(campaign_id: str, state: State, days: PeriodDays = 7) -> AudienceData:
    with state.locked():
        return reports.audience_data(state.campaign(campaign_id), state.today, days)


@campaigns.get("/{campaign_id}/history", response_model=HistoryData)
def campaign_history(
    campaign_id: str,
    state: State,
    days: Annotated[int, Query(ge=1, le=MAX_HISTORY_DAYS)] = 30,
) -> HistoryData:
    with state.locked():
        return reports.history_data(state.campaign(campaign_id), state.today, days)


@campaigns.get("/{campaign_id}/settings", response_model=CampaignSettings)
def campaign_settings(campaign_id: str, state: State) -> CampaignSettings:
    with state.locked():
        campaign = state.campaign(campaign_id)
        return CampaignSettings(
            status=campaign.status,
            bid=campaign.bid,
            daily_budget=campaign.daily_budget,
            audience_size=campaign.audience_size,
            creative_ids=[c.creative_id for c in campaign.live_creatives(state.today)],
            segment_budgets=dict(campaign.segment_budgets),
        )


@campaigns.post("/{campaign_id}/actions", response_model=ActionResult)
def apply_action(
    campaign_id: str,
    body: ActionBody,
    state: State,
    dry_run: bool = False,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> ActionResult:
    return state.execute(campaign_id, body, dry_run=dry_run, idempotency_key=idempotency_key)


@admin.get("/clock", response_model=Clock)
def get_clock(state: State) -> Clock:
    with state.locked():
        return Clock(today=state.today, last_reported_day=state.last_reported_day)


@admin.post("/clock/advance", response_model=Clock)
def advance_clock(request: AdvanceRequest, state: State) -> Clock:
    with state.locked():
        state.advance(request.days)
        return Clock(today=state.today, last_reported_day=state.last_reported_day)


@admin.get("/mutations", response_model=list[Mutation])
def list_mutations(state: State) -> list[Mutation]:
    with state.locked():
        return list(state.mutations)


@admin.post("/faults", response_model=Fault, status_code=201)
def add_fault(spec: Annotated[FaultSpec, Body()], faults: Faults) -> Fault:
    return faults.add(spec)


@admin.get("/faults", response_model=list[Fault])
def list_faults(faults: Faults) -> list[Fault]:
    return faults.snapshot()


@admin.delete("/faults", status_code=204)
def clear_faults(faults: Faults) -> None:
    faults.reset()


@admin.post("/reset", response_model=Clock)
def reset(state: State, faults: Faults) -> Clock:
    """Seeded campaigns, clock and settings; no mutations, no idempotency keys, no faults."""
    state.reset()
    faults.reset()
    with state.locked():
        return Clock(today=state.today, last_reported_day=state.last_reported_day)
