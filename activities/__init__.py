"""Every side effect of the lifecycle, as Temporal activities (names: workflows.activity_names)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio.client import Client

from activities.analysis_start import AnalysisStarter
from activities.changes import CampaignChangeActivities
from activities.collectors import AdPlatformCollectors
from activities.execution import ExecutionActivities
from activities.notify import (
    LifecycleNotifications,
    NotificationActivities,
    NotificationQueue,
    Notifier,
    build_notifiers,
)
from activities.pacing import PacingActivities
from activities.persistence import PersistenceActivities
from activities.portfolio import PortfolioActivities, build_summary_writer
from activities.reasoning import Reasoner, ReasoningActivities, build_reasoner
from activities.watch import WatchActivities
from store.monitor import MonitorStore

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
    monitor: MonitorStore | None = None,
    notifiers: list[Notifier] | None = None,
) -> list[Callable[..., Any]]:
    """All activities the worker registers; ``platform`` is the ad-platform port
    (``platforms.registry.open_platform``), ``client`` the worker's Temporal client (the
    campaign change queue, notifications, analyses and halts are started through it)."""
    monitor = monitor or MonitorStore(store.engine)
    queue = NotificationQueue(client, settings.temporal_task_queue)
    lifecycle_notifications = LifecycleNotifications(
        queue,
        settings.public_base_url,
        review_timeout=timedelta(seconds=settings.review_timeout_seconds),
        reminder_lead=timedelta(hours=settings.notify_review_reminder_hours),
    )
    collectors = AdPlatformCollectors(platform, on_campaign=store.upsert_campaign)
    reasoning = ReasoningActivities(reasoner or build_reasoner(settings))
    persistence = PersistenceActivities(store, on_synced=lifecycle_notifications.state_synced)
    execution = ExecutionActivities(platform, store)
    changes = CampaignChangeActivities(client, store)
    portfolio = PortfolioActivities(platform, store, settings, build_summary_writer(settings))
    notifications = NotificationActivities(
        notifiers
        if notifiers is not None
        else build_notifiers(settings.notify_url_list(), settings.notify_timeout_seconds),
        monitor,
        store,
        queue,
    )
    starter = AnalysisStarter(
        store,
        client,
        settings.temporal_task_queue,
        settings.lifecycle_policy(),
        timedelta(hours=settings.dedup_window_hours),
    )
    watch = WatchActivities(platform, monitor, starter)
    pacing = PacingActivities(platform, monitor, client)
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
        persistence.save_state,
        execution.execute_action,
        changes.submit_campaign_change,
        changes.last_campaign_change,
        portfolio.save_portfolio_status,
        portfolio.run_portfolio_review,
        portfolio.draft_portfolio_summary,
        portfolio.attach_portfolio_summary,
        notifications.deliver_notification,
        notifications.queue_notifications,
        watch.list_watch_campaigns,
        watch.assess_kpi_moves,
        watch.start_watch_analysis,
        watch.save_watch_pass,
        pacing.begin_pacing_pass,
        pacing.assess_pacing,
        pacing.finish_pacing_pass,
        pacing.start_pacing_halts,
        pacing.record_halt_outcome,
    ]
