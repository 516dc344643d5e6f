"""A channel's routebot settings: the defaults, how they apply, and what the settings form may contain.

The listener reads the form out of Slack's payload and hands the raw values in here; who may change the
settings is commands/approvers.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from commands.errors import UsageError
from commands.policy import Policy
from commands.pricing import NANO_PER_USD
from storage.channel_settings import ChannelSettings, ChannelSettingsStore

MAX_BUDGET_USD = Decimal(1_000_000_000)  # far beyond any real budget, and inside SQLite's 64-bit integers
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{1,30}$")
# Digits, with commas only between groups of three ("1,200.50"): "50,5" is a decimal comma, not $505.
_MONEY = re.compile(r"^\$?\s*((?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)$")

# The settings form's fields, by the block ids the modal uses (bot/blocks/settings.py).
PROVIDERS_FIELD, BUDGET_FIELD, APPROVAL_FIELD = "providers", "budget", "approval_lanes"
THREAD_CONTEXT_FIELD, THREAD_CONTEXT_ON = "thread_context", "on"


def default_settings(channel_id: str, policy: Policy) -> ChannelSettings:
    """What a channel nobody has configured gets: every provider, no budget, approval for the last resort."""
    return ChannelSettings(channel_id, policy.providers, None, (policy.roles.last_resort,))


class Channels:
    """Each channel's settings as they apply: as saved, or the defaults for a channel nobody configured."""

    def __init__(self, store: ChannelSettingsStore, policy: Policy, default_provider: str) -> None:
        self.store, self.policy, self.default_provider = store, policy, default_provider

    def settings(self, channel_id: str) -> ChannelSettings:
        stored = self.store.get(channel_id)
        return stored if stored is not None else self.defaults(channel_id)

    def defaults(self, channel_id: str) -> ChannelSettings:
        return default_settings(channel_id, self.policy)

    def allowed_providers(self, channel_id: str) -> tuple[str, ...]:
        """Providers whose Run and Escalate buttons this channel offers, and which it runs on."""
        return self.settings(channel_id).providers

    def preferred_provider(self, channel_id: str) -> str:
        """ROUTEBOT_PROVIDER when the channel allows it, else the first provider it allows."""
        return self.preferred_among(self.allowed_providers(channel_id))

    def preferred_among(self, allowed: tuple[str, ...]) -> str:
        """preferred_provider for settings already read: ROUTEBOT_PROVIDER if allowed, else the first."""
        return self.default_provider if self.default_provider in allowed else allowed[0]


def is_channel_id(text: str) -> bool:
    return bool(_CHANNEL_ID.fullmatch(text))  # match() would let `$` accept a trailing newline


def parse_budget(text: object) -> int | None:
    """A weekly budget typed by a person ("50", "$1,200.50"), in nano-dollars; empty means no budget.

    `text` is whatever the submitted form held: a crafted payload may put a number, a list or null there.
    """
    if text is not None and not isinstance(text, str):
        raise UsageError("Type the budget as a number of US dollars, like 50 or 1200.50, or leave it empty.")
    cleaned = (text or "").strip()
    if not cleaned:
        return None
    if cleaned.startswith("-"):
        raise UsageError("The budget can't be negative. Leave it empty for no budget.")
    match = _MONEY.match(cleaned)
    if not match and "," in cleaned:
        raise UsageError(
            "Commas may only separate thousands, as in 1,200.50; write cents with a dot, like 50.50."
        )
    if not match:
        raise UsageError("Type the budget as a number of US dollars, like 50 or 1200.50, or leave it empty.")
    try:
        dollars = Decimal(match.group(1).replace(",", ""))
    except InvalidOperation:
        raise UsageError("Type the budget as a number of US dollars, like 50 or 1200.50.") from None
    if dollars > MAX_BUDGET_USD:
        raise UsageError(f"That budget is larger than routebot accepts (${MAX_BUDGET_USD:,}).")
    return int((dollars * NANO_PER_USD).to_integral_value())


def budget_input(budget_nanousd: int | None) -> str:
    """The budget as the form shows it for editing ("50.00"); parse_budget reads it back unchanged."""
    if budget_nanousd is None:
        return ""
    dollars = Decimal(budget_nanousd) / NANO_PER_USD
    cents = dollars.quantize(Decimal("0.01"))
    return f"{cents}" if cents == dollars else f"{dollars.normalize():f}"


@dataclass(frozen=True)
class FormResult:
    settings: ChannelSettings | None  # None when there are errors
    errors: dict[str, str]  # field (block id) -> message for the modal


def validate_form(current: ChannelSettings, raw: Mapping[str, Any], policy: Policy) -> FormResult:
    """Check a submitted settings form. A field missing from `raw` keeps its current value.

    `raw` holds what the person chose: providers and approval lanes as lists of option values, the budget as
    the text typed (None when empty).
    """
    errors: dict[str, str] = {}
    known_providers, lane_ids = policy.providers, policy.lane_ids
    providers, lanes, budget = current.providers, current.approval_lanes, current.budget_nanousd
    thread_context = current.thread_context
    if THREAD_CONTEXT_FIELD in raw:  # one checkbox: ticked means on
        thread_context = THREAD_CONTEXT_ON in _choices(raw[THREAD_CONTEXT_FIELD])
    if PROVIDERS_FIELD in raw:
        chosen = _choices(raw[PROVIDERS_FIELD])
        unknown = [p for p in chosen if p not in known_providers]
        if unknown:
            errors[PROVIDERS_FIELD] = (
                f"Unknown provider {unknown[0]!r}; choose from {', '.join(known_providers)}."
            )
        elif not chosen:
            errors[PROVIDERS_FIELD] = "Choose at least one provider."
        providers = tuple(p for p in known_providers if p in chosen)  # canonical order
    if BUDGET_FIELD in raw:
        try:
            budget = parse_budget(raw[BUDGET_FIELD])
        except UsageError as exc:
            errors[BUDGET_FIELD] = exc.message
    if APPROVAL_FIELD in raw:
        chosen = _choices(raw[APPROVAL_FIELD])
        unknown = [lane for lane in chosen if lane not in lane_ids]
        if unknown:
            errors[APPROVAL_FIELD] = f"Unknown lane {unknown[0]!r}; lanes are {', '.join(lane_ids)}."
        lanes = tuple(lane for lane in lane_ids if lane in chosen)
    if errors:
        return FormResult(None, errors)
    updated = replace(
        current,
        providers=providers,
        budget_nanousd=budget,
        approval_lanes=lanes,
        thread_context=thread_context,
    )
    return FormResult(updated, {})


def _choices(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]
