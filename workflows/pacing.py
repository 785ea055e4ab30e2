"""The spend-pacing monitor: ``PacingMonitorWorkflow`` (one pass, started by its Temporal
Schedule every 4 h) and ``PacingHaltWorkflow`` (one halt of one campaign).

A pass reads the current media plan in chunks of lines; each chunk's activity reconciles its
lines with the platform's spend, records every line's assessment and the day's alerts, and
answers with the alerts to act on. The pass then queues their notifications (one delivery
workflow per alert key: a later pass the same day tells nobody again) and starts the halts.

A halt goes through the same execution path as an approved recommendation: it queues a
Campaign Pause on the campaign's ``CampaignChangesWorkflow`` (the halt workflow is the
requester and takes the ``change_outcome`` signal), applied once by idempotency key, audited,
its premise checked right before the write (a campaign paused meanwhile: superseded). One halt
per campaign and day (its workflow id), however many passes overlap; a halt is never undone
here: a person releases it through the API.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.changes import ChangeOutcome, ChangeRequest, ChangeVerdict
    from domain.notifications import Notification, halt_notification
    from domain.pacing import PacingAction
    from domain.passes import (
        AlertToAct,
        ChunkResult,
        HaltOutcome,
        HaltRequest,
        PacingChunk,
        PacingInput,
        PacingResult,
        PassEnd,
        PassPlan,
        PassStart,
    )
    from domain.recommendation import ActionParameters, ActionType
    from workflows import activity_names as names
    from workflows import messages
    from workflows.options import EXECUTION, PERSISTENCE, ActivityOptions, run_activity

PACING_ACTOR = "pacing-monitor"
NOTIFICATIONS_PER_CALL = 200
# The queue answers within the approval's maximum age plus the execution budget.
QUEUE_ANSWER_MARGIN = timedelta(hours=1)

# One chunk of plan lines: its platform reads and records, retried through platform hiccups;
# the heartbeat lets a crashed worker's chunk move to another worker quickly.
CHUNK = ActivityOptions(
    timeout=timedelta(minutes=10),
    overall=timedelta(hours=1),
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=2),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=1),
        maximum_attempts=0,
    ),
)


@workflow.defn(name=messages.PACING_MONITOR_WORKFLOW)
class PacingMonitorWorkflow:
    @workflow.run
    async def run(self, inp: PacingInput) -> PacingResult:
        pass_id = workflow.info().workflow_id
        at = workflow.now()
        plan: PassPlan = await run_activity(
            names.BEGIN_PACING_PASS,
            PassStart(pass_id=pass_id, at=at, autonomous_halt=inp.policy.autonomous_halt),
            PassPlan,
            PERSISTENCE,
            "Begin the pass over the current media plan",
        )
        counts: Counter[str] = Counter()
        alerts: list[AlertToAct] = []
        if plan.plan_id is not None:
            alerts = await self._assess(pass_id, plan, inp, counts)
        await self._notify([a.notification for a in alerts if a.notification])
        halts = await self._halt([a for a in alerts if a.action is PacingAction.halt], inp)
        counts["lines"] = plan.lines
        counts["alerts_new"] = sum(1 for a in alerts if a.new)
        await run_activity(
            names.FINISH_PACING_PASS,
            PassEnd(pass_id=pass_id, counts=dict(counts), at=workflow.now()),
            None,
            PERSISTENCE,
            "Store the pass's summary",
        )
        workflow.set_current_details(
            "No media plan imported: nothing to check"
            if plan.plan_id is None
            else f"{plan.lines} lines checked: {_summary(counts)}"
        )
        return PacingResult(
            pass_id=pass_id,
            plan_id=plan.plan_id,
            lines=plan.lines,
            counts=dict(counts),
            halts=halts,
        )

    async def _assess(
        self, pass_id: str, plan: PassPlan, inp: PacingInput, counts: Counter[str]
    ) -> list[AlertToAct]:
        assert plan.plan_id is not None
        offsets = list(range(0, plan.lines, inp.chunk_size))
        alerts: list[AlertToAct] = []
        at = workflow.now()
        for first in range(0, len(offsets), inp.parallel_chunks):
            wave = offsets[first : first + inp.parallel_chunks]
            results: list[ChunkResult] = await asyncio.gather(
                *(
                    run_activity(
                        names.ASSESS_PACING,
                        PacingChunk(
                            pass_id=pass_id,
                            plan_id=plan.plan_id,
                            offset=offset,
                            limit=inp.chunk_size,
                            at=at,
                            policy=inp.policy,
                            console_url=inp.console_url,
                        ),
                        ChunkResult,
                        CHUNK,
                        f"Pacing of plan lines {offset + 1}-"
                        f"{min(offset + inp.chunk_size, plan.lines)}",
                    )
                    for offset in wave
                )
            )
            for result in results:
                counts.update(result.counts)
                alerts.extend(result.alerts)
            done = min(wave[-1] + inp.chunk_size, plan.lines)
            workflow.set_current_details(f"Checked {done} of {plan.lines} plan lines")
        return alerts

    async def _notify(self, notifications: list[Notification]) -> None:
        for first in range(0, len(notifications), NOTIFICATIONS_PER_CALL):
            batch = notifications[first : first + NOTIFICATIONS_PER_CALL]
            await run_activity(
                names.QUEUE_NOTIFICATIONS,
                batch,
                None,
                PERSISTENCE,
                f"Queue {len(batch)} alert notification(s)",
            )

    async def _halt(self, alerts: list[AlertToAct], inp: PacingInput) -> list[str]:
        if not alerts:
            return []
        day = workflow.now().date().isoformat()
        requests = [
            HaltRequest(
                halt_id=messages.pacing_halt_id(a.campaign_id, day),
                alert_key=a.alert_key,
                campaign_id=a.campaign_id,
                campaign_name=a.campaign_name or "",
                reason="critically over plan",
                console_url=inp.console_url,
                change_cooldown=inp.change_cooldown,
                max_approval_age=inp.max_approval_age,
                at=workflow.now(),
            )
            for a in alerts
            if a.campaign_id is not None
        ]
        return await run_activity(
            names.START_PACING_HALTS,
            requests,
            list[str],
            PERSISTENCE,
            f"Start {len(requests)} halt(s)",
        )


@workflow.defn(name=messages.PACING_HALT_WORKFLOW)
class PacingHaltWorkflow:
    @workflow.init
    def __init__(self, request: HaltRequest) -> None:
        self._request = request
        self._outcome: ChangeOutcome | None = None

    @workflow.signal(name=messages.CHANGE_OUTCOME)
    def change_outcome(self, outcome: ChangeOutcome) -> None:
        """The campaign's change queue answers the pause this halt queued."""
        if outcome.idempotency_key == self._request.halt_id:
            self._outcome = outcome

    @workflow.run
    async def run(self, request: HaltRequest) -> HaltOutcome:
        queue = messages.campaign_changes_id(request.campaign_id)
        change = ChangeRequest(
            recommendation_id=workflow.info().workflow_id,  # where the queue answers
            campaign_id=request.campaign_id,
            action=ActionType.campaign_pause,
            parameters=ActionParameters(),
            idempotency_key=request.halt_id,
            requested_by=PACING_ACTOR,
            approved_at=workflow.now(),
            # Stopping a runaway spend must not wait for another change's cooldown.
            override_cooldown=True,
            cooldown=request.change_cooldown,
            max_approval_age=request.max_approval_age,
        )
        await run_activity(
            names.SUBMIT_CAMPAIGN_CHANGE,
            change,
            None,
            PERSISTENCE,
            f"Queue Campaign Pause on {queue}",
        )
        workflow.set_current_details(f"Waiting for {queue} to pause the campaign")
        patience = request.max_approval_age + (EXECUTION.overall or timedelta(0))
        patience += QUEUE_ANSWER_MARGIN
        try:
            await workflow.wait_condition(
                lambda: self._outcome is not None,
                timeout=patience,
                timeout_summary="campaign change queue",
            )
            answer = self._outcome
            assert answer is not None
        except TimeoutError:
            answer = ChangeOutcome(
                idempotency_key=request.halt_id,
                verdict=ChangeVerdict.failed,
                reason=f"{queue} did not answer within {patience}",
            )
        outcome = HaltOutcome(
            halt_id=request.halt_id,
            alert_key=request.alert_key,
            campaign_id=request.campaign_id,
            verdict=answer.verdict,
            reason=answer.reason,
            execution=answer.execution,
            at=workflow.now(),
        )
        await run_activity(
            names.RECORD_HALT_OUTCOME, outcome, None, PERSISTENCE, "Record the halt's outcome"
        )
        notification = halt_notification(
            request.alert_key,
            request.campaign_id,
            request.campaign_name,
            answer.verdict.value,
            answer.reason,
            request.console_url,
        )
        await run_activity(
            names.QUEUE_NOTIFICATIONS,
            [notification],
            None,
            PERSISTENCE,
            "Queue the halt's notification",
        )
        workflow.set_current_details(f"Halt {answer.verdict.value}: {answer.reason}"[:300])
        return outcome


def _summary(counts: Counter[str]) -> str:
    parts = [
        f"{counts[key]} {key.split(':', 1)[1].replace('_', ' ')}"
        for key in sorted(counts)
        if key.startswith("action:") and counts[key]
    ]
    return ", ".join(parts) or "nothing to do"
