"""The monitors' records on SQLite and PostgreSQL: plans taken whole, one alert per key even
when passes race, halts and their release, deliveries once, what the watch reads."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from domain.lifecycle import RecommendationStatus
from domain.media_plan import MediaPlan, PlanLine, plan_id
from domain.pacing import CampaignMatch, PacingPolicy, assess
from domain.platform import SpendReport
from store import Store
from store.monitor import MonitorStore
from tests.store.conftest import NOW, Factory


def plan(*spends: float) -> MediaPlan:
    lines = [
        PlanLine(
            line_id=f"L{n}",
            campaign_id=f"cmp-{n}",
            campaign_name=f"Campaign {n}",
            start_date=date(2026, 11, 1),
            end_date=date(2026, 11, 30),
            target_spend=spend,
        )
        for n, spend in enumerate(spends)
    ]
    return MediaPlan(plan_id=plan_id(lines), lines=lines)


def critical(campaign: str) -> object:
    line = plan(30_000).lines[0].model_copy(update={"campaign_id": campaign})
    through = datetime(2026, 11, 21, tzinfo=UTC)
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(20)]
    report = SpendReport(
        campaign_id=campaign,
        campaign_name=campaign,
        status="active",
        daily_spend={day: 27_000 / 20 for day in days},
        reported_through=through,
        refreshed_at=through,
    )
    match = CampaignMatch(campaign_id=campaign, campaign_name=campaign, by="id", name_similarity=1)
    return assess(line, match, report, through, PacingPolicy(autonomous_halt=True))


async def test_a_plan_is_imported_whole_and_once(store: Store) -> None:
    monitor = MonitorStore(store.engine)
    first = await monitor.import_media_plan(plan(100, 200, 300), "csv", "ann")
    assert first.outcome == "imported" and first.plan.lines == 3
    assert (await monitor.import_media_plan(plan(100, 200, 300), "json", "bob")).outcome == (
        "unchanged"
    )
    second = await monitor.import_media_plan(plan(100, 250), "csv", "ann")
    assert (await monitor.current_media_plan()).plan_id == second.plan.plan_id
    back = await monitor.import_media_plan(plan(100, 200, 300), "csv", "ann")
    assert back.outcome == "reactivated"
    assert (await monitor.current_media_plan()).plan_id == first.plan.plan_id
    lines = await monitor.media_plan_lines(first.plan.plan_id, offset=1, limit=5)
    assert [line.line_id for line in lines] == ["L1", "L2"]


async def test_racing_passes_create_one_alert_audited_once(store: Store) -> None:
    monitor = MonitorStore(store.engine)
    make = Factory()
    campaign = make.campaign_id()
    a = critical(campaign)
    for pass_id in ("p1", "p2"):
        await monitor.begin_pacing_pass(pass_id, None, 1, NOW, True)
    created = await asyncio.gather(
        monitor.record_assessments("p1", NOW.date(), NOW, [a]),
        monitor.record_assessments("p2", NOW.date(), NOW + timedelta(seconds=1), [a]),
    )
    assert sorted(len(keys) for keys in created) == [0, 1]
    [alert] = (await monitor.list_pacing_alerts(campaign_id=campaign))[0]
    assert alert.action == "halt" and alert.status == "open"
    assert [e.event for e in await store.list_audit(alert.alert_key)] == ["pacing_halt"]
    items, total = await monitor.pass_assessments("p2")
    assert total == 1 and items[0].campaign_id == campaign


async def test_a_halt_in_effect_until_a_person_releases_it(store: Store) -> None:
    monitor = MonitorStore(store.engine)
    campaign = Factory().campaign_id()
    a = critical(campaign)
    await monitor.begin_pacing_pass("p1", None, 1, NOW, True)
    [key] = await monitor.record_assessments("p1", NOW.date(), NOW, [a])
    await monitor.record_halt_queued("h1", key, campaign, NOW)
    await monitor.record_halt_queued("h1", key, campaign, NOW)  # a retried start
    assert await monitor.halt_states([campaign]) == {}  # queued is not applied
    await monitor.record_halt_outcome("h1", "executed", "", NOW, {"applied": True})
    await monitor.record_halt_outcome("h1", "executed", "", NOW, {"applied": True})
    [state] = (await monitor.halt_states([campaign, "other"])).values()
    assert state.in_effect()
    until = NOW + timedelta(hours=24)
    released = await monitor.release_halt(key, "ann", "budget fixed", until, NOW)
    assert released is not None and released.released_by == "ann"
    assert await monitor.release_halt(key, "bob", "again", None, NOW) is None
    [state] = (await monitor.halt_states([campaign])).values()
    assert not state.in_effect() and state.releases(NOW)
    events = [e.event for e in await store.list_audit(key)]
    assert events == [
        "pacing_halt",
        "pacing_halt_queued",
        "pacing_halt_executed",
        "pacing_halt_released",
    ]


async def test_a_delivery_is_recorded_once_per_event_and_target(store: Store) -> None:
    monitor = MonitorStore(store.engine)
    await asyncio.gather(
        *(monitor.record_delivery("k1", "log", "review_pending", "c", NOW) for _ in range(3))
    )
    await monitor.record_delivery("k1", "hook", "review_pending", "c", NOW)
    assert await monitor.delivered_targets("k1") == {"log", "hook"}
    assert await monitor.delivered_targets("k2") == set()


async def test_the_watch_reads_open_recommendations_and_last_changes(store: Store) -> None:
    monitor = MonitorStore(store.engine)
    make = Factory()
    pending, executed, done = (make.campaign_id(name) for name in ("a", "b", "c"))
    pending_id = make.recommendation_id(pending)
    await store.create_recommendation(pending_id, pending, "api")
    await store.sync_state(make.state(pending_id, pending, RecommendationStatus.pending_review))
    executed_id = make.recommendation_id(executed)
    await store.sync_state(
        make.state(executed_id, executed, RecommendationStatus.executed, executed=True)
    )
    done_id = make.recommendation_id(done)
    await store.sync_state(make.state(done_id, done, RecommendationStatus.rejected))
    opened = await monitor.open_recommendations([pending, executed, done])
    assert {c: o.status for c, o in opened.items()} == {pending: "pending_review"}
    changes = await monitor.last_changes([pending, executed, done])
    assert set(changes) == {executed} and changes[executed].recommendation_id == executed_id
