"""Every side effect of the lifecycle, as Temporal activities (names: workflows.activity_names)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
from temporalio.client import Client

from activities.changes import CampaignChangeActivities
from activities.collectors import AdPlatformCollectors
from activities.execution import ExecutionActivities
from activities.persistence import PersistenceActivities
from activities.reasoning import Reasoner, ReasoningActivities, build_reasoner

if TYPE_CHECKING:
    from settings import Settings
    from store.repository import Store


def build_activities(
    settings: Settings,
    store: Store,
    http_client: httpx.AsyncClient,
    client: Client,
    *,
    reasoner: Reasoner | None = None,
) -> list[Callable[..., Any]]:
    """All activities the worker registers; ``http_client`` is based at the ad platform URL,
    ``client`` is the worker's Temporal client (the change queue is started through it)."""
    collectors = AdPlatformCollectors(http_client, on_campaign=store.upsert_campaign)
    reasoning = ReasoningActivities(reasoner or build_reasoner(settings))
    persistence = PersistenceActivities(store)
    execution = ExecutionActivities(http_client, store)
    changes = CampaignChangeActivities(client, store)
    return [
        collectors.collect_campaign,
        collectors.collect_creatives,
        collectors.collect_competitors,
        collectors.collect_audience,
        collectors.collect_history,
        collectors.measure_campaign,
        reasoning.analyze_signals,
        reasoning.generate_recommendation,
        reasoning.critique_recommendation,
        persistence.sync_state,
        persistence.record_audit_event,
        execution.execute_action,
        changes.submit_campaign_change,
        changes.last_campaign_change,
    ]
