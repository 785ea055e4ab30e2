"""LLM-as-judge: skipped clearly without a model; prompt and scoring parsed strictly."""

from __future__ import annotations

import json

import pytest

from activities.reasoning import RulesReasoner
from domain.lifecycle import LifecyclePolicy
from evals import judge as judge_module
from evals.judge import (
    CRITERIA,
    Judge,
    JudgeResponseError,
    build_prompt,
    judge_from_env,
    parse_verdict,
)
from evals.pipeline import reason_about
from settings import get_settings
from tests.evals.fakes import small_set


def answer(score: int = 4) -> str:
    return json.dumps(
        {
            name: {"score": score, "strengths": ["cites CTR -28 %"], "weaknesses": []}
            for name in CRITERIA
        }
    )


def test_no_judge_model_means_a_clear_skip_message() -> None:
    judge, message = judge_from_env({})
    assert judge is None
    assert message.startswith("judge: skipped (no judge model configured; set JUDGE_MODEL")


def test_a_provider_without_a_client_is_skipped_with_the_reason() -> None:
    judge, message = judge_from_env({"JUDGE_MODEL": "acme:big-model"})
    assert judge is None
    assert "no client for provider 'acme'" in message


def test_a_registered_provider_gives_a_judge(monkeypatch: pytest.MonkeyPatch) -> None:
    async def complete(system: str, user: str) -> str:
        return answer()

    monkeypatch.setitem(judge_module.JUDGE_PROVIDERS, "fake", lambda model: complete)
    judge, message = judge_from_env({"JUDGE_MODEL": "fake:judge-1"})
    assert isinstance(judge, Judge) and judge.model == "fake:judge-1"
    assert message == "judge: fake:judge-1 (judge-v1)"


def test_parse_accepts_fenced_json_and_keeps_strengths() -> None:
    verdict = parse_verdict("c1", f"Here you go:\n```json\n{answer(5)}\n```")
    assert verdict.mean == 5
    assert verdict.scores["evidence_support"].strengths == ["cites CTR -28 %"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("I liked it", "no JSON object"),
        ("{not json}", "invalid JSON"),
        ('{"clarity": {"score": 3}}', "lacks criteria: logical_consistency"),
        (answer(7), "bad judge score (score: Input should be less than or equal to 5)"),
    ],
)
def test_parse_rejects_answers_not_in_the_asked_shape(text: str, message: str) -> None:
    with pytest.raises(JudgeResponseError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_verdict("c1", text)


async def test_judge_all_scores_cases_and_lists_failures() -> None:
    cases = small_set()[:3]
    items = []
    for case in cases:
        result = await reason_about(case.context, RulesReasoner(), LifecyclePolicy())
        items.append((case, result.recommendation))
    prompts: list[str] = []

    async def complete(system: str, user: str) -> str:
        prompts.append(user)
        return "garbage" if len(prompts) == 2 else answer(4)

    summary = await Judge(complete, "fake:judge", concurrency=1).judge_all(items)
    assert summary.judged == 2 and len(summary.failed) == 1
    assert summary.mean_overall == 4 and summary.mean_by_criterion["clarity"] == 4
    assert "no JSON object" in summary.failed[0].error
    # the prompt carries the criteria, the case's data and the recommendation
    assert all(name in prompts[0] for name in CRITERIA)
    assert cases[0].context.campaign.campaign_id in prompts[0]


def test_prompt_shows_the_recommendation_without_noise() -> None:
    case = small_set()[0]
    rec = (
        pytest.importorskip("asyncio")
        .run(reason_about(case.context, RulesReasoner(), LifecyclePolicy()))
        .recommendation
    )
    prompt = build_prompt(case, rec)
    assert rec.specific_action in prompt
    assert "generated_at" not in prompt


def test_the_judge_model_is_read_from_dot_env_like_every_setting(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JUDGE_MODEL", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("JUDGE_MODEL=acme:big-model\n")
    get_settings.cache_clear()
    try:
        judge, message = judge_from_env()
    finally:
        get_settings.cache_clear()

    assert judge is None
    assert "no client for provider 'acme'" in message
