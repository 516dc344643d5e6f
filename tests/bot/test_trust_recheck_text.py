"""Issue 9, section 6 re-checked from outside: text in every place a person or a model can put it.

After each scenario every call the bot made to Slack (messages, updates, streams, private replies, views)
is walked: each mrkdwn object must be `verbatim`, and no control sequence the input carried (`<!here>`,
`<!channel>`, `<@U999>`...) may appear unescaped anywhere, top-level `text` included.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.blocks.conversations import INSTRUCTION_ACTION, INSTRUCTION_BLOCK, ROUTE_MESSAGE
from bot.digest_post import run_digest_job
from commands.weeks import parse_week
from tests.bot.mrkdwn import mrkdwn_objects
from tests.bot.threads import MENTION, card_in, mention, send
from tests.builders import Seeder
from tests.conftest import SECRET, Harness
from tests.fakes.slack_requests import app_home_opened, bolt_request, message_shortcut, view_submission

PINGS = ("<!here", "<!channel", "<!everyone", "<@U999", "<#C999", "<!subteam")
AS_TYPED = "a < b && c > d"
AS_SLACK_SENDS = "a &lt; b &amp;&amp; c &gt; d"
OUTBOUND = (
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "chat.startStream",
    "chat.appendStream",
    "chat.stopStream",
    "response_url",
    "views.open",
    "views.update",
    "views.publish",
)


def _outbound(harness: Harness) -> list[dict[str, Any]]:
    return [c.args for c in harness.slack.calls() if c.method in OUTBOUND]


def _nothing_pings(harness: Harness, extra: tuple[str, ...] = ()) -> str:
    """Assert the sweep above over everything posted so far; return it all as one text."""
    harness.runs_settled()
    posted = _outbound(harness)
    objects = [o for args in posted for o in mrkdwn_objects(args)]
    assert all(o.get("verbatim") is True for o in objects), [o for o in objects if not o.get("verbatim")]
    text = json.dumps(posted, ensure_ascii=False)
    for ping in PINGS + extra:
        assert ping not in text, (ping, text[max(0, text.find(ping) - 200) : text.find(ping) + 100])
    return text


def _ack_text(response: Any) -> str:
    return str(response.body or "")


def _answered(harness: Harness, task: str) -> dict[str, Any]:
    """A card for `task`, run once; returns when its outcome (an answer, failure or refusal) is posted."""
    card = harness.route(task)
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    outcomes = ("Answer from", "could not answer", "declined this task")
    harness.slack.wait_for(
        "chat.postMessage",
        predicate=lambda c: (
            c.args.get("thread_ts") == card["ts"] and any(o in json.dumps(c.args) for o in outcomes)
        ),
    )
    return card


@pytest.mark.parametrize(
    "reason",
    [
        "--bogus <@U999> <!channel>",
        "too shallow &lt;!here&gt; &amp; <!subteam^S1>",
        "<#C999|general> missed it",
    ],
)
def test_escalate_reasons_with_markup_ping_nobody(harness: Harness, reason: str) -> None:
    card = _answered(harness, "Tag each of these 300 support tickets as billing, bug or other")
    response = harness.command("/escalate", reason)
    assert response.status == 200
    harness.wait_answers(card["ts"], count=2)
    _nothing_pings(harness)
    assert _ack_text(response) == "" or all(p not in _ack_text(response) for p in PINGS)


def test_escalate_with_no_run_in_the_channel_says_so_and_echoes_nothing(harness: Harness) -> None:
    response = harness.command("/escalate", "--bogus <@U999> &lt;!channel&gt;", channel="CEMPTY")
    assert response.status == 200
    reply = harness.slack.wait_for("response_url")[0].args
    assert reply["response_type"] == "ephemeral" and "no run in this channel" in reply["text"]
    _nothing_pings(harness)
    assert harness.bot.database.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0


@pytest.mark.parametrize(
    "text",
    [
        "--provider <!channel> x",
        "--provider &lt;!channel&gt; x",
        "--lane <#C999|general> x",
        "--lane=<@U999> x",
        "--<!subteam^S1|team> x",
        "--provider " + "<!here>" * 50 + " x",
    ],
)
def test_route_errors_quoting_markup_ping_nobody(harness: Harness, text: str) -> None:
    response = harness.command("/route", text)
    assert response.status == 200
    assert "Unknown" in _ack_text(response)
    for ping in PINGS:
        assert ping not in _ack_text(response)
    _nothing_pings(harness)


def test_a_mention_is_decoded_for_the_model_and_escaped_once_on_the_card(harness: Harness) -> None:
    ts = mention(harness, f"explain why {AS_SLACK_SENDS} holds, <!here> <@U999>", thread_ts=None)
    card = card_in(harness, ts)
    shown = json.dumps(card["blocks"])
    assert "a &lt; b &amp;&amp; c &gt; d" in shown and "&amp;lt;" not in shown and "&amp;amp;" not in shown
    harness.press(harness.buttons(card)[0], message_ts=card["ts"], thread_ts=ts)
    harness.wait_answers(ts)
    sent = json.dumps(harness.anthropic.requests[0].body["messages"], ensure_ascii=False)
    assert AS_TYPED in sent and "&lt;" not in sent and "&amp;" not in sent
    _nothing_pings(harness)


def test_an_entity_typed_literally_in_a_mention_is_decoded_once_not_twice(harness: Harness) -> None:
    # The person typed "&lt;" (five characters); Slack sends it as "&amp;lt;".
    ts = mention(harness, "explain what the entity &amp;lt; means in HTML", thread_ts=None)
    card = card_in(harness, ts)
    assert "entity &amp;lt; means" in json.dumps(card["blocks"])  # shown as typed: escaped once
    harness.press(harness.buttons(card)[0], message_ts=card["ts"], thread_ts=ts)
    harness.wait_answers(ts)
    sent = json.dumps(harness.anthropic.requests[0].body["messages"], ensure_ascii=False)
    assert "the entity &lt; means" in sent
    assert harness.bot.store.request(1).task == "explain what the entity &lt; means in HTML"


def test_route_this_keeps_the_instruction_as_typed_and_escapes_it_once(harness: Harness) -> None:
    ts = harness.slack.add_message("C1", "Q3 <!channel> numbers", user="U2")
    message = {"ts": ts, "user": "U2", "text": "Q3 <!channel> numbers"}
    send(harness, message_shortcut(ROUTE_MESSAGE, message, response_url=harness.slack.response_url("sc")))
    view = harness.slack.wait_for("views.open")[0].args["view"]
    # A modal's plain_text_input arrives as typed, not entity-encoded: "&lt;" here was typed as such.
    typed = f"explain {AS_TYPED} and the literal &lt; <!here> <@U999>"
    body = view_submission(
        ROUTE_MESSAGE,
        {INSTRUCTION_BLOCK: {INSTRUCTION_ACTION: typed}},
        private_metadata=view["private_metadata"],
    )
    assert harness.app.dispatch(bolt_request(body, SECRET)).status == 200
    card = card_in(harness, ts)
    assert "a &lt; b &amp;&amp; c &gt; d" in json.dumps(card["blocks"])
    harness.press(harness.buttons(card)[0], message_ts=card["ts"], thread_ts=ts)
    harness.wait_answers(ts)
    content = harness.anthropic.requests[0].body["messages"][0]["content"]
    assert content.startswith(f"Instruction:\n{typed}\n")
    _nothing_pings(harness)


def test_model_answers_refusals_and_provider_errors_with_markup_ping_nobody(harness: Harness) -> None:
    harness.anthropic.reply("Done <!channel> <@U999> @here &amp; <#C999>")
    _answered(harness, "Summarize these 3 notes for the team")
    harness.anthropic.fail(
        400,
        times=1,
        body={"type": "error", "error": {"type": "invalid_request_error", "message": "bad <!here> <@U999>"}},
        content_type="application/json",
    )
    _answered(harness, "Summarize these 4 notes for the team")
    harness.anthropic.refuse = True
    _answered(harness, "Summarize these 5 notes for the team")
    _nothing_pings(harness)


def test_a_crafted_user_id_cannot_ping_through_a_mention_of_it(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_ADMINS="UBOSS")
    crafted = "U1><!channel> <@U999"
    card = harness.route("--lane max Review the architecture tradeoffs", user=crafted)
    harness.press(harness.buttons(card)[0], user=crafted, message_ts=card["ts"])
    question = harness.slack.wait_for(
        "chat.postMessage", predicate=lambda c: "approval_approve" in json.dumps(c.args)
    )[0]
    harness.press(harness.buttons(question.args)[0], user="UBOSS", message_ts="5.1", thread_ts=card["ts"])
    harness.wait_answers(card["ts"])
    _nothing_pings(harness)


def test_the_digest_and_the_home_tab_ping_nobody(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_DIGEST_SHOW_USERS="on")
    harness.slack.display_names.update({"U1": "<!channel>", "U2": "Ann <@U999> &amp;"})
    week = parse_week("2025-W47", "UTC")
    seeder = Seeder(harness.bot.store, harness.bot.policy)
    for day in range(3):
        run = seeder.task("C1", week.start + day * 86_400 + 3_600, user=f"U{day % 2 + 1}")
    seeder.escalate(run, week.start + 3 * 86_400, reason="<!here> too shallow")
    run_digest_job(harness.built, week.end + 9 * 3600)
    harness.slack.wait_for("chat.postMessage", predicate=lambda c: "digest" in c.args.get("text", ""))
    harness.route("Tag <!channel> these 300 support tickets", channel="C1")
    assert harness.app.dispatch(bolt_request(app_home_opened("U1"), SECRET)).status == 200
    harness.slack.wait_for("views.publish")
    text = _nothing_pings(harness)
    assert "&lt;!channel&gt;" in text  # the display name, shown as written


def test_a_mention_of_routebot_alone_with_markup_only_is_answered_privately(harness: Harness) -> None:
    ts = harness.slack.add_message("C1", f"{MENTION} <!here>", user="U1")
    from tests.fakes.slack_requests import app_mention

    send(harness, app_mention(f"{MENTION} <!here>", ts=ts))
    harness.runs_settled()
    _nothing_pings(harness)


def test_notices_warnings_refusals_and_private_delivery_ping_nobody(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness()
    harness.slack.admins.add("UADMIN")
    harness.slack.display_names["UADMIN"] = "<!channel>"
    harness.command("/route", "settings", user="UADMIN")
    metadata = harness.slack.wait_for("views.open")[0].args["view"]["private_metadata"]
    form = {
        "providers": {"value": {"type": "checkboxes", "selected_options": [{"value": "anthropic"}]}},
        "budget": {"value": {"type": "plain_text_input", "value": "0.01"}},
    }
    body = view_submission("channel_settings", form, user_id="UADMIN", private_metadata=metadata)
    assert harness.app.dispatch(bolt_request(body, SECRET)).status == 200
    harness.slack.wait_for(
        "chat.postMessage", predicate=lambda c: "settings changed" in c.args.get("text", "")
    )
    # The answer cannot be posted in the channel: it goes to the requester by DM.
    harness.anthropic.reply(
        "Result <!channel> <@U999> @here", usage={"input_tokens": 9000, "output_tokens": 9000}
    )
    harness.slack.fail("chat.postMessage", "not_in_channel", when=lambda a: "Answer from" in json.dumps(a))
    card = harness.route("Summarize <!here> these notes &lt;!channel&gt;")
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.slack.wait_for(
        "chat.postMessage", predicate=lambda c: str(c.args.get("channel", "")).startswith("D")
    )
    harness.runs_settled()
    second = harness.route("Summarize <@U999> again")
    harness.press(harness.buttons(second)[0], message_ts=second["ts"])
    harness.slack.wait_for("response_url", predicate=lambda c: "weekly budget" in c.args.get("text", ""))
    _nothing_pings(harness)


def test_streamed_answers_with_markup_ping_nobody(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_STREAM_ANSWERS="on", ROUTEBOT_PROVIDER_TIMEOUT="30")
    harness.anthropic.reply("Start <!channel> then <@U999> and @here, @channel, @everyone & <#C999> end")
    card = harness.route("Summarize these notes for the team")
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.slack.wait_for("chat.stopStream", timeout=20)
    text = _nothing_pings(harness)
    streamed = "".join(
        str(c.args.get("markdown_text") or "")
        for c in harness.slack.calls()
        if c.method in ("chat.startStream", "chat.appendStream", "chat.stopStream")
    )
    assert "@here" not in streamed and "@channel" not in streamed and "@everyone" not in streamed, streamed
    assert "&lt;!channel&gt;" in text


@pytest.mark.parametrize(
    "text",
    [
        "digest 9999-W99",
        "digest 0001-W01",
        "digest 2025-W53",
        "digest <!here>",
        "digest " + "9" * 5000,
        "settings <!channel>",
        "help <@U999>",
        "--lane",
        "--provider",
        "--lane cheap",
    ],
)
def test_route_subcommands_with_odd_arguments_answer_plainly(harness: Harness, text: str, caplog) -> None:  # type: ignore[no-untyped-def]
    response = harness.command("/route", text)
    assert response.status == 200
    harness.built.listener_pool.shutdown(wait=True)
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    _nothing_pings(harness)
