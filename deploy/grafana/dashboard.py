"""The Grafana dashboard of the marketing reasoning agent, built in code.

    python deploy/grafana/dashboard.py          # rewrite dashboards/marketing-agent.json
    python deploy/grafana/dashboard.py --check  # exit 1 if the committed JSON is stale

Built with the official ``grafana-foundation-sdk``; the generated JSON is committed so Grafana
(docker-compose, the Helm chart's ConfigMap) provisions it without Python, and
tests/deploy/test_dashboard.py fails when the two differ. How to read each panel:
docs/runbook.md ("The dashboard"). Metric names: DESIGN §6 and deploy/prometheus/alerts.yml.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grafana_foundation_sdk.builders.common import ReduceDataOptions, StackingConfig
from grafana_foundation_sdk.builders.dashboard import Dashboard, DatasourceVariable, Row
from grafana_foundation_sdk.builders.dashboard import ThresholdsConfig as Thresholds
from grafana_foundation_sdk.builders.prometheus import Dataquery as Query
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import BigValueGraphMode, StackingMode
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    Threshold,
    ThresholdsMode,
)

OUTPUT = Path(__file__).resolve().parent / "dashboards" / "marketing-agent.json"
UID = "marketing-agent"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
RATE = "$__rate_interval"


def query(expr: str, legend: str = "") -> Query:
    return Query().expr(expr).legend_format(legend or "__auto").datasource(DATASOURCE)


def steps(*pairs: tuple[float | None, str]) -> Thresholds:
    return (
        Thresholds()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=color) for value, color in pairs])
    )


def stat(title: str, expr: str, unit: str, thresholds: Thresholds, description: str) -> Stat:
    return (
        Stat()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .with_target(query(expr).instant().ref_id("A"))
        .unit(unit)
        .thresholds(thresholds)
        .graph_mode(BigValueGraphMode.NONE)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]))
        .height(4)
        .span(4)
    )


def series(title: str, unit: str, description: str, *targets: Query) -> Timeseries:
    panel = (
        Timeseries()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .min(0)
        .height(8)
        .span(12)
    )
    for index, target in enumerate(targets):
        panel = panel.with_target(target.ref_id("ABCDEFGH"[index]))
    return panel


def stacked(panel: Timeseries) -> Timeseries:
    return panel.stacking(StackingConfig().mode(StackingMode.NORMAL)).fill_opacity(40)


def overview() -> list[Stat]:
    good_high = steps((None, "red"), (0.7, "green"))
    return [
        stat(
            "Recommendations (24 h)",
            "sum(increase(recommendations_total[1d]))",
            "short",
            steps((None, "red"), (1, "green")),
            "Runs that reached pending review in the last day. Zero for 2 h raises "
            "NoRecommendations.",
        ),
        stat(
            "Acceptance (24 h)",
            'sum(increase(recommendation_acceptance_total{decision="approved"}[1d]))'
            " / sum(increase(recommendation_acceptance_total[1d]))",
            "percentunit",
            good_high,
            "Approved among decided recommendations. Under 70 % raises "
            "RecommendationAcceptanceLow.",
        ),
        stat(
            "p95 time to recommendation",
            "histogram_quantile(0.95, sum by (le) "
            "(rate(recommendation_latency_seconds_bucket[1h])))",
            "s",
            steps((None, "green"), (30, "red")),
            "From the start of a run to pending review, 95th percentile over the last hour. "
            "Objective: under 30 s.",
        ),
        stat(
            "LLM cost (24 h)",
            "sum(increase(llm_cost_usd_total[1d]))",
            "currencyUSD",
            steps((None, "green"), (80, "orange"), (100, "red")),
            "LLM spend over a rolling day. Over $100 raises LLMDailyCostHigh.",
        ),
        stat(
            "Failed runs (24 h)",
            'sum(increase(workflow_execution_total{status="failed"}[1d])) or vector(0)',
            "short",
            steps((None, "green"), (1, "red")),
            "Runs that ended failed. Find them with status=failed in the API or "
            'RecommendationStatus="failed" in the Temporal UI.',
        ),
        stat(
            "Soonest review deadline",
            "min(recommendations_review_expires_in_seconds)",
            "s",
            steps((None, "red"), (12 * 3600, "orange"), (24 * 3600, "green")),
            "Time left before the oldest pending recommendation expires unreviewed. Under "
            "12 h raises ReviewsAboutToExpire.",
        ),
    ]


def recommendations() -> list[Timeseries]:
    return [
        stacked(
            series(
                "Recommendations by confidence band",
                "short",
                "Recommendations produced per interval, by workflow type and confidence band.",
                query(
                    f"sum by (workflow_type, confidence_band) "
                    f"(increase(recommendations_total[{RATE}]))",
                    "{{workflow_type}} {{confidence_band}}",
                ),
            )
        ),
        series(
            "Time to recommendation",
            "s",
            "p50 and p95 of the time from the analysis request (or a reanalysis) to the "
            "recommendation stored for review.",
            query(
                f"histogram_quantile(0.5, sum by (le) "
                f"(rate(recommendation_latency_seconds_bucket[{RATE}])))",
                "p50",
            ),
            query(
                f"histogram_quantile(0.95, sum by (le) "
                f"(rate(recommendation_latency_seconds_bucket[{RATE}])))",
                "p95",
            ),
        ),
        series(
            "Confidence",
            "percentunit",
            "Median and 10th percentile of the confidence of new recommendations.",
            query(
                f"histogram_quantile(0.5, sum by (le) (rate(confidence_score_bucket[{RATE}])))",
                "median",
            ),
            query(
                f"histogram_quantile(0.1, sum by (le) (rate(confidence_score_bucket[{RATE}])))",
                "p10",
            ),
        ),
        series(
            "Context collection failures by source",
            "short",
            "Failed attempts to read a context source from the ad platform, by source and "
            "error. A retry may still succeed; an optional source that keeps failing leaves a "
            "gap and marks the recommendation degraded.",
            query(
                f"sum by (source, error_type) (increase(collector_failures_total[{RATE}]))",
                "{{source}} {{error_type}}",
            ),
        ),
        series(
            "Daily agreement rate",
            "percentunit",
            "Share of the last 24 h's reviewer decisions that approved the agent's "
            "recommendation (agreement_rate_daily; every API replica reads it from the "
            "database, so they all report the same value).",
            query("max(agreement_rate_daily)", "agreement"),
        ),
    ]


def reviews_and_outcomes() -> list[Timeseries]:
    return [
        stacked(
            series(
                "Decisions",
                "short",
                "Reviewer decisions accepted by the workflow, by decision.",
                query(
                    f"sum by (decision) (increase(recommendation_acceptance_total[{RATE}]))",
                    "{{decision}}",
                ),
            )
        ),
        stacked(
            series(
                "Runs ended, by status",
                "short",
                "How runs end: completed, rejected, expired (unreviewed), approval_expired, "
                "superseded, manual, failed, cancelled.",
                query(
                    f"sum by (status) (increase(workflow_execution_total[{RATE}]))",
                    "{{status}}",
                ),
            )
        ),
        stacked(
            series(
                "Executions by action and result",
                "short",
                "Approved changes: applied, superseded (premise changed or cooldown), manual "
                "(the platform cannot do it), expired (approval too old when its turn came), "
                "failed.",
                query(
                    f"sum by (action, result) (increase(action_executions_total[{RATE}]))",
                    "{{action}} {{result}}",
                ),
            )
        ),
        series(
            "Outcome success rate by action (7 d)",
            "percentunit",
            "Measured outcomes judged successful among those measured, per action, over a "
            "week (inconclusive outcomes count as not successful).",
            query(
                'sum by (action) (increase(recommendation_outcomes_total{verdict="success"}[7d]))'
                " / sum by (action) (increase(recommendation_outcomes_total[7d]))",
                "{{action}}",
            ),
        ),
    ]


def llm() -> list[Timeseries]:
    return [
        stacked(
            series(
                "LLM tokens by model and operation",
                "short",
                "Input and output tokens per interval.",
                query(
                    f"sum by (model, operation) (increase(llm_tokens_total[{RATE}]))",
                    "{{model}} {{operation}}",
                ),
            )
        ),
        stacked(
            series(
                "LLM cost by model",
                "currencyUSD",
                "Spend per interval, from the configured price table.",
                query(
                    f"sum by (model) (increase(llm_cost_usd_total[{RATE}]))",
                    "{{model}}",
                ),
            )
        ),
        series(
            "LLM errors by type",
            "short",
            "Failed LLM calls per interval, by model and error type (rate limits, timeouts, "
            "invalid answers ...).",
            query(
                f"sum by (model, error_type) (increase(llm_api_errors_total[{RATE}]))",
                "{{model}} {{error_type}}",
            ),
        ),
        series(
            "Fallbacks to the rules reasoner",
            "short",
            "Reasoning steps answered by the rules reasoner because the LLM failed; each marks "
            "its recommendation degraded.",
            query(
                f"sum by (operation, reason) (increase(llm_fallbacks_total[{RATE}]))",
                "{{operation}} {{reason}}",
            ),
        ),
    ]


def temporal_and_api() -> list[Timeseries]:
    return [
        series(
            "Workflow task failures",
            "short",
            "Failing workflow tasks leave runs stuck (WorkflowTaskFailures).",
            query(
                f"sum by (workflow_type, failure_reason) "
                f"(increase(temporal_workflow_task_execution_failed[{RATE}]))",
                "{{workflow_type}} {{failure_reason}}",
            ),
        ),
        series(
            "Schedule-to-start latency (p95)",
            "ms",
            "How long tasks wait for a worker. Rising: too few workers or saturated slots.",
            query(
                f"histogram_quantile(0.95, sum by (le, task_queue) "
                f"(rate(temporal_workflow_task_schedule_to_start_latency_bucket[{RATE}])))",
                "workflow tasks {{task_queue}}",
            ),
            query(
                f"histogram_quantile(0.95, sum by (le, task_queue) "
                f"(rate(temporal_activity_schedule_to_start_latency_bucket[{RATE}])))",
                "activities {{task_queue}}",
            ),
        ),
        stacked(
            series(
                "API requests by route and status",
                "reqps",
                "Requests per second by route template and status code.",
                query(
                    f"sum by (route, status) (rate(api_requests_total[{RATE}]))",
                    "{{route}} {{status}}",
                ),
            )
        ),
        series(
            "API latency (p95) by route",
            "s",
            "95th percentile of request latency by route template.",
            query(
                f"histogram_quantile(0.95, sum by (le, route) "
                f"(rate(api_request_duration_seconds_bucket[{RATE}])))",
                "{{route}}",
            ),
        ),
    ]


def build() -> Dashboard:
    dashboard = (
        Dashboard("Marketing agent")
        .uid(UID)
        .description("Recommendations, reviews, outcomes, LLM usage and Temporal health.")
        .tags(["marketing-agent", "generated"])
        .refresh("1m")
        .time("now-24h", "now")
        .editable()
        .with_variable(DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
        .with_row(Row("Overview"))
    )
    sections = [
        ("Recommendations", recommendations()),
        ("Reviews, executions and outcomes", reviews_and_outcomes()),
        ("LLM", llm()),
        ("Temporal and API", temporal_and_api()),
    ]
    for panel in overview():
        dashboard = dashboard.with_panel(panel)
    for title, panels in sections:
        dashboard = dashboard.with_row(Row(title))
        for panel in panels:
            dashboard = dashboard.with_panel(panel)
    return dashboard


def render() -> str:
    return JSONEncoder(sort_keys=True, indent=2).encode(build().build()) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the JSON is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if OUTPUT.read_text() != text:
            print(f"{OUTPUT} is stale: run python deploy/grafana/dashboard.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
