"""The routebot CLI: route (human and JSON, stdin), eval, and that routing imports no SDK."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(*argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdout=out, stdin=io.StringIO(stdin))
    return code, out.getvalue()


def test_route_json_has_the_promised_fields() -> None:
    code, out = run("route", "--json", "Classify these 500 emails by urgency")
    assert code == 0
    data = json.loads(out)
    for key in ("lane", "provider", "model", "effort", "confidence", "reasons", "alternatives"):
        assert key in data
    assert (data["lane"], data["provider"], data["model"], data["effort"]) == (
        "cheap",
        "anthropic",
        "claude-haiku-4-5",
        None,
    )


def test_route_options_and_stdin() -> None:
    code, out = run(
        "route", "--json", "--provider", "openai", "--lane", "max", "-", stdin="Decide the roadmap\n"
    )
    data = json.loads(out)
    assert code == 0 and (data["lane"], data["model"], data["effort"]) == ("max", "gpt-5.4", "xhigh")


def test_route_for_a_person_names_lane_model_and_why() -> None:
    code, out = run("route", "Refactor", "utils.py", "to", "drop", "dead", "code")
    assert code == 0
    assert "Code specialist lane" in out and "claude-sonnet-4-6" in out and "why:" in out


def test_empty_task_is_an_error() -> None:
    code, _ = run("route", "-", stdin="   ")
    assert code == 2


def test_eval_prints_metrics_and_json_works_without_labels(tmp_path: Path) -> None:
    labelled = tmp_path / "cases.jsonl"
    labelled.write_text(
        json.dumps({"id": "a", "text": "Tag these 300 tickets", "lane": "cheap", "acceptable": ["cheap"]})
        + "\n"
        + json.dumps({"id": "b", "text": "Refactor utils.py", "lane": "premium", "acceptable": ["premium"]})
        + "\n"
    )
    code, out = run("eval", str(labelled))
    assert code == 0
    assert (
        "acceptable accuracy:  50.0%" in out and "under-routed:         50.0%" in out and "confusion" in out
    )
    unlabelled = tmp_path / "plain.jsonl"
    unlabelled.write_text(json.dumps({"id": "x", "text": "Summarize this"}) + "\n")
    code, out = run("eval", "--json", str(unlabelled))
    row = json.loads(out)
    assert code == 0 and row["id"] == "x" and row["lane"] == "cheap"


def test_eval_reports_a_bad_line_clearly(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.jsonl"
    path.write_text("{not json}\n")
    code, _ = run("eval", str(path))
    assert code == 2
    assert "bad.jsonl:1" in capsys.readouterr().err


def test_routing_path_imports_no_sdk() -> None:
    """`routebot route` loads the policy and the model, not the server's libraries (its cold start)."""
    probe = (
        "import io, sys; from bot.cli import main;"
        "main(['route', '--json', 'Summarize this'], stdout=io.StringIO());"
        "heavy = ('anthropic', 'openai', 'slack_bolt', 'slack_sdk', 'sqlite_utils', 'sqlite3',"
        " 'genai_prices', 'pydantic', 'PIL', 'apscheduler', 'asyncio', 'waitress', 'zoneinfo',"
        " 'commands.pricing', 'commands.providers', 'commands.learning', 'storage');"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_routing_path_imports_no_shutil_for_argparse() -> None:
    """argparse's formatter would import shutil (zlib, bz2, lzma) at every start. `-S` leaves out
    site-packages' start-up hooks, which on some machines import shutil themselves; routing needs none."""
    probe = (
        "import io, sys; from bot.cli import main;"
        "main(['route', '--json', 'Summarize this'], stdout=io.StringIO());"
        "print('shutil' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "")},
        check=True,
    )
    assert out.stdout.strip() == "False"


def test_help_still_fits_the_terminal_or_80_columns(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit):
        main(["route", "--help"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("usage: routebot route")
    assert max(len(line) for line in lines) <= 80


def test_bad_policy_stops_with_the_file_named(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "p.toml"
    path.write_text("version = 1\n")
    monkeypatch.setenv("ROUTEBOT_POLICY", str(path))
    code, _ = run("route", "hello")
    assert code == 2
    assert str(path) in capsys.readouterr().err


def test_everything_after_the_options_is_the_task() -> None:
    code, out = run("route", "--json", "write", "a", "script", "with", "the", "-v", "flag")
    assert code == 0 and json.loads(out)["lane"] == "code"
    code, out = run("route", "write a script with the", "-v", "flag")
    assert code == 0 and "Code specialist lane" in out
    code, out = run("route", "--json", "--", "--lane", "max", "is", "a", "flag", "I", "documented")
    assert code == 0 and json.loads(out)["lane"] != "max"  # after --, even an option's name is task text


def test_a_bad_server_only_variable_does_not_stop_routing(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ROUTEBOT_DIGEST_CRON", "every monday")
    monkeypatch.setenv("ROUTEBOT_RUN_WORKERS", "lots")
    monkeypatch.setenv("SLACK_API_URL", "not-a-url")
    code, out = run("route", "--json", "Summarize this thread")
    assert code == 0 and json.loads(out)["lane"] == "cheap"
    assert main(["digest"]) == 2  # the commands that use those variables still refuse them
    assert "ROUTEBOT_DIGEST_CRON" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["digest", "--week", "9999-W52"], "9999-W52 is too far in the future"),
        (["digest", "--channel", "general"], "channel id such as C0123ABCD, not a name ('general')"),
        (["digest", "--channel", "#eng-team"], "channel id such as C0123ABCD"),
    ],
)
def test_digest_cli_edges_are_one_clear_line(argv: list[str], message: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_digest_week_is_case_insensitive(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from storage.db import Database

    Database(str(tmp_path / "r.db"))
    monkeypatch.setenv("ROUTEBOT_DB", str(tmp_path / "r.db"))
    out = io.StringIO()
    assert main(["digest", "--week", "2025-w47", "--channel", "C0123ABCD"], stdout=out) == 0
    assert out.getvalue() == "No runs in C0123ABCD in 2025-W47.\n"


def test_eval_edges_answer_in_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    assert run("eval", str(empty))[0] == 2
    assert "no cases" in capsys.readouterr().err
    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps({"id": "x", "text": "Summarize this"}) + "\n")
    assert run("eval", str(plain))[0] == 2
    assert "use --json" in capsys.readouterr().err
    loose = tmp_path / "loose.jsonl"
    loose.write_text(
        json.dumps({"text": "Tag these", "lane": "cheap", "acceptable": ["cheap"]})
        + "\n"
        + json.dumps({"text": "Refactor utils.py", "lane": "code", "acceptable": ["default"]})
        + "\n"
    )
    assert run("eval", str(loose))[0] == 2
    assert "loose.jsonl:2: `acceptable` must include the case's own lane 'code'" in capsys.readouterr().err
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"text": "r\xe9sum\xe9 du fil", "lane": "cheap"}\n')
    assert run("eval", str(latin))[0] == 2
    err = capsys.readouterr().err
    assert "not UTF-8" in err and len(err.strip().splitlines()) == 1


def test_eval_reports_per_lane_precision_recall_and_reliability(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(
        json.dumps({"id": "a", "text": "Tag these 300 tickets", "lane": "cheap", "acceptable": ["cheap"]})
        + "\n"
        + json.dumps({"id": "b", "text": "Refactor utils.py", "lane": "premium", "acceptable": ["premium"]})
        + "\n"
    )
    code, out = run("eval", str(path))
    assert code == 0
    assert "     cheap  precision 100.0%  recall 100.0%  (1 labelled)" in out
    assert "   premium  precision      -  recall   0.0%  (1 labelled)" in out
    assert "confidence vs outcome" in out


def test_eval_json_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": f"tag ticket {i}"}) + "\n" for i in range(3000)))
    probe = subprocess.run(
        f"{sys.executable} -m bot.cli eval --json {path} | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert json.loads(probe.stdout)["id"] == "0"
    assert probe.stderr == ""
