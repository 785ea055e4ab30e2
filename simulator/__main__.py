"""Run the simulated ad platform: python -m simulator --host 127.0.0.1 --port 8100"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

DESCRIPTION = """\
Simulated ad platform: 12 named demo campaigns (plus SIMULATOR_CAMPAIGNS generated ones) whose
numbers come from latent mechanisms (creative wear-out, audience saturation, an auction with
competitors, broken measurement, segment heterogeneity, Poisson noise) calibrated on public ad
data (simulator/data/figures.json), and respond to the actions applied and to the simulated
clock. Endpoints, the counterfactual oracle and the fault-injection rule are described in
simulator/README.md; the OpenAPI page is served at /docs.

environment:
  SIMULATOR_CAMPAIGNS         generated campaigns beside the named ones (default: 0)
  SIMULATOR_SEED              seed of the generated campaigns (default: 0)
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
    parser.add_argument(
        "--figures", type=Path, help="derived figures file (default simulator/data/figures.json)"
    )
    parser.add_argument("--today", type=date.fromisoformat, help="first simulated day")
    parser.add_argument(
        "--timeout-seconds", type=float, help="how long an injected timeout hangs (30)"
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level (info)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # Imported here so --help answers without loading the web stack or building campaigns.
    import uvicorn

    from simulator.app import create_app
    from simulator.figures import FiguresError

    try:
        app = create_app(args.figures, today=args.today, timeout_seconds=args.timeout_seconds)
    except (FiguresError, ValueError) as error:
        raise SystemExit(f"simulator: {error}") from None
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
