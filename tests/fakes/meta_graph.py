"""A fake of the Graph API endpoints the Meta adapter uses, over HTTP, for the official
``facebook-business`` SDK (its session's ``GRAPH`` pointed here).

It holds one ad account with two campaigns:

- 2001 "Prospecting - Broad": creative fatigue. Frequency climbs from 3.5 to 6.5 over the last
  week and CTR falls from 1.6 % to 0.9 %; ad sets 3001 and 3002 have their own budgets and bid
  caps; each has a prepared (paused) ad, the one in 3002 disapproved by ad review.
- 2002 "Retargeting - Cart": a broken pixel. Spend goes on, conversions stop; campaign budget.

Errors have the Graph API's shape ({"error": {message, type, code, error_subcode,
error_user_title, error_user_msg, fbtrace_id}}), including an expired token (190/463), a
rate limit (17, with ``x-business-use-case-usage``), a too-low budget (100/1885272) and a policy
rejection (368). Every applied write is counted; faults can drop an answer after applying.

Run alone: ``python -m tests.fakes.meta_graph --port P``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import itertools
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ACCOUNT_ID = "1001"
ACCESS_TOKEN = "fake-meta-token"
CONVERSION = "offsite_conversion.fb_pixel_purchase"
AGE_SHARES = {"25-34": 0.45, "35-44": 0.35, "45-54": 0.2}
GENDER_SHARES = {"female": 0.55, "male": 0.45}
MIN_DAILY_BUDGET = 100  # minor units: 1.00 USD


@dataclass(frozen=True)
class Level:
    before: float
    now: float

    def at(self, days_ago: int, trend_days: int = 7) -> float:
        if days_ago > trend_days:
            return self.before
        return self.before + (self.now - self.before) * (trend_days - days_ago + 1) / trend_days

    @classmethod
    def steady(cls, value: float) -> Level:
        return cls(value, value)


@dataclass(frozen=True)
class Profile:
    impressions: float
    frequency: Level
    ctr: Level  # percent
    conversion_rate: Level  # percent of clicks
    cpm: Level


@dataclass
class Node:
    kind: str  # campaign, adset, ad
    fields: dict[str, Any]
    labels: list[dict] = field(default_factory=list)


@dataclass
class Account:
    nodes: dict[str, Node]
    profiles: dict[str, Profile]
    today: date | None = None

    def current_day(self) -> date:
        return self.today or datetime.now(UTC).date()

    def children(self, parent: str, kind: str) -> list[Node]:
        key = "campaign_id" if kind in ("adset", "ad") else None
        return [
            n for n in self.nodes.values() if n.kind == kind and key and n.fields[key] == parent
        ]

    def day(self, campaign_id: str, days_ago: int) -> dict[str, float]:
        campaign = self.nodes[campaign_id]
        if campaign.fields["status"] != "ACTIVE" and days_ago <= 1:
            return dict.fromkeys(
                ("impressions", "clicks", "spend", "conversions", "reach", "engagements"), 0.0
            )
        p = self.profiles[campaign_id]
        impressions = p.impressions
        clicks = impressions * p.ctr.at(days_ago) / 100
        return {
            "impressions": impressions,
            "clicks": clicks,
            "spend": impressions * p.cpm.at(days_ago) / 1000,
            "conversions": clicks * p.conversion_rate.at(days_ago) / 100,
            "reach": impressions / p.frequency.at(days_ago),
            "engagements": clicks * 0.3,
        }


def seeded_account(today: date | None = None) -> Account:
    created = (datetime.now(UTC) - timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    fresh = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    targeting = {"geo_locations": {"countries": ["US"]}, "age_min": 25, "age_max": 54}

    def campaign(cid: str, name: str, budget: str | None) -> Node:
        fields = {
            "id": cid,
            "name": name,
            "status": "ACTIVE",
            "effective_status": "ACTIVE",
            "account_id": ACCOUNT_ID,
        }
        if budget:
            fields["daily_budget"] = budget
        return Node("campaign", fields)

    def adset(aid: str, cid: str, name: str, budget: str | None, bid: int | None) -> Node:
        fields = {
            "id": aid,
            "name": name,
            "status": "ACTIVE",
            "campaign_id": cid,
            "targeting": copy.deepcopy(targeting),
            "bid_strategy": "LOWEST_COST_WITH_BID_CAP" if bid else "LOWEST_COST_WITHOUT_CAP",
        }
        if budget:
            fields["daily_budget"] = budget
        if bid:
            fields["bid_amount"] = bid
        return Node("adset", fields)

    def ad(
        ad_id: str, aid: str, cid: str, name: str, status: str, when: str, review: str = ""
    ) -> Node:
        return Node(
            "ad",
            {
                "id": ad_id,
                "name": name,
                "status": status,
                "effective_status": review or status,
                "adset_id": aid,
                "campaign_id": cid,
                "created_time": when,
            },
        )

    nodes = [
        campaign("2001", "Prospecting - Broad", None),
        campaign("2002", "Retargeting - Cart", "20000"),
        adset("3001", "2001", "Lookalike 1%", "15000", 250),
        adset("3002", "2001", "Interests - Outdoor", "10000", 200),
        adset("3003", "2002", "Cart abandoners 14d", None, None),
        ad("4001", "3001", "2001", "Summer carousel", "ACTIVE", created),
        ad("4002", "3001", "2001", "Autumn carousel", "PAUSED", fresh),
        ad("4003", "3002", "2001", "Trail video", "ACTIVE", created),
        ad("4004", "3002", "2001", "Miracle boots", "PAUSED", fresh, review="DISAPPROVED"),
        ad("4005", "3003", "2002", "Come back offer", "ACTIVE", created),
    ]
    profiles = {
        "2001": Profile(
            impressions=20000,
            frequency=Level(3.5, 6.5),
            ctr=Level(1.6, 0.9),
            conversion_rate=Level.steady(4.0),
            cpm=Level(12.0, 13.0),
        ),
        "2002": Profile(
            impressions=12000,
            frequency=Level.steady(2.0),
            ctr=Level.steady(1.2),
            conversion_rate=Level(3.0, 0.0),
            cpm=Level.steady(15.0),
        ),
    }
    return Account({n.fields["id"]: n for n in nodes}, profiles, today)


@dataclass
class Fault:
    method: str  # GET or POST
    kind: str  # rate_limit, drop_after_apply, unavailable, latency
    count: int = 1
    regain_minutes: int = 5
    latency_seconds: float = 0.0


class GraphError(Exception):
    def __init__(self, status: int, error: dict, headers: dict | None = None) -> None:
        super().__init__(error.get("message"))
        self.status, self.error, self.headers = status, error, headers or {}


@dataclass
class FakeGraph:
    account: Account = field(default_factory=seeded_account)
    mutations: list[dict] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    token_expired: bool = False
    writes_in_flight: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(7001))

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Count a write in progress (the e2e kills a worker while one is)."""
        with self.lock:
            self.writes_in_flight += 1
        try:
            yield
        finally:
            with self.lock:
                self.writes_in_flight -= 1

    def reset(self) -> None:
        with self.lock:
            self.account = seeded_account(self.account.today)
            self.mutations.clear()
            self.faults.clear()
            self.token_expired = False

    def take_fault(self, method: str, *, writing: bool) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.kind in ("drop_after_apply", "latency") and not writing:
                    continue
                if fault.method == method and fault.count > 0:
                    fault.count -= 1
                    return fault
        return None

    # ------------------------------------------------------------------------- requests

    def authenticate(self, params: dict[str, str]) -> None:
        token = params.get("access_token")
        if token != ACCESS_TOKEN:
            raise GraphError(
                400,
                _error(
                    190, "Invalid OAuth access token - Cannot parse access token", "OAuthException"
                ),
            )
        if self.token_expired:
            raise GraphError(
                400,
                _error(
                    190,
                    "Error validating access token: Session has expired on Tuesday, 01-Dec-26 "
                    "10:00:00 PST.",
                    "OAuthException",
                    subcode=463,
                ),
            )

    def get(self, path: list[str], params: dict[str, str]) -> Any:
        fields = [f for f in params.get("fields", "").split(",") if f]
        with self.lock:
            if len(path) == 1:
                node_id = path[0]
                if node_id == f"act_{ACCOUNT_ID}":
                    return {"id": node_id, "currency": "USD", "account_id": ACCOUNT_ID}
                return self._node(node_id, fields)
            node_id, edge = path
            if edge == "campaigns" and node_id == f"act_{ACCOUNT_ID}":
                nodes = [n for n in self.account.nodes.values() if n.kind == "campaign"]
                return _page([_view(n, fields) for n in nodes])
            self._node(node_id, [])
            if edge in ("adsets", "ads"):
                kind = edge[:-1]
                return _page([_view(n, fields) for n in self.account.children(node_id, kind)])
            if edge == "insights":
                return _page(self._insights(node_id, params, fields))
        raise GraphError(400, _error(100, f"Unknown path components: /{edge}", "OAuthException"))

    def _node(self, node_id: str, fields: list[str]) -> dict:
        node = self.account.nodes.get(node_id)
        if node is None:
            raise GraphError(
                400,
                _error(
                    100,
                    f"Unsupported get request. Object with ID '{node_id}' does not exist, cannot "
                    "be loaded due to missing permissions, or does not support this operation.",
                    "GraphMethodException",
                    subcode=33,
                ),
            )
        return _view(node, fields)

    def post(self, path: list[str], params: dict[str, Any], request_id: str) -> dict:
        if len(path) != 1:
            raise GraphError(400, _error(100, "Unsupported post request.", "GraphMethodException"))
        validate_only = "validate_only" in (params.pop("execution_options", None) or [])
        with self.lock:
            node = self.account.nodes.get(path[0])
            if node is None:
                self._node(path[0], [])
            draft = copy.deepcopy(node)
            changed = _update(self.account, draft, params, self._ids)
            if validate_only:
                return {"success": True}
            self.account.nodes[path[0]] = draft
            self.mutations.append(
                {
                    "object_id": path[0],
                    "kind": node.kind,
                    "changed": changed,
                    "request_id": request_id,
                    "at": datetime.now(UTC).isoformat(),
                }
            )
        return {"success": True}

    # ------------------------------------------------------------------------- insights

    def _insights(self, campaign_id: str, params: dict[str, str], fields: list[str]) -> list[dict]:
        account = self.account
        if account.nodes[campaign_id].kind != "campaign":
            raise GraphError(
                400, _error(100, "This fake serves insights per campaign", "OAuthException")
            )
        time_range = json.loads(params.get("time_range", "{}"))
        since = date.fromisoformat(time_range["since"])
        until = date.fromisoformat(time_range["until"])
        daily = params.get("time_increment") == "1"
        level = params.get("level", "campaign")
        breakdowns = json.loads(params.get("breakdowns", "[]"))
        today = account.current_day()
        groups: dict[tuple, dict[str, float]] = {}
        for offset in range((until - since).days + 1):
            day = since + timedelta(days=offset)
            days_ago = (today - day).days
            if days_ago < 1:
                continue
            totals = account.day(campaign_id, days_ago)
            for unit, share in self._units(campaign_id, level):
                for breakdown, part in _breakdown_shares(breakdowns):
                    key = (day if daily else since, unit, breakdown)
                    bucket = groups.setdefault(key, {})
                    for name, value in totals.items():
                        bucket[name] = bucket.get(name, 0.0) + value * share * part
        rows = []
        for (day, unit, breakdown), t in sorted(groups.items(), key=lambda kv: str(kv[0])):
            row = {
                "date_start": day.isoformat(),
                "date_stop": (day if daily else until).isoformat(),
                "spend": f"{t['spend']:.2f}",
                "impressions": str(round(t["impressions"])),
                "clicks": str(round(t["clicks"])),
                "reach": str(round(t["reach"])),
                "frequency": f"{t['impressions'] / t['reach']:.6f}" if t["reach"] else "0",
                "inline_post_engagement": str(round(t["engagements"])),
                "actions": [{"action_type": CONVERSION, "value": f"{t['conversions']:.0f}"}]
                if round(t["conversions"])
                else [],
            }
            if level != "campaign":
                row[f"{level}_id"] = unit
            if breakdown:
                row[breakdowns[0]] = breakdown
            rows.append(
                {
                    k: v
                    for k, v in row.items()
                    if not fields
                    or k in fields
                    or k.endswith("_id")
                    or k in breakdowns
                    or k in ("date_start", "date_stop")
                }
            )
        return rows

    def _units(self, campaign_id: str, level: str) -> list[tuple[str, float]]:
        if level == "campaign":
            return [(campaign_id, 1.0)]
        kind = "adset" if level == "adset" else "ad"
        active = [
            n for n in self.account.children(campaign_id, kind) if n.fields["status"] == "ACTIVE"
        ]
        if not active:
            return []
        if kind == "ad":
            return [(n.fields["id"], 1 / len(active)) for n in active]
        # Ad sets spend in proportion to their budgets (campaign budget: evenly).
        budgets = [float(n.fields.get("daily_budget") or 1) for n in active]
        return [(n.fields["id"], b / sum(budgets)) for n, b in zip(active, budgets, strict=True)]


def _breakdown_shares(breakdowns: list[str]) -> list[tuple[str | None, float]]:
    if not breakdowns:
        return [(None, 1.0)]
    shares = {"age": AGE_SHARES, "gender": GENDER_SHARES}[breakdowns[0]]
    return list(shares.items())


def _update(account: Account, node: Node, params: dict[str, Any], ids: Iterator[int]) -> dict:
    changed: dict[str, Any] = {}
    for name, raw in params.items():
        value = _decode(raw)
        if name == "status":
            if value not in ("ACTIVE", "PAUSED", "ARCHIVED", "DELETED"):
                raise GraphError(
                    400,
                    _error(
                        100,
                        "Invalid parameter",
                        "OAuthException",
                        subcode=1815007,
                        user_msg="Param status must be one of {ACTIVE, PAUSED, ARCHIVED, DELETED}",
                    ),
                )
            if (
                node.kind == "ad"
                and value == "ACTIVE"
                and node.fields.get("effective_status") == "DISAPPROVED"
            ):
                raise GraphError(
                    400,
                    _error(
                        368,
                        "The action attempted has been deemed abusive or is otherwise disallowed",
                        "OAuthException",
                        subcode=1346003,
                        user_title="Ad rejected",
                        user_msg=(
                            "Your ad wasn't approved because it doesn't follow our "
                            "Advertising Policies (misleading claims)."
                        ),
                    ),
                )
            node.fields["status"] = value
            if node.kind != "ad" or node.fields.get("effective_status") != "DISAPPROVED":
                node.fields["effective_status"] = value
        elif name == "daily_budget" and node.kind in ("campaign", "adset"):
            amount = int(value)
            if node.kind == "adset" and account.nodes[node.fields["campaign_id"]].fields.get(
                "daily_budget"
            ):
                raise GraphError(
                    400,
                    _error(
                        100,
                        "Invalid parameter",
                        "OAuthException",
                        subcode=1885621,
                        user_title="Can't set ad set budget",
                        user_msg=(
                            "This campaign uses a campaign budget: ad sets cannot have their own."
                        ),
                    ),
                )
            if amount < MIN_DAILY_BUDGET:
                raise GraphError(
                    400,
                    _error(
                        100,
                        "Invalid parameter",
                        "OAuthException",
                        subcode=1885272,
                        user_title="Your Budget Is Too Low",
                        user_msg="The minimum budget for this ad set is $1.00.",
                    ),
                )
            node.fields["daily_budget"] = str(amount)
        elif name == "bid_amount" and node.kind == "adset":
            if int(value) < 1:
                raise GraphError(
                    400,
                    _error(
                        100,
                        "Invalid parameter",
                        "OAuthException",
                        subcode=1487901,
                        user_title="Bid Amount Too Low",
                        user_msg="The bid amount must be at least $0.01.",
                    ),
                )
            node.fields["bid_amount"] = int(value)
        elif name == "targeting" and node.kind == "adset":
            if not isinstance(value, dict) or "geo_locations" not in value:
                raise GraphError(
                    400,
                    _error(
                        100,
                        "Invalid parameter",
                        "OAuthException",
                        subcode=1487079,
                        user_title="Location Is Missing",
                        user_msg="Targeting needs geo_locations.",
                    ),
                )
            node.fields["targeting"] = value
        elif name == "adlabels":
            labels = []
            for label in value:
                if "id" in label:
                    labels.append(
                        next(
                            (x for x in node.labels if x["id"] == str(label["id"])),
                            {"id": str(label["id"]), "name": ""},
                        )
                    )
                else:
                    labels.append({"id": str(next(ids)), "name": label["name"]})
            node.labels = labels
            continue
        else:
            raise GraphError(400, _error(100, f"Invalid parameter: {name}", "OAuthException"))
        changed[name] = value
    return changed


def _decode(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _view(node: Node, fields: list[str]) -> dict:
    data = {**node.fields, "adlabels": list(node.labels)}
    if not fields:
        return {"id": data["id"]}
    return {name: data[name] for name in ["id", *fields] if name in data}


def _page(items: list[dict]) -> dict:
    return {"data": items, "paging": {"cursors": {"before": "MAZDZD", "after": "MjQZD"}}}


def _error(
    code: int,
    message: str,
    kind: str,
    *,
    subcode: int | None = None,
    user_title: str | None = None,
    user_msg: str | None = None,
    transient: bool = False,
) -> dict:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": _trace()}
    if subcode is not None:
        error["error_subcode"] = subcode
    if user_title:
        error["error_user_title"] = user_title
    if user_msg:
        error["error_user_msg"] = user_msg
    if transient:
        error["is_transient"] = True
    return error


def _trace() -> str:
    return "A" + secrets.token_urlsafe(15)


def _usage(call_count: int, regain_minutes: int) -> str:
    return json.dumps(
        {
            ACCOUNT_ID: [
                {
                    "type": "ads_management",
                    "call_count": call_count,
                    "total_cputime": 25,
                    "total_time": 25,
                    "estimated_time_to_regain_access": regain_minutes,
                }
            ]
        }
    )


# ----------------------------------------------------------------------------- HTTP


def _handler(fake: FakeGraph) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(
            self, status: int, body: Any, headers: dict | None = None, trace: str | None = None
        ) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=UTF-8")
            self.send_header("content-length", str(len(data)))
            headers = {
                "x-fb-trace-id": trace or _trace(),
                "x-business-use-case-usage": _usage(3, 0),
                **(headers or {}),
            }
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _split(self) -> tuple[list[str], dict[str, str]]:
            parts = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            segments = [s for s in parts.path.split("/") if s]
            return segments, params

        def _graph(self, method: str, segments: list[str], params: dict[str, Any]) -> None:
            trace = _trace()
            writing = method == "POST" and "validate_only" not in str(
                params.get("execution_options", "")
            )
            try:
                fake.authenticate(params)
                fault = fake.take_fault(method, writing=writing)
                if fault and fault.kind == "latency":
                    with fake.writing():
                        time.sleep(fault.latency_seconds)
                    fault = None
                if fault and fault.kind == "rate_limit":
                    raise GraphError(
                        400,
                        _error(
                            17,
                            "(#17) User request limit reached",
                            "OAuthException",
                            subcode=2446079,
                            transient=True,
                        ),
                        {"x-business-use-case-usage": _usage(100, fault.regain_minutes)},
                    )
                if fault and fault.kind == "unavailable":
                    raise GraphError(
                        500,
                        _error(
                            2,
                            "An unexpected error has occurred. Please retry your request later.",
                            "OAuthException",
                            transient=True,
                        ),
                    )
                path = segments[1:]  # after the version
                if method == "GET":
                    body = fake.get(path, params)
                else:
                    body = fake.post(
                        path,
                        {
                            k: v
                            for k, v in params.items()
                            if k not in ("access_token", "appsecret_proof")
                        },
                        trace,
                    )
                if fault and fault.kind == "drop_after_apply":
                    # The change is in; the connection drops before any answer.
                    self.close_connection = True
                    return
                self._send(200, body, trace=trace)
            except GraphError as err:
                err.error.setdefault("fbtrace_id", trace)
                self._send(
                    err.status, {"error": err.error}, err.headers, trace=err.error["fbtrace_id"]
                )

        def do_GET(self) -> None:
            segments, params = self._split()
            if segments[:1] == ["admin"]:
                self._admin_get(segments)
                return
            self._graph("GET", segments, params)

        def do_POST(self) -> None:
            segments, params = self._split()
            length = int(self.headers.get("content-length") or 0)
            form = self.rfile.read(length).decode()
            if segments[:1] == ["admin"]:
                self._admin_post(segments, form)
                return
            params.update({k: v[0] for k, v in parse_qs(form).items()})
            self._graph("POST", segments, params)

        def do_DELETE(self) -> None:
            if self.path == "/admin/faults":
                with fake.lock:
                    fake.faults.clear()
                self._send(200, {"cleared": True})
            else:
                self._send(404, {"error": "not found"})

        def _admin_get(self, segments: list[str]) -> None:
            with fake.lock:
                if segments == ["admin", "mutations"]:
                    self._send(200, list(fake.mutations))
                elif segments == ["admin", "in-flight"]:
                    self._send(200, {"writes": fake.writes_in_flight})
                elif segments == ["admin", "state"]:
                    self._send(
                        200,
                        {
                            k: {**n.fields, "adlabels": n.labels}
                            for k, n in fake.account.nodes.items()
                        },
                    )
                else:
                    self._send(404, {"error": "not found"})

        def _admin_post(self, segments: list[str], body: str) -> None:
            if segments == ["admin", "faults"]:
                fault = Fault(**json.loads(body))
                with fake.lock:
                    fake.faults.append(fault)
                self._send(201, fault.__dict__)
            elif segments == ["admin", "reset"]:
                fake.reset()
                self._send(200, {"reset": True})
            elif segments == ["admin", "expire-token"]:
                fake.token_expired = True
                self._send(200, {"expired": True})
            else:
                self._send(404, {"error": "not found"})

    return Handler


@dataclass
class RunningGraph:
    fake: FakeGraph
    port: int
    _server: ThreadingHTTPServer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def start(*, port: int = 0, fake: FakeGraph | None = None) -> RunningGraph:
    fake = fake or FakeGraph()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(fake))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return RunningGraph(fake, server.server_port, server)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.meta_graph", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    running = start(port=args.port)
    print(f"fake Graph API on {running.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


if __name__ == "__main__":
    main()
