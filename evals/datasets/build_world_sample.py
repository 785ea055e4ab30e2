"""Build the committed world sample the CI gate runs on (``world_sample.jsonl``).

    python -m evals.datasets.build_world_sample            # rewrite it
    python -m evals.datasets.build_world_sample --check    # exit 1 if out of date

Seed 9001, 120 campaigns: a seed from the untuned range (9000 and up). The rules reasoner is
tuned on seeds 1-99 only, so the gate measures it on worlds it was never fitted to. Each line is
an ``evals.world.WorldCase``: the context the collectors read, and the oracle's valuation of the
six actions (20 replications). The gate's thresholds are in ``world_gate.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from evals.world import WorldCase, build_cases

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "world_sample.jsonl"
THRESHOLDS = HERE / "world_gate.json"
GATE_SEED, GATE_CAMPAIGNS = 9001, 120


def render(cases: list[WorldCase]) -> str:
    return "".join(
        json.dumps(case.model_dump(mode="json", exclude_none=True), sort_keys=True) + "\n"
        for case in cases
    )


def load_sample(path: Path = SAMPLE) -> list[WorldCase]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [WorldCase.model_validate_json(line) for line in lines if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.datasets.build_world_sample")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    args = parser.parse_args(argv)
    cases, _ = asyncio.run(build_cases(GATE_SEED, GATE_CAMPAIGNS))
    text = render(cases)
    if args.check:
        same = SAMPLE.read_text(encoding="utf-8") == text
        print(f"{SAMPLE} is {'up to date' if same else 'out of date'}")
        return 0 if same else 1
    SAMPLE.write_text(text, encoding="utf-8")
    print(f"wrote {len(cases)} cases to {SAMPLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
