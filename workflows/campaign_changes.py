"""CampaignChangesWorkflow: one change at a time per campaign.

Every approved plan for a campaign goes through this queue (one workflow per campaign, id
``campaign-changes-{campaign_id}``). The recommendation workflow queues its plan with a
signal-with-start (activity ``submit_campaign_change``) and waits for the ``change_outcome``
signal. The queue takes plans one at a time, so two approved plans for one campaign never run
against each other's half-applied settings, and for each one decides, in order:

1. the approval is too old now (``max_approval_age``) -> ``expired``;
2. another change to the campaign came first inside the cooldown, and the reviewer did not
   override it -> ``superseded``;
3. the execution activity re-reads the campaign's settings right before the write and finds the
   plan's premise gone (bid already moved, creatives already rotated, budget no longer there)
   -> ``superseded``; the platform cannot do it -> ``manual``; it refuses the change or stays
   unreachable past the execution budget -> ``failed``;
4. otherwise the change is applied once (idempotency key) -> ``executed``.

While idle it stays open until the cooldown after its last change has passed (so a second
plan is judged against the first), then completes; the next plan starts a fresh run, seeded
with the campaign's last change from our store. Long queues continue-as-new.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain.changes import (
        CampaignChangesInput,
        ChangeOutcome,
        ChangeRequest,
        ChangeVerdict,
        LastChange,
        approval_expired,
        cooldown_refusal,
    )
    from domain.lifecycle import ActionRequest, ExecutionResult
    from workflows import activity_names as names
    from workflows import messages
    from workflows.options import (
        EXECUTION,
        PERSISTENCE,
        describe_error,
        error_type,
        run_activity,
    )
    from workflows.search_attributes import CAMPAIGN_ID

# Answered idempotency keys remembered, so a retried submission is not applied twice.
REMEMBERED_KEYS = 500
# With nothing queued and no cooldown to keep, wait this long for more before completing.
IDLE_GRACE = timedelta(minutes=5)


@workflow.defn(name=messages.CAMPAIGN_CHANGES_WORKFLOW)
class CampaignChangesWorkflow:
    @workflow.init
    def __init__(self, inp: CampaignChangesInput) -> None:
        self._campaign_id = inp.campaign_id
        self._last = inp.last_change
        self._seeded = inp.seeded
        self._pending: list[ChangeRequest] = list(inp.pending)
        self._answered: list[str] = list(inp.answered_keys)
        self._current: ChangeRequest | None = None

    @workflow.signal(name=messages.SUBMIT_CHANGE)
    def submit_change(self, request: ChangeRequest) -> None:
        # A retried submit activity resends the same plan: it is queued, running or answered.
        if request.idempotency_key in self._known_keys():
            return
        self._pending.append(request)

    @workflow.query(name=messages.CHANGES_QUERY)
    def changes(self) -> CampaignChangesInput:
        """The queue as it stands: last change, plans waiting (the running one first)."""
        running = [self._current] if self._current else []
        return CampaignChangesInput(
            campaign_id=self._campaign_id,
            last_change=self._last,
            seeded=self._seeded,
            pending=running + self._pending,
            answered_keys=self._answered,
        )

    @workflow.run
    async def run(self, inp: CampaignChangesInput) -> None:
        workflow.upsert_search_attributes([CAMPAIGN_ID.value_set(inp.campaign_id)])
        try:
            if not self._seeded:
                await self._seed_last_change()
            while True:
                await self._wait_for_work()
                if not self._pending:
                    return  # idle and nothing to remember: the next plan starts a fresh run
                request = self._pending.pop(0)
                self._current = request
                outcome = await self._process(request)
                self._current = None
                self._remember(request.idempotency_key)
                await self._answer(request, outcome)
                if workflow.info().is_continue_as_new_suggested():
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    workflow.continue_as_new(self.changes())
        except asyncio.CancelledError:
            await self._refuse_all("an operator cancelled the campaign's change queue")
            raise

    async def _refuse_all(self, reason: str) -> None:
        """Nobody waits forever: every plan still queued (or running) is answered."""
        waiting = ([self._current] if self._current else []) + self._pending
        self._current, self._pending = None, []
        for request in waiting:
            outcome = ChangeOutcome(
                idempotency_key=request.idempotency_key,
                verdict=ChangeVerdict.failed,
                reason=reason,
                error_type="ChangeQueueCancelled",
            )
            await self._answer(request, outcome)

    async def _seed_last_change(self) -> None:
        """Changes applied before this run (an earlier run of this queue, or older code)."""
        stored: LastChange | None = await run_activity(
            names.LAST_CAMPAIGN_CHANGE,
            self._campaign_id,
            LastChange | None,
            PERSISTENCE,
            f"Last change applied to campaign {self._campaign_id}",
        )
        if stored is not None and (self._last is None or stored.at > self._last.at):
            self._last = stored
        self._seeded = True

    async def _wait_for_work(self) -> None:
        """Until a plan is queued, or until nothing is left to remember (cooldown over)."""
        while not self._pending:
            keep_until = self._last.at + self._last.cooldown if self._last else workflow.now()
            idle = max(keep_until - workflow.now(), timedelta(0)) + IDLE_GRACE
            workflow.set_current_details(
                f"Idle; last change: {self._describe_last()}; "
                f"closing at {workflow.now() + idle:%Y-%m-%d %H:%M} UTC unless a plan arrives"
            )
            try:
                await workflow.wait_condition(
                    lambda: bool(self._pending), timeout=idle, timeout_summary="idle"
                )
            except TimeoutError:
                # Signals that arrived with the timer are handled before deciding to close.
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._pending:
                    return

    async def _process(self, request: ChangeRequest) -> ChangeOutcome:
        now = workflow.now()
        key = request.idempotency_key
        reason = approval_expired(request, now)
        if reason:
            return ChangeOutcome(idempotency_key=key, verdict=ChangeVerdict.expired, reason=reason)
        reason = cooldown_refusal(
            self._last,
            request.recommendation_id,
            request.cooldown,
            now,
            override=request.override_cooldown,
        )
        if reason:
            return ChangeOutcome(
                idempotency_key=key, verdict=ChangeVerdict.superseded, reason=reason
            )
        workflow.set_current_details(
            f"Applying {request.action.value} for {request.recommendation_id}"
        )
        try:
            result: ExecutionResult = await run_activity(
                names.EXECUTE_ACTION,
                ActionRequest(
                    campaign_id=request.campaign_id,
                    action=request.action,
                    parameters=request.parameters,
                    idempotency_key=key,
                    requested_by=request.requested_by,
                ),
                ExecutionResult,
                EXECUTION,
                f"Execute {request.action.value} for {request.recommendation_id}",
            )
        except ActivityError as err:
            return ChangeOutcome(
                idempotency_key=key,
                verdict=ChangeVerdict.failed,
                reason=describe_error(err),
                error_type=error_type(err),
            )
        return self._judge(request, result)

    def _judge(self, request: ChangeRequest, result: ExecutionResult) -> ChangeOutcome:
        key = request.idempotency_key
        if result.premise_changes:
            reason = "the campaign changed since the plan was made: " + "; ".join(
                result.premise_changes
            )
            return ChangeOutcome(
                idempotency_key=key,
                verdict=ChangeVerdict.superseded,
                reason=reason,
                execution=result,
            )
        if result.manual_instructions:
            return ChangeOutcome(
                idempotency_key=key,
                verdict=ChangeVerdict.manual,
                reason=result.manual_instructions,
                execution=result,
            )
        self._last = LastChange(
            recommendation_id=request.recommendation_id,
            action=request.action,
            at=workflow.now(),
            cooldown=request.cooldown,
        )
        return ChangeOutcome(idempotency_key=key, verdict=ChangeVerdict.executed, execution=result)

    async def _answer(self, request: ChangeRequest, outcome: ChangeOutcome) -> None:
        handle = workflow.get_external_workflow_handle(request.recommendation_id)
        try:
            await handle.signal(messages.CHANGE_OUTCOME, outcome)
        except Exception as err:  # the requester was terminated: nobody is waiting any more
            workflow.logger.warning(
                "Could not answer %s (%s): %s", request.recommendation_id, outcome.verdict, err
            )

    def _known_keys(self) -> set[str]:
        keys = {r.idempotency_key for r in self._pending} | set(self._answered)
        if self._current is not None:
            keys.add(self._current.idempotency_key)
        return keys

    def _remember(self, key: str) -> None:
        self._answered = [*self._answered, key][-REMEMBERED_KEYS:]

    def _describe_last(self) -> str:
        if self._last is None:
            return "none known"
        return (
            f"{self._last.action.value} by {self._last.recommendation_id} "
            f"at {self._last.at:%Y-%m-%d %H:%M} UTC"
        )
