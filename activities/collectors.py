"""Context collectors: the five sources of DESIGN §2, read through the ad-platform port.

The adapters answer in the domain's contract (validated there, so a malformed payload fails
and is retried instead of confusing the reasoner). Only ``collect_campaign`` is required; the
workflow turns a failed optional source into a gap in the context.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import metrics
from activities.platform_errors import calling
from domain.context import (
    AudienceData,
    CampaignMetrics,
    CompetitorSignals,
    CreativeMetrics,
    HistoryData,
)
from domain.lifecycle import MetricsWindow
from platforms.port import AdPlatform
from workflows import activity_names as names

log = logging.getLogger(__name__)

# Called with every campaign snapshot collected (the worker passes Store.upsert_campaign).
CampaignObserver = Callable[[CampaignMetrics], Awaitable[None]]


class AdPlatformCollectors:
    """The collector activities, over one shared ad-platform port."""

    def __init__(
        self,
        platform: AdPlatform,
        *,
        metrics_days: int = 7,
        history_days: int = 30,
        on_campaign: CampaignObserver | None = None,
    ) -> None:
        self._platform = platform
        self._metrics_days = metrics_days
        self._history_days = history_days
        self._on_campaign = on_campaign

    @activity.defn(name=names.COLLECT_CAMPAIGN)
    async def collect_campaign(self, campaign_id: str) -> CampaignMetrics:
        async with _counting_failures("campaign"):
            campaign = await calling(
                self._platform.campaign_metrics(campaign_id, self._metrics_days)
            )
            if campaign.impressions == 0 and campaign.spend == 0 and campaign.clicks == 0:
                why = "no delivery in the period (zero spend and impressions)"
                raise _missing(campaign_id, why)
        await self._observe(campaign)
        return campaign

    @activity.defn(name=names.MEASURE_CAMPAIGN)
    async def measure_campaign(self, window: MetricsWindow) -> CampaignMetrics:
        """Metrics for an outcome snapshot: zero delivery is a valid answer here (a paused
        campaign), so only a missing campaign or missing figures fail."""
        async with _counting_failures("measurement"):
            return await calling(self._platform.campaign_metrics(window.campaign_id, window.days))

    @activity.defn(name=names.COLLECT_CREATIVES)
    async def collect_creatives(self, campaign_id: str) -> list[CreativeMetrics]:
        async with _counting_failures("creatives"):
            return await calling(self._platform.creatives(campaign_id, self._metrics_days))

    @activity.defn(name=names.COLLECT_COMPETITORS)
    async def collect_competitors(self, campaign_id: str) -> CompetitorSignals:
        async with _counting_failures("competitors"):
            return await calling(self._platform.competitors(campaign_id, self._metrics_days))

    @activity.defn(name=names.COLLECT_AUDIENCE)
    async def collect_audience(self, campaign_id: str) -> AudienceData:
        async with _counting_failures("audience"):
            return await calling(self._platform.audience(campaign_id, self._metrics_days))

    @activity.defn(name=names.COLLECT_HISTORY)
    async def collect_history(self, campaign_id: str) -> HistoryData:
        async with _counting_failures("history"):
            return await calling(self._platform.history(campaign_id, self._history_days))

    async def _observe(self, metrics: CampaignMetrics) -> None:
        """Keep the latest snapshot in our store; a failure there must not fail the collection."""
        if self._on_campaign is None:
            return
        try:
            await self._on_campaign(metrics)
        except Exception:
            log.warning("Could not store the snapshot of %s", metrics.campaign_id, exc_info=True)


@asynccontextmanager
async def _counting_failures(source: str) -> AsyncIterator[None]:
    """Count a failed attempt to read ``source`` (collector_failures_total): each attempt is a
    real call that failed, whether or not a retry then succeeds."""
    try:
        yield
    except ApplicationError as err:
        metrics.record_collector_failure(source, err.type or "unknown")
        raise
    except Exception as err:  # a bug or an unmapped failure: still a failed collection
        metrics.record_collector_failure(source, type(err).__name__)
        raise


def _missing(campaign_id: str, why: str) -> ApplicationError:
    return ApplicationError(
        f"campaign {campaign_id} has no usable metrics: {why}",
        type=names.MISSING_METRICS,
        non_retryable=True,
    )
