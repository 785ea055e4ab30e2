"""Which exporter the settings choose, and that OTLP over HTTP really leaves the process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export import ConsoleSpanExporter

from settings import Settings
from telemetry import tracing


class Collector(BaseHTTPRequestHandler):
    """The OTLP/HTTP receiver of an OpenTelemetry collector, reduced to recording requests."""

    received: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[str]:
    Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_no_exporter_by_default_installs_nothing() -> None:
    assert tracing.setup(Settings(), "test") is None
    assert not tracing.enabled()
    assert tracing.temporal_interceptors() == []


def test_console_exporter() -> None:
    installed = tracing.setup(Settings(otel_traces_exporter="console"), "test")
    try:
        assert installed is not None and tracing.enabled()
        (processor,) = installed.provider._active_span_processor._span_processors
        assert isinstance(processor.span_exporter, ConsoleSpanExporter)
        assert len(tracing.temporal_interceptors()) == 1
    finally:
        installed.shutdown()
    assert not tracing.enabled()


def test_otlp_over_http_reaches_the_collector_with_the_service_name(collector: str) -> None:
    settings = Settings(
        otel_traces_exporter="otlp",
        otel_exporter_otlp_endpoint=collector + "/",
        otel_service_name="agent-under-test",
    )
    installed = tracing.setup(settings, tracing.WORKER_SERVICE)
    assert installed is not None
    with tracing.tracer("test").start_as_current_span("a step"):
        pass
    installed.shutdown()  # flushes the batch

    (path, content_type, body), *_ = Collector.received
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    request = ExportTraceServiceRequest.FromString(body)
    (resource_spans,) = request.resource_spans
    service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert service["service.name"] == "agent-under-test"
    names = [span.name for scope in resource_spans.scope_spans for span in scope.spans]
    assert names == ["a step"]


def test_tracing_is_set_up_once_per_process() -> None:
    installed = tracing.setup(Settings(otel_traces_exporter="console"), "test")
    try:
        with pytest.raises(RuntimeError):
            tracing.setup(Settings(otel_traces_exporter="console"), "test")
    finally:
        installed.shutdown()
