"""/health, /ready, /metrics and the OpenAPI documentation."""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from activities import metrics as worker_metrics
from api.app import create_app
from domain.lifecycle import DecisionKind, RecommendationStatus
from store.repository import Store, open_store
from tests.api.conftest import (
    REVIEWER,
    client_for,
    make_settings,
    poll,
    start_analysis,
    wait_for_status,
)
from tests.store.conftest import Factory


async def test_health_needs_no_key(http):
    response = await http.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_database_and_temporal_answer(http):
    response = await http.get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "temporal": "ok"}}


async def test_ready_is_503_and_says_what_failed(temporal_client):
    # A real Store pointed at a PostgreSQL port nobody listens on, and a Temporal likewise.
    unreachable_db = await Store.connect("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    unreachable_temporal = await Client.connect(
        "127.0.0.1:1", lazy=True, data_converter=pydantic_data_converter
    )
    try:
        db_down = create_app(make_settings(), store=unreachable_db, temporal_client=temporal_client)
        async with client_for(db_down) as http:
            response = await http.get("/ready")
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["temporal"] == "ok"
        assert checks["database"].startswith("error")

        both_down = create_app(
            make_settings(), store=unreachable_db, temporal_client=unreachable_temporal
        )
        async with client_for(both_down) as http:
            response = await http.get("/ready")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"
        assert response.json()["checks"]["temporal"].startswith("error")
    finally:
        await unreachable_db.close()


async def test_requests_fail_with_503_not_500_when_the_database_is_down(temporal_client):
    unreachable_db = await Store.connect("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app = create_app(make_settings(), store=unreachable_db, temporal_client=temporal_client)
    try:
        async with client_for(app) as http:
            response = await http.get("/api/v1/recommendations", headers=REVIEWER)
    finally:
        await unreachable_db.close()

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"


async def test_metrics_count_requests_by_route_template_and_decisions(http):
    started = await start_analysis(http)
    recommendation_id = started["recommendation_id"]
    await wait_for_status(http, recommendation_id, "pending_review")
    acceptances = worker_acceptances()
    await http.post(
        f"/api/v1/recommendations/{recommendation_id}/decision",
        json={"decision": "approved"},
        headers=REVIEWER,
    )

    response = await http.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        'api_requests_total{method="POST",route="/api/v1/recommendations/analyze",status="202"}'
        in text
    )
    # Ids never become label values: the template does.
    assert 'route="/api/v1/recommendations/{recommendation_id}"' in text
    assert recommendation_id not in text
    assert "api_request_duration_seconds_bucket" in text
    assert 'recommendation_analyze_requests_total{result="started"}' in text
    assert (
        sample(
            text, 'recommendation_decision_requests_total{decision="approved",result="accepted"}'
        )
        >= 1
    )
    # The acceptance itself is the worker's to count, once, when the workflow audits it: the
    # API does not export that name at all (two exporters would double it in any sum).
    assert "# TYPE recommendation_acceptance_total" not in text

    async def counted_once() -> bool:
        return worker_acceptances() == acceptances + 1

    await poll(counted_once)


async def test_a_refused_decision_request_is_counted_as_refused(http):
    started = await start_analysis(http)
    recommendation_id = started["recommendation_id"]
    await wait_for_status(http, recommendation_id, "pending_review")
    label = 'recommendation_decision_requests_total{decision="approved",result="refused"}'
    before = sample((await http.get("/metrics")).text, label)

    stale = await http.post(
        f"/api/v1/recommendations/{recommendation_id}/decision",
        json={"decision": "approved", "revision": 99},
        headers=REVIEWER,
    )

    assert stale.status_code == 409
    assert sample((await http.get("/metrics")).text, label) == before + 1


def sample(text: str, series: str) -> float:
    """The value of one series in an exposition (0 when it is not there)."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_review_gauges_are_read_from_the_store_at_each_scrape(tmp_path):
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'gauges.db'}")
    make = Factory()
    app = create_app(make_settings(review_timeout_seconds=3600), store=store)
    try:
        async with client_for(app) as http:
            empty = (await http.get("/metrics")).text
            # Nothing pending, nothing decided: no deadline and no rate, rather than a 0 that
            # would read as "expires now" and "agrees with nobody".
            assert sample(empty, "recommendations_pending_review") == 0
            assert "recommendations_review_expires_in_seconds" not in empty
            assert "agreement_rate_daily" not in empty

            for status, decided in [
                (RecommendationStatus.pending_review, False),
                (RecommendationStatus.approved, True),
                (RecommendationStatus.approved, True),
            ]:
                campaign_id = make.campaign_id()
                rec_id = make.recommendation_id(campaign_id)
                await store.create_recommendation(rec_id, campaign_id, "api")
                await store.sync_state(make.state(rec_id, campaign_id, status, decided=decided))
            rejected = make.state(rec_id, campaign_id, RecommendationStatus.rejected, seq=1)
            rejected.decision = make.state(rec_id, campaign_id, decided=True).decision
            rejected.decision.decision = DecisionKind.rejected
            await store.sync_state(rejected)  # the last one was rejected, not approved

            text = (await http.get("/metrics")).text
    finally:
        await store.close()

    assert sample(text, "recommendations_pending_review") == 1
    assert 3500 < sample(text, "recommendations_review_expires_in_seconds") <= 3600
    assert sample(text, "agreement_rate_daily") == 0.5


def worker_acceptances() -> float:
    return worker_metrics.REGISTRY.get_sample_value(
        "recommendation_acceptance_total", {"decision": "approved"}
    )


async def test_openapi_documents_every_endpoint(http):
    spec = (await http.get("/api/openapi.json")).json()

    paths = spec["paths"]
    assert set(paths) >= {
        "/api/v1/recommendations/analyze",
        "/api/v1/recommendations",
        "/api/v1/recommendations/{recommendation_id}",
        "/api/v1/recommendations/{recommendation_id}/decision",
        "/api/v1/recommendations/{recommendation_id}/reanalyze",
        "/api/v1/campaigns/{campaign_id}/history",
        "/health",
        "/ready",
        "/metrics",
    }
    decision = paths["/api/v1/recommendations/{recommendation_id}/decision"]["post"]
    assert {"202", "401", "403", "404", "409", "422", "429"} <= set(decision["responses"])
    assert decision["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorBody"
    )
    assert decision["security"] == [{"APIKeyHeader": []}]
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    assert "examples" in spec["components"]["schemas"]["AnalyzeRequest"]

    docs = await http.get("/api/docs")
    assert docs.status_code == 200
    assert "/api/openapi.json" in docs.text


async def test_lifespan_opens_its_own_store(tmp_path):
    # Without injection the lifespan opens (and migrates) the configured database.
    settings = make_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'own.db'}")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        store = app.state.services.store
        assert store is not None and await store.ping()
        assert app.state.services.temporal is not None
    assert (tmp_path / "own.db").exists()


async def test_invented_methods_and_unknown_paths_do_not_grow_the_metrics(http):
    """A client chooses methods and paths: /metrics must not grow a series per choice."""

    def series() -> int:
        return sum(1 for line in body.splitlines() if line and not line.startswith("#"))

    for i in range(3):  # one of each kind of request the loop below makes: their series exist
        await http.request(f"X{i}", f"/api/v1/unknown/{i}")
        await http.request("GET", f"/nothing/{i}")
        await http.get("/metrics")  # the scrape's own series too
    body = (await http.get("/metrics")).text
    before = series()

    for i in range(600):
        await http.request(f"BREW{i}", f"/api/v1/unknown/{i}")
        await http.request("GET", f"/no/such/path/{i}")
    body = (await http.get("/metrics")).text

    assert series() == before  # counts went up; no series per method or path
    assert 'method="OTHER"' in body
    assert "BREW" not in body and "/no/such/path" not in body


async def test_reads_answer_from_the_store_while_temporal_is_down(store, http):
    started = await start_analysis(http)
    recommendation_id = started["recommendation_id"]
    await wait_for_status(http, recommendation_id, "pending_review")
    down = await Client.connect("127.0.0.1:1", lazy=True, data_converter=pydantic_data_converter)
    app = create_app(make_settings(), store=store, temporal_client=down)

    async with client_for(app) as api:
        loop = asyncio.get_running_loop()
        began = loop.time()
        stored = await api.get(f"/api/v1/recommendations/{recommendation_id}", headers=REVIEWER)
        live = await api.get(
            f"/api/v1/recommendations/{recommendation_id}?live=true", headers=REVIEWER
        )
        took = loop.time() - began

    assert stored.status_code == live.status_code == 200
    assert stored.json()["status"] == "pending_review" and stored.json()["source"] == "store"
    assert live.json()["source"] == "store"  # the live query could not answer: stored row
    assert took < 2.5  # the stored read is immediate; the live one gives up after 2 s
