"""Tools the deploy tests run: promtool (Debian's ``prometheus`` package).

Without it the tests that need it skip, unless REQUIRE_PROMTOOL=1 (set by .ci/run) makes a
missing promtool a failure."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def promtool() -> str:
    found = shutil.which("promtool")
    if found:
        return found
    message = "promtool not found (apt-get install prometheus, or make tools)"
    if os.environ.get("REQUIRE_PROMTOOL") == "1":
        pytest.fail(message + "; REQUIRE_PROMTOOL=1 makes this a failure")
    pytest.skip(message)
