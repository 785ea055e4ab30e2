"""The eval dataset format: JSON Lines, one case per line, validated on load.

A case's ``context`` is exactly the context contract (``domain.context.CampaignContext``), so a
context collected by a real run, or one written by hand, can be evaluated as is. Errors name the
file and the line, and every bad line is reported, not only the first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from domain.context import CampaignContext
from domain.recommendation import ActionType, RootCause

ACTIONS = [action.value for action in ActionType]
ROOT_CAUSES = [cause.value for cause in RootCause]


class CaseOutcome(BaseModel):
    """What happened when the action was carried out (outcome-labelled cases)."""

    model_config = ConfigDict(extra="allow")

    action_taken: ActionType | None = None
    success: bool | None = None
    metric: str | None = None
    actual_change_pct: float | None = None
    expected_change_pct: float | None = None
    summary: str = ""


class EvalCase(BaseModel):
    # Unknown top-level keys are refused: a misspelt "expected_acton" must not pass silently.
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    context: CampaignContext
    expected_action: ActionType
    # Oracle-labelled cases: every action within noise of the best (expected_action is the best),
    # and the action the analyst who wrote human_reasoning named.
    acceptable_actions: list[ActionType] | None = None
    analyst_action: ActionType | None = None
    expected_root_cause: RootCause | None = None
    human_reasoning: str = ""
    outcome: CaseOutcome | None = None
    tags: list[str] = Field(default_factory=list)

    @field_validator("expected_action", mode="before")
    @classmethod
    def _known_action(cls, value: object) -> object:
        if isinstance(value, str) and value not in ACTIONS:
            raise ValueError(f"unknown action {value!r}; expected one of: {', '.join(ACTIONS)}")
        return value

    @field_validator("expected_root_cause", mode="before")
    @classmethod
    def _known_root_cause(cls, value: object) -> object:
        if isinstance(value, str) and value not in ROOT_CAUSES:
            raise ValueError(
                f"unknown root cause {value!r}; expected one of: {', '.join(ROOT_CAUSES)}"
            )
        return value


class DatasetError(ValueError):
    """A dataset that cannot be used; ``problems`` lists one message per bad line."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        shown = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"{path}: {len(problems)} invalid line(s)\n{shown}")


def load_dataset(path: str | Path) -> list[EvalCase]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(path, [f"cannot read the file: {exc.strerror or exc}"]) from exc
    cases, problems = parse_lines(text.splitlines(), label=path.name)
    if not cases and not problems:
        problems.append(f"{path.name}: the dataset has no cases")
    if problems:
        raise DatasetError(path, problems)
    return cases


def parse_lines(lines: Iterable[str], label: str = "<dataset>") -> tuple[list[EvalCase], list[str]]:
    """Parse JSON Lines; returns the valid cases and one problem message per bad line."""
    cases: list[EvalCase] = []
    problems: list[str] = []
    first_line_of: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue  # blank lines (e.g. a trailing newline) are harmless
        where = f"{label}:{number}"
        case = _parse_line(line, where, problems)
        if case is None:
            continue
        if case.id in first_line_of:
            problems.append(
                f"{where}: duplicate case id {case.id!r} (first on line {first_line_of[case.id]})"
            )
            continue
        first_line_of[case.id] = number
        cases.append(case)
    return cases, problems


def _parse_line(line: str, where: str, problems: list[str]) -> EvalCase | None:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        problems.append(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})")
        return None
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a JSON object, got {type(raw).__name__}")
        return None
    try:
        return EvalCase.model_validate(raw)
    except ValidationError as exc:
        case_id = raw.get("id", "?")
        for error in exc.errors():
            problems.append(f"{where}: case {case_id!r}: {_describe(error)}")
        return None


def _describe(error: dict) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "<case>"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field (allowed: " + ", ".join(EvalCase.model_fields) + ")"
    return f"{field}: {message}"


def dump_case(case: EvalCase) -> str:
    """One JSON line; unset optional fields are left out so hand-edited files stay short."""
    return json.dumps(case.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


def write_dataset(path: str | Path, cases: Iterable[EvalCase]) -> int:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [dump_case(case) for case in cases]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)
