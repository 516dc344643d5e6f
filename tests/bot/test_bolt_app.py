"""Bolt is given every value and reads nothing from the environment (bot/app.py, bolt_app).

Each test fills the environment with Slack values that differ from the bot's Config, as a stray export on
an operator's machine would, and checks that none of them reaches the app.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest

from bot.server import wsgi_app
from tests.conftest import SECRET
from tests.fakes.slack_requests import bolt_request

STRAY = {
    "SLACK_CLIENT_ID": "111.222",
    "SLACK_CLIENT_SECRET": "stray-client-secret",
    "SLACK_BOT_TOKEN": "xoxb-from-the-environment",
    "SLACK_SIGNING_SECRET": "stray-signing-secret",
    "SLACK_VERIFICATION_TOKEN": "stray-verification-token",
}


@pytest.fixture
def stray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in STRAY.items():
        monkeypatch.setenv(name, value)


def _get(app, path: str) -> str:  # type: ignore[no-untyped-def]
    environ: dict[str, object] = {"PATH_INFO": path, "REQUEST_METHOD": "GET"}
    setup_testing_defaults(environ)
    statuses: list[str] = []
    body: Iterable[bytes] = app(environ, lambda status, headers: statuses.append(status))
    b"".join(body)
    return statuses[0]


def test_a_stray_slack_client_id_does_not_switch_on_oauth(
    stray_env: None, make_harness, caplog: pytest.LogCaptureFixture, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOME", str(tmp_path))  # Bolt's file-based OAuth stores would be made under $HOME
    with caplog.at_level(logging.DEBUG):
        harness = make_harness()
    assert harness.app.oauth_flow is None
    server = wsgi_app(harness.built)
    assert _get(server, "/slack/install").startswith("404")
    assert _get(server, "/slack/oauth_redirect").startswith("404")
    assert not any(name.startswith(".bolt-app") for name in os.listdir(tmp_path))
    assert "SLACK_CLIENT_ID" not in caplog.text


def test_bolt_reads_no_token_secret_or_verification_token_from_the_environment(
    stray_env: None, make_harness, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.DEBUG):
        harness = make_harness()
    assert "token` will be unused" not in caplog.text and "will be ignored" not in caplog.text
    assert harness.app.client is harness.bot.dispatcher.client
    assert harness.app.client.token == harness.config.slack_bot_token == "xoxb-test-token"
    assert harness.command("/route", "help").status == 200  # signed with the Config's secret
    body = urlencode({"command": "/route", "text": "help", "user_id": "U1", "channel_id": "C1"})
    assert harness.app.dispatch(bolt_request(body, STRAY["SLACK_SIGNING_SECRET"])).status == 401
    # Bolt 1.30 answers 401 to an ssl_check carrying the verification token it holds
    # (slack_bolt/middleware/ssl_check): holding none, it answers 200.
    ssl_check = urlencode({"ssl_check": "1", "token": STRAY["SLACK_VERIFICATION_TOKEN"]})
    assert harness.app.dispatch(bolt_request(ssl_check, SECRET)).status == 200


def test_socket_mode_gets_its_values_from_config_too(stray_env: None, make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(socket_mode=True)
    assert harness.app.oauth_flow is None
    assert harness.app.client.token == "xoxb-test-token"
    assert os.environ["SLACK_BOT_TOKEN"] == STRAY["SLACK_BOT_TOKEN"]  # the environment itself is untouched
