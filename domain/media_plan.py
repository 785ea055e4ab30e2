"""The media plan: what each campaign is meant to spend, and when (the pacing monitor's target).

A plan arrives as CSV or JSON (``parse_media_plan``) and is taken whole or not at all: every bad
line is named with what is wrong with it, so a planner fixes the file once instead of learning
its problems one import at a time. A plan's identity is its content (``MediaPlan.plan_id``):
the same lines in another order, format or spacing are the same plan, so importing it again
changes nothing.

Columns (CSV header, or JSON keys of each line):

| column | required | meaning |
| --- | --- | --- |
| ``line_id`` | yes | the planner's id of the line, unique in the plan |
| ``campaign_name`` | yes | the campaign's name as the planner knows it |
| ``campaign_id`` | no | the ad platform's campaign id; without it the name is matched |
| ``market`` | no | where it runs (e.g. ``Hyderabad``) |
| ``product`` | no | what it sells |
| ``start_date``, ``end_date`` | yes | the flight, both included (``2026-11-01``, ``01-11-2026``) |
| ``target_spend`` | yes | spend planned for the whole flight (``12000``, ``$12,000.00``) |
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

MAX_PLAN_LINES = 20_000
MAX_TEXT = 256
REQUIRED = ("line_id", "campaign_name", "start_date", "end_date", "target_spend")
OPTIONAL = ("campaign_id", "market", "product")
COLUMNS = REQUIRED[:2] + OPTIONAL + REQUIRED[2:]
_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")  # it ends up in alert keys and URLs
_MONEY = re.compile(r"^\$?\s*-?[0-9][0-9,]*(\.[0-9]+)?$")


class PlanFormat(StrEnum):
    csv = "csv"
    json = "json"


class PlanLine(BaseModel):
    line_id: str
    campaign_name: str
    campaign_id: str | None = None
    market: str | None = None
    product: str | None = None
    start_date: date
    end_date: date
    target_spend: float = Field(gt=0)

    @property
    def flight_days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def planned_daily(self) -> float:
        return self.target_spend / self.flight_days


class MediaPlan(BaseModel):
    plan_id: str = Field(description="sha256 of the lines' content: the same plan, the same id")
    lines: list[PlanLine]


class PlanProblem(BaseModel):
    """One reason the plan was refused: where (``line``: 1-based line of the file, or the
    position in the JSON list; 0 for the whole file) and what."""

    line: int
    line_id: str | None = None
    field: str | None = None
    message: str


class PlanRefused(ValueError):
    def __init__(self, problems: list[PlanProblem]) -> None:
        super().__init__(f"media plan refused: {len(problems)} problem(s)")
        self.problems = problems


def parse_media_plan(content: str, fmt: PlanFormat) -> MediaPlan:
    """The plan, or ``PlanRefused`` listing every problem found (nothing is half-taken)."""
    rows = _csv_rows(content) if fmt is PlanFormat.csv else _json_rows(content)
    lines: list[PlanLine] = []
    problems: list[PlanProblem] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        line, found = _line(number, row)
        problems += found
        if line is None:
            continue
        if line.line_id in seen:
            problems.append(
                PlanProblem(
                    line=number,
                    line_id=line.line_id,
                    field="line_id",
                    message=f"duplicates the line_id of line {seen[line.line_id]}",
                )
            )
            continue
        seen[line.line_id] = number
        lines.append(line)
    if not rows and not problems:
        problems.append(PlanProblem(line=0, message="the plan has no lines"))
    if len(rows) > MAX_PLAN_LINES:
        problems.append(
            PlanProblem(line=0, message=f"{len(rows)} lines; at most {MAX_PLAN_LINES} per plan")
        )
    if problems:
        raise PlanRefused(sorted(problems, key=lambda p: p.line))
    return MediaPlan(plan_id=plan_id(lines), lines=sorted(lines, key=lambda x: x.line_id))


def plan_id(lines: list[PlanLine]) -> str:
    canonical = json.dumps(
        [line.model_dump(mode="json") for line in sorted(lines, key=lambda x: x.line_id)],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def to_csv(lines: list[PlanLine]) -> str:
    """The plan as the CSV this module reads (round-trips through parse_media_plan)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for line in lines:
        writer.writerow({k: "" if v is None else v for k, v in line.model_dump().items()})
    return out.getvalue()


# ----------------------------------------------------------------------------- reading


def _csv_rows(content: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise PlanRefused(
            [
                PlanProblem(
                    line=1,
                    message=f"the header lacks {', '.join(missing)} (it needs "
                    f"{', '.join(REQUIRED)}; optional: {', '.join(OPTIONAL)})",
                )
            ]
        )
    rows = []
    for raw in reader:
        # The row's line in the file (the header is line 1); for a value quoted across lines,
        # the line the row ends on.
        number = reader.line_num
        row = {(k or "").strip().lower(): v for k, v in raw.items() if k is not None}
        if raw.get(None):
            row["__extra__"] = raw[None]
        if all(not (v or "").strip() for k, v in row.items() if k != "__extra__"):
            continue  # blank line
        rows.append((number, row))
    return rows


def _json_rows(content: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(content)
    except ValueError as err:
        raise PlanRefused([PlanProblem(line=0, message=f"not valid JSON: {err}")]) from None
    if isinstance(data, dict):
        data = data.get("lines")
    if not isinstance(data, list):
        raise PlanRefused(
            [PlanProblem(line=0, message='expected a list of lines, or {"lines": [...]}')]
        )
    rows: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(data, start=1):
        if isinstance(item, dict):
            rows.append((index, {str(k).strip().lower(): v for k, v in item.items()}))
        else:
            rows.append((index, {"__not_an_object__": item}))
    return rows


def _line(number: int, row: dict[str, Any]) -> tuple[PlanLine | None, list[PlanProblem]]:
    line_id = _text(row.get("line_id"))
    problems: list[PlanProblem] = []

    def problem(field: str | None, message: str) -> None:
        problems.append(PlanProblem(line=number, line_id=line_id, field=field, message=message))

    if "__not_an_object__" in row:
        problem(None, "each line must be an object with the plan's columns")
        return None, problems
    if "__extra__" in row:
        problem(None, "has more values than the header has columns")
    values: dict[str, Any] = {}
    for name in REQUIRED:
        if _text(row.get(name)) is None:
            problem(name, "is missing")
    if line_id is not None and not _ID.match(line_id):
        problem("line_id", "must be 1-128 letters, digits or _ . : @ -")
    for name in ("campaign_name", "campaign_id", "market", "product"):
        text = _text(row.get(name))
        if text is not None and len(text) > MAX_TEXT:
            problem(name, f"is longer than {MAX_TEXT} characters")
        values[name] = text
    for name in ("start_date", "end_date"):
        text = _text(row.get(name))
        if text is not None:
            parsed = _date(text)
            if parsed is None:
                problem(name, f"{text!r} is not a date (use YYYY-MM-DD or DD-MM-YYYY)")
            values[name] = parsed
    text = _text(row.get("target_spend"))
    if text is not None:
        amount = _money(text)
        if amount is None:
            problem("target_spend", f"{text!r} is not an amount")
        elif amount <= 0:
            problem("target_spend", f"must be more than 0, got {text}")
        values["target_spend"] = amount
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        problem("end_date", f"{end} is before the start date {start}")
    if problems:
        return None, problems
    return PlanLine(line_id=line_id, **values), []


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _date(text: str) -> date | None:
    for pattern in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _money(text: str) -> float | None:
    if not _MONEY.match(text):
        return None
    try:
        amount = float(text.replace("$", "").replace(",", "").strip())
    except ValueError:
        return None
    return amount if amount == amount and amount not in (float("inf"), float("-inf")) else None
