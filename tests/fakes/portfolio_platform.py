"""A small, fixed ad platform speaking the simulator's HTTP API (docs/ARCHITECTURE.md), for the
portfolio review's hand-computed checks. The real ``SimulatorPlatform`` adapter talks to it
over httpx (in-process ASGI), so only the wire is faked.

Three campaigns over the 7 days before ``today``:

| campaign | spend | clicks | conversions | CPA | daily budget | segments (spend / conversions) |
| --- | --- | --- | --- | --- | --- | --- |
| cmp-a | 700 | 1,000 | 35 | 20 | 100 | s1 400 / 30 (budget 60), s2 300 / 5 (budget 40) |
| cmp-b | 1,400 | 2,000 | 40 | 35 | 200 | – |
| cmp-c | 700 | 300 | 0 | – | 100 | – |

and one platform experiment: exp-platform, control 50 of 500, variant 45 of 500, planned 50 %.
"""

from __future__ import annotations

from datetime import date, timedelta

import httpx
from fastapi import FastAPI, HTTPException

from platforms.simulator import SimulatorPlatform

WINDOW_DAYS = 7

CAMPAIGNS = {
    "cmp-a": {
        "name": "Alpha",
        "spend": 700.0,
        "clicks": 1000,
        "conversions": 35.0,
        "budget": 100.0,
        "segments": [
            ("s1", "Segment one", 400.0, 30.0, 60.0),
            ("s2", "Segment two", 300.0, 5.0, 40.0),
        ],
    },
    "cmp-b": {
        "name": "Bravo",
        "spend": 1400.0,
        "clicks": 2000,
        "conversions": 40.0,
        "budget": 200.0,
        "segments": [],
    },
    "cmp-c": {
        "name": "Charlie",
        "spend": 700.0,
        "clicks": 300,
        "conversions": 0.0,
        "budget": 100.0,
        "segments": [],
    },
}


def fixture_app(today: date) -> FastAPI:
    app = FastAPI()
    end = today - timedelta(days=1)
    start = end - timedelta(days=WINDOW_DAYS - 1)

    def campaign(campaign_id: str) -> dict:
        if campaign_id not in CAMPAIGNS:
            raise HTTPException(404, f"campaign {campaign_id!r} not found")
        return CAMPAIGNS[campaign_id]

    @app.get("/campaigns")
    def campaigns() -> list[dict]:
        return [
            {"campaign_id": cid, "campaign_name": c["name"], "platform": "meta", "status": "active"}
            for cid, c in CAMPAIGNS.items()
        ]

    @app.get("/campaigns/{campaign_id}/metrics")
    def metrics(campaign_id: str, days: int = 7) -> dict:
        c = campaign(campaign_id)
        conversions = c["conversions"]
        return {
            "campaign_id": campaign_id,
            "campaign_name": c["name"],
            "platform": "meta",
            "spend": c["spend"],
            "impressions": c["clicks"] * 50,
            "clicks": c["clicks"],
            "conversions": conversions,
            "cpa": c["spend"] / conversions if conversions else None,
            "ctr": 2.0,
            "conversion_rate": 100 * conversions / c["clicks"],
            "cpm": 1000 * c["spend"] / (c["clicks"] * 50),
            "cpa_change_pct": 0.0 if conversions else None,
            "cpm_change_pct": 0.0,
            "ctr_change_pct": 0.0,
            "spend_change_pct": 0.0,
            "cpa_trend_days": 0,
            "daily_budget": c["budget"],
            "budget_utilization": 1.0,
            "impression_share": 0.5,
            "impression_share_change_pct": 0.0,
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "comparison_period_start": (start - timedelta(days=days)).isoformat(),
            "comparison_period_end": (start - timedelta(days=1)).isoformat(),
        }

    @app.get("/campaigns/{campaign_id}/audience")
    def audience(campaign_id: str, days: int = 7) -> dict:
        c = campaign(campaign_id)
        return {
            "audience_size": 100_000,
            "reach": 20_000,
            "average_frequency": 2.0,
            "segments": [
                {"segment_id": sid, "name": name, "spend": spend, "conversions": conv}
                for sid, name, spend, conv, _ in c["segments"]
            ],
        }

    @app.get("/campaigns/{campaign_id}/history")
    def history(campaign_id: str, days: int = 30) -> dict:
        c = campaign(campaign_id)
        daily = [
            {
                "date": (start + timedelta(days=i)).isoformat(),
                "spend": c["spend"] / WINDOW_DAYS,
                "impressions": c["clicks"] * 50 // WINDOW_DAYS,
                "clicks": c["clicks"] // WINDOW_DAYS,
                "conversions": c["conversions"] / WINDOW_DAYS,
            }
            for i in range(WINDOW_DAYS)
        ]
        return {"baseline_cpa": 30.0, "daily": daily, "past_actions": []}

    @app.get("/campaigns/{campaign_id}/settings")
    def settings(campaign_id: str) -> dict:
        c = campaign(campaign_id)
        return {
            "status": "active",
            "bid": 1.0,
            "daily_budget": c["budget"],
            "audience_size": 100_000,
            "creative_ids": [],
            "segment_budgets": {sid: budget for sid, _, _, _, budget in c["segments"]},
        }

    @app.get("/campaigns/{campaign_id}/creatives")
    def creatives(campaign_id: str, days: int = 7) -> dict:
        campaign(campaign_id)
        return {"creatives": []}

    @app.get("/campaigns/{campaign_id}/competitors")
    def competitors(campaign_id: str, days: int = 7) -> dict:
        campaign(campaign_id)
        return {"active_competitors_count": 3, "new_competitors_count": 0}

    @app.get("/experiments")
    def experiments() -> list[dict]:
        return [
            {
                "experiment_id": "exp-platform",
                "name": "Platform test",
                "campaign_id": "cmp-b",
                "metric": "conversions per click",
                "control": {"name": "A", "samples": 500, "conversions": 50},
                "variant": {"name": "B", "samples": 500, "conversions": 45},
                "planned_variant_share": 0.5,
                "source": "simulator",
            }
        ]

    return app


def fixture_platform(today: date) -> SimulatorPlatform:
    transport = httpx.ASGITransport(app=fixture_app(today))
    return SimulatorPlatform(httpx.AsyncClient(transport=transport, base_url="http://fixture"))
