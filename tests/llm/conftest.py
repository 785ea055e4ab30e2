"""Fixtures for the LLM path: fake provider servers on loopback, settings pointing at them, a
real SQLite store and the time-skipping Temporal server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from store import Store, open_store
from tests.llm import answers
from tests.llm.fake_providers import FakeProvider
from tests.workflows.harness import start_time_skipping_env


@pytest.fixture(scope="session")
def openai_server() -> Iterator[FakeProvider]:
    fake = FakeProvider("openai", answers.brain)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def anthropic_server() -> Iterator[FakeProvider]:
    fake = FakeProvider("anthropic", answers.brain)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def openai_fake(openai_server: FakeProvider) -> FakeProvider:
    openai_server.reset()
    return openai_server


@pytest.fixture
def anthropic_fake(anthropic_server: FakeProvider) -> FakeProvider:
    anthropic_server.reset()
    return anthropic_server


@pytest.fixture(params=["openai", "anthropic"])
def fake(request: pytest.FixtureRequest) -> FakeProvider:
    """Each provider in turn."""
    return request.getfixturevalue(f"{request.param}_fake")


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_time_skipping_env()
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}"


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await open_store(database_url)
    try:
        yield store
    finally:
        await store.close()
