"""Race the API the way issue 7 measured it, against a running stack (``make demo`` first).

    .venv/bin/python -m scripts.race_check [--trials 20]

Over HTTP with the demo's keys, it counts what reviewers and the platform would notice:

- two reviewers approving the same revision at once: how many got 202, how many a 409 and why;
- an approval racing a rejection, and an approval racing a reanalysis: one wins, the other is
  told, and an executed change always carries the revision that was approved;
- two recommendations for one campaign approved back to back while the first write is still
  on the wire: one executes, the other ends superseded, and the platform sees one mutation.

It uses the simulator's admin API to reset campaigns and slow writes down; the demo's cooldown
(``CHANGE_COOLDOWN_SECONDS=30``) is overridden where a race re-uses a campaign on purpose, and
waited out where a trial needs a campaign at rest.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import httpx

from scripts.stack import API_PORT, DEMO_ENV, SIMULATOR_PORT

CLIENT = {"X-API-Key": "demo-client-key"}
REVIEWER = {"X-API-Key": "demo-reviewer-key"}
ADMIN = {"X-API-Key": "demo-admin-key"}
BASE = "/api/v1/recommendations"
CAMPAIGN = "cmp-competition-01"  # a Bid Adjustment: every approval writes to the platform


class PatientClient(httpx.AsyncClient):
    """Waits as told by Retry-After when the API rate-limits us (120 requests/min per key)."""

    async def request(self, *args, **kwargs) -> httpx.Response:  # noqa: ANN002, ANN003
        while True:
            response = await super().request(*args, **kwargs)
            if response.status_code != 429:
                return response
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))


class Race:
    def __init__(
        self, api: httpx.AsyncClient, simulator: httpx.AsyncClient, cooldown: float = 31.0
    ) -> None:
        self.api = api
        self.simulator = simulator
        self.cooldown = cooldown  # seconds: the stack's CHANGE_COOLDOWN_SECONDS, and a little

    async def pending(self, campaign_id: str = CAMPAIGN) -> dict:
        await self.simulator.post("/admin/reset")
        started = await self.api.post(
            f"{BASE}/analyze",
            json={"campaign_id": campaign_id, "force_refresh": True},
            headers=CLIENT,
        )
        started.raise_for_status()
        return await self.until(started.json()["recommendation_id"], {"pending_review"})

    async def until(self, rec_id: str, statuses: set[str], within: float = 60.0) -> dict:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            body = (await self.api.get(f"{BASE}/{rec_id}", headers=CLIENT)).json()
            if body["status"] in statuses:
                return body
            await asyncio.sleep(0.5)
        raise SystemExit(f"{rec_id} did not reach {statuses} in {within:.0f}s")

    def decide(self, rec: dict, decision: str, headers: dict) -> Awaitable[httpx.Response]:
        body = {"decision": decision, "revision": rec["revision"], "override_cooldown": True}
        return self.api.post(
            f"{BASE}/{rec['recommendation_id']}/decision", json=body, headers=headers
        )

    def reanalyze(self, rec: dict) -> Awaitable[httpx.Response]:
        return self.api.post(
            f"{BASE}/{rec['recommendation_id']}/reanalyze", json={"feedback": "race"}, headers=ADMIN
        )

    async def mutations(self, campaign_id: str) -> int:
        rows = (await self.simulator.get("/admin/mutations")).json()
        return sum(1 for row in rows if row["campaign_id"] == campaign_id)


def answer(response: httpx.Response) -> str:
    if response.status_code < 300:
        return str(response.status_code)
    return f"{response.status_code} {response.json()['error']['code']}"


async def double_approval(race: Race) -> tuple[str, ...]:
    rec = await race.pending()
    first, second = await asyncio.gather(
        race.decide(rec, "approved", REVIEWER), race.decide(rec, "approved", ADMIN)
    )
    done = await race.until(rec["recommendation_id"], {"executed", "completed", "failed"})
    return (*sorted([answer(first), answer(second)]), done["status"])


async def approve_vs_reject(race: Race) -> tuple[str, ...]:
    rec = await race.pending()
    approval, rejection = await asyncio.gather(
        race.decide(rec, "approved", REVIEWER), race.decide(rec, "rejected", ADMIN)
    )
    done = await race.until(rec["recommendation_id"], {"executed", "rejected", "failed"})
    winner = "approval" if approval.status_code < 300 else "rejection"
    return (f"{winner} won", answer(approval), answer(rejection), done["status"])


async def approve_vs_reanalysis(race: Race) -> tuple[str, ...]:
    rec = await race.pending()
    approval, reanalysis = await asyncio.gather(
        race.decide(rec, "approved", REVIEWER), race.reanalyze(rec)
    )
    rec_id = rec["recommendation_id"]
    if approval.status_code >= 300:  # the reanalysis won: approve the new revision
        new = await race.until(rec_id, {"pending_review"})
        while new["revision"] == rec["revision"]:
            await asyncio.sleep(0.2)
            new = await race.until(rec_id, {"pending_review"})
        approval_of_new = await race.decide(new, "approved", REVIEWER)
        approved = approval_of_new.json()["revision"]
    else:
        approved = approval.json()["revision"]
    done = await race.until(rec_id, {"executed", "completed", "failed"})
    executed = (done.get("execution") or {}).get("idempotency_key", "")
    right = "executed the approved revision" if executed.endswith(f":r{approved}") else "WRONG"
    return (answer(approval), answer(reanalysis), right)


# Named demo campaigns whose recommendation changes something, the one the races above used last.
CHANGING = [
    "cmp-fatigue-01", "cmp-fatigue-02", "cmp-saturation-01", "cmp-saturation-02",
    "cmp-competition-02", "cmp-tracking-01", "cmp-tracking-02", "cmp-uneven-01",
    "cmp-uneven-02", CAMPAIGN,
]  # fmt: skip
_next_campaign = iter(range(10**6))


async def two_plans_one_campaign(race: Race) -> tuple[str, ...]:
    trial = next(_next_campaign)
    campaign_id = CHANGING[trial % len(CHANGING)]
    if trial >= len(CHANGING) or campaign_id == CAMPAIGN:
        await asyncio.sleep(race.cooldown)  # this campaign changed moments ago: let it rest
    first = await race.pending(campaign_id)
    second_id = (
        await race.api.post(
            f"{BASE}/analyze",
            json={"campaign_id": campaign_id, "force_refresh": True},
            headers=CLIENT,
        )
    ).json()["recommendation_id"]
    second = await race.until(second_id, {"pending_review"})
    before = await race.mutations(campaign_id)
    fault = {"endpoint": "actions", "kind": "latency", "latency_seconds": 2.0, "count": 1}
    await race.simulator.post("/admin/faults", json=fault)
    try:
        # Back to back, neither overriding the cooldown: the campaign's queue decides.
        answers = [
            await race.api.post(
                f"{BASE}/{first['recommendation_id']}/decision",
                json={"decision": "approved", "revision": first["revision"]},
                headers=REVIEWER,
            ),
            await race.api.post(
                f"{BASE}/{second['recommendation_id']}/decision",
                json={"decision": "approved", "revision": second["revision"]},
                headers=REVIEWER,
            ),
        ]
    finally:
        await race.simulator.delete("/admin/faults")
    ends = [
        (await race.until(r["recommendation_id"], {"executed", "superseded", "failed"}))["status"]
        for r in (first, second)
    ]
    writes = await race.mutations(campaign_id) - before
    return (*[answer(a) for a in answers], *sorted(ends), f"{writes} write(s) on the platform")


TRIALS: dict[str, Callable[[Race], Awaitable[tuple[str, ...]]]] = {
    "two reviewers approve the same revision at once": double_approval,
    "an approval races a rejection": approve_vs_reject,
    "an approval races a reanalysis": approve_vs_reanalysis,
    "two plans for one campaign approved back to back": two_plans_one_campaign,
}


async def main(trials: int, api_url: str, simulator_url: str, cooldown: float) -> None:
    async with (
        PatientClient(base_url=api_url, timeout=30) as api,
        httpx.AsyncClient(base_url=simulator_url, timeout=30) as simulator,
    ):
        race = Race(api, simulator, cooldown + 1)
        for name, trial in TRIALS.items():
            seen: Counter[tuple[str, ...]] = Counter()
            for number in range(trials):
                seen[await trial(race)] += 1
                print(f"  {name}: {number + 1}/{trials}", flush=True)
            print(f"{name} ({trials} trials):")
            for outcome, count in seen.most_common():
                print(f"  {count:>3} x  {' | '.join(outcome)}")


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.race_check", description=__doc__)
    parser.add_argument("--trials", type=int, default=20, help="trials per race (default 20)")
    parser.add_argument("--api-url", default=f"http://127.0.0.1:{API_PORT}")
    parser.add_argument("--simulator-url", default=f"http://127.0.0.1:{SIMULATOR_PORT}")
    parser.add_argument(
        "--cooldown-seconds",
        type=float,
        default=float(DEMO_ENV["CHANGE_COOLDOWN_SECONDS"]),
        help="the stack's CHANGE_COOLDOWN_SECONDS (default: the demo's)",
    )
    args = parser.parse_args()
    asyncio.run(main(args.trials, args.api_url, args.simulator_url, args.cooldown_seconds))


if __name__ == "__main__":
    cli()
