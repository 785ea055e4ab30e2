"""Schemathesis against the running API: generated requests (valid, invalid and stateful
sequences) never get a 5xx, and every answer matches the OpenAPI document."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import KEYS, Stack

pytestmark = pytest.mark.e2e

SCHEMATHESIS = Path(sys.executable).parent / "st"
CONFIG = Path(__file__).resolve().parents[2] / "schemathesis.toml"


async def test_generated_requests_get_documented_answers_and_never_a_5xx(stack: Stack) -> None:
    fuzz = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        f"{stack.api_url}/api/openapi.json",
        "--header",
        f"X-API-Key: {KEYS['admin']}",
        "--checks",
        "all",
        "--max-examples",
        "20",
        "--seed",
        "1",  # reproducible: a failure here replays the same way
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=stack.base_env,
    )
    output, _ = await asyncio.wait_for(fuzz.communicate(), timeout=300)
    report = output.decode(errors="replace")
    assert fuzz.returncode == 0, report[-6000:]
    assert " passed" in report
