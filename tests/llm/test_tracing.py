"""LLM spans: model, tokens, cost and prompt version as GenAI attributes, never the prompt text
unless OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT turns it on."""

from __future__ import annotations

import json

import pytest
from opentelemetry.trace import SpanKind, StatusCode
from temporalio.exceptions import ApplicationError

from activities.llm.reasoner import LLMReasoner
from activities.reasoning import build_reasoner, close_reasoner
from domain.lifecycle import AnalysisInput, LifecyclePolicy
from tests.llm.fake_providers import FakeProvider, HttpError
from tests.llm.harness import llm_settings
from tests.llm.test_reasoner import context
from tests.tracing import traced

CAMPAIGN_NAME = "Spring sale - secret launch plan"


async def analyze_once(settings) -> None:
    reasoner = build_reasoner(settings)
    assert isinstance(reasoner, LLMReasoner)
    try:
        await reasoner.analyze(
            AnalysisInput(
                thresholds=LifecyclePolicy().thresholds,
                context=context(campaign_name=CAMPAIGN_NAME),
            )
        )
    finally:
        await close_reasoner(reasoner)


def llm_spans(exporter):
    return [s for s in exporter.get_finished_spans() if "gen_ai.operation.name" in s.attributes]


async def test_an_llm_span_carries_model_tokens_cost_and_prompt_version(
    fake: FakeProvider,
) -> None:
    settings = llm_settings(fake, llm_model="gpt-4o-mini")
    with traced(settings) as exporter:
        await analyze_once(settings)
    (span,) = llm_spans(exporter)
    attrs = span.attributes
    assert span.name == "chat gpt-4o-mini" and span.kind is SpanKind.CLIENT
    assert attrs["gen_ai.provider.name"] == fake.wire
    assert attrs["gen_ai.request.model"] == "gpt-4o-mini"
    assert attrs["gen_ai.response.model"]
    assert attrs["gen_ai.usage.input_tokens"] > 0 and attrs["gen_ai.usage.output_tokens"] > 0
    assert attrs["marketing_agent.llm.cost_usd"] > 0
    assert attrs["marketing_agent.prompt.name"] == "signal_analysis"
    assert attrs["marketing_agent.prompt.version"].startswith("v")
    # The SDK's HTTP call is traced inside the LLM span.
    http = [
        s
        for s in exporter.get_finished_spans()
        if s.parent and s.parent.span_id == span.context.span_id
    ]
    assert [
        s.attributes.get("http.request.method", s.attributes.get("http.method")) for s in http
    ] == ["POST"]
    # No campaign data anywhere on the span unless asked for.
    assert CAMPAIGN_NAME not in json.dumps(dict(attrs))
    assert not any(key.startswith("gen_ai.input") for key in attrs)


async def test_prompt_text_is_recorded_only_when_the_setting_asks(
    openai_fake: FakeProvider,
) -> None:
    settings = llm_settings(openai_fake, otel_instrumentation_genai_capture_message_content=True)
    with traced(settings) as exporter:
        await analyze_once(settings)
    (span,) = llm_spans(exporter)
    (message,) = json.loads(span.attributes["gen_ai.input.messages"])
    assert message["role"] == "user"
    assert CAMPAIGN_NAME in message["parts"][0]["content"]
    assert json.loads(span.attributes["gen_ai.system_instructions"])[0]["content"]
    assert json.loads(span.attributes["gen_ai.output.messages"])[0]["role"] == "assistant"


async def test_a_failed_call_is_an_error_span_with_its_type(openai_fake: FakeProvider) -> None:
    openai_fake.then(HttpError(401))
    settings = llm_settings(openai_fake)
    with traced(settings) as exporter:
        with pytest.raises(ApplicationError):
            await analyze_once(settings)
    (span,) = llm_spans(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"]
