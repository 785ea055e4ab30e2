"""Context collectors: the five sources of DESIGN §2, read from the ad platform over HTTP.

Every answer is validated against the domain contract, so a malformed payload fails here (and is
retried) instead of confusing the reasoner. Only ``collect_campaign`` is required; the workflow
turns a failed optional source into a gap in the context.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from pydantic import TypeAdapter
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import http_errors
from domain.context import (
    AudienceData,
    CampaignMetrics,
    CompetitorSignals,
    CreativeMetrics,
    HistoryData,
)
from domain.lifecycle import MetricsWindow
from workflows import activity_names as names

_CAMPAIGN = TypeAdapter(CampaignMetrics)
_CREATIVES = TypeAdapter(list[CreativeMetrics])
_COMPETITORS = TypeAdapter(CompetitorSignals)
_AUDIENCE = TypeAdapter(AudienceData)
_HISTORY = TypeAdapter(HistoryData)

log = logging.getLogger(__name__)

# Called with every campaign snapshot collected (the worker passes Store.upsert_campaign).
CampaignObserver = Callable[[CampaignMetrics], Awaitable[None]]

# Without these there is nothing to reason about, as opposed to a garbled body.
_DELIVERY_FIELDS = ("spend", "impressions")


class AdPlatformCollectors:
    """The collector activities; one shared client (base URL = the ad platform)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        metrics_days: int = 7,
        history_days: int = 30,
        on_campaign: CampaignObserver | None = None,
    ) -> None:
        self._client = client
        self._metrics_days = metrics_days
        self._history_days = history_days
        self._on_campaign = on_campaign

    @activity.defn(name=names.COLLECT_CAMPAIGN)
    async def collect_campaign(self, campaign_id: str) -> CampaignMetrics:
        metrics = await self._campaign_metrics(campaign_id, self._metrics_days)
        if metrics.impressions == 0 and metrics.spend == 0 and metrics.clicks == 0:
            raise _missing(campaign_id, "no delivery in the period (zero spend and impressions)")
        await self._observe(metrics)
        return metrics

    @activity.defn(name=names.MEASURE_CAMPAIGN)
    async def measure_campaign(self, window: MetricsWindow) -> CampaignMetrics:
        """Metrics for an outcome snapshot: zero delivery is a valid answer here (a paused
        campaign), so only a missing campaign or missing figures fail."""
        return await self._campaign_metrics(window.campaign_id, window.days)

    async def _campaign_metrics(self, campaign_id: str, days: int) -> CampaignMetrics:
        body = await self._get(
            f"/campaigns/{http_errors.path_segment(campaign_id)}/metrics",
            params={"days": days},
            not_found_type=names.CAMPAIGN_NOT_FOUND,
        )
        _require_metrics(campaign_id, body)
        return http_errors.validate(_CAMPAIGN, body, f"metrics of {campaign_id}")

    @activity.defn(name=names.COLLECT_CREATIVES)
    async def collect_creatives(self, campaign_id: str) -> list[CreativeMetrics]:
        body = await self._get(f"/campaigns/{http_errors.path_segment(campaign_id)}/creatives")
        items = body.get("creatives") if isinstance(body, dict) else None
        if items is None:
            raise ApplicationError(
                f"creatives of {campaign_id}: expected {{'creatives': [...]}}",
                type=http_errors.MALFORMED_RESPONSE,
            )
        return http_errors.validate(_CREATIVES, items, f"creatives of {campaign_id}")

    @activity.defn(name=names.COLLECT_COMPETITORS)
    async def collect_competitors(self, campaign_id: str) -> CompetitorSignals:
        body = await self._get(f"/campaigns/{http_errors.path_segment(campaign_id)}/competitors")
        return http_errors.validate(_COMPETITORS, body, f"competitors of {campaign_id}")

    @activity.defn(name=names.COLLECT_AUDIENCE)
    async def collect_audience(self, campaign_id: str) -> AudienceData:
        body = await self._get(f"/campaigns/{http_errors.path_segment(campaign_id)}/audience")
        return http_errors.validate(_AUDIENCE, body, f"audience of {campaign_id}")

    @activity.defn(name=names.COLLECT_HISTORY)
    async def collect_history(self, campaign_id: str) -> HistoryData:
        body = await self._get(
            f"/campaigns/{http_errors.path_segment(campaign_id)}/history",
            params={"days": self._history_days},
        )
        return http_errors.validate(_HISTORY, body, f"history of {campaign_id}")

    async def _observe(self, metrics: CampaignMetrics) -> None:
        """Keep the latest snapshot in our store; a failure there must not fail the collection."""
        if self._on_campaign is None:
            return
        try:
            await self._on_campaign(metrics)
        except Exception:
            log.warning("Could not store the snapshot of %s", metrics.campaign_id, exc_info=True)

    async def _get(
        self,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        not_found_type: str = http_errors.NOT_FOUND,
    ) -> Any:
        response = await http_errors.request(self._client, "GET", path, params=params)
        http_errors.raise_for_status(response, not_found_type=not_found_type)
        if response.status_code == 204 or not response.content.strip():
            return None  # "nothing here": the caller decides whether that is missing data
        return http_errors.json_body(response)


def _require_metrics(campaign_id: str, body: Any) -> None:
    """A well-formed answer without the delivery numbers means the platform has no metrics."""
    if body is None or body == {}:
        raise _missing(campaign_id, "the platform returned no metrics")
    if isinstance(body, dict) and all(body.get(field) is None for field in _DELIVERY_FIELDS):
        raise _missing(campaign_id, "the metrics lack spend and impressions")


def _missing(campaign_id: str, why: str) -> ApplicationError:
    return ApplicationError(
        f"campaign {campaign_id} has no usable metrics: {why}",
        type=names.MISSING_METRICS,
        non_retryable=True,
    )
