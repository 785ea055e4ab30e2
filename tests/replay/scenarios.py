"""Representative runs whose histories are kept for replay tests.

Regenerate the JSON files after an intentional, compatible change to the workflow with::

    .venv/bin/python -m tests.replay.record_histories

(an incompatible change needs ``workflow.patched`` instead: old histories must keep replaying).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio.client import WorkflowHandle
from temporalio.exceptions import ApplicationError

from domain.lifecycle import AnalysisInput, Decision, DecisionKind, ReanalysisRequest
from domain.recommendation import SignalAnalysis
from tests.workflows.doubles import Doubles, FakeAdPlatform, ScriptedReasoner
from tests.workflows.harness import Scenario, fast_policy, pending_review, wait_for_state
from workflows.recommendation import RecommendationWorkflow

Drive = Callable[[Scenario], Awaitable[WorkflowHandle]]


async def _decide(scenario: Scenario, kind: DecisionKind) -> WorkflowHandle:
    handle = await scenario.start("camp-replay")
    pending = await wait_for_state(handle, pending_review)
    decision = Decision(decision=kind, reviewer="replay-reviewer", revision=pending.revision)
    await handle.signal(RecommendationWorkflow.submit_decision, decision)
    await handle.result()
    return handle


async def approve(scenario: Scenario) -> WorkflowHandle:
    return await _decide(scenario, DecisionKind.approved)


async def reject(scenario: Scenario) -> WorkflowHandle:
    return await _decide(scenario, DecisionKind.rejected)


async def expire(scenario: Scenario) -> WorkflowHandle:
    handle = await scenario.start(
        "camp-replay", policy=fast_policy(review_timeout=timedelta(hours=72))
    )
    await handle.result()
    return handle


async def partial_context(scenario: Scenario) -> WorkflowHandle:
    return await _decide(scenario, DecisionKind.approved)


async def reanalyze(scenario: Scenario) -> WorkflowHandle:
    """Reanalysis, a refused stale approval, then the new revision approved."""
    handle = await scenario.start("camp-replay")
    first = await wait_for_state(handle, pending_review)
    request = ReanalysisRequest(reviewer="replay-reviewer", feedback="new data")
    await handle.signal(RecommendationWorkflow.request_reanalysis, request)
    second = await wait_for_state(
        handle, lambda s: pending_review(s) and s.revision > first.revision
    )
    stale = Decision(decision=DecisionKind.approved, reviewer="replay", revision=first.revision)
    await handle.signal(RecommendationWorkflow.submit_decision, stale)
    await wait_for_state(handle, lambda s: bool(s.refused_decisions))
    current = stale.model_copy(update={"revision": second.revision})
    await handle.signal(RecommendationWorkflow.submit_decision, current)
    await handle.result()
    return handle


class ProviderDownReasoner(ScriptedReasoner):
    """An LLM reasoner whose provider refuses the analysis for good (a revoked key)."""

    async def analyze(self, inp: AnalysisInput) -> SignalAnalysis:
        self.calls["analyze"] += 1
        raise ApplicationError("401 invalid api key", type="LLMAuthError", non_retryable=True)


# name -> (doubles factory, driver)
SCENARIOS: dict[str, tuple[Callable[[], Doubles], Drive]] = {
    "approve": (Doubles, approve),
    "reject": (Doubles, reject),
    "expire": (Doubles, expire),
    "partial_context": (
        lambda: Doubles(platform=FakeAdPlatform(failing_sources=("competitors", "history"))),
        partial_context,
    ),
    "reanalysis": (Doubles, reanalyze),
    # The analysis falls back to the rules reasoner; the recommendation is degraded.
    "llm_fallback": (lambda: Doubles(reasoner=ProviderDownReasoner()), approve),
}
