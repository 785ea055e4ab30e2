"""What the agent knows of an ad platform's campaign, in the domain's terms (DESIGN §11).

Every platform adapter (``platforms/``) answers with these models, whatever the platform calls
things (micros, minor currency units, ad sets): the rest of the agent never sees a platform's
own vocabulary. ``premise_changes`` is the re-validation of an approved plan against the
campaign as it stands right before execution: a plan whose premise changed is superseded, not
applied and not failed.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.recommendation import ActionParameters, ActionType


class CampaignStatus(StrEnum):
    active = "active"
    paused = "paused"


class CampaignSummary(BaseModel):
    """One campaign of the account, as a list of campaigns shows it."""

    campaign_id: str
    campaign_name: str
    platform: str
    status: str


class CampaignSettings(BaseModel):
    """The settings an action changes, read right before a dry run or a write."""

    status: str = Field(description="active or paused (the platform's word, lower-cased)")
    bid: float | None = Field(default=None, description="the bid an adjustment moves")
    daily_budget: float | None = None
    audience_size: int | None = None
    creative_ids: list[str] = Field(
        default_factory=list, description="the creatives running now (a refresh replaces some)"
    )
    segment_budgets: dict[str, float] = Field(
        default_factory=dict, description="daily budget per segment / ad set"
    )

    @property
    def is_paused(self) -> bool:
        return self.status.lower() == CampaignStatus.paused


def premise_changes(
    action: ActionType, parameters: ActionParameters, settings: CampaignSettings
) -> list[str]:
    """Why an approved plan no longer fits the campaign as it stands (empty: it still does).

    The plan's parameters name what it was drafted against: the bid it starts from, the
    creatives it replaces, the segment budget it moves. If someone (another run, a person in
    the platform's UI, the pacing monitor) changed those since, applying the plan would make a
    change nobody approved, so the plan is superseded instead.
    """
    if settings.is_paused:
        return ["the campaign is paused now; the plan assumed it was running"]
    check = _PREMISE_CHECKS.get(action)
    return check(parameters, settings) if check else []


def _bid_premise(p: ActionParameters, s: CampaignSettings) -> list[str]:
    if p.current_bid is None or s.bid is None or abs(s.bid - p.current_bid) < 0.005:
        return []
    return [f"the bid is {s.bid:.2f} now; the plan starts from {p.current_bid:.2f}"]


def _creative_premise(p: ActionParameters, s: CampaignSettings) -> list[str]:
    gone = [cid for cid in p.creative_ids if cid not in s.creative_ids]
    if not gone:
        return []
    return [
        f"creative(s) {', '.join(gone)} no longer run (already rotated); "
        f"running now: {', '.join(s.creative_ids) or 'none'}"
    ]


def _budget_premise(p: ActionParameters, s: CampaignSettings) -> list[str]:
    reasons = []
    for segment in (p.from_segment_id, p.to_segment_id):
        if segment and segment not in s.segment_budgets:
            reasons.append(f"segment {segment} no longer has a budget")
    source = s.segment_budgets.get(p.from_segment_id or "")
    if not reasons and source is not None and (p.budget_shift_amount or 0) > source + 0.005:
        reasons.append(
            f"segment {p.from_segment_id} has {source:.2f} a day now, "
            f"less than the {p.budget_shift_amount:.2f} the plan moves"
        )
    return reasons


_PREMISE_CHECKS = {
    ActionType.bid_adjustment: _bid_premise,
    ActionType.creative_refresh: _creative_premise,
    ActionType.budget_reallocation: _budget_premise,
}


class SpendReport(BaseModel):
    """A campaign's delivered spend per day, with what the platform knows of its plan (the
    pacing monitor reconciles it with the media plan).

    ``reported_through`` is how far the figures reach: hours after it are not in them yet
    (platforms report with a delay), so pacing compares spend with the plan up to that instant,
    not up to now. ``refreshed_at`` is when the platform produced the figures: their freshness.
    """

    campaign_id: str
    campaign_name: str
    status: str = Field(description="active or paused (the platform's word, lower-cased)")
    daily_budget: float | None = Field(default=None, ge=0)
    market: str | None = Field(default=None, description="where the campaign runs")
    product: str | None = Field(default=None, description="what it sells")
    start_date: date | None = None
    end_date: date | None = None
    daily_spend: dict[date, float] = Field(
        default_factory=dict, description="spend per reported day, account currency"
    )
    reported_through: datetime
    refreshed_at: datetime

    @property
    def is_paused(self) -> bool:
        return self.status.lower() == CampaignStatus.paused
