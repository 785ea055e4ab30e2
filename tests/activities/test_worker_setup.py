"""Worker wiring that needs no server: activity registration, CLI, JSON logs."""

from __future__ import annotations

import io
import json
import logging

import pytest
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import VersioningBehavior

from activities import build_activities
from platforms.simulator import SimulatorPlatform
from settings import ConfigurationError, Settings
from store.engine import create_engine
from store.monitor import MonitorStore
from tests.workflows.doubles import MemoryStore
from workers.logs import TemporalContextFilter, configure_json_logging
from workers.worker import deployment_config, parse_args
from workflows.activity_names import ALL_ACTIVITY_NAMES


async def test_every_activity_the_workflow_calls_is_registered() -> None:
    platform = SimulatorPlatform.connect("http://ad-platform.invalid", 1.0)
    temporal = await Client.connect("localhost:1", lazy=True)  # never called here
    monitor = MonitorStore(create_engine("sqlite+aiosqlite://"))  # never queried here
    activities = build_activities(
        Settings(),
        MemoryStore(),  # type: ignore[arg-type]
        platform,
        temporal,
        monitor=monitor,
    )
    await platform.aclose()
    names = {fn.__temporal_activity_definition.name for fn in activities}  # type: ignore[attr-defined]
    assert names == ALL_ACTIVITY_NAMES


def test_cli_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_args(["--help"])
    assert exit_.value.code == 0
    assert "TEMPORAL_ADDRESS" in capsys.readouterr().out


def test_json_logs_carry_the_workflow_id() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    on_message = workflow.logger.workflow_info_on_message, activity.logger.activity_info_on_message
    try:
        configure_json_logging("INFO", stream=stream)
        logging.getLogger("temporalio.workflow").info(
            "Revision 1 approved",
            extra={"temporal_workflow": {"workflow_id": "rec-c1-0badcafe", "run_id": "r1"}},
        )
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        workflow.logger.workflow_info_on_message, activity.logger.activity_info_on_message = (
            on_message
        )
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"] == "Revision 1 approved"
    assert line["workflow_id"] == line["recommendation_id"] == "rec-c1-0badcafe"
    assert line["level"] == "INFO"


def test_activity_log_records_get_the_activity_type() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "msg", None, None)
    record.temporal_activity = {
        "workflow_id": "rec-c1-1",
        "workflow_run_id": "run",
        "activity_type": "collect_campaign",
        "attempt": 2,
    }
    TemporalContextFilter().filter(record)
    assert (record.workflow_id, record.activity_type, record.attempt) == (
        "rec-c1-1",
        "collect_campaign",
        2,
    )


def test_worker_versioning_needs_both_the_deployment_name_and_the_build_id() -> None:
    assert deployment_config(Settings()) is None
    config = deployment_config(
        Settings(temporal_deployment_name="marketing-agent", temporal_build_id="1.4.0")
    )
    assert config is not None and config.use_worker_versioning
    assert config.version.to_canonical_string() == "marketing-agent.1.4.0"
    # AUTO_UPGRADE: runs move to the current build; workflow.patched keeps them replayable.
    assert config.default_versioning_behavior is VersioningBehavior.AUTO_UPGRADE
    with pytest.raises(ConfigurationError, match="TEMPORAL_BUILD_ID"):
        deployment_config(Settings(temporal_deployment_name="marketing-agent"))
