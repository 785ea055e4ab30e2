"""The adapters against the wire fakes, driven by the official SDKs (no mocks of our code)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

# gRPC reads the roots it trusts once per process: point it at the fake's authority before
# any channel exists (the fake keeps one authority per process).
CA_FILE = Path(tempfile.mkdtemp(prefix="fake-google-ads-")) / "ca.pem"
os.environ["GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"] = str(CA_FILE)

from platforms.config import GoogleAdsConfig  # noqa: E402
from platforms.google_ads import GoogleAdsPlatform  # noqa: E402
from store import Store, open_store  # noqa: E402
from tests.fakes import google_ads as fake_google  # noqa: E402


@pytest.fixture(scope="session")
def google_server() -> Iterator[fake_google.RunningFake]:
    running = fake_google.start(CA_FILE)
    yield running
    running.stop()


def google_config(server: fake_google.RunningFake, **changes: object) -> GoogleAdsConfig:
    config = GoogleAdsConfig(
        developer_token=SecretStr(fake_google.DEVELOPER_TOKEN),
        client_id=fake_google.CLIENT_ID,
        client_secret=SecretStr(fake_google.CLIENT_SECRET),
        refresh_token=SecretStr(fake_google.REFRESH_TOKEN),
        customer_id=fake_google.CUSTOMER_ID,
        endpoint=server.endpoint,
        token_uri=server.token_uri,
        timeout_seconds=10,
    )
    return config.model_copy(update=changes)


@pytest.fixture
async def google(google_server) -> AsyncIterator[GoogleAdsPlatform]:  # noqa: ANN001
    google_server.fake.reset()
    platform = GoogleAdsPlatform(google_config(google_server))
    yield platform
    await platform.aclose()


# ----------------------------------------------------------------------------- Meta

from platforms.config import MetaConfig  # noqa: E402
from platforms.meta import MetaPlatform  # noqa: E402
from tests.fakes import meta_graph as fake_meta  # noqa: E402


@pytest.fixture(scope="session")
def graph_server() -> Iterator[fake_meta.RunningGraph]:
    running = fake_meta.start()
    yield running
    running.stop()


def meta_config(server: fake_meta.RunningGraph, **changes: object) -> MetaConfig:
    config = MetaConfig(
        access_token=SecretStr(fake_meta.ACCESS_TOKEN),
        ad_account_id=f"act_{fake_meta.ACCOUNT_ID}",
        graph_url=server.url,
        timeout_seconds=10,
    )
    return config.model_copy(update=changes)


@pytest.fixture
async def meta(graph_server) -> AsyncIterator[MetaPlatform]:  # noqa: ANN001
    graph_server.fake.reset()
    platform = MetaPlatform(meta_config(graph_server))
    yield platform
    await platform.aclose()


class _Stores:
    """The store execution records premise checks in (one SQLite file for the session)."""

    current: Store | None = None


@pytest.fixture(scope="session", autouse=True)
async def premise_store(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Store]:
    path = tmp_path_factory.mktemp("platforms-db") / "agent.db"
    store = await open_store(f"sqlite+aiosqlite:///{path}")
    _Stores.current = store
    yield store
    _Stores.current = None
    await store.close()


def execution_store() -> Store:
    """For the module-level helpers that run the execution activity."""
    assert _Stores.current is not None, "the premise_store fixture did not run"
    return _Stores.current
