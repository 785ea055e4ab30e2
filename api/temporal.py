"""Everything the API asks of Temporal: connect, start, query, signal, ping.

The API never waits on a workflow's progress; every call carries a short RPC timeout so a slow
or absent cluster turns into a 503 (or a fallback to the stored row) instead of a hung request.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.lifecycle import AnalyzeInput, Decision, LifecycleState, ReanalysisRequest
from settings import Settings
from telemetry import tracing
from workflows.search_attributes import start_search_attributes

log = logging.getLogger("api.temporal")

WORKFLOW_TYPE = "RecommendationWorkflow"
SIGNAL_DECISION = "submit_decision"
SIGNAL_REANALYSIS = "request_reanalysis"
QUERY_STATE = "state"

RPC_TIMEOUT = timedelta(seconds=10)
# GET merges the live state only if it is quick; the stored row is a fine answer otherwise.
QUERY_TIMEOUT = timedelta(seconds=2)
PING_TIMEOUT = timedelta(seconds=3)


class WorkflowClosedError(Exception):
    """The workflow has already finished, so it can no longer take signals."""


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


async def start_recommendation(client: Client, task_queue: str, analyze: AnalyzeInput) -> None:
    """Start the run named after the recommendation; idempotent: an already running run is
    kept, and a closed one is never started again under the same id."""
    try:
        await client.start_workflow(
            WORKFLOW_TYPE,
            analyze,
            id=analyze.recommendation_id,
            task_queue=task_queue,
            search_attributes=start_search_attributes(analyze.campaign_id),
            static_summary=f"Recommendation for campaign {analyze.campaign_id}",
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            rpc_timeout=RPC_TIMEOUT,
        )
    except WorkflowAlreadyStartedError:
        pass  # it ran and closed already: its own records say how it ended


async def query_state(client: Client, workflow_id: str) -> LifecycleState | None:
    """Best effort: the live state, or None when the workflow cannot answer quickly."""
    try:
        return await _handle(client, workflow_id).query(
            QUERY_STATE, result_type=LifecycleState, rpc_timeout=QUERY_TIMEOUT
        )
    except Exception as exc:  # any failure means "use the stored row"
        log.info(
            "state query failed; using stored state",
            extra={"recommendation_id": workflow_id, "error": str(exc)[:300]},
        )
        return None


async def signal_decision(client: Client, workflow_id: str, decision: Decision) -> None:
    await _signal(client, workflow_id, SIGNAL_DECISION, decision)


async def signal_reanalysis(client: Client, workflow_id: str, request: ReanalysisRequest) -> None:
    await _signal(client, workflow_id, SIGNAL_REANALYSIS, request)


async def ping(client: Client) -> None:
    await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=PING_TIMEOUT)


def _handle(client: Client, workflow_id: str) -> WorkflowHandle:
    return client.get_workflow_handle(workflow_id)


async def _signal(client: Client, workflow_id: str, name: str, payload: object) -> None:
    try:
        await _handle(client, workflow_id).signal(name, payload, rpc_timeout=RPC_TIMEOUT)
    except RPCError as exc:
        # NOT_FOUND covers both "never existed" and "already completed".
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise WorkflowClosedError(str(exc)) from exc
        raise
