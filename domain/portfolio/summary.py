"""The optional LLM executive summary may only restate the review: every number it writes must
be one of the review's figures (as the report shows it, or the underlying value at the
precision the summary writes it). A summary with an invented number is discarded."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, Field

from domain.portfolio.model import PortfolioReport
from domain.portfolio.report import render_markdown

# A number as prose writes it: an optional sign or currency, digits with thousands separators,
# decimals, and a scale or percent suffix ("$1,234.5", "-12.1 %", "3.2k", "0.97").
_NUMBER = re.compile(
    r"(?<![\w.])[-+−]?\$?(?P<digits>\d{1,3}(?:,\d{3})+|\d+)(?P<decimals>\.\d+)?"
    r"\s*(?P<suffix>%|k\b|K\b|M\b|m\b|bn\b|x\b)?"
)
_SCALE = {"k": 1e3, "K": 1e3, "M": 1e6, "m": 1e6, "bn": 1e9}


class SummaryCheck(BaseModel):
    ok: bool
    invented: list[str] = Field(default_factory=list, description="numbers not in the review")


class SummaryDraft(BaseModel):
    """One attempt of the LLM summary activity, already checked against the review."""

    text: str
    invented: list[str] = Field(default_factory=list, description="numbers not in the review")
    model: str = ""
    cost_usd: float = 0.0


class SummaryRequest(BaseModel):
    review_id: str
    attempt: int = 1
    rejected: list[str] = Field(
        default_factory=list, description="numbers the previous attempt invented"
    )
    previous: str = Field(default="", description="the previous attempt, when it was rejected")


def numbers_in(text: str) -> Iterator[tuple[str, float, int, float]]:
    """(as written, value, decimals, scale) of every number in ``text``."""
    for match in _NUMBER.finditer(text):
        digits = match.group("digits").replace(",", "")
        decimals = match.group("decimals") or ""
        suffix = match.group("suffix") or ""
        value = float(digits + decimals)
        yield match.group(0).strip(), value, max(len(decimals) - 1, 0), _SCALE.get(suffix, 1.0)


def review_figures(report: PortfolioReport) -> list[float]:
    """Every number of the review: its fields and what its markdown shows."""
    data = report.model_dump(mode="json", exclude={"executive_summary", "summary_note"})
    figures = list(_walk(data))
    figures += [value * scale for _, value, _, scale in numbers_in(render_markdown(report))]
    return figures


def _walk(value: Any) -> Iterator[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        if math.isfinite(value):
            yield float(value)
    elif isinstance(value, str):
        yield from (v * s for _, v, _, s in numbers_in(value))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def check_summary(summary: str, report: PortfolioReport) -> SummaryCheck:
    figures = [abs(f) for f in review_figures(report)]
    candidates = figures + [f * 100 for f in figures]
    invented = []
    for written, value, decimals, scale in numbers_in(summary):
        tolerance = 0.5 * 10**-decimals * scale + 1e-9
        wanted = value * scale
        if not any(abs(candidate - wanted) <= tolerance for candidate in candidates):
            invented.append(written)
    return SummaryCheck(ok=not invented, invented=invented)
