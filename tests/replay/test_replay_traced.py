"""Turning tracing on for workers with runs in flight: the recorded histories still replay with
Temporal's TracingInterceptor installed, and replaying emits no workflow spans twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from settings import Settings
from telemetry import tracing
from tests.tracing import traced
from workers.worker import WORKFLOWS

HISTORIES = Path(__file__).resolve().parent / "histories"


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"replay-{path.stem}", json.loads(path.read_text()))


PATHS = sorted(HISTORIES.glob("*/*.json"))


def test_there_are_histories_to_replay() -> None:
    assert len(PATHS) >= 10, PATHS  # a moved folder must not turn the test below into a no-op


@pytest.mark.parametrize("path", PATHS, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_recorded_history_replays_with_tracing_on(path: Path) -> None:
    history = load(path)
    with traced(Settings()) as exporter:
        interceptors = tracing.temporal_interceptors()
        assert interceptors, "tracing is on, so the worker would have the interceptor"
        replayer = Replayer(
            workflows=WORKFLOWS,
            data_converter=pydantic_data_converter,
            interceptors=interceptors,
        )
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        spans = exporter.get_finished_spans()
    assert result.replay_failure is None, f"{path.stem}: {result.replay_failure!r}"
    assert not [s for s in spans if s.name.startswith(("RunWorkflow", "StartActivity"))]
