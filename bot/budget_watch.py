"""After each finished run: warn the channel once a week when its spend reaches 80% of its weekly budget.

"Once" is SQLite's: the (channel, week) row in budget_warnings is inserted by exactly one finished run. If the
warning can't be posted the row is removed again, so the next finished run tries once more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.common import section
from commands.budget import warning_due, warning_message, week_spend
from storage.channel_settings import ChannelSettings, ChannelSettingsStore
from storage.db import Database
from storage.records import Run

log = logging.getLogger(__name__)


class BudgetWatch:
    def __init__(
        self,
        client: WebClient,
        database: Database,
        store: ChannelSettingsStore,
        settings_of: Callable[[str], ChannelSettings],
        clock: Callable[[], float],
        tz: str,
        who: str,
    ) -> None:
        self.client, self.database, self.store, self.settings_of = client, database, store, settings_of
        self.clock, self.tz, self.who = clock, tz, who

    def after_run(self, run: Run) -> None:
        if run.status != "succeeded":
            return  # failed runs cost nothing
        budget = self.settings_of(run.channel_id).budget_nanousd
        if budget is None:
            return
        now = self.clock()
        week, spend = week_spend(self.database, run.channel_id, now, self.tz)
        if not warning_due(spend, budget):
            return
        if not self.store.mark_budget_warned(run.channel_id, week.label, now):
            return  # warned already this week
        text = warning_message(spend, budget, week, self.who)
        try:
            self.client.chat_postMessage(channel=run.channel_id, text=text, blocks=[section(text)])
        except SlackApiError as exc:
            log.warning(
                "could not post the budget warning in %s: %s", run.channel_id, exc.response.get("error")
            )
            self.store.unmark_budget_warned(run.channel_id, week.label)
