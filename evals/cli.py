"""``python -m evals``: run, compare, outcomes, export.

Exit codes: 0 success (and, for ``run``, the gate passed); 1 the gate failed; 2 bad input
(an invalid dataset, an unknown reasoner, a database that cannot be opened).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from domain.lifecycle import LifecyclePolicy, LifecycleState
from evals.compare import compare_results, render_comparison
from evals.dataset import DatasetError, EvalCase, load_dataset, write_dataset
from evals.harness import DEFAULT_CONCURRENCY, CaseResult, run_cases
from evals.judge import Judge, JudgeSummary, judge_from_env
from evals.progress import ProgressBar
from evals.reasoners import (
    ReasonerChoice,
    ReasonerSetupError,
    known_reasoners,
    make_reasoner,
    prompt_version_note,
)
from evals.report import EvalReport, RunMeta, file_sha256, gate_line, models_of, render_markdown
from evals.report import write_report as write_report_files
from evals.summary import summarize
from settings import get_settings

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATASET = REPO / "evals" / "datasets" / "golden.jsonl"
DEFAULT_REPORTS = REPO / "evals" / "reports"
DEFAULT_MIN_AGREEMENT = 0.60
EXIT_OK, EXIT_GATE_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class CliError(Exception):
    """Bad input: printed without a traceback, exit code 2."""


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evals",
        description="Evaluate reasoners on labelled cases (see evals/README.md).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_run(commands)
    _add_compare(commands)
    _add_outcomes(commands)
    _add_export(commands)
    _add_world(commands)
    return parser


def _positive_int(text: str) -> int:
    """argparse type for counts: a bad value exits 2 with the usage, like any bad argument."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got '{text}'")
    return value


def _common(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--dataset", type=Path, default=DEFAULT_DATASET, help="JSONL dataset (default: golden set)"
    )
    sub.add_argument(
        "--concurrency",
        type=_positive_int,
        default=DEFAULT_CONCURRENCY,
        help=f"cases reasoned about at once (default {DEFAULT_CONCURRENCY})",
    )
    sub.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_run(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "run",
        help="run a dataset through one reasoner and report",
        description=(
            "Run every case through the analysis and recommendation part of the lifecycle "
            "(analyze, recommend, critique, regenerate, guardrails; no human wait), then report "
            "agreement, per-action scores, kappa, calibration, regenerations, latency and cost. "
            "Writes report.json and report.md, stores the run in evaluation_runs, and exits 1 "
            "when agreement (on oracle-labelled cases, such as the golden set: the share "
            "acceptable to the oracle) is under --min-agreement."
        ),
    )
    _common(sub)
    sub.add_argument(
        "--reasoner", default="rules", help=f"reasoner name ({', '.join(known_reasoners())})"
    )
    sub.add_argument("--prompt-version", help="prompt version to run the reasoner with")
    sub.add_argument("--out", type=Path, help=f"report folder (default {DEFAULT_REPORTS}/RUN_ID)")
    sub.add_argument(
        "--min-agreement",
        type=float,
        default=DEFAULT_MIN_AGREEMENT,
        help=f"gate: exit 1 below this agreement (default {DEFAULT_MIN_AGREEMENT})",
    )
    sub.add_argument("--db", help="database URL for evaluation_runs (default DATABASE_URL)")
    sub.add_argument("--no-store", action="store_true", help="do not store the run")
    sub.add_argument("--no-judge", action="store_true", help="skip the LLM judge")
    sub.add_argument(
        "--judge-limit", type=_positive_int, help="judge at most this many cases (at least 1)"
    )


def _add_compare(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "compare",
        help="run two reasoners or prompt versions on the same cases",
        description=(
            "Run A and B on the same cases and print a side-by-side table, the agreement "
            "difference with McNemar's paired test, and the cases where they disagree. "
            "B defaults to A's reasoner, so two prompt versions need only --prompt-version-a/-b."
        ),
    )
    _common(sub)
    sub.add_argument("--reasoner-a", default="rules", help="reasoner A (default rules)")
    sub.add_argument("--reasoner-b", help="reasoner B (default: the same as A)")
    sub.add_argument("--prompt-version-a", help="prompt version for A")
    sub.add_argument("--prompt-version-b", help="prompt version for B")
    sub.add_argument("--out", type=Path, help="also write comparison.md and comparison.json here")


def _add_outcomes(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "outcomes",
        help="outcome metrics of stored lifecycle runs",
        description=(
            "Acceptance rate, positive-impact rate when followed, average improvement and the "
            "false-positive rate (seed target < 20 %%) over the runs in the database."
        ),
    )
    sub.add_argument("--db", help="database URL (default DATABASE_URL)")
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")


def _add_export(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "export",
        help="export outcome-labelled cases from completed runs",
        description=(
            "Write the runs whose approved action reached its expected impact 3 days later as "
            "an eval dataset (JSONL), labelled with the action taken."
        ),
    )
    sub.add_argument("--db", help="database URL (default DATABASE_URL)")
    sub.add_argument("--out", type=Path, required=True, help="JSONL file to write")


def _add_world(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "world",
        help="run a reasoner on a seeded simulated world, judged by the counterfactual oracle",
        description=(
            "Generate --campaigns campaigns from --seed in the simulator, collect each context "
            "as the workflow does, run the reasoner, and judge it against the oracle (each "
            "action's expected profit over the outcome window): acceptable-set and best "
            "agreement, regret (total, mean, %% of the best) against always-Continue and a "
            "random policy, confusion, calibration of confidence against 'acceptable', and the "
            "outcome verdict's agreement with the oracle. Writes report.md, report.json, "
            "reliability.png and regret_by_action.png, and stores the run in evaluation_runs."
        ),
    )
    sub.add_argument("--campaigns", type=_positive_int, default=300, help="campaigns (300)")
    sub.add_argument("--seed", type=int, default=9002, help="world seed (9002, an untuned seed)")
    sub.add_argument(
        "--reasoner", default="rules", help=f"reasoner name ({', '.join(known_reasoners())})"
    )
    sub.add_argument("--prompt-version", help="prompt version to run the reasoner with")
    sub.add_argument(
        "--replications", type=_positive_int, default=20, help="oracle replications (20)"
    )
    sub.add_argument(
        "--concurrency",
        type=_positive_int,
        default=DEFAULT_CONCURRENCY,
        help=f"cases reasoned about at once (default {DEFAULT_CONCURRENCY})",
    )
    sub.add_argument("--out", type=Path, help=f"report folder (default {DEFAULT_REPORTS}/RUN_ID)")
    sub.add_argument("--db", help="database URL for evaluation_runs (default DATABASE_URL)")
    sub.add_argument("--no-store", action="store_true", help="do not store the run")
    sub.add_argument("--quiet", action="store_true", help="no progress on stderr")


# --------------------------------------------------------------------------- commands


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = {
        "run": cmd_run,
        "compare": cmd_compare,
        "outcomes": cmd_outcomes,
        "export": cmd_export,
        "world": cmd_world,
    }[args.command]
    try:
        return asyncio.run(handler(args))
    except (CliError, DatasetError, ReasonerSetupError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _policy() -> LifecyclePolicy:
    """The thresholds, guardrails and regeneration budget the worker would use (settings)."""
    return get_settings().lifecycle_policy()


async def _run_choice(
    cases: list[EvalCase],
    choice: ReasonerChoice,
    policy: LifecyclePolicy,
    args: argparse.Namespace,
) -> list[CaseResult]:
    note = prompt_version_note(choice)
    if note:
        print(note, file=sys.stderr)
    reasoner = make_reasoner(choice)
    progress = None if args.quiet else ProgressBar(choice.label)
    return await run_cases(cases, reasoner, policy, args.concurrency, progress)


def _run_id(label: str, started: datetime) -> str:
    safe = re.sub(r"[^A-Za-z0-9.-]+", "-", label)
    return f"eval-{started:%Y%m%dT%H%M%SZ}-{safe}-{uuid.uuid4().hex[:6]}"


async def cmd_run(args: argparse.Namespace) -> int:
    if not 0 <= args.min_agreement <= 1:
        raise CliError("--min-agreement must be between 0 and 1")
    cases = load_dataset(args.dataset)  # DatasetError names every bad line
    choice = ReasonerChoice(args.reasoner, args.prompt_version)
    policy = _policy()
    started = datetime.now(UTC)
    results = await _run_choice(cases, choice, policy, args)
    judge, judge_note = await _maybe_judge(args, cases, results)
    summary = summarize(results)
    report = EvalReport(
        meta=RunMeta(
            run_id=_run_id(choice.label, started),
            dataset=str(args.dataset),
            dataset_sha256=file_sha256(args.dataset),
            reasoner=args.reasoner,
            prompt_version=args.prompt_version,
            models=models_of(results),
            started_at=started,
            finished_at=datetime.now(UTC),
            concurrency=args.concurrency,
            min_agreement=args.min_agreement,
            policy=policy,
        ),
        gate_passed=gate_figure(summary) >= args.min_agreement,
        summary=summary,
        judge=judge,
        judge_note=judge_note,
        cases=results,
    )
    out_dir = args.out or DEFAULT_REPORTS / report.meta.run_id
    json_path, md_path = write_report_files(report, out_dir)
    print(render_markdown(report, guide=False))
    print(f"reports: {md_path} and {json_path}")
    if not args.no_store:
        print(await _store(args.db, report, str(md_path)))
    print(gate_line(report))
    return EXIT_OK if report.gate_passed else EXIT_GATE_FAILED


async def _maybe_judge(
    args: argparse.Namespace, cases: list[EvalCase], results: list[CaseResult]
) -> tuple[JudgeSummary | None, str]:
    if args.no_judge:
        return None, "judge: skipped (--no-judge)"
    judge, note = judge_from_env()
    if judge is None:
        return None, note  # the report says why
    print(note, file=sys.stderr)
    return await _judge(judge, cases, results, args.judge_limit), note


async def _judge(
    judge: Judge, cases: list[EvalCase], results: list[CaseResult], limit: int | None
) -> JudgeSummary:
    by_id = {case.id: case for case in cases}
    items = [(by_id[r.case_id], r.recommendation) for r in results if r.recommendation]
    return await judge.judge_all(items if limit is None else items[:limit])


async def _store(db: str | None, report: EvalReport, report_path: str) -> str:
    from evals.storage import save_run  # imports the store only when storing

    try:
        saved = await save_run(db or get_settings().database_url, report, report_path)
    except Exception as err:  # the reports are written; a storage problem must not hide them
        return f"evaluation_runs: not stored ({type(err).__name__}: {err})"
    return saved.message


async def cmd_compare(args: argparse.Namespace) -> int:
    cases = load_dataset(args.dataset)
    choice_a = ReasonerChoice(args.reasoner_a, args.prompt_version_a)
    choice_b = ReasonerChoice(args.reasoner_b or args.reasoner_a, args.prompt_version_b)
    if choice_a.label == choice_b.label:
        raise CliError(f"A and B are both {choice_a.label!r}: change a reasoner or prompt version")
    policy = _policy()
    results_a = await _run_choice(cases, choice_a, policy, args)
    results_b = await _run_choice(cases, choice_b, policy, args)
    comparison = compare_results(
        str(args.dataset), choice_a.label, results_a, choice_b.label, results_b
    )
    text = render_comparison(comparison)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "comparison.md").write_text(text, encoding="utf-8")
        (args.out / "comparison.json").write_text(
            comparison.model_dump_json(indent=2), encoding="utf-8"
        )
        print(f"wrote {args.out / 'comparison.md'} and {args.out / 'comparison.json'}")
    return EXIT_OK


async def _stored_states(db: str | None) -> list[LifecycleState]:
    from evals.outcomes import load_states
    from store import open_store

    try:
        store = await open_store(db or get_settings().database_url)
    except Exception as err:
        raise CliError(f"cannot open the database: {type(err).__name__}: {err}") from err
    try:
        return await load_states(store)
    finally:
        await store.close()


async def cmd_outcomes(args: argparse.Namespace) -> int:
    from evals.outcomes import outcome_metrics, render_outcomes

    metrics = outcome_metrics(await _stored_states(args.db))
    print(metrics.model_dump_json(indent=2) if args.json else render_outcomes(metrics))
    return EXIT_OK


async def cmd_export(args: argparse.Namespace) -> int:
    from evals.outcomes import labelled_cases

    result = labelled_cases(await _stored_states(args.db))
    if result.cases:
        write_dataset(args.out, result.cases)
        print(f"wrote {len(result.cases)} outcome-labelled case(s) to {args.out}")
    else:
        print("no outcome-labelled cases to export; nothing written")
    skipped = {
        "without a stored context snapshot": result.without_context,
        "whose outcome failed (they say what was wrong, not what is right)": result.unsuccessful,
        "not measured yet": result.not_measured,
    }
    for reason, count in skipped.items():
        if count:
            print(f"skipped {count} approved run(s) {reason}")
    return EXIT_OK


def gate_figure(summary) -> float:
    """What --min-agreement gates: acceptable-set agreement when the cases carry the oracle's
    acceptable sets, else agreement with the expected action."""
    if summary.acceptable_agreement is not None:
        return summary.acceptable_agreement
    return summary.agreement


async def cmd_world(args: argparse.Namespace) -> int:
    from evals.world import build_cases, outcome_agreement, score
    from evals.world_report import WorldMeta, WorldReport, render_markdown, store_run, write_report

    if args.replications < 2:
        raise CliError("--replications must be at least 2")
    choice = ReasonerChoice(args.reasoner, args.prompt_version)
    reasoner = make_reasoner(choice)  # an unknown reasoner fails before the world is built
    started = datetime.now(UTC)

    def built(done: int, total: int) -> None:
        if not args.quiet and (done == total or done % 25 == 0):
            print(f"world: {done}/{total} campaigns collected and valued", file=sys.stderr)

    cases, state = await build_cases(
        args.seed, args.campaigns, replications=args.replications, progress=built
    )
    labelled = [
        EvalCase(id=case.id, context=case.context, expected_action=case.best) for case in cases
    ]
    progress = None if args.quiet else ProgressBar(choice.label)
    results = await run_cases(labelled, reasoner, _policy(), args.concurrency, progress)
    summary = score(cases, [(r.predicted_action, r.confidence) for r in results])
    summary.outcome = outcome_agreement(state, cases, [r.recommendation for r in results])
    run_id = _run_id(f"world-{choice.label}", started)
    report = WorldReport(
        meta=WorldMeta(
            run_id=run_id,
            seed=args.seed,
            campaigns=args.campaigns,
            replications=args.replications,
            reasoner=args.reasoner,
            prompt_version=args.prompt_version,
            started_at=started,
            finished_at=datetime.now(UTC),
        ),
        summary=summary,
        cases=[
            {
                "id": case.id,
                "best": case.best,
                "acceptable": case.acceptable,
                "predicted": r.predicted_action,
                "confidence": r.confidence,
                "regret": case.regret_of(r.predicted_action) if r.predicted_action else None,
                "error": r.error,
            }
            for case, r in zip(cases, results, strict=True)
        ],
    )
    out_dir = args.out or DEFAULT_REPORTS / run_id
    json_path, md_path, charts = write_report(report, out_dir)
    print(render_markdown(report))
    print(f"reports: {md_path}, {json_path}, " + ", ".join(str(c) for c in charts))
    if not args.no_store:
        try:
            print(
                await store_run(args.db or get_settings().database_url, report, str(md_path), True)
            )
        except Exception as err:  # the reports are written; a storage problem must not hide them
            print(f"evaluation_runs: not stored ({type(err).__name__}: {err})")
    return EXIT_OK
