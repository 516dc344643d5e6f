"""Channel settings end to end through Bolt: the modal, saving, providers, budgets, approvals, App Home.

Permission tests send the payloads a non-admin could craft by hand (view_submission, block_actions) and
check that nothing changed.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from slack_bolt.response import BoltResponse

from commands.channel_settings import default_settings
from commands.policy import PROVIDERS
from storage.channel_settings import ChannelSettings, ChannelSettingsStore
from tests.builders import spent
from tests.conftest import SECRET, Harness
from tests.fakes.slack_requests import app_home_opened, bolt_request, view_submission

CHEAP_TASK = "Tag each of these 300 support tickets as billing, bug or other"
PREMIUM_TASK = "Review our proposed microservices split and weigh the architecture tradeoffs"
USD = 1_000_000_000


@pytest.fixture
def harness(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_ADMINS="UBOSS")
    harness.slack.admins.add("UADMIN")
    harness.slack.owners.add("UOWNER")
    return harness


def _text(args: dict[str, Any]) -> str:
    return json.dumps(args.get("blocks") or args.get("view") or args, ensure_ascii=False)


def _open_settings(harness: Harness, user: str, channel: str = "C1") -> dict[str, Any]:
    before = len(harness.slack.calls("views.open"))
    assert harness.command("/route", "settings", user=user, channel=channel).status == 200
    call = harness.slack.wait_for("views.open", count=before + 1)[before]
    return call.args["view"]


def _submit(
    harness: Harness,
    user: str,
    *,
    channel: str = "C1",
    providers: list[str] | None = None,
    budget: str | None = None,
    lanes: list[str] | None = None,
    version: int | None = None,
    state: dict[str, Any] | None = None,
) -> BoltResponse:
    def checked(values: list[str]) -> dict[str, Any]:
        return {"type": "checkboxes", "selected_options": [{"value": v} for v in values]}

    state = state or {
        "providers": {"value": checked(list(PROVIDERS) if providers is None else providers)},
        "budget": {"value": budget},
        "approval_lanes": {"value": checked(["max"] if lanes is None else lanes)},
    }
    if version is None:  # as if the window had been opened just now
        version = (_store(harness).get(channel) or default_settings(channel, harness.bot.policy)).version
    metadata = json.dumps({"channel": channel, "version": version})
    body = view_submission("channel_settings", state, user_id=user, private_metadata=metadata)
    response = harness.app.dispatch(bolt_request(body, SECRET))
    assert response.status == 200, response.body
    return response


def _errors(response: BoltResponse) -> dict[str, str]:
    body = json.loads(response.body or "{}")
    assert body.get("response_action") == "errors", response.body
    return body["errors"]


def _store(harness: Harness) -> ChannelSettingsStore:
    return ChannelSettingsStore(harness.bot.database)


def _set(
    harness: Harness,
    channel: str = "C1",
    *,
    providers: tuple[str, ...] = PROVIDERS,
    budget_usd: float | None = None,
    lanes: tuple[str, ...] = ("max",),
) -> None:
    budget = None if budget_usd is None else int(budget_usd * USD)
    new = ChannelSettings(channel, providers, budget, lanes)
    _store(harness).save(new, default_settings(channel, harness.bot.policy), "UADMIN", harness.clock())


def _spent(harness: Harness, usd: float | None, channel: str = "C1", *, at: float | None = None) -> None:
    """A finished run this week: `usd` None is a run on a model without a price."""
    spent(harness.bot.store, usd, channel, harness.clock() if at is None else at)


def _runs(harness: Harness) -> list[Any]:
    rows = harness.bot.database.conn.execute("SELECT id FROM runs WHERE user_id != 'USEED' ORDER BY id")
    return [harness.bot.store.run(r[0]) for r in rows.fetchall()]


def _answer_with_buttons(harness: Harness, card: dict[str, Any], count: int = 1) -> dict[str, Any]:
    messages = harness.wait_answers(card["ts"], count=count)
    return [m for m in messages if "Answer from" in _text(m)][-1]


def _approval_message(harness: Harness, thread_ts: str) -> dict[str, Any]:
    def asks(call: Any) -> bool:
        return call.args.get("thread_ts") == thread_ts and "approval_approve" in _text(call.args)

    calls = harness.slack.wait_for("chat.postMessage", predicate=asks)
    return calls[-1].args


def _escalate_to_max(harness: Harness, user: str = "U1") -> tuple[dict[str, Any], dict[str, Any]]:
    """A premium run on OpenAI by U1, then `user` presses Escalate to gpt-5.4 (xhigh), the max lane."""
    card = harness.route(PREMIUM_TASK)
    harness.press(harness.buttons(card)[1], message_ts=card["ts"])
    answer = _answer_with_buttons(harness, card)
    (xhigh,) = harness.buttons(answer)
    assert xhigh["label"] == "Escalate to gpt-5.4 (xhigh)"
    harness.press(xhigh, user=user, message_ts="2.0", thread_ts=card["ts"])
    return card, xhigh


# --- the modal ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["UADMIN", "UOWNER", "UBOSS"])
def test_settings_open_editable_for_admins_owners_and_routebot_admins(harness: Harness, user: str) -> None:
    view = _open_settings(harness, user)
    assert view["submit"]["text"] == "Save" and view["callback_id"] == "channel_settings"
    assert json.loads(view["private_metadata"]) == {"channel": "C1", "version": 0}
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert set(inputs) == {"providers", "budget", "approval_lanes", "thread_context"}
    assert [o["value"] for o in inputs["providers"]["initial_options"]] == ["anthropic", "openai"]
    assert [o["value"] for o in inputs["approval_lanes"]["initial_options"]] == ["max"]
    assert [o["value"] for o in inputs["thread_context"]["initial_options"]] == ["on"]  # on by default
    assert "initial_value" not in inputs["budget"]  # no budget by default


def test_settings_are_read_only_for_everyone_else(harness: Harness) -> None:
    _set(harness, providers=("anthropic",), budget_usd=50)
    view = _open_settings(harness, "U1")
    assert "submit" not in view
    assert not [b for b in view["blocks"] if b["type"] == "input"]
    text = _text(view)
    assert "Anthropic only" in text and "$50.00 a week" in text and "Max" in text
    assert "Only workspace admins, owners and <@UBOSS> from ROUTEBOT_ADMINS can change" in text
    assert harness.slack.calls("users.info")[-1].args["user"] == "U1"  # asked Slack, not the payload


def test_saved_settings_show_when_the_modal_opens_again(harness: Harness) -> None:
    saved = _submit(harness, "UADMIN", providers=["openai"], budget="1200.5", lanes=["premium", "max"])
    assert saved.body == ""  # a plain ack closes the modal
    inputs = {
        b["block_id"]: b["element"]
        for b in _open_settings(harness, "UADMIN")["blocks"]
        if b["type"] == "input"
    }
    assert [o["value"] for o in inputs["providers"]["initial_options"]] == ["openai"]
    assert inputs["budget"]["initial_value"] == "1200.50"
    assert [o["value"] for o in inputs["approval_lanes"]["initial_options"]] == ["premium", "max"]


# --- saving ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        ({"budget": "-10"}, "budget", "can't be negative"),
        ({"budget": "ten dollars"}, "budget", "number of US dollars"),
        ({"providers": []}, "providers", "at least one provider"),
        ({"providers": ["anthropic", "mistral"]}, "providers", "Unknown provider"),
    ],
)
def test_saving_validates_and_answers_errors_in_the_modal(
    harness: Harness, form: dict[str, Any], field: str, words: str
) -> None:
    errors = _errors(_submit(harness, "UADMIN", **form))
    assert list(errors) == [field] and words in errors[field]
    assert _store(harness).get("C1") is None
    assert _store(harness).changes("C1") == []
    assert not harness.slack.calls("chat.postMessage")


def test_a_crafted_submission_from_a_non_admin_changes_nothing(harness: Harness) -> None:
    errors = _errors(_submit(harness, "U1", providers=["openai"], budget="0", lanes=[]))
    assert "Only workspace admins, owners and ROUTEBOT_ADMINS" in errors["providers"]
    assert _store(harness).get("C1") is None and _store(harness).changes("C1") == []
    assert not harness.slack.calls("chat.postMessage")
    card = harness.route(CHEAP_TASK)  # the channel still has both providers
    assert [b["action_id"] for b in harness.buttons(card)] == ["run_anthropic", "run_openai"]


def test_a_submission_for_a_made_up_channel_is_refused(harness: Harness) -> None:
    body = view_submission(
        "channel_settings",
        {"budget": {"value": "5"}},
        user_id="UADMIN",
        private_metadata='{"channel": "not a channel"}',
    )
    response = harness.app.dispatch(bolt_request(body, SECRET))
    assert "out of date" in _errors(response)["providers"]


def test_each_change_is_recorded_and_announced_in_the_channel(harness: Harness) -> None:
    harness.clock.advance(60)
    saved = _submit(harness, "UADMIN", providers=["anthropic"], budget="$50", lanes=["premium", "max"])
    assert saved.body == ""
    changes = _store(harness).changes("C1")
    assert [(c.user_id, c.at, c.field, c.old, c.new) for c in changes] == [
        ("UADMIN", harness.clock(), "providers", "anthropic,openai", "anthropic"),
        ("UADMIN", harness.clock(), "budget_nanousd", None, str(50 * USD)),
        ("UADMIN", harness.clock(), "approval_lanes", "max", "premium,max"),
    ]
    (notice,) = harness.slack.wait_for("chat.postMessage")
    assert notice.args["channel"] == "C1"
    text = _text(notice.args)
    assert "<@UADMIN> changed routebot's settings for this channel" in text
    assert "Anthropic and OpenAI (recommends Anthropic first) → Anthropic only" in text
    assert "no budget → $50.00 a week" in text and "Maximum → Premium, Maximum" in text
    _submit(harness, "UBOSS", providers=["anthropic"], budget="50.00", lanes=["premium", "max"])  # no change
    assert len(_store(harness).changes("C1")) == 3
    assert len(harness.slack.calls("chat.postMessage")) == 1


# --- providers ------------------------------------------------------------------------------------------


def test_an_openai_only_channel_recommends_and_runs_only_openai(harness: Harness) -> None:
    _submit(harness, "UADMIN", providers=["openai"])
    harness.slack.wait_for("chat.postMessage")  # the change notice, posted after the ack
    harness.slack.clear()
    card = harness.route(CHEAP_TASK)
    assert [b["label"] for b in harness.buttons(card)] == ["Run on gpt-5.4 (low)"]
    assert '"*Model*\\n`gpt-5.4 (low)` · OpenAI"' in _text(card)
    assert "Other provider" not in _text(card) and "claude" not in _text(card)
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    answer = _answer_with_buttons(harness, card)
    assert [b["action_id"] for b in harness.buttons(answer)] == ["escalate_openai"]
    # A Run button for Anthropic the bot issued (an old card from before the change) is refused on the server.
    old_card = {
        "action_id": "run_anthropic",
        "value": harness.bot.seal.seal("run_anthropic", {"request": 1, "provider": "anthropic"}),
        "block_id": "run:1",
        "label": "Run",
    }
    harness.press(old_card, message_ts=card["ts"])
    refusal = harness.slack.wait_for("response_url", predicate=lambda c: "allow" in c.args.get("text", ""))[0]
    assert "settings allow OpenAI, not Anthropic" in refusal.args["text"]
    # The same value crafted by hand carries no seal: refused before anything is looked up.
    harness.press(
        {**old_card, "value": json.dumps({"request": 1, "provider": "anthropic"})}, message_ts=card["ts"]
    )
    harness.slack.wait_for("response_url", predicate=lambda c: "out of date" in c.args.get("text", ""))
    assert [r.provider for r in _runs(harness)] == ["openai"]
    assert not harness.anthropic.requests


def test_an_anthropic_only_channel_offers_no_openai_escalation(harness: Harness) -> None:
    _set(harness, providers=("anthropic",))
    card = harness.route(CHEAP_TASK)
    assert [b["action_id"] for b in harness.buttons(card)] == ["run_anthropic"]
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    answer = _answer_with_buttons(harness, card)
    assert [b["label"] for b in harness.buttons(answer)] == ["Escalate to claude-sonnet-4-6"]


# --- budget ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spent", [50, 61.25])
def test_at_or_over_the_budget_the_run_does_not_start(harness: Harness, spent: float) -> None:
    _spent(harness, spent)
    _set(harness, budget_usd=50)
    card = harness.route(CHEAP_TASK)
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    reply = harness.slack.wait_for("response_url", predicate=lambda c: "budget" in c.args.get("text", ""))[0]
    text = reply.args["text"]
    assert reply.args["response_type"] == "ephemeral"
    assert f"spent ${spent:,.2f} of its $50.00 weekly budget (2025-W48)" in text
    assert "Workspace admins, owners and <@UBOSS> from ROUTEBOT_ADMINS can raise the budget" in text
    assert "unknown" not in text
    assert _runs(harness) == [] and not harness.anthropic.requests


def test_unknown_price_runs_are_named_and_do_not_count_toward_the_budget(harness: Harness) -> None:
    _spent(harness, None)
    _spent(harness, None)
    _set(harness, budget_usd=0.01)
    card = harness.route(CHEAP_TASK)
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.wait_answers(card["ts"])  # two unknown-price runs are not $0.01 of spend: this one runs
    _spent(harness, 0.01)
    harness.press(harness.buttons(card)[1], message_ts=card["ts"])
    reply = harness.slack.wait_for("response_url", predicate=lambda c: "budget" in c.args.get("text", ""))[0]
    assert "plus 2 runs at an unknown price (not counted" in reply.args["text"]
    assert [r.provider for r in _runs(harness)] == ["anthropic"]


def _warnings(harness: Harness) -> list[Any]:
    return [
        c
        for c in harness.slack.calls("chat.postMessage")
        if "weekly budget" in _text(c.args) and not c.args.get("thread_ts")
    ]


def test_the_channel_is_warned_once_a_week_at_80_percent(harness: Harness) -> None:
    _set(harness, budget_usd=50)
    _spent(harness, 39.99)
    card = harness.route(CHEAP_TASK)
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.wait_answers(card["ts"])
    harness.runs_settled()  # hooks run right after the answer is posted
    assert _warnings(harness) == []  # 79.98%: not yet
    _spent(harness, 0.02)
    harness.press(harness.buttons(card)[1], message_ts=card["ts"])
    (warning,) = harness.slack.wait_for(
        "chat.postMessage", predicate=lambda c: "80%" in _text(c.args) and not c.args.get("thread_ts")
    )
    assert warning.args["channel"] == "C1"
    assert "of its $50.00 weekly budget (80%, 2025-W48)" in _text(warning.args)
    answer = _answer_with_buttons(harness, card, count=2)
    harness.press(
        harness.buttons(answer)[0], message_ts="3.0", thread_ts=card["ts"]
    )  # another run this week: no second warning
    harness.wait_answers(card["ts"], count=3)
    harness.runs_settled()  # before the clock moves on: that run's hook must see this week
    assert len(_warnings(harness)) == 1
    harness.clock.advance(7 * 86_400)  # next week: spend starts again, and so does the warning
    _spent(harness, 45)
    card2 = harness.route(CHEAP_TASK)
    harness.press(harness.buttons(card2)[0], message_ts=card2["ts"])
    harness.slack.wait_for(
        "chat.postMessage",
        count=2,
        predicate=lambda c: "weekly budget (" in _text(c.args) and not c.args.get("thread_ts"),
    )
    assert "(90%, 2025-W49)" in _text(_warnings(harness)[-1].args)


# --- approvals ------------------------------------------------------------------------------------------


def test_a_non_admin_escalating_to_max_gets_an_approval_request(harness: Harness) -> None:
    card, xhigh = _escalate_to_max(harness)
    question = _approval_message(harness, card["ts"])
    assert [b["label"] for b in harness.buttons(question)] == ["Approve", "Decline"]
    assert "<@U1> asks to run this request on `gpt-5.4 (xhigh)` on the Maximum lane" in _text(question)
    told = harness.slack.wait_for("response_url", predicate=lambda c: "approval" in c.args.get("text", ""))[0]
    assert told.args["response_type"] == "ephemeral" and "asked in the request's thread" in told.args["text"]
    harness.press(xhigh, message_ts="2.0", thread_ts=card["ts"])  # pressing again asks nothing new
    harness.slack.wait_for("response_url", predicate=lambda c: "already waiting" in c.args.get("text", ""))
    questions = [c for c in harness.slack.calls("chat.postMessage") if "approval_approve" in _text(c.args)]
    assert len(questions) == 1
    assert [r.lane for r in _runs(harness)] == ["premium"]


def test_an_admin_escalating_to_max_needs_no_approval(harness: Harness) -> None:
    card, _ = _escalate_to_max(harness, user="UADMIN")
    harness.wait_answers(card["ts"], count=2)
    assert [r.lane for r in _runs(harness)] == ["premium", "max"]
    assert not [c for c in harness.slack.calls("chat.postMessage") if "approval_approve" in _text(c.args)]


def test_a_crafted_approve_from_a_non_admin_is_refused_and_changes_nothing(harness: Harness) -> None:
    card, _ = _escalate_to_max(harness)
    approve, decline = harness.buttons(_approval_message(harness, card["ts"]))
    harness.press(approve, user="U2", message_ts="4.0", thread_ts=card["ts"])
    harness.press(decline, user="U2", message_ts="4.0", thread_ts=card["ts"])
    refusals = harness.slack.wait_for(
        "response_url", count=2, predicate=lambda c: "can approve or decline" in c.args.get("text", "")
    )
    assert all(c.args["response_type"] == "ephemeral" for c in refusals)
    assert "Only workspace admins, owners and <@UBOSS> from ROUTEBOT_ADMINS" in refusals[0].args["text"]
    status = harness.bot.database.conn.execute("SELECT status, decided_by FROM approvals").fetchall()
    assert status == [("pending", None)]
    assert [r.lane for r in _runs(harness)] == ["premium"]
    assert not [c for c in harness.slack.calls("chat.update") if "running `gpt-5.4 (xhigh)`" in _text(c.args)]


def test_an_admin_approval_runs_it_exactly_once(harness: Harness) -> None:
    card, _ = _escalate_to_max(harness)
    approve = harness.buttons(_approval_message(harness, card["ts"]))[0]
    clicks = [
        threading.Thread(
            target=harness.press,
            args=(approve,),
            kwargs={"user": u, "message_ts": "4.0", "thread_ts": card["ts"]},
        )
        for u in ("UADMIN", "UBOSS", "UADMIN")
    ]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    messages = harness.wait_answers(card["ts"], count=2)
    runs = _runs(harness)
    assert [(r.lane, r.model, r.effort, r.user_id) for r in runs] == [
        ("premium", "gpt-5.4", "high", "U1"),
        ("max", "gpt-5.4", "xhigh", "U1"),
    ]
    assert runs[1].escalated_from == runs[0].id
    assert len(harness.openai.requests) == 2
    assert "Ladder so far: `gpt-5.4 (high)` → `gpt-5.4 (xhigh)`" in _text(messages[-1])
    already = harness.slack.wait_for(
        "response_url", count=2, predicate=lambda c: "already approved" in c.args.get("text", "")
    )
    assert len(already) == 2
    update = harness.slack.wait_for("chat.update", predicate=lambda c: "approved running" in _text(c.args))[0]
    assert "approval_approve" not in _text(update.args)  # the buttons are gone


def test_an_approval_clicked_before_its_question_was_recorded_still_closes_the_question(
    harness: Harness,
) -> None:
    """The question's ts is stored just after it is posted; a click can land in between."""
    card, _ = _escalate_to_max(harness)
    approve = harness.buttons(_approval_message(harness, card["ts"]))[0]
    conn = harness.bot.database.conn
    # The bot records the ts just after Slack answers the post: let it, then undo it, so that the click
    # wins the race every time (nulling it first, the bot's own write could still land after).
    deadline = time.monotonic() + 20
    while conn.execute("SELECT count(*) FROM approvals WHERE message_ts IS NOT NULL").fetchone()[0] == 0:
        assert time.monotonic() < deadline, "the approval question's ts was never recorded"
        time.sleep(0.01)
    conn.execute("UPDATE approvals SET message_ts = NULL")  # the click wins the race
    harness.press(approve, user="UADMIN", message_ts="4.0", thread_ts=card["ts"])
    update = harness.slack.wait_for("chat.update", predicate=lambda c: "approved running" in _text(c.args))[0]
    assert update.args["ts"] == "4.0"  # the message clicked: the question
    assert "approval_approve" not in _text(update.args)
    harness.wait_answers(card["ts"], count=2)


def test_a_decline_tells_the_requester_in_the_thread(harness: Harness) -> None:
    card, _ = _escalate_to_max(harness)
    decline = harness.buttons(_approval_message(harness, card["ts"]))[1]
    harness.press(decline, user="UOWNER", message_ts="4.0", thread_ts=card["ts"])
    notice = harness.slack.wait_for(
        "chat.postMessage", predicate=lambda c: "declined your request" in _text(c.args)
    )[0]
    assert notice.args["thread_ts"] == card["ts"]
    assert "<@U1>: <@UOWNER> declined your request to run `gpt-5.4 (xhigh)` on the Maximum lane" in _text(
        notice.args
    )
    harness.press(
        harness.buttons(_approval_message(harness, card["ts"]))[0],
        user="UADMIN",
        message_ts="4.0",
        thread_ts=card["ts"],
    )
    harness.slack.wait_for("response_url", predicate=lambda c: "already declined" in c.args.get("text", ""))
    assert [r.lane for r in _runs(harness)] == ["premium"]


def test_an_approved_run_still_respects_the_budget(harness: Harness) -> None:
    card, _ = _escalate_to_max(harness)
    _set(harness, budget_usd=1)
    _spent(harness, 1)
    harness.press(
        harness.buttons(_approval_message(harness, card["ts"]))[0],
        user="UADMIN",
        message_ts="4.0",
        thread_ts=card["ts"],
    )
    refused = harness.slack.wait_for(
        "chat.postMessage", predicate=lambda c: "could not start" in _text(c.args)
    )[0]
    assert refused.args["thread_ts"] == card["ts"] and "weekly budget" in _text(refused.args)
    assert [r.lane for r in _runs(harness)] == ["premium"]


# --- App Home and help ----------------------------------------------------------------------------------


def test_app_home_shows_the_users_channels_settings_and_spend(harness: Harness) -> None:
    harness.route(CHEAP_TASK, channel="C1")
    harness.route(CHEAP_TASK, channel="C2")
    harness.route(CHEAP_TASK, channel="C3", user="U2")  # someone else's channel: not listed for U1
    _set(harness, "C1", providers=("anthropic",), budget_usd=50)
    _spent(harness, 12.5, "C1")
    _spent(harness, None, "C1")
    _spent(harness, None, "C2")
    harness.clock.advance(-8 * 86_400)
    _spent(harness, 99, "C1")  # last week's spend does not count
    harness.clock.advance(8 * 86_400)
    response = harness.app.dispatch(bolt_request(app_home_opened("U1"), SECRET))
    assert response.status == 200
    (publish,) = harness.slack.wait_for("views.publish")
    assert publish.args["user_id"] == "U1" and publish.args["view"]["type"] == "home"
    text = _text(publish.args["view"])
    assert "<#C1>" in text and "<#C2>" in text and "<#C3>" not in text
    assert "$12.50 of $50.00 (25%), plus 1 run at an unknown price" in text
    assert "unknown: 1 run at a price the policy does not know (no budget)" in text  # C2: never "$0"
    assert "Anthropic only" in text and "2025-W48" in text


def test_help_lists_route_settings(harness: Harness) -> None:
    response = harness.command("/route", "help")
    assert "/route settings" in (response.body or "")
