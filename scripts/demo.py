"""The main job on embedded defaults: analyse every simulator campaign, approve, execute, measure;
then one KPI watch pass and one pacing pass, with the notifications they send.

Runs against the stack started by ``python -m scripts.stack up`` and talks to it the way an API
client and a reviewer would: over HTTP with API keys. The only back door it uses is the
simulator's admin API, to reset the scenarios and move the simulated clock 3 days forward.
One recommendation is left pending for a person to approve in the reviewer console.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx

from api.auth import parse_key_string
from scripts.stack import API_PORT, LOG_DIR, SIMULATOR_PORT, TEMPORAL_UI_PORT, demo_environment

POLL_SECONDS = 1.0
NEWEST_PAGE = 200  # the demo's runs are the newest, so one page of the list holds them all
# The action whose recommendation the demo leaves for a person to approve in the console (a
# visible change on the platform), else the first other one that changes something.
CONSOLE_ACTION = "Bid Adjustment"


class Demo:
    def __init__(self, api_url: str, simulator_url: str, client_key: str, reviewer_key: str):
        self.api = httpx.Client(base_url=api_url, timeout=15.0)
        self.simulator = httpx.Client(base_url=simulator_url, timeout=15.0)
        self.client_headers = {"X-API-Key": client_key}
        self.reviewer_headers = {"X-API-Key": reviewer_key}

    def campaigns(self) -> list[dict]:
        self.simulator.post("/admin/reset").raise_for_status()
        response = self.simulator.get("/campaigns")
        response.raise_for_status()
        return response.json()

    def oracle(self, campaign_id: str) -> dict:
        """The counterfactual oracle's verdict on the campaign as it stands now."""
        response = self.simulator.post("/admin/oracle", json={"campaign_id": campaign_id})
        response.raise_for_status()
        return response.json()

    def analyze(self, campaign_id: str) -> str:
        response = self._call(
            "POST",
            "/api/v1/recommendations/analyze",
            self.client_headers,
            json={"campaign_id": campaign_id, "force_refresh": True},
        )
        return response.json()["recommendation_id"]

    def newest(self) -> dict[str, dict]:
        """The newest recommendations by id: one request per poll keeps us under the rate limit."""
        response = self._call(
            "GET", "/api/v1/recommendations", self.client_headers, params={"limit": NEWEST_PAGE}
        )
        return {item["recommendation_id"]: item for item in response.json()["items"]}

    def _call(self, method: str, path: str, headers: dict, **kwargs) -> httpx.Response:
        """One API call, waiting as told by Retry-After when the API rate-limits us."""
        while True:
            response = self.api.request(method, path, headers=headers, **kwargs)
            if response.status_code != 429:
                response.raise_for_status()
                return response
            time.sleep(float(response.headers.get("Retry-After", "1")))

    def wait_for(
        self, ids: list[str], done: Callable[[dict], bool], what: str, timeout: float
    ) -> dict[str, dict]:
        """Poll until `done` holds for every recommendation, showing progress as it changes."""
        deadline = time.monotonic() + timeout
        results: dict[str, dict] = {}
        shown = -1
        while time.monotonic() < deadline:
            newest = self.newest()
            results = {i: newest[i] for i in ids if i in newest and done(newest[i])}
            if len(results) != shown:
                shown = len(results)
                print(f"  {what}: {shown}/{len(ids)}", flush=True)
            if len(results) == len(ids):
                return results
            time.sleep(POLL_SECONDS)
        missing = ", ".join(sorted(set(ids) - set(results)))
        raise SystemExit(f"Timed out after {timeout:.0f}s waiting for {what}: {missing}")

    def approve(self, recommendation_id: str, revision: int) -> None:
        self._call(
            "POST",
            f"/api/v1/recommendations/{recommendation_id}/decision",
            self.reviewer_headers,
            json={"decision": "approved", "feedback": "approved by the demo", "revision": revision},
        )

    def advance_clock(self, days: int) -> None:
        self.simulator.post("/admin/clock/advance", json={"days": days}).raise_for_status()


def carried_out(body: dict) -> bool:
    """Executed on the platform, or approved with nothing to execute (Continue Monitoring)."""
    if body["status"] in ("executed", "completed", "failed"):
        return True
    action = recommendation_of(body).get("recommended_action")
    return body["status"] == "approved" and action == "Continue Monitoring"


def pick_for_console(reviewable: dict[str, dict]) -> str | None:
    """The recommendation left pending for the console: a change a person can see happen."""
    actions = {i: recommendation_of(b).get("recommended_action") for i, b in reviewable.items()}
    for wanted in (CONSOLE_ACTION, None):
        for rec_id, action in actions.items():
            if action == wanted or (wanted is None and action != "Continue Monitoring"):
                return rec_id
    return None


def recommendation_of(body: dict) -> dict:
    return body.get("recommendation") or {}


def print_recommendations(
    campaigns: list[dict], ids: dict[str, str], bodies: dict, oracle: dict[str, dict]
) -> int:
    """One line per campaign with the oracle's verdict beside it; returns the failed runs."""
    print(
        f"\n  {'campaign':<20} {'root cause':<21} {'recommended action':<20} conf  "
        "oracle (best; acceptable?)"
    )
    failed = 0
    for campaign in campaigns:
        body = bodies[ids[campaign["campaign_id"]]]
        rec = recommendation_of(body)
        if body["status"] == "failed":
            print(f"  {campaign['campaign_id']:<20} FAILED: {body.get('error')}")
            failed += 1
            continue
        verdict = oracle[campaign["campaign_id"]]
        ok = (
            "acceptable" if rec["recommended_action"] in verdict["acceptable"] else "NOT acceptable"
        )
        print(
            f"  {campaign['campaign_id']:<20} {rec['root_cause']:<21} "
            f"{rec['recommended_action']:<20} {rec['confidence']:.2f}  "
            f"{verdict['best']}; {ok}"
        )
    return failed


def print_executions(bodies: dict) -> None:
    print(f"\n  {'recommendation':<34} {'action':<21} change")
    for rec_id, body in bodies.items():
        execution = body.get("execution")
        action = recommendation_of(body).get("recommended_action", "")
        if execution:
            change = describe_change(execution.get("before") or {}, execution.get("after") or {})
        else:
            change = "nothing to change on the platform"
        print(f"  {rec_id:<34} {action:<21} {change}")


def describe_change(before: dict, after: dict) -> str:
    """'bid 2.5 -> 2.9' for each setting the platform reports as changed."""
    changed = [key for key in after if key in before and before[key] != after[key]]
    return "; ".join(f"{key} {before[key]} -> {after[key]}" for key in changed) or str(after)


def print_outcomes(bodies: dict) -> None:
    print(f"\n  {'recommendation':<34} {'result':<8} summary")
    for rec_id, body in bodies.items():
        outcome = body.get("outcome") or {}
        result = "success" if outcome.get("success") else "no lift"
        print(f"  {rec_id:<34} {result:<8} {outcome.get('summary', '')}")


def run(args: argparse.Namespace) -> int:
    env = demo_environment()
    client_key, reviewer_key = args.client_key, args.reviewer_key
    demo = Demo(args.api_url, args.simulator_url, client_key, reviewer_key)

    campaigns = demo.campaigns()
    # The oracle forks each campaign as it stands before anything is executed.
    oracle = {c["campaign_id"]: demo.oracle(c["campaign_id"]) for c in campaigns}
    print(f"\nAnalysing {len(campaigns)} simulator campaigns through the API...")
    ids = {c["campaign_id"]: demo.analyze(c["campaign_id"]) for c in campaigns}
    analysed = demo.wait_for(
        list(ids.values()),
        lambda b: b["status"] in ("pending_review", "failed"),
        "recommendations ready for review",
        args.timeout,
    )
    failed = print_recommendations(campaigns, ids, analysed, oracle)

    reviewable = {i: b for i, b in analysed.items() if b["status"] == "pending_review"}
    for_console = pick_for_console(reviewable)
    if for_console is not None:
        reviewable.pop(for_console)
    print(f"\nApproving {len(reviewable)} recommendations as reviewer 'demo-reviewer'...")
    for rec_id, body in reviewable.items():
        demo.approve(rec_id, body["revision"])
    executed = demo.wait_for(
        list(reviewable),
        carried_out,
        "approved and executed",
        args.timeout,
    )
    print_executions(executed)

    delay = env.get("OUTCOME_DELAY_SECONDS")
    print(
        f"\nAdvancing the simulated ad platform 3 days; the outcome timer fires after "
        f"{delay}s (OUTCOME_DELAY_SECONDS; the default is 3 days)..."
    )
    demo.advance_clock(3)
    completed = demo.wait_for(
        list(reviewable),
        lambda b: b["status"] in ("completed", "failed"),
        "outcomes measured",
        args.timeout + float(delay or 0),
    )
    print_outcomes(completed)

    ui = f"http://localhost:{TEMPORAL_UI_PORT}/namespaces/default/workflows"
    example = campaigns[0]["campaign_id"]
    query = quote(f'CampaignId="{example}"')
    console = f"{args.api_url}/console"
    if for_console is not None:
        rec = recommendation_of(analysed[for_console])
        print(
            f"\nLeft for you to review in the console: {rec.get('recommended_action')} on "
            f"{analysed[for_console]['campaign_id']} ({rec.get('specific_action')})\n"
            f"  {console}/recommendations/{for_console}\n"
            f"  sign in with the reviewer key {args.reviewer_key!r} and approve it there"
        )
    print(
        "\nThe stack keeps running:\n"
        f"  console      {console}  (reviewer key {args.reviewer_key!r}; "
        f"the client key {args.client_key!r} reads only)\n"
        f"  API docs     {args.api_url}/api/docs\n"
        f"  Temporal UI  {ui}\n"
        f"  one campaign {ui}?query={query}\n"
        f"  simulator    {args.simulator_url}/campaigns\n"
        "Stop it with: make stop"
    )
    reviewed = portfolio_review(demo, args.timeout)
    if args.admin_key:
        watch_and_pacing(args.api_url, args.simulator_url, args.admin_key, args.timeout)
    return 1 if failed or not reviewed else 0


# The demo account's value of a conversion (the simulator keeps the true ones to itself): the
# portfolio review's ROI ledger states it as an assumption.
DEMO_VALUE_PER_CONVERSION = 30.0


def portfolio_review(demo: Demo, timeout: float) -> bool:
    """The account's portfolio review through the API; prints its headline table."""
    print("\nPortfolio review of the simulator's account (POST /api/v1/portfolio/reviews)...")
    started = demo._call(
        "POST",
        "/api/v1/portfolio/reviews",
        demo.client_headers,
        json={"value_per_conversion": DEMO_VALUE_PER_CONVERSION},
    ).json()
    url = started["url"]
    deadline = time.monotonic() + timeout
    body = started
    while time.monotonic() < deadline:
        body = demo._call("GET", url, demo.client_headers).json()
        if body["status"] in ("completed", "failed"):
            break
        time.sleep(POLL_SECONDS)
    if body["status"] != "completed":
        print(f"  review {started['review_id']}: {body['status']} {body.get('error') or ''}")
        return False
    report = body["report"]
    width = max(len(row["label"]) for row in report["headline"])
    print(f"\n  {'':<{width}}  value")
    for row in report["headline"]:
        status = f"  [{row['status'].replace('_', ' ')}]" if row["status"] else ""
        print(f"  {row['label']:<{width}}  {row['value']}{status}")
    items = report["recommendations"][:8]
    wide = max((len(item["action"]) for item in items), default=6)
    print(f"\n  {'#':>2} {'priority':<8} {'action':<{wide}}  target")
    for item in items:
        number, priority, action = item["number"], item["priority"], item["action"]
        print(f"  {number:>2} {priority:<8} {action:<{wide}}  {item['target']}")
    print(
        f"\n  report:   {demo.api.base_url}{url}/report.md  (X-API-Key)\n"
        f"  console:  {demo.api.base_url}/console/portfolio/{quote(started['review_id'])}"
    )
    return True


# ------------------------------------------------------------------- always watching


def watch_and_pacing(api_url: str, simulator_url: str, admin_key: str, timeout: float) -> None:
    """One KPI watch pass and one pacing pass over the simulator's demo plan, both started
    by their Temporal Schedules (triggered through the admin API), and the notifications the
    log notifier printed for them."""
    admin = {"X-API-Key": admin_key}
    api = httpx.Client(base_url=api_url, timeout=30.0)
    log_file = LOG_DIR / "worker.log"
    log_start = log_file.stat().st_size if log_file.exists() else 0

    print("\nKPI watch: one pass, started by its schedule (every WATCH_INTERVAL, 6 h)...")
    watch = _scheduled_pass(api, admin, "kpi-watch", "/api/v1/watch/passes", timeout)
    detail = api.get(f"/api/v1/watch/passes/{watch['pass_id']}", headers=admin).json()
    print(f"  {'campaign':<20} {'verdict':<13} why")
    for campaign in detail["campaigns"]:
        why = campaign["reason"]
        if campaign["verdict"] == "started":
            why = f"{campaign['recommendation_id']}: {why}"
        print(f"  {campaign['campaign_id']:<20} {campaign['verdict']:<13} {why}")

    plan = httpx.get(f"{simulator_url}/admin/media-plan", params={"format": "csv"}, timeout=30)
    imported = api.post(
        "/api/v1/pacing/media-plan",
        content=plan.content,
        headers={**admin, "content-type": "text/csv"},
    )
    imported.raise_for_status()
    print(
        f"\nPacing: the simulator's demo media plan imported through the API "
        f"({imported.json()['lines']} lines, {imported.json()['outcome']}); one pass, started "
        "by its schedule (every PACING_INTERVAL, 4 h; test mode: halts are recommended)..."
    )
    pacing = _scheduled_pass(api, admin, "pacing-monitor", "/api/v1/pacing/passes", timeout)
    view = api.get(
        f"/api/v1/pacing/passes/{pacing['pass_id']}", params={"limit": 500}, headers=admin
    ).json()
    print(f"  {'campaign':<20} {'severity':<9} {'conf':<5} {'variance':>8}  action")
    for a in view["assessments"]:
        variance = "" if a["variance_pct"] is None else f"{a['variance_pct']:+.0f} %"
        print(
            f"  {a['campaign_id'] or a['line_id']:<20} {a['severity']:<9} "
            f"{a['confidence']:.2f}  {variance:>8}  {a['action']}"
        )
    alerts = pacing["counts"].get("alerts_new", 0)
    print("\nNotifications (the log notifier's lines in var/log/worker.log):")
    for line in _notifications(log_file, log_start, at_least=alerts, timeout=timeout):
        print(f"  {line}")


def _scheduled_pass(
    api: httpx.Client, headers: dict, schedule: str, passes: str, timeout: float
) -> dict:
    seen = api.get(passes, headers=headers).json()["total"]
    api.post(f"/api/v1/admin/schedules/{schedule}/trigger", headers=headers).raise_for_status()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = api.get(passes, headers=headers).json()
        if page["total"] > seen and page["items"][0].get("finished_at"):
            return page["items"][0]
        time.sleep(POLL_SECONDS)
    raise SystemExit(f"Timed out after {timeout:.0f}s waiting for a {schedule} pass")


def _notifications(log_file: Path, start: int, *, at_least: int, timeout: float) -> list[str]:
    """The NOTIFY lines logged since ``start`` (waiting for the pass's alerts to be sent)."""
    deadline = time.monotonic() + min(timeout, 30)
    lines: list[str] = []
    while time.monotonic() < deadline:
        with log_file.open(errors="replace") as handle:
            handle.seek(start)
            lines = [_message(raw) for raw in handle if "NOTIFY" in raw]
        if sum("Pacing" in line for line in lines) >= at_least:
            break
        time.sleep(POLL_SECONDS)
    return lines


def _message(raw: str) -> str:
    try:
        return json.loads(raw)["message"]
    except (ValueError, KeyError):
        return raw.strip()


def keys_by_role(api_keys: str) -> dict[str, str]:
    """{'client': key, ...}: the first key of each role in API_KEYS (parsed as the API does)."""
    keys: dict[str, str] = {}
    for key, role, _name in parse_key_string(api_keys):
        keys.setdefault(role, key)
    return keys


def main(argv: list[str] | None = None) -> None:
    keys = keys_by_role(demo_environment()["API_KEYS"])
    parser = argparse.ArgumentParser(
        prog="python -m scripts.demo",
        description="Analyse, approve, execute and measure every simulator campaign.",
    )
    parser.add_argument("--api-url", default=f"http://127.0.0.1:{API_PORT}")
    parser.add_argument("--simulator-url", default=f"http://127.0.0.1:{SIMULATOR_PORT}")
    parser.add_argument("--client-key", default=keys.get("client"))
    parser.add_argument("--reviewer-key", default=keys.get("reviewer"))
    parser.add_argument(
        "--admin-key",
        default=keys.get("admin"),
        help="triggers the watch and pacing schedules and imports the demo media plan",
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per phase")
    args = parser.parse_args(argv)
    if not (args.client_key and args.reviewer_key):
        parser.error("needs a client and a reviewer key: set API_KEYS or pass both key options")
    sys.exit(run(args))


if __name__ == "__main__":
    main()
