"""The portfolio review's recorded histories replay against today's code
(recorded by tests/replay/portfolio.py)."""

from __future__ import annotations

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.replay.portfolio import NAMES, load
from workers.worker import WORKFLOWS


@pytest.mark.parametrize("name", NAMES)
async def test_portfolio_history_replays_deterministically(name: str) -> None:
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(load(name), raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{name}: {result.replay_failure!r}"


def test_the_proposal_run_critiqued_the_proposal_without_generating_a_draft() -> None:
    events = load("proposal_pending").events
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    markers = [
        e.marker_recorded_event_attributes.details["patch-data"]
        for e in events
        if e.HasField("marker_recorded_event_attributes")
    ]
    assert "critique_recommendation" in scheduled
    assert "generate_recommendation" not in scheduled
    assert any(b"portfolio-proposals" in p.payloads[0].data for p in markers)
