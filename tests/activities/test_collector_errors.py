"""How collectors classify failures, on canned HTTP answers (httpx.MockTransport).

The simulator tests (test_against_simulator.py) cover the same paths end to end; these pin down
the cases a simulator cannot produce cheaply, such as a transport error.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import platform_errors as errors
from activities.collectors import AdPlatformCollectors
from platforms.simulator import SimulatorPlatform
from tests.workflows.doubles import MemoryStore, campaign_metrics
from workflows import activity_names as names

Handler = Callable[[httpx.Request], httpx.Response]


def collectors(handler: Handler, store: MemoryStore | None = None) -> AdPlatformCollectors:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://ads")
    return AdPlatformCollectors(
        SimulatorPlatform(client), on_campaign=store.upsert_campaign if store else None
    )


async def collect_campaign_error(handler: Handler) -> ApplicationError:
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(collectors(handler).collect_campaign, "cmp-1")
    return err.value


def metrics_body(**changes: object) -> dict:
    return campaign_metrics("cmp-1", **changes).model_dump(mode="json")


async def test_metrics_are_validated_and_snapshotted() -> None:
    store = MemoryStore()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=metrics_body())

    metrics = await ActivityEnvironment().run(collectors(handler, store).collect_campaign, "cmp-1")

    assert metrics.cpa == 50.0
    assert seen[0].url.path == "/campaigns/cmp-1/metrics"
    assert seen[0].url.params["days"] == "7"
    assert store.campaigns["cmp-1"] == metrics


async def test_unknown_campaign_is_not_retryable() -> None:
    error = await collect_campaign_error(lambda _r: httpx.Response(404, json={"detail": "nope"}))
    assert error.type == names.CAMPAIGN_NOT_FOUND and error.non_retryable


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(204),
        httpx.Response(200, content=b"null"),
        httpx.Response(200, json={}),
        httpx.Response(200, json={"campaign_id": "cmp-1", "spend": None, "impressions": None}),
    ],
    ids=["no-content", "null", "empty", "no-delivery-fields"],
)
async def test_missing_metrics_are_not_retryable(response: httpx.Response) -> None:
    error = await collect_campaign_error(lambda _r: response)
    assert error.type == names.MISSING_METRICS and error.non_retryable


async def test_zero_delivery_is_missing_metrics() -> None:
    body = metrics_body(spend=0, impressions=0, clicks=0, conversions=0, cpa=None, cpm=0)
    error = await collect_campaign_error(lambda _r: httpx.Response(200, json=body))
    assert error.type == names.MISSING_METRICS
    assert "no delivery" in error.message


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>oops</html>"),
        httpx.Response(200, json={"campaign_id": "cmp-1", "spend": "lots", "impressions": 3}),
    ],
    ids=["not-json", "wrong-shape"],
)
async def test_malformed_answers_are_retryable(response: httpx.Response) -> None:
    error = await collect_campaign_error(lambda _r: response)
    assert error.type == errors.MALFORMED_RESPONSE and not error.non_retryable


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_server_errors_are_retryable(status: int) -> None:
    error = await collect_campaign_error(lambda _r: httpx.Response(status, text="busy"))
    assert error.type == errors.AD_PLATFORM_ERROR and not error.non_retryable


async def test_timeouts_and_connection_errors_are_retryable() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    for handler in (timeout, refused):
        error = await collect_campaign_error(handler)
        assert error.type == errors.AD_PLATFORM_UNAVAILABLE and not error.non_retryable


async def test_creatives_must_come_wrapped() -> None:
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(
            collectors(lambda _r: httpx.Response(200, json=[])).collect_creatives, "cmp-1"
        )
    assert err.value.type == errors.MALFORMED_RESPONSE
