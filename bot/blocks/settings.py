"""Channel settings in Block Kit: the `/route settings` modal (editable or read-only) and the change notice.

https://api.slack.com/reference/block-kit/blocks#input — input blocks are what `view.state.values` returns on
submit, keyed by block_id then action_id, which is why every input here has action_id "value".
"""

from __future__ import annotations

import json
from typing import Any

from bot.blocks.common import Block, context, fields, section
from bot.mrkdwn import mention
from commands.approvers import sentence_case
from commands.channel_settings import (
    APPROVAL_FIELD,
    BUDGET_FIELD,
    PROVIDERS_FIELD,
    THREAD_CONTEXT_FIELD,
    THREAD_CONTEXT_ON,
    budget_input,
)
from commands.policy import Policy
from commands.pricing import usd
from storage.channel_settings import ChannelSettings, SettingChange

CALLBACK_ID = "channel_settings"
ACTION = "value"  # the action_id of every input in the modal
View = dict[str, Any]


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text[:75]), "value": value}


def providers_text(providers: tuple[str, ...], policy: Policy, default_provider: str) -> str:
    """ "Anthropic only", or both with the one cards recommend first (ROUTEBOT_PROVIDER when allowed)."""
    labels = policy.provider_labels
    if not providers:
        return "none"
    preferred = default_provider if default_provider in providers else providers[0]
    if len(providers) == 1:
        return f"{labels.get(providers[0], providers[0])} only"
    names = " and ".join(labels.get(p, p) for p in providers)
    return f"{names} (recommends {labels.get(preferred, preferred)} first)"


def thread_context_text(on: bool) -> str:
    return "the thread is sent with a mention" if on else "off: only the thread's first message is sent"


def budget_text(budget_nanousd: int | None) -> str:
    return "no budget" if budget_nanousd is None else f"{usd(budget_nanousd)} a week"


def lanes_text(lanes: tuple[str, ...], policy: Policy) -> str:
    return ", ".join(policy.lane(lane).title for lane in lanes) if lanes else "no lane"


def settings_summary(settings: ChannelSettings, policy: Policy, default_provider: str) -> Block:
    return fields(
        ("Providers", providers_text(settings.providers, policy, default_provider)),
        ("Weekly budget", budget_text(settings.budget_nanousd)),
        ("Approval needed for", lanes_text(settings.approval_lanes, policy)),
        ("Thread context", thread_context_text(settings.thread_context)),
    )


def settings_modal(
    settings: ChannelSettings,
    *,
    policy: Policy,
    default_provider: str,
    editable: bool,
    who: str,
    spend: str,
    learning: list[Block] | None = None,
) -> View:
    """The modal `/route settings` opens. `spend` is this week's spend line; `who` names the approvers."""
    channel = settings.channel_id
    changed = "Never changed: the defaults."
    if settings.updated_by and settings.updated_at:
        when = f"<!date^{int(settings.updated_at)}^{{date_short}} at {{time}}|recently>"
        changed = f"Last changed by {mention(settings.updated_by)} {when}."
    head = [section(f"routebot settings for <#{channel}>"), context(f"*This week:* {spend}", changed)]
    view: View = {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        # The version it was opened at: a save made from an older one is refused (storage/channel_settings).
        "private_metadata": json.dumps({"channel": channel, "version": settings.version}),
        "title": _plain("Channel settings"),
        "close": _plain("Cancel" if editable else "Close"),
    }
    if not editable:
        view["blocks"] = [
            *head,
            settings_summary(settings, policy, default_provider),
            *(learning or []),
            context(f"Only {who} can change these settings."),
        ]
        return view
    labels = policy.provider_labels
    provider_options = [_option(labels.get(p, p), p) for p in policy.providers]
    lane_options = [_option(f"{policy.lane(lane).title} ({lane})", lane) for lane in policy.lane_ids]
    view["submit"] = _plain("Save")
    view["blocks"] = [
        *head,
        _checkboxes(
            PROVIDERS_FIELD,
            "Providers",
            provider_options,
            settings.providers,
            f"Run buttons appear only for these. With both, cards recommend "
            f"{labels.get(default_provider, default_provider)} first (ROUTEBOT_PROVIDER).",
        ),
        _budget_input(settings.budget_nanousd),
        _checkboxes(
            APPROVAL_FIELD,
            "Lanes that need approval",
            lane_options,
            settings.approval_lanes,
            "Runs on these lanes wait for a workspace admin, owner or ROUTEBOT_ADMINS member to "
            "approve them, unless one of those asked.",
        ),
        _checkboxes(
            THREAD_CONTEXT_FIELD,
            "Thread context",
            [
                _option(
                    "Send the thread to the model when someone mentions @routebot in it", THREAD_CONTEXT_ON
                )
            ],
            (THREAD_CONTEXT_ON,) if settings.thread_context else (),
            "Off (for sensitive channels): a mention sends only the instruction and the thread's first "
            "message, and the card says so.",
        ),
        *(learning or []),
        context(
            f"{sentence_case(who)} can change these settings. Every change is recorded and announced "
            "in the channel."
        ),
    ]
    return view


def _checkboxes(
    block_id: str, label: str, options: list[dict[str, Any]], chosen: tuple[str, ...], hint: str
) -> Block:
    element: dict[str, Any] = {"type": "checkboxes", "action_id": ACTION, "options": options}
    initial = [o for o in options if o["value"] in chosen]
    if initial:  # Slack rejects an empty initial_options
        element["initial_options"] = initial
    # optional, so an empty choice reaches our validation and its message instead of Slack's generic one
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": _plain(label),
        "element": element,
        "hint": _plain(hint[:2000]),
    }


def _budget_input(budget_nanousd: int | None) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ACTION,
        "placeholder": _plain("No budget"),
    }
    if budget_nanousd is not None:
        element["initial_value"] = budget_input(budget_nanousd)
    return {
        "type": "input",
        "block_id": BUDGET_FIELD,
        "optional": True,
        "label": _plain("Weekly budget (USD)"),
        "element": element,
        "hint": _plain(
            "Empty for no budget. When the week's spend reaches it, no new run starts; "
            "the channel is warned once at 80%."
        ),
    }


def change_notice(changes: list[SettingChange], policy: Policy, default_provider: str) -> dict[str, Any]:
    """The channel message announcing who changed what."""
    user = changes[0].user_id
    lines = [
        f"• *{_FIELD_NAMES[c.field]}:* {_value_text(c.field, c.old, policy, default_provider)} → "
        f"{_value_text(c.field, c.new, policy, default_provider)}"
        for c in changes
    ]
    text = f":gear: {mention(user)} changed routebot's settings for this channel:\n" + "\n".join(lines)
    return {"text": f"routebot settings changed by {mention(user)}", "blocks": [section(text)]}


_FIELD_NAMES = {
    "providers": "Providers",
    "budget_nanousd": "Weekly budget",
    "approval_lanes": "Approval needed for",
    "thread_context": "Thread context",
}


def _value_text(field: str, value: str | None, policy: Policy, default_provider: str) -> str:
    if field == "budget_nanousd":
        return budget_text(int(value) if value is not None else None)
    if field == "thread_context":
        return thread_context_text(value != "off")
    parts = tuple(p for p in (value or "").split(",") if p)
    if field == "providers":
        return providers_text(parts, policy, default_provider)
    return lanes_text(parts, policy)
