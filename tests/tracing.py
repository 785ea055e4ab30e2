"""Tracing installed for one test with an in-memory exporter, then removed again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from settings import Settings
from telemetry import tracing


@contextmanager
def traced(
    settings: Settings | None = None, service: str = "test"
) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    installed = tracing.setup(settings or Settings(), service, exporter=exporter)
    assert installed is not None
    try:
        yield exporter
    finally:
        installed.shutdown()
