"""The portfolio review on the real Temporal dev server (the one from the virtualenv), with the
real worker activities, a SQLite store and the fixed fixture platform (tests/fakes)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from store import Store, open_store
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=ALL_SEARCH_ATTRIBUTES,
        data_converter=pydantic_data_converter,
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}")
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def task_queue() -> str:
    return f"portfolio-{uuid.uuid4().hex[:8]}"
