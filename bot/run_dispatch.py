"""Runs in Slack: post progress in the request's thread, call the model on the run pool, deliver the outcome.

Model calls take seconds to minutes, so they never run on Bolt's listener threads: a click is acked, the run
is claimed in SQLite (leased to this process), and the rest goes to a pool sized from ROUTEBOT_RUN_WORKERS.
Each outcome's delivery is recorded on its run (bot/delivery.py says how it gets there), and the progress
message shows the tick only once the answer is in the thread.

With ROUTEBOT_STREAM_ANSWERS on, the answer streams into the thread as the model writes it (answer_stream);
the thread shows "thinking on <model>" until the first text. Streaming is a presentation, delivery the
guarantee: where Slack refuses the stream, the answer is delivered as messages; where the stream expires,
its message is completed with chat.update and the rest delivered after it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answer_stream import AnswerStream
from bot.blocks import run_messages
from bot.blocks.common import Block, section
from bot.button_seal import ButtonSeal
from bot.delivery import ChannelPacer, Delivery, ThreadDelivery
from bot.run_lease import LeaseKeeper
from commands.policy import Policy
from commands.runs import RunService
from storage.records import Request, Run

log = logging.getLogger(__name__)


class RunDispatcher:
    def __init__(
        self,
        client: WebClient,
        runs: RunService,
        policy: Policy,
        pool: ThreadPoolExecutor,
        seal: ButtonSeal,
        finished_hooks: Sequence[Callable[[Run], None]] = (),
        *,
        post_interval: float = 1.0,
        stream_answers: bool = False,
    ) -> None:
        self.client, self.runs, self.policy, self.pool = client, runs, policy, pool
        self.stream_answers = stream_answers
        self.seal = seal
        # Every message the delivery posts (answer, failure, fallbacks, DM) has its buttons sealed there.
        self.delivery = ThreadDelivery(client, ChannelPacer(post_interval), seal)
        self.finished_hooks = tuple(finished_hooks)  # called after a run's outcome is posted
        self.leases = LeaseKeeper(runs.store, runs.clock, self._sweep)

    def start(self, run: Run) -> Future[Run | None]:
        """Execute on the pool: progress message, model call, outcome. Returns the future (tests wait)."""
        self.leases.start()
        return self.pool.submit(self._execute_and_post, run.id)

    def close(self) -> None:
        self.leases.stop()

    def _execute_and_post(self, run_id: int) -> Run | None:
        stream: AnswerStream | None = None
        try:
            self._post_progress(run_id)
            stream = self._open_stream(run_id)
            run = self.runs.execute(run_id, on_text=stream.feed if stream is not None else None)
            if run is None:  # another claim or process has it: that one posts the outcome
                if stream is not None:
                    stream.abandon()
                return None
            delivered = self.post_outcome(run, stream)
            for hook in self.finished_hooks:
                hook(delivered)
            return delivered
        except Exception:
            log.exception("running or posting run %s failed", run_id)
            if stream is not None:
                stream.abandon()  # its writer thread ends; a second abandon after finish is harmless
            return None

    def _post_progress(self, run_id: int) -> None:
        run = self.runs.store.run(run_id)
        request = self.runs.store.request(run.request_id) if run else None
        if run is None or request is None or not request.card_ts or not request.card_channel:
            return
        try:
            reply = self.delivery.post(
                request.card_channel,
                thread_ts=request.answer_thread,
                **run_messages.progress(run, self.policy),
            )
            self.runs.store.set_progress_ts(run.id, reply["ts"])
        except SlackApiError as exc:
            log.warning("could not post progress for run %s: %s", run.id, exc.response.get("error"))

    def post_outcome(self, run: Run, stream: AnswerStream | None = None) -> Run:
        """Deliver the answer (or the failure) and record how it went; returns the run as stored after."""
        store = self.runs.store
        request = store.request(run.request_id)
        if request is None or not request.card_ts or not request.card_channel:
            if stream is not None:
                stream.abandon()
            store.record_delivery(run.id, "failed", "the request has no card to answer under")
            return store.run(run.id) or run
        thread = request.answer_thread or request.card_ts
        if run.status == "succeeded":
            ladder = self.runs.ladder_so_far(run.request_id)
            steps = self.runs.steps_after(run)
            messages = run_messages.answer_messages(run, ladder, steps, self.policy)
            footer: list[Block] = run_messages.answer_footer(run, ladder, steps, self.policy)
            if run.refused:  # under the streamed explanation: the refusal without repeating it
                footer = run_messages.refusal(
                    dataclasses.replace(run, answer=None), ladder, steps, self.policy
                )["blocks"]
        else:
            failure = run_messages.failure(run, self.policy)
            messages = [*run_messages.partial_messages(run), failure]
            footer = failure["blocks"]
        delivery: Delivery | None = None
        if stream is not None:
            delivery, messages = self._finish_stream(stream, run, request, messages, footer)
        if delivery is None:
            delivery = self.delivery.deliver(
                channel=request.card_channel,
                thread_ts=thread,
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

    # --- streaming ------------------------------------------------------------------------------------
    def _finish_stream(
        self,
        stream: AnswerStream,
        run: Run,
        request: Request,
        messages: list[run_messages.Message],
        footer: list[Block],
    ) -> tuple[Delivery | None, list[run_messages.Message]]:
        """Finish the stream; returns the delivery when it is complete, else the messages still to post."""
        # A refusal that streamed no text (OpenAI's come as a refusal part) is posted as the refusal message.
        answered = stream.text or (run.status == "succeeded" and not run.refused)
        outcome = stream.finish(self.seal.blocks(footer)) if answered else stream.abandon()
        if outcome == "streamed":
            return Delivery("delivered"), []
        if outcome == "expired" and stream.ts is not None:
            if run.status != "succeeded":
                return None, messages[-1:]  # what arrived stays in the stream's message; then the failure
            # Slack ended the stream: its message shows part of the text, so it becomes the first part.
            try:
                self.client.chat_update(
                    channel=request.card_channel or request.channel_id,
                    ts=stream.ts,
                    **self.seal.message(messages[0]),
                )
            except SlackApiError as exc:
                log.info(
                    "completing the expired stream of run %s failed: %s", run.id, exc.response.get("error")
                )
                return None, messages
            return (Delivery("delivered"), []) if len(messages) == 1 else (None, messages[1:])
        return None, messages

    def _open_stream(self, run_id: int) -> AnswerStream | None:
        """Show "thinking" in the thread and open the answer's stream, when answers stream."""
        run = self.runs.store.run(run_id)
        request = self.runs.store.request(run.request_id) if run is not None else None
        if not self.stream_answers or run is None or request is None or not request.card_ts:
            return None
        channel, thread = request.card_channel or request.channel_id, request.answer_thread or ""
        run = self.runs.store.run(run_id) or run  # with its progress message's ts
        label = run_messages.choice_of(run).label
        status_shown = self._safe(
            self.client.assistant_threads_setStatus,
            channel_id=channel,
            thread_ts=thread,
            status=f"is thinking on {label}…",
        )
        progress_ts = run.progress_ts
        if not status_shown and progress_ts:
            # assistant.threads.setStatus is refused here (older workspaces want assistant:write and an
            # assistant thread): the progress message says it instead.
            self._progress(channel, progress_ts, f":thought_balloon: Thinking on `{label}`…")

        def first_text() -> None:
            if status_shown:
                self._safe(
                    self.client.assistant_threads_setStatus, channel_id=channel, thread_ts=thread, status=""
                )
            elif progress_ts:
                self._progress(channel, progress_ts, f":writing_hand: Answering on `{label}`…")

        return AnswerStream(
            self.client,
            channel=channel,
            thread_ts=thread,
            recipient_user_id=run.user_id,
            recipient_team_id=self._team_of(request),
            on_first_text=first_text,
        )

    def _progress(self, channel: str, ts: str, text: str) -> None:
        self._safe(self.client.chat_update, channel=channel, ts=ts, text=text, blocks=[section(text)])

    def _team_of(self, request: Request) -> str | None:
        """chat.startStream wants the recipient's team in channels; auth.test's when the request has none."""
        if request.team_id:
            return request.team_id
        try:
            return str(self.client.auth_test().get("team_id") or "") or None
        except SlackApiError:
            return None

    def _safe(self, method: Any, **kwargs: Any) -> bool:
        try:
            method(**kwargs)
            return True
        except SlackApiError as exc:
            log.warning("Slack %s failed: %s", getattr(method, "__name__", "call"), exc.response.get("error"))
            return False

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
