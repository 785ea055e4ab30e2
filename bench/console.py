"""Latency of the reviewer console's pages on a running stack (e.g. after `make demo`).

    .venv/bin/python -m bench.console --requests 300

Signs in with the reviewer key over HTTP, then fetches the inbox (pending, and every status)
and every recommendation page in turn, and prints p50/p95/max per page kind. The pages read
only the store, so this measures the API process and the database, not Temporal.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

import httpx

from scripts.demo import keys_by_role
from scripts.stack import API_PORT, demo_environment

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
RECOMMENDATION_LINK = re.compile(r'href="/console/recommendations/([^"/]+)"')


def sign_in(client: httpx.Client, key: str) -> str:
    """The session cookie as a Cookie header (httpx sends Secure cookies only over https)."""
    page = client.get("/console/login")
    page.raise_for_status()
    first = page.headers["set-cookie"].split(";", 1)[0]
    token = CSRF.search(page.text)
    assert token, "the sign-in page has no CSRF token"
    response = client.post(
        "/console/login",
        data={"api_key": key, "csrf_token": token.group(1), "next": "/console"},
        headers={"Cookie": first},
    )
    if response.status_code != 303:
        raise SystemExit(f"sign-in failed ({response.status_code}): is the key right?")
    return response.headers["set-cookie"].split(";", 1)[0]


def measure(client: httpx.Client, cookie: str, paths: list[str], requests: int) -> list[float]:
    timings = []
    for index in range(requests):
        started = time.perf_counter()
        response = client.get(paths[index % len(paths)], headers={"Cookie": cookie})
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.console", description=__doc__)
    parser.add_argument("--api-url", default=f"http://127.0.0.1:{API_PORT}")
    parser.add_argument(
        "--key", default=keys_by_role(demo_environment()["API_KEYS"]).get("reviewer")
    )
    parser.add_argument("--requests", type=int, default=300, help="per page kind")
    args = parser.parse_args(argv)
    with httpx.Client(base_url=args.api_url, timeout=10) as client:
        cookie = sign_in(client, args.key)
        everything = client.get("/console?status=all", headers={"Cookie": cookie}).text
        ids = list(dict.fromkeys(RECOMMENDATION_LINK.findall(everything)))
        kinds = {
            "inbox, pending": ["/console"],
            "inbox, every status": ["/console?status=all"],
            f"recommendation pages ({len(ids)})": [f"/console/recommendations/{i}" for i in ids],
        }
        for kind, paths in kinds.items():
            if not paths:
                continue
            timings = measure(client, cookie, paths, args.requests)
            p95 = statistics.quantiles(timings, n=20)[18]
            print(
                f"{kind:<28} n={len(timings)} p50={statistics.median(timings):.1f} ms "
                f"p95={p95:.1f} ms max={max(timings):.1f} ms"
            )


if __name__ == "__main__":
    main()
