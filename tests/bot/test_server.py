"""HTTP mode on the production server: signed requests over a real socket, health check, startup errors."""

from __future__ import annotations

import io
import urllib.request

import pytest

from bot.cli import main
from tests.conftest import SECRET
from tests.fakes.slack_requests import post, slash_command


def test_signed_route_over_http_is_answered_and_the_card_posted(served) -> None:  # type: ignore[no-untyped-def]
    harness, url = served
    body = slash_command("/route", "Summarize the standup notes", response_url=harness.slack.response_url())
    status, _ = post(url + "/slack/events", body, SECRET)
    assert status == 200
    harness.slack.wait_for("chat.postMessage")


def test_unsigned_or_badly_signed_requests_are_refused(served) -> None:  # type: ignore[no-untyped-def]
    harness, url = served
    body = slash_command("/route", "x", response_url=harness.slack.response_url())
    status, _ = post(url + "/slack/events", body, "not-the-secret")
    assert status == 401
    assert harness.slack.calls("chat.postMessage") == []


def test_health_check_and_unknown_paths(served) -> None:  # type: ignore[no-untyped-def]
    _harness, url = served
    with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
        assert response.status == 200 and response.read() == b"ok"
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(url + "/nope", timeout=5)
    assert caught.value.code == 404


def test_serve_without_a_bot_token_stops_with_where_to_find_it(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert main(["serve"], stdout=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN" in err and "OAuth & Permissions" in err
