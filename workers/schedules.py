"""The Temporal Schedules of the agent's own jobs: ``python -m workers.schedules``.

Three schedules per deployment (task queue), ids ``{TEMPORAL_TASK_QUEUE}-{name}``:

- ``kpi-watch``, every ``WATCH_INTERVAL`` (6 h): ``KpiWatchWorkflow`` analyses the campaigns
  whose KPIs moved;
- ``pacing-monitor``, every ``PACING_INTERVAL`` (4 h): ``PacingMonitorWorkflow`` reconciles the
  media plan with the platform's actual spend;
- ``portfolio-review``, on ``PORTFOLIO_SCHEDULE_CRON`` (Monday 06:00 UTC): the weekly
  ``PortfolioReviewWorkflow`` (Temporal suffixes the workflow id with the scheduled time; that
  id is the review id). It reads its thresholds from the worker's settings when it runs.

Policies, the same for all, and why:

- **Overlap: skip.** A pass still running when the next is due means the platform or our
  workers are slow; a second pass over the same campaigns would only add load and reach the
  same answers (every pass is idempotent: dedup of analyses, alert and halt keys).
- **Catch-up window: 1 hour** (at most one interval). After a short outage of the server or
  the workers the missed pass still runs late; after a longer one it is dropped and the next
  regular pass looks at the account as it is then (replaying old passes adds nothing: each one
  reads the current state).
- **Jitter: up to 5 minutes** (at most a tenth of the interval; none for the weekly review,
  which people expect at its hour), so that several deployments (or tenants) on one ad-platform
  account do not all hit its rate limits at the same second.

``apply`` creates the schedules or updates them to the settings (interval, policies, the
thresholds and pacing policy passed to every pass) and is idempotent: the worker runs it at
start-up (``SCHEDULES_APPLY_ON_START``); an operator's pause survives it (the schedule's state,
paused or not and its note, is kept). Pause, resume and trigger from here, the Temporal UI or
CLI (``temporal schedule toggle --pause --schedule-id ...``), or the admin API.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from domain.passes import PacingInput, WatchInput
from domain.portfolio.runs import PortfolioReviewInput
from settings import Settings, get_settings
from workflows import messages
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

log = logging.getLogger("workers.schedules")

KPI_WATCH = "kpi-watch"
PACING_MONITOR = "pacing-monitor"
PORTFOLIO_REVIEW = "portfolio-review"
NAMES = (KPI_WATCH, PACING_MONITOR, PORTFOLIO_REVIEW)
WEEK = timedelta(days=7)
MAX_JITTER = timedelta(minutes=5)
MAX_CATCHUP = timedelta(hours=1)
OVERLAP = ScheduleOverlapPolicy.SKIP


@dataclass(frozen=True)
class Job:
    name: str
    workflow: str
    interval: timedelta  # the longest gap between runs: bounds jitter and catch-up
    arg: Any
    note: str
    cron: str | None = None  # a calendar instead of a fixed interval

    def spec(self) -> ScheduleSpec:
        if self.cron:
            return ScheduleSpec(cron_expressions=[self.cron])
        return ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=self.interval)],
            jitter=min(MAX_JITTER, self.interval / 10),
        )

    def schedule(self, settings: Settings) -> Schedule:
        return Schedule(
            action=ScheduleActionStartWorkflow(
                self.workflow,
                self.arg,
                id=schedule_id(settings, self.name),
                task_queue=settings.temporal_task_queue,
                static_summary=self.note,
            ),
            spec=self.spec(),
            policy=SchedulePolicy(overlap=OVERLAP, catchup_window=min(MAX_CATCHUP, self.interval)),
            state=ScheduleState(note=self.note),
        )


def schedule_id(settings: Settings, name: str) -> str:
    return f"{settings.temporal_task_queue}-{name}"


def jobs(settings: Settings) -> list[Job]:
    """The schedules as the settings want them."""
    return [
        Job(
            KPI_WATCH,
            messages.KPI_WATCH_WORKFLOW,
            settings.watch_interval,
            WatchInput(
                thresholds=settings.thresholds,
                change_cooldown=timedelta(seconds=settings.change_cooldown_seconds),
            ),
            "KPI watch: analyse the campaigns whose KPIs moved",
        ),
        Job(
            PACING_MONITOR,
            messages.PACING_MONITOR_WORKFLOW,
            settings.pacing_interval,
            PacingInput(
                policy=settings.pacing_policy(),
                console_url=settings.public_base_url,
                change_cooldown=timedelta(seconds=settings.change_cooldown_seconds),
                max_approval_age=timedelta(seconds=settings.max_approval_age_seconds),
            ),
            "Spend pacing: the media plan against the platform's actual spend",
        ),
        Job(
            PORTFOLIO_REVIEW,
            messages.PORTFOLIO_REVIEW_WORKFLOW,
            WEEK,
            PortfolioReviewInput(requested_by="schedule", trigger="schedule"),
            "Weekly portfolio review: experiments, KPIs, ROI and the budget allocation",
            cron=settings.portfolio_schedule_cron,
        ),
    ]


async def apply(client: Client, settings: Settings) -> dict[str, str]:
    """Create each schedule, or update it to the settings keeping its paused state and note;
    returns schedule id -> created or updated."""
    await ensure_search_attributes(client, settings.temporal_namespace)
    done = {}
    for job in jobs(settings):
        wanted = job.schedule(settings)
        sid = schedule_id(settings, job.name)
        try:
            await client.create_schedule(sid, wanted)
            done[sid] = "created"
        except RPCError as err:
            if err.status != RPCStatusCode.UNIMPLEMENTED:
                raise
            # Temporal's time-skipping test server has no schedules; every real one has.
            log.warning("This Temporal server has no schedules: %s not created", sid)
            continue
        except ScheduleAlreadyRunningError:
            await client.get_schedule_handle(sid).update(_keeping_state(wanted))
            done[sid] = "updated"
        log.info("Schedule %s %s (%s)", sid, done[sid], job.cron or f"every {job.interval}")
    return done


def _keeping_state(wanted: Schedule):
    def update(current: ScheduleUpdateInput) -> ScheduleUpdate:
        wanted.state = current.description.schedule.state  # an operator's pause stays
        return ScheduleUpdate(schedule=wanted)

    return update


async def ensure_search_attributes(client: Client, namespace: str) -> None:
    """Register the agent's search attributes a server lacks (a dev server started before a
    new one was added). Where the key may not register them (a managed cluster), say which to
    register by hand: without them a workflow that sets one fails its tasks."""
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        missing = {
            key.name: IndexedValueType.ValueType(key.indexed_value_type)
            for key in ALL_SEARCH_ATTRIBUTES
            if key.name not in listed.custom_attributes
        }
        if missing:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
            )
            log.info("Registered search attributes %s", ", ".join(sorted(missing)))
    except RPCError as err:
        names = ", ".join(key.name for key in ALL_SEARCH_ATTRIBUTES)
        log.warning(
            "Could not check or register the search attributes (%s); make sure %s exist",
            err.message,
            names,
        )


async def pause(client: Client, settings: Settings, name: str, note: str) -> None:
    await client.get_schedule_handle(_known(settings, name)).pause(note=note or "paused")


async def resume(client: Client, settings: Settings, name: str, note: str) -> None:
    await client.get_schedule_handle(_known(settings, name)).unpause(note=note or "resumed")


async def trigger(client: Client, settings: Settings, name: str) -> None:
    """Run a pass now (skipped, like a scheduled one, while a pass is still running)."""
    await client.get_schedule_handle(_known(settings, name)).trigger()


async def describe(client: Client, settings: Settings) -> list[dict[str, Any]]:
    found = []
    for job in jobs(settings):
        sid = schedule_id(settings, job.name)
        try:
            description = await client.get_schedule_handle(sid).describe()
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            found.append({"name": job.name, "schedule_id": sid, "exists": False})
            continue
        info, state = description.info, description.schedule.state
        intervals = description.schedule.spec.intervals
        found.append(
            {
                "name": job.name,
                "schedule_id": sid,
                "exists": True,
                "paused": state.paused,
                "note": state.note,
                "interval_seconds": intervals[0].every.total_seconds() if intervals else None,
                "cron": job.cron,
                "next_runs": [t.isoformat() for t in info.next_action_times[:3]],
                "recent_runs": [
                    {
                        "scheduled_at": action.scheduled_at.isoformat(),
                        "workflow_id": getattr(action.action, "workflow_id", None),
                    }
                    for action in info.recent_actions[-5:]
                ],
                "running": [w.workflow_id for w in info.running_actions],
            }
        )
    return found


class UnknownSchedule(LookupError):
    pass


def _known(settings: Settings, name: str) -> str:
    if name not in NAMES:
        raise UnknownSchedule(f"no schedule {name!r} (there are {', '.join(NAMES)})")
    return schedule_id(settings, name)


# ----------------------------------------------------------------------------- CLI


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m workers.schedules",
        description=(
            "The agent's Temporal Schedules: the KPI watch (WATCH_INTERVAL, default 6 h), "
            "the spend-pacing monitor (PACING_INTERVAL, default 4 h) and the weekly portfolio "
            "review (PORTFOLIO_SCHEDULE_CRON, default Monday 06:00 UTC). Configured like the "
            "worker (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, ...)."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("apply", help="create the schedules or update them to the settings")
    commands.add_parser("list", help="show each schedule: paused, next runs, recent runs")
    for verb, text in (("pause", "stop starting passes"), ("resume", "start passes again")):
        command = commands.add_parser(verb, help=text)
        command.add_argument("name", choices=NAMES)
        command.add_argument("--note", default="", help="why (shown in the Temporal UI)")
    command = commands.add_parser("trigger", help="run a pass now")
    command.add_argument("name", choices=NAMES)
    return parser.parse_args(argv)


async def _main(args: argparse.Namespace) -> None:
    from workers.worker import connect_client

    settings = get_settings()
    client = await connect_client(settings)
    if args.command == "apply":
        for sid, outcome in (await apply(client, settings)).items():
            print(f"{sid}: {outcome}")
    elif args.command == "list":
        for schedule in await describe(client, settings):
            print(schedule)
    elif args.command == "pause":
        await pause(client, settings, args.name, args.note)
        print(f"{schedule_id(settings, args.name)}: paused")
    elif args.command == "resume":
        await resume(client, settings, args.name, args.note)
        print(f"{schedule_id(settings, args.name)}: resumed")
    else:
        await trigger(client, settings, args.name)
        print(f"{schedule_id(settings, args.name)}: triggered")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        asyncio.run(_main(args))
    except RPCError as err:
        sys.exit(f"Temporal refused: {err.message}")


if __name__ == "__main__":
    main()
