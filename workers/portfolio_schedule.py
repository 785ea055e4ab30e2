"""The weekly portfolio review as a Temporal Schedule: ``python -m workers.portfolio_schedule``.

Creates the schedule ``portfolio-review-weekly`` (cron ``PORTFOLIO_SCHEDULE_CRON``, default
Monday 06:00 UTC) that starts ``PortfolioReviewWorkflow`` on the worker's task queue, or, when it
exists, updates it to the current cron and task queue: running it again is safe. Overlapping
runs are skipped (a review still running when the next one is due). ``--trigger`` also starts
one review now; ``--delete`` removes the schedule.

The review reads its thresholds from the worker's settings when it runs (PORTFOLIO__*), so the
schedule never needs recreating for a configuration change.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from domain.portfolio.runs import PortfolioReviewInput
from settings import Settings, get_settings
from workflows import messages

SCHEDULE_ID = "portfolio-review-weekly"
# Scheduled runs get this id plus the scheduled time (Temporal adds it): the review id.
WORKFLOW_ID = "portfolio-review-weekly"


def schedule(settings: Settings, cron: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            messages.PORTFOLIO_REVIEW_WORKFLOW,
            PortfolioReviewInput(requested_by="schedule", trigger="schedule"),
            id=WORKFLOW_ID,
            task_queue=settings.temporal_task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[cron]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(note="Weekly portfolio review (workers.portfolio_schedule)"),
    )


async def ensure_schedule(client: Client, settings: Settings, cron: str | None = None) -> str:
    """Create the schedule, or bring an existing one up to date; says which."""
    wanted = schedule(settings, cron or settings.portfolio_schedule_cron)
    try:
        await client.create_schedule(SCHEDULE_ID, wanted)
        return "created"
    except ScheduleAlreadyRunningError:

        def update(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=wanted)

        await client.get_schedule_handle(SCHEDULE_ID).update(update)
        return "updated"


async def _main(args: argparse.Namespace) -> None:
    from workers.worker import connect_client

    settings = get_settings()
    client = await connect_client(settings)
    handle = client.get_schedule_handle(SCHEDULE_ID)
    if args.delete:
        await handle.delete()
        print(f"deleted schedule {SCHEDULE_ID}")
        return
    outcome = await ensure_schedule(client, settings, args.cron)
    description = await handle.describe()
    upcoming = description.info.next_action_times[:1]
    print(
        f"{outcome} schedule {SCHEDULE_ID} ({args.cron or settings.portfolio_schedule_cron} UTC, "
        f"task queue {settings.temporal_task_queue}); next review: "
        f"{upcoming[0]:%Y-%m-%d %H:%M} UTC"
        if upcoming
        else "none scheduled"
    )
    if args.trigger:
        await handle.trigger()
        print("triggered one review now")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m workers.portfolio_schedule",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.add_argument("--cron", help="cron expression (UTC); default PORTFOLIO_SCHEDULE_CRON")
    parser.add_argument("--trigger", action="store_true", help="also start one review now")
    parser.add_argument("--delete", action="store_true", help="remove the schedule")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_main(args))
    except Exception as err:  # a clear line instead of a traceback for an operator
        sys.exit(f"portfolio schedule: {type(err).__name__}: {err}")


if __name__ == "__main__":
    main()
