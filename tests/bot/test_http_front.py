"""HTTP mode's front on the real waitress server: body limit, signature on the raw bytes, malformed input.

Each refusal must be a 4xx with one log line that never contains the body, and nothing may reach Bolt
(or our listeners) that would make them answer 500 with a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import io
import json
import logging
import socket
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from bot.http_front import MAX_BODY, Refused, read_body
from tests.conftest import SECRET, Harness
from tests.fakes.slack_requests import block_action, post, sign, slash_command

MARKER = "do-not-log-this-body-7f3a"


def _send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """A POST with exactly these headers (urllib would add or fix some)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("POST", "/slack/events", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def _signed(body: bytes) -> dict[str, str]:
    """sign() for a body that is not text."""
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    signature = "v0=" + digest
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }


def _click_payload(harness: Harness, value: str) -> dict[str, Any]:
    form = block_action("run_anthropic", value, message_ts="1.0", response_url=harness.slack.response_url())
    return json.loads(dict(parse_qsl(form))["payload"])


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert all(MARKER not in r.getMessage() for r in caplog.records)


def test_a_body_over_the_limit_is_refused_from_its_content_length_before_it_is_sent(served, caplog) -> None:  # type: ignore[no-untyped-def]
    _harness, url = served
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        # Headers only: a server that waited for the 200 MB it was promised would never answer.
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 200000000\r\n\r\n"
        )
        status_line = sock.makefile("rb").readline()
    assert status_line.split()[1] == b"413"


def test_a_body_just_over_the_limit_gets_413_and_one_log_line(served, caplog) -> None:  # type: ignore[no-untyped-def]
    _harness, url = served
    body = ("text=" + MARKER + "x" * MAX_BODY).encode()
    status, _ = _send(url, body, {**sign(body.decode(), SECRET)})
    assert status == 413
    refusals = [r.getMessage() for r in caplog.records if r.name == "routebot.http"]
    assert len(refusals) == 1 and "over" in refusals[0]
    _no_tracebacks(caplog)


def test_a_chunked_body_is_cut_off_once_over_the_limit() -> None:
    class Endless(io.RawIOBase):
        def __init__(self) -> None:
            self.served = 0

        def read(self, size: int = -1) -> bytes:
            self.served += size
            return b"x" * size

    stream = Endless()
    with pytest.raises(Refused) as refused:
        read_body({"wsgi.input": stream, "wsgi.input_terminated": True}, limit=MAX_BODY)
    assert refused.value.status.startswith("413")
    assert stream.served <= MAX_BODY + 64 * 1024  # it stopped reading one block past the limit
    small = io.BytesIO(b"payload=%7B%7D")
    assert read_body({"wsgi.input": small, "wsgi.input_terminated": True}) == b"payload=%7B%7D"


def test_chunked_bodies_over_the_limit_are_refused_by_the_server(served) -> None:  # type: ignore[no-untyped-def]
    _harness, url = served
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    chunks = (b"x" * 65536 for _ in range(3 * MAX_BODY // 65536))
    try:
        conn.request("POST", "/slack/events", body=chunks, encode_chunked=True)
        status = conn.getresponse().status
    except (BrokenPipeError, ConnectionResetError):
        status = 413  # the server answered and closed while we were still sending
    finally:
        conn.close()
    assert status == 413


def test_unsigned_requests_are_refused_without_logging_the_body(served, caplog) -> None:  # type: ignore[no-untyped-def]
    harness, url = served
    caplog.set_level(logging.DEBUG)
    body = slash_command("/route", MARKER, response_url=harness.slack.response_url())
    assert _send(url, body.encode(), {"Content-Type": "application/x-www-form-urlencoded"})[0] == 401
    assert post(url + "/slack/events", body, "not-the-secret")[0] == 401
    stale = sign(body, SECRET, timestamp=int(time.time()) - 600)
    assert _send(url, body.encode(), stale)[0] == 401
    assert harness.slack.calls("chat.postMessage") == []
    _no_tracebacks(caplog)
    assert len([r for r in caplog.records if r.name == "routebot.http"]) == 3


def test_a_non_numeric_timestamp_is_a_400_not_a_500(served, caplog) -> None:  # type: ignore[no-untyped-def]
    harness, url = served
    body = slash_command("/route", "x", response_url=harness.slack.response_url())
    headers = {**sign(body, SECRET), "X-Slack-Request-Timestamp": "soon"}
    status, text = _send(url, body.encode(), headers)
    assert status == 400 and "Timestamp" in text
    _no_tracebacks(caplog)


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"payload": "notjson"}, "not JSON"),
        ({"payload": "[1,2]"}, "not a JSON object"),
        ({"payload": '{"user": {"id": "U1"}}'}, "no type"),
        (
            {"command": "/route", "text": "x", "channel_id": "C1", "response_url": "http://127.0.0.1:9/"},
            "user_id",
        ),
    ],
)
def test_signed_but_malformed_bodies_get_400(served, caplog, form: dict[str, str], reason: str) -> None:  # type: ignore[no-untyped-def]
    harness, url = served
    status, text = post(url + "/slack/events", urlencode(form), SECRET)
    assert status == 400 and reason in text
    assert harness.slack.calls() == [c for c in harness.slack.calls() if c.method == "auth.test"]
    _no_tracebacks(caplog)


def test_a_json_body_that_is_not_an_object_or_not_utf8_gets_400(served, caplog) -> None:  # type: ignore[no-untyped-def]
    _harness, url = served
    as_json = {**sign("[1, 2]", SECRET), "Content-Type": "application/json"}
    assert _send(url, b"[1, 2]", as_json)[0] == 400
    body = b"text=\xff\xfe"
    assert _send(url, body, _signed(body))[0] == 400
    _no_tracebacks(caplog)


@pytest.mark.parametrize("missing", ["user", "response_url"])
def test_a_click_without_user_or_response_url_gets_400(served, caplog, missing: str) -> None:  # type: ignore[no-untyped-def]
    harness, url = served
    payload = _click_payload(harness, '{"request": 1, "provider": "anthropic"}')
    del payload[missing]
    status, text = post(url + "/slack/events", urlencode({"payload": json.dumps(payload)}), SECRET)
    assert status == 400 and missing in text
    _no_tracebacks(caplog)


@pytest.mark.parametrize("request_id", ["Infinity", "-Infinity", "NaN", "1e30", "1" * 30, '"12"', "true"])
def test_a_crafted_id_in_a_button_is_an_out_of_date_button(served, caplog, request_id: str) -> None:  # type: ignore[no-untyped-def]
    harness, url = served
    payload = _click_payload(harness, f'{{"request": {request_id}, "provider": "anthropic"}}')
    status, _ = post(url + "/slack/events", urlencode({"payload": json.dumps(payload)}), SECRET)
    assert status == 200  # acked: the click is well-formed, its value is not ours
    (answer,) = harness.slack.wait_for("response_url")
    assert "out of date" in answer.args["text"]
    assert harness.anthropic.requests == []
    _no_tracebacks(caplog)


def test_health_check_answers_head_and_other_methods_are_refused(served) -> None:  # type: ignore[no-untyped-def]
    _harness, url = served
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("HEAD", "/healthz")
        assert conn.getresponse().status == 200
    finally:
        conn.close()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", "/slack/events")
        response = conn.getresponse()
        assert response.status == 405 and response.getheader("Allow") == "POST"
    finally:
        conn.close()


def test_a_task_with_the_word_payload_is_routed_not_dropped(served, caplog) -> None:  # type: ignore[no-untyped-def]
    # Bolt alone reads any form body containing "payload" as an empty interaction and answers 404.
    harness, url = served
    task = "Explain the fields of this webhook payload"
    body = slash_command("/route", task, response_url=harness.slack.response_url())
    status, _ = post(url + "/slack/events", body, SECRET)
    assert status == 200
    (card,) = harness.slack.wait_for("chat.postMessage")
    assert task in json.dumps(card.args["blocks"])
    _no_tracebacks(caplog)


def test_slack_url_checks_are_answered(served) -> None:  # type: ignore[no-untyped-def]
    harness, url = served
    # Event Subscriptions: Slack verifies the Request URL with a signed challenge when it is saved.
    token = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    challenge = json.dumps({"token": "t", "challenge": token, "type": "url_verification"})
    status, text = post(url + "/slack/events", challenge, SECRET)
    assert status == 200 and token in text
    # Slash commands: the periodic SSL check, which Bolt too answers before any signature check.
    assert _send(url, b"ssl_check=1&token=t", {"Content-Type": "application/x-www-form-urlencoded"})[0] == 200
    assert harness.slack.calls("chat.postMessage") == []
