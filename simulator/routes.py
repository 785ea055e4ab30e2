"""HTTP endpoints: the ad platform API (docs/ARCHITECTURE.md) and the /admin controls.

What the agent's collectors read (``/campaigns...``) carries only what a real platform shows.
The world's truth (what a named campaign was designed to show, its value per conversion, the
oracle's verdict) is under ``/admin``, which no collector, reasoner or eval reasoner reads.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field

from simulator import experiments as demo_experiments
from simulator import oracle, pacing, reports
from simulator.contract import (
    ActionBody,
    AudienceData,
    CampaignMetrics,
    CampaignSettings,
    CampaignSummary,
    CompetitorSignals,
    CreativesResponse,
    HistoryData,
)
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


class Clock(BaseModel):
    today: date = Field(description="the simulated day in progress; reports end the day before")
    last_reported_day: date


class AdvanceRequest(BaseModel):
    days: int = Field(ge=1, le=MAX_ADVANCE_DAYS)


class WorldCampaign(BaseModel):
    """Admin only: what a campaign is in truth (never read by the agent)."""

    campaign_id: str
    label: str = Field(description="what a named campaign was designed to show; '' if generated")
    strengths: dict[str, float] = Field(description="generated: latent issue -> strength 0-1")
    value_per_conversion: float
    mechanisms: dict[str, Any]


class OracleRequest(BaseModel):
    campaign_id: str
    horizon_days: int = Field(default=oracle.DEFAULT_HORIZON_DAYS, ge=1, le=30)
    replications: int = Field(default=oracle.DEFAULT_REPLICATIONS, ge=2, le=500)
    plans: list[ActionBody] = Field(
        default_factory=list, description="extra plans to value beside the six canonical ones"
    )


class PlanValueModel(BaseModel):
    label: str
    action: str
    parameters: dict[str, Any]
    available: bool
    mean: float | None = Field(description="expected profit over the window")
    se: float
    spend: float
    true_conversions: float
    regret: float | None
    regret_se: float
    acceptable: bool
    note: str


class OracleAnswer(BaseModel):
    campaign_id: str
    today: date
    horizon_days: int
    replications: int
    value_per_conversion: float
    tolerance: float
    best: str
    acceptable: list[str]
    plans: list[PlanValueModel]


campaigns = APIRouter(prefix="/campaigns", tags=["ad platform"])
experiments = APIRouter(prefix="/experiments", tags=["ad platform"])
admin = APIRouter(prefix="/admin", tags=["admin"])


@campaigns.get("", response_model=list[CampaignSummary])
def list_campaigns(state: State) -> list[CampaignSummary]:
    with state.locked():
        return [
            CampaignSummary(
                campaign_id=campaign.campaign_id,
                campaign_name=campaign.name,
                platform=campaign.platform,
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
        engagement = state.figures.engagement_per_click
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


@campaigns.get("/{campaign_id}/spend", response_model=pacing.SpendReport)
def campaign_spend(
    campaign_id: str,
    state: State,
    since: Annotated[date | None, Query(description="first day (default: flight start)")] = None,
) -> pacing.SpendReport:
    """Spend per reported day, the campaign's plan as the platform knows it, how far the
    figures reach (``reported_through``) and when they were refreshed."""
    with state.locked():
        campaign = state.campaign(campaign_id)
        first = since or pacing.flight(state.seeded_today)[0]
        earliest = state.today - timedelta(days=MAX_HISTORY_DAYS)
        return pacing.spend_report(
            campaign,
            state.today,
            state.seeded_today,
            max(first, earliest),
            state.report_delays.get(campaign_id, pacing.DEFAULT_REPORT_DELAY_HOURS),
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


@experiments.get("", response_model=list[demo_experiments.Experiment])
def list_experiments(state: State) -> list[demo_experiments.Experiment]:
    """The account's A/B tests with their counts so far (simulator/experiments.py)."""
    with state.locked():
        return demo_experiments.demo_experiments(state.figures, state.seeded_today, state.today)


@admin.get("/clock", response_model=Clock)
def get_clock(state: State) -> Clock:
    with state.locked():
        return Clock(today=state.today, last_reported_day=state.last_reported_day)


@admin.post("/clock/advance", response_model=Clock)
def advance_clock(request: AdvanceRequest, state: State) -> Clock:
    with state.locked():
        state.advance(request.days)
        return Clock(today=state.today, last_reported_day=state.last_reported_day)


class ReportDelay(BaseModel):
    campaign_id: str
    hours: float = Field(ge=0, le=24 * 30, description="how stale the campaign's report is")


@admin.put("/report-delay", response_model=ReportDelay)
def set_report_delay(request: ReportDelay, state: State) -> ReportDelay:
    """Make a campaign's spend report staler (or fresh again): pacing tests and demos."""
    with state.locked():
        state.campaign(request.campaign_id)
        state.report_delays[request.campaign_id] = request.hours
        return request


@admin.get("/media-plan")
def media_plan(
    state: State, format: Annotated[str, Query(pattern="^(csv|json)$")] = "json"
) -> Response:
    """The demo media plan (a planner's tracker), to import through the agent's API."""
    with state.locked():
        lines = pacing.demo_plan(list(state.campaigns.values()), state.today, state.seeded_today)
    if format == "csv":
        return Response(pacing.plan_csv(lines), media_type="text/csv")
    return Response(json.dumps({"lines": lines}), media_type="application/json")


@admin.get("/campaigns", response_model=list[WorldCampaign])
def world_campaigns(state: State) -> list[WorldCampaign]:
    with state.locked():
        return [
            WorldCampaign(
                campaign_id=campaign_id,
                label=state.plans[campaign_id].label,
                strengths=state.plans[campaign_id].strengths,
                value_per_conversion=campaign.mechanisms.value_per_conversion,
                mechanisms=asdict(campaign.mechanisms),
            )
            for campaign_id, campaign in state.campaigns.items()
        ]


@admin.post("/oracle", response_model=OracleAnswer)
def run_oracle(request: OracleRequest, state: State) -> OracleAnswer:
    """Fork the campaign today and value each action over the window (simulator/oracle.py)."""
    extra = [
        oracle.Plan(f"plan {index + 1}: {body.action.value}", body)
        for index, body in enumerate(request.plans)
    ]
    result = state.evaluate(
        request.campaign_id,
        extra=extra,
        horizon_days=request.horizon_days,
        replications=request.replications,
    )
    return oracle_answer(result)


def oracle_answer(result: oracle.OracleResult) -> OracleAnswer:
    return OracleAnswer(
        campaign_id=result.campaign_id,
        today=result.today,
        horizon_days=result.horizon_days,
        replications=result.replications,
        value_per_conversion=result.value_per_conversion,
        tolerance=result.tolerance,
        best=result.best.action,
        acceptable=result.acceptable_actions,
        plans=[
            PlanValueModel(
                **{
                    **asdict(p),
                    "mean": p.mean if p.available else None,
                    "regret": p.regret if p.available else None,
                }
            )
            for p in result.plans
        ],
    )


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
