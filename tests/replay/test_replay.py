"""Replay recorded histories against today's workflow code: a determinism break fails here.

``histories/current/`` holds runs of today's code, finished and still waiting (for review, on
the outcome timer, a campaign's idle change queue), recorded by
``python -m tests.replay.record_histories``. ``histories/before-decision-updates/`` holds runs
started before the DECISION_UPDATES patch (signals, direct execution), and
``histories/before-folded-persistence/`` the same scenarios as ``current/`` recorded before the
FOLDED_PERSISTENCE patch (``record_audit_event`` then ``sync_state``, not ``save_state``): code
that may still be running them somewhere must keep replaying them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.replay.scenarios import SCENARIOS
from workers.worker import WORKFLOWS

HISTORIES = Path(__file__).resolve().parent / "histories"
RECORDED = sorted(str(path.relative_to(HISTORIES)) for path in HISTORIES.glob("*/*.json"))
IN_FLIGHT = ["current/waiting_for_review.json", "current/on_outcome_timer.json"]


def load(name: str) -> WorkflowHistory:
    path = HISTORIES / name
    assert path.exists(), f"{path} is missing: run python -m tests.replay.record_histories"
    return WorkflowHistory.from_json(f"replay-{path.stem}", json.loads(path.read_text()))


def test_every_scenario_has_a_recorded_history() -> None:
    recorded = {Path(name).name.split(".")[0] for name in RECORDED if name.startswith("current/")}
    assert recorded == set(SCENARIOS)
    assert "current/on_outcome_timer.queue.json" in RECORDED


@pytest.mark.parametrize("name", RECORDED)
async def test_recorded_history_replays_deterministically(name: str) -> None:
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(load(name), raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{name}: {result.replay_failure!r}"


@pytest.mark.parametrize("name", ["before-decision-updates/approve.json", *IN_FLIGHT])
async def test_a_changed_workflow_fails_replay(name: str) -> None:
    """Guard the guard: replaying against a workflow with different commands must fail."""
    from tests.replay.divergent import DivergentRecommendationWorkflow

    replayer = Replayer(
        workflows=[DivergentRecommendationWorkflow], data_converter=pydantic_data_converter
    )
    result = await replayer.replay_workflow(load(name), raise_on_replay_failure=False)
    assert result.replay_failure is not None
