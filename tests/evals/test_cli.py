"""``python -m evals``: exit codes, --help everywhere, files written, compare output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from activities import reasoning
from domain.recommendation import ActionType
from evals.cli import DEFAULT_DATASET, REPO, main
from evals.dataset import load_dataset, write_dataset
from tests.evals.fakes import AlwaysMonitor, FailsOn, small_set


@pytest.fixture
def small_dataset(tmp_path: Path) -> Path:
    path = tmp_path / "small.jsonl"
    write_dataset(path, small_set(per_action=2))
    return path


def run(*args: str) -> list[str]:
    return ["run", "--quiet", "--no-store", *args]


def test_run_passes_the_gate_and_writes_both_reports(
    small_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    code = main(run("--dataset", str(small_dataset), "--min-agreement", "0.5", "--out", str(out)))
    stdout = capsys.readouterr().out
    assert code == 0
    assert "# Eval report: `rules` on `small.jsonl`" in stdout
    assert stdout.rstrip().splitlines()[-1].startswith("gate: PASS (agreement")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["gate_passed"] is True and report["meta"]["reasoner"] == "rules"
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# Eval report")


def test_run_exits_1_when_the_minimum_is_above_the_achieved_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The golden set with one deliberately wrong label, so the achieved rate stays under 100 %.
    cases = load_dataset(DEFAULT_DATASET)
    wrong = next(a for a in ActionType if a != cases[0].expected_action)
    cases[0] = cases[0].model_copy(update={"expected_action": wrong, "expected_root_cause": None})
    dataset = tmp_path / "golden-one-mislabelled.jsonl"
    write_dataset(dataset, cases)
    args = run("--dataset", str(dataset), "--out", str(tmp_path))
    assert main([*args, "--min-agreement", "0"]) == 0
    summary = json.loads((tmp_path / "report.json").read_text())["summary"]
    # The golden set is labelled by the oracle: its acceptable-set agreement is what is gated.
    achieved = summary["acceptable_agreement"]
    assert summary["agreement"] < 1.0 and achieved < 1.0
    capsys.readouterr()

    assert main([*args, "--min-agreement", f"{achieved + 0.01:.4f}"]) == 1
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert last.startswith("gate: FAIL (acceptable to the oracle")


def test_min_agreement_must_be_a_fraction(small_dataset: Path, capsys) -> None:
    assert main(run("--dataset", str(small_dataset), "--min-agreement", "85")) == 2
    assert "--min-agreement must be between 0 and 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [
        ("run", "--concurrency", "0"),
        ("compare", "--concurrency", "-1"),
        ("run", "--concurrency", "two"),
        ("run", "--judge-limit", "0"),
        ("run", "--judge-limit", "-3"),
    ],
)
def test_counts_must_be_positive_whole_numbers(
    small_dataset: Path, tmp_path: Path, command: str, option: str, value: str, capsys
) -> None:
    # --no-store and --out keep a run that wrongly goes ahead from leaving anything behind.
    hermetic = ["--no-store", "--out", str(tmp_path)] if command == "run" else []
    with pytest.raises(SystemExit) as exited:
        main([command, "--quiet", "--dataset", str(small_dataset), *hermetic, option, value])

    assert exited.value.code == 2  # bad input, not 1 (the gate failed)
    err = capsys.readouterr().err
    assert f"argument {option}: must be a whole number of at least 1, got '{value}'" in err


def test_run_gate_fails_above_the_achieved_rate(
    small_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(reasoning.REASONERS, "always-monitor", lambda _s: AlwaysMonitor())
    args = run(
        "--dataset", str(small_dataset), "--reasoner", "always-monitor", "--out", str(tmp_path)
    )
    assert main(args) == 1  # 2 of 12 cases right is far under the 0.60 default


def test_a_failing_case_is_reported_and_the_run_completes(
    small_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    doomed = small_set(per_action=2)[0].id
    monkeypatch.setitem(reasoning.REASONERS, "flaky", lambda _s: FailsOn(doomed))
    code = main(run("--dataset", str(small_dataset), "--reasoner", "flaky", "--out", str(tmp_path)))
    stdout = capsys.readouterr().out
    assert code == 0
    assert f"| {doomed}" in stdout and "ERROR: RuntimeError: provider timed out" in stdout
    assert "| Failed cases                       | 1" in stdout


def test_a_bad_dataset_exits_2_naming_the_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.jsonl"
    good = (REPO / "evals" / "datasets" / "golden.jsonl").read_text().splitlines()[0]
    path.write_text(good + "\n" + good.replace('"Creative Refresh"', '"Refresh Creatives"') + "\n")
    assert main(run("--dataset", str(path))) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl:2: case 'fatigue-search-01': expected_action: unknown action" in err


def test_an_unknown_reasoner_exits_2(small_dataset: Path, capsys) -> None:
    assert main(run("--dataset", str(small_dataset), "--reasoner", "oracle")) == 2
    assert "unknown reasoner 'oracle'; choose one of: " in capsys.readouterr().err


def test_judge_is_skipped_with_a_message_when_not_configured(
    small_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv("JUDGE_MODEL", raising=False)
    main(run("--dataset", str(small_dataset), "--out", str(tmp_path)))
    assert "judge: skipped (no judge model configured; set JUDGE_MODEL" in capsys.readouterr().out


def test_run_is_stored_in_evaluation_runs(small_dataset: Path, tmp_path: Path, capsys) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}"
    args = ["run", "--quiet", "--dataset", str(small_dataset), "--out", str(tmp_path), "--db", db]
    assert main(args) == 0
    assert "evaluation_runs: stored run eval-" in capsys.readouterr().out


def test_compare_prints_the_side_by_side_and_mcnemar(
    small_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setitem(reasoning.REASONERS, "always-monitor", lambda _s: AlwaysMonitor())
    args = ["compare", "--quiet", "--dataset", str(small_dataset), "--reasoner-b", "always-monitor"]
    assert main([*args, "--out", str(tmp_path)]) == 0
    stdout = capsys.readouterr().out
    assert "A = `rules`, B = `always-monitor`" in stdout
    assert "## Paired significance (McNemar)" in stdout and "p = " in stdout
    assert "## Cases where A and B disagree" in stdout
    assert (tmp_path / "comparison.json").exists()


def test_compare_refuses_identical_sides(small_dataset: Path, capsys) -> None:
    assert main(["compare", "--quiet", "--dataset", str(small_dataset)]) == 2
    assert "A and B are both 'rules'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "compare", "outcomes", "export"])
def test_every_subcommand_has_help(command: str, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    assert f"usage: python -m evals {command}" in capsys.readouterr().out


def test_the_module_entry_point_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "evals", "--help"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0
    assert "{run,compare,outcomes,export}" in done.stdout or "COMMAND" in done.stdout
