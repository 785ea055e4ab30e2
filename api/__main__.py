"""``python -m api``: serve the HTTP API with uvicorn (configuration from the environment)."""

from __future__ import annotations

import argparse
import sys

from settings import get_settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="python -m api",
        description=(
            "Serve the marketing reasoning agent API and its reviewer console (/console). "
            "Configuration comes from the environment (.env is read too): "
            "API_KEYS='key:role:name,...' or API_KEYS_FILE (required), RATE_LIMIT, "
            "DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, "
            "DEDUP_WINDOW_HOURS, CONSOLE_SESSION_SECRET (signs console sessions; random per "
            "process when unset), CONSOLE_SESSION_HOURS, CONSOLE_COOKIE_SECURE, "
            "OTEL_TRACES_EXPORTER (none, console, otlp), OTEL_EXPORTER_OTLP_ENDPOINT."
        ),
    )
    parser.add_argument(
        "--host", default=settings.api_host, help="default: API_HOST or %(default)s"
    )
    parser.add_argument(
        "--port", type=int, default=settings.api_port, help="default: API_PORT or %(default)s"
    )
    parser.add_argument("--log-level", default="info", help="default: %(default)s")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    import uvicorn

    from api.app import create_app
    from api.auth import ConfigurationError
    from api.logs import configure_logging
    from telemetry import tracing

    configure_logging(args.log_level)
    settings = get_settings()
    traces = tracing.setup(settings, tracing.API_SERVICE, make_global=True)
    try:
        app = create_app(settings)
    except ConfigurationError as exc:
        print(f"api: configuration error: {exc}", file=sys.stderr)
        return 2
    # log_config=None keeps our JSON logging; access_log=False because RequestTelemetryMiddleware
    # already writes one structured line per request.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        log_level=args.log_level,
    )
    if traces is not None:
        traces.shutdown()  # export what is still buffered
    return 0


if __name__ == "__main__":
    sys.exit(main())
