"""Streaming through the real SDKs against the fakes' server-sent events: text, exact usage, failures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import load_config
from bot.providers import build_providers
from commands.errors import ProviderError
from commands.providers import Provider, TokenCounts, Turn
from tests.fakes.models import FakeAnthropic, FakeOpenAI, closed_port_url

MODELS = (("anthropic", "claude-haiku-4-5"), ("openai", "gpt-5.4"))
TURNS = (Turn("user", "hi"), Turn("assistant", "hello"), Turn("user", "shorter"))


@pytest.fixture
def models() -> Iterator[tuple[FakeAnthropic, FakeOpenAI]]:
    with FakeAnthropic() as fake_anthropic, FakeOpenAI() as fake_openai:
        yield fake_anthropic, fake_openai


def _providers(models: tuple[FakeAnthropic, FakeOpenAI], **env: str) -> dict[str, Provider]:
    fake_anthropic, fake_openai = models
    return build_providers(
        load_config(
            {
                "ANTHROPIC_API_KEY": "sk-ant-test",
                "ANTHROPIC_BASE_URL": env.pop("ANTHROPIC_BASE_URL", fake_anthropic.url.rstrip("/")),
                "OPENAI_API_KEY": "sk-openai-test",
                "OPENAI_BASE_URL": env.pop("OPENAI_BASE_URL", fake_openai.url + "v1"),
                "ROUTEBOT_PROVIDER_MAX_RETRIES": "0",
                "ROUTEBOT_PROVIDER_TIMEOUT": "10",
                **env,
            }
        )
    )


def test_both_stream_the_text_in_pieces_and_report_the_streams_usage(
    models: tuple[FakeAnthropic, FakeOpenAI],
) -> None:
    fake_anthropic, fake_openai = models
    fake_anthropic.reply(
        "one two three",
        {
            "input_tokens": 40,
            "output_tokens": 3,
            "cache_read_input_tokens": 7,
            "cache_creation_input_tokens": 2,
        },
    )
    fake_openai.reply(
        "one two three", {"input_tokens": 40, "output_tokens": 9, "cached_tokens": 7, "reasoning_tokens": 6}
    )
    providers = _providers(models)
    expected = {
        "anthropic": TokenCounts(40, 3, cache_read_tokens=7, cache_write_tokens=2),
        "openai": TokenCounts(40, 9, cache_read_tokens=7, reasoning_tokens=6),
    }
    for name, model in MODELS:
        pieces: list[str] = []
        done = providers[name].stream(model=model, effort="high", turns=TURNS, on_text=pieces.append)
        assert pieces == ["one ", "two ", "three"] and done.text == "one two three"
        assert done.tokens == expected[name]
    sent_anthropic, sent_openai = fake_anthropic.requests[0].body, fake_openai.requests[0].body
    assert sent_anthropic["stream"] is True and sent_anthropic["output_config"] == {"effort": "high"}
    assert [m["role"] for m in sent_anthropic["messages"]] == ["user", "assistant", "user"]
    assert sent_openai["stream"] is True and sent_openai["reasoning"] == {"effort": "high"}
    assert sent_openai["input"][2] == {"role": "user", "content": "shorter"}


@pytest.mark.parametrize(
    ("status", "kind"), [(429, "rate_limit"), (529, "unavailable"), (401, "auth"), (400, "bad_request")]
)
def test_an_http_error_before_the_stream_is_classified_as_for_a_plain_call(
    models: tuple[FakeAnthropic, FakeOpenAI], status: int, kind: str
) -> None:
    for fake in models:
        fake.fail(status)
    providers = _providers(models)
    for name, model in MODELS:
        with pytest.raises(ProviderError) as failed:
            providers[name].stream(model=model, effort=None, turns=TURNS, on_text=lambda _t: None)
        assert failed.value.kind == kind and not failed.value.partial


def test_a_failure_before_the_first_token_is_retried(models: tuple[FakeAnthropic, FakeOpenAI]) -> None:
    for fake in models:
        fake.reply("fine")
        fake.fail(500, times=1, retry_after=0)
    providers = _providers(models, ROUTEBOT_PROVIDER_MAX_RETRIES="1")
    for name, model in MODELS:
        assert (
            providers[name].stream(model=model, effort=None, turns=TURNS, on_text=lambda _t: None).text
            == "fine"
        )


@pytest.mark.parametrize(("breakage", "kind"), [("fail_after", "unavailable"), ("cut_after", "connection")])
def test_a_break_mid_stream_is_reported_at_once_as_partial_not_retried(
    models: tuple[FakeAnthropic, FakeOpenAI], breakage: str, kind: str
) -> None:
    for fake in models:
        fake.reply("a b c d e f")
        setattr(fake, breakage, 3)
    providers = _providers(models, ROUTEBOT_PROVIDER_MAX_RETRIES="2")
    for name, model in MODELS:
        pieces: list[str] = []
        with pytest.raises(ProviderError) as failed:
            providers[name].stream(model=model, effort=None, turns=TURNS, on_text=pieces.append)
        assert "".join(pieces) == "a b c " and failed.value.partial and failed.value.kind == kind
        assert "what arrived is kept" in failed.value.message
    assert len(models[0].requests) == len(models[1].requests) == 1  # a retry would repeat the text


def test_an_error_event_before_any_text_is_a_failure_without_partial_text(
    models: tuple[FakeAnthropic, FakeOpenAI],
) -> None:
    for fake in models:
        fake.fail_after = 0
    providers = _providers(models)
    for name, model in MODELS:
        with pytest.raises(ProviderError) as failed:
            providers[name].stream(model=model, effort=None, turns=TURNS, on_text=lambda _t: None)
        assert failed.value.kind == "unavailable" and not failed.value.partial


def test_connection_refused_is_reported_as_connection(models: tuple[FakeAnthropic, FakeOpenAI]) -> None:
    dead = closed_port_url()
    providers = _providers(models, ANTHROPIC_BASE_URL=dead, OPENAI_BASE_URL=dead + "v1")
    for name, model in MODELS:
        with pytest.raises(ProviderError) as failed:
            providers[name].stream(model=model, effort=None, turns=TURNS, on_text=lambda _t: None)
        assert failed.value.kind == "connection"
