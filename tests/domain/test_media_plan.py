"""Media plan import: a plan is taken whole or refused whole with every bad line named, and its
identity is its content."""

from __future__ import annotations

import json

import pytest

from domain.media_plan import PlanFormat, PlanRefused, parse_media_plan, to_csv

GOOD_CSV = """line_id,campaign_id,campaign_name,market,product,start_date,end_date,target_spend
L1,cmp-steady-01,Always-on Search,Hyderabad,Analytics Training,2026-11-01,2026-11-30,"$30,000.00"
L2,,Data Analytcis Course,hyderabad,Data Analytics Course,01-11-2026,30-11-2026,12000
"""


def test_a_good_plan_is_read_with_its_dirty_amounts_and_dates() -> None:
    plan = parse_media_plan(GOOD_CSV, PlanFormat.csv)
    first, second = plan.lines
    assert first.target_spend == 30_000 and first.campaign_id == "cmp-steady-01"
    assert second.campaign_id is None and second.start_date.isoformat() == "2026-11-01"
    assert first.planned_daily == 1_000


def test_the_same_plan_in_another_format_or_order_has_the_same_id() -> None:
    plan = parse_media_plan(GOOD_CSV, PlanFormat.csv)
    lines = [line.model_dump(mode="json") for line in reversed(plan.lines)]
    as_json = parse_media_plan(json.dumps({"lines": lines}), PlanFormat.json)
    assert as_json.plan_id == plan.plan_id
    assert parse_media_plan(to_csv(plan.lines), PlanFormat.csv).plan_id == plan.plan_id
    changed = GOOD_CSV.replace("12000", "12500")
    assert parse_media_plan(changed, PlanFormat.csv).plan_id != plan.plan_id


def test_every_bad_line_is_named_and_nothing_is_taken() -> None:
    bad = (
        GOOD_CSV
        + "L3,,,Pune,x,2026-11-01,2026-11-30,100\n"  # line 4: no campaign name
        + "L4,cmp-1,Name,Pune,x,2026-11-31,2026-11-30,100\n"  # line 5: no such date
        + "L5,cmp-1,Name,Pune,x,2026-11-10,2026-11-01,-5\n"  # line 6: end before start, < 0
        + "L1,cmp-2,Again,Pune,x,2026-11-01,2026-11-30,100\n"  # line 7: duplicate line id
        + "L6,cmp-3,Name,Pune,x,2026-11-01,2026-11-30,lots\n"  # line 8: not an amount
    )
    with pytest.raises(PlanRefused) as refused:
        parse_media_plan(bad, PlanFormat.csv)
    found = {(p.line, p.field) for p in refused.value.problems}
    assert found == {
        (4, "campaign_name"),
        (5, "start_date"),
        (6, "end_date"),
        (6, "target_spend"),
        (7, "line_id"),
        (8, "target_spend"),
    }
    messages = {p.line: p.message for p in refused.value.problems}
    assert "duplicates the line_id of line 2" in messages[7]


def test_a_header_without_the_required_columns_is_refused() -> None:
    with pytest.raises(PlanRefused) as refused:
        parse_media_plan("name,budget\nx,1\n", PlanFormat.csv)
    [problem] = refused.value.problems
    assert "line_id" in problem.message and "target_spend" in problem.message


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("not json", "not valid JSON"),
        ('{"plan": []}', "expected a list of lines"),
        ("[]", "the plan has no lines"),
        ('[1, {"line_id": "x"}]', "must be an object"),
    ],
)
def test_bad_json_is_refused_with_a_reason(text: str, wanted: str) -> None:
    with pytest.raises(PlanRefused) as refused:
        parse_media_plan(text, PlanFormat.json)
    assert any(wanted in p.message for p in refused.value.problems)


def test_json_lines_are_numbered_by_position() -> None:
    lines = [
        {"line_id": "A", "campaign_name": "x", "start_date": "2026-11-01",
         "end_date": "2026-11-02", "target_spend": 10},
        {"line_id": "B", "campaign_name": "y", "start_date": "2026-11-01",
         "end_date": "2026-11-02"},
    ]  # fmt: skip
    with pytest.raises(PlanRefused) as refused:
        parse_media_plan(json.dumps(lines), PlanFormat.json)
    [problem] = refused.value.problems
    assert (problem.line, problem.line_id, problem.field) == (2, "B", "target_spend")
