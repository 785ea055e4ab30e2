"""OpenTelemetry traces for the API and worker processes.

One trace follows a run: the API's request span (FastAPI instrumentation) is the parent of the
``StartWorkflow`` span of Temporal's ``TracingInterceptor``, which carries the context in the
workflow's headers; the worker's interceptor continues it in ``RunWorkflow`` and in every
``StartActivity`` / ``RunActivity``, under which the httpx instrumentation records the calls to
the ad platform and the LLM providers and the SQLAlchemy instrumentation the store's queries.
Signals, updates and queries sent later (a reviewer's decision) get their own trace, linked
from the run's.

Why the interceptor and not the SDK's experimental ``OpenTelemetryPlugin``: the plugin reports
workflow spans only when the workflow completes, and ours wait up to 6 days (review, outcome
timer); the interceptor shows every step as it happens. Runs started without a trace (a
Schedule, ``temporal workflow start``) get one from the worker (``always_create_workflow_spans``).

Configured by settings: ``OTEL_TRACES_EXPORTER`` none (default: nothing is instrumented),
console, or otlp (OTLP over HTTP to ``OTEL_EXPORTER_OTLP_ENDPOINT``). ``setup`` is called once
per process before the Temporal client, the store or the app are created; the functions below
answer for the tracing that ``setup`` installed, so tests can install an in-memory exporter and
then run the production wiring unchanged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPX2ClientInstrumentor, HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from temporalio.contrib.opentelemetry import TracingInterceptor

from settings import Settings

log = logging.getLogger(__name__)

API_SERVICE = "marketing-agent-api"
WORKER_SERVICE = "marketing-agent-worker"
# Probes and scrapes every few seconds would bury the traces that matter.
UNTRACED_URLS = "/health,/ready,/metrics"


@dataclass
class Tracing:
    provider: TracerProvider
    capture_llm_content: bool

    def shutdown(self) -> None:
        """Flush what is buffered and undo the process-wide instrumentation."""
        global _active
        for instrumentor in _instrumentors():
            instrumentor.uninstrument()
        self.provider.shutdown()
        if _active is self:
            _active = None


_active: Tracing | None = None


def setup(
    settings: Settings,
    service_name: str,
    *,
    exporter: SpanExporter | None = None,
    make_global: bool = False,
) -> Tracing | None:
    """Install tracing for this process as the settings say (``exporter`` overrides them, for
    tests); None when tracing is off. ``make_global`` also sets OpenTelemetry's global tracer
    provider (once per process), for libraries that use it."""
    global _active
    if _active is not None:
        raise RuntimeError("tracing is already set up in this process")
    exporter = exporter or _exporter_from(settings)
    if exporter is None:
        return None
    resource = Resource.create({SERVICE_NAME: settings.otel_service_name or service_name})
    provider = TracerProvider(resource=resource)
    # An in-memory or console exporter is read at once; a network exporter is batched so a
    # slow collector never delays a request or an activity.
    processor = SimpleSpanProcessor if exporter_is_local(exporter) else BatchSpanProcessor
    provider.add_span_processor(processor(exporter))
    if make_global:
        trace.set_tracer_provider(provider)
    for instrumentor in _instrumentors():
        # skip_dep_check: the SQLAlchemy instrumentation declares "< 2.1" but works with our
        # 2.1 (tests/e2e/test_traces.py checks the SQL spans).
        instrumentor.instrument(tracer_provider=provider, skip_dep_check=True)
    _active = Tracing(
        provider, capture_llm_content=settings.otel_instrumentation_genai_capture_message_content
    )
    log.info(
        "tracing on",
        extra={"exporter": type(exporter).__name__, "service": resource.attributes[SERVICE_NAME]},
    )
    return _active


def _instrumentors() -> list[Any]:
    """Process-wide: httpx (the ad platform), httpx2 (the OpenAI and Anthropic SDKs) and
    SQLAlchemy (wraps create_async_engine, so engines created from now on are traced;
    store.engine looks it up at call time for this reason)."""
    return [HTTPXClientInstrumentor(), HTTPX2ClientInstrumentor(), SQLAlchemyInstrumentor()]


def exporter_is_local(exporter: SpanExporter) -> bool:
    return not type(exporter).__module__.startswith("opentelemetry.exporter.otlp")


def _exporter_from(settings: Settings) -> SpanExporter | None:
    if settings.otel_traces_exporter == "console":
        return ConsoleSpanExporter()
    if settings.otel_traces_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        return OTLPSpanExporter(endpoint=endpoint)
    return None


def enabled() -> bool:
    return _active is not None


def tracer(name: str) -> trace.Tracer:
    """A tracer of the installed provider; a no-op tracer when tracing is off."""
    if _active is None:
        return trace.NoOpTracer()
    return _active.provider.get_tracer(name)


def capture_llm_content() -> bool:
    return _active is not None and _active.capture_llm_content


def temporal_interceptors() -> list[Any]:
    """For ``Client.connect(interceptors=...)``: workers built on the client inherit them."""
    if _active is None:
        return []
    return [
        TracingInterceptor(
            _active.provider.get_tracer("temporalio"), always_create_workflow_spans=True
        )
    ]


def instrument_app(app: Any) -> None:
    if _active is not None:
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=_active.provider,
            excluded_urls=UNTRACED_URLS,
            # One span per request, not one per ASGI message.
            exclude_spans=["receive", "send"],
        )
