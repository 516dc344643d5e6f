"""Budgets hold under concurrency, and /escalate climbs one rung (issue 9, section 5), through Bolt.

The model fakes are held with an Event, so "at once" and "while the first is still running" are facts of
the test, not timing.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from storage.channel_settings import ChannelSettingsStore
from tests.builders import set_budget, spent
from tests.conftest import Harness

USD = 1_000_000_000
CHEAP_TASK = "Tag each of these 300 support tickets as billing, bug or other"
PREMIUM_TASK = "--lane premium Review our proposed microservices split and weigh the architecture tradeoffs"


def _budget(harness: Harness, usd: float, channel: str = "C1") -> None:
    set_budget(harness.bot.database, harness.bot.policy, channel, usd, harness.clock())


def _held(harness: Harness, usage: dict[str, int] | None = None) -> threading.Event:
    """Hold every Anthropic call until the returned event is set."""
    release = threading.Event()

    def reply(_body: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
        release.wait(20)
        return "done", usage

    harness.anthropic.reply_fn = reply
    return release


def _runs(harness: Harness) -> list[Any]:
    rows = harness.bot.database.conn.execute("SELECT id FROM runs ORDER BY id").fetchall()
    return [harness.bot.store.run(r[0]) for r in rows]


def test_ten_clicks_at_once_end_within_one_run_of_a_one_dollar_budget(harness: Harness) -> None:
    _budget(harness, 1)
    # Opus at its worst: the full ROUTEBOT_MAX_OUTPUT_TOKENS (8,192) of output, about $0.21 a run.
    release = _held(harness, {"input_tokens": 100, "output_tokens": 8192})
    cards = [harness.route(PREMIUM_TASK) for _ in range(10)]
    clicks = [
        threading.Thread(
            target=harness.press, args=(harness.buttons(card)[0],), kwargs={"message_ts": card["ts"]}
        )
        for card in cards
    ]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    harness.built.listener_pool.shutdown(wait=True)  # every click has been claimed or refused
    release.set()
    harness.built.run_pool.shutdown(wait=True)  # and every claimed run has finished

    runs = _runs(harness)
    refusals = [c for c in harness.slack.calls("response_url") if "budget" in c.args.get("text", "")]
    assert len(runs) + len(refusals) == 10 and refusals
    assert all(r.status == "succeeded" and r.model == "claude-opus-4-6" for r in runs)
    spent = sum(r.cost_nanousd for r in runs)
    most = max(r.cost_nanousd for r in runs)
    assert spent <= 1 * USD + most  # at most one run's cost over the budget
    assert spent > 1 * USD - most  # and the budget was used, not refused early
    for refusal in refusals:
        assert refusal.args["response_type"] == "ephemeral"
        text = refusal.args["text"]
        assert "of its $1.00 weekly budget" in text and "still in progress" in text, text
        assert "can raise the budget with `/route settings`" in text


def test_what_a_finished_run_did_not_spend_is_released(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness()
    _budget(harness, 0.4)
    release = _held(harness, {"input_tokens": 100, "output_tokens": 100})  # $0.003 of a $0.21 hold
    cards = [harness.route(PREMIUM_TASK) for _ in range(4)]
    for card in cards[:2]:
        harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.slack.wait_for("chat.postMessage", count=2, predicate=lambda c: "Running on" in str(c.args))
    harness.press(harness.buttons(cards[2])[0], message_ts=cards[2]["ts"])  # $0.41 held: no third
    refusal = harness.slack.wait_for("response_url", predicate=lambda c: "budget" in c.args.get("text", ""))
    assert "is held by 2 runs still in progress" in refusal[0].args["text"]
    release.set()
    harness.wait_answers(cards[1]["ts"])
    harness.wait_answers(cards[0]["ts"])
    harness.press(harness.buttons(cards[3])[0], message_ts=cards[3]["ts"])  # the holds are gone: it runs
    harness.wait_answers(cards[3]["ts"])
    assert [r.status for r in _runs(harness)] == ["succeeded"] * 3


def test_a_redelivered_escalate_climbs_one_rung_not_two(harness: Harness) -> None:
    card = harness.route(CHEAP_TASK)
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.wait_answers(card["ts"])
    harness.command("/escalate", "too shallow", trigger_id="1.2.esc")
    harness.wait_answers(card["ts"], count=2)  # the escalation has finished
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert harness.command("/escalate", "too shallow", trigger_id="1.2.esc", headers=retry).status == 200
    harness.built.listener_pool.shutdown(wait=True)
    harness.built.run_pool.shutdown(wait=True)
    assert [r.model for r in _runs(harness)] == ["claude-haiku-4-5", "claude-sonnet-4-6"]


def test_escalate_typed_again_while_the_first_escalation_runs_says_so(harness: Harness) -> None:
    card = harness.route(CHEAP_TASK)
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.wait_answers(card["ts"])
    release = _held(harness)
    harness.command("/escalate", "")
    harness.slack.wait_for("response_url", predicate=lambda c: "Escalating to" in c.args.get("text", ""))
    harness.command("/escalate", "")
    said = harness.slack.wait_for(
        "response_url", predicate=lambda c: "still in progress" in c.args.get("text")
    )
    assert said[0].args["response_type"] == "ephemeral"
    assert "The escalation to claude-sonnet-4-6 is still in progress" in said[0].args["text"]
    release.set()
    harness.wait_answers(card["ts"], count=2)
    harness.built.listener_pool.shutdown(wait=True)
    harness.built.run_pool.shutdown(wait=True)
    assert [r.model for r in _runs(harness)] == ["claude-haiku-4-5", "claude-sonnet-4-6"]


def _seed_spend(harness: Harness, usd: float, channel: str = "C1") -> None:
    """A finished, priced run this week in `channel`."""
    spent(harness.bot.store, usd, channel, harness.clock())


def _warnings(harness: Harness) -> list[Any]:
    return [
        c
        for c in harness.slack.calls("chat.postMessage")
        if "weekly budget" in json.dumps(c.args) and not c.args.get("thread_ts")
    ]


def _warned(harness: Harness) -> list[tuple[str, str]]:
    return harness.bot.database.conn.execute("SELECT week, status FROM budget_warnings").fetchall()


def _eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until `check()` holds (work finishing on the bot's threads), failing after `timeout`."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.01)


def test_a_rate_limited_80_percent_warning_is_posted_after_retry_after(harness: Harness) -> None:
    _budget(harness, 50)
    _seed_spend(harness, 45)
    card = harness.route(CHEAP_TASK)
    harness.slack.fail(
        "chat.postMessage", status=429, retry_after=1, times=1, when=lambda args: not args.get("thread_ts")
    )
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    _eventually(lambda: _warned(harness) == [("2025-W48", "sent")])  # no other run needed
    attempts = _warnings(harness)
    assert [c.error for c in attempts] == ["ratelimited", None]


def test_an_80_percent_warning_slack_refuses_is_not_recorded_and_the_next_run_posts_it(
    harness: Harness,
) -> None:
    _budget(harness, 50)
    _seed_spend(harness, 45)
    card = harness.route(CHEAP_TASK)
    # A rate limit longer than ROUTEBOT_SLACK_MAX_RETRY_WAIT: the client gives up on this post at once.
    harness.slack.fail(
        "chat.postMessage", status=429, retry_after=3600, when=lambda args: not args.get("thread_ts")
    )
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.wait_answers(card["ts"])
    harness.slack.wait_for("chat.postMessage", predicate=lambda c: c.error == "ratelimited")
    _eventually(lambda: _warned(harness) == [])  # released, not recorded as sent: Slack never took it
    harness.slack.clear_failures()
    harness.press(harness.buttons(card)[1], message_ts=card["ts"])  # the next finished run tries again
    _eventually(lambda: _warned(harness) == [("2025-W48", "sent")])
    sent = [c for c in _warnings(harness) if c.error is None]
    assert len(sent) == 1 and sent[0].args["channel"] == "C1"
    assert "(90%, 2025-W48)" in json.dumps(sent[0].args)


def test_a_warning_claimed_by_a_process_that_died_mid_post_is_posted_by_the_next_run(
    harness: Harness,
) -> None:
    _budget(harness, 50)
    _seed_spend(harness, 45)
    store = ChannelSettingsStore(harness.bot.database)
    # Another process claimed the warning 16 minutes ago and died before Slack answered.
    assert store.claim_budget_warning("C1", "2025-W48", harness.clock() - 16 * 60, lease=15 * 60)
    card = harness.route(CHEAP_TASK)
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    _eventually(lambda: _warned(harness) == [("2025-W48", "sent")])
    assert len(_warnings(harness)) == 1


def test_a_warning_another_process_is_posting_right_now_is_not_posted_twice(harness: Harness) -> None:
    _budget(harness, 50)
    _seed_spend(harness, 45)
    store = ChannelSettingsStore(harness.bot.database)
    assert store.claim_budget_warning("C1", "2025-W48", harness.clock(), lease=15 * 60)
    card = harness.route(CHEAP_TASK)
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.wait_answers(card["ts"])
    harness.built.run_pool.shutdown(wait=True)
    assert _warnings(harness) == [] and _warned(harness) == [("2025-W48", "posting")]
