"""Replay recorded histories of the scheduled workflows (the KPI watch, a pacing pass, a halt,
a notification's delivery) against today's code: a change to the commands they issue must be
versioned with ``workflow.patched`` like the recommendation workflow's. Recorded by
``python -m tests.replay.record_monitor_histories``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workers.worker import WORKFLOWS

HISTORIES = Path(__file__).resolve().parent / "monitor_histories"
NAMES = ["watch", "pacing", "halt", "notification"]


@pytest.mark.parametrize("name", NAMES)
async def test_recorded_monitor_history_replays_deterministically(name: str) -> None:
    path = HISTORIES / f"{name}.json"
    history = WorkflowHistory.from_json(f"replay-{name}", json.loads(path.read_text()))
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{name}: {result.replay_failure!r}"
