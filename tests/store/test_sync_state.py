"""sync_state mirrors the workflow's LifecycleState; it is retried, so it must be idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, select

from domain.lifecycle import AuditEvent, LifecycleState, RecommendationStatus
from store import Store
from store.models import ExecutionRow, OutcomeRow, RecommendationRow, RunTraceRow
from tests.store.conftest import Factory


async def _row(store: Store, recommendation_id: str) -> RecommendationRow:
    async with store.engine.connect() as connection:
        result = await connection.execute(
            select(RecommendationRow).where(
                RecommendationRow.recommendation_id == recommendation_id
            )
        )
        return result.one()  # type: ignore[return-value]


async def _count(store: Store, model, recommendation_id: str) -> int:
    async with store.engine.connect() as connection:
        return await connection.scalar(
            select(func.count())
            .select_from(model)
            .where(model.recommendation_id == recommendation_id)
        )


async def _created(store: Store, make: Factory) -> tuple[str, str]:
    campaign_id = make.campaign_id()
    record = await store.create_recommendation(
        make.recommendation_id(campaign_id), campaign_id, "api"
    )
    return record.recommendation_id, campaign_id


async def test_round_trip_fills_columns_and_state(store: Store, make: Factory) -> None:
    recommendation_id, campaign_id = await _created(store, make)
    state = make.state(recommendation_id, campaign_id, RecommendationStatus.approved, decided=True)

    await store.sync_state(state)

    row = await _row(store, recommendation_id)
    assert row.status == "approved"
    assert (row.revision, row.iterations) == (1, 2)
    assert row.recommended_action == "Bid Adjustment"
    assert row.specific_action == "increase bid 15 % from $2.50 to $2.88"
    assert row.root_cause == "competitive_pressure"
    assert row.confidence == 0.78
    assert row.risk_level == "medium"
    assert row.reasoning.startswith("CPA rose 31 %")
    assert row.expected_impact["change_pct"] == -12.0
    assert row.recommendation["supporting_evidence"][0].startswith("competitor activity")
    assert row.degraded is True
    assert row.model == "rules"
    assert row.prompt_versions == {"generate": "v3", "critique": "v2"}
    assert (row.decision, row.reviewer) == ("approved", "maria@example.com")
    assert row.feedback == "go ahead, watch CPC"
    assert row.decided_at is not None and row.decided_at.tzinfo is not None

    record = await store.get_recommendation(recommendation_id)
    assert record is not None
    assert record.state == state
    assert isinstance(record.state, LifecycleState)
    assert record.status is RecommendationStatus.approved
    assert (record.recommended_action, record.confidence) == ("Bid Adjustment", 0.78)
    assert (record.decision, record.reviewer) == ("approved", "maria@example.com")


async def test_sync_twice_is_idempotent(store: Store, make: Factory) -> None:
    recommendation_id, campaign_id = await _created(store, make)
    state = make.state(recommendation_id, campaign_id, RecommendationStatus.executed, executed=True)

    await store.sync_state(state)
    first = await store.get_recommendation(recommendation_id)
    await store.sync_state(state)  # the activity retried
    second = await store.get_recommendation(recommendation_id)

    assert await _count(store, RecommendationRow, recommendation_id) == 1
    assert await _count(store, ExecutionRow, recommendation_id) == 1
    assert await _count(store, RunTraceRow, recommendation_id) == len(state.trace)
    assert first is not None and second is not None
    assert second.state == first.state == state
    assert second.decided_at == first.decided_at  # re-syncing does not move the decision time
    assert second.created_at == first.created_at


async def test_traces_are_replaced_not_appended(store: Store, make: Factory) -> None:
    recommendation_id, campaign_id = await _created(store, make)
    long_loop = make.state(recommendation_id, campaign_id, iterations=3)
    await store.sync_state(long_loop)

    # A reanalysis: the workflow reports a new, shorter path through the loop.
    short_loop = make.state(recommendation_id, campaign_id, iterations=1)
    short_loop.revision = 2
    await store.sync_state(short_loop)

    traces = await store.list_traces(recommendation_id)
    assert traces == short_loop.trace
    assert [step.step for step in traces] == [
        "collect_context",
        "analyze_signals",
        "generate",
        "critique",
        "validate",
    ]


async def test_trace_times_come_back_in_utc(store: Store, make: Factory) -> None:
    recommendation_id, campaign_id = await _created(store, make)
    state = make.state(recommendation_id, campaign_id)
    plus_five = timezone(timedelta(hours=5))
    state.trace[0].started_at = state.trace[0].started_at.astimezone(plus_five)

    await store.sync_state(state)

    traces = await store.list_traces(recommendation_id)
    assert traces[0].started_at == state.trace[0].started_at  # same instant
    assert traces[0].started_at.utcoffset() == timedelta(0)


async def test_sync_without_create(store: Store, make: Factory) -> None:
    """A workflow started from the Temporal CLI never went through the API."""
    campaign_id = make.campaign_id()
    recommendation_id = make.recommendation_id(campaign_id)
    state = make.state(recommendation_id, campaign_id, RecommendationStatus.pending_review)

    await store.sync_state(state)

    record = await store.get_recommendation(recommendation_id)
    assert record is not None
    assert record.status is RecommendationStatus.pending_review
    assert record.workflow_id == recommendation_id
    assert record.requested_by == "unknown"
    assert record.created_at.tzinfo == UTC
    assert record.state == state
    assert await store.find_pending(campaign_id, since=record.created_at) == record


async def test_sync_keeps_what_create_recorded(store: Store, make: Factory) -> None:
    recommendation_id, campaign_id = await _created(store, make)
    created = await store.get_recommendation(recommendation_id)

    await store.sync_state(make.state(recommendation_id, campaign_id))

    synced = await store.get_recommendation(recommendation_id)
    assert created is not None and synced is not None
    assert synced.requested_by == "api"
    assert synced.created_at == created.created_at
    assert synced.updated_at >= created.updated_at


async def test_state_without_recommendation_clears_the_columns(store: Store, make: Factory) -> None:
    recommendation_id, campaign_id = await _created(store, make)
    await store.sync_state(make.state(recommendation_id, campaign_id))

    failed = LifecycleState(
        recommendation_id=recommendation_id,
        campaign_id=campaign_id,
        status=RecommendationStatus.failed,
        revision=2,
        error="CampaignNotFound: campaign was deleted",
    )
    await store.sync_state(failed)

    row = await _row(store, recommendation_id)
    assert row.status == "failed"
    assert row.error == "CampaignNotFound: campaign was deleted"
    assert (row.recommended_action, row.confidence, row.recommendation) == (None, None, None)
    assert await store.list_traces(recommendation_id) == []


async def test_execution_is_upserted_by_idempotency_key(store: Store, make: Factory) -> None:
    recommendation_id, campaign_id = await _created(store, make)
    state = make.state(recommendation_id, campaign_id, RecommendationStatus.executed, executed=True)
    await store.sync_state(state)

    # The execute activity was retried: the platform reports the change as already applied.
    assert state.execution is not None
    state.execution.already_applied = True
    state.execution.message = "duplicate request, already applied"
    await store.sync_state(state)

    async with store.engine.connect() as connection:
        rows = (
            await connection.execute(
                select(ExecutionRow).where(ExecutionRow.recommendation_id == recommendation_id)
            )
        ).all()
    assert len(rows) == 1
    execution = rows[0]
    assert execution.idempotency_key == f"{recommendation_id}:r1:execute"
    assert execution.action == "Bid Adjustment"
    assert (execution.applied, execution.already_applied) == (True, True)
    assert (execution.before, execution.after) == ({"bid": 2.5}, {"bid": 2.88})
    assert execution.executed_at == state.execution.executed_at
    assert execution.message == "duplicate request, already applied"


async def test_outcome_is_persisted(store: Store, make: Factory) -> None:
    recommendation_id, campaign_id = await _created(store, make)
    state = make.state(
        recommendation_id, campaign_id, RecommendationStatus.completed, measured=True
    )

    await store.sync_state(state)
    await store.sync_state(state)

    async with store.engine.connect() as connection:
        rows = (
            await connection.execute(
                select(OutcomeRow).where(OutcomeRow.recommendation_id == recommendation_id)
            )
        ).all()
    assert len(rows) == 1
    outcome = rows[0]
    assert outcome.campaign_id == campaign_id
    assert outcome.metric == "cpa"
    assert (outcome.before_value, outcome.after_value) == (48.5, 42.1)
    assert (outcome.actual_change_pct, outcome.expected_change_pct) == (-13.2, -12.0)
    assert outcome.success is True
    assert outcome.summary == "CPA fell 13.2 % (expected -12 %)"
    assert state.outcome is not None
    assert outcome.measured_at == state.outcome.measured_at

    record = await store.get_recommendation(recommendation_id)
    assert record is not None and record.state is not None
    assert record.state.outcome == state.outcome


async def test_an_older_save_never_overwrites_a_newer_one(store: Store, make: Factory) -> None:
    recommendation_id, campaign_id = await _created(store, make)
    approved = make.state(recommendation_id, campaign_id, RecommendationStatus.approved)
    executed = make.state(recommendation_id, campaign_id, RecommendationStatus.executed)
    approved = approved.model_copy(update={"seq": 3})
    executed = executed.model_copy(update={"seq": 4})

    assert (await store.sync_state(executed)).written
    # A retry of the earlier save lands late (a slow database, a worker that came back).
    assert not (await store.sync_state(approved)).written
    assert (await store.sync_state(executed)).written  # the same save again is fine

    row = await _row(store, recommendation_id)
    assert (row.status, row.state_seq) == ("executed", 4)
    record = await store.get_recommendation(recommendation_id)
    assert record.state.status is RecommendationStatus.executed


async def test_the_last_applied_change_is_what_the_cooldown_counts_from(
    store: Store, make: Factory
) -> None:
    recommendation_id, campaign_id = await _created(store, make)
    assert await store.last_change(campaign_id) is None
    state = make.state(recommendation_id, campaign_id, RecommendationStatus.executed, executed=True)
    assert state.execution is not None and state.execution.applied

    await store.sync_state(state)

    last = await store.last_change(campaign_id)
    assert last is not None and last.recommendation_id == recommendation_id
    assert last.action == state.execution.action and last.at == state.execution.executed_at


async def test_a_save_says_what_the_row_held_before(store: Store, make: Factory) -> None:
    recommendation_id, campaign_id = await _created(store, make)
    created = (await store.get_recommendation(recommendation_id)).created_at
    pending = make.state(recommendation_id, campaign_id, seq=1)
    approved = make.state(
        recommendation_id, campaign_id, RecommendationStatus.approved, decided=True, seq=2
    )

    first = await store.sync_state(pending)
    retried = await store.sync_state(pending)  # the activity retried: nothing moved this time
    second = await store.sync_state(approved)

    assert first.written and first.previous is not None
    assert (first.previous.status, first.previous.revision) == (RecommendationStatus.analyzing, 0)
    assert first.previous.created_at == created
    assert retried.written and retried.previous.status is RecommendationStatus.pending_review
    assert second.previous.status is RecommendationStatus.pending_review


async def test_a_run_without_a_row_has_no_previous_status(store: Store, make: Factory) -> None:
    campaign_id = make.campaign_id()  # started from the Temporal CLI: no API row
    saved = await store.sync_state(make.state(make.recommendation_id(campaign_id), campaign_id))

    assert saved.written and saved.previous is None


async def test_an_older_save_changes_nothing_and_says_so(store: Store, make: Factory) -> None:
    recommendation_id, campaign_id = await _created(store, make)
    pending = make.state(recommendation_id, campaign_id, seq=1)
    executed = make.state(
        recommendation_id, campaign_id, RecommendationStatus.executed, executed=True, seq=3
    )
    await store.sync_state(pending)
    await store.sync_state(executed)

    stale = await store.sync_state(pending)  # a delayed retry of the earlier save lands last

    assert not stale.written
    assert stale.previous.status is RecommendationStatus.executed
    record = await store.get_recommendation(recommendation_id)
    assert record.status is RecommendationStatus.executed and record.state == executed


async def test_a_state_saved_with_its_audit_entries_stores_both_once(
    store: Store, make: Factory
) -> None:
    recommendation_id, campaign_id = await _created(store, make)
    state = make.state(
        recommendation_id, campaign_id, RecommendationStatus.executed, executed=True, seq=3
    )
    approved = AuditEvent(
        recommendation_id=recommendation_id,
        event="approved",
        actor="maria@example.com",
        revision=1,
        at=datetime(2025, 1, 6, 9, 0, tzinfo=UTC),
    )
    executed = approved.model_copy(update={"event": "executed", "actor": "system"})

    saved, inserted = await store.save_state(state, [approved, executed])
    # The activity is retried after a lost acknowledgement: nothing doubles up.
    again, inserted_again = await store.save_state(state, [approved, executed])

    assert saved.written and saved.previous is not None
    assert saved.previous.status is RecommendationStatus.analyzing
    assert inserted == [True, True] and inserted_again == [False, False]
    assert again.previous is not None and again.previous.status is RecommendationStatus.executed
    assert (await _row(store, recommendation_id)).status == "executed"
    assert await _count(store, ExecutionRow, recommendation_id) == 1
    assert await store.list_audit(recommendation_id) == [approved, executed]


async def test_an_older_state_saved_with_audit_keeps_the_newer_state_and_adds_the_entry(
    store: Store, make: Factory
) -> None:
    recommendation_id, campaign_id = await _created(store, make)
    newer = make.state(recommendation_id, campaign_id, RecommendationStatus.approved, seq=5)
    older = make.state(recommendation_id, campaign_id, RecommendationStatus.pending_review, seq=4)
    entry = AuditEvent(
        recommendation_id=recommendation_id,
        event="approved",
        actor="maria@example.com",
        at=datetime(2025, 1, 6, 9, 0, tzinfo=UTC),
    )
    await store.sync_state(newer)

    saved, inserted = await store.save_state(older, [entry])

    assert not saved.written and inserted == [True]
    assert (await _row(store, recommendation_id)).status == "approved"
    assert await store.list_audit(recommendation_id) == [entry]
