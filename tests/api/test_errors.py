"""Authentication, rate limiting and hostile input: always a 4xx with the error body."""

from __future__ import annotations

import pytest

from api.app import create_app
from tests.api.conftest import CLIENT, REVIEWER, client_for, make_settings, new_campaign

ANALYZE = "/api/v1/recommendations/analyze"


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", ANALYZE),
        ("GET", "/api/v1/recommendations"),
        ("GET", "/api/v1/recommendations/rec-a-12345678"),
        ("POST", "/api/v1/recommendations/rec-a-12345678/decision"),
        ("GET", "/api/v1/campaigns/camp_1/history"),
    ],
)
async def test_missing_key_is_401_with_www_authenticate(http, method, path):
    response = await http.request(method, path, json={"campaign_id": "c", "decision": "approved"})

    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == 'APIKey header="X-API-Key"'


async def test_unknown_key_is_401(http):
    response = await http.post(
        ANALYZE, json={"campaign_id": "c1"}, headers={"X-API-Key": "client-key-0002"}
    )

    assert_error(response, 401, "unauthorized")
    assert "unknown API key" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"campaign_id": ""},
        {"campaign_id": 42},
        {"campaign_id": None},
        {"campaign_id": "x" * 200},
        {"campaign_id": "camp é"},
        {"campaign_id": "camp\u202e\u0000"},
        {"campaign_id": "../../etc"},
        {"campaign_id": "c1", "force_refresh": "maybe"},
        {"campaign_id": "c1", "unexpected": True},
        ["camp_1"],
        "camp_1",
    ],
)
async def test_bad_analyze_bodies_are_422(http, body):
    response = await http.post(ANALYZE, json=body, headers=CLIENT)

    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize(
    "raw",
    [b"{", b"not json", b'{"campaign_id": "c1",}', b""],
)
async def test_malformed_json_is_422(http, raw):
    response = await http.post(
        ANALYZE, content=raw, headers={**CLIENT, "Content-Type": "application/json"}
    )

    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"decision": "maybe"},
        {"decision": "approved", "revision": -1},
        {"decision": "approved", "revision": "one"},
        {"decision": "approved", "feedback": "x" * 5000},
    ],
)
async def test_bad_decision_bodies_are_422(http, body):
    response = await http.post(
        "/api/v1/recommendations/rec-a-12345678/decision", json=body, headers=REVIEWER
    )

    assert_error(response, 422, "validation_error")


async def test_non_utf8_body_is_400(http):
    response = await http.post(
        ANALYZE, content=b"\xff\xfe\x00", headers={**CLIENT, "Content-Type": "application/json"}
    )

    assert_error(response, 400, "bad_request")


async def test_huge_body_is_413(http):
    huge = b'{"campaign_id": "' + b"a" * 200_000 + b'"}'

    response = await http.post(
        ANALYZE, content=huge, headers={**CLIENT, "Content-Type": "application/json"}
    )

    assert_error(response, 413, "payload_too_large")


async def test_huge_chunked_body_is_413(http):
    async def chunks():
        for _ in range(100):
            yield b"a" * 10_000

    response = await http.post(
        ANALYZE, content=chunks(), headers={**CLIENT, "Content-Type": "application/json"}
    )

    assert_error(response, 413, "payload_too_large")


async def test_unknown_route_and_wrong_method(http):
    assert_error(await http.get("/api/v1/nothing", headers=CLIENT), 404, "not_found")
    assert_error(await http.delete(ANALYZE, headers=CLIENT), 405, "method_not_allowed")


async def test_rate_limit_is_per_key_with_retry_after(store, temporal_client):
    app = create_app(
        make_settings(rate_limit="3/minute"), store=store, temporal_client=temporal_client
    )
    async with client_for(app) as http:
        allowed = [await http.get("/api/v1/recommendations", headers=CLIENT) for _ in range(3)]
        limited = await http.get("/api/v1/recommendations", headers=CLIENT)
        other_key = await http.get("/api/v1/recommendations", headers=REVIEWER)

    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert_error(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert other_key.status_code == 200


async def test_repeated_bad_keys_are_rate_limited_too(store, temporal_client):
    app = create_app(
        make_settings(rate_limit="2/minute"), store=store, temporal_client=temporal_client
    )
    bad = {"X-API-Key": "guess-guess-guess"}
    async with client_for(app) as http:
        statuses = [
            (await http.get("/api/v1/recommendations", headers=bad)).status_code for _ in range(3)
        ]
        last = await http.get("/api/v1/recommendations", headers=bad)

    assert statuses == [401, 401, 429]
    assert "retry-after" in last.headers


async def test_same_campaign_id_charset_as_path_ids(http):
    # Everything analyze accepts must be readable back through the path-validated endpoints.
    campaign_id = "Camp.2025:Q1_search-" + new_campaign()
    response = await http.post(ANALYZE, json={"campaign_id": campaign_id}, headers=CLIENT)
    assert response.status_code == 202
    recommendation_id = response.json()["recommendation_id"]
    assert (
        await http.get(f"/api/v1/recommendations/{recommendation_id}", headers=CLIENT)
    ).status_code == 200
    assert (await http.get(f"/api/v1/campaigns/{campaign_id}/history", headers=CLIENT)).json()[
        "total"
    ] == 1


@pytest.mark.parametrize("flag", [0, 1, "true", "yes", None])
async def test_force_refresh_must_be_a_json_boolean(http, flag):
    response = await http.post(
        ANALYZE, json={"campaign_id": new_campaign(), "force_refresh": flag}, headers=CLIENT
    )

    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize("revision", ["1", True, -1, 1.5])
async def test_a_decision_revision_must_be_a_non_negative_json_integer(http, revision):
    response = await http.post(
        "/api/v1/recommendations/rec-a-12345678/decision",
        json={"decision": "approved", "revision": revision},
        headers=REVIEWER,
    )

    assert_error(response, 422, "validation_error")


async def test_the_openapi_document_states_the_revision_bound_and_the_400(http):
    spec = (await http.get("/api/openapi.json")).json()
    decision = spec["components"]["schemas"]["DecisionRequest"]["properties"]["revision"]
    assert {"type": "integer", "minimum": 0} in decision["anyOf"]
    analyze = spec["paths"][ANALYZE]["post"]["responses"]
    assert "400" in analyze
