"""Loading datasets: every bad line is reported with its number; the golden set is sound."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from domain.recommendation import ActionType
from evals.dataset import DatasetError, dump_case, load_dataset, write_dataset
from tests.evals.fakes import GOLDEN, golden_cases

HARD_TAGS = {"contradictory", "partial_context", "small_sample", "noise", "multi_cause"}


def good_line(case_id: str = "case-1") -> str:
    case = golden_cases()[0].model_copy(update={"id": case_id})
    return dump_case(case)


def write_lines(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(DatasetError) as raised:
        load_dataset(path)
    return raised.value.problems


def test_a_valid_file_round_trips(tmp_path: Path) -> None:
    cases = golden_cases()[:3]
    path = tmp_path / "out.jsonl"
    assert write_dataset(path, cases) == 3
    assert load_dataset(path) == cases


def test_bad_json_fails_with_the_line_number(tmp_path: Path) -> None:
    path = write_lines(tmp_path, [good_line("a"), "", '{"id": "b", "context": ', good_line("c")])
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0].startswith("cases.jsonl:3: not valid JSON")


def test_an_unknown_action_is_reported_by_name_and_line(tmp_path: Path) -> None:
    raw = json.loads(good_line("typo"))
    raw["expected_action"] = "Creative refresh"
    path = write_lines(tmp_path, [good_line("ok"), json.dumps(raw)])
    (problem,) = problems_of(path)
    assert problem.startswith("cases.jsonl:2: case 'typo': expected_action:")
    assert "unknown action 'Creative refresh'" in problem
    assert "Creative Refresh, Audience Expansion" in problem  # the valid ones are listed


def test_every_bad_line_is_reported_not_only_the_first(tmp_path: Path) -> None:
    missing_context = json.loads(good_line("no-context"))
    del missing_context["context"]
    bad_cause = json.loads(good_line("bad-cause"))
    bad_cause["expected_root_cause"] = "bad_luck"
    misspelt = json.loads(good_line("misspelt"))
    misspelt["expected_acton"] = misspelt.pop("expected_action")
    lines = [json.dumps(missing_context), json.dumps(bad_cause), "[1, 2]", json.dumps(misspelt)]
    problems = problems_of(write_lines(tmp_path, lines))
    text = "\n".join(problems)
    assert "cases.jsonl:1: case 'no-context': context: Field required" in text
    assert "cases.jsonl:2: case 'bad-cause': expected_root_cause: unknown root cause" in text
    assert "cases.jsonl:3: expected a JSON object, got list" in text
    assert "cases.jsonl:4: case 'misspelt': expected_acton: unknown field" in text
    assert "cases.jsonl:4: case 'misspelt': expected_action: Field required" in text


def test_a_context_violating_the_contract_names_the_field(tmp_path: Path) -> None:
    raw = json.loads(good_line("negative"))
    raw["context"]["campaign"]["spend"] = -5
    (problem,) = problems_of(write_lines(tmp_path, [json.dumps(raw)]))
    assert problem.startswith("cases.jsonl:1: case 'negative': context.campaign.spend:")


def test_duplicate_ids_point_at_the_first_occurrence(tmp_path: Path) -> None:
    path = write_lines(tmp_path, [good_line("same"), good_line("other"), good_line("same")])
    assert problems_of(path) == ["cases.jsonl:3: duplicate case id 'same' (first on line 1)"]


def test_empty_and_missing_files_are_errors(tmp_path: Path) -> None:
    assert problems_of(write_lines(tmp_path, [""])) == ["cases.jsonl: the dataset has no cases"]
    assert "cannot read the file" in problems_of(tmp_path / "nope.jsonl")[0]


def test_the_golden_set_covers_every_action_and_the_hard_cases() -> None:
    cases = load_dataset(GOLDEN)
    assert len(cases) >= 40
    # The analyst's calls cover every action; the oracle's labels are what the twins say.
    per_action = Counter(case.analyst_action for case in cases)
    assert all(per_action[action] >= 5 for action in ActionType), per_action
    assert all(case.expected_action in (case.acceptable_actions or []) for case in cases)
    tags = Counter(tag for case in cases for tag in case.tags)
    assert all(tags[tag] >= 1 for tag in HARD_TAGS), tags
    assert all(case.expected_root_cause is not None for case in cases)
    assert all(len(case.human_reasoning) > 100 for case in cases)
    # partial-context cases really miss sources, and say why
    partial = [c for c in cases if "partial_context" in c.tags]
    assert all(c.context.is_partial and c.context.source_errors for c in partial)


def test_the_readme_counts_the_golden_set_as_it_is() -> None:
    readme = (Path(__file__).resolve().parents[2] / "evals" / "README.md").read_text()
    pattern = r"golden\.jsonl`: (\d+) cases, (\d+)-(\d+) per action, (\d+) of them hard"
    stated = re.search(pattern, readme)
    assert stated, "the README no longer states the golden set's size"
    cases = load_dataset(GOLDEN)
    per_action = Counter(case.analyst_action for case in cases).values()
    hard = sum(1 for case in cases if HARD_TAGS & set(case.tags))
    assert tuple(int(n) for n in stated.groups()) == (
        len(cases),
        min(per_action),
        max(per_action),
        hard,
    )


def test_the_golden_reasoning_quotes_its_numbers_and_the_matrix() -> None:
    for case in golden_cases():
        assert "Suitability matrix" in case.human_reasoning or "matrix" in case.human_reasoning
        assert "Levels:" in case.human_reasoning, case.id
