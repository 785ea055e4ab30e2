"""Run the simulated ad platform: python -m simulator --host 127.0.0.1 --port 8100"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

DESCRIPTION = """\
Simulated ad platform: 12 campaigns (two per root cause) seeded from the public datasets in
../shared/data, whose metrics respond to the actions applied and to the simulated clock.
Endpoints and the fault-injection rule are described in simulator/README.md; the OpenAPI page
is served at /docs.

environment:
  SIMULATOR_DATA_DIR          folder with the shared CSVs (default: ../shared/data)
  SIMULATOR_TODAY             first simulated day, YYYY-MM-DD (default: today's date)
  SIMULATOR_TIMEOUT_SECONDS   how long an injected timeout hangs before its 504 (default: 30)
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8100, help="port to listen on (8100)")
    parser.add_argument("--data-dir", type=Path, help="folder with the CSVs (overrides the env)")
    parser.add_argument("--today", type=date.fromisoformat, help="first simulated day")
    parser.add_argument(
        "--timeout-seconds", type=float, help="how long an injected timeout hangs (30)"
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level (info)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # Imported here so --help answers without loading the web stack or the datasets.
    import uvicorn

    from simulator.app import create_app
    from simulator.datasets import DatasetError

    try:
        app = create_app(args.data_dir, today=args.today, timeout_seconds=args.timeout_seconds)
    except DatasetError as error:
        raise SystemExit(f"simulator: {error}") from None
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
