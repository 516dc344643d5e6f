"""Settings input (issue 9, section 8): typed budgets, crafted submissions and stale saves, through Bolt.

Every submission is a signed view_submission into the real app; a refusal is a `response_action: errors`
answer shown in the modal, with nothing stored, announced or audited.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from slack_bolt.response import BoltResponse

from storage.channel_settings import ChannelSettingsStore
from tests.conftest import SECRET, Harness
from tests.fakes.slack_requests import bolt_request, view_submission

USD = 1_000_000_000


@pytest.fixture
def harness(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    harness = make_harness()
    harness.slack.admins.update({"UADMIN", "UADMIN2"})
    return harness


def _checked(values: list[str]) -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": [{"value": v} for v in values]}


def _form(budget: Any = None, providers: tuple[str, ...] = ("anthropic", "openai")) -> dict[str, Any]:
    return {
        "providers": {"value": _checked(list(providers))},
        "budget": {"value": {"type": "plain_text_input", "value": budget}},
        "approval_lanes": {"value": _checked(["max"])},
    }


def _submit(
    harness: Harness, state: dict[str, Any], *, user: str = "UADMIN", metadata: Any = None
) -> BoltResponse:
    if metadata is None:
        metadata = _opened(harness, user)
    body = view_submission("channel_settings", state, user_id=user, private_metadata=metadata)
    return harness.app.dispatch(bolt_request(body, SECRET))


def _opened(harness: Harness, user: str = "UADMIN") -> str:
    """The private_metadata of the settings window `user` opens now, exactly as Slack hands it back."""
    before = len(harness.slack.calls("views.open"))
    assert harness.command("/route", "settings", user=user).status == 200
    return str(
        harness.slack.wait_for("views.open", count=before + 1)[before].args["view"]["private_metadata"]
    )


def _errors(response: BoltResponse) -> dict[str, str]:
    assert response.status == 200, response.body
    body = json.loads(response.body or "{}")
    assert body.get("response_action") == "errors", response.body
    return dict(body["errors"])


def _nothing_changed(harness: Harness) -> None:
    store = ChannelSettingsStore(harness.bot.database)
    assert store.get("C1") is None and store.changes("C1") == []
    assert not harness.slack.calls("chat.postMessage")


@pytest.mark.parametrize("typed", ["50,5", "1,2000", "50,50", "1,20,000"])
def test_a_decimal_comma_is_refused_not_read_as_thousands(harness: Harness, typed: str) -> None:
    errors = _errors(_submit(harness, _form(typed)))
    assert list(errors) == ["budget"]
    assert "Commas may only separate thousands" in errors["budget"] and "50.50" in errors["budget"]
    _nothing_changed(harness)


@pytest.mark.parametrize(("typed", "usd"), [("1,200.50", 1200.5), ("$12,345", 12345), ("50.5", 50.5)])
def test_thousands_separators_and_cents_still_read_right(harness: Harness, typed: str, usd: float) -> None:
    response = _submit(harness, _form(typed))
    assert response.status == 200 and response.body == ""
    saved = ChannelSettingsStore(harness.bot.database).get("C1")
    assert saved is not None and saved.budget_nanousd == int(usd * USD)


@pytest.mark.parametrize(
    "crafted",
    [1e308, -5, 10**30, float("nan"), float("inf"), float("-inf"), 50, 0.5, True, [50], {"usd": 50}],
)
def test_a_crafted_numeric_budget_is_answered_in_the_modal_not_with_a_500(
    harness: Harness, crafted: Any
) -> None:
    errors = _errors(_submit(harness, _form(crafted)))
    assert "number of US dollars" in errors["budget"]
    _nothing_changed(harness)


@pytest.mark.parametrize("typed", ["NaN", "Infinity", "1e30", "-Infinity", "9" * 400, "0x32"])
def test_typed_non_numbers_and_huge_budgets_are_refused(harness: Harness, typed: str) -> None:
    errors = _errors(_submit(harness, _form(typed)))
    assert list(errors) == ["budget"]
    _nothing_changed(harness)


@pytest.mark.parametrize(
    "state",
    [
        {"budget": "not a block"},
        {"budget": {"value": ["not", "an", "input"]}},
        {"providers": {"value": {"type": "checkboxes", "selected_options": "anthropic"}}},
        {"providers": {"value": {"type": "checkboxes", "selected_options": [1, None, "x"]}}},
        {"providers": [], "approval_lanes": 7},
    ],
)
def test_a_malformed_form_is_answered_in_the_modal(harness: Harness, state: dict[str, Any]) -> None:
    body = view_submission("channel_settings", {}, user_id="UADMIN", private_metadata=_opened(harness))
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["view"]["state"]["values"] = state  # as sent, not shaped by the builder
    response = harness.app.dispatch(bolt_request(urlencode({"payload": json.dumps(payload)}), SECRET))
    assert response.status == 200
    if response.body:  # fields it could not read count as empty: providers then needs a choice
        assert json.loads(response.body)["response_action"] == "errors"
    assert ChannelSettingsStore(harness.bot.database).changes("C1") == []


def test_a_save_from_an_older_window_does_not_undo_a_newer_one(harness: Harness) -> None:
    first = _opened(harness, "UADMIN")
    second = _opened(harness, "UADMIN2")
    assert _submit(harness, _form("100", ("openai",)), user="UADMIN2", metadata=second).body == ""
    errors = _errors(_submit(harness, _form("5"), user="UADMIN", metadata=first))
    assert "saved these settings after you opened this window" in errors["providers"]
    store = ChannelSettingsStore(harness.bot.database)
    saved = store.get("C1")
    assert saved is not None and (saved.providers, saved.budget_nanousd, saved.version) == (
        ("openai",),
        100 * USD,
        1,
    )
    assert {c.user_id for c in store.changes("C1")} == {"UADMIN2"}
    reopened = _opened(harness, "UADMIN")  # reopening shows the newer settings; saving from it works
    assert json.loads(reopened)["version"] == 1
    assert _submit(harness, _form("5"), user="UADMIN", metadata=reopened).body == ""
    assert store.get("C1").budget_nanousd == 5 * USD  # type: ignore[union-attr]


def test_a_replayed_save_is_refused_once_anything_changed_since(harness: Harness) -> None:
    metadata = _opened(harness)
    assert _submit(harness, _form("10"), metadata=metadata).body == ""
    assert _submit(harness, _form("20"), metadata=_opened(harness)).body == ""
    replay = _submit(harness, _form("10"), metadata=metadata)  # the first save, sent again
    assert "saved these settings after you opened this window" in _errors(replay)["providers"]
    assert ChannelSettingsStore(harness.bot.database).get("C1").budget_nanousd == 20 * USD  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "metadata",
    [
        '{"channel": "C1"}',
        '{"channel": "C1", "version": "1"}',
        '{"channel": "C1", "version": -1}',
        '{"channel": "C1", "version": true}',
        '{"channel": "C1", "version": 1e400}',
        "[1]",
        "{",
    ],
)
def test_a_window_without_a_valid_version_is_out_of_date(harness: Harness, metadata: str) -> None:
    errors = _errors(_submit(harness, _form("10"), metadata=metadata))
    assert "out of date" in errors["providers"]
    _nothing_changed(harness)
