"""Running, escalating and retrying from Slack, end to end through Bolt and the real model SDKs."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from bot.mrkdwn import unescape
from bot.startup import on_startup
from commands.pricing import catalog_source
from storage.runs import LEASE_SECONDS, NewRun
from tests.builders import unpriced_policy
from tests.conftest import Harness

CHEAP_TASK = "Tag each of these 300 support tickets as billing, bug or other"
PREMIUM_TASK = "Review our proposed microservices split and weigh the architecture tradeoffs"


def _blocks_text(args: dict[str, Any]) -> str:
    return json.dumps(args.get("blocks") or [], ensure_ascii=False)


def _run(harness: Harness, task: str, provider_index: int = 0, **press: Any) -> tuple[dict, list[dict]]:
    card = harness.route(task)
    harness.press(harness.buttons(card)[provider_index], message_ts=card["ts"], **press)
    return card, harness.wait_answers(card["ts"])


def _answer(messages: list[dict]) -> dict:
    return next(
        m for m in messages if "Answer from" in _blocks_text(m) or "could not answer" in _blocks_text(m)
    )


def _runs(harness: Harness) -> list[Any]:
    rows = harness.bot.store.database.conn.execute("SELECT id FROM runs ORDER BY id").fetchall()
    return [harness.bot.store.run(r[0]) for r in rows]


def test_run_posts_progress_then_the_answer_in_the_cards_thread(harness: Harness) -> None:
    harness.anthropic.reply("Billing: 120, bug: 150, other: 30")
    card, messages = _run(harness, CHEAP_TASK)
    assert all(m["thread_ts"] == card["ts"] for m in messages)
    assert "Running on" in _blocks_text(messages[0])
    answer = _answer(messages)
    assert "Billing: 120" in _blocks_text(answer)
    assert "claude-haiku-4-5" in _blocks_text(answer)
    update = harness.slack.wait_for("chat.update")[0]
    assert ":white_check_mark:" in _blocks_text(update.args)
    sent = harness.anthropic.requests[0].body
    assert sent["model"] == "claude-haiku-4-5" and sent["messages"][0]["content"] == CHEAP_TASK
    assert "temperature" not in sent


def test_anthropic_cost_counts_cache_reads_and_writes_at_their_own_rates(harness: Harness) -> None:
    harness.anthropic.reply(
        "done",
        usage={
            "input_tokens": 1000,
            "output_tokens": 500,
            "cache_read_input_tokens": 2000,
            "cache_creation_input_tokens": 400,
        },
    )
    _card, messages = _run(harness, CHEAP_TASK)
    run = _runs(harness)[0]
    # Haiku: 1000 x $1 + 500 x $5 + 2000 x $0.10 + 400 x $1.25 per million tokens = $0.0042
    assert (run.input_tokens, run.output_tokens, run.cache_read_tokens, run.cache_write_tokens) == (
        1000,
        500,
        2000,
        400,
    )
    assert run.cost_nanousd == 4_200_000 and run.price_source == catalog_source()  # priced by the catalog
    assert "$0.004200" in _blocks_text(_answer(messages))


def test_openai_cost_counts_cached_input_once_and_reasoning_inside_output(harness: Harness) -> None:
    harness.openai.reply(
        "done",
        usage={
            "input_tokens": 10_000,
            "output_tokens": 3000,
            "cached_tokens": 4000,
            "reasoning_tokens": 2500,
        },
    )
    _card, _messages = _run(harness, CHEAP_TASK, provider_index=1)
    run = _runs(harness)[0]
    assert (run.provider, run.model, run.effort) == ("openai", "gpt-5.4", "low")
    assert harness.openai.requests[0].body["reasoning"] == {"effort": "low"}
    # 6000 uncached x $2.50 + 4000 cached x $0.25 + 3000 output (reasoning included) x $15 = $0.061
    assert run.reasoning_tokens == 2500
    assert run.cost_nanousd == 61_000_000 and run.price_source == catalog_source()


def test_model_without_a_price_is_unknown_never_zero(make_harness, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_POLICY=str(unpriced_policy(tmp_path)))
    _card, messages = _run(harness, CHEAP_TASK)
    run = _runs(harness)[0]
    assert run.status == "succeeded" and run.cost_nanousd is None and run.price_known == 0
    assert run.price_source is None
    text = _blocks_text(_answer(messages))
    assert "cost unknown" in text and "$0.00" not in text


def test_escalate_climbs_one_rung_with_the_reason_and_shows_the_ladder(harness: Harness) -> None:
    card, messages = _run(harness, CHEAP_TASK)
    answer = _answer(messages)
    buttons = harness.buttons(answer)
    assert [b["label"] for b in buttons] == ["Escalate to claude-sonnet-4-6", "Escalate to gpt-5.4 (medium)"]
    state = {
        buttons[0]["block_id"]: {
            "escalate_reason": {"type": "static_select", "selected_option": {"value": "too_shallow"}}
        }
    }
    harness.press(buttons[0], message_ts="2.0", thread_ts=card["ts"], state=state)
    messages = harness.wait_answers(card["ts"], count=2)
    second = [m for m in messages if "Answer from" in _blocks_text(m)][-1]
    assert "Ladder so far: `claude-haiku-4-5` → `claude-sonnet-4-6`" in _blocks_text(second)
    runs = _runs(harness)
    assert [r.model for r in runs] == ["claude-haiku-4-5", "claude-sonnet-4-6"]
    assert runs[1].escalated_from == runs[0].id and runs[1].escalation_reason == "too_shallow"
    assert harness.anthropic.requests[1].body["messages"][0]["content"] == CHEAP_TASK


def test_stepping_onto_max_asks_for_confirmation_with_the_price(harness: Harness) -> None:
    card = harness.route(PREMIUM_TASK)
    openai_button = harness.buttons(card)[1]
    assert openai_button["label"] == "Run on gpt-5.4 (high)"
    harness.press(openai_button, message_ts=card["ts"])
    answer = _answer(harness.wait_answers(card["ts"]))
    (xhigh,) = harness.buttons(answer)
    assert xhigh["label"] == "Escalate to gpt-5.4 (xhigh)"
    assert "per million tokens" in xhigh["confirm"]["text"]["text"]


def test_top_of_the_ladder_has_no_button_and_escalate_command_says_so(harness: Harness) -> None:
    _card, messages = _run(harness, PREMIUM_TASK)  # anthropic premium: Opus is the top of its ladder
    labels = [b["label"] for b in harness.buttons(_answer(messages))]
    assert labels == ["Escalate to gpt-5.4 (xhigh)"]
    harness.command("/escalate", "wrong answer")
    reply = harness.slack.wait_for("response_url", predicate=lambda c: "top" in c.args.get("text", ""))[0]
    assert "already at the top of the Anthropic ladder" in reply.args["text"]
    assert reply.args["response_type"] == "ephemeral"


def test_escalate_command_reruns_the_latest_request_one_rung_up(harness: Harness) -> None:
    card, _ = _run(harness, CHEAP_TASK)
    harness.command("/escalate", "it missed context from the thread")
    messages = harness.wait_answers(card["ts"], count=2)
    runs = _runs(harness)
    assert runs[-1].model == "claude-sonnet-4-6" and runs[-1].escalation_reason == "missed_context"
    assert "Ladder so far" in _blocks_text(messages[-1])


def test_escalate_with_no_run_yet_explains(harness: Harness) -> None:
    harness.command("/escalate", "")
    reply = harness.slack.wait_for("response_url")[0]
    assert "no run in this channel" in reply.args["text"]


def test_double_click_and_slack_retry_make_one_run(harness: Harness) -> None:
    harness.anthropic.delay = 0.3
    card = harness.route(CHEAP_TASK)
    button = harness.buttons(card)[0]
    threads = [
        threading.Thread(target=harness.press, args=(button,), kwargs={"message_ts": card["ts"]})
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    harness.press(
        button,
        message_ts=card["ts"],
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    harness.wait_answers(card["ts"])
    assert len(_runs(harness)) == 1
    assert len(harness.anthropic.requests) == 1
    notes = harness.slack.wait_for("response_url", count=4)
    assert all("already started" in c.args["text"] for c in notes)


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (429, "rate_limit", "rate-limiting"),
        (401, "auth", "ANTHROPIC_API_KEY"),
        (500, "unavailable", "Retry"),
        (529, "unavailable", "overloaded"),
    ],
)
def test_provider_errors_end_in_a_clear_message_with_retry(
    harness: Harness, status: int, kind: str, words: str
) -> None:
    harness.anthropic.fail(status)
    card, messages = _run(harness, CHEAP_TASK)
    failure = _answer(messages)
    text = _blocks_text(failure)
    assert "Anthropic" in text and words in text
    assert [b["label"] for b in harness.buttons(failure)] == ["Retry"]
    run = _runs(harness)[0]
    assert (run.status, run.error_kind, run.cost_nanousd) == ("failed", kind, None)
    harness.anthropic.clear_failures()
    harness.press(harness.buttons(failure)[0], message_ts="9.0", thread_ts=card["ts"])
    harness.wait_answers(card["ts"], count=2)
    runs = _runs(harness)
    assert [(r.status, r.attempt) for r in runs] == [("failed", 1), ("succeeded", 2)]


def test_timeout_and_connection_refused_are_reported(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_PROVIDER_TIMEOUT="0.5")
    harness.anthropic.hang = True
    _card, messages = _run(harness, CHEAP_TASK)
    assert "did not answer in time" in _blocks_text(_answer(messages))
    assert _runs(harness)[0].error_kind == "timeout"


def test_connection_refused_is_reported(make_harness) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes.http import closed_port_url

    harness = make_harness(OPENAI_BASE_URL=closed_port_url() + "v1")
    _card, messages = _run(harness, CHEAP_TASK, provider_index=1)
    text = _blocks_text(_answer(messages))
    assert "could not reach the provider" in text and "OpenAI" in text


def test_huge_retry_after_fails_fast_instead_of_sleeping(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_PROVIDER_MAX_RETRIES="3")
    harness.anthropic.fail(429, retry_after=86_400)
    _card, messages = _run(harness, CHEAP_TASK)
    assert "asks us to wait 86400 s" in _blocks_text(_answer(messages))
    assert len(harness.anthropic.requests) == 1


def test_transient_error_is_retried_within_the_configured_budget(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_PROVIDER_MAX_RETRIES="2")
    harness.anthropic.fail(529, times=1, retry_after=0.05)
    _card, messages = _run(harness, CHEAP_TASK)
    assert "Answer from" in _blocks_text(_answer(messages))
    assert len(harness.anthropic.requests) == 2


def test_fifty_thousand_character_answer_arrives_whole_and_in_order(harness: Harness) -> None:
    lines = [f"line {i:05d} <!channel> & more text to make it long" for i in range(1001)]
    answer = "\n".join(lines)
    assert len(answer) >= 50_000
    harness.anthropic.reply(answer)
    card, _messages = _run(harness, CHEAP_TASK)
    harness.slack.wait_for("chat.postMessage", predicate=lambda c: "Ladder so far" in json.dumps(c.args))
    parts = [m for m in harness.thread_messages(card["ts"]) if "Answer from" in m.get("text", "")]
    assert len(parts) > 1
    sections = [
        b["text"]["text"]
        for m in parts
        for b in m["blocks"]
        if b["type"] == "section" and not b["text"]["text"].startswith("*Answer from")
    ]
    assert "<!channel>" not in "".join(sections)
    assert unescape("".join(sections)) == answer
    assert all(len(s) <= 3000 for s in sections)


def test_restart_mid_run_marks_it_interrupted_and_offers_retry(make_harness) -> None:  # type: ignore[no-untyped-def]
    first = make_harness()
    card = first.route(CHEAP_TASK)
    request = first.bot.store.request(1)
    run = first.bot.store.claim_run(
        NewRun(request.id, "C1", "U1", "anthropic", "claude-haiku-4-5", None, "cheap", 0), first.clock()
    )
    first.bot.store.start_run(run.id, first.clock())
    first.built.close()
    first.clock.advance(LEASE_SECONDS + 1)  # the dead process renews its lease no more
    restarted = make_harness()  # same database file: a new process after a crash
    report = on_startup(restarted.built)
    assert report.interrupted == 1
    assert _runs(restarted)[0].status == "interrupted"
    note = restarted.wait_answers(card["ts"])[-1]
    assert "interrupted" in _blocks_text(note)
    restarted.press(restarted.buttons(note)[0], message_ts="5.0", thread_ts=card["ts"])
    restarted.wait_answers(card["ts"], count=2)
    assert [r.status for r in _runs(restarted)] == ["interrupted", "succeeded"]


def test_retention_removes_text_but_keeps_costs(harness: Harness) -> None:
    from bot.startup import purge_old_text

    _run(harness, CHEAP_TASK)
    harness.clock.advance(31 * 86_400)
    assert purge_old_text(harness.built) == 1
    run = _runs(harness)[0]
    assert run.answer is None and run.cost_nanousd is not None
    assert harness.bot.store.request(run.request_id).task is None
