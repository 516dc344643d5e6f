"""Issue 9, sections 5 and 8 re-checked from outside: budget holds, /escalate races and settings input.

Budgets: a run in flight holds the most it can cost; these check the hold goes away however the run ends
(a failed call, a refusal, a restart that interrupts it). /escalate: redelivered with another retry reason,
and typed twice at once. Settings: budgets as people type them, and crafted window metadata.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from slack_bolt.response import BoltResponse

from bot.startup import on_startup
from storage.channel_settings import ChannelSettingsStore
from storage.runs import LEASE_SECONDS, NewRun
from tests.builders import set_budget, unpriced_policy
from tests.conftest import SECRET, Harness
from tests.fakes.slack_requests import bolt_request, view_submission

USD = 1_000_000_000
CHEAP_TASK = "Tag each of these 300 support tickets as billing, bug or other"
PREMIUM_TASK = "--lane premium Review our proposed microservices split and weigh the architecture tradeoffs"


def _budget(harness: Harness, usd: float, channel: str = "C1") -> None:
    set_budget(harness.bot.database, harness.bot.policy, channel, usd, harness.clock())


def _runs(harness: Harness) -> list[Any]:
    rows = harness.bot.database.conn.execute("SELECT id FROM runs ORDER BY id").fetchall()
    return [harness.bot.store.run(r[0]) for r in rows]


def _budget_refusals(harness: Harness) -> list[Any]:
    return [c for c in harness.slack.calls("response_url") if "weekly budget" in c.args.get("text", "")]


def _outcome(harness: Harness, thread_ts: str, words: str) -> None:
    harness.slack.wait_for(
        "chat.postMessage",
        predicate=lambda c: c.args.get("thread_ts") == thread_ts and words in json.dumps(c.args),
    )
    harness.runs_settled()


def test_a_failed_call_releases_its_hold(harness: Harness) -> None:
    _budget(harness, 0.2)  # a premium run starts, and its hold (about $0.21) stops any other
    first, second = harness.route(PREMIUM_TASK), harness.route(PREMIUM_TASK)
    harness.anthropic.fail(500, times=1)
    harness.press(harness.buttons(first)[0], message_ts=first["ts"])
    _outcome(harness, first["ts"], "could not answer")
    harness.press(harness.buttons(second)[0], message_ts=second["ts"])
    _outcome(harness, second["ts"], "Answer from")
    assert [r.status for r in _runs(harness)] == ["failed", "succeeded"] and _budget_refusals(harness) == []


def test_a_refusal_releases_its_hold_and_counts_what_the_api_charged(harness: Harness) -> None:
    _budget(harness, 0.2)
    first, second = harness.route(PREMIUM_TASK), harness.route(PREMIUM_TASK)
    harness.anthropic.refuse = True
    harness.press(harness.buttons(first)[0], message_ts=first["ts"])
    _outcome(harness, first["ts"], "declined this task")
    harness.anthropic.refuse = False
    harness.press(harness.buttons(second)[0], message_ts=second["ts"])
    _outcome(harness, second["ts"], "Answer from")
    refused, answered = _runs(harness)
    assert refused.refused and refused.cost_nanousd and refused.cost_nanousd > 0
    assert answered.status == "succeeded" and _budget_refusals(harness) == []
    held = harness.bot.database.conn.execute(
        "SELECT COUNT(*) FROM runs WHERE status IN ('queued', 'running')"
    ).fetchone()[0]
    assert held == 0


def test_a_run_interrupted_by_a_restart_releases_its_hold(make_harness) -> None:  # type: ignore[no-untyped-def]
    first = make_harness()
    _budget(first, 0.2)
    dead_card, card = first.route(PREMIUM_TASK), first.route(PREMIUM_TASK)
    request = first.bot.store.request(1)
    run = first.bot.store.claim_run(
        NewRun(request.id, "C1", "U1", "anthropic", "claude-opus-4-6", None, "premium", 2),
        first.clock(),
        int(0.21 * USD),
    )
    assert run is not None
    first.bot.store.start_run(run.id, first.clock())
    first.press(first.buttons(card)[0], message_ts=card["ts"])  # the dead run's hold still counts
    first.slack.wait_for("response_url", predicate=lambda c: "weekly budget" in c.args.get("text", ""))
    first.built.close()
    first.clock.advance(LEASE_SECONDS + 1)
    restarted = make_harness()
    assert on_startup(restarted.built).interrupted == 1
    restarted.wait_answers(dead_card["ts"])
    restarted.press(restarted.buttons(card)[0], message_ts=card["ts"])
    _outcome(restarted, card["ts"], "Answer from")
    assert [r.status for r in _runs(restarted)] == ["interrupted", "succeeded"]


def test_runs_at_an_unknown_price_hold_nothing_and_never_block_on_their_own(make_harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_POLICY=str(unpriced_policy(tmp_path)))
    _budget(harness, 0.01)
    harness.anthropic.hold()
    cards = [harness.route(CHEAP_TASK) for _ in range(3)]
    for card in cards:
        harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.anthropic.wait_for(3)  # all three in flight at once: none held the budget against the others
    holds = harness.bot.database.conn.execute("SELECT budget_hold_nanousd FROM runs").fetchall()
    assert holds == [(None,)] * 3
    harness.anthropic.release()
    for card in cards:
        harness.wait_answers(card["ts"])
    runs = _runs(harness)
    assert all(r.status == "succeeded" and r.cost_nanousd is None for r in runs)
    assert _budget_refusals(harness) == []


def test_an_80_percent_warning_rate_limited_twice_then_taken_is_posted_once(harness: Harness) -> None:
    _budget(harness, 0.01)
    harness.anthropic.reply("ok", usage={"input_tokens": 5000, "output_tokens": 2000})  # about $0.015
    card = harness.route(CHEAP_TASK)
    harness.slack.fail(
        "chat.postMessage", status=429, retry_after=1, times=2, when=lambda args: not args.get("thread_ts")
    )
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.wait_answers(card["ts"])
    harness.slack.wait_for(
        "chat.postMessage",
        predicate=lambda c: (
            c.error is None and "weekly budget" in json.dumps(c.args) and not c.args.get("thread_ts")
        ),
        timeout=10,
    )
    harness.runs_settled()
    warned = harness.bot.database.conn.execute("SELECT status FROM budget_warnings").fetchall()
    assert warned == [("sent",)]
    posts = [
        c
        for c in harness.slack.calls("chat.postMessage")
        if "weekly budget" in json.dumps(c.args) and not c.args.get("thread_ts")
    ]
    assert [c.error for c in posts] == ["ratelimited", "ratelimited", None]


def _answered(harness: Harness) -> dict[str, Any]:
    card = harness.route(CHEAP_TASK)
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.wait_answers(card["ts"])
    return card


def test_a_redelivered_escalate_with_another_retry_reason_climbs_once(harness: Harness) -> None:
    card = _answered(harness)
    harness.command("/escalate", "too shallow", trigger_id="9.9.esc")
    harness.wait_answers(card["ts"], count=2)
    for reason in ("http_error", "http_timeout", "rate_limited"):
        headers = {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": reason}
        assert harness.command("/escalate", "wrong", trigger_id="9.9.esc", headers=headers).status == 200
    harness.built.listener_pool.shutdown(wait=True)
    harness.built.run_pool.shutdown(wait=True)
    assert [r.model for r in _runs(harness)] == ["claude-haiku-4-5", "claude-sonnet-4-6"]


def test_two_escalates_typed_at_once_climb_one_rung(harness: Harness) -> None:
    card = _answered(harness)
    # The escalation's model call waits until all four commands were handled, as a real model's seconds
    # would: an instant fake could answer between two of them, and then a later one rightly climbs again.
    harness.anthropic.hold()
    start = threading.Barrier(4)

    def escalate(n: int) -> None:
        start.wait(5)
        harness.command("/escalate", "too shallow", trigger_id=f"7.{n}.esc")

    typed = [threading.Thread(target=escalate, args=(n,)) for n in range(4)]
    for thread in typed:
        thread.start()
    for thread in typed:
        thread.join()
    harness.built.listener_pool.shutdown(wait=True)  # every command handled
    harness.anthropic.release()
    harness.wait_answers(card["ts"], count=2)
    harness.built.run_pool.shutdown(wait=True)
    assert [r.model for r in _runs(harness)] == ["claude-haiku-4-5", "claude-sonnet-4-6"]
    replies = [c.args["text"] for c in harness.slack.calls("response_url")]
    assert sum("Escalating to" in t for t in replies) == 1, replies
    assert all(c.args["response_type"] == "ephemeral" for c in harness.slack.calls("response_url"))


# --- settings ----------------------------------------------------------------------------------------


@pytest.fixture
def admin_harness(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    harness = make_harness()
    harness.slack.admins.add("UADMIN")
    return harness


def _opened(harness: Harness, user: str = "UADMIN", channel: str = "C1") -> str:
    before = len(harness.slack.calls("views.open"))
    assert harness.command("/route", "settings", user=user, channel=channel).status == 200
    return str(
        harness.slack.wait_for("views.open", count=before + 1)[before].args["view"]["private_metadata"]
    )


def _form(budget: Any) -> dict[str, Any]:
    checked = {"type": "checkboxes", "selected_options": [{"value": "anthropic"}, {"value": "openai"}]}
    return {
        "providers": {"value": checked},
        "budget": {"value": {"type": "plain_text_input", "value": budget}},
        "approval_lanes": {"value": {"type": "checkboxes", "selected_options": [{"value": "max"}]}},
    }


def _submit(harness: Harness, budget: Any, metadata: str, user: str = "UADMIN") -> BoltResponse:
    body = view_submission("channel_settings", _form(budget), user_id=user, private_metadata=metadata)
    response = harness.app.dispatch(bolt_request(body, SECRET))
    assert response.status == 200, response.body
    return response


def _errors(response: BoltResponse) -> dict[str, str]:
    body = json.loads(response.body or "{}")
    return dict(body.get("errors") or {}) if body.get("response_action") == "errors" else {}


@pytest.mark.parametrize(
    ("typed", "nanousd"),
    [
        (" 50 ", 50 * USD),
        ("$50", 50 * USD),
        ("$ 50", 50 * USD),
        ("50.005", 50_005_000_000),
        ("0", 0),
        ("0.000000001", 1),
        ("1,000", 1000 * USD),
        ("\t50\n", 50 * USD),
    ],
)
def test_budgets_as_people_type_them_are_read_exactly(
    admin_harness: Harness, typed: str, nanousd: int
) -> None:
    response = _submit(admin_harness, typed, _opened(admin_harness))
    assert _errors(response) == {}
    assert ChannelSettingsStore(admin_harness.bot.database).get("C1").budget_nanousd == nanousd


@pytest.mark.parametrize(
    "typed",
    ["1e3", "-0", "-5", "50$", "USD 50", "５０", "٥٠", "1_000", "0x10", "50.0.0", "∞", "50 50", "1.5e2"],
)
def test_budgets_that_are_not_plain_dollars_are_refused_in_the_window(
    admin_harness: Harness, typed: str
) -> None:
    errors = _errors(_submit(admin_harness, typed, _opened(admin_harness)))
    assert list(errors) == ["budget"], typed
    assert ChannelSettingsStore(admin_harness.bot.database).get("C1") is None


def test_a_budget_of_zero_stops_every_run_and_says_so(admin_harness: Harness) -> None:
    assert _errors(_submit(admin_harness, "0", _opened(admin_harness))) == {}
    card = admin_harness.route(CHEAP_TASK)
    admin_harness.press(admin_harness.buttons(card)[0], message_ts=card["ts"])
    (refusal,) = admin_harness.slack.wait_for(
        "response_url", predicate=lambda c: "weekly budget" in c.args.get("text", "")
    )
    assert "$0.00 weekly budget" in refusal.args["text"]
    admin_harness.built.run_pool.shutdown(wait=True)
    assert _runs(admin_harness) == []


def test_a_non_admin_save_for_any_channel_changes_nothing(admin_harness: Harness) -> None:
    errors = _errors(_submit(admin_harness, "5", _opened(admin_harness, user="U1"), user="U1"))
    assert "Only workspace admins" in errors["providers"]
    metadata = json.dumps({"channel": "C2", "version": 0})
    errors = _errors(_submit(admin_harness, "5", metadata, user="U1"))
    assert "Only workspace admins" in errors["providers"]
    store = ChannelSettingsStore(admin_harness.bot.database)
    assert store.get("C1") is None and store.get("C2") is None


def test_metadata_naming_another_channel_still_meets_that_channels_version(admin_harness: Harness) -> None:
    assert _errors(_submit(admin_harness, "20", _opened(admin_harness, channel="C2"))) == {}
    stale_for_c2 = _opened(admin_harness, channel="C1").replace('"C1"', '"C2"')  # C1's version 0
    errors = _errors(_submit(admin_harness, "999", stale_for_c2))
    assert "Someone saved these settings after you opened this window" in errors["providers"]
    assert ChannelSettingsStore(admin_harness.bot.database).get("C2").budget_nanousd == 20 * USD


@pytest.mark.parametrize("version", [10**30, 2**63, 7])
def test_a_version_never_issued_is_refused_not_a_500(admin_harness: Harness, version: int) -> None:
    errors = _errors(_submit(admin_harness, "5", json.dumps({"channel": "C1", "version": version})))
    assert "Someone saved these settings" in errors.get("providers", ""), errors
    assert admin_harness.bot.database.conn.execute("SELECT COUNT(*) FROM channel_settings").fetchone()[0] == 0


@pytest.mark.parametrize(
    "metadata",
    [
        {"channel": "C1", "version": -(10**30)},
        {"channel": "C1\n", "version": 0},
        {"channel": " C1", "version": 0},
        {"channel": "C1", "version": 1.0},
        {"channel": "C1", "version": "0"},
        {"channel": ["C1"], "version": 0},
    ],
)
def test_crafted_window_metadata_is_out_of_date_not_a_500(admin_harness: Harness, metadata: Any) -> None:
    errors = _errors(_submit(admin_harness, "5", json.dumps(metadata)))
    assert "out of date" in errors.get("providers", ""), errors
    assert ChannelSettingsStore(admin_harness.bot.database).get("C1") is None
    assert admin_harness.bot.database.conn.execute("SELECT COUNT(*) FROM channel_settings").fetchone()[0] == 0
