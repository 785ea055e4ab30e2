"""JSON logs for worker processes, carrying the workflow (= recommendation) id of each line."""

from __future__ import annotations

import logging
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter
from temporalio import activity, workflow


class TemporalContextFilter(logging.Filter):
    """Lift the ids the Temporal SDK puts in ``extra`` to top-level log fields.

    ``workflow.logger`` attaches ``temporal_workflow`` and ``activity.logger``
    ``temporal_activity`` dicts; dashboards and ``grep`` want flat ``workflow_id`` fields.
    The workflow id is the recommendation id (docs/ARCHITECTURE.md).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        details: dict[str, Any] = {}
        for attr in ("temporal_workflow", "temporal_activity"):
            value = getattr(record, attr, None)
            if isinstance(value, dict):
                details.update(value)
        workflow_id = details.get("workflow_id")
        if workflow_id:
            record.workflow_id = workflow_id
            record.recommendation_id = workflow_id
            record.run_id = details.get("run_id") or details.get("workflow_run_id")
        if details.get("activity_type"):
            record.activity_type = details["activity_type"]
            record.attempt = details.get("attempt")
        return True


def configure_json_logging(level: str = "INFO", stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(TemporalContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request at INFO: too chatty for a worker polling an API.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # The ids become JSON fields (filter above); no need to repeat them inside every message.
    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False
