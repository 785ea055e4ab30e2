"""Fault injection: make chosen endpoints slow, failing, hanging or garbled on demand.

Matching rule (documented in simulator/README.md):

- a pattern that starts with "/" is matched against the whole request path (no query string);
  "*" stands for exactly one path segment: "/campaigns/*/metrics", "/campaigns/cmp-steady-01/*";
- any other pattern is compared with the last path segment: "metrics", "creatives", "actions",
  "campaigns" (the list only); "*" alone matches every path.

Faults never apply to /admin/... so a test can always inspect and clear them. When several faults
match, the first one registered that fires is used. With rate 1 a fault always fires (no random
draw); otherwise a seeded generator decides, so a run is reproducible after POST /admin/reset.
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
from dataclasses import dataclass
from enum import StrEnum

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

DEFAULT_TIMEOUT_SECONDS = 30.0
ADMIN_PREFIX = "/admin/"
# A truncated body: not valid JSON, though it claims to be.
MALFORMED_BODY = b'{"campaign_id": "cmp-'
FAULT_SEED = "simulator-faults"


class FaultKind(StrEnum):
    latency = "latency"  # wait latency_seconds, then answer normally
    error = "error"  # 503
    timeout = "timeout"  # wait timeout_seconds, then 504
    malformed = "malformed"  # 200 with a body that is not JSON


class FaultSpec(BaseModel):
    """Body of POST /admin/faults."""

    endpoint: str = Field(min_length=1, description='"/campaigns/*/metrics" or "metrics"')
    kind: FaultKind
    rate: float = Field(default=1.0, ge=0, le=1, description="share of matching requests hit")
    count: int | None = Field(default=None, ge=1, description="stop after this many injections")
    latency_seconds: float = Field(default=1.0, ge=0, le=300)
    timeout_seconds: float | None = Field(
        default=None, ge=0, le=600, description="how long a timeout hangs (default: server's)"
    )


class Fault(FaultSpec):
    fault_id: int
    injected: int = 0

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.injected >= self.count


def path_matches(pattern: str, path: str) -> bool:
    if pattern == "*":
        return True
    if not pattern.startswith("/"):
        return path.rstrip("/").rsplit("/", 1)[-1] == pattern
    regex = "/".join(
        "[^/]+" if part == "*" else re.escape(part) for part in pattern.rstrip("/").split("/")
    )
    return re.fullmatch(regex, path.rstrip("/")) is not None


@dataclass
class FaultRegistry:
    default_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._faults: list[Fault] = []
            self._next_id = 1
            self._rng = random.Random(FAULT_SEED)

    def add(self, spec: FaultSpec) -> Fault:
        with self._lock:
            fault = Fault(fault_id=self._next_id, **spec.model_dump())
            self._next_id += 1
            self._faults.append(fault)
            return fault.model_copy()

    def snapshot(self) -> list[Fault]:
        with self._lock:
            return [fault.model_copy() for fault in self._faults]

    def draw(self, path: str) -> Fault | None:
        """The fault to inject into a request for `path`, counted as injected, or None."""
        if path.startswith(ADMIN_PREFIX):
            return None
        with self._lock:
            for fault in self._faults:
                if fault.exhausted or not path_matches(fault.endpoint, path):
                    continue
                if fault.rate < 1 and self._rng.random() >= fault.rate:
                    continue
                fault.injected += 1
                return fault.model_copy()
        return None


def install_fault_injection(app: FastAPI, registry: FaultRegistry) -> None:
    @app.middleware("http")
    async def inject_faults(request: Request, call_next) -> Response:
        fault = registry.draw(request.url.path)
        if fault is None:
            return await call_next(request)
        return await _injected_response(fault, registry, request, call_next)


async def _injected_response(
    fault: Fault, registry: FaultRegistry, request: Request, call_next
) -> Response:
    detail = {"detail": f"injected fault: {fault.kind} (fault {fault.fault_id})"}
    if fault.kind is FaultKind.latency:
        await asyncio.sleep(fault.latency_seconds)
        return await call_next(request)
    if fault.kind is FaultKind.error:
        return JSONResponse(detail, status_code=503)
    if fault.kind is FaultKind.timeout:
        hang = fault.timeout_seconds
        await asyncio.sleep(registry.default_timeout_seconds if hang is None else hang)
        return JSONResponse(detail, status_code=504)
    return Response(MALFORMED_BODY, status_code=200, media_type="application/json")
