"""Helpful / not helpful under each answer: one vote per person per run, changeable, told privately."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond

from bot.blocks.conversations import feedback_thanks
from bot.button_seal import ButtonSeal
from bot.click_place import click_place
from commands.clicks import require_clicked_on
from commands.errors import PermissionDenied
from storage.conversations import ConversationStore
from storage.runs import RunStore


class Feedback:
    def __init__(
        self, runs: RunStore, votes: ConversationStore, clock: Callable[[], float], seal: ButtonSeal
    ) -> None:
        self.runs, self.votes, self.clock, self.seal = runs, votes, clock, seal

    def on_feedback(self, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        value = self.seal.open(action)  # None: not a value the bot issued for this button
        try:
            if value is None:
                raise ValueError("unsealed")
            run_id, helpful = int(value["run"]), bool(int(value["helpful"]))
        except (ValueError, KeyError, TypeError):
            respond(text="That button is out of date.", response_type="ephemeral", replace_original=False)
            return
        run = self.runs.run(run_id)
        channel = (body.get("channel") or {}).get("id")
        if run is None or run.channel_id != channel:
            # A vote counts only where the answer was given (a crafted value names another channel's run).
            respond(
                text="That answer is not in this channel.", response_type="ephemeral", replace_original=False
            )
            return
        request = self.runs.request(run.request_id)
        try:
            if request is None:
                raise PermissionDenied("That answer is not in this channel.")
            # Like Run and Escalate: the vote counts only on the answer's own conversation thread.
            require_clicked_on(request, click_place(body))
        except PermissionDenied as exc:
            respond(text=exc.message, response_type="ephemeral", replace_original=False)
            return
        previous = self.votes.vote(run.id, body["user"]["id"], helpful, self.clock())
        respond(text=feedback_thanks(helpful, previous), response_type="ephemeral", replace_original=False)
