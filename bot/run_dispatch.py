"""Runs in Slack: post progress in the request's thread, call the model on the run pool, deliver the outcome.

Model calls take seconds to minutes, so they never run on Bolt's listener threads: a click is acked, the run
is claimed in SQLite (leased to this process), and the rest goes to a pool sized from ROUTEBOT_RUN_WORKERS.
Each outcome's delivery is recorded on its run (bot/delivery.py says how it gets there), and the progress
message shows the tick only once the answer is in the thread.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import run_messages
from bot.delivery import ChannelPacer, ThreadDelivery
from bot.run_lease import LeaseKeeper
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
        *,
        post_interval: float = 1.0,
    ) -> None:
        self.client, self.runs, self.policy, self.pool = client, runs, policy, pool
        self.delivery = ThreadDelivery(client, ChannelPacer(post_interval))
        self.finished_hooks = tuple(finished_hooks)  # called after a run's outcome is posted
        self.leases = LeaseKeeper(runs.store, runs.clock, self._sweep)

    def start(self, run: Run) -> Future[Run | None]:
        """Execute on the pool: progress message, model call, outcome. Returns the future (tests wait)."""
        self.leases.start()
        return self.pool.submit(self._execute_and_post, run.id)

    def close(self) -> None:
        self.leases.stop()

    def _execute_and_post(self, run_id: int) -> Run | None:
        try:
            self._post_progress(run_id)
            run = self.runs.execute(run_id)
            if run is None:  # another claim or process has it: that one posts the outcome
                return None
            delivered = self.post_outcome(run)
            for hook in self.finished_hooks:
                hook(delivered)
            return delivered
        except Exception:
            log.exception("running or posting run %s failed", run_id)
            return None

    def _post_progress(self, run_id: int) -> None:
        run = self.runs.store.run(run_id)
        request = self.runs.store.request(run.request_id) if run else None
        if run is None or request is None or not request.card_ts or not request.card_channel:
            return
        try:
            reply = self.delivery.post(
                request.card_channel, thread_ts=request.card_ts, **run_messages.progress(run, self.policy)
            )
            self.runs.store.set_progress_ts(run.id, reply["ts"])
        except SlackApiError as exc:
            log.warning("could not post progress for run %s: %s", run.id, exc.response.get("error"))

    def post_outcome(self, run: Run) -> Run:
        """Deliver the answer (or the failure) and record how it went; returns the run as stored after."""
        store = self.runs.store
        request = store.request(run.request_id)
        if request is None or not request.card_ts or not request.card_channel:
            store.record_delivery(run.id, "failed", "the request has no card to answer under")
            return store.run(run.id) or run
        if run.status == "succeeded":
            ladder = self.runs.ladder_so_far(run.request_id)
            messages = run_messages.answer_messages(run, ladder, self.runs.steps_after(run), self.policy)
        else:
            messages = [run_messages.failure(run, self.policy)]
        delivery = self.delivery.deliver(
            channel=request.card_channel,
            thread_ts=request.card_ts,
            user_id=run.user_id,
            messages=messages,
            plain_text=run_messages.plain_text(run, self.policy),
        )
        store.record_delivery(run.id, delivery.state, delivery.error)
        if delivery.state == "failed":
            log.warning("the outcome of run %s could not be posted: %s", run.id, delivery.error)
        if run.progress_ts:
            try:
                self.client.chat_update(
                    channel=request.card_channel,
                    ts=run.progress_ts,
                    **run_messages.finished(run, delivery.state, delivery.error),
                )
            except SlackApiError as exc:
                log.warning("could not update progress of run %s: %s", run.id, exc.response.get("error"))
        return store.run(run.id) or run

    def recover(self, now: float) -> tuple[list[Run], list[Run]]:
        """Take over what processes whose leases expired left: interrupt their runs in flight and tell
        the threads, and post the outcomes they stored but never delivered. Returns (interrupted, posted)."""
        interrupted = self.runs.store.interrupt_expired(now)
        undelivered = self.runs.store.take_undelivered(now)
        for run in interrupted + undelivered:
            self.post_outcome(run)
        return interrupted, undelivered

    def _sweep(self, now: float) -> None:
        """The heartbeat's sweep, on the pool so a slow Slack never delays the next lease renewal."""
        with contextlib.suppress(RuntimeError):  # the pool is shutting down: the next process sweeps
            self.pool.submit(self.recover, now)
