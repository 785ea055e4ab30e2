"""The Google Ads adapter, driven through the official google-ads library against the gRPC
fake: reads in the domain's terms, every executable action dry-run then applied once, and the
failures a real account produces (ambiguous answers, invalid changes, expired credentials,
quota) as the activities report them to the workflow."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import platform_errors as errors
from activities.collectors import AdPlatformCollectors
from activities.execution import ExecutionActivities
from domain.lifecycle import ActionRequest
from domain.recommendation import ActionParameters, ActionType
from platforms.google_ads import GoogleAdsPlatform
from tests.fakes import google_ads as fake_google
from tests.fakes.google_ads import Fault
from tests.platforms.conftest import execution_store, google_config
from workflows import activity_names as names

BRAND = "1234567890:111"  # manual CPC, competitive pressure, own budget
GENERIC = "1234567890:222"  # target CPA 40.00, own budget
PROSPECTING = "1234567890:333"  # display, budget shared with 444


def attempt(number: int, details: tuple = ()) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=number, heartbeat_details=details)
    return env


def request(action: ActionType, key: str, campaign: str = BRAND, **parameters) -> ActionRequest:
    return ActionRequest(
        campaign_id=campaign,
        action=action,
        parameters=ActionParameters(**parameters),
        idempotency_key=key,
        requested_by="alice",
    )


async def execute(platform: GoogleAdsPlatform, req: ActionRequest, number: int = 1):
    return await attempt(number).run(
        ExecutionActivities(platform, execution_store()).execute_action, req
    )


async def execution_error(platform: GoogleAdsPlatform, req: ActionRequest) -> ApplicationError:
    with pytest.raises(ApplicationError) as err:
        await execute(platform, req)
    return err.value


# ----------------------------------------------------------------------------- reads


async def test_campaign_metrics_come_in_the_account_currency_with_the_period_comparison(
    google: GoogleAdsPlatform,
) -> None:
    metrics = await google.campaign_metrics(BRAND, 7)

    assert metrics.campaign_name == "Search - Brand" and metrics.platform == "google_ads"
    assert metrics.daily_budget == 400.0  # 400,000,000 micros
    assert metrics.spend == pytest.approx(metrics.clicks * metrics.spend / metrics.clicks)
    assert 1000 < metrics.spend < 3000  # dollars, not micros
    assert metrics.impression_share is not None and 0 < metrics.impression_share < 1
    assert metrics.impression_share_change_pct < -10  # share lost to competitors
    assert metrics.cpa_change_pct > 10 and metrics.ctr_change_pct == 0
    assert metrics.model_extra["current_bid"] == 2.25  # mean of the ad groups' CPC bids


async def test_every_source_is_collected_through_the_activities(google: GoogleAdsPlatform):
    collectors = AdPlatformCollectors(google)
    env = ActivityEnvironment()

    campaign = await env.run(collectors.collect_campaign, BRAND)
    creatives = await env.run(collectors.collect_creatives, BRAND)
    competitors = await env.run(collectors.collect_competitors, BRAND)
    audience = await env.run(collectors.collect_audience, BRAND)
    history = await env.run(collectors.collect_history, BRAND)

    assert campaign.campaign_id == BRAND
    assert {c.creative_id for c in creatives} == {"1001~9001", "1002~9003"}  # enabled ads
    assert all(c.ctr_trend == "stable" and c.creative_age_days >= 45 for c in creatives)
    assert competitors.activity_change_pct > 20  # share lost to rank rose
    assert competitors.avg_bid_increase_pct > 10  # CPC rose
    assert {s.segment_id for s in audience.segments} == {"111", "222", "333", "444"}
    dimensions = {b["dimension"] for b in audience.model_extra["breakdowns"]}
    assert dimensions == {"age", "gender", "device"}
    assert len(history.daily) == 30 and history.baseline_cpa is not None


async def test_settings_are_read_in_the_domains_terms(google: GoogleAdsPlatform) -> None:
    settings = await google.settings(BRAND)

    assert settings.status == "active" and settings.bid == 2.25
    assert settings.daily_budget == 400.0
    assert settings.creative_ids == ["1001~9001", "1002~9003"]
    assert settings.segment_budgets == {"111": 400.0, "222": 600.0, "333": 300.0, "444": 300.0}
    assert (await google.settings(GENERIC)).bid == 40.0  # target CPA


async def test_an_unknown_campaign_is_final(google: GoogleAdsPlatform) -> None:
    collectors = AdPlatformCollectors(google)
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(collectors.collect_campaign, "1234567890:999")
    assert err.value.type == names.CAMPAIGN_NOT_FOUND and err.value.non_retryable
    assert "999" in err.value.message


# ----------------------------------------------------------------------------- actions


def state(server: fake_google.RunningFake) -> fake_google.Account:
    return server.fake.account


async def test_a_bid_adjustment_is_validated_then_applied_once(google, google_server) -> None:
    result = await execute(
        google, request(ActionType.bid_adjustment, "rec-1:r1", bid_change_pct=10)
    )

    assert result.applied and not result.already_applied
    groups = state(google_server).ad_groups
    assert (groups[1001].cpc_bid_micros, groups[1002].cpc_bid_micros) == (2_750_000, 2_200_000)
    assert result.before["bid"] == 2.25 and result.after["bid"] == 2.48
    [mutation] = google_server.fake.mutations
    assert mutation["request_id"] in result.request_ids  # the audit keeps every request id
    assert len(result.request_ids) > 3  # the dry run and the reads too
    # The dry run went through Mutate with validate_only: two Mutate calls, one applied.
    assert google_server.fake.calls.count("Mutate") >= 2


async def test_a_target_cpa_campaign_moves_its_target(google, google_server) -> None:
    result = await execute(
        google, request(ActionType.bid_adjustment, "rec-2:r1", GENERIC, bid_change_pct=-10)
    )
    assert result.applied
    assert state(google_server).campaigns[222].target_cpa_micros == 36_000_000
    assert len(google_server.fake.mutations) == 1


async def test_a_budget_reallocation_moves_money_between_campaign_budgets(
    google, google_server
) -> None:
    result = await execute(
        google,
        request(
            ActionType.budget_reallocation,
            "rec-3:r1",
            budget_shift_amount=50.0,
            from_segment_id="111",
            to_segment_id="222",
        ),
    )
    assert result.applied
    budgets = state(google_server).budgets
    assert (budgets[501].amount_micros, budgets[502].amount_micros) == (350_000_000, 650_000_000)
    assert len(google_server.fake.mutations) == 1  # both budgets in one atomic Mutate


async def test_a_shared_budget_is_refused_with_instructions(google, google_server) -> None:
    result = await execute(
        google,
        request(
            ActionType.budget_reallocation,
            "rec-4:r1",
            PROSPECTING,
            budget_shift_amount=20.0,
            from_segment_id="333",
            to_segment_id="111",
        ),
    )
    assert not result.applied and "shared" in result.message
    assert "Shared library" in result.manual_instructions
    assert google_server.fake.mutations == []


async def test_a_pause_is_applied_once(google, google_server) -> None:
    result = await execute(google, request(ActionType.campaign_pause, "rec-5:r1"))
    assert result.applied and result.after == {"status": "paused"}
    assert state(google_server).campaigns[111].status == "PAUSED"
    assert (await google.settings(BRAND)).status == "paused"
    assert len(google_server.fake.mutations) == 1


async def test_audience_expansion_turns_on_optimized_targeting(google, google_server) -> None:
    result = await execute(
        google,
        request(ActionType.audience_expansion, "rec-6:r1", PROSPECTING, audience_expansion_pct=20),
    )
    assert result.applied
    assert state(google_server).ad_groups[3001].optimized_targeting_enabled
    assert len(google_server.fake.mutations) == 1


async def test_a_search_campaign_cannot_widen_its_audience_through_the_api(
    google, google_server
) -> None:
    result = await execute(
        google, request(ActionType.audience_expansion, "rec-7:r1", audience_expansion_pct=20)
    )
    assert not result.applied and "broad match" in result.manual_instructions
    assert google_server.fake.mutations == []


async def test_a_creative_refresh_rotates_in_the_prepared_ad(google, google_server) -> None:
    result = await execute(
        google, request(ActionType.creative_refresh, "rec-8:r1", creative_ids=["1001~9001"])
    )
    assert result.applied and result.after["replaced"] == {"1001~9001": "1001~9002"}
    ads = state(google_server).ads
    assert (ads[9001].status, ads[9002].status) == ("PAUSED", "ENABLED")
    assert len(google_server.fake.mutations) == 1


async def test_a_policy_finding_comes_back_non_retryable_with_the_platforms_words(
    google, google_server
) -> None:
    # The prepared ad of ad group 1002 makes a prohibited claim: Google refuses to enable it.
    error = await execution_error(
        google, request(ActionType.creative_refresh, "rec-9:r1", creative_ids=["1002~9003"])
    )
    assert error.type == names.ACTION_REJECTED and error.non_retryable
    assert "disapproved" in error.message and "MISLEADING_CLAIMS" in error.message
    assert "policy_finding_error: POLICY_FINDING" in error.message
    assert google_server.fake.mutations == []


async def test_an_invalid_bid_comes_back_non_retryable_with_the_platforms_message(
    google, google_server
) -> None:
    error = await execution_error(
        google, request(ActionType.bid_adjustment, "rec-10:r1", bid_change_pct=-100)
    )
    assert error.type == names.ACTION_REJECTED and error.non_retryable
    assert "bidding_error: BID_TOO_SMALL" in error.message
    assert "minimum" in error.message
    assert error.details[0]["request_id"].startswith("fake-req-")
    assert google_server.fake.mutations == []


# ----------------------------------------------------------------------------- failures


async def test_an_ambiguous_failure_is_retried_without_a_second_mutation(
    google, google_server
) -> None:
    google_server.fake.faults.append(Fault(method="Mutate", kind="drop_after_apply"))
    req = request(ActionType.bid_adjustment, "rec-11:r1", bid_change_pct=10)

    with pytest.raises(ApplicationError) as err:
        await execute(google, req)
    assert err.value.type == errors.AD_PLATFORM_UNAVAILABLE and not err.value.non_retryable
    assert len(google_server.fake.mutations) == 1  # it landed; the answer was lost

    before = {"before": {"status": "active", "bid": 2.25}}
    again = await attempt(2, (before,)).run(
        ExecutionActivities(google, execution_store()).execute_action, req
    )

    assert again.applied and again.already_applied
    assert again.before == before["before"]  # what the first attempt read, not the new bid
    assert len(google_server.fake.mutations) == 1
    assert state(google_server).ad_groups[1001].cpc_bid_micros == 2_750_000  # not 3_030_000


async def test_an_expired_refresh_token_fails_fast_naming_the_setting(google_server) -> None:
    google_server.fake.reset()
    google_server.fake.refresh_token_expired = True
    platform = GoogleAdsPlatform(google_config(google_server))
    try:
        with pytest.raises(ApplicationError) as err:
            await ActivityEnvironment().run(AdPlatformCollectors(platform).collect_campaign, BRAND)
    finally:
        await platform.aclose()
    assert err.value.type == errors.AD_PLATFORM_AUTH and err.value.non_retryable
    assert "GOOGLE_ADS_REFRESH_TOKEN" in err.value.message
    assert "expired or revoked" in err.value.message


async def test_a_refused_developer_token_names_its_setting(google_server) -> None:
    google_server.fake.reset()
    from pydantic import SecretStr

    platform = GoogleAdsPlatform(google_config(google_server, developer_token=SecretStr("x")))
    try:
        with pytest.raises(ApplicationError) as err:
            await ActivityEnvironment().run(AdPlatformCollectors(platform).collect_campaign, BRAND)
    finally:
        await platform.aclose()
    assert err.value.type == errors.AD_PLATFORM_AUTH and err.value.non_retryable
    assert "GOOGLE_ADS_DEVELOPER_TOKEN" in err.value.message


async def test_quota_exhaustion_is_retried_after_the_advised_delay(google, google_server) -> None:
    google_server.fake.faults.append(
        Fault(method="SearchStream", kind="rate_limit", retry_delay_seconds=42)
    )
    collectors = AdPlatformCollectors(google)
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(collectors.collect_campaign, BRAND)
    assert err.value.type == errors.AD_PLATFORM_ERROR and not err.value.non_retryable
    assert err.value.next_retry_delay == timedelta(seconds=42)

    assert (await ActivityEnvironment().run(collectors.collect_campaign, BRAND)).spend > 0


async def test_unavailable_is_retryable_but_internal_is_not(google, google_server) -> None:
    google_server.fake.faults.append(Fault(method="SearchStream", kind="unavailable"))
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(AdPlatformCollectors(google).collect_campaign, BRAND)
    assert err.value.type == errors.AD_PLATFORM_UNAVAILABLE and not err.value.non_retryable


async def test_spend_reports_are_the_daily_cost_in_the_account_currency(
    google: GoogleAdsPlatform,
) -> None:
    since = datetime.now(UTC).date() - timedelta(days=20)
    report = await google.spend_report(BRAND, since)
    metrics = await google.campaign_metrics(BRAND, 7)

    assert (report.campaign_name, report.status, report.daily_budget) == (
        "Search - Brand",
        "active",
        400.0,
    )
    week = [
        spend
        for day, spend in report.daily_spend.items()
        if metrics.period_start <= day <= metrics.period_end
    ]
    assert sum(week) == pytest.approx(metrics.spend, rel=0.01)  # dollars, as the metrics
    assert min(report.daily_spend) >= since
    # Google Ads names no market, product or flight, nor how fresh its figures are.
    assert report.market is None and report.start_date is None
    lag = datetime.now(UTC) - report.reported_through
    assert timedelta(hours=2, minutes=59) < lag < timedelta(hours=3, minutes=1)
