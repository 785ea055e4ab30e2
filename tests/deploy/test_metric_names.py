"""Every metric the alert rules and the dashboard query is one the agent exports: the worker's
and the API's registries (the names and types they declare, whether or not a series exists
yet), the API's store-read gauges, or the Temporal SDK's runtime metrics (``temporal_*``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client import CollectorRegistry

from activities import metrics as worker_metrics
from api import metrics as api_metrics

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "marketing-agent.json"

PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "rate", "increase", "histogram_quantile", "vector",
    "or", "and", "unless", "by", "without", "on", "ignoring", "bool", "offset", "abs",
}  # fmt: skip
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exported(registry: CollectorRegistry) -> set[str]:
    names = set()
    for family in registry.collect():
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
    return names


def queried(expr: str) -> set[str]:
    expr = re.sub(r'"[^"]*"', "", expr)  # label values
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", expr)  # grouping labels
    return set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", expr)) - PROMQL_WORDS


def expressions() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    exprs = [rule["expr"] for group in groups for rule in group["rules"]]
    dashboard = json.loads(DASHBOARD.read_text())
    exprs += [t["expr"] for p in dashboard["panels"] if p["type"] != "row" for t in p["targets"]]
    return [expr.replace("$__rate_interval", "5m") for expr in exprs]


def test_every_queried_metric_is_exported() -> None:
    ours = exported(worker_metrics.REGISTRY) | exported(api_metrics.REGISTRY)
    ours |= set(api_metrics.ReviewGauges.NAMES)
    used = set().union(*(queried(expr) for expr in expressions()))
    assert {"recommendations_total", "temporal_workflow_task_execution_failed"} <= used
    unknown = sorted(name for name in used if name not in ours and not name.startswith("temporal_"))
    assert unknown == []


def test_the_check_notices_a_name_nobody_exports() -> None:
    assert queried('sum(rate(recommendation_totals{decision="x"}[5m])) by (le)') == {
        "recommendation_totals"
    }
    assert "recommendation_totals" not in exported(worker_metrics.REGISTRY)
