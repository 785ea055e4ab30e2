"""Every side effect of the lifecycle, as Temporal activities (names: workflows.activity_names)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from temporalio.client import Client

from activities.changes import CampaignChangeActivities
from activities.collectors import AdPlatformCollectors
from activities.execution import ExecutionActivities
from activities.persistence import PersistenceActivities
from activities.portfolio import PortfolioActivities, build_summary_writer
from activities.reasoning import Reasoner, ReasoningActivities, build_reasoner

if TYPE_CHECKING:
    from platforms.port import AdPlatform
    from settings import Settings
    from store.repository import Store


def build_activities(
    settings: Settings,
    store: Store,
    platform: AdPlatform,
    client: Client,
    *,
    reasoner: Reasoner | None = None,
) -> list[Callable[..., Any]]:
    """All activities the worker registers; ``platform`` is the ad-platform port
    (``platforms.registry.open_platform``), ``client`` the worker's Temporal client (the
    campaign change queue is started through it)."""
    collectors = AdPlatformCollectors(platform, on_campaign=store.upsert_campaign)
    reasoning = ReasoningActivities(reasoner or build_reasoner(settings))
    persistence = PersistenceActivities(store)
    execution = ExecutionActivities(platform, store)
    changes = CampaignChangeActivities(client, store)
    portfolio = PortfolioActivities(platform, store, settings, build_summary_writer(settings))
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
        portfolio.save_portfolio_status,
        portfolio.run_portfolio_review,
        portfolio.draft_portfolio_summary,
        portfolio.attach_portfolio_summary,
    ]
