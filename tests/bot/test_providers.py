"""Provider errors are classified by the SDKs' own exception types: the real SDKs against the local fakes."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import pytest

from bot.config import load_config
from bot.providers import ADAPTERS, anthropic_provider, build_providers, openai_provider
from bot.providers.retrying import classify
from commands.errors import ProviderError
from commands.policy import PROVIDERS
from commands.providers import Completion, Turn
from tests.fakes.models import FakeAnthropic, FakeOpenAI, closed_port_url

CASES = [  # (HTTP status the fake answers, routebot's kind, whether a Retry may help)
    (429, "rate_limit", True),
    (500, "unavailable", True),
    (529, "unavailable", True),  # Anthropic's "overloaded"
    (401, "auth", False),
    (403, "permission", False),
    (404, "not_found", False),
    (400, "bad_request", False),
]

MODELS = (("anthropic", "claude-haiku-4-5"), ("openai", "gpt-5.4"))


@pytest.fixture
def models() -> Iterator[tuple[FakeAnthropic, FakeOpenAI]]:
    with FakeAnthropic() as fake_anthropic, FakeOpenAI() as fake_openai:
        yield fake_anthropic, fake_openai


def _providers(anthropic_url: str, openai_url: str, **env: str):  # type: ignore[no-untyped-def]
    config = load_config(
        {
            "ANTHROPIC_API_KEY": "sk-ant-test",
            "ANTHROPIC_BASE_URL": anthropic_url,
            "OPENAI_API_KEY": "sk-openai-test",
            "OPENAI_BASE_URL": openai_url,
            "ROUTEBOT_PROVIDER_MAX_RETRIES": "0",
            "ROUTEBOT_PROVIDER_TIMEOUT": "5",
            **env,
        }
    )
    return build_providers(config)


def _ask(provider, model: str) -> Completion:  # type: ignore[no-untyped-def]
    """One turn, "hi", streamed as every run is; the text pieces are dropped."""
    return provider.stream(model=model, effort=None, turns=[Turn("user", "hi")], on_text=lambda _text: None)


def test_every_policy_provider_has_an_adapter() -> None:
    assert set(ADAPTERS) == set(PROVIDERS)


@pytest.mark.parametrize(("status", "kind", "retryable"), CASES)
def test_http_errors_become_the_kind_their_sdk_exception_names(
    models: tuple[FakeAnthropic, FakeOpenAI], status: int, kind: str, retryable: bool
) -> None:
    fake_anthropic, fake_openai = models
    providers = _providers(fake_anthropic.url.rstrip("/"), fake_openai.url + "v1")
    for fake in models:
        fake.fail(status)
    for name, model in MODELS:
        with pytest.raises(ProviderError) as failed:
            _ask(providers[name], model)
        assert (failed.value.provider, failed.value.kind, failed.value.retryable) == (name, kind, retryable)


def _anthropic_call(base_url: str) -> object:
    client = anthropic.Anthropic(api_key="k", base_url=base_url, max_retries=0, timeout=5)
    return client.messages.create(
        model="claude-haiku-4-5", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    )


def _openai_call(base_url: str) -> object:
    client = openai.OpenAI(api_key="k", base_url=base_url + "v1", max_retries=0, timeout=5)
    return client.responses.create(model="gpt-5.4", input="hi")


@pytest.mark.parametrize(
    ("sdk", "errors", "call"),
    [
        (anthropic, anthropic_provider.ERRORS, _anthropic_call),
        (openai, openai_provider.ERRORS, _openai_call),
    ],
)
def test_the_sdk_raises_its_own_types_and_those_are_what_is_classified(  # type: ignore[no-untyped-def]
    models: tuple[FakeAnthropic, FakeOpenAI], sdk, errors, call
) -> None:
    fake = models[0] if sdk is anthropic else models[1]
    fake.fail(429, times=1, retry_after=3)
    with pytest.raises(sdk.RateLimitError) as limited:
        call(fake.url)
    assert classify(limited.value, errors) == ("rate_limit", 3.0, 429)
    fake.fail(529, times=1)
    with pytest.raises(sdk.InternalServerError) as overloaded:
        call(fake.url)
    assert classify(overloaded.value, errors) == ("unavailable", None, 529)
    with pytest.raises(sdk.APIConnectionError) as unreachable:
        call(closed_port_url())
    assert classify(unreachable.value, errors) == ("connection", None, None)


def test_an_exception_the_sdk_did_not_raise_is_not_taken_for_one_by_its_name() -> None:
    class APIConnectionError(Exception):  # named like the SDKs' class, but not theirs
        status_code = 429

    assert classify(APIConnectionError(), anthropic_provider.ERRORS) is None
    assert classify(TimeoutError(), openai_provider.ERRORS) is None


def test_connection_refused_and_timeouts_are_retried_then_reported(
    models: tuple[FakeAnthropic, FakeOpenAI],
) -> None:
    fake_anthropic, fake_openai = models
    dead = closed_port_url()
    providers = _providers(dead, dead + "v1", ROUTEBOT_PROVIDER_MAX_RETRIES="1")
    for name, model in MODELS:
        with pytest.raises(ProviderError) as failed:
            _ask(providers[name], model)
        assert (failed.value.kind, failed.value.retryable) == ("connection", True)
    fake_anthropic.hang = fake_openai.hang = True
    slow = _providers(fake_anthropic.url.rstrip("/"), fake_openai.url + "v1", ROUTEBOT_PROVIDER_TIMEOUT="0.3")
    for name, model in MODELS:
        with pytest.raises(ProviderError) as failed:
            _ask(slow[name], model)
        assert failed.value.kind == "timeout"


def test_a_server_error_is_retried_and_the_answer_returned(models: tuple[FakeAnthropic, FakeOpenAI]) -> None:
    fake_anthropic, fake_openai = models
    providers = _providers(
        fake_anthropic.url.rstrip("/"), fake_openai.url + "v1", ROUTEBOT_PROVIDER_MAX_RETRIES="1"
    )
    for fake in models:
        fake.reply("fine")
        fake.fail(500, times=1, retry_after=0)
    for name, model in MODELS:
        assert _ask(providers[name], model).text == "fine"
    assert len(fake_anthropic.requests) == len(fake_openai.requests) == 2
