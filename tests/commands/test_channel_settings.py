"""Channel settings without Slack: the form, the budget gate and warning, approvals, and their storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands.approvals import approval_gate, plan_of
from commands.approvers import who_can_change
from commands.budget import budget_gate, budget_reached, exceeded_message, spend_line, warning_due
from commands.budget_warning import BudgetWarning
from commands.channel_settings import budget_input, default_settings, parse_budget, validate_form
from commands.errors import ApprovalRequired, BudgetExceeded, UsageError
from commands.policy import load_policy
from commands.providers import TokenCounts
from commands.runs import RunPlan, RunService
from commands.weeks import week_containing
from storage.approvals import ApprovalStore
from storage.channel_settings import ChannelSettings, ChannelSettingsStore
from storage.db import Database
from storage.runs import NewRun, RunStore
from storage.spend import Spend

POLICY = load_policy()
USD = 1_000_000_000
NOW = 1_764_000_000.0  # Monday 2025-11-24 16:00 UTC, week 2025-W48
WEEK = week_containing(NOW, "UTC")


def _spend(known_usd: float, unknown: int = 0, priced: int = 1) -> Spend:
    return Spend(known_nanousd=int(known_usd * USD), unknown_runs=unknown, runs=priced + unknown)


# --- budget rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spent", "budget", "reached"),
    [
        (49.99, 50, False),
        (50, 50, True),
        (50.01, 50, True),
        (0, 0, True),
        (1_000, None, False),
    ],
)
def test_budget_is_reached_at_or_over_and_never_without_one(
    spent: float, budget: int | None, reached: bool
) -> None:
    assert budget_reached(_spend(spent), None if budget is None else budget * USD) is reached


def test_the_warning_is_due_from_exactly_80_percent() -> None:
    budget = 50 * USD
    assert not warning_due(Spend(40 * USD - 1, 0, 1), budget)
    assert warning_due(Spend(40 * USD, 0, 1), budget)
    assert warning_due(Spend(70 * USD, 0, 1), budget)
    assert not warning_due(Spend(10 * USD, 0, 1), None)
    assert not warning_due(Spend(0, 0, 0), 0)  # a $0 budget stops runs; there is nothing to warn about


def test_the_exceeded_message_names_spend_budget_week_and_who_can_raise_it() -> None:
    text = exceeded_message(_spend(52.5), 50 * USD, WEEK, who_can_change({"UBOSS"}))
    assert "spent $52.50 of its $50.00 weekly budget (2025-W48)" in text
    assert "Workspace admins, owners and <@UBOSS> from ROUTEBOT_ADMINS can raise" in text
    assert "unknown" not in text


def test_unknown_price_runs_are_named_and_never_counted_as_zero() -> None:
    text = exceeded_message(_spend(50, unknown=2), 50 * USD, WEEK, who_can_change(()))
    assert "plus 2 runs at an unknown price (not counted" in text
    only_unknown = spend_line(Spend(0, 3, 3), 50 * USD)
    assert only_unknown.startswith("unknown: 3 runs") and "$0.00" not in only_unknown
    assert spend_line(Spend(12 * USD, 1, 2), 50 * USD) == (
        "$12.00 of $50.00 (24%), plus 1 run at an unknown price (not counted: the policy has no price)"
    )
    assert spend_line(Spend(0, 0, 0), None) == "$0.00 (no budget)"


def test_who_can_change_names_routebot_admins_only_when_there_are_some() -> None:
    assert who_can_change(()) == "workspace admins and owners"
    assert who_can_change({"U2", "U1"}) == "workspace admins, owners and <@U1>, <@U2> from ROUTEBOT_ADMINS"


# --- the settings form ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "nanousd"),
    [
        ("50", 50 * USD),
        ("$1,200.50", 1_200_500_000_000),
        (" 0 ", 0),
        ("", None),
        (None, None),
        (".5", USD // 2),
    ],
)
def test_budgets_people_type(text: str | None, nanousd: int | None) -> None:
    assert parse_budget(text) == nanousd
    assert parse_budget(budget_input(nanousd)) == nanousd  # what the form shows reads back unchanged


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("-5", "can't be negative"),
        ("fifty", "number of US dollars"),
        ("1e3", "number of US dollars"),
        ("NaN", "number of US dollars"),
        ("99999999999", "larger than routebot accepts"),
    ],
)
def test_bad_budgets_are_refused_with_a_reason(text: str, words: str) -> None:
    with pytest.raises(UsageError) as refused:
        parse_budget(text)
    assert words in refused.value.message


def test_the_form_needs_a_provider_and_a_valid_budget() -> None:
    current = default_settings("C1", POLICY)
    result = validate_form(current, {"providers": [], "budget": "-1", "approval_lanes": ["max"]}, POLICY)
    assert result.settings is None
    assert result.errors == {
        "providers": "Choose at least one provider.",
        "budget": "The budget can't be negative. Leave it empty for no budget.",
    }
    crafted = validate_form(
        current, {"providers": ["anthropic", "mistral"], "approval_lanes": ["ultra"]}, POLICY
    )
    assert set(crafted.errors) == {"providers", "approval_lanes"}


def test_a_valid_form_is_canonical_and_missing_fields_keep_their_value() -> None:
    current = ChannelSettings("C1", ("anthropic", "openai"), 7 * USD, ("max",))
    result = validate_form(current, {"providers": ["openai"], "approval_lanes": ["max", "premium"]}, POLICY)
    assert result.errors == {}
    assert result.settings == ChannelSettings("C1", ("openai",), 7 * USD, ("premium", "max"))
    assert validate_form(current, {"budget": None}, POLICY).settings == ChannelSettings(
        "C1", ("anthropic", "openai"), None, ("max",)
    )


def test_defaults_are_both_providers_no_budget_and_approval_for_max() -> None:
    assert default_settings("C9", POLICY) == ChannelSettings("C9", ("anthropic", "openai"), None, ("max",))


# --- storage and gates ----------------------------------------------------------------------------------


@pytest.fixture
def database(tmp_path: Path) -> Database:
    return Database(str(tmp_path / "r.db"))


def _run(store: RunStore, channel: str, cost: int | None, lane: str = "cheap", now: float = NOW) -> int:
    request, _ = store.create_request(
        channel_id=channel, user_id="U1", task="t", lane=lane, provider="anthropic", confidence=0.5, now=now
    )
    new = NewRun(request.id, channel, "U1", "anthropic", "claude-haiku-4-5", None, lane, 0)
    run = store.claim_run(new, now)
    assert run is not None
    store.start_run(run.id, now)
    store.finish_run(run.id, now=now, answer="a", tokens=TokenCounts(1, 1), cost_nanousd=cost)
    return request.id


def test_saving_records_each_changed_field_with_old_and_new_values(database: Database) -> None:
    store = ChannelSettingsStore(database)
    new = ChannelSettings("C1", ("anthropic",), 50 * USD, ("max",))
    changes = store.save(new, default_settings("C1", POLICY), "UADMIN", NOW)
    assert [(c.field, c.old, c.new, c.user_id, c.at) for c in changes] == [
        ("providers", "anthropic,openai", "anthropic", "UADMIN", NOW),
        ("budget_nanousd", None, str(50 * USD), "UADMIN", NOW),
    ]
    assert store.get("C1") == ChannelSettings(
        "C1", ("anthropic",), 50 * USD, ("max",), NOW, "UADMIN", version=1
    )
    assert (
        store.save(new, default_settings("C1", POLICY), "UOTHER", NOW + 1) == []
    )  # no change: nothing written
    store.save(
        ChannelSettings("C1", ("anthropic",), None, ()), default_settings("C1", POLICY), "UOTHER", NOW + 2
    )
    assert [(c.field, c.old, c.new) for c in store.changes("C1")][2:] == [
        ("budget_nanousd", str(50 * USD), None),
        ("approval_lanes", "max", ""),
    ]


def test_the_budget_warning_is_marked_once_per_channel_and_week(database: Database) -> None:
    store = ChannelSettingsStore(database)
    assert store.claim_budget_warning("C1", "2025-W48", NOW, lease=900)
    assert not store.claim_budget_warning("C1", "2025-W48", NOW, lease=900)  # being posted
    store.release_budget_warning("C1", "2025-W48")  # the post failed: free to try again
    assert store.claim_budget_warning("C1", "2025-W48", NOW + 1, lease=900)
    store.budget_warning_sent("C1", "2025-W48", NOW + 2)
    store.release_budget_warning("C1", "2025-W48")  # a sent warning is never released
    assert not store.claim_budget_warning("C1", "2025-W48", NOW + 10_000, lease=900)
    assert store.claim_budget_warning("C1", "2025-W49", NOW, lease=900)
    assert store.claim_budget_warning("C2", "2025-W48", NOW, lease=900)
    assert not store.claim_budget_warning("C2", "2025-W48", NOW + 899, lease=900)
    assert store.claim_budget_warning("C2", "2025-W48", NOW + 901, lease=900)  # its poster died


def test_the_budget_gate_refuses_at_the_budget_and_lets_other_channels_run(database: Database) -> None:
    runs = RunStore(database)
    settings = {"C1": ChannelSettings("C1", ("anthropic",), 50 * USD, ())}
    gate = budget_gate(
        lambda c: settings.get(c, default_settings(c, POLICY)), database, lambda: NOW, "UTC", "admins"
    )
    service = RunService(runs, POLICY, {}, lambda: NOW, gates=[gate])
    _run(runs, "C1", 30 * USD)
    _run(runs, "C1", None)
    request = runs.request(_run(runs, "C1", 20 * USD))
    assert request is not None
    choice = POLICY.lane("cheap").models["anthropic"]
    with pytest.raises(BudgetExceeded) as refused:
        service.claim(RunPlan(request, "anthropic", "cheap", choice, 0, attempt=2), "U1")
    assert (refused.value.spent_nanousd, refused.value.budget_nanousd, refused.value.unknown_runs) == (
        50 * USD,
        50 * USD,
        1,
    )
    other = runs.request(_run(runs, "C2", 500 * USD))
    assert other is not None
    assert service.claim(RunPlan(other, "anthropic", "cheap", choice, 0, attempt=2), "U1") is not None


def test_approval_gate_stops_others_until_approved_and_rebuilds_the_plan(database: Database) -> None:
    runs, approvals = RunStore(database), ApprovalStore(database)
    gate = approval_gate(
        lambda c: default_settings(c, POLICY), lambda user: user == "UADMIN", approvals, POLICY
    )
    request = runs.request(_run(runs, "C1", USD, lane="premium"))
    assert request is not None
    plan = RunPlan(request, "openai", "max", POLICY.lane("max").models["openai"], 3)
    gate(plan, "UADMIN")  # approvers run at once
    gate(RunPlan(request, "openai", "premium", POLICY.lane("premium").models["openai"], 2), "U1")  # not gated
    with pytest.raises(ApprovalRequired) as asked:
        gate(plan, "U1")
    assert asked.value.plan is plan
    approval, new = approvals.ask(plan.as_new_run("U1"), NOW)
    assert new and approvals.ask(plan.as_new_run("U1"), NOW) == (approval, False)  # asked once
    assert approvals.decide(approval.id, "approved", "UADMIN", NOW) is not None
    assert approvals.decide(approval.id, "declined", "UADMIN", NOW) is None  # the first decision stands
    gate(plan, "U1")  # approved now
    assert plan_of(approvals.get(approval.id), runs) == plan  # type: ignore[arg-type]


def test_the_budget_warning_goes_out_once_a_week_and_again_after_a_failed_post(database: Database) -> None:
    runs, store = RunStore(database), ChannelSettingsStore(database)
    settings = ChannelSettings("C1", ("anthropic",), 10 * USD, ())
    posted: list[tuple[str, str]] = []
    answers = [False, True]  # Slack refuses the first warning, takes the second

    def post(channel: str, text: str) -> bool:
        posted.append((channel, text))
        return answers.pop(0) if answers else True

    warning = BudgetWarning(
        database, store, lambda c: settings, post, clock=lambda: NOW, tz="UTC", who="admins"
    )
    finished = runs.run(runs.runs_for_request(_run(runs, "C1", 7 * USD))[0].id)
    assert finished is not None
    warning.after_run(finished)
    assert posted == []  # 70%: nothing yet
    finished = runs.run(runs.runs_for_request(_run(runs, "C1", 1 * USD))[0].id)
    assert finished is not None
    warning.after_run(finished)  # 80%, but the post fails: not marked
    warning.after_run(finished)  # the next finished run tries again, and it goes out
    warning.after_run(finished)  # warned this week: no more
    assert len(posted) == 2 and all(c == "C1" and "$8.00 of its $10.00" in t for c, t in posted)
    assert not store.claim_budget_warning("C1", WEEK.label, NOW + 86_400, lease=900)  # sent: for good
