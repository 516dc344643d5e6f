"""The card queue: /route's work after the ack, in order per channel, failures logged, nothing dropped."""

from __future__ import annotations

import logging
import threading

import pytest

from bot.card_queue import CardQueue
from tests.conftest import Harness


def test_a_channels_cards_are_posted_in_the_order_its_commands_came(harness: Harness) -> None:
    tasks = [f"Summarize thread number {i:02d}" for i in range(12)]
    for task in tasks:
        assert harness.command("/route", task, channel="C1").status == 200
        assert harness.command("/route", "Translate this line", channel="C2").status == 200
    harness.built.card_queue.drain()
    cards = [c.args for c in harness.slack.calls("chat.postMessage") if c.args.get("channel") == "C1"]
    posted = [next(t for t in tasks if t in card["blocks"][0]["text"]["text"]) for card in cards]
    assert posted == tasks
    assert len([c for c in harness.slack.calls("chat.postMessage") if c.args.get("channel") == "C2"]) == 12


def test_work_that_fails_after_the_ack_is_logged_and_the_queue_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = CardQueue(1)
    done: list[str] = []

    def broken() -> None:
        raise RuntimeError("slack went away")

    with caplog.at_level(logging.ERROR, logger="bot.card_queue"):
        queue.submit("C1", broken)
        queue.submit("C1", lambda: done.append("next"))
        queue.close()
    assert done == ["next"]
    (record,) = caplog.records
    assert "C1" in record.getMessage() and record.exc_info and "slack went away" in str(record.exc_info[1])


def test_close_finishes_what_was_queued_before_the_stop() -> None:
    queue = CardQueue(2)
    release = threading.Event()
    done: list[int] = []
    queue.submit("C1", release.wait)  # the first card is still being posted when the stop comes
    for i in range(5):
        queue.submit("C1", lambda i=i: done.append(i))
    threading.Timer(0.05, release.set).start()
    queue.close()
    assert done == [0, 1, 2, 3, 4]


def test_a_queue_without_threads_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CardQueue(0)
