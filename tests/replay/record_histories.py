"""Record the replay histories of today's code: ``.venv/bin/python -m
tests.replay.record_histories [NAME ...]`` (every scenario when no name is given).

Runs each scenario of ``tests.replay.scenarios`` on the time-skipping test server with the
workflow test doubles and writes the event history of each handle it answers to
``tests/replay/histories/current/`` (``NAME.json``, and ``NAME.queue.json`` for a campaign's
change queue). Runs still waiting are recorded as they wait: that is what a deploy meets.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.replay.scenarios import SCENARIOS
from tests.workflows.harness import Scenario, start_time_skipping_env

CURRENT = Path(__file__).resolve().parent / "histories" / "current"


async def record(directory: Path = CURRENT, names: list[str] | None = None) -> list[Path]:
    written = []
    env = await start_time_skipping_env()
    try:
        for name, (make_doubles, drive) in SCENARIOS.items():
            if names and name not in names:
                continue
            scenario = Scenario(env, make_doubles())
            async with scenario.worker():
                handles = await drive(scenario)
                for suffix, handle in handles.items():
                    history = await handle.fetch_history()
                    written.append(_write(directory / f"{name}{suffix}.json", history.to_json()))
    finally:
        await env.shutdown()
    return written


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    return path


def main() -> None:
    names = sys.argv[1:]
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown:
        raise SystemExit(f"unknown scenario(s) {unknown}; known: {sorted(SCENARIOS)}")
    for path in asyncio.run(record(names=names or None)):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
