"""The Grafana dashboard: the committed JSON is what deploy/grafana/dashboard.py generates, every
query is valid PromQL (checked by promtool) over the metrics the agent serves, and the panels
are wired to the provisioned datasource."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "deploy" / "grafana" / "dashboard.py"
COMMITTED = ROOT / "deploy" / "grafana" / "dashboards" / "marketing-agent.json"

# What Grafana substitutes before the query reaches Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "5m"}


def generator():
    spec = importlib.util.spec_from_file_location("dashboard_generator", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def panels() -> list[dict]:
    return [p for p in json.loads(COMMITTED.read_text())["panels"] if p["type"] != "row"]


def expressions() -> list[str]:
    exprs = [target["expr"] for panel in panels() for target in panel["targets"]]
    for variable, value in GRAFANA_VARIABLES.items():
        exprs = [expr.replace(variable, value) for expr in exprs]
    return exprs


def test_the_committed_json_is_what_the_code_generates() -> None:
    assert COMMITTED.read_text() == generator().render(), (
        "deploy/grafana/dashboards/marketing-agent.json is stale: "
        "run .venv/bin/python deploy/grafana/dashboard.py"
    )


def test_the_check_mode_notices_a_stale_file(tmp_path, monkeypatch) -> None:
    module = generator()
    stale = tmp_path / "marketing-agent.json"
    stale.write_text(COMMITTED.read_text().replace("Marketing agent", "Old title"))
    monkeypatch.setattr(module, "OUTPUT", stale)
    assert module.main(["--check"]) == 1
    module.main([])
    assert module.main(["--check"]) == 0


def test_every_query_is_valid_promql(promtool: str, tmp_path) -> None:
    # promtool parses recording rules' expressions exactly as Prometheus does.
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query_{i}", "expr": expr}
                    for i, expr in enumerate(expressions())
                ],
            }
        ]
    }
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_panels_show_the_seed_metrics() -> None:
    used = " ".join(expressions())
    seed = [
        "recommendations_total",
        "recommendation_acceptance_total",
        "recommendation_latency_seconds",
        "confidence_score",
        "agreement_rate_daily",
        "llm_tokens_total",
        "llm_cost_usd_total",
        "llm_api_errors_total",
        "workflow_execution_total",
        "action_executions_total",
        "recommendation_outcomes_total",
    ]
    missing = [name for name in seed if not re.search(rf"\b{name}(_bucket)?\b", used)]
    assert not missing, missing


def test_every_panel_reads_the_datasource_variable_and_has_distinct_query_ids() -> None:
    dashboard = json.loads(COMMITTED.read_text())
    assert [v["name"] for v in dashboard["templating"]["list"]] == ["datasource"]
    for panel in panels():
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(set(ref_ids)) == len(ref_ids) and all(ref_ids), panel["title"]
        assert panel.get("description"), f"{panel['title']}: say how to read it"
