"""The per-campaign change queue's side effects: queue a plan, look up the last change.

``submit_campaign_change`` queues an approved plan on the campaign's ``CampaignChangesWorkflow``
with a signal-with-start: the queue is started if it is not running, and signalled if it is,
in one atomic call, so two plans for one campaign always land in the same queue. A retried
activity resends the same plan; the queue recognises its idempotency key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy

from domain.changes import CampaignChangesInput, ChangeRequest, LastChange
from workflows import activity_names as names
from workflows import messages
from workflows.search_attributes import campaign_search_attributes

if TYPE_CHECKING:
    from store.repository import Store


class CampaignChangeActivities:
    def __init__(self, client: Client, store: Store) -> None:
        self._client = client
        self._store = store

    @activity.defn(name=names.SUBMIT_CAMPAIGN_CHANGE)
    async def submit_campaign_change(self, request: ChangeRequest) -> None:
        queue = messages.campaign_changes_id(request.campaign_id)
        await self._client.start_workflow(
            messages.CAMPAIGN_CHANGES_WORKFLOW,
            CampaignChangesInput(campaign_id=request.campaign_id),
            id=queue,
            task_queue=activity.info().task_queue,
            start_signal=messages.SUBMIT_CHANGE,
            start_signal_args=[request],
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            search_attributes=campaign_search_attributes(request.campaign_id),
            static_summary=f"Changes to campaign {request.campaign_id}, one at a time",
        )
        activity.logger.info(
            "Queued %s of %s on %s", request.action.value, request.recommendation_id, queue
        )

    @activity.defn(name=names.LAST_CAMPAIGN_CHANGE)
    async def last_campaign_change(self, campaign_id: str) -> LastChange | None:
        return await self._store.last_change(campaign_id)
