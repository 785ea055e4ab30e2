"""What the adapter reads about a campaign before reporting its settings or changing it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from platforms.errors import ErrorKind, PlatformError
from platforms.google_ads.wire import GoogleAdsWire
from platforms.tasks import all_of

MICROS = 1_000_000
# Bidding strategies whose bid the adapter can move: ad group CPC bids, or a target CPA.
MANUAL_CPC = ("MANUAL_CPC", "ENHANCED_CPC")

_CAMPAIGN_FIELDS = (
    "campaign.id, campaign.resource_name, campaign.name, campaign.status, "
    "campaign.advertising_channel_type, campaign.bidding_strategy_type, "
    "campaign.bidding_strategy, campaign.target_cpa.target_cpa_micros, "
    "campaign.maximize_conversions.target_cpa_micros, campaign_budget.resource_name, "
    "campaign_budget.amount_micros, campaign_budget.explicitly_shared, "
    "campaign_budget.reference_count"
)


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    resource_name: str
    name: str
    status: str
    channel: str
    bidding_strategy_type: str
    portfolio_strategy: str
    target_cpa_micros: int
    maximize_conversions_target_cpa_micros: int
    budget_resource_name: str
    budget_micros: int
    budget_shared: bool

    @classmethod
    def of(cls, row: Any) -> Campaign:
        c, b = row.campaign, row.campaign_budget
        return cls(
            campaign_id=str(c.id),
            resource_name=c.resource_name,
            name=c.name,
            status=c.status.name,
            channel=c.advertising_channel_type.name,
            bidding_strategy_type=c.bidding_strategy_type.name,
            portfolio_strategy=c.bidding_strategy,
            target_cpa_micros=c.target_cpa.target_cpa_micros,
            maximize_conversions_target_cpa_micros=c.maximize_conversions.target_cpa_micros,
            budget_resource_name=b.resource_name,
            budget_micros=b.amount_micros,
            # A budget used by several campaigns: changing it changes them all.
            budget_shared=b.explicitly_shared or b.reference_count > 1,
        )

    @property
    def target_cpa(self) -> int:
        """The target CPA an adjustment moves (0: the strategy has none)."""
        if self.bidding_strategy_type == "TARGET_CPA":
            return self.target_cpa_micros
        if self.bidding_strategy_type == "MAXIMIZE_CONVERSIONS":
            return self.maximize_conversions_target_cpa_micros
        return 0


@dataclass(frozen=True)
class AdGroup:
    ad_group_id: str
    resource_name: str
    name: str
    cpc_bid_micros: int
    optimized_targeting: bool


@dataclass(frozen=True)
class Ad:
    ad_group_id: str
    ad_id: str
    resource_name: str
    name: str
    status: str

    @property
    def creative_id(self) -> str:
        """Google's own key of an ad in an ad group (``adGroupAds/AG~AD``)."""
        return f"{self.ad_group_id}~{self.ad_id}"


@dataclass
class AccountState:
    customer_id: str
    campaign: Campaign
    ad_groups: list[AdGroup]  # enabled ones
    ads: list[Ad]  # enabled and paused ads of enabled ad groups
    campaigns: list[Campaign] = field(default_factory=list)  # the account's enabled campaigns

    @property
    def enabled_ads(self) -> list[Ad]:
        return [ad for ad in self.ads if ad.status == "ENABLED"]

    @property
    def bid(self) -> float | None:
        """The campaign's bid in the account currency: its target CPA, or the mean CPC bid of
        its enabled ad groups under manual CPC; None for strategies without a bid to move."""
        if self.campaign.portfolio_strategy:
            return None
        if self.campaign.target_cpa:
            return round(self.campaign.target_cpa / MICROS, 2)
        bids = [g.cpc_bid_micros for g in self.ad_groups if g.cpc_bid_micros]
        if self.campaign.bidding_strategy_type in MANUAL_CPC and bids:
            return round(sum(bids) / len(bids) / MICROS, 2)
        return None


async def read_account(
    wire: GoogleAdsWire, customer: str, campaign: str, *, with_budgets: bool = False
) -> AccountState:
    queries = [
        wire.search(
            customer, f"SELECT {_CAMPAIGN_FIELDS} FROM campaign WHERE campaign.id = {campaign}"
        ),
        wire.search(
            customer,
            "SELECT ad_group.id, ad_group.resource_name, ad_group.name, ad_group.cpc_bid_micros, "
            "ad_group.optimized_targeting_enabled FROM ad_group "
            f"WHERE campaign.id = {campaign} AND ad_group.status = 'ENABLED' ORDER BY ad_group.id",
        ),
        wire.search(
            customer,
            "SELECT ad_group.id, ad_group_ad.resource_name, ad_group_ad.ad.id, "
            "ad_group_ad.ad.name, ad_group_ad.status FROM ad_group_ad "
            f"WHERE campaign.id = {campaign} AND ad_group.status = 'ENABLED' "
            "AND ad_group_ad.status != 'REMOVED' ORDER BY ad_group_ad.ad.id",
        ),
    ]
    if with_budgets:
        queries.append(
            wire.search(
                customer,
                f"SELECT {_CAMPAIGN_FIELDS} FROM campaign WHERE campaign.status = 'ENABLED' "
                "ORDER BY campaign.id",
            )
        )
    results = await all_of(*queries)
    if not results[0]:
        raise PlatformError(
            ErrorKind.not_found,
            f"campaign {campaign} not found in Google Ads account {customer}",
            retryable=False,
        )
    return AccountState(
        customer_id=customer,
        campaign=Campaign.of(results[0][0]),
        ad_groups=[
            AdGroup(
                ad_group_id=str(r.ad_group.id),
                resource_name=r.ad_group.resource_name,
                name=r.ad_group.name,
                cpc_bid_micros=r.ad_group.cpc_bid_micros,
                optimized_targeting=r.ad_group.optimized_targeting_enabled,
            )
            for r in results[1]
        ],
        ads=[
            Ad(
                ad_group_id=str(r.ad_group.id),
                ad_id=str(r.ad_group_ad.ad.id),
                resource_name=r.ad_group_ad.resource_name,
                name=r.ad_group_ad.ad.name or f"Ad {r.ad_group_ad.ad.id}",
                status=r.ad_group_ad.status.name,
            )
            for r in results[2]
        ],
        campaigns=[Campaign.of(r) for r in results[3]] if with_budgets else [],
    )
