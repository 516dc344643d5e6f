"""Providers' edge cases through Bolt and the real SDKs: refusals, a negative retry-after, unreadable 200s."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Harness

TASK = "Tag each of these 300 support tickets as billing, bug or other"


def _text(args: dict[str, Any]) -> str:
    return json.dumps(args.get("blocks") or [], ensure_ascii=False)


def _outcome(harness: Harness, provider_index: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    card = harness.route(TASK)
    harness.press(harness.buttons(card)[provider_index], message_ts=card["ts"])
    words = ("declined this task", "Answer from", "could not ")
    harness.slack.wait_for("chat.postMessage", predicate=lambda c: any(w in _text(c.args) for w in words))
    messages = harness.thread_messages(card["ts"])
    return card, messages[-1]


def test_an_anthropic_refusal_is_shown_with_retry_and_escalate_and_charged(harness: Harness) -> None:
    harness.anthropic.refuse = True
    harness.anthropic.reply("", usage={"input_tokens": 1000, "output_tokens": 200})
    card, refusal = _outcome(harness)
    text = _text(refusal)
    assert "declined this task" in text and "returned no text" not in text
    labels = [b["label"] for b in harness.buttons(refusal)]
    assert labels[0] == "Retry" and "Escalate to claude-sonnet-4-6" in labels
    (run,) = harness.bot.store.runs_for_request(1)
    # Haiku: 1000 x $1 + 200 x $5 per million tokens, as the API reported them
    assert (run.status, run.refused, run.cost_nanousd) == ("succeeded", 1, 2_000_000)
    assert "$0.002000" in text
    harness.anthropic.refuse = False
    harness.anthropic.reply("Billing: 120")
    harness.press(harness.buttons(refusal)[0], message_ts="6.0", thread_ts=card["ts"])
    harness.wait_answers(card["ts"], count=1)
    runs = harness.bot.store.runs_for_request(1)
    assert [(r.attempt, r.refused) for r in runs] == [(1, 1), (2, 0)]


def test_an_openai_refusal_part_is_shown_with_its_reason(harness: Harness) -> None:
    harness.openai.refuse = True
    harness.openai.reply("I can't help with <that> & this.")
    _card, refusal = _outcome(harness, provider_index=1)
    text = _text(refusal)
    assert "declined this task" in text and "I can't help with &lt;that&gt; &amp; this." in text
    assert {"retry", "escalate_openai"} <= {b["action_id"] for b in harness.buttons(refusal)}
    (run,) = harness.bot.store.runs_for_request(1)
    assert run.refused == 1 and run.cost_nanousd is not None and run.cost_nanousd > 0


def test_a_negative_retry_after_is_retried_not_an_internal_error(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_PROVIDER_MAX_RETRIES="2")
    harness.anthropic.fail(429, times=1, retry_after=-5)
    _card, answer = _outcome(harness)
    assert "Answer from" in _text(answer)
    assert len(harness.anthropic.requests) == 2


@pytest.mark.parametrize("provider_index", [0, 1], ids=["anthropic", "openai"])
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html><body>502 Bad Gateway</body></html>", "text/html"),
        ('{"id": "msg_1", "content": [', "application/json"),
        ("{}", "application/json"),
    ],
    ids=["html", "cut-json", "empty-json"],
)
def test_an_unreadable_200_is_a_bad_response_from_the_provider(
    harness: Harness, provider_index: int, body: str, content_type: str
) -> None:
    fake = (harness.anthropic, harness.openai)[provider_index]
    fake.fail(200, body=body, content_type=content_type)
    _card, failure = _outcome(harness, provider_index)
    text = _text(failure)
    assert "sent a response routebot could not read" in text
    assert "too long" not in text and "internal error" not in text
    assert [b["label"] for b in harness.buttons(failure)] == ["Retry"]
    (run,) = harness.bot.store.runs_for_request(1)
    assert (run.status, run.error_kind, run.cost_nanousd) == ("failed", "bad_response", None)
