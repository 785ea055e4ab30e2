"""The optional LLM executive summary against fake OpenAI and Anthropic servers (the official
SDKs on the wire): a summary stating a number the review does not have is discarded and
drafted again once with the reason; a second invented one drops the summary with a note."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from domain.portfolio.model import PortfolioReport
from settings import Settings
from tests.llm.fake_providers import API_KEY, Answer, FakeProvider
from tests.portfolio.records import seed
from tests.portfolio.test_review_workflow import review, worker

# Every number here is in the fixture's review: $2,800.00 spend, 75 conversions, cmp-c's
# $700.00 without a conversion, recommendation #1, the 3 recommendations.
FAITHFUL = (
    "The account spent $2,800.00 for 75 conversions. Campaign cmp-c spent $700.00 without a "
    "single conversion: pausing it is recommendation #1 of 3."
)
# $9,999.00 a week appears nowhere in the review.
INVENTED = "The account spent $2,800.00 for 75 conversions; pausing cmp-c saves $9,999.00 a week."


def summaries(*texts: str) -> list[Answer]:
    return [Answer(data={"summary": text}) for text in texts]


def _brain(schema_name: str, _request: dict[str, Any]) -> dict[str, Any]:
    assert schema_name == "portfolio_summary", schema_name
    return {"summary": FAITHFUL}


@pytest.fixture(scope="module", params=["openai", "anthropic"])
def provider(request) -> Iterator[FakeProvider]:
    fake = FakeProvider(request.param, _brain)
    fake.start()
    yield fake
    fake.stop()


def llm_settings(fake: FakeProvider, task_queue: str) -> Settings:
    return Settings(
        temporal_task_queue=task_queue,
        portfolio_summary_provider=fake.wire,
        llm_base_url=fake.base_url,
        llm_api_key=API_KEY,
        llm_model="gpt-4o-mini" if fake.wire == "openai" else "claude-haiku-4-5",
    )


async def summarized(dev_server, store, task_queue, fake) -> tuple[PortfolioReport, str]:
    await seed(store)
    async with worker(dev_server.client, store, llm_settings(fake, task_queue)):
        result = await review(dev_server.client, task_queue, include_summary=True)
    record = await store.portfolio.get(result.review_id)
    assert record is not None and record.status == "completed"
    return PortfolioReport.model_validate(record.report), record.markdown


async def test_a_faithful_summary_is_kept(dev_server, store, task_queue, provider) -> None:
    provider.reset()
    provider.then(*summaries(FAITHFUL))
    report, markdown = await summarized(dev_server, store, task_queue, provider)

    assert report.executive_summary == FAITHFUL and report.summary_note is None
    assert f"## Executive summary\n\n{FAITHFUL}" in markdown
    (call,) = provider.calls("portfolio_summary")
    assert "<review_data>" in call.user_text and "$2,800.00" in call.user_text


async def test_an_invented_number_is_rejected_and_drafted_again(
    dev_server, store, task_queue, provider
) -> None:
    provider.reset()
    provider.then(*summaries(INVENTED, FAITHFUL))
    report, markdown = await summarized(dev_server, store, task_queue, provider)

    assert report.executive_summary == FAITHFUL  # the second draft
    first, second = provider.calls("portfolio_summary")
    assert "$9,999.00" not in first.user_text
    # The re-ask names the invented number and shows the rejected draft.
    assert "$9,999.00 is not a figure of the review" in second.user_text
    assert "saves $9,999.00 a week" in second.user_text
    assert "9,999" not in markdown


async def test_two_invented_summaries_drop_it_with_a_note(
    dev_server, store, task_queue, provider
) -> None:
    provider.reset()
    provider.then(*summaries(INVENTED, "Conversions grew 42 % this week."))
    report, markdown = await summarized(dev_server, store, task_queue, provider)

    assert report.executive_summary is None
    assert report.summary_note is not None and report.summary_note.startswith("dropped")
    assert "42 %" in report.summary_note  # the numbers the last draft invented
    assert f"_Executive summary: {report.summary_note}_" in markdown
    assert len(provider.calls("portfolio_summary")) == 2


async def test_without_an_llm_the_review_says_so(dev_server, store, task_queue) -> None:
    await seed(store)
    async with worker(dev_server.client, store, Settings(temporal_task_queue=task_queue)):
        result = await review(dev_server.client, task_queue, include_summary=True)
    report = PortfolioReport.model_validate((await store.portfolio.get(result.review_id)).report)

    assert report.executive_summary is None
    assert "LLMNotConfigured" in (report.summary_note or "")
    assert result.summary_note == report.summary_note
