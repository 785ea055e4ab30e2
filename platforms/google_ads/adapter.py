"""Google Ads as an ``AdPlatform``: GAQL reads through ``GoogleAdsService.SearchStream``, every
change through one atomic ``GoogleAdsService.Mutate`` (docs/platforms.md has the mapping).

Campaign ids are ``CUSTOMER:CAMPAIGN`` (``1234567890:111``) or a bare campaign id of
``GOOGLE_ADS_CUSTOMER_ID``. Money comes in micros and leaves in the account currency.

Google Ads has no idempotency token, so the key is enforced by read-before-write plus a record
of applied keys kept on the platform itself: every change is sent together with a label named
after the key, attached to the campaign, in the same atomic Mutate. Before any write (and so on
every retry, including after an ambiguous failure whose change may have landed) the adapter
reads whether that label exists: if it does, the change is in place and nothing is sent again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from domain.context import (
    AudienceData,
    CampaignMetrics,
    CompetitorSignals,
    CreativeMetrics,
    HistoryData,
    PastAction,
)
from domain.platform import CampaignSettings, CampaignSummary, SpendReport
from domain.recommendation import ActionParameters, ActionType
from platforms import reports
from platforms.config import GoogleAdsConfig
from platforms.errors import ErrorKind, PlatformError
from platforms.google_ads import changes
from platforms.google_ads.state import read_account
from platforms.google_ads.wire import GoogleAdsWire
from platforms.port import ActionOutcome
from platforms.registry import split_campaign_id
from platforms.reports import Period, Totals, periods
from platforms.tasks import all_of

PLATFORM = "google_ads"
MICROS = 1_000_000
CREATIVE_LOOKBACK_DAYS = 90  # an ad's age is counted from its first impression in this window
CHANGE_EVENT_MAX_DAYS = 29  # change_event only reaches 30 days back
ACTION_OUTCOME_DAYS = 3
ACTION_BASELINE_DAYS = 7

# change_event resource types -> the action vocabulary, for history.past_actions.
_CHANGE_ACTIONS = {
    "CAMPAIGN_BUDGET": ActionType.budget_reallocation.value,
    "AD_GROUP_AD": ActionType.creative_refresh.value,
    "AD_GROUP_CRITERION": ActionType.audience_expansion.value,
}


class GoogleAdsPlatform:
    name = PLATFORM

    def __init__(
        self,
        config: GoogleAdsConfig,
        *,
        today: Callable[[], date] | None = None,
    ) -> None:
        self._config = config
        self._wire = GoogleAdsWire(config)
        self._today = today or (lambda: datetime.now(UTC).date())

    async def aclose(self) -> None:
        await self._wire.aclose()

    # ------------------------------------------------------------------------- ids

    def _ids(self, campaign_id: str) -> tuple[str, str]:
        account, campaign = split_campaign_id(campaign_id)
        customer = (account or self._config.customer_id or "").replace("-", "")
        if not customer:
            raise PlatformError(
                ErrorKind.not_found,
                f"campaign id {campaign_id!r} names no Google Ads account and "
                "GOOGLE_ADS_CUSTOMER_ID is unset (use CUSTOMER:CAMPAIGN)",
                retryable=False,
            )
        if not (customer.isdigit() and campaign.isdigit()):
            raise PlatformError(
                ErrorKind.not_found,
                f"{campaign_id!r} is not a Google Ads campaign id (CUSTOMER:CAMPAIGN, digits)",
                retryable=False,
            )
        return customer, campaign

    # ------------------------------------------------------------------------- reads

    async def list_campaigns(self) -> list[CampaignSummary]:
        customer = self._config.customer_id
        if not customer:
            return []
        rows = await self._wire.search(
            customer,
            "SELECT campaign.id, campaign.name, campaign.status FROM campaign "
            "WHERE campaign.status != 'REMOVED' ORDER BY campaign.id",
        )
        return [
            CampaignSummary(
                campaign_id=f"{customer}:{row.campaign.id}",
                campaign_name=row.campaign.name,
                platform=PLATFORM,
                status=_status(row.campaign.status.name),
            )
            for row in rows
        ]

    async def campaign_metrics(self, campaign_id: str, days: int) -> CampaignMetrics:
        customer, campaign = self._ids(campaign_id)
        current, previous = periods(self._today(), days)
        account, daily = await all_of(
            read_account(self._wire, customer, campaign),
            self._daily(customer, campaign, Period(previous.start, current.end)),
        )
        info = account.campaign
        return reports.campaign_metrics(
            campaign_id=campaign_id,
            campaign_name=info.name,
            platform=PLATFORM,
            daily=daily,
            current=current,
            previous=previous,
            daily_budget=info.budget_micros / MICROS,
            # Beyond the contract (extras are allowed): the bid an adjustment would move.
            current_bid=account.bid,
            status=_status(info.status),
            bidding_strategy=info.bidding_strategy_type,
        )

    async def creatives(self, campaign_id: str, days: int) -> list[CreativeMetrics]:
        customer, campaign = self._ids(campaign_id)
        today = self._today()
        current, previous = periods(today, days)
        lookback = Period(today - timedelta(days=CREATIVE_LOOKBACK_DAYS), current.end)
        account, rows, reach_now, reach_before = await all_of(
            read_account(self._wire, customer, campaign),
            self._wire.search(
                customer,
                "SELECT ad_group.id, ad_group_ad.ad.id, segments.date, metrics.impressions, "
                "metrics.clicks, metrics.engagements FROM ad_group_ad "
                f"WHERE campaign.id = {campaign} AND ad_group_ad.status = 'ENABLED' "
                f"AND segments.date BETWEEN '{lookback.start}' AND '{lookback.end}'",
            ),
            self._reach(customer, campaign, current),
            self._reach(customer, campaign, previous),
        )
        per_ad: dict[str, dict[date, Totals]] = {}
        for row in rows:
            day = date.fromisoformat(row.segments.date)
            ad_id = f"{row.ad_group.id}~{row.ad_group_ad.ad.id}"
            per_ad.setdefault(ad_id, {})[day] = Totals(
                impressions=row.metrics.impressions,
                clicks=row.metrics.clicks,
                extra={"engagements": float(row.metrics.engagements)},
            )
        frequency = reach_now[1]
        frequency_change = reports.change_pct(reach_now[1], reach_before[1])
        creatives = []
        for ad in account.enabled_ads:
            daily = per_ad.get(ad.creative_id, {})
            now, before = reports.in_period(daily, current), reports.in_period(daily, previous)
            served = [day for day, totals in daily.items() if totals.impressions]
            ctr_change = reports.change_pct(now.ctr, before.ctr) if before.impressions else None
            engagements = now.extra.get("engagements", 0.0)
            creatives.append(
                CreativeMetrics(
                    creative_id=ad.creative_id,
                    creative_name=ad.name,
                    ctr=round(now.ctr, 4),
                    ctr_change_pct=ctr_change,
                    ctr_trend=reports.ctr_trend(ctr_change),
                    engagement_rate=round(100 * engagements / now.impressions, 4)
                    if now.impressions
                    else None,
                    creative_age_days=(today - min(served)).days if served else 0,
                    average_frequency=round(frequency, 2),
                    frequency_trend=reports.frequency_trend(frequency_change),
                    total_impressions=now.impressions,
                    # Google reports no reach per ad: the campaign's frequency spreads it.
                    unique_reach=round(now.impressions / frequency) if frequency else 0,
                )
            )
        return creatives

    async def audience(self, campaign_id: str, days: int) -> AudienceData:
        customer, campaign = self._ids(campaign_id)
        current, previous = periods(self._today(), days)
        (
            (reach, frequency),
            (reach_before, frequency_before),
            segments,
            breakdowns,
        ) = await all_of(
            self._reach(customer, campaign, current),
            self._reach(customer, campaign, previous),
            self._account_campaigns(customer, current),
            self._breakdowns(customer, campaign, current),
        )
        return AudienceData(
            # Google Ads reports no audience size: the people reached is its lower bound.
            audience_size=reach,
            reach=reach,
            reach_change_pct=reports.change_pct(reach, reach_before),
            average_frequency=round(frequency, 2),
            frequency_trend=reports.frequency_trend(
                reports.change_pct(frequency, frequency_before)
            ),
            # Budgets belong to campaigns: the segments a reallocation moves money between.
            segments=segments,
            breakdowns=breakdowns,
        )

    async def competitors(self, campaign_id: str, days: int) -> CompetitorSignals:
        """Auction Insights is not generally available in the API: the share of auctions lost
        to others' ad rank is the competitive-pressure signal, average CPC the bid level."""
        customer, campaign = self._ids(campaign_id)
        current, previous = periods(self._today(), days)
        daily = await self._daily(customer, campaign, Period(previous.start, current.end))
        now, before = reports.in_period(daily, current), reports.in_period(daily, previous)
        rank_now, rank_before = _lost_share(now, "rank_lost"), _lost_share(before, "rank_lost")
        return CompetitorSignals(
            active_competitors_count=0,
            new_competitors_count=0,
            activity_change_pct=reports.change_pct(rank_now, rank_before) or 0.0,
            avg_bid_increase_pct=reports.change_pct(now.cpc, before.cpc) or 0.0,
            source="search_rank_lost_impression_share and average_cpc (no Auction Insights)",
            rank_lost_impression_share=reports.rounded(rank_now, 4),
            budget_lost_impression_share=reports.rounded(_lost_share(now, "budget_lost"), 4),
        )

    async def history(self, campaign_id: str, days: int) -> HistoryData:
        customer, campaign = self._ids(campaign_id)
        today = self._today()
        window = Period(today - timedelta(days=days), today - timedelta(days=1))
        daily, changed = await all_of(
            self._daily(customer, campaign, window),
            self._changes(customer, campaign, today, min(days, CHANGE_EVENT_MAX_DAYS)),
        )
        # One change can touch several resources (every ad group's bid): one action a day.
        past = [
            PastAction(action=action, applied_at=day, cpa_change_pct=_cpa_change(daily, day))
            for day, action in dict.fromkeys(changed)
        ]
        return reports.history(daily, window, past)

    async def settings(self, campaign_id: str) -> CampaignSettings:
        customer, campaign = self._ids(campaign_id)
        account = await read_account(self._wire, customer, campaign, with_budgets=True)
        info = account.campaign
        return CampaignSettings(
            status=_status(info.status),
            bid=account.bid,
            daily_budget=info.budget_micros / MICROS,
            audience_size=None,
            creative_ids=[ad.creative_id for ad in account.enabled_ads],
            segment_budgets={
                other.campaign_id: other.budget_micros / MICROS for other in account.campaigns
            },
        )

    async def spend_report(self, campaign_id: str, since: date) -> SpendReport:
        customer, campaign = self._ids(campaign_id)
        today = self._today()
        account, daily = await all_of(
            read_account(self._wire, customer, campaign),
            self._daily(customer, campaign, Period(since, today)),
        )
        info = account.campaign
        return reports.spend_report(
            campaign_id=campaign_id,
            campaign_name=info.name,
            status=_status(info.status),
            daily_budget=info.budget_micros / MICROS,
            daily=daily,
            today=today,
        )

    # ------------------------------------------------------------------------- writes

    async def dry_run(
        self, campaign_id: str, action: ActionType, parameters: ActionParameters
    ) -> ActionOutcome:
        customer, campaign = self._ids(campaign_id)
        account = await read_account(self._wire, customer, campaign, with_budgets=True)
        plan = changes.plan(self._wire, account, action, parameters)
        if isinstance(plan, ActionOutcome):
            return plan.model_copy(update={"dry_run": True})
        await self._wire.mutate(customer, plan.operations, validate_only=True)
        return ActionOutcome(
            applied=False, dry_run=True, before=plan.before, after=plan.after, message=plan.message
        )

    async def apply(
        self,
        campaign_id: str,
        action: ActionType,
        parameters: ActionParameters,
        idempotency_key: str,
    ) -> ActionOutcome:
        customer, campaign = self._ids(campaign_id)
        label = label_name(idempotency_key)
        if await self._label_exists(customer, label):
            return ActionOutcome(
                applied=True,
                already_applied=True,
                message=f"already applied: the campaign carries label '{label}' of this key",
            )
        account = await read_account(self._wire, customer, campaign, with_budgets=True)
        plan = changes.plan(self._wire, account, action, parameters)
        if isinstance(plan, ActionOutcome):
            return plan
        record = changes.key_label_operations(self._wire, account, label, idempotency_key)
        await self._wire.mutate(customer, [*plan.operations, *record], validate_only=False)
        return ActionOutcome(
            applied=True,
            before=plan.before,
            after=plan.after,
            message=plan.message,
            executed_at=datetime.now(UTC),
        )

    async def _label_exists(self, customer: str, label: str) -> bool:
        rows = await self._wire.search(
            customer, f"SELECT label.id FROM label WHERE label.name = '{label}'"
        )
        return bool(rows)

    # ------------------------------------------------------------------------- queries

    async def _daily(self, customer: str, campaign: str, window: Period) -> dict[date, Totals]:
        rows = await self._wire.search(
            customer,
            "SELECT segments.date, metrics.cost_micros, metrics.impressions, metrics.clicks, "
            "metrics.conversions, metrics.search_impression_share, "
            "metrics.search_rank_lost_impression_share, "
            "metrics.search_budget_lost_impression_share FROM campaign "
            f"WHERE campaign.id = {campaign} "
            f"AND segments.date BETWEEN '{window.start}' AND '{window.end}'",
        )
        daily = {}
        for row in rows:
            m = row.metrics
            share = m.search_impression_share
            eligible = m.impressions / share if share > 0 else 0.0
            daily[date.fromisoformat(row.segments.date)] = Totals(
                spend=m.cost_micros / MICROS,
                impressions=m.impressions,
                clicks=m.clicks,
                conversions=m.conversions,
                eligible_impressions=eligible,
                extra={
                    "rank_lost": eligible * m.search_rank_lost_impression_share,
                    "budget_lost": eligible * m.search_budget_lost_impression_share,
                },
            )
        return daily

    async def _reach(self, customer: str, campaign: str, period: Period) -> tuple[int, float]:
        """(unique users, impressions per user) over a period; zeros where Google has no
        reach metrics (Search campaigns)."""
        rows = await self._wire.search(
            customer,
            "SELECT metrics.unique_users, metrics.average_impression_frequency_per_user "
            f"FROM campaign WHERE campaign.id = {campaign} "
            f"AND segments.date BETWEEN '{period.start}' AND '{period.end}'",
        )
        if not rows:
            return 0, 0.0
        metrics = rows[0].metrics
        return metrics.unique_users, metrics.average_impression_frequency_per_user

    async def _account_campaigns(self, customer: str, period: Period) -> list:
        rows = await self._wire.search(
            customer,
            "SELECT campaign.id, campaign.name, metrics.cost_micros, metrics.conversions "
            "FROM campaign WHERE campaign.status = 'ENABLED' "
            f"AND segments.date BETWEEN '{period.start}' AND '{period.end}'",
        )
        return [
            reports.segment(
                str(row.campaign.id),
                row.campaign.name,
                Totals(spend=row.metrics.cost_micros / MICROS, conversions=row.metrics.conversions),
            )
            for row in rows
        ]

    async def _breakdowns(self, customer: str, campaign: str, period: Period) -> list[dict]:
        """Spend and conversions by age, gender (ad group criteria) and device."""
        during = f"AND segments.date BETWEEN '{period.start}' AND '{period.end}'"
        metrics = "metrics.cost_micros, metrics.conversions"
        age, gender, device = await all_of(
            self._wire.search(
                customer,
                f"SELECT ad_group_criterion.age_range.type, {metrics} FROM age_range_view "
                f"WHERE campaign.id = {campaign} {during}",
            ),
            self._wire.search(
                customer,
                f"SELECT ad_group_criterion.gender.type, {metrics} FROM gender_view "
                f"WHERE campaign.id = {campaign} {during}",
            ),
            self._wire.search(
                customer,
                f"SELECT segments.device, {metrics} FROM campaign "
                f"WHERE campaign.id = {campaign} {during}",
            ),
        )
        found: dict[tuple[str, str], Totals] = {}
        sources = (
            ("age", age, lambda r: r.ad_group_criterion.age_range.type_.name),
            ("gender", gender, lambda r: r.ad_group_criterion.gender.type_.name),
            ("device", device, lambda r: r.segments.device.name),
        )
        for dimension, rows, value_of in sources:
            for row in rows:
                key = (dimension, value_of(row))
                totals = Totals(
                    spend=row.metrics.cost_micros / MICROS, conversions=row.metrics.conversions
                )
                found[key] = found.get(key, Totals()).add(totals)
        return [
            {"dimension": dimension, **reports.segment(value, value, totals).model_dump()}
            for (dimension, value), totals in found.items()
        ]

    async def _changes(
        self, customer: str, campaign: str, today: date, days: int
    ) -> list[tuple[date, str]]:
        since = today - timedelta(days=days)
        rows = await self._wire.search(
            customer,
            "SELECT change_event.change_date_time, change_event.change_resource_type, "
            "change_event.changed_fields FROM change_event "
            f"WHERE change_event.campaign = 'customers/{customer}/campaigns/{campaign}' "
            f"AND change_event.change_date_time >= '{since}' "
            f"AND change_event.change_date_time <= '{today} 23:59:59' "
            "ORDER BY change_event.change_date_time LIMIT 1000",
        )
        found = []
        for row in rows:
            event = row.change_event
            action = _change_action(
                event.change_resource_type.name, list(event.changed_fields.paths)
            )
            if action:
                found.append((date.fromisoformat(event.change_date_time[:10]), action))
        return found


def label_name(idempotency_key: str) -> str:
    """The label recording that a key's change was applied (names stay under 80 characters)."""
    return "marketing-agent " + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def _status(status: str) -> str:
    return {"ENABLED": "active", "PAUSED": "paused", "REMOVED": "removed"}.get(
        status, status.lower()
    )


def _lost_share(totals: Totals, kind: str) -> float | None:
    if not totals.eligible_impressions:
        return None
    return totals.extra.get(kind, 0.0) / totals.eligible_impressions


def _change_action(resource_type: str, fields: list[str]) -> str | None:
    joined = " ".join(fields)
    if resource_type == "CAMPAIGN":
        if "status" in joined:
            return ActionType.campaign_pause.value
        if "target_cpa" in joined:
            return ActionType.bid_adjustment.value
        return None
    if resource_type == "AD_GROUP":
        if "cpc_bid_micros" in joined:
            return ActionType.bid_adjustment.value
        if "optimized_targeting" in joined:
            return ActionType.audience_expansion.value
        return None
    return _CHANGE_ACTIONS.get(resource_type)


def _cpa_change(daily: dict[date, Totals], applied_on: date) -> float | None:
    """CPA over the days right after the change against the week before it."""
    before = reports.in_period(
        daily, Period(applied_on - timedelta(days=ACTION_BASELINE_DAYS), applied_on - timedelta(1))
    )
    after = reports.in_period(
        daily, Period(applied_on, applied_on + timedelta(days=ACTION_OUTCOME_DAYS - 1))
    )
    return reports.change_pct(after.cpa, before.cpa)
