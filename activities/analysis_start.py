"""Start a recommendation run: the one way both the API (``POST .../analyze``) and the KPI watch
do it.

Row first, then the workflow: the workflow's first ``sync_state`` updates a row that already
exists, and a failed start leaves a visible ``failed`` row rather than nothing. Without
``force_refresh`` the row is created only when the campaign has no pending recommendation
younger than the dedup window (atomic in the database, so two callers, even on several API
replicas, cannot both start one); a pending row whose run may never have started (its starter
died in between) gets its run started, which is idempotent.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.lifecycle import AnalyzeInput, LifecyclePolicy, LifecycleState, RecommendationStatus
from store.repository import RecommendationRecord, Store
from workflows import messages
from workflows.search_attributes import start_search_attributes

log = logging.getLogger("analysis_start")

START_TIMEOUT = timedelta(seconds=10)


def new_recommendation_id(campaign_id: str) -> str:
    return f"rec-{campaign_id}-{uuid.uuid4().hex[:8]}"


class StartFailed(Exception):
    """The run could not be started (a row this call wrote is marked failed)."""

    def __init__(self, recommendation_id: str, cause: BaseException) -> None:
        super().__init__(f"could not start {recommendation_id}: {short(cause)}")
        self.recommendation_id = recommendation_id
        self.cause = cause


@dataclass(frozen=True)
class AnalysisStarted:
    record: RecommendationRecord
    deduplicated: bool  # an existing pending recommendation was returned


class AnalysisStarter:
    def __init__(
        self,
        store: Store,
        client: Client,
        task_queue: str,
        policy: LifecyclePolicy,
        dedup_window: timedelta,
    ) -> None:
        self.store = store
        self.client = client
        self.task_queue = task_queue
        self.policy = policy
        self.dedup_window = dedup_window

    async def start(
        self, campaign_id: str, requested_by: str, *, force_refresh: bool = False
    ) -> AnalysisStarted:
        """Raises ``StartFailed`` (the row is marked failed) when Temporal refuses the start."""
        recommendation_id = new_recommendation_id(campaign_id)
        if force_refresh:
            record = await self.store.create_recommendation(
                recommendation_id, campaign_id, requested_by=requested_by
            )
        else:
            since = datetime.now(UTC) - self.dedup_window
            record, created = await self.store.create_unless_pending(
                recommendation_id, campaign_id, requested_by, since=since
            )
            if not created:
                if record.status is RecommendationStatus.analyzing:
                    # Its starter may have died between the row and the run: make sure the
                    # run exists. A failure leaves the row as it is (its run may be alive).
                    try:
                        await self._start_workflow(record)
                    except Exception as exc:
                        raise StartFailed(record.recommendation_id, exc) from exc
                log.info(
                    "returning pending recommendation",
                    extra={"recommendation_id": record.recommendation_id},
                )
                return AnalysisStarted(record, deduplicated=True)
        try:
            await self._start_workflow(record)
        except Exception as exc:  # any start failure: this call wrote the row, say so there
            await self._mark_start_failed(record, exc)
            raise StartFailed(record.recommendation_id, exc) from exc
        return AnalysisStarted(record, deduplicated=False)

    async def _start_workflow(self, record: RecommendationRecord) -> None:
        analyze = AnalyzeInput(
            recommendation_id=record.recommendation_id,
            campaign_id=record.campaign_id,
            requested_by=record.requested_by,
            policy=self.policy,
        )
        await start_recommendation(self.client, self.task_queue, analyze)
        log.info(
            "analysis started",
            extra={
                "recommendation_id": analyze.recommendation_id,
                "campaign_id": analyze.campaign_id,
                "requested_by": analyze.requested_by,
            },
        )

    async def _mark_start_failed(self, record: RecommendationRecord, exc: BaseException) -> None:
        log.error(
            "workflow start failed",
            extra={"recommendation_id": record.recommendation_id, "error": short(exc)},
        )
        failed = LifecycleState(
            recommendation_id=record.recommendation_id,
            campaign_id=record.campaign_id,
            status=RecommendationStatus.failed,
            error=f"workflow start failed: {short(exc)}",
        )
        try:
            await self.store.sync_state(failed)
        except Exception:  # the caller still learns of the failure; the log keeps the detail
            log.exception(
                "could not mark recommendation failed",
                extra={"recommendation_id": record.recommendation_id},
            )


async def start_recommendation(client: Client, task_queue: str, analyze: AnalyzeInput) -> None:
    """Start the run named after the recommendation; idempotent: an already running run is
    kept, and a closed one is never started again under the same id."""
    try:
        await client.start_workflow(
            messages.RECOMMENDATION_WORKFLOW,
            analyze,
            id=analyze.recommendation_id,
            task_queue=task_queue,
            search_attributes=start_search_attributes(analyze.campaign_id),
            static_summary=f"Recommendation for campaign {analyze.campaign_id}",
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            rpc_timeout=START_TIMEOUT,
        )
    except WorkflowAlreadyStartedError:
        pass  # it ran and closed already: its own records say how it ended


def short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
