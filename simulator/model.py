"""The simulator's in-memory state of one campaign: its settings over time and its daily results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from domain.recommendation import ActionType
from simulator.catalog import CampaignSpec
from simulator.datasets import DeliveryLevels
from simulator.dynamics import ScenarioDynamics
from simulator.effects import RAMP_DAYS, Effect

ACTIVE = "active"
PAUSED = "paused"


def creative_id(campaign_id: str, number: int) -> str:
    """cmp-fatigue-01, 4 -> cr-fatigue-01-4"""
    return f"cr-{campaign_id.removeprefix('cmp-')}-{number}"


@dataclass(frozen=True)
class SegmentDay:
    spend: float
    impressions: int
    clicks: int
    conversions: float


@dataclass(frozen=True)
class CreativeDay:
    impressions: int
    clicks: int
    frequency: float


@dataclass(frozen=True)
class DayRecord:
    """One reported day of one campaign."""

    day: date
    spend: float
    impressions: int
    clicks: int
    conversions: float
    frequency: float
    impression_share: float
    active_competitors: int
    competitor_activity: float
    competitor_bid_index: float
    segments: Mapping[str, SegmentDay]
    creatives: Mapping[str, CreativeDay]

    @property
    def reach(self) -> float:
        return self.impressions / self.frequency if self.frequency > 0 else 0.0

    @property
    def eligible_impressions(self) -> float:
        """Impressions the campaign could have won: impressions / impression share."""
        return self.impressions / self.impression_share if self.impression_share > 0 else 0.0


@dataclass
class Creative:
    creative_id: str
    name: str
    slot: int  # position in the rotation; a refresh puts a new creative in the same slot
    launched: date
    quality: float  # the creative's CTR relative to the campaign's, when fresh
    retired: date | None = None

    def age_on(self, day: date) -> int:
        return (day - self.launched).days

    def is_live(self, day: date) -> bool:
        return self.launched <= day and (self.retired is None or day < self.retired)


@dataclass(frozen=True)
class Segment:
    segment_id: str
    name: str
    efficiency: float  # conversion rate relative to the campaign's (1 = average)
    # Uneven efficiency: the segment's conversion rate at full scenario pressure, relative.
    degraded_efficiency: float = 1.0


@dataclass(frozen=True)
class AppliedAction:
    action: ActionType
    applied_on: date


@dataclass(frozen=True)
class BudgetChange:
    starts_on: date
    before: Mapping[str, float]
    after: Mapping[str, float]

    def shares_on(self, day: date) -> dict[str, float]:
        """Delivery follows the new budgets over RAMP_DAYS, like the platform's pacing."""
        progress = min(1.0, max(0.0, ((day - self.starts_on).days + 1) / RAMP_DAYS))
        blended = {
            segment_id: amount + (self.after[segment_id] - amount) * progress
            for segment_id, amount in self.before.items()
        }
        total = sum(blended.values())
        return {segment_id: amount / total for segment_id, amount in blended.items()}


@dataclass
class Campaign:
    spec: CampaignSpec
    dynamics: ScenarioDynamics
    levels: DeliveryLevels  # an ordinary day's delivery, already scaled by spec.spend_scale
    first_day: date
    onset: date | None
    daily_budget: float
    bid: float
    audience_size: int
    segments: tuple[Segment, ...]
    segment_budgets: dict[str, float]
    creatives: list[Creative]  # every creative ever run, retired ones included
    slot_weights: tuple[float, ...]  # share of impressions of each rotation slot
    competitor_entries: tuple[date, ...] = ()
    status: str = ACTIVE
    paused_on: date | None = None
    applied_actions: list[AppliedAction] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    budget_changes: list[BudgetChange] = field(default_factory=list)
    days: list[DayRecord] = field(default_factory=list)

    @property
    def campaign_id(self) -> str:
        return self.spec.campaign_id

    def is_paused_on(self, day: date) -> bool:
        return self.paused_on is not None and day >= self.paused_on

    def active_competitors_on(self, day: date) -> int:
        entered = [entry for entry in self.competitor_entries if entry <= day]
        return self.spec.competitors + len(entered)

    def live_creatives(self, day: date) -> list[Creative]:
        """The creatives running on `day`, in rotation order."""
        live = [creative for creative in self.creatives if creative.is_live(day)]
        return sorted(live, key=lambda creative: creative.slot)

    def segment_shares_on(self, day: date) -> dict[str, float]:
        started = [change for change in self.budget_changes if change.starts_on <= day]
        if started:
            return started[-1].shares_on(day)
        budgets = self.budget_changes[0].before if self.budget_changes else self.segment_budgets
        total = sum(budgets.values())
        return {segment_id: amount / total for segment_id, amount in budgets.items()}

    def records_between(self, start: date, end: date) -> list[DayRecord]:
        """Reported days from start to end, both included."""
        return [record for record in self.days if start <= record.day <= end]
