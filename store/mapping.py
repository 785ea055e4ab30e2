"""Conversions between domain models and table rows/column values."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from domain.lifecycle import (
    AuditEvent,
    ExecutionResult,
    LifecycleState,
    Outcome,
    RecommendationStatus,
    TraceStep,
)
from domain.recommendation import Recommendation
from store.models import AuditLogRow
from store.records import RecommendationRecord, StoredRecommendation


def recommendation_columns(recommendation: Recommendation | None) -> dict[str, Any]:
    """Columns copied from the recommendation; all None while there is none yet."""
    if recommendation is None:
        return {
            "recommended_action": None,
            "specific_action": None,
            "root_cause": None,
            "confidence": None,
            "risk_level": None,
            "reasoning": None,
            "expected_impact": None,
            "recommendation": None,
            "degraded": False,
            "model": None,
            "prompt_versions": None,
        }
    document = recommendation.model_dump(mode="json")
    return {
        "recommended_action": document["recommended_action"],
        "specific_action": document["specific_action"],
        "root_cause": document["root_cause"],
        "confidence": document["confidence"],
        "risk_level": document["risk_level"],
        "reasoning": document["reasoning"],
        "expected_impact": document["expected_impact"],
        "recommendation": document,
        "degraded": document["degraded"],
        "model": document["model"],
        "prompt_versions": document["prompt_versions"],
    }


def decision_columns(state: LifecycleState, now: datetime) -> dict[str, Any]:
    decision = state.decision
    return {
        "decision": decision.decision.value if decision else None,
        "reviewer": decision.reviewer if decision else None,
        "feedback": decision.feedback if decision else None,
        # Only a candidate: the upsert keeps the first time this decision was seen.
        "decided_at": now if decision else None,
    }


def state_columns(state: LifecycleState, now: datetime) -> dict[str, Any]:
    """Everything sync_state writes on the recommendation row (insert or update)."""
    return {
        "campaign_id": state.campaign_id,
        "status": state.status.value,
        "state_seq": state.seq,
        "revision": state.revision,
        "iterations": state.iterations,
        "error": state.error,
        "state": state.model_dump(mode="json"),
        "updated_at": now,
        **recommendation_columns(state.recommendation),
        **decision_columns(state, now),
    }


def execution_columns(recommendation_id: str, execution: ExecutionResult) -> dict[str, Any]:
    document = execution.model_dump(mode="json")
    return {
        "recommendation_id": recommendation_id,
        "idempotency_key": execution.idempotency_key,
        "campaign_id": execution.campaign_id,
        "action": document["action"],
        "applied": execution.applied,
        "already_applied": execution.already_applied,
        "before": document["before"],
        "after": document["after"],
        "executed_at": execution.executed_at,
        "message": execution.message,
    }


def outcome_columns(recommendation_id: str, outcome: Outcome) -> dict[str, Any]:
    document = outcome.model_dump(mode="json")
    return {
        "recommendation_id": recommendation_id,
        "campaign_id": outcome.campaign_id,
        "metric": outcome.metric,
        "before_value": outcome.before_value,
        "after_value": outcome.after_value,
        "actual_change_pct": outcome.actual_change_pct,
        "expected_change_pct": outcome.expected_change_pct,
        "success": outcome.success,
        "summary": outcome.summary,
        "measured_at": outcome.measured_at,
        # The campaign snapshots the outcome compared (read by the portfolio review).
        "before_metrics": document.get("before_metrics"),
        "after_metrics": document.get("after_metrics"),
    }


def trace_rows(recommendation_id: str, trace: list[TraceStep]) -> list[dict[str, Any]]:
    return [
        {
            "recommendation_id": recommendation_id,
            "position": position,
            "step": step.step,
            "iteration": step.iteration,
            "started_at": step.started_at,
            "duration_ms": step.duration_ms,
            "detail": step.detail,
        }
        for position, step in enumerate(trace)
    ]


def audit_columns(event: AuditEvent) -> dict[str, Any]:
    document = event.model_dump(mode="json")
    return {
        "recommendation_id": event.recommendation_id,
        "event": event.event,
        "actor": event.actor,
        "revision": event.revision,
        "payload": document["payload"],
        "at": event.at,
        "dedup_key": audit_dedup_key(document),
    }


def audit_dedup_key(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def to_audit_event(row: AuditLogRow) -> AuditEvent:
    return AuditEvent(
        recommendation_id=row.recommendation_id,
        event=row.event,
        actor=row.actor,
        revision=row.revision,
        payload=row.payload,
        at=row.at,
    )


def to_record(row: StoredRecommendation) -> RecommendationRecord:
    state = row.state_json
    return RecommendationRecord(
        recommendation_id=row.recommendation_id,
        campaign_id=row.campaign_id,
        workflow_id=row.workflow_id,
        status=RecommendationStatus(row.status),
        revision=row.revision,
        requested_by=row.requested_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        state=LifecycleState.model_validate_json(state) if state is not None else None,
        error=row.error,
        recommended_action=row.recommended_action,
        confidence=row.confidence,
        risk_level=row.risk_level,
        decision=row.decision,
        reviewer=row.reviewer,
        decided_at=row.decided_at,
    )
