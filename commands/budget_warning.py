"""After each finished run: warn the channel once a week when its spend reaches 80% of its weekly budget.

"Once" is SQLite's: the (channel, week) row in budget_warnings is claimed by exactly one finished run, and is
recorded as sent only after the post went out. A rate limit is waited out by the WebClient's retry handler
(bot/slack_client.py); if the post still fails the claim is released, so the next finished run in the
channel tries again, and a claim left by a process that died mid-post lapses after CLAIM_LEASE seconds.
Posting is handed in (`post(channel_id, text)`, True when it went out), so this rule stays Slack-free.
"""

from __future__ import annotations

from collections.abc import Callable

from commands.budget import warning_due, warning_message, week_spend
from storage.channel_settings import ChannelSettings, ChannelSettingsStore
from storage.db import Database
from storage.records import Run

PostNotice = Callable[[str, str], bool]
CLAIM_LEASE = 15 * 60.0


class BudgetWarning:
    def __init__(
        self,
        database: Database,
        store: ChannelSettingsStore,
        settings_of: Callable[[str], ChannelSettings],
        post: PostNotice,
        *,
        clock: Callable[[], float],
        tz: str,
        who: str,
    ) -> None:
        self.database, self.store, self.settings_of, self.post = database, store, settings_of, post
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
        if not self.store.claim_budget_warning(run.channel_id, week.label, now, CLAIM_LEASE):
            return  # warned already this week, or being warned right now
        if self.post(run.channel_id, warning_message(spend, budget, week, self.who)):
            self.store.budget_warning_sent(run.channel_id, week.label, self.clock())
        else:
            self.store.release_budget_warning(run.channel_id, week.label)
