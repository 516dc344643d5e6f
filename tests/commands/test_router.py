"""The router's rules, on tasks written for these tests (the shared eval cases are scored separately)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from commands.evaluate import evaluate, read_cases
from commands.policy import load_policy
from commands.router import RouteOptions, route
from tests.conftest import SHARED

POLICY = load_policy()
DATA = Path(__file__).resolve().parents[1] / "data"


def lane(text: str, **options: object) -> str:
    return route(text, POLICY, RouteOptions(**options)).lane.id  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Categorize these 800 app reviews into crash, UX or pricing", "cheap"),
        ("Pull every order number out of this email thread", "cheap"),
        ("Implement rate limiting on the public API and document it", "default"),
        ("Write the quarterly planning doc for the platform team", "default"),
        (
            "Figure out the root cause of the deadlock in our job scheduler that only happens under load",
            "premium",
        ),
        ("Add docstrings to every function in billing/invoices.py", "code"),
    ],
)
def test_kinds_of_task(text: str, expected: str) -> None:
    assert lane(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Summarize the partnership notes; Haiku got it wrong twice", "default"),
        ("Plan the data migration. Sonnet failed twice on it", "premium"),
        ("Debug the flaky importer, medium keeps missing it", "premium"),
        ("Explain the billing discrepancy: high effort was still wrong", "max"),
        ("Opus couldn't crack this scheduling proof, try again", "max"),
    ],
)
def test_earlier_failure_moves_one_rung_above_what_failed(text: str, expected: str) -> None:
    assert lane(text) == expected


def test_max_needs_premium_failure_or_maximum_effort_with_cost_no_object() -> None:
    assert lane("Maximum reasoning please, cost is no concern: should we exit the EU market?") == "max"
    assert lane("Use maximum effort on this memo review") == "premium"
    assert lane("Draft the board update on the outage") == "premium"  # stakes alone stop at premium


def test_stakes_raise_one_rung_but_not_bulk_tagging_or_code_edits() -> None:
    assert lane("Write the memo for the board on the reorg") == "premium"
    assert lane("Tag these 500 incident tickets by severity") == "cheap"
    assert lane("Write a Python script that exports the board members list to CSV") == "code"


def test_volume_and_latency_keep_cheap_work_cheap() -> None:
    assert lane("quick: rewrite this reply to sound friendlier") == "cheap"


def test_unclear_text_falls_to_default_with_low_confidence() -> None:
    decision = route("hmm, thoughts?", POLICY)
    assert decision.lane.id == "default"
    assert decision.confidence_label == "low"


def test_explicit_lane_and_provider_win() -> None:
    decision = route("Tag these tickets", POLICY, RouteOptions(lane="premium", provider="openai"))
    assert (decision.lane.id, decision.provider, decision.model.label) == (
        "premium",
        "openai",
        "gpt-5.4 (high)",
    )
    assert decision.explicit and decision.confidence == 1.0
    assert "router suggested cheap" in decision.reasons[0]


def test_decision_carries_cues_alternatives_and_lane_guidance() -> None:
    decision = route("Refactor utils.py to remove duplicated date handling", POLICY)
    assert decision.lane.id == "code"
    assert any(c.quote == "utils.py" for c in decision.cues)
    assert {a.lane for a in decision.alternatives} >= {"premium", "default"}
    assert decision.lane.escalate_when and decision.lane.avoid_when


@pytest.mark.parametrize(
    "text",
    [
        "",
        "🚀" * 5000,
        "Résume ce fil en trois points",
        "```\n" + "x = 1\n" * 5000 + "```",
        "a" * 40_000,
        "summarize " * 4000,
        "\x00\x01 control chars",
        "<!channel> <@U1> & <>",
    ],
)
def test_odd_input_never_crashes_and_stays_fast(text: str) -> None:
    started = time.perf_counter()
    decision = route(text, POLICY)
    assert decision.lane.id in POLICY.lanes
    assert time.perf_counter() - started < 5  # a hang guard, not a benchmark


def _score(path: Path) -> tuple[float, int]:
    report = evaluate(read_cases(path.read_text().splitlines(), str(path)), POLICY)
    return report.rate("acceptable"), report.worst_under


def test_shared_eval_cases_meet_the_bar() -> None:
    path = SHARED / "eval" / "routing-cases.jsonl"
    if not path.exists():
        pytest.skip("shared/ is not beside the checkout")
    acceptable, worst_under = _score(path)
    assert acceptable >= 0.95
    assert worst_under <= 1


@pytest.mark.parametrize(
    "name", ["routing-holdout.jsonl", "routing-holdout-2.jsonl", "routing-holdout-3.jsonl"]
)
def test_our_own_labelled_sets_do_not_regress(name: str) -> None:
    acceptable, worst_under = _score(DATA / name)
    assert acceptable >= 0.95 and worst_under <= 1


def test_no_shared_case_text_in_router_code_or_data() -> None:
    path = SHARED / "eval" / "routing-cases.jsonl"
    if not path.exists():
        pytest.skip("shared/ is not beside the checkout")
    root = Path(__file__).resolve().parents[2]
    sources = "".join(
        p.read_text().lower() for p in (root / "commands").glob("*.*") if p.suffix in (".py", ".toml")
    )
    for line in path.read_text().splitlines():
        text = json.loads(line)["text"].lower()
        assert text[:60] not in sources
