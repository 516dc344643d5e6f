"""Socket Mode end to end: Bolt's SocketModeHandler on a real WebSocket to a local fake Slack.

Slack delivers over Socket Mode at least once, so redelivered envelopes must be acked again but must
not post a second card or start a second run.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import pytest

from bot.server import socket_mode_handler
from tests.conftest import Harness
from tests.fakes.slack_requests import click, slash_command
from tests.fakes.socket_mode import FakeSocketMode

TASK = "Tag each of these 300 support tickets as billing, bug or other"


@pytest.fixture
def connected(make_harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Harness, FakeSocketMode]]:  # type: ignore[no-untyped-def]
    # slack_sdk would tunnel the WebSocket through a proxy from the environment, with TLS.
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    with FakeSocketMode() as ws:
        harness = make_harness(socket_mode=True, SLACK_APP_TOKEN="xapp-test")
        harness.slack.socket_mode_url = ws.url
        handler = socket_mode_handler(harness.built)
        handler.connect()
        try:
            assert handler.client.is_connected()  # connect() only logs failures
            yield harness, ws
        finally:
            _close(handler, ws)


def _close(handler: Any, ws: FakeSocketMode) -> None:
    """handler.close() without the 1-4 s slack_sdk's client would spend waiting out its own timeouts.

    Its reader blocks in recv (3 s socket timeout) holding a lock close() needs, and its message loop
    checks `closed` only between queue.get(timeout=1) calls: wake both.
    """
    ws.drop()
    handler.client.closed = True
    handler.client.enqueue_message("")  # not JSON: dequeued, then ignored
    handler.close()


def _slash_payload(harness: Harness, text: str, trigger_id: str) -> dict[str, Any]:
    """The slash-command fields, which Socket Mode sends as a JSON object rather than a form."""
    form = slash_command(
        "/route", text, response_url=harness.slack.response_url("route"), trigger_id=trigger_id
    )
    return dict(parse_qsl(form, keep_blank_values=True))


def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.005)


def test_route_over_socket_mode_is_acked_and_posts_the_card(connected) -> None:  # type: ignore[no-untyped-def]
    harness, ws = connected
    envelope_id = ws.send_envelope("slash_commands", _slash_payload(harness, TASK, "trig-1"))
    assert ws.wait_ack(envelope_id) == {"envelope_id": envelope_id}
    opened = harness.slack.calls("apps.connections.open")
    assert [c.headers["authorization"] for c in opened] == ["Bearer xapp-test"]  # the app token, once
    card = harness.slack.wait_for("chat.postMessage")[0].args
    assert card["channel"] == "C1"
    assert [b["label"] for b in harness.buttons(card)][:1] == ["Run on claude-haiku-4-5"]
    assert ws.messages == [{"envelope_id": envelope_id}]  # the hello and pings need no answer


def test_redelivered_route_is_acked_again_but_posts_one_card(connected, caplog) -> None:  # type: ignore[no-untyped-def]
    harness, ws = connected
    caplog.set_level(logging.INFO, logger="bot.listeners.route")
    payload = _slash_payload(harness, TASK, "trig-2")
    envelope_id = ws.send_envelope("slash_commands", payload)
    ws.wait_ack(envelope_id)
    harness.slack.wait_for("chat.postMessage")
    ws.send_envelope("slash_commands", payload, envelope_id, retry_attempt=1, retry_reason="timeout")
    assert ws.wait_ack(envelope_id) == {"envelope_id": envelope_id}
    # The listener acks before it dedupes, so wait for its verdict: skipped, or a second card.
    _wait_until(
        lambda: (
            any("duplicate /route delivery" in r.getMessage() for r in caplog.records)
            or len(harness.slack.calls("chat.postMessage")) > 1
        )
    )
    assert len(harness.slack.calls("chat.postMessage")) == 1


def test_run_click_delivered_twice_runs_once(connected) -> None:  # type: ignore[no-untyped-def]
    harness, ws = connected
    ws.wait_ack(ws.send_envelope("slash_commands", _slash_payload(harness, TASK, "trig-3")))
    card = harness.slack.wait_for("chat.postMessage")[0].args
    ts = harness.latest_card_ts()
    form = click(harness.buttons(card)[0], message_ts=ts, response_url=harness.slack.response_url("click"))
    payload = json.loads(parse_qs(form)["payload"][0])
    envelope_id = ws.send_envelope("interactive", payload)
    ws.wait_ack(envelope_id)
    ws.send_envelope("interactive", payload, envelope_id, retry_attempt=1, retry_reason="timeout")
    assert ws.wait_ack(envelope_id) == {"envelope_id": envelope_id}
    note = harness.slack.wait_for("response_url")[0]
    assert "already started" in note.args["text"]
    harness.wait_answers(ts)
    assert len(harness.anthropic.requests) == 1
