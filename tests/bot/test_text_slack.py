"""Text arrives as typed and never pings (issue 9, section 6), through signed slash commands into Bolt.

Slack sends slash-command text with `&`, `<` and `>` entity-encoded, so the commands here are sent the way
Slack sends them: `a &lt; b &amp;&amp; c &gt; d` for what the person typed as `a < b && c > d`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.bot.mrkdwn import mrkdwn_objects
from tests.conftest import Harness

TYPED = "Summarize why a < b && c > d holds in this snippet"
AS_SLACK_SENDS = "Summarize why a &lt; b &amp;&amp; c &gt; d holds in this snippet"
PINGS = ("<!here>", "<!channel>", "<!everyone>", "<@U999>", "<#C999>", "<!subteam^S1>")


def _ack_text(response: Any) -> str:
    try:
        return json.dumps(json.loads(response.body))
    except json.JSONDecodeError:
        return str(response.body)


def test_the_model_sees_the_task_as_typed_and_the_card_shows_it_escaped_once(harness: Harness) -> None:
    card = harness.route(AS_SLACK_SENDS)
    quoted = card["blocks"][0]["text"]["text"]
    assert "a &lt; b &amp;&amp; c &gt; d" in quoted
    assert "&amp;lt;" not in quoted and "&amp;amp;" not in quoted
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.wait_answers(card["ts"])
    assert harness.anthropic.requests[0].body["messages"][0]["content"] == TYPED
    stored = harness.bot.store.request(1)
    assert stored.task == TYPED and stored.task_chars == len(TYPED)


def test_options_are_read_after_decoding(harness: Harness) -> None:
    card = harness.route("--lane cheap --provider openai tag these &lt;b&gt; tickets")
    assert harness.buttons(card)[0]["label"] == "Run on gpt-5.4 (low)"
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.wait_answers(card["ts"])
    assert harness.openai.requests[0].body["input"] == [{"role": "user", "content": "tag these <b> tickets"}]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("--lane <!here> x", "Unknown lane `&lt;!here&gt;`"),
        ("--lane &lt;!channel&gt; x", "Unknown lane `&lt;!channel&gt;`"),
        ("--provider <@U999> x", "Unknown provider `&lt;@u999&gt;`"),
        ("--<!everyone> x", "Unknown option `--&lt;!everyone&gt;`"),
        ("--lane=`<!here>` x", "Unknown lane `'&lt;!here&gt;'`"),
    ],
)
def test_errors_that_echo_input_escape_it(harness: Harness, text: str, words: str) -> None:
    answer = _ack_text(harness.command("/route", text))
    assert words in answer
    for ping in PINGS:
        assert ping not in answer and ping.lower() not in answer
    assert harness.slack.calls("chat.postMessage") == []


def test_mentions_in_a_task_and_an_answer_notify_nobody(harness: Harness) -> None:
    task = "Summarize @here @channel notes for " + " ".join(PINGS) + " and https://x.test"
    harness.anthropic.reply("Done @here: " + " ".join(PINGS) + " & thanks @channel")
    card = harness.route(task.replace("<", "&lt;").replace(">", "&gt;"))
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    messages = harness.wait_answers(card["ts"])
    posted = [card, *messages, *(c.args for c in harness.slack.calls("chat.update"))]
    objects = [o for m in posted for o in mrkdwn_objects(m.get("blocks") or [])]
    assert len(objects) > 10
    assert all(o.get("verbatim") is True for o in objects), [o for o in objects if not o.get("verbatim")]
    text = json.dumps([m.get("blocks") for m in posted]) + json.dumps([m.get("text") for m in posted])
    for ping in PINGS:
        assert ping not in text
    assert "&lt;!here&gt;" in text and "&lt;@U999&gt;" in text


def test_every_mrkdwn_object_in_approvals_failures_and_settings_is_verbatim(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_ADMINS="UBOSS")
    harness.anthropic.fail(500, times=1)
    card = harness.route("--lane max Review the architecture tradeoffs")
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])  # U1: needs approval
    question = harness.slack.wait_for(
        "chat.postMessage", predicate=lambda c: "approval_approve" in json.dumps(c.args)
    )[0]
    harness.press(harness.buttons(question.args)[0], user="UBOSS", message_ts="5.1", thread_ts=card["ts"])
    harness.wait_answers(card["ts"])  # the failure, with Retry
    harness.command("/route", "settings", user="UBOSS")
    view = harness.slack.wait_for("views.open")[0].args["view"]
    posted = [c.args for c in harness.slack.calls() if c.method in ("chat.postMessage", "chat.update")]
    objects = [o for m in [*posted, view] for o in mrkdwn_objects(m)]
    assert any("could not answer" in o["text"] for o in objects)
    assert all(o.get("verbatim") is True for o in objects)
