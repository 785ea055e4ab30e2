"""Per-case token and cost accounting for eval runs.

The seam for LLM reasoners: after each provider call, report what it used with
``record_usage(...)``. Outside an eval run it does nothing, so reasoners can call it always.
Inside one, the harness opens a meter per case; because every case runs in its own asyncio
task (and tasks copy the context), concurrent cases never mix their counts.

The rules reasoner calls no model and reports nothing: its cases show no tokens and no cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pydantic import BaseModel


class Usage(BaseModel):
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def add(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
        )


_current: ContextVar[Usage | None] = ContextVar("eval_case_usage", default=None)


def record_usage(input_tokens: int, output_tokens: int, cost_usd: float = 0.0) -> None:
    """Add one model call to the current eval case, if any (a no-op otherwise)."""
    meter = _current.get()
    if meter is None:
        return
    meter.calls += 1
    meter.input_tokens += input_tokens
    meter.output_tokens += output_tokens
    meter.cost_usd += cost_usd


@contextmanager
def case_meter() -> Iterator[Usage]:
    """Collect the usage reported while the block runs (in this task and tasks it starts)."""
    meter = Usage()
    token = _current.set(meter)
    try:
        yield meter
    finally:
        _current.reset(token)
