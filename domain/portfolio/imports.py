"""Experiments imported as JSON or CSV: every row is checked, and one bad row refuses the whole
import, naming each bad row and what is wrong with it (nothing half-imported).

CSV columns (header required, order free): ``experiment_id, name, control_samples,
control_conversions, variant_samples, variant_conversions`` (required) and ``campaign_id,
metric, control_name, variant_name, planned_variant_share, start_date, end_date`` (optional).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from domain.portfolio.experiments import Experiment

REQUIRED_COLUMNS = (
    "experiment_id",
    "name",
    "control_samples",
    "control_conversions",
    "variant_samples",
    "variant_conversions",
)
OPTIONAL_COLUMNS = (
    "campaign_id",
    "metric",
    "control_name",
    "variant_name",
    "planned_variant_share",
    "start_date",
    "end_date",
)
MAX_ROWS = 1000


class RowProblem(BaseModel):
    row: int  # 1-based: the data row (CSV: the line after the header is row 1)
    experiment_id: str | None = None
    problems: list[str]


class ImportResult(BaseModel):
    experiments: list[Experiment]
    problems: list[RowProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_rows(rows: Sequence[Any], source: str = "import") -> ImportResult:
    """Each row (a JSON object, or a CSV row as a dict of strings) -> an Experiment."""
    experiments: list[Experiment] = []
    problems: list[RowProblem] = []
    if not rows:
        problems.append(RowProblem(row=0, problems=["no experiments in the import"]))
    if len(rows) > MAX_ROWS:
        problems.append(
            RowProblem(row=0, problems=[f"{len(rows)} rows: at most {MAX_ROWS} per import"])
        )
        return ImportResult(experiments=[], problems=problems)
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            problems.append(RowProblem(row=number, problems=["not an object"]))
            continue
        identifier = row.get("experiment_id") if isinstance(row.get("experiment_id"), str) else None
        try:
            experiment = Experiment.model_validate({"source": source, **row})
        except ValidationError as err:
            problems.append(
                RowProblem(row=number, experiment_id=identifier, problems=_messages(err))
            )
            continue
        first = seen.setdefault(experiment.experiment_id, number)
        if first != number:
            problems.append(
                RowProblem(
                    row=number,
                    experiment_id=experiment.experiment_id,
                    problems=[f"experiment_id repeats row {first}"],
                )
            )
            continue
        experiments.append(experiment)
    return ImportResult(experiments=[] if problems else experiments, problems=problems)


def parse_csv(text: str) -> ImportResult:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        said = []
        if missing:
            said.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            said.append(f"unknown column(s): {', '.join(unknown)}")
        return ImportResult(experiments=[], problems=[RowProblem(row=0, problems=said)])
    rows = []
    try:
        for raw in reader:
            if None in raw:  # more cells than the header has columns
                rows.append({"__extra__": raw[None]})
                continue
            rows.append(_csv_row({k.strip(): (v or "").strip() for k, v in raw.items()}))
    except csv.Error as err:
        return ImportResult(experiments=[], problems=[RowProblem(row=0, problems=[str(err)])])
    result = validate_rows(rows)
    extra = [
        RowProblem(row=i, problems=["more cells than the header has columns"])
        for i, row in enumerate(rows, start=1)
        if "__extra__" in row
    ]
    if extra:
        kept = [p for p in result.problems if p.row not in {e.row for e in extra}]
        return ImportResult(experiments=[], problems=sorted(kept + extra, key=lambda p: p.row))
    return result


def _csv_row(cells: dict[str, str]) -> dict[str, Any]:
    """CSV cells into the JSON shape: arms nested, empty optional cells left out."""
    row: dict[str, Any] = {
        k: v
        for k, v in cells.items()
        if k in ("experiment_id", "name", "campaign_id", "metric", "start_date", "end_date") and v
    }
    if cells.get("planned_variant_share"):
        row["planned_variant_share"] = _cell_number(cells["planned_variant_share"])
    for arm in ("control", "variant"):
        row[arm] = {
            "name": cells.get(f"{arm}_name") or arm,
            "samples": _cell_number(cells.get(f"{arm}_samples", "")),
            "conversions": _cell_number(cells.get(f"{arm}_conversions", "")),
        }
    return row


def _cell_number(cell: str) -> object:
    """A CSV cell as a number; a cell that is not one stays text for the model to refuse."""
    try:
        value = float(cell)
    except ValueError:
        return cell
    return int(value) if value.is_integer() else value


def _messages(err: ValidationError) -> list[str]:
    found = []
    for e in err.errors():
        where = ".".join(str(part) for part in e["loc"])
        message = e["msg"].removeprefix("Value error, ")
        found.append(f"{where}: {message}" if where else message)
    return found
