"""The KPI watch's side effects: list the account's campaigns, read their KPIs and what is
open or cooling down in our store, start analyses (as the API does), store the pass.

The decisions are ``domain.watch``'s; the order is ``workflows.watch``'s.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from temporalio import activity

from activities.analysis_start import AnalysisStarter, StartFailed, short
from activities.platform_errors import calling, to_application_error
from domain.context import CampaignMetrics
from domain.passes import AnalysisStart, StartAnalysis, WatchChunk
from domain.platform import CampaignStatus, CampaignSummary
from domain.watch import (
    METRICS_DAYS,
    CampaignWatch,
    WatchSummary,
    WatchVerdict,
    kpi_moves,
    watch_verdict,
)
from platforms.errors import ErrorKind, PlatformError
from platforms.port import AdPlatform
from workflows import activity_names as names

if TYPE_CHECKING:
    from store.monitor import MonitorStore

# Platform reads in flight at once per chunk: polite to the platform's rate limits.
READ_CONCURRENCY = 8


class WatchActivities:
    def __init__(self, platform: AdPlatform, monitor: MonitorStore, starter: AnalysisStarter):
        self._platform = platform
        self._monitor = monitor
        self._starter = starter

    @activity.defn(name=names.LIST_WATCH_CAMPAIGNS)
    async def list_watch_campaigns(self, pass_id: str) -> list[CampaignSummary]:
        activity.logger.info("Watch pass %s lists the campaigns", pass_id)
        return await calling(self._platform.list_campaigns())

    @activity.defn(name=names.ASSESS_KPI_MOVES)
    async def assess_kpi_moves(self, chunk: WatchChunk) -> list[CampaignWatch]:
        """Each campaign's verdict: what moved, and whether to analyse it now."""
        ids = [c.campaign_id for c in chunk.campaigns]
        open_recs = await self._monitor.open_recommendations(ids)
        changes = await self._monitor.last_changes(ids)
        gate = asyncio.Semaphore(READ_CONCURRENCY)

        async def one(campaign: CampaignSummary) -> CampaignWatch:
            if campaign.status.lower() != CampaignStatus.active:
                return CampaignWatch(
                    campaign_id=campaign.campaign_id,
                    campaign_name=campaign.campaign_name,
                    verdict=WatchVerdict.inactive,
                    reason=f"{campaign.status} on the platform",
                )
            async with gate:
                metrics = await self._metrics(campaign.campaign_id)
            if isinstance(metrics, str):
                return CampaignWatch(
                    campaign_id=campaign.campaign_id,
                    campaign_name=campaign.campaign_name,
                    verdict=WatchVerdict.unavailable,
                    reason=metrics,
                )
            return watch_verdict(
                campaign.campaign_id,
                campaign.campaign_name,
                kpi_moves(metrics, chunk.thresholds),
                open_recommendation=open_recs.get(campaign.campaign_id),
                last_change=changes.get(campaign.campaign_id),
                cooldown=chunk.change_cooldown,
                now=chunk.at,
            )

        return list(await asyncio.gather(*(one(c) for c in chunk.campaigns)))

    @activity.defn(name=names.START_WATCH_ANALYSIS)
    async def start_watch_analysis(self, request: StartAnalysis) -> AnalysisStart:
        """Start an analysis the way the API does (row first, deduplicated, idempotent: a
        retry finds the row its first attempt wrote and makes sure its run exists)."""
        try:
            started = await self._starter.start(request.campaign_id, request.requested_by)
        except StartFailed as failure:
            return AnalysisStart(
                recommendation_id=failure.recommendation_id,
                deduplicated=False,
                error=short(failure.cause),
            )
        return AnalysisStart(
            recommendation_id=started.record.recommendation_id,
            deduplicated=started.deduplicated,
        )

    @activity.defn(name=names.SAVE_WATCH_PASS)
    async def save_watch_pass(self, summary: WatchSummary) -> None:
        await self._monitor.save_watch_pass(summary)

    async def _metrics(self, campaign_id: str) -> CampaignMetrics | str:
        """The campaign's week against the week before, or why there is none (a retryable
        platform failure raises: the chunk is retried)."""
        try:
            return await self._platform.campaign_metrics(campaign_id, METRICS_DAYS)
        except PlatformError as err:
            if not err.retryable and err.kind in NO_METRICS:
                return f"no metrics: {err.message[:200]}"
            raise to_application_error(err) from err


# A campaign the platform cannot report on: skipped with the reason, not retried.
NO_METRICS = (ErrorKind.not_found, ErrorKind.missing_metrics, ErrorKind.invalid)
