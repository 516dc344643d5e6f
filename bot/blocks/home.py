"""The App Home tab: the user's channels, their routebot settings and this week's spend in each.

https://api.slack.com/surfaces/app-home — a Home view holds at most 100 blocks, so channels are capped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.blocks.common import Block, context, section
from bot.blocks.settings import budget_text, lanes_text, providers_text
from commands.budget import spend_line
from commands.policy import Policy
from commands.weeks import Week
from storage.channel_settings import ChannelSettings
from storage.spend import Spend

MAX_CHANNELS = 40  # two blocks each, under the 100-block limit with room for the header


@dataclass(frozen=True)
class ChannelSummary:
    settings: ChannelSettings
    spend: Spend


def home_view(
    summaries: list[ChannelSummary], *, policy: Policy, week: Week, default_provider: str, who: str
) -> dict[str, Any]:
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "routebot: your channels"}},
        context(
            f"This week is {week.label} (Monday to Monday). Spend counts finished runs; "
            "runs on a model the policy has no price for are listed as unknown, never as $0."
        ),
    ]
    if not summaries:
        blocks.append(section("You haven't used `/route` in a channel yet: try `/route <task>` in one."))
    for summary in summaries[:MAX_CHANNELS]:
        settings = summary.settings
        blocks.append(
            section(
                f"*<#{settings.channel_id}>*\n"
                f"*This week:* {spend_line(summary.spend, settings.budget_nanousd)}\n"
                f"*Providers:* {providers_text(settings.providers, policy, default_provider)} · "
                f"*Budget:* {budget_text(settings.budget_nanousd)} · "
                f"*Approval needed for:* {lanes_text(settings.approval_lanes, policy)}"
            )
        )
        blocks.append({"type": "divider"})
    if len(summaries) > MAX_CHANNELS:
        blocks.append(context(f"…and {len(summaries) - MAX_CHANNELS} more channels."))
    blocks.append(context(f"`/route settings` in a channel shows its settings; {who} can change them."))
    return {"type": "home", "blocks": blocks}
