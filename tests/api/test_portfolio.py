"""/api/v1/portfolio over the real app, store and Temporal test server: experiments import
(JSON and CSV, refused whole with every bad row named), starting and reading reviews, the
markdown and charts, and sending a recommendation into the lifecycle with one call."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from activities.portfolio import publish
from domain.portfolio.model import AgentRecords, PlatformData, PortfolioPolicy
from domain.portfolio.review import ReviewInput, review_portfolio
from tests.api.conftest import ADMIN, CLIENT, poll
from tests.domain.test_portfolio import snapshot

EXPERIMENTS = "/api/v1/portfolio/experiments"
REVIEWS = "/api/v1/portfolio/reviews"


def row(experiment_id: str, **changes) -> dict:
    return {
        "experiment_id": experiment_id,
        "name": "Landing page",
        "control": {"name": "old", "samples": 1000, "conversions": 100},
        "variant": {"name": "new", "samples": 1000, "conversions": 125},
        "planned_variant_share": 0.5,
        **changes,
    }


async def imported_ids(http) -> set[str]:
    response = await http.get(EXPERIMENTS, headers=CLIENT)
    assert response.status_code == 200
    return {e["experiment_id"] for e in response.json()["items"]}


async def test_a_json_import_is_stored_and_a_repeat_replaces_it(http) -> None:
    token = uuid.uuid4().hex[:6]
    ids = [f"exp-{token}-1", f"exp-{token}-2"]
    response = await http.post(EXPERIMENTS, json=[row(ids[0]), row(ids[1])], headers=CLIENT)
    assert response.status_code == 201, response.text
    assert response.json() == {"imported": 2, "experiment_ids": ids}

    again = await http.post(
        EXPERIMENTS, json={"experiments": [row(ids[0], name="Renamed")]}, headers=CLIENT
    )
    listed = {
        e["experiment_id"]: e for e in (await http.get(EXPERIMENTS, headers=CLIENT)).json()["items"]
    }
    assert again.status_code == 201
    assert listed[ids[0]]["name"] == "Renamed" and listed[ids[1]]["name"] == "Landing page"


async def test_a_bad_import_is_refused_whole_naming_every_bad_row(http) -> None:
    token = uuid.uuid4().hex[:6]
    before = await imported_ids(http)
    rows = [
        row(f"exp-{token}-ok"),
        row(f"exp-{token}-x", variant={"name": "new", "samples": 10, "conversions": 20}),
        row(f"exp-{token}-y", planned_variant_share=1.5),
        row(f"exp-{token}-ok"),
    ]
    response = await http.post(EXPERIMENTS, json=rows, headers=CLIENT)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_experiments"
    assert error["message"].startswith("3 row(s) are invalid, nothing was imported")
    assert [d["row"] for d in error["details"]] == [2, 3, 4]
    assert "20 conversions on only 10 samples" in error["details"][0]["problems"][0]
    assert "planned_variant_share" in error["details"][1]["problems"][0]
    assert error["details"][2]["problems"] == ["experiment_id repeats row 1"]
    assert await imported_ids(http) == before  # the good row was not imported either


async def test_a_csv_import(http) -> None:
    token = uuid.uuid4().hex[:6]
    csv_text = (
        "experiment_id,name,control_samples,control_conversions,variant_samples,"
        "variant_conversions,planned_variant_share\n"
        f"exp-{token}-c,CSV test,5000,400,5000,460,0.5\n"
    )
    good = await http.post(
        EXPERIMENTS, content=csv_text, headers={**CLIENT, "content-type": "text/csv"}
    )
    bad = await http.post(
        EXPERIMENTS,
        content=csv_text.replace("400", "four hundred"),
        headers={**CLIENT, "content-type": "text/csv"},
    )
    odd = await http.post(EXPERIMENTS, content=b"x", headers={**CLIENT, "content-type": "text/xml"})

    assert good.status_code == 201 and good.json()["experiment_ids"] == [f"exp-{token}-c"]
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["row"] == 1
    assert "control.conversions" in bad.json()["error"]["details"][0]["problems"][0]
    assert odd.status_code == 415


async def test_starting_a_review_answers_at_once_and_it_is_readable(
    http, store, temporal_client
) -> None:
    response = await http.post(
        REVIEWS,
        json={
            "window_days": 7,
            "campaign_targets": [{"campaign_id": "camp_x", "kpi": "cpa", "target": 25}],
            "campaign_values": [{"campaign_id": "camp_x", "value_per_conversion": 40}],
        },
        headers=CLIENT,
    )
    assert response.status_code == 202, response.text
    review_id = response.json()["review_id"]
    assert response.headers["location"] == f"{REVIEWS}/{review_id}"
    second = await http.post(REVIEWS, json={}, headers=CLIENT)
    assert second.status_code == 409 and second.json()["error"]["code"] == "review_running"
    assert review_id in second.json()["error"]["message"]
    started = await temporal_client.get_workflow_handle(review_id).describe()
    inp = (await temporal_client.get_workflow_handle(review_id).fetch_history()).events[0]
    assert started.workflow_type == "PortfolioReviewWorkflow"
    assert b'"camp_x":{"kpi":"cpa","target":25.0}' in (
        inp.workflow_execution_started_event_attributes.input.payloads[0].data
    )

    body = (await http.get(f"{REVIEWS}/{review_id}", headers=CLIENT)).json()
    assert body["status"] == "running" and body["requested_by"] == "dashboard"
    assert body["trigger"] == "api" and body["report"] is None
    listed = (await http.get(REVIEWS, headers=CLIENT)).json()
    assert review_id in {item["review_id"] for item in listed["items"]}
    markdown = await http.get(f"{REVIEWS}/{review_id}/report.md", headers=CLIENT)
    assert markdown.status_code == 409
    # The workflow was started (this test worker does not run reviews): stop it.
    await temporal_client.get_workflow_handle(review_id).terminate("test done")
    await store.portfolio.save_status(review_id, "failed", error="terminated by the test")


async def test_unknown_reviews_and_bad_bodies(http) -> None:
    assert (await http.get(f"{REVIEWS}/portfolio-review-nope", headers=CLIENT)).status_code == 404
    assert (await http.post(REVIEWS, json={"window_days": 0}, headers=CLIENT)).status_code == 422
    assert (await http.post(REVIEWS, json={"nope": 1}, headers=CLIENT)).status_code == 422
    assert (await http.get(REVIEWS)).status_code == 401


@pytest.fixture
async def completed_review(store) -> str:
    """A review stored as the workflow stores it (its numbers are tested in domain tests)."""
    review_id = f"portfolio-review-api-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    campaign = f"camp_{uuid.uuid4().hex[:8]}"
    report = review_portfolio(
        ReviewInput(
            review_id=review_id,
            as_of=now,
            seed=5,
            policy=PortfolioPolicy(value_per_conversion=30),
            platform=PlatformData(
                platform="test",
                window_days=7,
                campaigns=[
                    snapshot(campaign, 700.0, 0.0, clicks=300),
                    snapshot("camp_b", 900.0, 30.0),
                    snapshot("camp_c", 900.0, 60.0),
                ],
            ),
            records=AgentRecords(since=now - timedelta(days=7), until=now),
        )
    )
    await store.portfolio.save_status(review_id, "running", requested_by="dashboard", trigger="api")
    await publish(store, report)
    return review_id


async def test_a_completed_review_with_its_markdown_and_charts(http, completed_review) -> None:
    body = (await http.get(f"{REVIEWS}/{completed_review}", headers=CLIENT)).json()
    assert body["status"] == "completed"
    assert body["report"]["headline"][0]["label"] == "Campaigns"
    assert body["markdown_url"] == f"{REVIEWS}/{completed_review}/report.md"
    names = {c["name"] for c in body["charts"]}
    assert {"spend_value", "kpi_status"} <= names

    markdown = await http.get(body["markdown_url"], headers=CLIENT)
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.startswith(f"# Portfolio review {completed_review}")
    chart = await http.get(body["charts"][0]["url"], headers=CLIENT)
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")
    missing = await http.get(f"{REVIEWS}/{completed_review}/charts/nope.png", headers=CLIENT)
    assert missing.status_code == 404


async def test_one_call_sends_a_recommendation_into_the_lifecycle(http, completed_review) -> None:
    report = (await http.get(f"{REVIEWS}/{completed_review}", headers=CLIENT)).json()["report"]
    items = {r["action"]: r for r in report["recommendations"]}
    pause, move = items["Campaign Pause"], items["Move daily budget between campaigns"]
    send = f"{REVIEWS}/{completed_review}/recommendations"

    first = await http.post(f"{send}/{pause['number']}/lifecycle", headers=CLIENT)
    again = await http.post(f"{send}/{pause['number']}/lifecycle", headers=CLIENT)
    manual = await http.post(f"{send}/{move['number']}/lifecycle", headers=CLIENT)
    beyond = await http.post(f"{send}/99/lifecycle", headers=CLIENT)

    assert first.status_code == 202, first.text
    started = first.json()
    assert started["proposal"] is True and started["deduplicated"] is False
    assert again.json()["recommendation_id"] == started["recommendation_id"]
    assert again.json()["deduplicated"] is True
    assert manual.status_code == 409 and manual.json()["error"]["code"] == "not_actionable"
    assert "daily budget" in manual.json()["error"]["message"]
    assert beyond.status_code == 404

    async def reviewable():
        response = await http.get(
            f"/api/v1/recommendations/{started['recommendation_id']}", headers=ADMIN
        )
        body = response.json()
        return body if body.get("status") in ("pending_review", "failed") else None

    body = await poll(reviewable, within=20)
    assert body["status"] == "pending_review", body.get("error")
    # Revision 1 was the review's proposal. This API worker's ad platform is a double whose
    # campaigns all convert, so the critique found the pause contradicted by the fresh
    # evidence and the reasoner drafted again: the lifecycle judges a proposal like any draft.
    drafts = [step["detail"] for step in body["trace"] if step["step"] == "generate_recommendation"]
    assert drafts[0].startswith("Campaign Pause")
    assert body["revision"] == len(drafts) >= 2
    assert body["recommendation"]["model"] == "rules"


async def test_analyse_the_campaign_reuses_an_analysis_waiting_for_review(http, store) -> None:
    campaign = f"camp_{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    review_id = f"portfolio-review-api-{uuid.uuid4().hex[:8]}"
    report = review_portfolio(
        ReviewInput(
            review_id=review_id,
            as_of=now,
            seed=5,
            policy=PortfolioPolicy(account_target_cpa=20),  # CPA 30: 67 % of target, below
            platform=PlatformData(
                platform="test", window_days=7, campaigns=[snapshot(campaign, 900.0, 30.0)]
            ),
            records=AgentRecords(since=now - timedelta(days=7), until=now),
        )
    )
    await publish(store, report)
    (item,) = [r for r in report.recommendations if r.action == "Analyse the campaign"]
    analysis = (
        await http.post(
            "/api/v1/recommendations/analyze", json={"campaign_id": campaign}, headers=CLIENT
        )
    ).json()

    sent = await http.post(
        f"{REVIEWS}/{review_id}/recommendations/{item.number}/lifecycle", headers=CLIENT
    )

    assert sent.status_code == 202
    assert sent.json()["recommendation_id"] == analysis["recommendation_id"]
    assert sent.json()["deduplicated"] is True and sent.json()["proposal"] is False
