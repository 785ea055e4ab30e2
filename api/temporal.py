"""Everything the API asks of Temporal: connect, query, update, ping (starting a run is
``activities.analysis_start``, shared with the KPI watch).

The API never waits on a workflow's progress; every call carries a short deadline so a slow
or absent cluster (or no worker to run the update) turns into a 503 instead of a hung request.
Decisions and reanalysis requests are Temporal Updates: the workflow's validator accepts or
refuses them synchronously, and a refusal comes back as ``UpdateRefused`` with its reason.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.lifecycle import (
    Decision,
    DecisionAccepted,
    LifecycleState,
    ReanalysisAccepted,
    ReanalysisRequest,
)
from settings import Settings
from telemetry import tracing
from workflows import messages

log = logging.getLogger("api.temporal")

WORKFLOW_TYPE = messages.RECOMMENDATION_WORKFLOW

RPC_TIMEOUT = timedelta(seconds=10)
# An update waits for a worker to validate and run it (the decision's cooldown check takes at
# most ~12 s); past this the caller gets a 503 and re-reads the recommendation.
UPDATE_TIMEOUT = timedelta(seconds=20)
# A live read (?live=true) answers within this or falls back to the stored row.
QUERY_TIMEOUT = timedelta(seconds=2)
PING_TIMEOUT = timedelta(seconds=3)


class WorkflowClosedError(Exception):
    """The workflow has already finished, so it can no longer take decisions."""


class UpdateRefused(Exception):
    """The workflow refused the update; ``kind`` is the refusal's type (StaleRevision, ...)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


async def connect(settings: Settings) -> Client:
    # lazy=True: the API starts (and /health answers) while Temporal is still coming up;
    # /ready reports it, and the client connects on first use and retries after failures.
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key,
        tls=settings.temporal_tls,
        data_converter=pydantic_data_converter,
        interceptors=tracing.temporal_interceptors(),
        lazy=True,
    )


async def query_state(client: Client, workflow_id: str) -> LifecycleState | None:
    """Best effort: the live state, or None when the workflow cannot answer quickly."""
    try:
        return await _handle(client, workflow_id).query(
            messages.STATE, result_type=LifecycleState, rpc_timeout=QUERY_TIMEOUT
        )
    except Exception as exc:  # any failure means "use the stored row"
        log.info(
            "state query failed; using stored state",
            extra={"recommendation_id": workflow_id, "error": str(exc)[:300]},
        )
        return None


async def decide(client: Client, workflow_id: str, decision: Decision) -> DecisionAccepted:
    return await _update(client, workflow_id, messages.DECIDE, decision, DecisionAccepted)


async def reanalyze(
    client: Client, workflow_id: str, request: ReanalysisRequest
) -> ReanalysisAccepted:
    return await _update(client, workflow_id, messages.REANALYZE, request, ReanalysisAccepted)


async def ping(client: Client) -> None:
    await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=PING_TIMEOUT)


def _handle(client: Client, workflow_id: str) -> WorkflowHandle:
    return client.get_workflow_handle(workflow_id)


async def _update(
    client: Client, workflow_id: str, name: str, payload: object, result_type: type
) -> Any:
    """Run an update and wait for its answer; a refusal raises UpdateRefused."""
    try:
        return await _handle(client, workflow_id).execute_update(
            name, payload, result_type=result_type, rpc_timeout=UPDATE_TIMEOUT
        )
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError):
            raise UpdateRefused(cause.type or "Refused", cause.message) from exc
        raise
    except RPCError as exc:
        # NOT_FOUND covers both "never existed" and "already completed".
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise WorkflowClosedError(str(exc)) from exc
        raise
