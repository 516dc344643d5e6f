"""Learning applied to a router decision, over real storage: the lane it starts on, the offer, the record."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from commands.calibration import DAY
from commands.learning import Learning
from commands.policy import DEFAULT_POLICY_PATH, Policy, load_policy
from commands.providers import TokenCounts
from commands.router import Decision, route
from storage.db import Database
from storage.learning import LearningStore
from storage.runs import NewRun, RunStore

NOW = 1_764_000_000.0
TASK = "Summarize this meeting transcript for the {segment} team in 3 bullets"
SEGMENTS = (
    "SMB payroll",
    "EU e-invoicing",
    "mid-market CRM",
    "enterprise search",
    "HR software",
    "ERP",
    "POS",
    "BI",
)


@pytest.fixture
def policy() -> Policy:
    return load_policy(DEFAULT_POLICY_PATH)


@pytest.fixture
def setup(tmp_path: Path, policy: Policy) -> tuple[RunStore, Learning]:
    database = Database(str(tmp_path / "r.db"))
    return RunStore(database), Learning(LearningStore(database), policy)


def _fine_on_cheap(runs: RunStore, learning: Learning, policy: Policy, count: int) -> None:
    """`count` requests the router sent to cheap, answered there, and never escalated within a day."""
    for segment in SEGMENTS[:count]:
        task = TASK.format(segment=segment)
        decision = route(task, policy)
        assert decision.lane.id == "cheap"
        learned = learning.adjust(decision, task, "C1", NOW - 2 * DAY)
        request, _ = runs.create_request(
            channel_id="C1",
            user_id="U1",
            task=task,
            lane="cheap",
            provider="anthropic",
            confidence=0.8,
            now=NOW - 2 * DAY,
        )
        learning.record(request.id, "C1", learned, NOW - 2 * DAY)
        run = runs.claim_run(
            NewRun(request.id, "C1", "U1", "anthropic", "claude-haiku-4-5", None, "cheap", 0), NOW - 2 * DAY
        )
        assert run is not None
        runs.start_run(run.id, NOW - 2 * DAY)
        runs.finish_run(run.id, now=NOW - 2 * DAY, answer="ok", tokens=TokenCounts(10, 10), cost_nanousd=1)


def _at_default(policy: Policy, task: str) -> Decision:
    """The router's decision for `task`, as if it had chosen the default lane."""
    lane = policy.lane("default")
    return replace(route(task, policy), lane=lane, model=lane.models["anthropic"], models=dict(lane.models))


def test_a_cheaper_lane_is_offered_on_the_card_and_the_start_is_unchanged(setup, policy: Policy) -> None:  # type: ignore[no-untyped-def]
    runs, learning = setup
    _fine_on_cheap(runs, learning, policy, 5)
    task = TASK.format(segment="design")
    learned = learning.adjust(_at_default(policy, task), task, "C1", NOW)
    assert learned.decision.lane.id == "default" and learned.adjustment is not None
    first = learned.decision.alternatives[0]
    assert (first.lane, first.why) == ("cheap", "5 similar requests here were fine on claude-haiku-4-5")
    assert learning.adjust(_at_default(policy, task), task, "C2", NOW).adjustment is None


def test_strong_evidence_starts_a_rung_lower_and_is_recorded(setup, policy: Policy) -> None:  # type: ignore[no-untyped-def]
    runs, learning = setup
    _fine_on_cheap(runs, learning, policy, 8)
    task = TASK.format(segment="design")
    learned = learning.adjust(_at_default(policy, task), task, "C1", NOW)
    decision = learned.decision
    assert (decision.lane.id, decision.model.model) == ("cheap", "claude-haiku-4-5")
    assert decision.reasons[0].startswith("Started at claude-haiku-4-5 instead of claude-sonnet-4-6: 8 of")
    assert decision.alternatives[0].lane == "default"  # the router's own choice stays on the card
    request, _ = runs.create_request(
        channel_id="C1", user_id="U1", task=task, lane="cheap", provider="anthropic", confidence=0.8, now=NOW
    )
    learning.record(request.id, "C1", learned, NOW)
    assert learning.week("C1", NOW - 1, NOW + 1).moved_down == 1


def test_an_explicit_lane_is_left_alone_and_recorded_as_explicit(setup, policy: Policy) -> None:  # type: ignore[no-untyped-def]
    runs, learning = setup
    _fine_on_cheap(runs, learning, policy, 8)
    task = TASK.format(segment="design")
    explicit = replace(_at_default(policy, task), explicit=True)
    learned = learning.adjust(explicit, task, "C1", NOW)
    assert learned.decision is explicit and learned.adjustment is None
