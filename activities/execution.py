"""Carry out an approved action on the ad platform: re-validate, dry-run, write once.

1. Read the current settings (``CampaignSettings``): the audit's ``before``, recorded in the
   heartbeat so that a retry after a write that landed still knows the true ``before``; and
   the plan's premise check (``domain.platform.premise_changes``): a plan drafted against a
   bid, creatives or budgets that have changed since is not applied, and the result says why
   (the run is superseded). The check is recorded in our store before the write, so a retry
   after a write that landed (whose settings no longer look like the premise) goes straight
   on instead of calling its own change a changed premise.
2. Dry run: the platform checks the change without making it; a refusal is an
   ``ActionRejected``, which no retry can fix. First attempt only: on a retry the write may
   already have landed, and a dry run against the changed campaign could refuse (pausing a
   paused campaign) what the idempotent write below would rightly answer with
   ``already_applied``. The real write validates the same way, so skipping the dry run never
   skips validation.
3. The real write with the idempotency key: if this activity is retried after a write that
   landed (worker crash, lost answer), the platform answers ``already_applied`` and changes
   nothing the second time.

An action the platform cannot perform is no failure: the result says ``applied=False`` with
``manual_instructions`` for a person to follow in the platform's own interface. The id of every
platform call made is kept in ``request_ids`` (the audit's record of what we asked).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from temporalio import activity

from activities.heartbeat import heartbeating, previous_details
from activities.platform_errors import calling
from domain.lifecycle import ActionRequest, ExecutionResult
from domain.platform import CampaignSettings, premise_changes
from platforms.port import ActionOutcome, AdPlatform, recording_request_ids
from workflows import activity_names as names

if TYPE_CHECKING:
    from store.repository import Store


class ExecutionActivities:
    def __init__(self, platform: AdPlatform, store: Store) -> None:
        self._platform = platform
        self._store = store

    @activity.defn(name=names.EXECUTE_ACTION)
    async def execute_action(self, request: ActionRequest) -> ExecutionResult:
        action = request.action.value
        activity.logger.info(
            "Executing %s on %s (key %s)", action, request.campaign_id, request.idempotency_key
        )
        earlier = previous_details()
        async with heartbeating() as heartbeat:
            with recording_request_ids() as request_ids:
                # The premise first: a plan drafted against creatives that were rotated since
                # would fail the dry run for the very reason it is stale.
                current = await calling(self._platform.settings(request.campaign_id))
                heartbeat.record({"before": current.model_dump(mode="json")})
                changed = await self._premise_changes(request, current)
                if changed:
                    return _superseded(request, current, changed, request_ids)
                if activity.info().attempt == 1:
                    preview = await calling(
                        self._platform.dry_run(
                            request.campaign_id, request.action, request.parameters
                        ),
                        writing=action,
                    )
                    if preview.is_manual:
                        return _manual(request, preview, request_ids)
                outcome = await calling(
                    self._platform.apply(
                        request.campaign_id,
                        request.action,
                        request.parameters,
                        request.idempotency_key,
                    ),
                    writing=action,
                )
        if outcome.is_manual:
            return _manual(request, outcome, request_ids)
        return _result(request, current, outcome, request_ids, earlier.get("before"))

    async def _premise_changes(
        self, request: ActionRequest, current: CampaignSettings
    ) -> list[str]:
        """Why the plan no longer fits the campaign (empty: apply it). Checked once per key:
        once it held, a retry (the write may have landed) does not check again."""
        if await self._store.premise_checked(request.idempotency_key):
            return []
        changed = premise_changes(request.action, request.parameters, current)
        if not changed:
            await self._store.record_premise_checked(request.idempotency_key, request.campaign_id)
        return changed


def _superseded(
    request: ActionRequest,
    current: CampaignSettings,
    changed: list[str],
    request_ids: list[str],
) -> ExecutionResult:
    activity.logger.info("Not applied, the premise changed: %s", "; ".join(changed))
    return ExecutionResult(
        campaign_id=request.campaign_id,
        action=request.action,
        idempotency_key=request.idempotency_key,
        applied=False,
        before=current.model_dump(mode="json"),
        executed_at=datetime.now(UTC),
        message="not applied: the campaign changed since the plan was made",
        premise_changes=changed,
        request_ids=request_ids,
    )


def _result(
    request: ActionRequest,
    current: CampaignSettings,
    outcome: ActionOutcome,
    request_ids: list[str],
    earlier_before: dict | None,
) -> ExecutionResult:
    # On a repeat, the settings we just read already include the change: the platform's own
    # record of the first write, else what the first attempt read, knows the true "before".
    before = current.model_dump(mode="json")
    if outcome.already_applied:
        before = outcome.before or earlier_before or before
    return ExecutionResult(
        campaign_id=request.campaign_id,
        action=request.action,
        idempotency_key=request.idempotency_key,
        applied=outcome.applied or outcome.already_applied,
        already_applied=outcome.already_applied,
        before=before,
        after=outcome.after,
        executed_at=outcome.executed_at or datetime.now(UTC),
        message=outcome.message,
        request_ids=request_ids,
    )


def _manual(
    request: ActionRequest, outcome: ActionOutcome, request_ids: list[str]
) -> ExecutionResult:
    activity.logger.info(
        "%s cannot be performed on %s by the platform: manual instructions returned",
        request.action.value,
        request.campaign_id,
    )
    return ExecutionResult(
        campaign_id=request.campaign_id,
        action=request.action,
        idempotency_key=request.idempotency_key,
        applied=False,
        executed_at=datetime.now(UTC),
        message=outcome.message,
        manual_instructions=outcome.manual_instructions,
        request_ids=request_ids,
    )
