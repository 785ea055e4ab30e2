"""Representative runs whose histories are kept for replay tests, finished and still in flight.

``histories/current/`` is recorded from today's code by::

    .venv/bin/python -m tests.replay.record_histories            # every scenario
    .venv/bin/python -m tests.replay.record_histories approve    # some of them

Re-record after a change that is compatible by construction (a new scenario, a payload field).
A change to the commands the workflows issue needs ``workflow.patched`` instead, and before
it lands, the histories of today's code move to a folder of their own (as
``histories/before-decision-updates/`` did: runs started before the DECISION_UPDATES patch,
recorded by the code of the time and never re-recorded), so CI keeps replaying what is still
in flight somewhere.

Runs still in flight matter most: a run waits up to 3 days for review and 3 more for its
outcome, so a deploy always meets runs in the middle. ``waiting_for_review``,
``reanalysed_waiting`` and ``on_outcome_timer`` are recorded while the run waits; the campaign
change queue of ``on_outcome_timer`` is recorded idle, keeping its cooldown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio.client import WorkflowHandle
from temporalio.exceptions import ApplicationError

from domain.lifecycle import AnalysisInput, Decision, DecisionKind, ReanalysisRequest
from domain.recommendation import SignalAnalysis
from tests.workflows.doubles import Doubles, FakeAdPlatform, ScriptedReasoner
from tests.workflows.harness import Scenario, fast_policy, finish, pending_review, wait_for_state
from workflows.messages import campaign_changes_id
from workflows.recommendation import RecommendationWorkflow

CAMPAIGN = "camp-replay"
# A driver runs a scenario and answers the handles whose histories to keep, by file suffix
# ("" for the recommendation run, ".queue" for its campaign's change queue).
Drive = Callable[[Scenario], Awaitable[dict[str, WorkflowHandle]]]


def _approval(revision: int, **extra: object) -> Decision:
    return Decision(
        decision=DecisionKind.approved, reviewer="replay-reviewer", revision=revision, **extra
    )


async def _pending(scenario: Scenario) -> tuple[WorkflowHandle, int]:
    handle = await scenario.start(CAMPAIGN)
    state = await wait_for_state(handle, pending_review)
    return handle, state.revision


async def approve(scenario: Scenario) -> dict[str, WorkflowHandle]:
    handle, revision = await _pending(scenario)
    await handle.execute_update(RecommendationWorkflow.decide, _approval(revision))
    await finish(handle)
    return {"": handle}


async def reject(scenario: Scenario) -> dict[str, WorkflowHandle]:
    handle, revision = await _pending(scenario)
    rejection = Decision(decision=DecisionKind.rejected, reviewer="replay", revision=revision)
    await handle.execute_update(RecommendationWorkflow.decide, rejection)
    await finish(handle)
    return {"": handle}


async def expire(scenario: Scenario) -> dict[str, WorkflowHandle]:
    handle = await scenario.start(CAMPAIGN, policy=fast_policy(review_timeout=timedelta(hours=72)))
    await handle.result()
    return {"": handle}


async def reanalyse_then_approve(scenario: Scenario) -> dict[str, WorkflowHandle]:
    """A reanalysis with feedback, a refused stale approval, the new revision approved."""
    handle, first = await _pending(scenario)
    request = ReanalysisRequest(reviewer="replay-reviewer", feedback="don't pause, check bids")
    await handle.execute_update(RecommendationWorkflow.reanalyze, request)
    second = await wait_for_state(handle, lambda s: pending_review(s) and s.revision > first)
    try:
        await handle.execute_update(RecommendationWorkflow.decide, _approval(first))
    except Exception:  # noqa: BLE001 - the stale approval is refused: that is the point
        pass
    await handle.execute_update(RecommendationWorkflow.decide, _approval(second.revision))
    await finish(handle)
    return {"": handle}


async def waiting_for_review(scenario: Scenario) -> dict[str, WorkflowHandle]:
    handle, _ = await _pending(scenario)
    return {"": handle}


async def reanalysed_waiting(scenario: Scenario) -> dict[str, WorkflowHandle]:
    handle, first = await _pending(scenario)
    request = ReanalysisRequest(reviewer="replay-reviewer", feedback="the creative changed")
    await handle.execute_update(RecommendationWorkflow.reanalyze, request)
    await wait_for_state(handle, lambda s: pending_review(s) and s.revision > first)
    return {"": handle}


async def on_outcome_timer(scenario: Scenario) -> dict[str, WorkflowHandle]:
    handle, revision = await _pending(scenario)
    await handle.execute_update(RecommendationWorkflow.decide, _approval(revision))
    await wait_for_state(handle, lambda s: s.status.value == "executed")
    queue = scenario.env.client.get_workflow_handle(campaign_changes_id(CAMPAIGN))
    return {"": handle, ".queue": queue}


async def superseded(scenario: Scenario) -> dict[str, WorkflowHandle]:
    handle, revision = await _pending(scenario)
    await handle.execute_update(RecommendationWorkflow.decide, _approval(revision))
    await finish(handle)
    return {"": handle}


class ProviderDownReasoner(ScriptedReasoner):
    """An LLM reasoner whose provider refuses the analysis for good (a revoked key)."""

    async def analyze(self, inp: AnalysisInput) -> SignalAnalysis:
        self.calls["analyze"] += 1
        raise ApplicationError("401 invalid api key", type="LLMAuthError", non_retryable=True)


def _premise_gone() -> Doubles:
    gone = ["the bid is 2.90 now; the plan starts from 2.50"]
    return Doubles(platform=FakeAdPlatform(premise_changes=gone))


# name -> (doubles factory, driver)
SCENARIOS: dict[str, tuple[Callable[[], Doubles], Drive]] = {
    "approve": (Doubles, approve),
    "reject": (Doubles, reject),
    "expire": (Doubles, expire),
    "partial_context": (
        lambda: Doubles(platform=FakeAdPlatform(failing_sources=("competitors", "history"))),
        approve,
    ),
    "reanalysis": (Doubles, reanalyse_then_approve),
    # The analysis falls back to the rules reasoner; the recommendation is degraded.
    "llm_fallback": (lambda: Doubles(reasoner=ProviderDownReasoner()), approve),
    "superseded": (_premise_gone, superseded),
    # Still in flight when recorded: what a deploy meets.
    "waiting_for_review": (Doubles, waiting_for_review),
    "reanalysed_waiting": (Doubles, reanalysed_waiting),
    "on_outcome_timer": (Doubles, on_outcome_timer),
}
