"""`routebot serve` as an operator runs it: signed requests over a real socket, health check, startup
failures as one line, and SIGTERM with clients polling and a model call in flight."""

from __future__ import annotations

import io
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Config, load_config
from bot.preflight import check_app_token, check_bot_token, open_database
from bot.server import listening_socket
from commands.errors import ConfigError
from commands.policy import DEFAULT_POLICY_PATH
from tests.conftest import SECRET
from tests.fakes.http import closed_port_url
from tests.fakes.models import FakeAnthropic
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import actions_from_blocks, click, post, slash_command

ROOT = Path(__file__).resolve().parents[2]


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


# --- startup checks, one by one ---------------------------------------------------------------------------


def _config(slack: FakeSlack, tmp_path: Path, **env: str) -> Config:
    values = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "ROUTEBOT_DB": str(tmp_path / "routebot.db"),
    }
    return load_config({**values, **env})


def test_a_database_path_sqlite_cannot_use_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ROUTEBOT_DB=.*directory exists"):
        open_database(load_config({"ROUTEBOT_DB": str(tmp_path / "missing" / "r.db")}))
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("these are my notes, not a database\n" * 200)
    with pytest.raises(ConfigError, match=r"ROUTEBOT_DB=.*not a database"):
        open_database(load_config({"ROUTEBOT_DB": str(not_a_db)}))
    assert len(open_database(load_config({"ROUTEBOT_DB": str(tmp_path / "new.db")})).migrate()) > 0


def test_slack_refusing_or_unreachable_is_named(fakes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from bot.app import slack_client

    slack = fakes[0]
    config = _config(slack, tmp_path)
    slack.fail("auth.test", "invalid_auth", times=1)
    with pytest.raises(ConfigError, match=r"rejected SLACK_BOT_TOKEN \(auth.test: invalid_auth\)"):
        check_bot_token(slack_client(config))
    slack.fail("apps.connections.open", "invalid_auth", times=1)
    app_config = _config(slack, tmp_path, SLACK_APP_TOKEN="xapp-1")
    with pytest.raises(ConfigError, match=r"rejected SLACK_APP_TOKEN \(apps.connections.open"):
        check_app_token(slack_client(app_config), app_config)
    away = _config(slack, tmp_path, SLACK_API_URL=closed_port_url())
    with pytest.raises(ConfigError, match=r"cannot reach Slack at http://127.0.0.1:\d+/.*SLACK_API_URL"):
        check_bot_token(slack_client(away))
    check_bot_token(slack_client(config))


def test_a_taken_port_is_named_with_the_fix() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"port {port} on 127.0.0.1 is already in use.*--port"):
            listening_socket("127.0.0.1", port)


def test_a_port_out_of_range_is_refused_by_the_parser(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--port", "99999"])
    assert stopped.value.code == 2
    assert "--port" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"SLACK_API_URL": "not-a-url"}, "SLACK_API_URL must be an http"),
        ({"OPENAI_BASE_URL": "file:///etc/passwd"}, "OPENAI_BASE_URL must be an http"),
        ({"ROUTEBOT_PROVIDER_TIMEOUT": "inf"}, "ROUTEBOT_PROVIDER_TIMEOUT must be a finite"),
        ({"ROUTEBOT_PROVIDER_TIMEOUT": "nan"}, "ROUTEBOT_PROVIDER_TIMEOUT must be a finite"),
    ],
)
def test_values_that_would_fail_later_are_refused_at_startup(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        load_config(env)


def test_a_policy_path_that_is_a_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ROUTEBOT_POLICY must name a policy file.*is a directory"):
        load_config({"ROUTEBOT_POLICY": str(tmp_path)})


# --- the real process -----------------------------------------------------------------------------------


def _env(slack: FakeSlack, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ROUTEBOT_", "ANTHROPIC_", "OPENAI_"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env.update(
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.api_url,
        ROUTEBOT_DB=str(tmp_path / "routebot.db"),
        ROUTEBOT_PROVIDER_MAX_RETRIES="0",
    )
    env.update(extra)
    return env


def _serve(env: dict[str, str], port: int | str = 0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(
    "case", ["database directory missing", "token rejected", "port taken", "context window not positive"]
)
def test_startup_failures_are_one_line_and_exit_2(fakes, tmp_path: Path, case: str) -> None:  # type: ignore[no-untyped-def]
    slack = fakes[0]
    env = _env(slack, tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1] if case == "port taken" else 0
        if case == "database directory missing":
            env["ROUTEBOT_DB"] = str(tmp_path / "nope" / "routebot.db")
        if case == "token rejected":
            slack.fail("auth.test", "invalid_auth")
        if case == "context window not positive":
            policy = tmp_path / "policy.toml"
            policy.write_text(
                DEFAULT_POLICY_PATH.read_text() + '\n[context_windows]\n"claude-haiku-4-5" = 0\n'
            )
            env["ROUTEBOT_POLICY"] = str(policy)
        process = _serve(env, port)
        _, err = process.communicate(timeout=60)
    lines = [line for line in err.splitlines() if line.strip() and "slack_bolt.App" not in line]
    assert process.returncode == 2, err
    assert len(lines) == 1 and lines[0].startswith("routebot: configuration error: "), err
    assert {
        "database directory missing": "ROUTEBOT_DB",
        "token rejected": "SLACK_BOT_TOKEN",
        "context window not positive": (
            'policy.toml: context_windows."claude-haiku-4-5": '
            "must be a positive whole number of tokens, got 0"
        ),
    }.get(case, "--port") in lines[0]


@dataclass
class Running:
    process: subprocess.Popen[str]
    port: int
    slack: FakeSlack
    anthropic: FakeAnthropic
    db: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def running(fakes, tmp_path: Path) -> Iterator[Running]:  # type: ignore[no-untyped-def]
    slack, anthropic, _openai = fakes
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = _env(
        slack,
        tmp_path,
        ANTHROPIC_API_KEY="sk-ant-test",
        ANTHROPIC_BASE_URL=anthropic.url.rstrip("/"),
        ROUTEBOT_PROVIDER_TIMEOUT="60",
    )
    process = _serve(env, port)
    server = Running(process, port, slack, anthropic, tmp_path / "routebot.db")
    try:
        deadline = time.monotonic() + 60
        while not _healthy(server.url):
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "routebot serve did not become healthy"
            time.sleep(0.05)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _card_ts(db: Path, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(db) as conn:
            row = conn.execute("SELECT card_ts FROM requests ORDER BY id DESC LIMIT 1").fetchone()
        if row and row[0]:
            return str(row[0])
        time.sleep(0.02)
    raise AssertionError("no card recorded")


def test_sigterm_stops_serve_promptly_with_clients_polling_and_a_model_call_in_flight(
    running: Running,
) -> None:
    # A run whose model call never returns: the process must not wait for it.
    running.anthropic.hang = True
    body = slash_command("/route", "Summarize the standup notes", response_url=running.slack.response_url())
    assert post(running.url + "/slack/events", body, SECRET)[0] == 200
    card = running.slack.wait_for("chat.postMessage", timeout=10)[0].args
    run_button = next(b for b in actions_from_blocks(card["blocks"]) if b["action_id"] == "run_anthropic")
    pressed = click(run_button, message_ts=_card_ts(running.db), response_url=running.slack.response_url("c"))
    assert post(running.url + "/slack/events", pressed, SECRET)[0] == 200
    running.anthropic.wait_for(1, timeout=10)

    stop = threading.Event()
    answered: list[int] = []

    def poll() -> None:
        while not stop.is_set() and len(answered) < 100_000:
            if _healthy(running.url):
                answered.append(1)
            else:
                time.sleep(0.01)

    pollers = [threading.Thread(target=poll, daemon=True) for _ in range(4)]
    for poller in pollers:
        poller.start()
    while len(answered) < 20:
        time.sleep(0.01)
    sent = time.monotonic()
    running.process.send_signal(signal.SIGTERM)
    try:
        _, err = running.process.communicate(timeout=30)  # generous: the goal is 5 s
    finally:
        stop.set()
    took = time.monotonic() - sent
    for poller in pollers:
        poller.join(timeout=5)
    assert running.process.returncode == 0, err
    assert "routebot stopping" in err and "abandoned" in err, err
    assert "Traceback" not in err and "uncaptured python exception" not in err, err
    assert not _healthy(running.url), f"still answering after exit ({took:.1f} s)"
