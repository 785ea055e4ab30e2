"""Meta (Facebook and Instagram ads) as an ``AdPlatform``, through the ``facebook-business`` SDK
(docs/platforms.md has the mapping).

Campaign ids are ``act_ACCOUNT:CAMPAIGN`` or a bare campaign id (Meta's ids are global). Money:
insights report spend in the account currency; budgets and bids travel in minor units (cents),
converted with the account currency's offset.

Reads: insights with ``time_increment=1`` (daily) for metrics and history, per ad for creatives,
per ad set and by age and gender for the audience. Meta reports no auction or competitor data:
that source is ``unsupported`` and the workflow carries on without it.

Writes go to the campaign, its ad sets or its ads, each with ``execution_options=
['validate_only']`` first (the dry run). Meta has no idempotency token, so each written object
is labelled (``adlabels``) with the key's label in the same request as its change: an object
carrying it already has its change, so a retry (after a dropped answer or a worker crash)
writes only what is still missing and never applies a change twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from facebook_business.adobjects.ad import Ad
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adset import AdSet
from facebook_business.adobjects.campaign import Campaign

from domain.context import (
    AudienceData,
    CampaignMetrics,
    CompetitorSignals,
    CreativeMetrics,
    HistoryData,
)
from domain.platform import CampaignSettings, CampaignSummary, SpendReport
from domain.recommendation import ActionParameters, ActionType
from platforms import reports
from platforms.config import MetaConfig
from platforms.errors import ErrorKind, PlatformError
from platforms.meta import changes
from platforms.meta.state import MetaState, minor_unit_offset
from platforms.meta.wire import MetaWire
from platforms.port import ActionOutcome
from platforms.registry import split_campaign_id
from platforms.reports import Period, Totals, periods
from platforms.tasks import all_of

PLATFORM = "meta"
INSIGHT_FIELDS = [
    "date_start",
    "spend",
    "impressions",
    "clicks",
    "reach",
    "frequency",
    "actions",
    "inline_post_engagement",
]
CAMPAIGN_FIELDS = [
    "id",
    "name",
    "status",
    "effective_status",
    "account_id",
    "daily_budget",
    "adlabels",
]
ADSET_FIELDS = [
    "id",
    "name",
    "status",
    "daily_budget",
    "bid_amount",
    "bid_strategy",
    "targeting",
    "adlabels",
]
AD_FIELDS = ["id", "name", "status", "effective_status", "adset_id", "created_time", "adlabels"]


class MetaPlatform:
    name = PLATFORM

    def __init__(self, config: MetaConfig, *, today: Callable[[], date] | None = None) -> None:
        self._config = config
        self._wire = MetaWire(config)
        self._today = today or (lambda: datetime.now(UTC).date())
        self._offsets: dict[str, int] = {}

    async def aclose(self) -> None:
        self._wire.close()

    # ------------------------------------------------------------------------- reads

    async def list_campaigns(self) -> list[CampaignSummary]:
        account = self._config.ad_account_id
        if not account:
            return []
        campaigns = await self._call(
            lambda: list(
                AdAccount(account, api=self._wire.api).get_campaigns(
                    fields=["id", "name", "status"]
                )
            ),
            "campaign list",
        )
        return [
            CampaignSummary(
                campaign_id=f"{account}:{c['id']}",
                campaign_name=c["name"],
                platform=PLATFORM,
                status=_status(c["status"]),
            )
            for c in campaigns
        ]

    async def campaign_metrics(self, campaign_id: str, days: int) -> CampaignMetrics:
        current, previous = periods(self._today(), days)
        state, daily = await all_of(
            self._state(campaign_id),
            self._daily(campaign_id, Period(previous.start, current.end)),
        )
        now, before = reports.in_period(daily, current), reports.in_period(daily, previous)
        return reports.campaign_metrics(
            campaign_id=campaign_id,
            campaign_name=state.campaign.name,
            platform=PLATFORM,
            daily=daily,
            current=current,
            previous=previous,
            daily_budget=state.daily_budget,
            current_bid=state.bid,
            status=_status(state.campaign.status),
            frequency=round(now.frequency, 2),
            frequency_change_pct=reports.change_pct(now.frequency, before.frequency),
        )

    async def creatives(self, campaign_id: str, days: int) -> list[CreativeMetrics]:
        today = self._today()
        current, previous = periods(today, days)
        state, now, before = await all_of(
            self._state(campaign_id),
            self._per(campaign_id, "ad", current),
            self._per(campaign_id, "ad", previous),
        )
        creatives = []
        for ad in state.active_ads:
            n, b = now.get(ad.ad_id, Totals()), before.get(ad.ad_id, Totals())
            ctr_change = reports.change_pct(n.ctr, b.ctr) if b.impressions else None
            engagements = n.extra.get("engagements", 0.0)
            creatives.append(
                CreativeMetrics(
                    creative_id=ad.ad_id,
                    creative_name=ad.name,
                    ctr=round(n.ctr, 4),
                    ctr_change_pct=ctr_change,
                    ctr_trend=reports.ctr_trend(ctr_change),
                    engagement_rate=round(100 * engagements / n.impressions, 4)
                    if n.impressions
                    else None,
                    creative_age_days=max(0, (today - ad.created.date()).days),
                    average_frequency=round(n.frequency, 2),
                    frequency_trend=reports.frequency_trend(
                        reports.change_pct(n.frequency, b.frequency)
                    ),
                    total_impressions=n.impressions,
                    unique_reach=round(n.reach),
                )
            )
        return creatives

    async def audience(self, campaign_id: str, days: int) -> AudienceData:
        current, previous = periods(self._today(), days)
        now, before, per_adset, breakdowns = await all_of(
            self._period(campaign_id, current),
            self._period(campaign_id, previous),
            self._per(campaign_id, "adset", current),
            self._breakdowns(campaign_id, current),
        )
        state = await self._state(campaign_id)
        return AudienceData(
            # Meta's insights give the people reached, not the targetable audience: a lower
            # bound, the same one Google Ads reports.
            audience_size=round(now.reach),
            reach=round(now.reach),
            reach_change_pct=reports.change_pct(now.reach, before.reach),
            average_frequency=round(now.frequency, 2),
            frequency_trend=reports.frequency_trend(
                reports.change_pct(now.frequency, before.frequency)
            ),
            # Ad sets carry the budgets a reallocation moves.
            segments=[
                reports.segment(adset.adset_id, adset.name, per_adset.get(adset.adset_id, Totals()))
                for adset in state.running_adsets
            ],
            breakdowns=breakdowns,
        )

    async def competitors(self, campaign_id: str, days: int) -> CompetitorSignals:
        raise PlatformError(
            ErrorKind.unsupported,
            "Meta's Marketing API reports no auction or competitor data: the analysis goes on "
            "without the competitors source",
            retryable=False,
        )

    async def history(self, campaign_id: str, days: int) -> HistoryData:
        today = self._today()
        window = Period(today - timedelta(days=days), today - timedelta(days=1))
        return reports.history(await self._daily(campaign_id, window), window)

    async def settings(self, campaign_id: str) -> CampaignSettings:
        state = await self._state(campaign_id)
        return CampaignSettings(
            status=_status(state.campaign.status),
            bid=state.bid,
            daily_budget=state.daily_budget,
            audience_size=None,
            creative_ids=[ad.ad_id for ad in state.active_ads],
            segment_budgets={
                adset.adset_id: adset.daily_budget / state.offset
                for adset in state.running_adsets
                if adset.daily_budget is not None
            },
        )

    async def spend_report(self, campaign_id: str, since: date) -> SpendReport:
        today = self._today()
        state, daily = await all_of(
            self._state(campaign_id), self._daily(campaign_id, Period(since, today))
        )
        return reports.spend_report(
            campaign_id=campaign_id,
            campaign_name=state.campaign.name,
            status=_status(state.campaign.status),
            daily_budget=state.daily_budget,
            daily=daily,
            today=today,
        )

    # ------------------------------------------------------------------------- writes

    async def dry_run(
        self, campaign_id: str, action: ActionType, parameters: ActionParameters
    ) -> ActionOutcome:
        state = await self._state(campaign_id)
        plan = changes.plan(state, action, parameters, label=None)
        if isinstance(plan, ActionOutcome):
            return plan.model_copy(update={"dry_run": True})
        for write in plan.writes:
            await self._write(write, validate_only=True)
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
        state = await self._state(campaign_id)
        label = label_name(idempotency_key)
        plan = changes.plan(state, action, parameters, label=label)
        if isinstance(plan, ActionOutcome):
            return plan
        pending = [write for write in plan.writes if not write.done]
        if not pending:
            return ActionOutcome(
                applied=True,
                already_applied=True,
                message=f"already applied: every changed object carries label '{label}'",
            )
        for write in pending:
            await self._write(write, validate_only=False)
        resumed = len(pending) < len(plan.writes)
        return ActionOutcome(
            applied=True,
            before=plan.before,
            after=plan.after,
            message=plan.message + (" (finishing a partly applied change)" if resumed else ""),
            executed_at=datetime.now(UTC),
        )

    async def _write(self, write: changes.Write, *, validate_only: bool) -> None:
        params = dict(write.params)
        if validate_only:
            params["execution_options"] = ["validate_only"]
        node = _NODES[write.kind](write.object_id, api=self._wire.api)
        what = f"change of {write.kind} {write.object_id}"
        await self._call(lambda: node.api_update(params=params), what)

    # ------------------------------------------------------------------------- queries

    async def _call(self, fn: Callable[[], Any], what: str) -> Any:
        return await self._wire.call(fn, what=what)

    def _campaign(self, campaign_id: str) -> Campaign:
        _, campaign = split_campaign_id(campaign_id)
        if not campaign.isdigit():
            raise PlatformError(
                ErrorKind.not_found,
                f"{campaign_id!r} is not a Meta campaign id (act_ACCOUNT:CAMPAIGN, digits)",
                retryable=False,
            )
        return Campaign(campaign, api=self._wire.api)

    async def _state(self, campaign_id: str) -> MetaState:
        campaign = self._campaign(campaign_id)
        info, adsets, ads = await all_of(
            self._call(lambda: campaign.api_get(fields=CAMPAIGN_FIELDS), f"campaign {campaign_id}"),
            self._call(
                lambda: list(campaign.get_ad_sets(fields=ADSET_FIELDS)), f"ad sets of {campaign_id}"
            ),
            self._call(lambda: list(campaign.get_ads(fields=AD_FIELDS)), f"ads of {campaign_id}"),
        )
        offset = await self._offset(str(info["account_id"]))
        return MetaState.of(dict(info), [dict(a) for a in adsets], [dict(a) for a in ads], offset)

    async def _offset(self, account_id: str) -> int:
        if account_id not in self._offsets:
            account = AdAccount(f"act_{account_id}", api=self._wire.api)
            info = await self._call(
                lambda: account.api_get(fields=["currency"]), "account currency"
            )
            self._offsets[account_id] = minor_unit_offset(info["currency"])
        return self._offsets[account_id]

    async def _insights(self, campaign_id: str, params: dict[str, Any], fields: list[str]) -> list:
        campaign = self._campaign(campaign_id)
        return await self._call(
            lambda: [dict(row) for row in campaign.get_insights(fields=fields, params=params)],
            f"insights of {campaign_id}",
        )

    async def _daily(self, campaign_id: str, window: Period) -> dict[date, Totals]:
        rows = await self._insights(
            campaign_id, {"time_range": _range(window), "time_increment": 1}, INSIGHT_FIELDS
        )
        return {date.fromisoformat(row["date_start"]): self._totals(row) for row in rows}

    async def _period(self, campaign_id: str, period: Period) -> Totals:
        rows = await self._insights(campaign_id, {"time_range": _range(period)}, INSIGHT_FIELDS)
        return Totals.of(self._totals(row) for row in rows)

    async def _per(self, campaign_id: str, level: str, period: Period) -> dict[str, Totals]:
        key = f"{level}_id"
        rows = await self._insights(
            campaign_id,
            {"time_range": _range(period), "level": level},
            [key, *INSIGHT_FIELDS],
        )
        return {str(row[key]): self._totals(row) for row in rows}

    async def _breakdowns(self, campaign_id: str, period: Period) -> list[dict]:
        found = []
        for breakdown in ("age", "gender"):
            rows = await self._insights(
                campaign_id,
                {"time_range": _range(period), "breakdowns": [breakdown]},
                INSIGHT_FIELDS,
            )
            for row in rows:
                value = str(row.get(breakdown, "unknown"))
                found.append(
                    {
                        "dimension": breakdown,
                        **reports.segment(value, value, self._totals(row)).model_dump(),
                    }
                )
        return found

    def _totals(self, row: dict[str, Any]) -> Totals:
        conversions = sum(
            float(action.get("value", 0))
            for action in row.get("actions") or []
            if action.get("action_type") == self._config.conversion_action_type
        )
        return Totals(
            spend=float(row.get("spend") or 0),
            impressions=int(row.get("impressions") or 0),
            clicks=int(row.get("clicks") or 0),
            conversions=conversions,
            reach=float(row.get("reach") or 0),
            extra={"engagements": float(row.get("inline_post_engagement") or 0)},
        )


def label_name(idempotency_key: str) -> str:
    return "marketing-agent " + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def _range(period: Period) -> dict[str, str]:
    return {"since": period.start.isoformat(), "until": period.end.isoformat()}


def _status(status: str) -> str:
    return {"ACTIVE": "active", "PAUSED": "paused"}.get(status, status.lower())


_NODES = {"campaign": Campaign, "adset": AdSet, "ad": Ad}
