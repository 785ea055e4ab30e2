"""Replay recorded histories against today's workflow code: a determinism break fails here.

The histories in ``histories/`` were recorded by ``python -m tests.replay.record_histories``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.replay.scenarios import SCENARIOS
from workflows.recommendation import RecommendationWorkflow

HISTORIES = Path(__file__).resolve().parent / "histories"


def load(name: str) -> WorkflowHistory:
    path = HISTORIES / f"{name}.json"
    assert path.exists(), f"{path} is missing: run python -m tests.replay.record_histories"
    return WorkflowHistory.from_json(f"replay-{name}", json.loads(path.read_text()))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_recorded_history_replays_deterministically(name: str) -> None:
    replayer = Replayer(workflows=[RecommendationWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(load(name), raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{name}: {result.replay_failure!r}"


async def test_a_changed_workflow_fails_replay() -> None:
    """Guard the guard: replaying against a workflow with different commands must fail."""
    from tests.replay.divergent import DivergentRecommendationWorkflow

    replayer = Replayer(
        workflows=[DivergentRecommendationWorkflow], data_converter=pydantic_data_converter
    )
    result = await replayer.replay_workflow(load("approve"), raise_on_replay_failure=False)
    assert result.replay_failure is not None
