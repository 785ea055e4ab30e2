"""Record the replay histories: ``.venv/bin/python -m tests.replay.record_histories [NAME ...]``
(all scenarios when no name is given).

Runs every scenario of ``tests.replay.scenarios`` on the time-skipping test server with the
workflow test doubles and writes each run's event history to ``tests/replay/histories/``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.replay.scenarios import SCENARIOS
from tests.workflows.harness import Scenario, start_time_skipping_env

HISTORIES = Path(__file__).resolve().parent / "histories"


async def record(directory: Path = HISTORIES, names: list[str] | None = None) -> list[Path]:
    written = []
    env = await start_time_skipping_env()
    try:
        for name, (make_doubles, drive) in SCENARIOS.items():
            if names and name not in names:
                continue
            scenario = Scenario(env, make_doubles())
            async with scenario.worker():
                handle = await drive(scenario)
            history = await handle.fetch_history()
            written.append(_write(directory / f"{name}.json", history.to_json()))
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
