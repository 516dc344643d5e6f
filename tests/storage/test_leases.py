"""Run leases and delivery state: two processes (two stores on one file) never take each other's runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands.providers import TokenCounts
from storage.db import Database
from storage.runs import MAX_DELIVERY_ATTEMPTS, NewRun, RunStore

LEASE = 60.0
T0 = 1_000.0


@pytest.fixture
def stores(tmp_path: Path) -> tuple[RunStore, RunStore]:
    path = str(tmp_path / "r.db")
    return (
        RunStore(Database(path), owner="A", lease_seconds=LEASE),
        RunStore(Database(path), owner="B", lease_seconds=LEASE),
    )


def _running(store: RunStore, attempt: int = 1) -> int:
    request, _ = store.create_request(
        channel_id="C1", user_id="U1", task="t", lane="cheap", provider="anthropic", confidence=0.5, now=T0
    )
    run = store.claim_run(
        NewRun(request.id, "C1", "U1", "anthropic", "claude-haiku-4-5", None, "cheap", 0, attempt), T0
    )
    assert run is not None and (run.owner, run.lease_expires_at) == (store.owner, T0 + LEASE)
    assert store.start_run(run.id, T0)
    return run.id


def _finish(store: RunStore, run_id: int, now: float):  # type: ignore[no-untyped-def]
    return store.finish_run(run_id, now=now, answer="a", tokens=TokenCounts(10, 5), cost_nanousd=700)


def test_another_process_leaves_a_leased_run_alone(stores: tuple[RunStore, RunStore]) -> None:
    a, b = stores
    run_id = _running(a)
    assert b.interrupt_expired(now=T0 + LEASE - 1) == []
    assert not b.start_run(run_id, T0)  # nor can it start what A claimed
    assert b.finish_run(run_id, now=T0, answer="x", tokens=TokenCounts(1, 1), cost_nanousd=1) is None
    done = _finish(a, run_id, T0 + 5)
    assert done is not None
    assert (done.status, done.cost_nanousd, done.delivery) == ("succeeded", 700, "pending")


def test_a_renewed_lease_keeps_a_long_run_owned(stores: tuple[RunStore, RunStore]) -> None:
    a, b = stores
    run_id = _running(a)
    assert a.renew_leases(now=T0 + 50) == 1
    assert b.interrupt_expired(now=T0 + LEASE + 1) == []  # would have expired without the renewal
    assert a.run(run_id).lease_expires_at == T0 + 50 + LEASE


def test_an_expired_lease_is_interrupted_once_and_the_late_answer_is_not_charged(
    stores: tuple[RunStore, RunStore],
) -> None:
    a, b = stores
    run_id = _running(a)
    (taken,) = b.interrupt_expired(now=T0 + LEASE + 1)
    assert (taken.status, taken.owner, taken.delivery) == ("interrupted", "B", "pending")
    assert a.interrupt_expired(now=T0 + LEASE + 2) == []  # B holds it now, to post the notice
    assert _finish(a, run_id, T0 + LEASE + 3) is None  # A's call came back too late: discarded
    after = b.run(run_id)
    assert (after.status, after.cost_nanousd, after.answer) == ("interrupted", None, None)


def test_a_stored_outcome_is_taken_over_only_after_its_owner_stopped_renewing(
    stores: tuple[RunStore, RunStore],
) -> None:
    a, b = stores
    run_id = _running(a)
    _finish(a, run_id, T0 + 5)  # answered, then the process died before posting
    assert b.take_undelivered(now=T0 + 10) == []  # A's lease still covers the post
    (taken,) = b.take_undelivered(now=T0 + 5 + LEASE + 1)
    assert (taken.id, taken.owner, taken.delivery) == (run_id, "B", "pending")
    assert a.take_undelivered(now=T0 + 5 + LEASE + 2) == []
    b.record_delivery(run_id, "delivered")
    a.record_delivery(run_id, "failed", "not_in_channel")  # A no longer owns it: no effect
    done = b.run(run_id)
    assert (done.delivery, done.delivery_attempts, done.delivery_error) == ("delivered", 1, None)
    assert b.take_undelivered(now=T0 + 10 * LEASE) == []


def test_a_failed_delivery_is_tried_again_a_few_times_then_left(stores: tuple[RunStore, RunStore]) -> None:
    a, b = stores
    run_id = _running(a)
    _finish(a, run_id, T0)
    a.record_delivery(run_id, "failed", "ratelimited")
    now = T0
    for _ in range(MAX_DELIVERY_ATTEMPTS - 1):
        now += 2 * LEASE
        (taken,) = b.take_undelivered(now)
        b.record_delivery(taken.id, "failed", "ratelimited")
    assert b.take_undelivered(now + 2 * LEASE) == []
    run = b.run(run_id)
    assert (run.delivery, run.delivery_attempts, run.delivery_error) == (
        "failed",
        MAX_DELIVERY_ATTEMPTS,
        "ratelimited",
    )
