"""The worker process: ``python -m workers.worker``.

Registers the workflows (RecommendationWorkflow, CampaignChangesWorkflow, the KPI watch, the
pacing monitor, its halts, notification delivery, PortfolioReviewWorkflow) and every activity on
``settings.temporal_task_queue``; at start-up it creates or updates the schedules
(``workers.schedules``). All configuration comes from the environment (``settings.Settings``);
see ``--help``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker, WorkerDeploymentConfig

from activities import build_activities, metrics
from activities.llm.prompts import PromptRegistry
from activities.notify import Notifier, NotifierConfigurationError, build_notifiers
from activities.reasoning import Reasoner, build_reasoner, close_reasoner
from platforms.port import AdPlatform
from platforms.registry import PlatformConfigurationError, open_platform
from settings import ConfigurationError, Settings, get_settings
from store.repository import open_store
from telemetry import tracing
from workers import schedules
from workers.logs import configure_json_logging
from workflows.campaign_changes import CampaignChangesWorkflow
from workflows.notifications import NotificationWorkflow
from workflows.pacing import PacingHaltWorkflow, PacingMonitorWorkflow
from workflows.portfolio_review import PortfolioReviewWorkflow
from workflows.recommendation import RecommendationWorkflow
from workflows.watch import KpiWatchWorkflow

WORKFLOWS = [
    RecommendationWorkflow,
    CampaignChangesWorkflow,
    KpiWatchWorkflow,
    PacingMonitorWorkflow,
    PacingHaltWorkflow,
    NotificationWorkflow,
    PortfolioReviewWorkflow,
]

log = logging.getLogger("workers.worker")

DEFAULT_GRACEFUL_SHUTDOWN = timedelta(seconds=10)


async def connect_client(settings: Settings, *, runtime: Runtime | None = None) -> Client:
    """A Temporal client with the project's data converter (pydantic)."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key,
        # None lets the SDK turn TLS on by itself when an API key is set (Temporal Cloud).
        tls=True if settings.temporal_tls else None,
        data_converter=pydantic_data_converter,
        runtime=runtime,
        interceptors=tracing.temporal_interceptors(),
    )


def build_worker(
    client: Client,
    settings: Settings,
    activities: Sequence[Callable[..., Any]],
    *,
    graceful_shutdown: timedelta = DEFAULT_GRACEFUL_SHUTDOWN,
) -> Worker:
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=WORKFLOWS,
        activities=list(activities),
        # DESIGN §7: a cache smaller than the runs in flight multiplies replays.
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_activities=settings.max_concurrent_activities,
        graceful_shutdown_timeout=graceful_shutdown,
        deployment_config=deployment_config(settings),
    )


def deployment_config(settings: Settings) -> WorkerDeploymentConfig | None:
    """Worker versioning when TEMPORAL_DEPLOYMENT_NAME and TEMPORAL_BUILD_ID are both set.

    Workflows default to AUTO_UPGRADE: they move to the deployment's current version on their
    next task, which is safe because every workflow change is guarded by ``workflow.patched``
    (pinning would keep a 6-day run on an old build that the next deploy removes)."""
    name, build_id = settings.temporal_deployment_name, settings.temporal_build_id
    if not name and not build_id:
        return None
    if not (name and build_id):
        raise ConfigurationError(
            "set both TEMPORAL_DEPLOYMENT_NAME and TEMPORAL_BUILD_ID for worker versioning, "
            "or neither"
        )
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(deployment_name=name, build_id=build_id),
        use_worker_versioning=True,
        default_versioning_behavior=VersioningBehavior.AUTO_UPGRADE,
    )


def prepare_reasoner(settings: Settings) -> Reasoner:
    """Check the configuration before connecting anywhere: every prompt file is valid (even
    with the rules reasoner, so a broken prompt is caught before anyone switches to an LLM) and
    the reasoner can be built. Raises ConfigurationError naming what is wrong."""
    PromptRegistry.load(settings.prompts_dir).select(settings.prompt_version)
    return build_reasoner(settings)


async def run_worker(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    client: Client | None = None,
    reasoner: Reasoner | None = None,
    platform: AdPlatform | None = None,
    graceful_shutdown: timedelta = DEFAULT_GRACEFUL_SHUTDOWN,
) -> None:
    """Run until ``stop`` is set (forever without one). Usable in-process by tests."""
    deployment_config(settings)  # refuse a half-configured version before connecting
    reasoner = reasoner or prepare_reasoner(settings)
    platform = platform or prepare_platform(settings)
    notifiers = prepare_notifiers(settings)
    client = client or await connect_client(settings)
    stop = stop or asyncio.Event()
    store = await open_store(settings.database_url, migrate=True)
    try:
        activities = build_activities(
            settings, store, platform, client, reasoner=reasoner, notifiers=notifiers
        )
        worker = build_worker(client, settings, activities, graceful_shutdown=graceful_shutdown)
        if settings.schedules_apply_on_start:
            await schedules.apply(client, settings)
        async with worker:
            log.info(
                "Worker polling task queue %s on %s (namespace %s, reasoner %s, ad platform %s)",
                settings.temporal_task_queue,
                settings.temporal_address,
                settings.temporal_namespace,
                reasoner.name,
                platform.name,
            )
            await stop.wait()
            log.info("Stopping: finishing running activities (up to %s)", graceful_shutdown)
    finally:
        await close_reasoner(reasoner)
        await platform.aclose()
        await store.close()
    log.info("Worker stopped")


def prepare_platform(settings: Settings) -> AdPlatform:
    """The ad-platform adapter(s) the settings name; ConfigurationError names what is missing."""
    try:
        return open_platform(settings.platforms_config())
    except PlatformConfigurationError as err:
        raise ConfigurationError(str(err)) from err


def prepare_notifiers(settings: Settings) -> list[Notifier]:
    """The log and every NOTIFY_URLS target; ConfigurationError names a bad entry."""
    try:
        return build_notifiers(settings.notify_url_list(), settings.notify_timeout_seconds)
    except NotifierConfigurationError as err:
        raise ConfigurationError(str(err)) from err


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m workers.worker",
        description=(
            "Temporal worker of the marketing reasoning agent. Configured by environment "
            "variables (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, "
            "TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_DEPLOYMENT_NAME, TEMPORAL_BUILD_ID, "
            "DATABASE_URL, AD_PLATFORM, AD_PLATFORM_URL, GOOGLE_ADS_*, META_*, REASONER, "
            "MAX_CACHED_WORKFLOWS, CHANGE_COOLDOWN_SECONDS, WATCH_INTERVAL, PACING_INTERVAL, "
            "PACING_AUTONOMOUS_HALT, PACING__*, NOTIFY_URLS, SCHEDULES_APPLY_ON_START, "
            "OTEL_TRACES_EXPORTER (none, console, otlp), OTEL_EXPORTER_OTLP_ENDPOINT, ...; "
            "see settings.py) or a .env file."
        ),
    )
    parser.add_argument("--log-level", default="INFO", help="root log level (default INFO)")
    parser.add_argument(
        "--graceful-shutdown-seconds",
        type=float,
        default=DEFAULT_GRACEFUL_SHUTDOWN.total_seconds(),
        help="on SIGTERM/SIGINT, how long running activities may finish (default 10)",
    )
    parser.add_argument(
        "--metrics-bind",
        default=None,
        metavar="HOST:PORT",
        help="serve the Temporal SDK's Prometheus metrics here (off by default)",
    )
    parser.add_argument(
        "--app-metrics-bind",
        default=None,
        metavar="HOST:PORT",
        help="serve the agent's own Prometheus metrics here: recommendations_total, "
        "recommendation_acceptance_total, workflow_execution_total, action_executions_total, "
        "llm_tokens_total, llm_cost_usd_total, llm_api_errors_total, ... (off by default)",
    )
    parser.add_argument(
        "--metrics-final-scrape-seconds",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="on shutdown, after the activities have finished, keep serving the app metrics "
        "until Prometheus scrapes them once more (at most this long), so the last counts of "
        "this process are not lost with it; set it above the scrape interval (default 0: "
        "exit at once)",
    )
    args = parser.parse_args(argv)
    if args.metrics_final_scrape_seconds < 0:
        parser.error("--metrics-final-scrape-seconds must not be negative")
    return args


async def _main(args: argparse.Namespace) -> None:
    settings = get_settings()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    deployment_config(settings)
    reasoner = prepare_reasoner(settings)
    platform = prepare_platform(settings)
    prepare_notifiers(settings)
    if args.app_metrics_bind:
        metrics.serve(args.app_metrics_bind)
    runtime = None
    if args.metrics_bind:
        runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(args.metrics_bind)))
    traces = tracing.setup(settings, tracing.WORKER_SERVICE, make_global=True)
    try:
        client = await connect_client(settings, runtime=runtime)
        await run_worker(
            settings,
            stop=stop,
            client=client,
            reasoner=reasoner,
            platform=platform,
            graceful_shutdown=timedelta(seconds=args.graceful_shutdown_seconds),
        )
        if args.app_metrics_bind and args.metrics_final_scrape_seconds > 0:
            await _final_scrape(args.metrics_final_scrape_seconds)
    finally:
        if traces is not None:
            traces.shutdown()  # export what is still buffered


async def _final_scrape(seconds: float) -> None:
    log.info("Waiting up to %.0f s for a last scrape of the app metrics", seconds)
    if await metrics.wait_for_final_scrape(seconds):
        log.info("Last scrape done")
    else:
        log.warning("No scrape within %.0f s: counts since the previous scrape are lost", seconds)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    configure_json_logging(args.log_level)
    try:
        asyncio.run(_main(args))
    except ConfigurationError as err:
        sys.exit(f"worker not started: {err}")


if __name__ == "__main__":
    main()
