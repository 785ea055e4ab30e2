"""Carry out an approved action on the ad platform: validate, re-validate, write once.

1. Dry run (``?dry_run=true``): the platform checks the change; 422 means it is not valid for
   this campaign, which no retry can fix. First attempt only: on a retry the write may already
   have landed, and a dry run against the changed campaign could refuse (pausing a paused
   campaign) what the idempotent write below would rightly answer with ``already_applied``.
   The real write validates the same way, so skipping the dry run never skips validation.
2. Read the current settings: the audit's ``before``, and the plan's premise check
   (``domain.platform.premise_changes``): a plan drafted against a bid, creatives or budgets
   that have changed since is not applied; the result says why (the run is superseded). The
   check is recorded in our store before the write, so a retry after a write that landed
   (whose settings no longer look like the premise) goes straight to step 3.
3. The real write with the ``Idempotency-Key`` header: if this activity is retried after a write
   that landed (worker crash, lost answer), the platform answers ``already_applied`` and changes
   nothing the second time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import http_errors
from activities.heartbeat import heartbeating
from domain.lifecycle import ActionRequest, ExecutionResult
from domain.platform import CampaignSettings, premise_changes
from workflows import activity_names as names

if TYPE_CHECKING:
    from store.repository import Store


class ExecutionActivities:
    def __init__(self, client: httpx.AsyncClient, store: Store) -> None:
        self._client = client
        self._store = store

    @activity.defn(name=names.EXECUTE_ACTION)
    async def execute_action(self, request: ActionRequest) -> ExecutionResult:
        path = f"/campaigns/{http_errors.path_segment(request.campaign_id)}/actions"
        body = {
            "action": request.action.value,
            "parameters": request.parameters.model_dump(mode="json", exclude_none=True),
        }
        headers = {"Idempotency-Key": request.idempotency_key}
        activity.logger.info(
            "Executing %s on %s (key %s)",
            request.action.value,
            request.campaign_id,
            request.idempotency_key,
        )
        async with heartbeating():
            if activity.info().attempt == 1:
                await self._post(path, body, headers, dry_run=True)
            current = await self._current_settings(request.campaign_id)
            if not await self._store.premise_checked(request.idempotency_key):
                changed = premise_changes(
                    request.action, request.parameters, CampaignSettings.model_validate(current)
                )
                if changed:
                    activity.logger.info("Not applied, premise changed: %s", "; ".join(changed))
                    return _superseded(request, current, changed)
                await self._store.record_premise_checked(
                    request.idempotency_key, request.campaign_id
                )
            answer = await self._post(path, body, headers, dry_run=False)
        return _result(request, current, answer)

    async def _post(
        self, path: str, body: dict[str, Any], headers: dict[str, str], *, dry_run: bool
    ) -> dict[str, Any]:
        params = {"dry_run": "true"} if dry_run else None
        response = await http_errors.request(
            self._client, "POST", path, json=body, headers=headers, params=params
        )
        if response.status_code == 422:
            raise ApplicationError(
                f"the ad platform refused {body['action']}: {http_errors.error_detail(response)}",
                {"dry_run": dry_run, "detail": http_errors.error_detail(response)},
                type=names.ACTION_REJECTED,
                non_retryable=True,
            )
        http_errors.raise_for_status(response, not_found_type=names.CAMPAIGN_NOT_FOUND)
        answer = http_errors.json_body(response)
        if not isinstance(answer, dict) or "applied" not in answer:
            raise ApplicationError(
                f"{path}: unexpected action answer {str(answer)[:200]}",
                type=http_errors.MALFORMED_RESPONSE,
            )
        return answer

    async def _current_settings(self, campaign_id: str) -> dict[str, Any]:
        path = f"/campaigns/{http_errors.path_segment(campaign_id)}/settings"
        response = await http_errors.request(self._client, "GET", path)
        http_errors.raise_for_status(response, not_found_type=names.CAMPAIGN_NOT_FOUND)
        settings = http_errors.json_body(response)
        if not isinstance(settings, dict):
            raise ApplicationError(
                f"{path}: expected an object", type=http_errors.MALFORMED_RESPONSE
            )
        return settings


def _superseded(
    request: ActionRequest, current: dict[str, Any], changed: list[str]
) -> ExecutionResult:
    return ExecutionResult(
        campaign_id=request.campaign_id,
        action=request.action,
        idempotency_key=request.idempotency_key,
        applied=False,
        before=current,
        executed_at=datetime.now(UTC),
        message="not applied: the campaign changed since the plan was made",
        premise_changes=changed,
    )


def _result(
    request: ActionRequest, current: dict[str, Any], answer: dict[str, Any]
) -> ExecutionResult:
    already = bool(answer.get("already_applied", False))
    # On a repeat, the settings we just read already include the change; the platform's own
    # record of the first write knows the true "before".
    before = answer.get("before") if already and answer.get("before") else current
    return ExecutionResult(
        campaign_id=request.campaign_id,
        action=request.action,
        idempotency_key=request.idempotency_key,
        applied=bool(answer.get("applied")) or already,
        already_applied=already,
        before=before,
        after=answer.get("after") or {},
        executed_at=answer.get("executed_at") or datetime.now(UTC),
        message=str(answer.get("message", "")),
    )
