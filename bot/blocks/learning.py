"""What routebot learned in a channel, in Block Kit: the settings modal's section and the channel notices."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import Block, actions, button, confirm_dialog, context, section
from bot.mrkdwn import escape, mention
from commands.calibration import MIN_ESCALATED, Learned
from commands.learning import kind_line
from commands.policy import Policy
from storage.learning import LearningState

BLOCK_PREFIX = "learning"  # every block of this section has a block_id starting with it
OFF_ACTION, ON_ACTION, RESET_ACTION = "learning_off", "learning_on", "learning_reset"


def learning_blocks(
    state: LearningState, kinds: list[Learned], policy: Policy, *, editable: bool
) -> list[Block]:
    """The settings modal's "Learning" section: what was learned, with counts, and (for admins) controls."""
    status = "on" if state.enabled else "*off*: every request starts where the router puts it"
    lines = [f"*Learning from escalations:* {status}"]
    lines += [f"• {escape(kind_line(kind, policy))}" for kind in kinds]
    if not kinds:
        lines.append(
            f"Nothing learned here yet. After {MIN_ESCALATED} similar requests are escalated from a lane, "
            "the next one starts a rung higher (never at max, never more than one rung from the router)."
        )
    blocks: list[Block] = [{**section("\n".join(lines)), "block_id": f"{BLOCK_PREFIX}_summary"}]
    if editable:
        toggle = (
            button("Turn learning off", OFF_ACTION, {"learning": "off"})
            if state.enabled
            else button("Turn learning on", ON_ACTION, {"learning": "on"}, style="primary")
        )
        reset = button(
            "Reset what was learned",
            RESET_ACTION,
            {"learning": "reset"},
            style="danger",
            confirm=confirm_dialog(
                "Reset learning?",
                "routebot forgets every escalation in this channel so far; requests start where the "
                "router puts them until new evidence builds up. The reset is recorded.",
                "Reset",
            ),
        )
        blocks.append(actions(f"{BLOCK_PREFIX}_controls", toggle, reset))
    if state.reset_at is not None:
        when = f"<!date^{int(state.reset_at)}^{{date_short}} at {{time}}|recently>"
        blocks.append({**context(f"Last reset {when}."), "block_id": f"{BLOCK_PREFIX}_reset"})
    return blocks


def replace_learning_blocks(view: dict[str, Any], blocks: list[Block]) -> dict[str, Any]:
    """The open settings modal with its learning section swapped for `blocks`, fit for views.update."""
    keep = ("type", "callback_id", "private_metadata", "title", "close", "submit")
    old = view.get("blocks") or []
    at = next((i for i, b in enumerate(old) if str(b.get("block_id", "")).startswith(BLOCK_PREFIX)), len(old))
    rest = [b for b in old if not str(b.get("block_id", "")).startswith(BLOCK_PREFIX)]
    return {**{k: view[k] for k in keep if k in view}, "blocks": [*rest[:at], *blocks, *rest[at:]]}


def learning_notice(
    user_id: str, *, enabled: bool | None = None, forgotten: int | None = None
) -> dict[str, Any]:
    """The channel message announcing a learning change (who, and what)."""
    if forgotten is not None:
        what = f"reset what routebot learned in this channel ({forgotten} requests forgotten)"
    else:
        what = "turned learning " + ("on" if enabled else "off") + " for this channel"
    return {
        "text": f"routebot learning changed by {mention(user_id)}",
        "blocks": [section(f":gear: {mention(user_id)} {what}.")],
    }
