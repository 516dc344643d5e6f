"""`routebot train`: deterministic, trained on what it is given, and used through the policy that names it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from commands.lane_model import blank_lane_model
from commands.policy import DEFAULT_POLICY_PATH, load_policy
from commands.router import route
from commands.training import corpus_files, read_labelled, train

# A small labelled set: big enough to fit, small enough to train in a second or two.
SMALL = [
    *({"text": f"tag these {n} support tickets by topic", "lane": "cheap"} for n in range(100, 130)),
    *({"text": f"summarize thread number {n} in three bullets", "lane": "cheap"} for n in range(30)),
    *({"text": f"refactor module_{n}.py to drop the global state", "lane": "code"} for n in range(30)),
    *({"text": f"write unit tests for parser_{n}.py", "lane": "code"} for n in range(30)),
    *({"text": f"plan the rollout of feature {n} across teams", "lane": "default"} for n in range(30)),
    *(
        {"text": f"find the root cause of outage {n}, the race only shows under load", "lane": "premium"}
        for n in range(30)
    ),
]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text(
        "".join(
            json.dumps({"id": f"t{i}", **row, "acceptable": [row["lane"]]}) + "\n"
            for i, row in enumerate(rows)
        )
    )
    return path


def _train(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["train", *argv], stdout=out), out.getvalue()


def test_training_is_deterministic_and_reports_out_of_fold_figures(tmp_path: Path) -> None:
    data = _write(tmp_path / "team.jsonl", SMALL)
    first, second = tmp_path / "a.bin", tmp_path / "b.bin"
    code, out = _train(str(data), "--no-shipped", "--out", str(first))
    assert code == 0
    assert "trained on 180 cases from 1 file(s)" in out and "out of fold" in out
    assert _train(str(data), "--no-shipped", "--out", str(second))[0] == 0
    assert first.read_bytes() == second.read_bytes()


def test_training_on_worker_processes_writes_the_same_model_file(tmp_path: Path) -> None:
    """A big corpus is fitted on every core (`fit_all`): the file must not depend on where a fit ran."""
    cases = read_labelled([_write(tmp_path / "team.jsonl", SMALL)])
    blank = load_policy(None, blank_lane_model(()))
    here, results = train(cases, blank, workers=1)
    spread, spread_results = train(cases, blank, workers=2)
    assert here == spread
    assert [r.lane for r in results] == [r.lane for r in spread_results]


def test_a_policy_naming_the_trained_model_routes_with_it(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Teach the opposite of the shipped model: summaries are code work, for this team.
    rows = [{**row, "lane": "code"} if row["text"].startswith("summarize") else row for row in SMALL]
    data = _write(tmp_path / "team.jsonl", rows)
    assert _train(str(data), "--no-shipped", "--out", str(tmp_path / "team-model.bin"))[0] == 0
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(
        DEFAULT_POLICY_PATH.read_text().replace('model = "lane-model.bin"', 'model = "team-model.bin"')
    )
    team = load_policy(policy_file)
    assert team.lane_model.source == str(tmp_path / "team-model.bin")
    task = "summarize thread number 7 in three bullets"
    assert route(task, team).lane.id == "code"
    assert route(task, load_policy()).lane.id == "cheap"


def test_training_refuses_unlabelled_or_unreadable_files(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    unlabelled = tmp_path / "plain.jsonl"
    unlabelled.write_text(json.dumps({"id": "x", "text": "Summarize this"}) + "\n")
    assert _train(str(unlabelled), "--no-shipped", "--out", str(tmp_path / "m.bin"))[0] == 2
    assert "case x has no `lane`" in capsys.readouterr().err
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"text": "r\xe9sum\xe9", "lane": "cheap"}\n')
    assert _train(str(latin), "--no-shipped", "--out", str(tmp_path / "m.bin"))[0] == 2
    assert "not UTF-8" in capsys.readouterr().err
    assert not (tmp_path / "m.bin").exists()


@pytest.mark.parametrize("path", corpus_files()[:1], ids=lambda p: p.name)
def test_shipped_corpus_files_are_package_data(path: Path) -> None:
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert '"corpus/*.jsonl"' in pyproject and '"*.bin"' in pyproject
    assert path.parent.name == "corpus"
