"""Runs in Slack: post progress in the request's thread, call the model on the run pool, post the outcome.

Model calls take seconds to minutes, so they never run on Bolt's listener threads: a click is acked, the run
is claimed in SQLite, and the call goes to a pool sized from ROUTEBOT_RUN_WORKERS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import run_messages
from commands.policy import Policy
from commands.runs import RunService
from storage.records import Run

log = logging.getLogger(__name__)


class RunDispatcher:
    def __init__(
        self,
        client: WebClient,
        runs: RunService,
        policy: Policy,
        pool: ThreadPoolExecutor,
        finished_hooks: Sequence[Callable[[Run], None]] = (),
    ) -> None:
        self.client, self.runs, self.policy, self.pool = client, runs, policy, pool
        self.finished_hooks = tuple(finished_hooks)  # called after a run's outcome is posted

    def start(self, run: Run) -> Future[Run | None]:
        """Post the progress message, then execute on the pool. Returns the future (tests wait on it)."""
        request = self.runs.store.request(run.request_id)
        if request is not None and request.card_ts:
            try:
                reply = self.client.chat_postMessage(
                    channel=request.card_channel,
                    thread_ts=request.card_ts,
                    **run_messages.progress(run, self.policy),
                )
                self.runs.store.set_progress_ts(run.id, reply["ts"])
            except SlackApiError as exc:
                log.warning("could not post progress for run %s: %s", run.id, exc.response.get("error"))
        return self.pool.submit(self._execute_and_post, run.id)

    def _execute_and_post(self, run_id: int) -> Run | None:
        try:
            run = self.runs.execute(run_id)
            self.post_outcome(run)
            for hook in self.finished_hooks:
                hook(run)
            return run
        except Exception:
            log.exception("posting the outcome of run %s failed", run_id)
            return None

    def post_outcome(self, run: Run) -> None:
        request = self.runs.store.request(run.request_id)
        if request is None or not request.card_ts:
            return
        channel, thread = request.card_channel, request.card_ts
        if run.progress_ts:
            self._safe(
                self.client.chat_update, channel=channel, ts=run.progress_ts, **run_messages.finished(run)
            )
        if run.status == "succeeded":
            ladder = self.runs.ladder_so_far(run.request_id)
            messages = run_messages.answer_messages(run, ladder, self.runs.steps_after(run), self.policy)
        else:
            messages = [run_messages.failure(run, self.policy)]
        for message in messages:  # in order: each part waits for the one before
            if not self._safe(self.client.chat_postMessage, channel=channel, thread_ts=thread, **message):
                break

    def _safe(self, method, **kwargs) -> bool:  # type: ignore[no-untyped-def]
        try:
            method(**kwargs)
            return True
        except SlackApiError as exc:
            log.warning("Slack %s failed: %s", getattr(method, "__name__", "call"), exc.response.get("error"))
            return False

    def recover_interrupted(self, now: float) -> list[Run]:
        """At startup: mark runs a dead process left in flight as interrupted and tell their threads."""
        interrupted = self.runs.store.interrupt_active(now)
        for run in interrupted:
            self.post_outcome(run)
        return interrupted
