"""The policy file: the defaults match the guide, and a broken file names file, key and problem."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from commands.channel_settings import default_settings
from commands.context_windows import FALLBACK_WINDOW, context_window
from commands.errors import PolicyError
from commands.ladder import escalation_steps, next_step
from commands.policy import (
    DEFAULT_LANE_COLOR,
    DEFAULT_POLICY_PATH,
    LANE_IDS,
    PROVIDERS,
    LaneRoles,
    load_policy,
)

PUBLISHED = Path(__file__).parents[1] / "data" / "published_prices.toml"


def test_default_lanes_models_and_ladder_follow_the_guide() -> None:
    policy = load_policy()
    table = {lane: {p: c.label for p, c in policy.lane(lane).models.items()} for lane in policy.lanes}
    assert table == {
        "cheap": {"anthropic": "claude-haiku-4-5", "openai": "gpt-5.4 (low)"},
        "default": {"anthropic": "claude-sonnet-4-6", "openai": "gpt-5.4 (medium)"},
        "premium": {"anthropic": "claude-opus-4-6", "openai": "gpt-5.4 (high)"},
        "max": {"anthropic": "claude-opus-4-6", "openai": "gpt-5.4 (xhigh)"},
        "code": {"anthropic": "claude-sonnet-4-6", "openai": "gpt-5.3-codex"},
    }
    assert policy.ladder == ("cheap", "default", "premium", "max")
    assert policy.lane("code").rung == 1 and policy.lane("code").escalates_to == "premium"
    assert policy.lane("max").escalates_to is None


def test_default_policy_overrides_no_price_and_gives_every_lane_a_colour() -> None:
    policy = load_policy()
    assert policy.prices == {}  # the catalog prices the default models (tests/commands/test_catalog.py)
    colours = {lane.color for lane in policy.lanes.values()}
    assert len(colours) == len(policy.lanes) and DEFAULT_LANE_COLOR not in colours
    assert policy.lane("default").rgb == (0x3A, 0x86, 0xFF)


def test_price_overrides_are_exact_with_date_and_source(tmp_path: Path) -> None:
    path = tmp_path / "priced.toml"
    path.write_text(DEFAULT_POLICY_PATH.read_text() + PUBLISHED.read_text())
    prices = load_policy(path).prices
    haiku = prices["claude-haiku-4-5"]
    assert (haiku.input, haiku.output, haiku.cache_read, haiku.cache_write) == (
        Decimal("1.00"),
        Decimal("5.00"),
        Decimal("0.10"),
        Decimal("1.25"),
    )
    gpt = prices["gpt-5.4"]
    assert gpt.cache_write is None and gpt.long_context is not None
    assert gpt.long_context.above_input_tokens == 272_000 and gpt.long_context.output == Decimal("22.50")
    codex = prices["gpt-5.3-codex"]
    assert codex.cache_read == Decimal("0.175") and codex.secondary_source
    assert all(p.as_of and p.source for p in prices.values())


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        (
            'ladder = ["cheap", "default", "premium", "max"]',
            'ladder = ["cheap", "default", "turbo", "max"]',
            "escalation.ladder",
            "unknown lane 'turbo'",
        ),
        (
            'models.anthropic = { model = "claude-haiku-4-5" }\n'
            'models.openai = { model = "gpt-5.4", effort = "low" }',
            "",
            "lanes.cheap.models",
            "lane has no model",
        ),
        ("input = 3.00", "input = -3.00", 'prices."claude-sonnet-4-6".input', "price must be zero or more"),
        ('color = "#3A86FF"', 'color = "blue"', "lanes.default.color", 'written "#RRGGBB"'),
        ('effort = "low"', 'effort = "ludicrous"', "lanes.cheap.models.openai.effort", "unknown effort"),
        ("[lanes.code]", "[lanes.codez]", "lanes.codez", "unknown lane"),
        ('last_resort = "max"', 'last_resort = "turbo"', "roles.last_resort", "unknown lane 'turbo'"),
        ('code = "code"', 'codes = "code"', "roles.codes", "unknown role"),
    ],
)
def test_broken_policy_names_file_key_and_problem(
    tmp_path: Path, old: str, new: str, key: str, problem: str
) -> None:
    text = DEFAULT_POLICY_PATH.read_text() + PUBLISHED.read_text()
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.path == str(path)
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert str(path) in str(caught.value)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[lanes\n")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(path)
    with pytest.raises(PolicyError, match="file not found"):
        load_policy(tmp_path / "missing.toml")


def test_lane_roles_and_provider_ids_come_from_the_policy(tmp_path: Path) -> None:
    policy = load_policy()
    assert policy.roles == LaneRoles(cheapest="cheap", premium="premium", last_resort="max", code="code")
    assert policy.providers == PROVIDERS == ("anthropic", "openai")
    assert policy.lane_ids == LANE_IDS == ("cheap", "default", "premium", "max", "code")
    # stepping onto the last resort asks for confirmation, whichever lane the policy names for it
    steps = escalation_steps(policy, "premium", "openai", PROVIDERS)
    assert [(s.provider, s.lane, s.needs_confirmation) for s in steps] == [("openai", "max", True)]
    path = tmp_path / "roles.toml"
    path.write_text(DEFAULT_POLICY_PATH.read_text().replace('last_resort = "max"', 'last_resort = "premium"'))
    moved = load_policy(path)
    step = next_step(moved, "default", "anthropic")
    assert step is not None and (step.lane, step.needs_confirmation) == ("premium", True)
    assert default_settings("C1", moved).approval_lanes == ("premium",)


def test_a_copy_made_before_roles_existed_keeps_the_default_roles(tmp_path: Path) -> None:
    text = DEFAULT_POLICY_PATH.read_text()
    start, end = text.index("[roles]"), text.index("# The escalation ladder")
    path = tmp_path / "old.toml"
    path.write_text(text[:start] + text[end:])
    assert load_policy(path).roles == load_policy().roles


def test_context_windows_come_from_the_policy_over_the_table_in_code(tmp_path: Path) -> None:
    default = load_policy()
    assert default.context_windows == {}
    assert default.context_window("claude-haiku-4-5") == context_window("claude-haiku-4-5") == 200_000
    path = tmp_path / "windows.toml"
    path.write_text(
        DEFAULT_POLICY_PATH.read_text()
        + '\n[context_windows]\n"claude-haiku-4-5" = 50_000\n"gpt-5.4" = 400_000\n'
        + '"claude-opus-4-7" = 200000\n'
    )
    policy = load_policy(path)
    assert policy.context_window("claude-haiku-4-5") == 50_000
    assert policy.context_window("gpt-5.4") == 400_000
    assert policy.context_window("claude-opus-4-7") == 200_000  # a model no lane uses (yet) may be named
    assert policy.context_window("claude-sonnet-4-6") == 200_000  # not named: the table in code
    assert policy.context_window("a-model-nobody-knows") == FALLBACK_WINDOW


@pytest.mark.parametrize(
    ("entry", "key", "problem"),
    [
        (
            '"claude-haiku-4-5" = 0',
            'context_windows."claude-haiku-4-5"',
            "positive whole number of tokens, got 0",
        ),
        ('"claude-haiku-4-5" = -5', 'context_windows."claude-haiku-4-5"', "got -5"),
        ('"claude-haiku-4-5" = "200k"', 'context_windows."claude-haiku-4-5"', "got '200k'"),
        ('"claude-haiku-4-5" = 2.5e5', 'context_windows."claude-haiku-4-5"', "got 250000.0"),
        ('"claude-haiku-4-5" = true', 'context_windows."claude-haiku-4-5"', "got True"),
        ("gpt-5.4 = 400_000", 'context_windows."gpt-5"', 'quote a model name that has a dot, e.g. "gpt-5.4"'),
    ],
)
def test_a_bad_context_window_names_the_model_and_the_problem(
    tmp_path: Path, entry: str, key: str, problem: str
) -> None:
    path = tmp_path / "windows.toml"
    path.write_text(DEFAULT_POLICY_PATH.read_text() + f"\n[context_windows]\n{entry}\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert (caught.value.path, caught.value.key) == (str(path), key)
    assert problem in caught.value.problem


def test_context_windows_that_is_not_a_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "windows.toml"
    # a top-level key goes before the first table
    path.write_text("context_windows = 200000\n" + DEFAULT_POLICY_PATH.read_text())
    with pytest.raises(PolicyError, match=r"context_windows: must be a table"):
        load_policy(path)
