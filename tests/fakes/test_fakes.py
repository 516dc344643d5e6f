"""Proof that each fake works with the real clients (slack_sdk, slack_bolt, anthropic, openai).

Why: if a fake drifts from what the SDKs send or parse, every test built on it lies; these checks
pin the wire contract. Model-API replies are parsed with ``_strict_response_validation=True`` so a
missing required field fails here instead of silently becoming ``None`` in the bot.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import anthropic
import openai
import pytest
from slack_bolt import Ack, App, BoltResponse, Respond, Say
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from .http import FakeHTTPServer, Incoming, Reply, closed_port_url
from .models import FakeAnthropic, FakeOpenAI
from .slack import FakeSlack
from .slack_requests import (
    actions_from_blocks,
    app_home_opened,
    block_action,
    bolt_request,
    click,
    post,
    sign,
    slash_command,
    view_submission,
)

SECRET = "test-signing-secret"
MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "hi"}]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake
    assert not fake.errors, fake.errors


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.api_url, timeout=5)


@pytest.fixture
def claude() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake
    assert not fake.errors, fake.errors


@pytest.fixture
def gpt() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake
    assert not fake.errors, fake.errors


def anthropic_client(url: str, **kwargs: Any) -> anthropic.Anthropic:
    kwargs.setdefault("max_retries", 0)
    return anthropic.Anthropic(api_key="k", base_url=url, _strict_response_validation=True, **kwargs)


def openai_client(url: str, **kwargs: Any) -> openai.OpenAI:
    kwargs.setdefault("max_retries", 0)
    return openai.OpenAI(api_key="k", base_url=url + "v1", _strict_response_validation=True, **kwargs)


# -- FakeSlack with WebClient ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["api/", "api"])
def test_post_message_is_recorded_and_answered(slack: FakeSlack, suffix: str) -> None:
    client = WebClient(token="xoxb-test", base_url=slack.url + suffix)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = client.chat_postMessage(channel="C1", text="hi", blocks=blocks)
    second = client.chat_postMessage(channel="C1", text="again", thread_ts=first["ts"])
    assert first["ok"] and first["channel"] == "C1"
    assert first["message"]["blocks"] == blocks and first["message"]["bot_id"] == "BBOT"
    assert first["ts"] < second["ts"] and len(first["ts"]) == len(second["ts"]) == len("1700000000.000100")
    calls = slack.calls("chat.postMessage")
    assert [c.args["text"] for c in calls] == ["hi", "again"]
    assert calls[1].args["thread_ts"] == first["ts"]
    assert calls[0].headers["authorization"] == "Bearer xoxb-test"


def test_standard_answers(slack: FakeSlack, client: WebClient) -> None:
    slack.admins.add("UADMIN")
    slack.channel_names["C9"] = "routing"
    auth = client.auth_test()
    assert (auth["user_id"], auth["bot_id"], auth["team_id"]) == ("UBOT", "BBOT", "T1")
    assert client.users_info(user="UADMIN")["user"]["is_admin"] is True
    assert client.users_info(user="U2")["user"]["is_admin"] is False
    assert client.conversations_info(channel="C9")["channel"]["name"] == "routing"
    assert client.chat_update(channel="C1", ts="1.2", text="x")["ts"] == "1.2"
    assert client.chat_postEphemeral(channel="C1", user="U2", text="x")["message_ts"]
    opened = client.views_open(trigger_id="t", view={"type": "modal", "callback_id": "cb", "blocks": []})
    assert opened["view"]["id"].startswith("V") and opened["view"]["callback_id"] == "cb"
    home = client.views_publish(user_id="U2", view={"type": "home", "blocks": []})
    assert home["view"]["type"] == "home"
    assert client.reactions_add(channel="C1", timestamp="1.2", name="eyes")["ok"]


def test_missing_token_is_not_authed(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=slack.api_url).chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "not_authed"


def test_fail_by_channel_and_times(slack: FakeSlack, client: WebClient) -> None:
    slack.fail("chat.postMessage", "not_in_channel", times=1, channel="C2")
    assert client.chat_postMessage(channel="C1", text="ok")["ok"]
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C2", text="nope")
    assert err.value.response.status_code == 200
    assert err.value.response["error"] == "not_in_channel"
    assert client.chat_postMessage(channel="C2", text="ok now")["ok"]
    assert [c.error for c in slack.calls("chat.postMessage")] == [None, "not_in_channel", None]


def test_rate_limit_answers_429_with_retry_after(slack: FakeSlack, client: WebClient) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=1)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "1"
    assert err.value.response["error"] == "ratelimited"
    slack.clear_failures()
    assert client.chat_postMessage(channel="C1", text="x")["ok"]


def test_response_url(slack: FakeSlack) -> None:
    url = slack.response_url("cmd1")
    assert url == slack.url + "response/cmd1"
    sent = WebhookClient(url).send(text="done", response_type="ephemeral", replace_original=False)
    assert (sent.status_code, sent.body) == (200, "ok")
    (call,) = slack.wait_for("response_url")
    assert call.args == {"text": "done", "response_type": "ephemeral", "replace_original": False}


def test_files_upload_v2(slack: FakeSlack, client: WebClient) -> None:
    result = client.files_upload_v2(channel="C1", content="a,b\n1,2\n", filename="routes.csv", title="Routes")
    assert result["file"]["name"] == "routes.csv" and result["file"]["size"] == 8
    (upload,) = slack.calls("upload")
    assert upload.args["size"] == 8 and slack.uploads[upload.args["file_id"]] == b"a,b\n1,2\n"
    (done,) = slack.calls("files.completeUploadExternal")
    assert done.args["channel_id"] == "C1" and done.args["files"][0]["title"] == "Routes"


def test_wait_for_reports_what_was_recorded(slack: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="x")
    with pytest.raises(AssertionError, match=r"chat\.postMessage"):
        slack.wait_for("chat.update", timeout=0.05)
    assert slack.wait_for("chat.postMessage", predicate=lambda c: c.args["text"] == "x")
    slack.clear()
    assert slack.calls() == []


def test_fifty_concurrent_clients(slack: FakeSlack) -> None:
    results: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        ts = WebClient(token="xoxb-test", base_url=slack.api_url).chat_postMessage(channel="C1", text=str(i))[
            "ts"
        ]
        with lock:
            results.append(ts)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(set(results)) == 50


# -- signed requests and a real Bolt App ----------------------------------------------------------


def test_signed_slash_command_verifies(slack: FakeSlack) -> None:
    body = slash_command("/route", "status now", user_id="U7", response_url=slack.response_url())
    headers = sign(body, SECRET)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    fields = parse_qs(body)
    assert (
        fields["command"] == ["/route"] and fields["text"] == ["status now"] and fields["user_id"] == ["U7"]
    )
    other = slash_command("/route", "", response_url=slack.response_url())
    assert parse_qs(other)["trigger_id"] != fields["trigger_id"]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sign("{}", SECRET)["Content-Type"] == "application/json"


def test_actions_from_blocks_finds_buttons() -> None:
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "x"}},
        {
            "type": "section",
            "block_id": "s1",
            "text": {"type": "mrkdwn", "text": "y"},
            "accessory": {
                "type": "button",
                "action_id": "more",
                "text": {"type": "plain_text", "text": "More"},
            },
        },
        {
            "type": "actions",
            "block_id": "a1",
            "elements": [
                {
                    "type": "button",
                    "action_id": "ok",
                    "value": "1",
                    "text": {"type": "plain_text", "text": "OK"},
                },
                {"type": "static_select", "action_id": "pick"},
            ],
        },
    ]
    found = actions_from_blocks(json.dumps(blocks))
    assert [(b["action_id"], b["block_id"], b["label"]) for b in found] == [
        ("more", "s1", "More"),
        ("ok", "a1", "OK"),
    ]


def _app(slack: FakeSlack) -> App:
    app = App(signing_secret=SECRET, client=WebClient(token="xoxb-test", base_url=slack.api_url))

    @app.command("/route")
    def route(ack: Ack, command: dict[str, Any], say: Say, respond: Respond) -> None:
        ack()
        respond(f"got {command['text']}")
        say(
            text="pick",
            blocks=[
                {
                    "type": "actions",
                    "block_id": "choice",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "approve",
                            "value": "r-42",
                            "text": {"type": "plain_text", "text": "Approve"},
                        }
                    ],
                }
            ],
        )

    @app.action("approve")
    def approve(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        client.chat_update(
            channel=body["channel"]["id"], ts=body["message"]["ts"], text=f"ok {action['value']}"
        )

    @app.view("edit")
    def edit(ack: Ack, view: dict[str, Any]) -> None:
        value = view["state"]["values"]["b"]["a"]["value"]
        ack(response_action="errors", errors={"b": f"bad {value} {view['private_metadata']}"})

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    return app


def test_bolt_app_round_trip(slack: FakeSlack) -> None:
    app = _app(slack)
    body = slash_command("/route", "status", channel_id="C5", response_url=slack.response_url("r1"))
    assert app.dispatch(bolt_request(body, SECRET)).status == 200
    (said,) = slack.wait_for("chat.postMessage")
    (responded,) = slack.wait_for("response_url")
    assert responded.args["text"] == "got status" and said.args["channel"] == "C5"

    (button,) = actions_from_blocks(said.args["blocks"])
    ts = "1700000000.000100"
    clicked = click(
        button, channel_id="C5", message_ts=ts, response_url=slack.response_url("r2"), message=said.args
    )
    assert app.dispatch(bolt_request(clicked, SECRET)).status == 200
    (update,) = slack.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"], update.args["text"]) == ("C5", ts, "ok r-42")

    submitted = view_submission("edit", {"b": {"a": "x"}}, private_metadata="m")
    answer = app.dispatch(bolt_request(submitted, SECRET))
    assert answer.status == 200 and json.loads(answer.body)["errors"] == {"b": "bad x m"}

    assert app.dispatch(bolt_request(app_home_opened("U3"), SECRET)).status == 200
    assert slack.wait_for("views.publish")[0].args["user_id"] == "U3"


def test_bolt_rejects_bad_signature_and_keeps_retry_headers(slack: FakeSlack) -> None:
    app = _app(slack)
    body = block_action("approve", "v", message_ts="1.2", thread_ts="1.1", response_url=slack.response_url())
    assert app.dispatch(bolt_request(body, "wrong-secret")).status == 401
    stale = BoltRequest(body=body, headers=sign(body, SECRET, timestamp=int(time.time()) - 600))
    assert app.dispatch(stale).status == 401
    retry = bolt_request(body, SECRET, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.headers["x-slack-retry-num"] == ["1"] and retry.headers["x-slack-retry-reason"] == [
        "http_timeout"
    ]
    payload = retry.body
    assert payload["container"]["thread_ts"] == "1.1" and payload["actions"][0]["action_id"] == "approve"


class _BoltHTTP(FakeHTTPServer):
    """Serves a Bolt app over HTTP, the way a production adapter would, to exercise ``post``."""

    def __init__(self, app: App) -> None:
        super().__init__()
        self.app = app

    def handle(self, request: Incoming) -> Reply | None:
        response: BoltResponse = self.app.dispatch(
            BoltRequest(body=request.body.decode(), headers=dict(request.headers))
        )
        return Reply(response.status, response.body.encode(), {"Content-Type": "application/json"})


def test_post_to_running_server(slack: FakeSlack) -> None:
    with _BoltHTTP(_app(slack)) as server:
        body = slash_command("/route", "x", response_url=slack.response_url())
        assert post(server.url + "slack/events", body, SECRET)[0] == 200
        assert post(server.url + "slack/events", body, "wrong")[0] == 401
        slack.wait_for("chat.postMessage")


# -- model fakes ----------------------------------------------------------------------------------


def test_anthropic_text_and_usage(claude: FakeAnthropic) -> None:
    claude.reply(
        "routed", usage={"input_tokens": 100, "cache_read_input_tokens": 80, "cache_creation_input_tokens": 5}
    )
    message = anthropic_client(claude.url).messages.create(model="claude-x", max_tokens=64, messages=MESSAGES)
    assert message.content[0].type == "text" and message.content[0].text == "routed"
    assert message.stop_reason == "end_turn" and message.model == "claude-x"
    usage = message.usage
    assert (usage.input_tokens, usage.output_tokens) == (100, 7)
    assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (80, 5)
    (request,) = claude.requests
    assert request.path == "/v1/messages" and "anthropic-version" in request.headers
    # anthropic 2.14 sends api_key as "Authorization: Bearer k" (older SDKs used "x-api-key: k")
    assert request.headers.get("authorization") == "Bearer k" or request.headers.get("x-api-key") == "k"
    assert request.body["max_tokens"] == 64 and request.body["messages"] == MESSAGES


def test_anthropic_reply_fn(claude: FakeAnthropic) -> None:
    claude.reply_fn = lambda body: (body["messages"][-1]["content"].upper(), {"output_tokens": 1})
    message = anthropic_client(claude.url).messages.create(model="m", max_tokens=8, messages=MESSAGES)
    assert message.content[0].text == "HI" and message.usage.output_tokens == 1


def test_openai_responses_text_and_usage(gpt: FakeOpenAI) -> None:
    gpt.reply(
        "routed",
        usage={"input_tokens": 100, "cached_tokens": 64, "output_tokens": 30, "reasoning_tokens": 12},
    )
    response = openai_client(gpt.url).responses.create(model="gpt-x", input="hi", reasoning={"effort": "low"})
    assert response.output_text == "routed" and response.status == "completed"
    usage = response.usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (100, 30, 130)
    assert usage.input_tokens_details.cached_tokens == 64
    assert usage.output_tokens_details.reasoning_tokens == 12
    (request,) = gpt.requests
    assert request.path == "/v1/responses" and request.headers["authorization"] == "Bearer k"
    assert request.body["reasoning"] == {"effort": "low"}


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (401, anthropic.AuthenticationError, "authentication_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
    ],
)
def test_anthropic_errors(claude: FakeAnthropic, status: int, error: type[Exception], kind: str) -> None:
    claude.fail(status, retry_after=3)
    with pytest.raises(error) as err:
        anthropic_client(claude.url).messages.create(model="m", max_tokens=8, messages=MESSAGES)
    assert isinstance(err.value, anthropic.APIStatusError)
    assert err.value.status_code == status and err.value.type == kind
    assert err.value.response.headers["retry-after"] == "3"


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (429, openai.RateLimitError, "rate_limit_exceeded"),
        (401, openai.AuthenticationError, "invalid_api_key"),
        (500, openai.InternalServerError, None),
    ],
)
def test_openai_errors(gpt: FakeOpenAI, status: int, error: type[Exception], code: str | None) -> None:
    gpt.fail(status)
    with pytest.raises(error) as err:
        openai_client(gpt.url).responses.create(model="m", input="hi")
    assert isinstance(err.value, openai.APIStatusError)
    assert err.value.status_code == status and err.value.code == code


def test_sdk_retry_honours_retry_after(claude: FakeAnthropic, gpt: FakeOpenAI) -> None:
    claude.fail(429, times=1, retry_after=0.01)
    gpt.fail(503, times=1, retry_after=0.01)
    message = anthropic_client(claude.url, max_retries=1).messages.create(
        model="m", max_tokens=8, messages=MESSAGES
    )
    response = openai_client(gpt.url, max_retries=1).responses.create(model="m", input="hi")
    assert message.content[0].text == "ok" and response.output_text == "ok"
    for fake in (claude, gpt):
        assert [r.headers["x-stainless-retry-count"] for r in fake.requests] == ["0", "1"]


def test_hang_times_out(claude: FakeAnthropic, gpt: FakeOpenAI) -> None:
    claude.hang = gpt.hang = True
    errors: list[BaseException] = []

    def call(fn: Any) -> None:
        try:
            fn()
        except BaseException as exc:  # collected and checked below
            errors.append(exc)

    calls = [
        lambda: anthropic_client(claude.url, timeout=0.5).messages.create(
            model="m", max_tokens=8, messages=MESSAGES
        ),
        lambda: openai_client(gpt.url, timeout=0.5).responses.create(model="m", input="hi"),
    ]
    started = time.monotonic()
    threads = [threading.Thread(target=call, args=(fn,)) for fn in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert time.monotonic() - started < 2
    assert sorted(type(e).__module__.split(".")[0] for e in errors) == ["anthropic", "openai"]
    assert all(isinstance(e, anthropic.APITimeoutError | openai.APITimeoutError) for e in errors)


def test_closed_port_refuses() -> None:
    url = closed_port_url()
    with pytest.raises(anthropic.APIConnectionError):
        anthropic_client(url).messages.create(model="m", max_tokens=8, messages=MESSAGES)
    with pytest.raises(openai.APIConnectionError):
        openai_client(url).responses.create(model="m", input="hi")


def test_delay_does_not_block_other_requests(claude: FakeAnthropic) -> None:
    claude.delay = 0.3
    client = anthropic_client(claude.url)
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=client.messages.create, kwargs={"model": "m", "max_tokens": 8, "messages": MESSAGES}
        )
        for _ in range(5)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    elapsed = time.monotonic() - started
    assert len(claude.wait_for(5)) == 5 and 0.3 <= elapsed < 1.0


def test_wrong_base_url_is_a_clear_404(claude: FakeAnthropic) -> None:
    with pytest.raises(anthropic.NotFoundError, match="/v1/v1/messages"):
        anthropic_client(claude.url + "v1").messages.create(model="m", max_tokens=8, messages=MESSAGES)
