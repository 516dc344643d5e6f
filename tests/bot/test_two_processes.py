"""Two routebots on one database file (a rolling deploy): each keeps its own runs, nothing is charged twice.

Each harness is a whole app (its own RunStore owner, RunService, dispatcher and pools) on the same file,
which is what two processes share; the second is started while the first is answering.
"""

from __future__ import annotations

import json
from typing import Any

from bot.startup import on_startup
from commands.providers import TokenCounts
from storage.runs import LEASE_SECONDS, NewRun
from tests.conftest import Harness

TASK = "Tag each of these 300 support tickets as billing, bug or other"


def _text(args: dict[str, Any]) -> str:
    return json.dumps(args.get("blocks") or [], ensure_ascii=False)


def _outcomes(harness: Harness, thread_ts: str) -> list[dict[str, Any]]:
    return [
        m
        for m in harness.thread_messages(thread_ts)
        if "Answer from" in _text(m) or "was interrupted" in _text(m) or "could not answer" in _text(m)
    ]


def _charged(harness: Harness) -> int:
    # An aggregate over the request's runs: what the channel's budget and digest will count.
    row = harness.bot.database.conn.execute(
        "SELECT COALESCE(SUM(cost_nanousd), 0) FROM runs WHERE status = 'succeeded'"
    ).fetchone()
    return int(row[0])


def test_a_second_server_started_mid_run_leaves_the_run_to_the_first(make_harness) -> None:  # type: ignore[no-untyped-def]
    first = make_harness()
    first.anthropic.hold()
    card = first.route(TASK)
    first.press(first.buttons(card)[0], message_ts=card["ts"])
    first.anthropic.wait_for(1)  # the model call is in flight on the first server
    second = make_harness()  # same database file, started while the first is answering
    report = on_startup(second.built)
    assert (report.interrupted, report.delivered) == (0, 0)
    first.anthropic.release()
    first.wait_answers(card["ts"])
    first.built.run_pool.shutdown(wait=True)  # the delivery is recorded right after the post
    (run,) = first.bot.store.runs_for_request(1)
    assert (run.status, run.owner, run.delivery) == ("succeeded", first.bot.store.owner, "delivered")
    assert len(_outcomes(first, card["ts"])) == 1  # no "interrupted ... press Retry" from the second
    assert _charged(first) == run.cost_nanousd > 0


def test_two_servers_starting_together_interrupt_a_dead_ones_run_once(make_harness) -> None:  # type: ignore[no-untyped-def]
    dead = make_harness()
    card = dead.route(TASK)
    run = dead.bot.store.claim_run(
        NewRun(1, "C1", "U1", "anthropic", "claude-haiku-4-5", None, "cheap", 0), dead.clock()
    )
    dead.bot.store.start_run(run.id, dead.clock())
    dead.built.close()
    dead.clock.advance(LEASE_SECONDS + 1)
    a, b = make_harness(), make_harness()
    reports = [on_startup(a.built), on_startup(b.built)]
    assert sorted(r.interrupted for r in reports) == [0, 1]
    assert len(_outcomes(a, card["ts"])) == 1


def test_retry_after_a_takeover_charges_the_request_once_even_when_the_old_call_returns(make_harness) -> None:  # type: ignore[no-untyped-def]
    old = make_harness()
    card = old.route(TASK)
    store = old.bot.store
    new_run = NewRun(1, "C1", "U1", "anthropic", "claude-haiku-4-5", None, "cheap", 0)
    stuck = store.claim_run(new_run, old.clock())
    store.start_run(stuck.id, old.clock())  # old's model call hangs, and its lease stops being renewed
    old.clock.advance(LEASE_SECONDS + 1)
    new = make_harness()
    assert on_startup(new.built).interrupted == 1
    notice = _outcomes(new, card["ts"])[-1]
    assert "interrupted" in _text(notice)
    new.press(new.buttons(notice)[0], message_ts="5.0", thread_ts=card["ts"])  # Retry, on the new server
    new.wait_answers(card["ts"], count=2)
    # Now the old server's call finally returns: the run is no longer its own, so nothing is recorded.
    late = store.finish_run(
        stuck.id, now=old.clock(), answer="late", tokens=TokenCounts(1000, 1000), cost_nanousd=9_999_999
    )
    assert late is None
    runs = new.bot.store.runs_for_request(1)
    assert [(r.attempt, r.status) for r in runs] == [(1, "interrupted"), (2, "succeeded")]
    assert runs[0].answer is None and runs[0].cost_nanousd is None
    assert _charged(new) == runs[1].cost_nanousd


def test_retry_of_a_run_another_server_is_still_running_is_refused(make_harness) -> None:  # type: ignore[no-untyped-def]
    first = make_harness()
    first.anthropic.hold()
    card = first.route(TASK)
    first.press(first.buttons(card)[0], message_ts=card["ts"])
    first.anthropic.wait_for(1)
    second = make_harness()
    on_startup(second.built)
    # A stale Retry (sealed, as the bot issues them, in the card's thread) while the first is answering.
    sealed = second.bot.seal.seal("retry", {"run": 1})
    retry = {"action_id": "retry", "value": sealed, "block_id": "retry:1", "label": "Retry"}
    second.press(retry, message_ts="5.0", thread_ts=card["ts"])
    refusal = second.slack.wait_for("response_url", predicate=lambda c: "nothing to retry" in str(c.args))
    assert refusal[0].args["response_type"] == "ephemeral"
    first.anthropic.release()
    first.wait_answers(card["ts"])
    assert len(first.bot.store.runs_for_request(1)) == 1
    assert len(first.anthropic.requests) == 1


def test_the_heartbeat_keeps_a_long_run_owned_past_its_first_lease(make_harness) -> None:  # type: ignore[no-untyped-def]
    first = make_harness()
    first.anthropic.hold()  # a model call that takes longer than a lease
    card = first.route(TASK)
    first.press(first.buttons(card)[0], message_ts=card["ts"])
    first.anthropic.wait_for(1)
    first.clock.advance(LEASE_SECONDS * 2 / 3)
    first.bot.dispatcher.leases.beat()  # what the heartbeat thread does every third of a lease
    first.clock.advance(LEASE_SECONDS * 2 / 3)  # past the first lease, within the renewed one
    second = make_harness()
    assert on_startup(second.built).interrupted == 0
    first.anthropic.release()
    first.wait_answers(card["ts"])
    assert [r.status for r in first.bot.store.runs_for_request(1)] == ["succeeded"]


def test_a_run_left_by_a_crash_just_before_a_restart_is_interrupted_once_its_lease_runs_out(
    make_harness,
) -> None:  # type: ignore[no-untyped-def]
    dead = make_harness()
    card = dead.route(TASK)
    run = dead.bot.store.claim_run(
        NewRun(1, "C1", "U1", "anthropic", "claude-haiku-4-5", None, "cheap", 0), dead.clock()
    )
    dead.bot.store.start_run(run.id, dead.clock())
    dead.built.close()
    restarted = make_harness()  # seconds later: the dead process's lease is still valid
    assert on_startup(restarted.built).interrupted == 0
    restarted.clock.advance(LEASE_SECONDS + 1)
    restarted.bot.dispatcher.leases.beat()  # the heartbeat's sweep, a lease later
    notice = restarted.wait_answers(card["ts"])[-1]
    assert "interrupted" in _text(notice)
    assert restarted.bot.store.run(run.id).status == "interrupted"
