from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.workflows.harness import start_time_skipping_env


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping server for the whole session; each test uses its own task queue."""
    env = await start_time_skipping_env()
    try:
        yield env
    finally:
        await env.shutdown()
