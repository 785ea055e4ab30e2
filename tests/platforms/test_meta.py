"""The Meta adapter, driven through the official facebook-business SDK against the Graph API
fake: reads in the domain's terms, every executable action dry-run then applied once, and the
failures a real account produces (dropped answers, invalid changes, policy rejections, expired
tokens, rate limits) as the activities report them to the workflow."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import platform_errors as errors
from activities.collectors import AdPlatformCollectors
from activities.execution import ExecutionActivities
from domain.lifecycle import ActionRequest
from domain.recommendation import ActionParameters, ActionType
from platforms.meta import MetaPlatform
from platforms.meta.wire import advised_delay
from tests.fakes import meta_graph as fake_meta
from tests.fakes.meta_graph import Fault
from tests.platforms.conftest import execution_store, meta_config
from workflows import activity_names as names

PROSPECTING = "act_1001:2001"  # ad-set budgets and bid caps, creative fatigue
RETARGETING = "act_1001:2002"  # campaign budget, broken pixel


def attempt(number: int, details: tuple = ()) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=number, heartbeat_details=details)
    return env


def request(action: ActionType, key: str, campaign: str = PROSPECTING, **parameters):
    return ActionRequest(
        campaign_id=campaign,
        action=action,
        parameters=ActionParameters(**parameters),
        idempotency_key=key,
        requested_by="alice",
    )


async def execute(platform: MetaPlatform, req: ActionRequest, number: int = 1, details=()):
    return await attempt(number, details).run(
        ExecutionActivities(platform, execution_store()).execute_action, req
    )


async def execution_error(platform: MetaPlatform, req: ActionRequest) -> ApplicationError:
    with pytest.raises(ApplicationError) as err:
        await execute(platform, req)
    return err.value


def node(graph_server, object_id: str) -> dict:  # noqa: ANN001
    found = graph_server.fake.account.nodes[object_id]
    return {**found.fields, "labels": [label["name"] for label in found.labels]}


# ----------------------------------------------------------------------------- reads


async def test_insights_become_campaign_metrics_in_the_account_currency(meta) -> None:
    metrics = await meta.campaign_metrics(PROSPECTING, 7)

    assert metrics.campaign_name == "Prospecting - Broad" and metrics.platform == "meta"
    assert metrics.daily_budget == 250.0  # 15000 + 10000 cents of ad-set budgets
    assert metrics.spend == pytest.approx(1760.0, rel=0.01)  # spend arrives in dollars
    assert metrics.ctr_change_pct < -10 and metrics.cpa_change_pct > 10
    assert metrics.impression_share is None  # Meta has no impression share
    assert metrics.model_extra["current_bid"] == 2.25  # mean bid cap, from cents
    assert metrics.model_extra["frequency"] > 5


async def test_every_source_is_collected_and_competitors_are_a_known_gap(meta) -> None:
    collectors = AdPlatformCollectors(meta)
    env = ActivityEnvironment()

    creatives = await env.run(collectors.collect_creatives, PROSPECTING)
    audience = await env.run(collectors.collect_audience, PROSPECTING)
    history = await env.run(collectors.collect_history, PROSPECTING)
    with pytest.raises(ApplicationError) as err:
        await env.run(collectors.collect_competitors, PROSPECTING)

    assert [c.creative_id for c in creatives] == ["4001", "4003"]  # the active ads
    assert all(c.ctr_trend == "declining" and c.average_frequency > 5 for c in creatives)
    assert all(c.creative_age_days == 60 for c in creatives)
    assert [s.segment_id for s in audience.segments] == ["3001", "3002"]  # ad sets
    assert audience.frequency_trend == "increasing" and audience.reach_change_pct < 0
    assert {b["dimension"] for b in audience.model_extra["breakdowns"]} == {"age", "gender"}
    assert len(history.daily) == 30
    assert err.value.type == errors.SOURCE_NOT_SUPPORTED and err.value.non_retryable


async def test_settings_are_read_in_the_domains_terms(meta) -> None:
    settings = await meta.settings(PROSPECTING)
    assert settings.status == "active" and settings.bid == 2.25
    assert settings.creative_ids == ["4001", "4003"]
    assert settings.segment_budgets == {"3001": 150.0, "3002": 100.0}


async def test_an_unknown_campaign_is_final(meta) -> None:
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(AdPlatformCollectors(meta).collect_campaign, "9999")
    assert err.value.type == names.CAMPAIGN_NOT_FOUND and err.value.non_retryable
    assert "9999" in err.value.message


# ----------------------------------------------------------------------------- actions


async def test_a_pause_is_validated_then_applied_once(meta, graph_server) -> None:
    result = await execute(meta, request(ActionType.campaign_pause, "rec-1:r1", RETARGETING))

    assert result.applied and result.after == {"status": "paused"}
    assert node(graph_server, "2002")["status"] == "PAUSED"
    [mutation] = graph_server.fake.mutations
    assert mutation["request_id"] in result.request_ids  # trace ids of every call, audited


async def test_a_bid_adjustment_moves_every_bid_cap_once(meta, graph_server) -> None:
    result = await execute(meta, request(ActionType.bid_adjustment, "rec-2:r1", bid_change_pct=20))

    assert result.applied and result.after["bid"] == 2.7
    assert (node(graph_server, "3001")["bid_amount"], node(graph_server, "3002")["bid_amount"]) == (
        300,
        240,
    )
    assert len(graph_server.fake.mutations) == 2  # one write per ad set, each once


async def test_a_budget_reallocation_moves_ad_set_budgets_in_minor_units(meta, graph_server):
    result = await execute(
        meta,
        request(
            ActionType.budget_reallocation,
            "rec-3:r1",
            budget_shift_amount=25.0,
            from_segment_id="3001",
            to_segment_id="3002",
        ),
    )
    assert result.applied
    budgets = node(graph_server, "3001")["daily_budget"], node(graph_server, "3002")["daily_budget"]
    assert budgets == ("12500", "12500")
    assert len(graph_server.fake.mutations) == 2


async def test_a_campaign_budget_has_no_ad_set_budgets_to_move(meta, graph_server) -> None:
    result = await execute(
        meta,
        request(
            ActionType.budget_reallocation,
            "rec-4:r1",
            RETARGETING,
            budget_shift_amount=25.0,
            from_segment_id="3003",
            to_segment_id="3004",
        ),
    )
    assert not result.applied and "campaign budget" in result.message
    assert "spending limits" in result.manual_instructions
    assert graph_server.fake.mutations == []


async def test_audience_expansion_turns_on_advantage_audience(meta, graph_server) -> None:
    result = await execute(
        meta, request(ActionType.audience_expansion, "rec-5:r1", audience_expansion_pct=20)
    )
    assert result.applied
    for adset in ("3001", "3002"):
        targeting = node(graph_server, adset)["targeting"]
        assert targeting["targeting_automation"] == {"advantage_audience": 1}
        assert targeting["geo_locations"] == {"countries": ["US"]}  # the rest is kept


async def test_a_bid_on_lowest_cost_is_left_to_a_person(meta, graph_server) -> None:
    result = await execute(
        meta, request(ActionType.bid_adjustment, "rec-6:r1", RETARGETING, bid_change_pct=10)
    )
    assert not result.applied and "bid cap" in result.manual_instructions
    assert graph_server.fake.mutations == []


async def test_a_creative_refresh_rotates_in_the_prepared_ad(meta, graph_server) -> None:
    result = await execute(
        meta, request(ActionType.creative_refresh, "rec-7:r1", creative_ids=["4001"])
    )
    assert result.applied and result.after["replaced"] == {"4001": "4002"}
    assert (node(graph_server, "4001")["status"], node(graph_server, "4002")["status"]) == (
        "PAUSED",
        "ACTIVE",
    )


async def test_a_policy_rejection_comes_back_non_retryable_with_metas_words(
    meta, graph_server
) -> None:
    # The prepared ad of ad set 3002 was disapproved: the dry run already meets the refusal.
    error = await execution_error(
        meta, request(ActionType.creative_refresh, "rec-8:r1", creative_ids=["4003"])
    )
    assert error.type == names.ACTION_REJECTED and error.non_retryable
    assert "Advertising Policies" in error.message and "Meta error 368" in error.message
    assert graph_server.fake.mutations == []


async def test_a_too_low_budget_comes_back_non_retryable_with_metas_words(meta, graph_server):
    error = await execution_error(
        meta,
        request(
            ActionType.budget_reallocation,
            "rec-9:r1",
            budget_shift_amount=99.5,
            from_segment_id="3002",
            to_segment_id="3001",
        ),
    )
    assert error.type == names.ACTION_REJECTED and error.non_retryable
    assert "Your Budget Is Too Low" in error.message and "1885272" in error.message
    assert graph_server.fake.mutations == []


# ----------------------------------------------------------------------------- failures


async def test_a_dropped_answer_is_retried_without_a_second_mutation(meta, graph_server):
    graph_server.fake.faults.append(Fault(method="POST", kind="drop_after_apply"))
    req = request(ActionType.campaign_pause, "rec-10:r1", RETARGETING)

    with pytest.raises(ApplicationError) as err:
        await execute(meta, req)
    assert err.value.type == errors.AD_PLATFORM_UNAVAILABLE and not err.value.non_retryable
    assert fake_meta.ACCESS_TOKEN not in err.value.message  # the URL's token is redacted
    assert len(graph_server.fake.mutations) == 1  # it landed; the answer was lost

    again = await execute(meta, req, number=2, details=({"before": {"status": "active"}},))
    assert again.applied and again.already_applied
    assert again.before == {"status": "active"}
    assert len(graph_server.fake.mutations) == 1


async def test_a_half_applied_reallocation_is_finished_not_repeated(meta, graph_server):
    # The first ad set's budget lands and its answer is lost; the retry must move only the
    # second one, and by the same amount.
    graph_server.fake.faults.append(Fault(method="POST", kind="drop_after_apply"))
    req = request(
        ActionType.budget_reallocation,
        "rec-11:r1",
        budget_shift_amount=25.0,
        from_segment_id="3001",
        to_segment_id="3002",
    )
    with pytest.raises(ApplicationError):
        await execute(meta, req)

    again = await execute(meta, req, number=2)

    assert again.applied and not again.already_applied and "finishing" in again.message
    budgets = node(graph_server, "3001")["daily_budget"], node(graph_server, "3002")["daily_budget"]
    assert budgets == ("12500", "12500")
    assert [m["object_id"] for m in graph_server.fake.mutations] == ["3001", "3002"]


async def test_an_expired_token_fails_fast_naming_the_setting(meta, graph_server) -> None:
    graph_server.fake.token_expired = True
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(AdPlatformCollectors(meta).collect_campaign, PROSPECTING)
    assert err.value.type == errors.AD_PLATFORM_AUTH and err.value.non_retryable
    assert "META_ACCESS_TOKEN" in err.value.message and "190/463" in err.value.message
    assert "Session has expired" in err.value.message


async def test_a_wrong_token_names_the_setting_too(graph_server) -> None:
    graph_server.fake.reset()
    platform = MetaPlatform(meta_config(graph_server, access_token=SecretStr("nope")))
    try:
        with pytest.raises(ApplicationError) as err:
            await ActivityEnvironment().run(
                AdPlatformCollectors(platform).collect_campaign, PROSPECTING
            )
    finally:
        await platform.aclose()
    assert err.value.type == errors.AD_PLATFORM_AUTH and "META_ACCESS_TOKEN" in err.value.message


async def test_a_rate_limit_is_retried_after_the_advised_delay(meta, graph_server) -> None:
    graph_server.fake.faults.append(Fault(method="GET", kind="rate_limit", regain_minutes=3))
    collectors = AdPlatformCollectors(meta)

    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(collectors.collect_campaign, PROSPECTING)
    assert err.value.type == errors.AD_PLATFORM_ERROR and not err.value.non_retryable
    assert err.value.next_retry_delay == timedelta(minutes=3)  # estimated_time_to_regain_access
    assert "17" in err.value.message

    assert (await ActivityEnvironment().run(collectors.collect_campaign, PROSPECTING)).spend > 0


async def test_a_transient_server_error_is_retryable(meta, graph_server) -> None:
    graph_server.fake.faults.append(Fault(method="GET", kind="unavailable"))
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(AdPlatformCollectors(meta).collect_campaign, PROSPECTING)
    assert err.value.type == errors.AD_PLATFORM_ERROR and not err.value.non_retryable


def test_the_advised_delay_is_read_from_every_usage_header() -> None:
    headers = {
        "x-business-use-case-usage": '{"1": [{"type": "ads_insights", '
        '"estimated_time_to_regain_access": 2}]}',
        "x-ad-account-usage": '{"acc_id_util_pct": 100, "reset_time_duration": 300}',
    }
    assert advised_delay(headers) == 300.0
    assert advised_delay({"x-app-usage": '{"call_count": 90}'}) is None
    assert advised_delay({"x-business-use-case-usage": "not json"}) is None


async def test_an_unreachable_graph_is_retryable_and_never_shows_the_token(graph_server):
    from tests.e2e.conftest import free_port

    platform = MetaPlatform(meta_config(graph_server, graph_url=f"http://127.0.0.1:{free_port()}"))
    try:
        with pytest.raises(ApplicationError) as err:
            await ActivityEnvironment().run(
                AdPlatformCollectors(platform).collect_campaign, PROSPECTING
            )
    finally:
        await platform.aclose()
    assert err.value.type == errors.AD_PLATFORM_UNAVAILABLE and not err.value.non_retryable
    assert "access_token=REDACTED" in err.value.message
    assert fake_meta.ACCESS_TOKEN not in err.value.message


async def test_spend_reports_are_the_daily_insights_spend(meta) -> None:
    since = datetime.now(UTC).date() - timedelta(days=20)
    report = await meta.spend_report(PROSPECTING, since)
    metrics = await meta.campaign_metrics(PROSPECTING, 7)

    assert report.campaign_name == "Prospecting - Broad" and report.daily_budget == 250.0
    week = [
        spend
        for day, spend in report.daily_spend.items()
        if metrics.period_start <= day <= metrics.period_end
    ]
    assert sum(week) == pytest.approx(metrics.spend, rel=0.01)
    assert report.product is None and report.end_date is None
    assert datetime.now(UTC) - report.reported_through > timedelta(hours=2, minutes=59)
