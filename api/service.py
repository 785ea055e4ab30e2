"""The recommendation use cases behind the routers: analyze, read, decide, re-analyze.

Routers stay thin (HTTP in, HTTP out); the rules about deduplication, which states accept a
decision and how Temporal failures map to HTTP live here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio.client import Client

from activities.analysis_start import AnalysisStarter, StartFailed
from api import temporal, views
from api.auth import Principal
from api.errors import ApiError
from api.metrics import ANALYZE_REQUESTS, DECISION_REQUESTS, REANALYSIS
from api.schemas import (
    AnalyzeResponse,
    DecisionRequest,
    DecisionResponse,
    ReanalyzeResponse,
    RecommendationView,
)
from domain.lifecycle import Decision, ReanalysisRequest, RecommendationStatus
from settings import Settings
from store import mapping
from store.repository import RecommendationRecord, Store

log = logging.getLogger("api.recommendations")


class RecommendationService:
    def __init__(self, settings: Settings, store: Store, client: Client) -> None:
        self.settings = settings
        self.store = store
        self.client = client

    # ------------------------------------------------------------------ analyze

    async def analyze(
        self, campaign_id: str, force_refresh: bool, principal: Principal
    ) -> AnalyzeResponse:
        starter = AnalysisStarter(
            self.store,
            self.client,
            self.settings.temporal_task_queue,
            self.settings.lifecycle_policy(),
            timedelta(hours=self.settings.dedup_window_hours),
        )
        try:
            started = await starter.start(campaign_id, principal.name, force_refresh=force_refresh)
        except StartFailed as failure:
            ANALYZE_REQUESTS.labels(result="start_failed").inc()
            raise ApiError(
                503,
                "temporal_unavailable",
                f"could not start the analysis workflow for recommendation "
                f"{failure.recommendation_id} ({_short(failure.cause)}); try again later",
            ) from failure.cause
        result = "deduplicated" if started.deduplicated else "started"
        ANALYZE_REQUESTS.labels(result=result).inc()
        return _analyze_response(started.record, deduplicated=started.deduplicated)

    # --------------------------------------------------------------------- read

    async def get_json(self, recommendation_id: str, *, live: bool = False) -> bytes:
        """The stored recommendation's view as JSON; with ``live`` and a running workflow, its
        state query (falling back to the stored row when the workflow does not answer within
        2 s)."""
        row = await self.store.read_recommendation(recommendation_id)
        if row is None:
            raise _not_found(recommendation_id)
        if live and not RecommendationStatus(row.status).is_final:
            state = await temporal.query_state(self.client, row.workflow_id)
            if state is not None:
                # The stored state is not part of a live view: no need to decode it.
                record = mapping.to_record(row._replace(state_json=None))
                view = RecommendationView.build(record, state)
                return view.model_dump_json().encode()
        return views.view_json(row)

    async def list_json(
        self, status: RecommendationStatus | None, campaign_id: str | None, limit: int, offset: int
    ) -> bytes:
        rows, total = await self.store.read_recommendations(status, campaign_id, limit, offset)
        return views.page_json(rows, total, limit, offset)

    async def _require(self, recommendation_id: str) -> RecommendationRecord:
        record = await self.store.get_recommendation(recommendation_id)
        if record is None:
            raise _not_found(recommendation_id)
        return record

    # ------------------------------------------------------------------- decide

    async def decide(
        self, recommendation_id: str, body: DecisionRequest, principal: Principal
    ) -> DecisionResponse:
        """Send the decision as the workflow's ``decide`` update: the answer says whether the
        workflow took it, and a refusal (stale revision, already decided, cooldown) is a 409
        with the workflow's own reason."""
        record = await self._require_open(recommendation_id)
        decision = Decision(
            decision=body.decision,
            reviewer=principal.name,
            feedback=body.feedback,
            revision=body.revision,
            override_cooldown=body.override_cooldown,
        )
        requests = DECISION_REQUESTS.labels
        try:
            accepted = await self._update(record, temporal.decide, decision)
        except ApiError as err:
            result = "refused" if err.status_code == 409 else "failed"
            requests(decision=body.decision.value, result=result).inc()
            raise
        # Counted as a request; the worker counts the acceptance itself, once, from the audit.
        requests(decision=body.decision.value, result="accepted").inc()
        log.info(
            "decision accepted",
            extra={
                "recommendation_id": recommendation_id,
                "decision": body.decision.value,
                "reviewer": principal.name,
                "revision": accepted.revision,
            },
        )
        return DecisionResponse(
            recommendation_id=recommendation_id,
            decision=accepted.decision,
            reviewer=accepted.reviewer,
            revision=accepted.revision,
        )

    async def reanalyze(
        self, recommendation_id: str, feedback: str, principal: Principal
    ) -> ReanalyzeResponse:
        record = await self._require_open(recommendation_id)
        request = ReanalysisRequest(reviewer=principal.name, feedback=feedback)
        accepted = await self._update(record, temporal.reanalyze, request)
        REANALYSIS.inc()
        log.info(
            "re-analysis accepted",
            extra={"recommendation_id": recommendation_id, "reviewer": principal.name},
        )
        return ReanalyzeResponse(
            recommendation_id=recommendation_id,
            reviewer=accepted.reviewer,
            previous_revision=accepted.previous_revision,
            reanalyses=accepted.reanalyses,
        )

    async def _require_open(self, recommendation_id: str) -> RecommendationRecord:
        """The recommendation, unless its run has finished (no need to ask Temporal then)."""
        record = await self._require(recommendation_id)
        if record.status.is_final:
            raise ApiError(
                409,
                "not_pending",
                f"recommendation {recommendation_id!r} is {record.status.value}; "
                "only pending_review recommendations accept this",
            )
        return record

    async def _update(
        self,
        record: RecommendationRecord,
        send: Callable[[Client, str, Any], Awaitable[Any]],
        payload: Any,
    ) -> Any:
        try:
            return await send(self.client, record.workflow_id, payload)
        except temporal.UpdateRefused as exc:
            status, code = REFUSALS.get(exc.kind, (409, "refused"))
            raise ApiError(status, code, exc.reason) from exc
        except temporal.WorkflowClosedError as exc:
            raise ApiError(
                409,
                "not_pending",
                f"recommendation {record.recommendation_id!r} ({record.status.value}) has no "
                "running workflow to take it",
            ) from exc
        except Exception as exc:  # Temporal unreachable, or no worker answered in time
            raise ApiError(
                503,
                "temporal_unavailable",
                f"the workflow did not answer ({_short(exc)}); nothing is known to have "
                "changed: read the recommendation again before retrying",
            ) from exc


# The workflow's refusal types -> HTTP status and error code.
REFUSALS: dict[str, tuple[int, str]] = {
    "NotPending": (409, "not_pending"),
    "AlreadyDecided": (409, "already_decided"),
    "StaleRevision": (409, "stale_revision"),
    "ReanalysisRequested": (409, "reanalysis_requested"),
    "ReanalysisLimit": (409, "reanalysis_limit"),
    "CooldownActive": (409, "cooldown_active"),
    "CheckUnavailable": (503, "check_unavailable"),
}


def _analyze_response(record: RecommendationRecord, *, deduplicated: bool) -> AnalyzeResponse:
    return AnalyzeResponse(
        recommendation_id=record.recommendation_id,
        status=record.status,
        campaign_id=record.campaign_id,
        deduplicated=deduplicated,
    )


def _not_found(recommendation_id: str) -> ApiError:
    return ApiError(404, "not_found", f"recommendation {recommendation_id!r} not found")


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
