"""The world is its own: no import of the agent's code, seeded generation, an honest oracle."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import httpx
import pytest

from simulator.app import create_app
from simulator.figures import load_figures
from simulator.oracle import evaluate
from simulator.state import WorldSpec, build_world

SIMULATOR = Path(__file__).resolve().parents[2] / "simulator"
OURS = ("domain", "activities", "workflows", "api", "store", "evals", "settings", "workers")
TODAY = date(2025, 6, 1)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(SIMULATOR.glob("*.py")), ids=lambda p: p.name)
def test_the_simulator_imports_nothing_of_the_agent(path):
    leaked = {name for name in imported_modules(path) if name.split(".")[0] in OURS}
    assert not leaked, f"{path.name} imports {sorted(leaked)}"


def test_generated_campaigns_depend_only_on_the_seed():
    figures = load_figures()
    first = build_world(figures, TODAY, WorldSpec(campaigns=5, seed=7, named=False))
    again = build_world(figures, TODAY, WorldSpec(campaigns=5, seed=7, named=False))
    other = build_world(figures, TODAY, WorldSpec(campaigns=5, seed=8, named=False))

    def numbers(world):
        return [[(d.spend, d.clicks, d.conversions) for d in c.days] for c in world.values()]

    assert list(first) == [f"cmp-w7-{i:04d}" for i in range(5)]
    assert numbers(first) == numbers(again)
    assert numbers(first) != numbers(other)


async def test_simulator_campaigns_adds_generated_campaigns_to_the_named(monkeypatch):
    monkeypatch.setenv("SIMULATOR_CAMPAIGNS", "20")
    monkeypatch.setenv("SIMULATOR_SEED", "3")
    app = create_app(today=TODAY)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as c:
        listed = [row["campaign_id"] for row in (await c.get("/campaigns")).json()]
        truth = (await c.get("/admin/campaigns")).json()

    assert len(listed) == 32 and "cmp-steady-01" in listed and "cmp-w3-0019" in listed
    generated = [row for row in truth if row["campaign_id"].startswith("cmp-w3-")]
    # Several latent issues at once, most campaigns with at most one strong one.
    strong = [sum(s >= 0.6 for s in row["strengths"].values()) for row in generated]
    assert sum(count <= 1 for count in strong) >= 0.7 * len(strong)
    assert any(len(row["strengths"]) >= 2 for row in generated)


def test_the_oracle_is_paired_and_its_regret_is_against_the_best():
    campaign = build_world(load_figures(), TODAY, WorldSpec())["cmp-competition-01"]
    result = evaluate(campaign, TODAY, replications=10)

    best = result.best
    assert best.regret == 0 and best.acceptable
    for plan in result.plans:
        assert plan.regret == pytest.approx(max(0.0, best.mean - plan.mean), abs=0.02)
    # Common random numbers: the paired difference is far tighter than either value's noise.
    continue_ = result.by_action("Continue Monitoring")
    assert continue_.regret_se < continue_.se
    # Forking never touches the campaign itself.
    assert len(campaign.days) == 60 and campaign.status == "active"


async def test_the_oracle_endpoint_values_extra_plans(sim):
    body = {
        "campaign_id": "cmp-competition-01",
        "replications": 5,
        "plans": [{"action": "Bid Adjustment", "parameters": {"bid_change_pct": 30}}],
    }
    answer = (await sim.post("/admin/oracle", json=body)).json()

    labels = [plan["label"] for plan in answer["plans"]]
    assert labels[:6] == [
        "Continue Monitoring",
        "Campaign Pause",
        "Bid Adjustment",
        "Audience Expansion",
        "Creative Refresh",
        "Budget Reallocation",
    ]
    assert labels[6] == "plan 1: Bid Adjustment"
    assert answer["best"] in answer["acceptable"]
    assert (await sim.post("/admin/oracle", json={"campaign_id": "nope"})).status_code == 404
