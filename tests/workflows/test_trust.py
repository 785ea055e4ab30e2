"""Trust under concurrency: decisions as updates, one change at a time per campaign, approvals
that go stale, reviewer feedback. On the time-skipping server with doubles at the platform."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain.lifecycle import Decision, DecisionKind, ReanalysisRequest, RecommendationStatus
from domain.recommendation import ActionType
from domain.thresholds import AutoApprovalPolicy
from tests.workflows.doubles import Doubles, FakeAdPlatform, ScriptedReasoner, recommendation
from tests.workflows.harness import (
    Scenario,
    fast_policy,
    finish,
    past_the_change_queue,
    pending_review,
    wait_for_state,
)
from workflows.recommendation import RecommendationWorkflow


def approve(revision: int | None, reviewer: str = "alice", **extra: object) -> Decision:
    return Decision(decision=DecisionKind.approved, reviewer=reviewer, revision=revision, **extra)


async def refusal(update) -> str:  # noqa: ANN001
    """The error type a refused update answers with."""
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await update
    return refused.value.cause.type


async def test_two_concurrent_approvals_one_is_accepted_the_other_told_why(
    env: WorkflowEnvironment,
) -> None:
    scenario = Scenario(env)
    async with scenario.worker():
        handle = await scenario.start()
        pending = await wait_for_state(handle, pending_review)
        results = await asyncio.gather(
            handle.execute_update(RecommendationWorkflow.decide, approve(pending.revision)),
            handle.execute_update(RecommendationWorkflow.decide, approve(pending.revision, "bob")),
            return_exceptions=True,
        )
        final = await finish(handle)

    accepted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, WorkflowUpdateFailedError)]
    assert len(accepted) == 1 and len(refused) == 1
    assert refused[0].cause.type == "AlreadyDecided"
    assert accepted[0].reviewer in refused[0].cause.message  # told who decided
    assert final.decision.reviewer == accepted[0].reviewer
    assert len(scenario.doubles.platform.executions) == 1
    assert scenario.store.events().count("approved") == 1


async def _race_once(env: WorkflowEnvironment) -> tuple[str, RecommendationStatus, str | None]:
    """Approve revision 1 while asking for a reanalysis: who won, and what was executed."""
    scenario = Scenario(env)
    async with scenario.worker():
        handle = await scenario.start()
        first = await wait_for_state(handle, pending_review)
        decision, reanalysis = await asyncio.gather(
            handle.execute_update(RecommendationWorkflow.decide, approve(first.revision)),
            handle.execute_update(
                RecommendationWorkflow.reanalyze, ReanalysisRequest(reviewer="carol")
            ),
            return_exceptions=True,
        )
        winners = [r for r in (decision, reanalysis) if not isinstance(r, BaseException)]
        losers = [r for r in (decision, reanalysis) if isinstance(r, WorkflowUpdateFailedError)]
        assert len(winners) == 1 and len(losers) == 1, (decision, reanalysis)
        if isinstance(decision, BaseException):
            # The reanalysis won: the approval was refused to its face; approve the new one.
            second = await wait_for_state(
                handle, lambda s: pending_review(s) and s.revision > first.revision
            )
            await handle.execute_update(RecommendationWorkflow.decide, approve(second.revision))
        final = await finish(handle)
    approved = final.decision.revision
    executed = final.execution.idempotency_key if final.execution else None
    assert executed == f"{handle.id}:r{approved}", "an executed revision nobody approved"
    winner = "approval" if not isinstance(decision, BaseException) else "reanalysis"
    return winner, final.status, losers[0].cause.type


async def test_approval_racing_a_reanalysis_one_wins_the_other_is_told_20_times(
    env: WorkflowEnvironment,
) -> None:
    outcomes = [await _race_once(env) for _ in range(20)]

    assert all(status is RecommendationStatus.completed for _, status, _ in outcomes)
    for winner, _, refused_as in outcomes:
        expected = {"AlreadyDecided"} if winner == "approval" else {"ReanalysisRequested"}
        assert refused_as in expected | {"NotPending"}, (winner, refused_as)


async def until(check, within: float = 10.0) -> None:  # noqa: ANN001
    for _ in range(int(within / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def stored_change(scenario: Scenario, campaign_id: str, within: float = 10.0) -> None:
    """Until the store knows the campaign's change (the approval-time check reads it there)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while await scenario.store.last_change(campaign_id) is None:
        assert loop.time() < deadline, "the change never reached the store"
        await asyncio.sleep(0.05)


async def _pending_pair(scenario: Scenario, campaign_id: str) -> list[WorkflowHandle]:
    handles = [await scenario.start(campaign_id) for _ in range(2)]
    for handle in handles:
        await wait_for_state(handle, pending_review)
    return handles


async def test_two_approved_plans_for_one_campaign_one_executes_the_other_is_superseded(
    env: WorkflowEnvironment,
) -> None:
    gate = asyncio.Event()
    scenario = Scenario(env, Doubles(platform=FakeAdPlatform(execution_gate=gate)))
    async with scenario.worker():
        first, second = await _pending_pair(scenario, f"camp-pair-{scenario.task_queue}")
        # Both approved before either change is made: both pass the approval-time check.
        await first.execute_update(RecommendationWorkflow.decide, approve(1))
        await wait_for_state(first, lambda s: s.status.value == "approved")
        await second.execute_update(RecommendationWorkflow.decide, approve(1, "bob"))
        await wait_for_state(second, lambda s: s.status.value == "approved")
        gate.set()
        results = [await finish(first), await finish(second)]

    statuses = sorted(r.status.value for r in results)
    assert statuses == ["completed", "superseded"]
    superseded = next(r for r in results if r.status is RecommendationStatus.superseded)
    assert "cooldown" in superseded.status_reason and first.id in superseded.status_reason
    assert len(scenario.doubles.platform.executions) == 1  # exactly one change on the platform
    assert "failed" not in scenario.store.synced_statuses()
    assert "superseded" in scenario.store.events()


async def test_a_plan_whose_premise_changed_is_superseded_not_failed(
    env: WorkflowEnvironment,
) -> None:
    gone = ["creative(s) cr-1 no longer run (already rotated); running now: cr-9"]
    scenario = Scenario(env, Doubles(platform=FakeAdPlatform(premise_changes=gone)))
    async with scenario.worker():
        handle = await scenario.start()
        await wait_for_state(handle, pending_review)
        await handle.execute_update(RecommendationWorkflow.decide, approve(1))
        final = await finish(handle)

    assert final.status is RecommendationStatus.superseded
    assert final.status_reason.endswith(gone[0])
    assert final.execution is not None and not final.execution.applied
    assert final.outcome is None  # nothing was changed, nothing to measure
    audit = {event.event: event for event in scenario.store.audit}
    assert audit["superseded"].payload["reason"] == final.status_reason
    description = await handle.describe()
    assert description.search_attributes["RecommendationStatus"] == ["superseded"]


async def test_an_approval_inside_the_cooldown_is_refused_unless_overridden(
    env: WorkflowEnvironment,
) -> None:
    scenario = Scenario(env)
    campaign = f"camp-cool-{scenario.task_queue}"
    async with scenario.worker():
        first, second = await _pending_pair(scenario, campaign)
        await first.execute_update(RecommendationWorkflow.decide, approve(1))
        await wait_for_state(first, past_the_change_queue)
        await stored_change(scenario, campaign)
        # The first change is applied: a second approval is refused with the reason...
        assert (
            await refusal(second.execute_update(RecommendationWorkflow.decide, approve(1, "bob")))
            == "CooldownActive"
        )
        still = await second.query(RecommendationWorkflow.state)
        assert still.status is RecommendationStatus.pending_review
        # ...until a reviewer overrides the cooldown explicitly.
        await second.execute_update(
            RecommendationWorkflow.decide, approve(1, "bob", override_cooldown=True)
        )
        results = [await finish(first), await finish(second)]

    assert [r.status for r in results] == [RecommendationStatus.completed] * 2
    assert len(scenario.doubles.platform.executions) == 2
    assert results[1].decision.override_cooldown


async def test_an_approval_older_than_its_maximum_age_expires_instead_of_executing(
    env: WorkflowEnvironment,
) -> None:
    platform = FakeAdPlatform()
    # The first change meets a platform that says "retry in 70 minutes": the queue is held
    # that long, and the second approval waits behind it.
    platform.rate_limited_writes, platform.retry_after = 1, timedelta(minutes=70)
    scenario = Scenario(env, Doubles(platform=platform))
    policy = fast_policy(max_approval_age=timedelta(hours=1))
    async with scenario.worker():
        campaign = f"camp-age-{scenario.task_queue}"
        first = await scenario.start(campaign, policy=policy)
        second = await scenario.start(campaign, policy=policy)
        await wait_for_state(first, pending_review)
        await wait_for_state(second, pending_review)
        await first.execute_update(RecommendationWorkflow.decide, approve(1))
        await wait_for_state(first, lambda s: s.status.value == "approved")
        await second.execute_update(
            RecommendationWorkflow.decide, approve(1, "bob", override_cooldown=True)
        )
        await wait_for_state(second, lambda s: s.status.value == "approved")
        await until(lambda: platform.calls["execute_action"] > 0)  # refused for now
        await env.sleep(timedelta(minutes=75))
        late = await finish(second)
        await finish(first)

    assert late.status is RecommendationStatus.expired
    assert "more than the 1 h an approval stays valid" in late.status_reason
    assert [r.idempotency_key for r in platform.executions] == [f"{first.id}:r1"] * 2


async def test_a_signal_decision_on_a_new_run_is_refused_and_recorded(
    env: WorkflowEnvironment,
) -> None:
    scenario = Scenario(env)
    async with scenario.worker():
        handle = await scenario.start()
        await wait_for_state(handle, pending_review)
        await handle.signal(RecommendationWorkflow.submit_decision, approve(1))
        refused = await wait_for_state(handle, lambda s: bool(s.refused_decisions))
        await handle.execute_update(RecommendationWorkflow.decide, approve(1))
        await finish(handle)

    assert refused.status is RecommendationStatus.pending_review
    assert "`decide` update" in refused.refused_decisions[0]
    assert scenario.store.events()[0] == "decision_refused"


async def test_an_unusable_campaign_id_fails_before_any_platform_call(
    env: WorkflowEnvironment,
) -> None:
    scenario = Scenario(env)
    async with scenario.worker():
        handle = await scenario.start("../admin/reset")
        with pytest.raises(WorkflowFailureError) as failure:
            await finish(handle)

    assert failure.value.cause.type == "InvalidCampaignId"
    assert "single dots" in failure.value.cause.message
    assert sum(scenario.doubles.platform.calls.values()) == 0
    assert scenario.store.last_state.status is RecommendationStatus.failed


async def test_a_revision_a_human_sent_back_is_never_auto_approved(
    env: WorkflowEnvironment,
) -> None:
    reasoner = ScriptedReasoner(
        make_recommendation=lambda _step: recommendation(confidence=0.95, risk="low")
    )
    scenario = Scenario(env, Doubles(reasoner=reasoner))
    policy = fast_policy(auto_approval=AutoApprovalPolicy(enabled=True, min_confidence=0.85))
    async with scenario.worker():
        handle = await scenario.start(policy=policy)
        # Auto-approval would take revision 1 at once, so a reviewer cannot get in first here:
        # this shows the policy approves, then the next test shows a sent-back revision waits.
        final = await finish(handle)
    assert final.decision.reviewer == "auto-approval-policy"

    reasoner = ScriptedReasoner(
        make_recommendation=lambda step: recommendation(
            confidence=0.95 if step.reviewer_feedback else 0.5, risk="low"
        )
    )
    scenario = Scenario(env, Doubles(reasoner=reasoner))
    async with scenario.worker():
        handle = await scenario.start(policy=policy)
        first = await wait_for_state(handle, pending_review)
        await handle.execute_update(
            RecommendationWorkflow.reanalyze,
            ReanalysisRequest(reviewer="carol", feedback="check the new creative first"),
        )
        second = await wait_for_state(
            handle, lambda s: pending_review(s) and s.revision > first.revision
        )
        await asyncio.sleep(0.3)  # give an (incorrect) auto-approval the chance to happen
        still = await handle.query(RecommendationWorkflow.state)
        await handle.execute_update(
            RecommendationWorkflow.decide,
            Decision(decision=DecisionKind.rejected, reviewer="carol", revision=second.revision),
        )
        await finish(handle)

    assert second.recommendation.confidence == pytest.approx(0.95)  # it would qualify...
    assert still.status is RecommendationStatus.pending_review and still.decision is None


async def test_an_action_the_platform_cannot_perform_ends_manual_with_instructions(
    env: WorkflowEnvironment,
) -> None:
    steps = "In Google Ads, open the campaign and raise the target CPA by 15 %."
    scenario = Scenario(env, Doubles(platform=FakeAdPlatform(manual_instructions=steps)))
    async with scenario.worker():
        handle = await scenario.start()
        await wait_for_state(handle, pending_review)
        await handle.execute_update(RecommendationWorkflow.decide, approve(1))
        final = await finish(handle)

    assert final.status is RecommendationStatus.manual
    assert final.status_reason == steps
    assert final.execution.manual_instructions == steps and not final.execution.applied
    assert "manual_action_required" in scenario.store.events()


async def test_the_baseline_snapshot_does_not_hold_up_the_execution(
    env: WorkflowEnvironment,
) -> None:
    platform = FakeAdPlatform()
    platform.baseline_delay = asyncio.Event()  # the decision-time snapshot hangs until set
    scenario = Scenario(env, Doubles(platform=platform))
    async with scenario.worker():
        handle = await scenario.start()
        await wait_for_state(handle, pending_review)
        await handle.execute_update(RecommendationWorkflow.decide, approve(1))
        executed = await wait_for_state(handle, lambda s: s.status.value == "executed")
        platform.baseline_delay.set()
        final = await finish(handle)

    assert executed.execution.applied  # executed while the baseline was still being measured
    assert final.outcome is not None
    assert ActionType.bid_adjustment is final.execution.action
