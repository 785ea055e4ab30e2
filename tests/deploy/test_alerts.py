"""The alert rules, checked and unit-tested by Prometheus's own promtool (the ``promtool``
fixture: tests/deploy/conftest.py; ``make test`` installs it when missing)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "tests" / "alerts_test.yml"
RUNBOOK = ROOT / "docs" / "runbook.md"


def run(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *args], capture_output=True, text=True, timeout=120, check=False
    )


def alerts() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_the_rules_are_valid(promtool: str) -> None:
    result = run(promtool, "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in result.stdout


def test_the_rule_unit_tests_pass(promtool: str) -> None:
    result = run(promtool, "test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_tested_firing_and_not_firing() -> None:
    cases = [
        case
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    ]
    for alert in alerts():
        name = alert["alert"]
        outcomes = {bool(case["exp_alerts"]) for case in cases if case["alertname"] == name}
        assert outcomes == {True, False}, f"{name}: needs a firing and a quiet test"


def test_the_seed_alerts_are_there() -> None:
    names = {alert["alert"] for alert in alerts()}
    seed = {
        "RecommendationAcceptanceLow",
        "LLMErrorRateHigh",
        "RecommendationLatencyHigh",
        "LLMDailyCostHigh",
        "NoRecommendations",
    }
    assert seed <= names
    assert {"WorkflowTaskFailures", "ActionExecutionFailed", "ReviewsAboutToExpire"} <= names


def test_every_alert_links_to_its_runbook_section() -> None:
    headings = {
        _anchor(line.lstrip("#").strip())
        for line in RUNBOOK.read_text().splitlines()
        if line.startswith("#")
    }
    for alert in alerts():
        link = alert["annotations"]["runbook"]
        path, _, anchor = link.partition("#")
        assert path == "docs/runbook.md" and anchor in headings, f"{alert['alert']}: {link}"
        assert {"summary", "description"} <= set(alert["annotations"])
        assert alert["labels"]["severity"] in {"info", "warning", "critical"}


def _anchor(heading: str) -> str:
    """GitHub's anchor for a markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_the_compose_prometheus_config_is_valid_and_loads_the_rules(promtool: str) -> None:
    result = run(promtool, "check", "config", str(RULES.parent / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout + result.stderr
