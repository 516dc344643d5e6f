"""Learning's storage: outcomes read from runs, explicit lanes left out, on/off and reset audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands.calibration import WEAK_FAILURE, signal
from commands.providers import TokenCounts
from storage.channel_settings import ChannelSettingsStore
from storage.conversations import ConversationStore
from storage.db import Database
from storage.learning import LearningStore
from storage.runs import NewRun, RunStore

NOW = 1_764_000_000.0


@pytest.fixture
def stores(tmp_path: Path) -> tuple[RunStore, LearningStore, Database]:
    database = Database(str(tmp_path / "r.db"))
    return RunStore(database), LearningStore(database), database


def _request(
    runs: RunStore, learning: LearningStore, channel: str, *, explicit: bool = False, at: float = NOW
):  # type: ignore[no-untyped-def]
    request, _ = runs.create_request(
        channel_id=channel,
        user_id="U1",
        task="a task",
        lane="cheap",
        provider="anthropic",
        confidence=0.8,
        now=at,
    )
    learning.record(
        request_id=request.id,
        channel_id=channel,
        base_lane="cheap",
        lane="cheap",
        moved=0,
        offer=None,
        explicit=explicit,
        features=frozenset({"f1", "f2"}),
        explanation=None,
        now=at,
    )
    return request


def _run(
    runs: RunStore,
    request_id: int,
    channel: str,
    rung: int,
    *,
    source: int | None = None,
    reason: str | None = None,
    at: float = NOW,
) -> int:  # type: ignore[no-untyped-def]
    lane = ("cheap", "default", "premium")[rung]
    run = runs.claim_run(
        NewRun(request_id, channel, "U1", "anthropic", f"m{rung}", None, lane, rung, 1, source, reason), at
    )
    assert run is not None
    runs.start_run(run.id, at)
    runs.finish_run(run.id, now=at, answer="a", tokens=TokenCounts(10, 10), cost_nanousd=1)
    return run.id


def test_outcomes_come_from_the_runs(stores) -> None:  # type: ignore[no-untyped-def]
    runs, learning, _ = stores
    escalated = _request(runs, learning, "C1")
    first = _run(runs, escalated.id, "C1", 0)
    _run(runs, escalated.id, "C1", 1, source=first, reason="missed_context", at=NOW + 60)
    answered = _request(runs, learning, "C1")
    _run(runs, answered.id, "C1", 0)
    _request(runs, learning, "C1")  # never run: no outcome
    _request(runs, learning, "C1", explicit=True)  # --lane: never evidence
    observed = {o.request_id: o for o in learning.observed(0)}
    assert set(observed) == {escalated.id, answered.id}
    assert observed[escalated.id].escalated_from == 0
    assert observed[escalated.id].reasons == ("missed_context",)
    assert observed[escalated.id].top_succeeded == 1 and observed[escalated.id].last_run_at == NOW + 60
    assert observed[answered.id].escalated_from is None and observed[answered.id].top_succeeded == 0
    assert observed[escalated.id].features == frozenset({"f1", "f2"})


def test_votes_in_the_feedback_table_become_signals(stores) -> None:  # type: ignore[no-untyped-def]
    runs, learning, database = stores
    votes = ConversationStore(database)
    # escalated, then "helpful" where the escalations stopped: the higher rung sufficed (the vote on the
    # answer it escalated past is not the one that counts)
    escalated = _request(runs, learning, "C1")
    first = _run(runs, escalated.id, "C1", 0)
    second = _run(runs, escalated.id, "C1", 1, source=first, reason="too_shallow", at=NOW + 60)
    votes.vote(first, "U2", False, NOW + 30)
    votes.vote(second, "U2", True, NOW + 90)
    # answered once and "not helpful", nobody escalated: a weak failure of that rung
    unhelpful = _request(runs, learning, "C1")
    votes.vote(_run(runs, unhelpful.id, "C1", 0), "U3", False, NOW + 10)
    # two people disagree, and one changes their vote: the latest vote counts
    changed = _request(runs, learning, "C1")
    answer = _run(runs, changed.id, "C1", 0)
    votes.vote(answer, "U2", True, NOW + 10)
    votes.vote(answer, "U3", True, NOW + 20)
    votes.vote(answer, "U2", False, NOW + 30)
    # no votes: nothing yet, until a day without an escalation settles it
    silent = _request(runs, learning, "C1")
    _run(runs, silent.id, "C1", 0)

    observed = {o.request_id: o for o in learning.observed(0)}
    assert observed[escalated.id].helpful is True
    assert observed[unhelpful.id].helpful is False
    assert observed[changed.id].helpful is False
    assert observed[silent.id].helpful is None

    soon = NOW + 120  # before any request settled on its own
    sufficed = signal(observed[escalated.id], soon)
    assert sufficed is not None and (sufficed.failed, sufficed.fine, sufficed.failure_weight) == (0, 1, 1.0)
    weak = signal(observed[unhelpful.id], soon)
    assert weak is not None and (weak.failed, weak.fine, weak.failure_weight) == (0, None, WEAK_FAILURE)
    latest = signal(observed[changed.id], soon)
    assert latest is not None and (latest.failed, latest.fine) == (0, None)
    assert signal(observed[silent.id], soon) is None


def test_recording_a_request_twice_keeps_the_first(stores) -> None:  # type: ignore[no-untyped-def]
    runs, learning, database = stores
    request = _request(runs, learning, "C1")
    learning.record(
        request_id=request.id,
        channel_id="C1",
        base_lane="cheap",
        lane="default",
        moved=1,
        offer=None,
        explicit=False,
        features=frozenset(),
        explanation="x",
        now=NOW,
    )
    assert database.conn.execute("SELECT lane, moved FROM learning_requests").fetchall() == [("cheap", 0)]


def test_off_and_on_are_audited_once_each(stores) -> None:  # type: ignore[no-untyped-def]
    _runs, learning, database = stores
    assert learning.state("C1").enabled
    assert learning.set_enabled("C1", False, "UADMIN", NOW)
    assert not learning.set_enabled("C1", False, "UADMIN", NOW + 1)  # already off: no second entry
    assert not learning.state("C1").enabled and learning.state("C2").enabled
    assert learning.set_enabled("C1", True, "UBOSS", NOW + 2)
    changes = ChannelSettingsStore(database).changes("C1")
    assert [(c.user_id, c.field, c.old, c.new) for c in changes] == [
        ("UADMIN", "learning", "on", "off"),
        ("UBOSS", "learning", "off", "on"),
    ]


def test_reset_forgets_the_channels_evidence_only(stores) -> None:  # type: ignore[no-untyped-def]
    runs, learning, database = stores
    for channel in ("C1", "C1", "C2"):
        request = _request(runs, learning, channel)
        _run(runs, request.id, channel, 0)
    assert learning.reset("C1", "UADMIN", NOW + 10) == 2
    assert {o.channel_id for o in learning.observed(0)} == {"C2"}
    later = _request(runs, learning, "C1", at=NOW + 20)
    _run(runs, later.id, "C1", 0, at=NOW + 20)
    assert {o.request_id for o in learning.observed(0) if o.channel_id == "C1"} == {later.id}
    assert learning.reset("C1", "UADMIN", NOW + 30) == 1  # counts only what the last reset had not
    (first, second) = ChannelSettingsStore(database).changes("C1")
    assert (first.field, first.new, second.new) == ("learning_reset", "2", "1")
    assert learning.state("C1").reset_at == NOW + 30 and learning.state("C1").enabled


def test_a_week_counts_what_learning_did(stores) -> None:  # type: ignore[no-untyped-def]
    runs, learning, _ = stores
    for moved, escalate in ((1, True), (1, False), (-1, False), (0, True)):
        request, _ = runs.create_request(
            channel_id="C1",
            user_id="U1",
            task="t",
            lane="default",
            provider="anthropic",
            confidence=0.8,
            now=NOW,
        )
        learning.record(
            request_id=request.id,
            channel_id="C1",
            base_lane="cheap",
            lane="default",
            moved=moved,
            offer="cheap" if moved == 0 else None,
            explicit=False,
            features=frozenset(),
            explanation="e",
            now=NOW,
        )
        first = _run(runs, request.id, "C1", 1)
        if escalate:
            _run(runs, request.id, "C1", 2, source=first)
    week = learning.week("C1", NOW - 1, NOW + 1)
    assert (week.moved_up, week.moved_up_escalated, week.moved_down, week.offered) == (2, 1, 1, 1)
    assert learning.week("C2", NOW - 1, NOW + 1).moved_up == 0


def test_observed_finds_the_requests_that_ran_among_many_that_did_not(stores) -> None:  # type: ignore[no-untyped-def]
    """Read from the runs, bounded by the window's first request: the limit, window, channel, explicit
    lanes and the channel's reset all still apply, however many requests nobody ran lie between."""
    runs, learning, _ = stores
    before = _request(runs, learning, "C1", at=NOW - 100)
    _run(runs, before.id, "C1", 0, at=NOW + 1)  # routed before the window, run inside it: not evidence
    first = _request(runs, learning, "C1")
    _run(runs, first.id, "C1", 0)
    for i in range(40):
        _request(runs, learning, f"C{1 + i % 2}")  # never run
    other = _request(runs, learning, "C2")
    _run(runs, other.id, "C2", 0)
    explicit = _request(runs, learning, "C1", explicit=True)
    _run(runs, explicit.id, "C1", 0)
    last = _request(runs, learning, "C1", at=NOW + 5)
    _run(runs, last.id, "C1", 0, at=NOW + 5)

    assert [o.request_id for o in learning.observed(NOW)] == [first.id, other.id, last.id]
    assert [o.request_id for o in learning.observed(NOW, "C1")] == [first.id, last.id]
    assert [o.request_id for o in learning.observed(NOW, "C2")] == [other.id]
    assert [o.request_id for o in learning.observed(NOW, limit=2)] == [other.id, last.id]
    assert learning.observed(NOW + 10) == []  # nothing routed in the window at all
    learning.reset("C1", "UADMIN", NOW + 2)
    assert [o.request_id for o in learning.observed(NOW, "C1")] == [last.id]
