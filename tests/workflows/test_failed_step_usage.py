"""The LLM calls of a failed reasoning step still count toward the run's cost."""

from __future__ import annotations

from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    RetryState,
    TimeoutError,
    TimeoutType,
)

from domain.usage import LLMUsage
from workflows.recommendation import _usage_of

CALL = LLMUsage(
    operation="recommendation",
    provider="openai",
    model="gpt-4o-mini",
    prompt_version="v1",
    input_tokens=5000,
    output_tokens=1000,
    cost_usd=0.0014,
)


def failed_step(cause: BaseException) -> ActivityError:
    err = ActivityError(
        "activity failed",
        scheduled_event_id=5,
        started_event_id=6,
        identity="worker",
        activity_type="generate_recommendation",
        activity_id="5",
        retry_state=RetryState.MAXIMUM_ATTEMPTS_REACHED,
    )
    err.__cause__ = cause
    return err


def test_a_failed_step_reports_the_calls_in_its_error() -> None:
    cause = ApplicationError("503", CALL.model_dump(mode="json"), type="LLMUnavailable")
    assert _usage_of(failed_step(cause)) == [CALL]


def test_a_timed_out_step_reports_the_calls_it_heartbeated() -> None:
    cause = TimeoutError(
        "start-to-close",
        type=TimeoutType.START_TO_CLOSE,
        last_heartbeat_details=[CALL.model_dump(mode="json")],
    )
    assert _usage_of(failed_step(cause)) == [CALL]
