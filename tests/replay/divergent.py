"""A deliberately non-deterministic variant of RecommendationWorkflow (for the replay guard)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.lifecycle import AnalyzeInput, LifecycleState
    from workflows.recommendation import RecommendationWorkflow


@workflow.defn(name="RecommendationWorkflow")
class DivergentRecommendationWorkflow(RecommendationWorkflow):
    @workflow.run
    async def run(self, inp: AnalyzeInput) -> LifecycleState:
        # A timer first: the recorded history starts with activities instead.
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(inp)
