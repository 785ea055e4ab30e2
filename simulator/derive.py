"""Derive the simulator's figures from the raw public datasets and commit them.

    python -m simulator.derive            # rewrite simulator/data/figures.json
    python -m simulator.derive --check    # exit 1 if the committed figures are out of date

The raw CSVs are read from --data-dir, else $SIMULATOR_DATA_DIR, else ../shared/data next to
the repository. They are needed only here (and by the tests that check this derivation, which
run when the CSVs are present and are required in CI with REQUIRE_PUBLIC_DATA=1): the simulator
itself reads only the committed file, so a clone with nothing beside it runs.

The file carries its provenance: every source file with its data rows, bytes and SHA-256, the
date of the derivation and the command that produced it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from simulator.datasets import (
    AB_CONTROL_FILE,
    AB_TEST_FILE,
    GOOGLE_FILE,
    KAG_FILE,
    REQUIRED_FILES,
    DatasetError,
    _read_rows,
    ab_daily_spread,
    ab_experiment_counts,
    google_revenue_per_cost,
    google_weekday_factors,
    kag_adset_spread,
    load_levels,
    resolve_data_dir,
)
from simulator.figures import FIGURES_FILE

COMMAND = "python -m simulator.derive"
FORMAT_VERSION = 1


def _source(path: Path) -> dict[str, object]:
    data = path.read_bytes()
    rows = sum(1 for _ in _read_rows(path))
    return {
        "file": path.name,
        "data_rows": rows,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def _rounded(value: object, digits: int = 6) -> object:
    """Floats rounded so the file is stable and readable; structure kept."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {key: _rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(item, digits) for item in value]
    return value


def derive_figures(data_dir: Path) -> dict[str, object]:
    """Every figure the simulator uses, from the four CSVs (no provenance date)."""
    load_levels.cache_clear()
    levels = load_levels(data_dir)
    rows = {name: list(_read_rows(data_dir / name)) for name in REQUIRED_FILES}
    figures = {
        "delivery": {name: asdict(level) for name, level in levels.delivery.items()},
        "segments": {
            name: [asdict(segment) for segment in segments]
            for name, segments in levels.segments.items()
        },
        "engagement_per_click": levels.engagement_per_click,
        "daily_spread": {
            name: asdict(spread)
            for name, spread in ab_daily_spread([rows[AB_CONTROL_FILE], rows[AB_TEST_FILE]]).items()
        },
        "adset_spread": {
            name: asdict(spread) for name, spread in kag_adset_spread(rows[KAG_FILE]).items()
        },
        "weekday_factors": google_weekday_factors(rows[GOOGLE_FILE]),
        "revenue_per_cost": asdict(google_revenue_per_cost(rows[GOOGLE_FILE])),
        "ab_experiment": {
            "control": ab_experiment_counts(rows[AB_CONTROL_FILE], AB_CONTROL_FILE),
            "test": ab_experiment_counts(rows[AB_TEST_FILE], AB_TEST_FILE),
        },
    }
    return _rounded(figures)  # type: ignore[return-value]


def build_document(data_dir: Path, today: str) -> dict[str, object]:
    return {
        "format_version": FORMAT_VERSION,
        "provenance": {
            "derived_on": today,
            "command": COMMAND,
            "sources": [_source(data_dir / name) for name in REQUIRED_FILES],
            "notes": (
                "Levels are per-slice totals (A/B test days with delivery; KAG campaigns with "
                "their totals read as 30 days; Google Ads per device). Spreads are log-normal "
                "(median, sd of the natural log): day to day within each A/B campaign, between "
                "ad sets of one KAG campaign. Weekday factors: Google Ads clicks per calendar "
                "day of each weekday over Nov 2024. revenue_per_cost: Google Ads sale amount "
                "over cost of the rows that converted. ab_experiment: the A/B test's two arms "
                "as counts over the days with delivery (the portfolio review's public "
                "experiment)."
            ),
        },
        "figures": derive_figures(data_dir),
    }


def render(document: dict[str, object]) -> str:
    return json.dumps(document, indent=1, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="folder with the raw CSVs")
    parser.add_argument("--out", type=Path, default=FIGURES_FILE, help="figures file to write")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the committed figures are out of date"
    )
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir).resolve()
    try:
        document = build_document(data_dir, datetime.now(UTC).date().isoformat())
    except (DatasetError, OSError) as error:
        print(f"simulator.derive: {error}", file=sys.stderr)
        return 2
    if args.check:
        committed = json.loads(args.out.read_text(encoding="utf-8"))
        fresh = {k: v for k, v in document.items() if k != "provenance"}
        same_sources = committed["provenance"]["sources"] == document["provenance"]["sources"]
        same = same_sources and {k: committed[k] for k in fresh} == fresh
        print(f"{args.out} is {'up to date' if same else 'out of date: run ' + COMMAND}")
        return 0 if same else 1
    args.out.write_text(render(document), encoding="utf-8")
    print(f"wrote {args.out} from {data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
