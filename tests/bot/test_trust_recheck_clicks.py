"""Issue 9, section 1 re-checked from outside: clicks with payload variations the first tests did not send.

Every click is a signed block_actions into the real Bolt app (or the real waitress server), built from the
buttons the bot really posted and then edited the way a crafted payload would be.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from bot.blocks.conversations import INSTRUCTION_ACTION, INSTRUCTION_BLOCK, ROUTE_MESSAGE
from tests.bot.mrkdwn import message_text
from tests.conftest import SECRET, Harness
from tests.fakes.slack_requests import (
    bolt_request,
    click,
    event_callback,
    message_shortcut,
    post,
    view_submission,
)

CHEAP_TASK = "Tag each of these 300 support tickets as billing, bug or other"
MAX_TASK = "--lane max Review our proposed microservices split and weigh the architecture tradeoffs"
ELSEWHERE = "belongs to a request in another channel or message"


def _settled(harness: Harness) -> None:
    harness.built.listener_pool.shutdown(wait=True)
    harness.built.run_pool.shutdown(wait=True)


def _private(harness: Harness, words: str, count: int = 1) -> list[Any]:
    replies = harness.slack.wait_for(
        "response_url", count=count, predicate=lambda c: words in c.args.get("text", "")
    )
    assert all(c.args["response_type"] == "ephemeral" for c in replies)
    return replies


def _payload(harness: Harness, button: dict[str, Any], **where: Any) -> dict[str, Any]:
    where.setdefault("response_url", harness.slack.response_url("click-U1"))
    return json.loads(parse_qs(click(button, **where))["payload"][0])


def _press_edited(
    harness: Harness, button: dict[str, Any], edit: Callable[[dict[str, Any]], None], **where: Any
) -> Any:
    """Click `button` at `where`, with the payload changed by `edit` before it is signed."""
    payload = _payload(harness, button, **where)
    edit(payload)
    return harness.app.dispatch(bolt_request(urlencode({"payload": json.dumps(payload)}), SECRET))


def _approval_question(harness: Harness, card: dict[str, Any]) -> dict[str, Any]:
    return harness.slack.wait_for(
        "chat.postMessage",
        predicate=lambda c: (
            c.args.get("thread_ts") == card["ts"] and "approval_approve" in message_text(c.args)
        ),
    )[0].args


def test_a_click_without_container_channel_still_runs_on_its_own_card(harness: Harness) -> None:
    card = harness.route(CHEAP_TASK, channel="C0A")

    def drop(payload: dict[str, Any]) -> None:
        del payload["container"]["channel_id"]

    _press_edited(harness, harness.buttons(card)[0], drop, channel_id="C0A", message_ts=card["ts"])
    harness.wait_answers(card["ts"])
    _settled(harness)
    assert harness.run_count() == 1


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda p: p["container"].update(channel_id="C0B"), id="container_elsewhere"),
        pytest.param(lambda p: p.update(channel={"id": "C0B", "name": "x"}), id="channel_elsewhere"),
        pytest.param(lambda p: p.pop("channel") and p["container"].pop("channel_id"), id="no_channel"),
        pytest.param(lambda p: p["container"].update(message_ts="9.9"), id="container_other_message"),
        pytest.param(lambda p: p.pop("container") and p.pop("message"), id="no_message_at_all"),
        pytest.param(lambda p: p["container"].update(channel_id=["C0A"]), id="channel_as_list"),
    ],
)
def test_a_click_whose_place_is_missing_or_contradicts_itself_is_refused(
    harness: Harness, edit: Callable[[dict[str, Any]], Any]
) -> None:
    harness.route(CHEAP_TASK, channel="C0B")
    card = harness.route(CHEAP_TASK, channel="C0A")
    response = _press_edited(harness, harness.buttons(card)[0], edit, channel_id="C0A", message_ts=card["ts"])
    assert response.status == 200
    _private(harness, ELSEWHERE)
    _settled(harness)
    assert harness.run_count() == 0 and harness.anthropic.requests == []


def test_a_sealed_run_value_replayed_on_another_card_of_the_channel_is_refused(harness: Harness) -> None:
    first = harness.route(CHEAP_TASK, channel="C0A")
    second = harness.route(CHEAP_TASK, channel="C0A")
    harness.press(harness.buttons(second)[0], channel="C0A", message_ts=second["ts"])
    harness.wait_answers(second["ts"])
    answer_ts = next(
        m["ts"] for m in harness.slack.thread("C0A", second["ts"]) if "Answer from" in message_text(m)
    )
    stolen = harness.buttons(first)[1]  # the first card's other provider, never run
    harness.press(stolen, channel="C0A", message_ts=answer_ts, thread_ts=second["ts"])  # on the answer
    harness.press(stolen, channel="C0A", message_ts=second["ts"])  # on the card itself
    _private(harness, ELSEWHERE, count=2)
    _settled(harness)
    assert harness.run_count() == 1 and harness.openai.requests == []


def test_escalate_from_an_answer_pressed_in_another_requests_thread_is_refused(harness: Harness) -> None:
    first = harness.route(CHEAP_TASK, channel="C0A")
    harness.press(harness.buttons(first)[0], channel="C0A", message_ts=first["ts"])
    answer = next(m for m in harness.wait_answers(first["ts"]) if "Answer from" in message_text(m))
    second = harness.route(CHEAP_TASK, channel="C0A")
    harness.press(harness.buttons(second)[0], channel="C0A", message_ts=second["ts"])
    harness.wait_answers(second["ts"])
    escalate = harness.buttons(answer)[0]
    harness.press(escalate, channel="C0A", message_ts="7.1", thread_ts=second["ts"])
    harness.press(escalate, channel="C0A", message_ts=second["ts"])  # on the other card
    _private(harness, ELSEWHERE, count=2)
    _settled(harness)
    assert harness.run_count() == 2
    assert [m.get("thread_ts") for m in harness.thread_messages(second["ts"])].count(second["ts"]) == 2


def test_an_approve_naming_another_approval_is_refused_and_both_stay_pending(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_ADMINS="UBOSS")
    first = harness.route(MAX_TASK, channel="C0A")
    harness.press(harness.buttons(first)[0], channel="C0A", message_ts=first["ts"])
    first_question = _approval_question(harness, first)
    second = harness.route(MAX_TASK, channel="C0A")
    harness.press(harness.buttons(second)[0], channel="C0A", message_ts=second["ts"])
    _approval_question(harness, second)
    approve_first = harness.buttons(first_question)[0]
    assert approve_first["action_id"] == "approval_approve"
    # An admin presses the first request's Approve on a message in the second request's thread.
    harness.press(approve_first, user="UBOSS", channel="C0A", message_ts="8.1", thread_ts=second["ts"])
    _private(harness, ELSEWHERE)
    _settled(harness)
    statuses = harness.bot.database.conn.execute("SELECT status FROM approvals ORDER BY id").fetchall()
    assert [s for (s,) in statuses] == ["pending", "pending"]
    assert harness.run_count() == 0 and harness.anthropic.requests == []


def test_a_retry_of_a_run_that_was_retried_and_succeeded_runs_nothing(harness: Harness) -> None:
    harness.anthropic.fail(500, times=1)
    card = harness.route(CHEAP_TASK)
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.wait_answers(card["ts"])
    failure = next(m for m in harness.slack.thread("C1", card["ts"]) if "could not answer" in message_text(m))
    retry = harness.buttons(failure)[0]
    assert retry["action_id"] == "retry"
    harness.press(retry, message_ts=failure["ts"], thread_ts=card["ts"])
    harness.wait_answers(card["ts"], count=2)
    harness.press(retry, message_ts=failure["ts"], thread_ts=card["ts"])  # the old Retry again
    _private(harness, "not in a failed state")
    _settled(harness)
    assert harness.run_count() == 2 and len(harness.anthropic.requests) == 2


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("[" * 100_000 + "]" * 100_000, id="deep_list"),
        pytest.param('{"a":' * 20_000 + "1" + "}" * 20_000, id="deep_object"),
        pytest.param('{"request": ' + "9" * 5000 + ', "provider": "anthropic"}', id="5000_digits"),
        pytest.param('{"request": 1e999, "provider": "anthropic"}', id="float_overflow"),
        pytest.param('{"request": -1, "provider": "anthropic", "sig": "x"}', id="negative_id"),
        pytest.param(
            '{"request": 1, "provider": "\\u0061nthropic", "sig": "' + "0" * 32 + '"}', id="unicode"
        ),
        pytest.param('{"request": 1, "provider": "\\ud800", "sig": "\\ud800"}', id="lone_surrogate"),
        pytest.param('{"request": 1, "sig": null}', id="null_seal"),
        pytest.param('{"request": 1, "sig": ["a"]}', id="list_seal"),
        pytest.param('"' + "x" * 100_000 + '"', id="long_string"),
        pytest.param("\x00", id="nul"),
    ],
)
def test_malformed_button_values_are_out_of_date_over_http(served, caplog, value: str) -> None:  # type: ignore[no-untyped-def]
    harness, url = served
    harness.route(CHEAP_TASK)
    ts = harness.latest_card_ts()
    payload = _payload(harness, {"action_id": "run_anthropic", "value": value}, message_ts=ts)
    status, _ = post(url + "/slack/events", urlencode({"payload": json.dumps(payload)}), SECRET)
    assert status == 200
    _private(harness, "out of date")
    _settled(harness)
    assert harness.run_count() == 0
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


def test_a_genuine_value_re_encoded_with_unicode_escapes_means_the_same_click(harness: Harness) -> None:
    card = harness.route(CHEAP_TASK)
    button = dict(harness.buttons(card)[0])
    button["value"] = button["value"].replace("anthropic", "\\u0061nthropic")  # same JSON, other bytes
    harness.press(button, message_ts=card["ts"])
    harness.wait_answers(card["ts"])
    _settled(harness)
    assert harness.run_count() == 1


def _interaction(harness: Harness, kind: str) -> dict[str, Any]:
    if kind == "block_actions":
        return _payload(harness, {"action_id": "run_anthropic", "value": "{}"}, message_ts="1.0")
    payload = json.loads(parse_qs(view_submission("channel_settings", {}, user_id="U1"))["payload"][0])
    return payload


@pytest.mark.parametrize(
    ("kind", "field", "bad"),
    [
        pytest.param("block_actions", "actions", [], id="no_actions"),
        pytest.param("block_actions", "actions", ["run_anthropic"], id="action_not_an_object"),
        pytest.param("block_actions", "actions", [{"value": "{}"}], id="no_action_id"),
        pytest.param("block_actions", "actions", "run_anthropic", id="actions_a_string"),
        pytest.param("block_actions", "actions", [{"action_id": 5}], id="action_id_a_number"),
        pytest.param("view_submission", "view", None, id="no_view"),
        pytest.param("view_submission", "view", "channel_settings", id="view_a_string"),
        pytest.param("view_submission", "view", {"state": {}}, id="view_without_callback_id"),
    ],
)
def test_a_malformed_interaction_gets_a_400_not_a_500(
    served, caplog, kind: str, field: str, bad: Any
) -> None:  # type: ignore[no-untyped-def]
    harness, url = served
    payload = _interaction(harness, kind)
    if bad is None:
        del payload[field]
    else:
        payload[field] = bad
    status, text = post(url + "/slack/events", urlencode({"payload": json.dumps(payload)}), SECRET)
    assert 400 <= status < 500, text  # 400 from the front, or Bolt's 404 for what no listener takes
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    _settled(harness)
    assert harness.run_count() == 0


@pytest.mark.parametrize(
    "event",
    [
        pytest.param("type", id="event_a_string"),
        pytest.param(["type"], id="event_a_list"),
        pytest.param({"type": 5}, id="type_a_number"),
    ],
)
def test_a_malformed_event_gets_a_400_not_a_500(served, caplog, event: Any) -> None:  # type: ignore[no-untyped-def]
    _harness, url = served
    body = json.loads(event_callback({"type": "app_mention"}))
    body["event"] = event
    status, text = post(url + "/slack/events", json.dumps(body), SECRET)
    assert 400 <= status < 500, text
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


@pytest.mark.parametrize("field", ["channel", "container", "message", "team", "state"])
@pytest.mark.parametrize("bad", ["C0A", ["C0A"], 5])
def test_a_click_whose_objects_are_other_types_gets_a_4xx_not_a_500(
    served, caplog, field: str, bad: Any
) -> None:  # type: ignore[no-untyped-def]
    harness, url = served
    card = harness.route(CHEAP_TASK, channel="C0A")
    harness.press(harness.buttons(card)[0], channel="C0A", message_ts=card["ts"])
    answer = next(m for m in harness.wait_answers(card["ts"]) if "Answer from" in message_text(m))
    element = next(b for b in answer["blocks"] if b["type"] == "context_actions")["elements"][0]
    vote = {"action_id": element["action_id"], "value": element["positive_button"]["value"]}
    for button in (harness.buttons(card)[1], vote):
        payload = _payload(harness, button, channel_id="C0A", message_ts=card["ts"])
        payload[field] = bad
        status, text = post(url + "/slack/events", urlencode({"payload": json.dumps(payload)}), SECRET)
        assert status == 400 and f"whose {field} is not an object" in text, text
    _settled(harness)
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert harness.run_count() == 1
    assert harness.bot.database.conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("kind", "field", "bad"),
    [
        ("app_mention", "channel", ["C1"]),
        ("app_mention", "ts", 5),
        ("app_mention", "thread_ts", {"ts": "1.0"}),
        ("app_mention", "text", ["<@UBOT> hi"]),
        ("app_mention", "user", {"id": "U1"}),
        ("message", "thread_ts", ["1.0"]),
        ("message", "user", ["U1"]),
        ("message", "text", {"t": 1}),
        ("app_home_opened", "user", ["U1"]),
    ],
)
def test_an_event_with_fields_of_other_types_is_answered_without_a_traceback(  # type: ignore[no-untyped-def]
    served, caplog, kind: str, field: str, bad: Any
) -> None:
    harness, url = served
    event: dict[str, Any] = {"type": kind, "user": "U1", "channel": "C1", "ts": "5.5", "event_ts": "5.5"}
    event.update(text="<@UBOT> summarize this", thread_ts="1.0", tab="home")
    event[field] = bad
    status, text = post(url + "/slack/events", event_callback(event), SECRET)
    assert status == 400 and f"whose {field} is not text" in text, text
    _settled(harness)
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert harness.bot.database.conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 0


def _route_this_window(harness: Harness) -> tuple[str, str]:
    """Someone chooses Route this on a message in C0A; returns its ts and the window's private_metadata."""
    ts = harness.slack.add_message("C0A", "Q3 numbers: revenue up 4%", user="U2")
    message = {"ts": ts, "user": "U2", "text": "Q3 numbers: revenue up 4%"}
    body = message_shortcut(
        ROUTE_MESSAGE, message, channel_id="C0A", response_url=harness.slack.response_url("sc")
    )
    assert harness.app.dispatch(bolt_request(body, SECRET)).status == 200
    return ts, str(harness.slack.wait_for("views.open")[0].args["view"]["private_metadata"])


def _submit_route_this(harness: Harness, metadata: str) -> Any:
    state = {INSTRUCTION_BLOCK: {INSTRUCTION_ACTION: "turn this into two bullet points"}}
    body = view_submission(ROUTE_MESSAGE, state, private_metadata=metadata)
    return harness.app.dispatch(bolt_request(body, SECRET))


@pytest.mark.parametrize("edit", ["channel", "ts", "response_url", "unsealed", "not_json"])
def test_a_route_this_window_routebot_did_not_open_reads_and_posts_nothing(
    harness: Harness, edit: str
) -> None:
    secret_ts = harness.slack.add_message("GPRIVATE", "the private plan", user="U3")
    _ts, metadata = _route_this_window(harness)
    harness.slack.clear()
    meta = json.loads(metadata)
    if edit == "channel":
        meta.update(channel="GPRIVATE", ts=secret_ts)
    elif edit == "ts":
        meta.update(ts=secret_ts)
    elif edit == "response_url":
        meta.update(response_url="http://127.0.0.1:9/internal")
    elif edit == "unsealed":
        meta.pop("sig")
    crafted = "{not json" if edit == "not_json" else json.dumps(meta)
    response = _submit_route_this(harness, crafted)
    assert response.status == 200
    assert json.loads(response.body)["response_action"] == "errors"
    assert "out of date" in json.loads(response.body)["errors"][INSTRUCTION_BLOCK]
    _settled(harness)
    assert harness.slack.calls() == []  # nothing read, nothing posted, no response_url called
    assert harness.bot.database.conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 0


def test_the_window_routebot_opened_still_routes_its_message(harness: Harness) -> None:
    ts, metadata = _route_this_window(harness)
    response = _submit_route_this(harness, metadata)
    assert response.status == 200 and response.body == ""
    card = harness.slack.wait_for(
        "chat.postMessage",
        predicate=lambda c: c.args.get("thread_ts") == ts and "*Task* from" in message_text(c.args),
    )
    assert card[0].args["channel"] == "C0A"


@pytest.mark.parametrize("kind", ["app_mention", "message"])
def test_a_message_event_without_its_ts_is_refused_without_a_traceback(served, caplog, kind: str) -> None:  # type: ignore[no-untyped-def]
    harness, url = served
    event = {"type": kind, "user": "U1", "channel": "C1", "text": "<@UBOT> hi", "thread_ts": "1.0"}
    status, text = post(url + "/slack/events", event_callback(event), SECRET)
    assert 400 <= status < 500, text
    _settled(harness)
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


def test_route_this_when_slack_refuses_the_window_says_so_privately(harness: Harness, caplog) -> None:  # type: ignore[no-untyped-def]
    harness.slack.fail("views.open", "expired_trigger_id")
    ts = harness.slack.add_message("C0A", "Q3 numbers", user="U2")
    message = {"ts": ts, "user": "U2", "text": "Q3 numbers"}
    url = harness.slack.response_url("sc")
    body = message_shortcut(ROUTE_MESSAGE, message, channel_id="C0A", response_url=url)
    assert harness.app.dispatch(bolt_request(body, SECRET)).status == 200
    (reply,) = harness.slack.wait_for("response_url")
    assert reply.args["response_type"] == "ephemeral" and "expired_trigger_id" in reply.args["text"]
    _settled(harness)
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
