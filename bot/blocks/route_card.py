"""The `/route` answer card, and the usage text."""

from __future__ import annotations

from bot.blocks.common import Block, actions, button, code, context, fields, section
from bot.mrkdwn import escape, mention, quote
from commands.policy import Policy
from commands.providers import api_key_variable
from commands.route_args import OPTIONS_HELP
from commands.router import Decision

USAGE = (
    "*routebot* recommends the cheapest model that will do a task well, runs it, and escalates on request.\n"
    "• `/route <task>`: recommend a lane and model, with buttons to run it here\n"
    f"• `/route [options] <task>`: options go first: `{OPTIONS_HELP}`\n"
    "• `/escalate [reason]`: re-run your latest request one rung up the ladder "
    "(reasons: wrong answer, too shallow, missed context, high stakes)\n"
    "• `/route help`: this message"
)

RUN = "run_"  # + provider id: the card's Run buttons


def usage_blocks(extra_lines: tuple[str, ...] = ()) -> list[Block]:
    return [section("\n".join((USAGE, *extra_lines)))]


def route_card(
    *,
    task: str,
    user_id: str,
    decision: Decision,
    policy: Policy,
    request_id: int | None,
    runnable: tuple[str, ...],
    unconfigured: tuple[str, ...],
    allowed: tuple[str, ...] | None = None,
    note: str | None = None,
    learned: bool = False,
) -> list[Block]:
    """The card. Run buttons appear for `runnable` providers when the card is in the channel (request_id)."""
    lane = decision.lane
    labels = policy.provider_labels
    model = decision.model
    other = [
        (p, c)
        for p, c in decision.models.items()
        if p != decision.provider and (allowed is None or p in allowed)
    ]
    blocks: list[Block] = [
        section(f"*Task* from {mention(user_id)}\n{quote(task)}"),
        fields(
            ("Lane", f"{lane.title} ({lane.cost_class})"),
            ("Model", f"{code(model.label)} · {labels.get(model.provider, model.provider)}"),
            (
                "Confidence",
                decision.confidence_label + (" (you chose the lane)" if decision.explicit else ""),
            ),
            *(("Other provider", f"{code(c.label)} · {labels.get(p, p)}") for p, c in other[:1]),
        ),
        section("*Why*\n" + "\n".join(f"• {escape(r)}" for r in decision.reasons[:5])),
        context(f"*Escalate when:* {escape(lane.escalate_when)}", f"*Avoid when:* {escape(lane.avoid_when)}"),
    ]
    if decision.alternatives:
        blocks.append(
            context(
                "*Alternatives:* " + "; ".join(f"{a.lane} ({escape(a.why)})" for a in decision.alternatives)
            )
        )
    if learned:
        # The evidence itself is the first reason above; this says where to see or undo it.
        blocks.append(
            context(
                "Learned from this channel's earlier requests: `/route settings` shows what, or turns it off."
            )
        )
    if request_id is not None:
        buttons = [
            button(
                f"Run on {c.label}",
                f"{RUN}{p}",
                {"request": request_id, "provider": p},
                style="primary" if p == decision.provider else None,
            )
            for p, c in sorted(decision.models.items(), key=lambda pc: pc[0] != decision.provider)
            if p in runnable
        ]
        if buttons:
            blocks.append(actions(f"run:{request_id}", *buttons))
    missing = [
        f"{labels.get(p, p)} is not configured: set `{api_key_variable(p)}` to run here."
        for p in unconfigured
        if p in decision.models
    ]
    if missing or note:
        blocks.append(context(*missing, note or ""))
    return blocks


def card_fallback_text(decision: Decision) -> str:
    return f"routebot: {decision.lane.title} lane, {decision.model.label}"
