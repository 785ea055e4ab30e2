"""The small Google Ads account the fake serves: campaigns, budgets, ad groups, ads, labels,
change events, and a deterministic daily delivery model per campaign.

Delivery moves from a "before" level to a "now" level over the last week (the latest reported
day is yesterday), so the adapter's period comparisons see a clear story per campaign:

- 111 "Search - Brand": competitive pressure. Impression share falls from 85 % to 55 %, the
  share lost to rank triples, CPC rises 30 %, CTR and the ads stay steady. Manual CPC.
- 222 "Search - Generic": steady, Target CPA 40.00.
- 333 / 444 "Display - Prospecting" / "Display - Remarketing": a shared budget.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

CUSTOMER_ID = "1234567890"
HISTORY_DAYS = 120
MICROS = 1_000_000

AGE_SHARES = {"AGE_RANGE_25_34": 0.4, "AGE_RANGE_35_44": 0.35, "AGE_RANGE_45_54": 0.25}
GENDER_SHARES = {"MALE": 0.55, "FEMALE": 0.45}
DEVICE_SHARES = {"MOBILE": 0.6, "DESKTOP": 0.35, "TABLET": 0.05}


@dataclass(frozen=True)
class Level:
    before: float
    now: float

    def at(self, days_ago: int, trend_days: int) -> float:
        """The level ``days_ago`` days back: 'before' until the trend starts, then a ramp."""
        if days_ago > trend_days:
            return self.before
        progress = (trend_days - days_ago + 1) / trend_days
        return self.before + (self.now - self.before) * progress

    @classmethod
    def steady(cls, value: float) -> Level:
        return cls(value, value)


@dataclass(frozen=True)
class Profile:
    eligible_impressions: float
    share: Level
    rank_lost: Level
    ctr: Level  # percent
    conversion_rate: Level  # percent of clicks
    cpc: Level  # currency
    frequency: float | None = None  # impressions per user; Search campaigns report none
    trend_days: int = 7


@dataclass
class Budget:
    budget_id: int
    name: str
    amount_micros: int
    explicitly_shared: bool = False


@dataclass
class Campaign:
    campaign_id: int
    name: str
    status: str
    channel: str
    strategy: str
    budget_id: int
    profile: Profile
    target_cpa_micros: int | None = None


@dataclass
class AdGroup:
    ad_group_id: int
    campaign_id: int
    name: str
    status: str
    cpc_bid_micros: int
    optimized_targeting_enabled: bool = False


@dataclass
class Ad:
    ad_id: int
    ad_group_id: int
    name: str
    status: str
    first_served_days_ago: int
    ctr_factor: float = 1.0
    policy_topic: str | None = None  # enabling it is refused with this policy finding


@dataclass
class Label:
    label_id: int
    name: str
    description: str


@dataclass
class ChangeEvent:
    at: datetime
    resource_type: str
    resource_name: str
    campaign_id: int
    changed_fields: list[str]


@dataclass
class Account:
    customer_id: str
    budgets: dict[int, Budget]
    campaigns: dict[int, Campaign]
    ad_groups: dict[int, AdGroup]
    ads: dict[int, Ad]
    labels: dict[int, Label] = field(default_factory=dict)
    campaign_labels: list[tuple[int, int]] = field(default_factory=list)
    change_events: list[ChangeEvent] = field(default_factory=list)
    today: date | None = None

    def copy(self) -> Account:
        return copy.deepcopy(self)

    def current_day(self) -> date:
        return self.today or datetime.now(UTC).date()

    # ------------------------------------------------------------------------- names

    def campaign_name(self, campaign_id: int) -> str:
        return f"customers/{self.customer_id}/campaigns/{campaign_id}"

    def budget_name(self, budget_id: int) -> str:
        return f"customers/{self.customer_id}/campaignBudgets/{budget_id}"

    def ad_group_name(self, ad_group_id: int) -> str:
        return f"customers/{self.customer_id}/adGroups/{ad_group_id}"

    def ad_name(self, ad: Ad) -> str:
        return f"customers/{self.customer_id}/adGroupAds/{ad.ad_group_id}~{ad.ad_id}"

    def label_name(self, label_id: int) -> str:
        return f"customers/{self.customer_id}/labels/{label_id}"

    # ------------------------------------------------------------------------- rows

    def campaign_attributes(self, campaign: Campaign) -> dict[str, Any]:
        budget = self.budgets[campaign.budget_id]
        users = sum(1 for c in self.campaigns.values() if c.budget_id == budget.budget_id)
        row = {
            "customer.id": int(self.customer_id),
            "campaign.id": campaign.campaign_id,
            "campaign.resource_name": self.campaign_name(campaign.campaign_id),
            "campaign.name": campaign.name,
            "campaign.status": campaign.status,
            "campaign.advertising_channel_type": campaign.channel,
            "campaign.bidding_strategy_type": campaign.strategy,
            "campaign_budget.id": budget.budget_id,
            "campaign_budget.resource_name": self.budget_name(budget.budget_id),
            "campaign_budget.amount_micros": budget.amount_micros,
            "campaign_budget.explicitly_shared": budget.explicitly_shared,
            "campaign_budget.reference_count": users,
        }
        if campaign.strategy == "TARGET_CPA":
            row["campaign.target_cpa.target_cpa_micros"] = campaign.target_cpa_micros
        if campaign.strategy == "MAXIMIZE_CONVERSIONS" and campaign.target_cpa_micros:
            row["campaign.maximize_conversions.target_cpa_micros"] = campaign.target_cpa_micros
        return row

    def ad_group_attributes(self, group: AdGroup) -> dict[str, Any]:
        return {
            **self.campaign_attributes(self.campaigns[group.campaign_id]),
            "ad_group.id": group.ad_group_id,
            "ad_group.resource_name": self.ad_group_name(group.ad_group_id),
            "ad_group.name": group.name,
            "ad_group.status": group.status,
            "ad_group.cpc_bid_micros": group.cpc_bid_micros,
            "ad_group.optimized_targeting_enabled": group.optimized_targeting_enabled,
        }

    def ad_attributes(self, ad: Ad) -> dict[str, Any]:
        return {
            **self.ad_group_attributes(self.ad_groups[ad.ad_group_id]),
            "ad_group_ad.resource_name": self.ad_name(ad),
            "ad_group_ad.ad.id": ad.ad_id,
            "ad_group_ad.ad.name": ad.name,
            "ad_group_ad.status": ad.status,
        }

    def days(self) -> list[tuple[int, str]]:
        today = self.current_day()
        return [(k, (today - timedelta(days=k)).isoformat()) for k in range(1, HISTORY_DAYS + 1)]

    def delivery(self, campaign: Campaign, days_ago: int) -> dict[str, float]:
        """One day of the campaign's delivery, as additive quantities (ratios are derived
        after aggregation, as the API does for a date range)."""
        p = campaign.profile
        if campaign.status != "ENABLED" and days_ago <= 1:
            return _zero()
        t = p.trend_days
        eligible = p.eligible_impressions
        impressions = eligible * p.share.at(days_ago, t)
        clicks = impressions * p.ctr.at(days_ago, t) / 100
        cost = clicks * p.cpc.at(days_ago, t)
        return {
            "metrics.impressions": impressions,
            "metrics.clicks": clicks,
            "metrics.cost_micros": cost * MICROS,
            "metrics.conversions": clicks * p.conversion_rate.at(days_ago, t) / 100,
            "metrics.engagements": clicks * 0.2,
            "_eligible": eligible,
            "_rank_lost": eligible * p.rank_lost.at(days_ago, t),
            "_budget_lost": eligible * 0.02,
            "_unique": impressions / p.frequency if p.frequency else 0.0,
        }

    def ad_delivery(self, ad: Ad, days_ago: int) -> dict[str, float]:
        group = self.ad_groups[ad.ad_group_id]
        campaign = self.campaigns[group.campaign_id]
        if ad.status != "ENABLED" or days_ago > ad.first_served_days_ago:
            return _zero()
        running = [
            a
            for a in self.ads.values()
            if a.status == "ENABLED"
            and self.ad_groups[a.ad_group_id].campaign_id == campaign.campaign_id
        ]
        share = 1 / len(running)
        day = self.delivery(campaign, days_ago)
        scaled = {k: v * share for k, v in day.items()}
        scaled["metrics.clicks"] *= ad.ctr_factor
        return scaled


def _zero() -> dict[str, float]:
    keys = (
        "metrics.impressions",
        "metrics.clicks",
        "metrics.cost_micros",
        "metrics.conversions",
        "metrics.engagements",
        "_eligible",
        "_rank_lost",
        "_budget_lost",
        "_unique",
    )
    return dict.fromkeys(keys, 0.0)


def seeded_account(today: date | None = None) -> Account:
    budgets = {
        501: Budget(501, "Brand budget", 400 * MICROS),
        502: Budget(502, "Generic budget", 600 * MICROS),
        503: Budget(503, "Display shared budget", 300 * MICROS, explicitly_shared=True),
    }
    competitive = Profile(
        eligible_impressions=4000,
        share=Level(0.85, 0.55),
        rank_lost=Level(0.10, 0.40),
        ctr=Level.steady(5.0),
        conversion_rate=Level(8.0, 7.5),
        cpc=Level(2.00, 2.60),
    )
    steady_search = Profile(
        eligible_impressions=9000,
        share=Level.steady(0.7),
        rank_lost=Level.steady(0.2),
        ctr=Level.steady(4.0),
        conversion_rate=Level.steady(6.0),
        cpc=Level.steady(1.60),
    )
    display = Profile(
        eligible_impressions=60000,
        share=Level.steady(0.5),
        rank_lost=Level.steady(0.3),
        ctr=Level.steady(0.6),
        conversion_rate=Level.steady(3.0),
        cpc=Level.steady(0.80),
        frequency=3.2,
    )
    campaigns = {
        111: Campaign(111, "Search - Brand", "ENABLED", "SEARCH", "MANUAL_CPC", 501, competitive),
        222: Campaign(
            222,
            "Search - Generic",
            "ENABLED",
            "SEARCH",
            "TARGET_CPA",
            502,
            steady_search,
            target_cpa_micros=40 * MICROS,
        ),
        333: Campaign(
            333, "Display - Prospecting", "ENABLED", "DISPLAY", "MANUAL_CPC", 503, display
        ),
        444: Campaign(
            444, "Display - Remarketing", "ENABLED", "DISPLAY", "MANUAL_CPC", 503, display
        ),
    }
    ad_groups = {
        1001: AdGroup(1001, 111, "Brand - Exact", "ENABLED", 2_500_000),
        1002: AdGroup(1002, 111, "Brand - Phrase", "ENABLED", 2_000_000),
        2001: AdGroup(2001, 222, "Generic", "ENABLED", 0),
        3001: AdGroup(3001, 333, "Prospecting", "ENABLED", 900_000),
        4001: AdGroup(4001, 444, "Remarketing", "ENABLED", 1_100_000),
    }
    ads = {
        9001: Ad(9001, 1001, "Brand exact - classic", "ENABLED", 60),
        9002: Ad(9002, 1001, "Brand exact - winter", "PAUSED", 0),
        9003: Ad(9003, 1002, "Brand phrase - classic", "ENABLED", 45),
        9004: Ad(
            9004, 1002, "Brand phrase - bold claim", "PAUSED", 0, policy_topic="MISLEADING_CLAIMS"
        ),
        9101: Ad(9101, 2001, "Generic - offer", "ENABLED", 80),
        9301: Ad(9301, 3001, "Prospecting banner", "ENABLED", 50),
        9401: Ad(9401, 4001, "Remarketing banner", "ENABLED", 50),
    }
    return Account(
        customer_id=CUSTOMER_ID,
        budgets=budgets,
        campaigns=campaigns,
        ad_groups=ad_groups,
        ads=ads,
        today=today,
    )
