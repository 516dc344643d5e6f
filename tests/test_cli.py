"""The routebot CLI: route (human and JSON, stdin), eval, and that routing imports no SDK."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

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
    probe = (
        "import io, sys; from bot.cli import main;"
        "main(['route', '--json', 'Summarize this'], stdout=io.StringIO());"
        "heavy = ('anthropic', 'openai', 'slack_bolt', 'slack_sdk', 'sqlite_utils');"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_bad_policy_stops_with_the_file_named(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "p.toml"
    path.write_text("version = 1\n")
    monkeypatch.setenv("ROUTEBOT_POLICY", str(path))
    code, _ = run("route", "hello")
    assert code == 2
    assert str(path) in capsys.readouterr().err
