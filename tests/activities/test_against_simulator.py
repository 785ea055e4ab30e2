"""Collectors and execution against the real simulator app, served in-process (ASGI).

Fault injection uses the simulator's own admin API, so these tests see exactly the bytes a
misbehaving platform would send.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import platform_errors as errors
from activities.collectors import AdPlatformCollectors
from activities.execution import ExecutionActivities
from domain.lifecycle import ActionRequest
from domain.recommendation import ActionParameters, ActionType
from platforms.simulator import SimulatorPlatform
from simulator.app import create_app
from store import Store, open_store
from workflows import activity_names as names

CAMPAIGN = "cmp-fatigue-01"


@pytest.fixture(scope="module")
def app():  # noqa: ANN201 - a FastAPI app
    # Injected timeouts hang briefly, then answer 504, so the timeout test stays fast.
    return create_app(timeout_seconds=0.1)


@pytest.fixture
async def store(tmp_path) -> AsyncIterator[Store]:  # noqa: ANN001
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}")
    yield store
    await store.close()


@pytest.fixture
async def platform(app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://simulator") as client:
        (await client.post("/admin/reset")).raise_for_status()
        yield client


async def inject(client: httpx.AsyncClient, endpoint: str, kind: str, count: int = 1) -> None:
    body = {"endpoint": endpoint, "kind": kind, "count": count}
    (await client.post("/admin/faults", json=body)).raise_for_status()


def attempt(number: int) -> ActivityEnvironment:
    """An activity environment whose info() says this is the given (re)try."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=number)
    return env


async def collect_error(client: httpx.AsyncClient, campaign_id: str = CAMPAIGN) -> ApplicationError:
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(
            AdPlatformCollectors(SimulatorPlatform(client)).collect_campaign, campaign_id
        )
    return err.value


# ----------------------------------------------------------------------------- collectors


async def test_every_source_of_a_seeded_campaign_is_collected(platform: httpx.AsyncClient) -> None:
    collectors = AdPlatformCollectors(SimulatorPlatform(platform))
    env = ActivityEnvironment()

    campaign = await env.run(collectors.collect_campaign, CAMPAIGN)
    creatives = await env.run(collectors.collect_creatives, CAMPAIGN)
    competitors = await env.run(collectors.collect_competitors, CAMPAIGN)
    audience = await env.run(collectors.collect_audience, CAMPAIGN)
    history = await env.run(collectors.collect_history, CAMPAIGN)

    assert campaign.campaign_id == CAMPAIGN and campaign.spend > 0
    assert creatives and all(c.creative_id.startswith("cr-") for c in creatives)
    assert competitors.active_competitors_count >= 0
    assert audience.segments
    assert len(history.daily) == 30


async def test_unknown_campaign_is_final(platform: httpx.AsyncClient) -> None:
    error = await collect_error(platform, "cmp-does-not-exist")
    assert error.type == names.CAMPAIGN_NOT_FOUND and error.non_retryable
    assert "cmp-does-not-exist" in error.message


async def test_malformed_answer_is_retryable_and_the_retry_succeeds(
    platform: httpx.AsyncClient,
) -> None:
    await inject(platform, "metrics", "malformed", count=1)

    error = await collect_error(platform)
    assert error.type == errors.MALFORMED_RESPONSE and not error.non_retryable

    retried = await ActivityEnvironment().run(
        AdPlatformCollectors(SimulatorPlatform(platform)).collect_campaign, CAMPAIGN
    )
    assert retried.campaign_id == CAMPAIGN


@pytest.mark.parametrize("kind", ["error", "timeout"])
async def test_platform_errors_are_retryable(platform: httpx.AsyncClient, kind: str) -> None:
    await inject(platform, "/campaigns/*/metrics", kind)
    error = await collect_error(platform)
    assert error.type == errors.AD_PLATFORM_ERROR and not error.non_retryable


async def test_a_failing_optional_source_does_not_touch_the_others(
    platform: httpx.AsyncClient,
) -> None:
    await inject(platform, "competitors", "error", count=5)
    collectors = AdPlatformCollectors(SimulatorPlatform(platform))
    env = ActivityEnvironment()

    with pytest.raises(ApplicationError):
        await env.run(collectors.collect_competitors, CAMPAIGN)
    assert await env.run(collectors.collect_audience, CAMPAIGN)


# ----------------------------------------------------------------------------- execution


def bid_request(key: str, change_pct: float = 10.0) -> ActionRequest:
    return ActionRequest(
        campaign_id=CAMPAIGN,
        action=ActionType.bid_adjustment,
        parameters=ActionParameters(bid_change_pct=change_pct),
        idempotency_key=key,
        requested_by="alice",
    )


async def mutations(client: httpx.AsyncClient) -> list[dict]:
    return (await client.get("/admin/mutations")).json()


async def test_execution_applies_once_and_audits_before_and_after(
    platform: httpx.AsyncClient, store: Store
) -> None:
    execution = ExecutionActivities(SimulatorPlatform(platform), store)
    settings_before = (await platform.get(f"/campaigns/{CAMPAIGN}/settings")).json()

    result = await attempt(1).run(execution.execute_action, bid_request("rec-1:r1"))

    assert result.applied and not result.already_applied
    assert result.before == settings_before  # read from GET /settings before the write
    assert result.after["bid"] == pytest.approx(settings_before["bid"] * 1.10, abs=0.01)
    assert result.idempotency_key == "rec-1:r1"
    [mutation] = await mutations(platform)
    assert mutation["idempotency_key"] == "rec-1:r1"


async def test_a_retried_execution_does_not_apply_twice(
    platform: httpx.AsyncClient, store: Store
) -> None:
    execution = ExecutionActivities(SimulatorPlatform(platform), store)
    first = await attempt(1).run(execution.execute_action, bid_request("rec-2:r1"))

    again = await attempt(2).run(execution.execute_action, bid_request("rec-2:r1"))

    assert again.applied and again.already_applied
    # The platform's record of the first write, not the already-changed current settings.
    assert again.before["bid"] == first.before["bid"]
    assert len(await mutations(platform)) == 1


async def test_a_retried_pause_is_not_refused_by_its_own_first_write(
    platform: httpx.AsyncClient, store: Store
) -> None:
    execution = ExecutionActivities(SimulatorPlatform(platform), store)
    pause = bid_request("rec-3:r1").model_copy(
        update={"action": ActionType.campaign_pause, "parameters": ActionParameters()}
    )
    await attempt(1).run(execution.execute_action, pause)

    # A dry run now would say "already paused" (422); a retry goes straight to the
    # idempotent write.
    again = await attempt(2).run(execution.execute_action, pause)

    assert again.already_applied
    settings = (await platform.get(f"/campaigns/{CAMPAIGN}/settings")).json()
    assert settings["status"] == "paused"
    assert len(await mutations(platform)) == 1


async def test_an_invalid_action_is_refused_before_anything_changes(
    platform: httpx.AsyncClient, store: Store
) -> None:
    execution = ExecutionActivities(SimulatorPlatform(platform), store)
    with pytest.raises(ApplicationError) as err:
        await attempt(1).run(execution.execute_action, bid_request("rec-4:r1", change_pct=-100))

    assert err.value.type == names.ACTION_REJECTED and err.value.non_retryable
    assert "bid" in err.value.message
    assert await mutations(platform) == []


async def test_execution_survives_a_platform_error_by_retrying(
    platform: httpx.AsyncClient, store: Store
) -> None:
    await inject(platform, "actions", "error", count=1)
    execution = ExecutionActivities(SimulatorPlatform(platform), store)

    with pytest.raises(ApplicationError) as err:
        await attempt(1).run(execution.execute_action, bid_request("rec-5:r1"))
    assert not err.value.non_retryable

    result = await attempt(2).run(execution.execute_action, bid_request("rec-5:r1"))
    assert result.applied and not result.already_applied
    assert len(await mutations(platform)) == 1


def planned_raise(key: str, current_bid: float) -> ActionRequest:
    """A bid raise as the reasoner drafts it: from the bid it saw to a new one."""
    return ActionRequest(
        campaign_id=CAMPAIGN,
        action=ActionType.bid_adjustment,
        parameters=ActionParameters(bid_change_pct=16.0, current_bid=current_bid),
        idempotency_key=key,
        requested_by="alice",
    )


async def test_a_plan_whose_bid_moved_since_is_superseded_and_writes_nothing(
    platform: httpx.AsyncClient, store: Store
) -> None:
    bid = (await platform.get(f"/campaigns/{CAMPAIGN}/settings")).json()["bid"]
    execution = ExecutionActivities(SimulatorPlatform(platform), store)
    first = await attempt(1).run(execution.execute_action, planned_raise("rec-6:r1", bid))
    assert first.applied and first.premise_changes == []

    # A second reviewer approved the same raise, drafted against the same old bid.
    second = await attempt(1).run(execution.execute_action, planned_raise("rec-7:r1", bid))

    assert not second.applied
    assert second.premise_changes == [
        f"the bid is {first.after['bid']:.2f} now; the plan starts from {bid:.2f}"
    ]
    assert len(await mutations(platform)) == 1  # the bid moved once, not twice


async def test_a_retry_after_its_own_write_is_not_mistaken_for_a_changed_premise(
    platform: httpx.AsyncClient, store: Store
) -> None:
    bid = (await platform.get(f"/campaigns/{CAMPAIGN}/settings")).json()["bid"]
    execution = ExecutionActivities(SimulatorPlatform(platform), store)
    await attempt(1).run(execution.execute_action, planned_raise("rec-8:r1", bid))

    # The answer was lost; the retry finds the bid already moved by this very plan.
    again = await attempt(2).run(execution.execute_action, planned_raise("rec-8:r1", bid))

    assert again.applied and again.already_applied and again.premise_changes == []
    assert len(await mutations(platform)) == 1
