"""A dependency-free progress bar on stderr.

On a terminal it redraws one line; elsewhere (CI logs, pipes) it prints a line every tenth of
the run so logs stay short. Failed cases are counted as they happen.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from evals.harness import CaseResult

BAR_WIDTH = 30


class ProgressBar:
    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty()
        self.started = time.perf_counter()
        self.failed = 0
        self._last_decile = -1

    def __call__(self, done: int, total: int, result: CaseResult) -> None:
        self.failed += result.failed
        decile = done * 10 // max(total, 1)
        if not self.interactive and decile == self._last_decile and done != total:
            return
        self._last_decile = decile
        line = self._line(done, total)
        if self.interactive:
            end = "\n" if done == total else ""
            self.stream.write(f"\r{line}{end}")
        else:
            self.stream.write(f"{line}\n")
        self.stream.flush()

    def _line(self, done: int, total: int) -> str:
        filled = BAR_WIDTH * done // max(total, 1)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        elapsed = time.perf_counter() - self.started
        failed = f", {self.failed} failed" if self.failed else ""
        return f"{self.label} [{bar}] {done}/{total} cases{failed} ({elapsed:.1f} s)"
