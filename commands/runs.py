"""Running a request on a model: planning which run a click asks for, claiming it once, executing it.

Slack-free on purpose: listeners in bot/ turn clicks into calls here and results into messages.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from commands.errors import (
    AtTopOfLadder,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderNotConfigured,
    UsageError,
)
from commands.ladder import Step, escalation_steps, next_step
from commands.policy import ModelChoice, Policy
from commands.pricing import price_of_run
from commands.providers import Provider, TextSink, api_key_variable
from commands.turns import (
    Conversation,
    ConversationTooLong,
    Exchange,
    Material,
    conversation,
    first_ask,
)
from storage.conversations import ConversationStore
from storage.records import ACTIVE, Request, Run
from storage.runs import NewRun, RunStore

log = logging.getLogger(__name__)

REASONS = {
    "wrong_answer": "Wrong answer",
    "too_shallow": "Too shallow",
    "missed_context": "Missed context",
    "high_stakes": "High stakes",
    "other": "Other",
}
_REASON_WORDS = {
    "wrong_answer": ("wrong", "incorrect", "error", "mistake", "false"),
    "too_shallow": ("shallow", "superficial", "vague", "generic", "thin", "depth", "deeper"),
    "missed_context": ("context", "missed", "ignored", "forgot", "overlooked"),
    "high_stakes": ("stakes", "important", "critical", "exec", "board", "legal", "risky"),
}


def normalize_reason(text: str | None) -> str | None:
    """Map a reason id, label or free text (from /escalate) onto one of REASONS; None when not given."""
    if not text or not text.strip():
        return None
    lowered = text.strip().lower().replace("-", "_").replace(" ", "_")
    if lowered in REASONS:
        return lowered
    words = text.lower()
    for reason, keys in _REASON_WORDS.items():
        if any(k in words for k in keys):
            return reason
    return "other"


@dataclass(frozen=True)
class RunPlan:
    request: Request
    provider: str
    lane: str
    choice: ModelChoice
    rung: int
    attempt: int = 1
    escalated_from: Run | None = None
    reason: str | None = None

    def as_new_run(self, user_id: str) -> NewRun:
        """The row this plan becomes, for the user it runs for."""
        return NewRun(
            request_id=self.request.id,
            channel_id=self.request.channel_id,
            user_id=user_id,
            provider=self.provider,
            model=self.choice.model,
            effort=self.choice.effort,
            lane=self.lane,
            rung=self.rung,
            attempt=self.attempt,
            escalated_from=self.escalated_from.id if self.escalated_from else None,
            escalation_reason=self.reason,
        )


Gate = Callable[[RunPlan, str], None]
"""A check before a run is claimed (budget, approval); raises a UserError to refuse."""

Hold = Callable[[RunPlan], int | None]
"""What a run will hold against its channel's budget while in flight (None: nothing); raises a UserError to
refuse. Called inside the claim's write transaction, so no other claim can slip in between check and claim."""


class RunService:
    def __init__(
        self,
        store: RunStore,
        policy: Policy,
        providers: Mapping[str, Provider],
        clock: Callable[[], float],
        gates: Sequence[Gate] = (),
        channel_providers: Callable[[str], Sequence[str]] | None = None,
        reserved_tokens: int = 8192,
        turn_wait: float = 900.0,
        hold: Hold | None = None,
    ) -> None:
        self.store, self.policy, self.providers, self.clock = store, policy, providers, clock
        self.gates = tuple(gates)  # in order: the first to refuse decides what the person is told
        self.channel_providers = channel_providers  # channel id -> providers its settings allow; None: all
        self.conversations = ConversationStore(store.database)
        self.reserved_tokens = reserved_tokens  # the answer's share of the context window (max output)
        self.turn_wait = turn_wait  # seconds a follow-up waits for the turn before it to finish
        self._turn_ended = threading.Condition()
        self.hold = hold  # the budget's hold on each claimed run (commands/budget.py); None: no budgets

    # --- planning -----------------------------------------------------------------------------------
    def plan_first_run(self, request_id: int, provider: str) -> RunPlan:
        request = self._request(request_id)
        lane = self.policy.lane(request.lane)
        choice = lane.models.get(provider)
        if choice is None:
            raise UsageError(
                f"The {lane.title} lane has no {self._label(provider)} model in the routing policy."
            )
        self._require_allowed(request.channel_id, provider)
        self._require_configured(provider)
        return RunPlan(request, provider, lane.id, choice, lane.rung)

    def plan_follow_up(self, request_id: int) -> RunPlan:
        """A follow-up continues on the model of the conversation's newest run (escalations included)."""
        request = self._request(request_id)
        latest = self.conversations.latest_run(request.root_id)
        if latest is None:
            raise NotFound(
                "This conversation has no answer to follow up on yet: press Run on the card first."
            )
        self._require_allowed(request.channel_id, latest.provider)
        self._require_configured(latest.provider)
        choice = ModelChoice(latest.provider, latest.model, latest.effort)
        return RunPlan(request, latest.provider, latest.lane, choice, latest.rung)

    def plan_escalation(self, from_run_id: int, provider: str, reason: str | None) -> RunPlan:
        source = self._conversation_head(self._run(from_run_id))
        self._require_allowed(source.channel_id, provider)
        steps = {s.provider: s for s in self.steps_after(source)}
        step = steps.get(provider)
        if step is None:
            raise AtTopOfLadder(self._top_message(source))
        self._require_configured(provider)
        return self._plan_step(source, step, reason)

    def plan_escalation_for_latest(self, channel_id: str, user_id: str, reason: str | None) -> RunPlan:
        request = self.store.latest_run_request(channel_id, user_id)
        if request is None:
            raise NotFound(
                "You have no run in this channel to escalate yet. Use `/route <task>` and press Run."
            )
        source = self._conversation_head(self.store.runs_for_request(request.id)[-1])
        if source.status in ACTIVE:  # a second /escalate (or Slack's retry of the first) climbs no further
            what = "The escalation to" if source.escalated_from else "The run on"
            raise UsageError(
                f"{what} {ModelChoice(source.provider, source.model, source.effort).label} is still in "
                "progress; its answer will appear in the request's thread. Escalate once it is there."
            )
        step = next_step(self.policy, source.lane, source.provider)
        if step is None:
            raise AtTopOfLadder(self._top_message(source))
        self._require_allowed(channel_id, step.provider)
        self._require_configured(step.provider)
        return self._plan_step(source, step, reason)

    def plan_retry(self, run_id: int) -> RunPlan:
        run = self._run(run_id)
        latest = self.store.existing_run(run.request_id, run.rung, run.provider)
        if latest is not None and latest.id != run.id:
            run = latest  # retry the newest attempt, so two Retry clicks on old messages make one run
        if run.status not in ("failed", "interrupted") and not run.refused:
            raise UsageError("That run is not in a failed state; nothing to retry.")
        self._require_allowed(run.channel_id, run.provider)
        self._require_configured(run.provider)
        request = self._request(run.request_id)
        source = self.store.run(run.escalated_from) if run.escalated_from else None
        return RunPlan(
            request,
            run.provider,
            run.lane,
            ModelChoice(run.provider, run.model, run.effort),
            run.rung,
            attempt=run.attempt + 1,
            escalated_from=source,
            reason=run.escalation_reason,
        )

    def steps_after(self, run: Run) -> list[Step]:
        """The escalation buttons to show under this run's answer: only providers the channel allows."""
        providers = tuple(self.providers) or (run.provider,)
        if self.channel_providers is not None:
            allowed = self.channel_providers(run.channel_id)
            providers = tuple(p for p in providers if p in allowed)
        return escalation_steps(self.policy, run.lane, run.provider, providers)

    # --- claiming and running -------------------------------------------------------------------------
    def claim(self, plan: RunPlan, user_id: str) -> Run | None:
        """Record the run as queued; None when this exact run exists already (retry, double click)."""
        existing = self.store.existing_run(plan.request.id, plan.rung, plan.provider)
        if existing is not None and existing.attempt >= plan.attempt:
            return None
        for gate in self.gates:
            gate(plan, user_id)
        # One write transaction (BEGIN IMMEDIATE): the hold sees every run claimed before it and none can be
        # claimed between its check and this insert, so concurrent clicks cannot all pass a budget at once.
        with self.store.database.transaction():
            hold = self.hold(plan) if self.hold is not None else None
            return self.store.claim_run(plan.as_new_run(user_id), self.clock(), hold)

    def execute(self, run_id: int, on_text: TextSink | None = None) -> Run | None:
        """Call the model, streaming its text to `on_text`, and record the outcome; never raises for a
        provider failure. A turn of a conversation first waits for the turns before it to finish, so the
        model sees their answers (a follow-up sent while the previous answer still streams).

        None when this process did not run it or lost it: another claimed it first, or the run's lease
        expired and another process interrupted it (that process tells the thread; nothing is charged).
        """
        try:
            return self._execute(run_id, on_text or (lambda _text: None))
        finally:
            with self._turn_ended:
                self._turn_ended.notify_all()

    def _execute(self, run_id: int, on_text: TextSink) -> Run | None:
        run = self._run(run_id)
        self._wait_for_earlier_turns(run)
        if not self.store.start_run(run_id, self.clock()):
            return None
        request = self._request(run.request_id)
        if request.task is None:
            return self.store.fail_run(
                run_id,
                now=self.clock(),
                kind="purged",
                message="The task text was removed after the retention period; send it again with /route.",
            )
        provider = self.providers.get(run.provider)
        if provider is None:
            return self.store.fail_run(
                run_id,
                now=self.clock(),
                kind="not_configured",
                message=f"{self._label(run.provider)} is not configured.",
            )
        try:
            talk = self.conversation_for(request, run)
        except ConversationTooLong as exc:
            return self.store.fail_run(run_id, now=self.clock(), kind="too_long", message=exc.message)
        received: list[str] = []

        def sink(text: str) -> None:
            received.append(text)
            on_text(text)

        try:
            completion = provider.stream(model=run.model, effort=run.effort, turns=talk.turns, on_text=sink)
        except ProviderError as exc:
            failed = self.store.fail_run(run_id, now=self.clock(), kind=exc.kind, message=exc.message)
            if received:  # keep what arrived: it is in the thread already, and the record should say so
                self.conversations.keep_partial(run_id, "".join(received))
            return failed
        except Exception:
            log.exception("run %s failed unexpectedly", run_id)
            return self.store.fail_run(
                run_id,
                now=self.clock(),
                kind="internal",
                message="routebot hit an internal error; the log has details.",
            )
        now = self.clock()
        price = price_of_run(self.policy, run.provider, run.model, completion.tokens, at=now)
        if talk.trimmed:
            self.conversations.note_trimmed(run_id, talk.trimmed)
        finished = self.store.finish_run(
            run_id,
            now=now,
            answer=completion.text,
            tokens=completion.tokens,
            cost_nanousd=price.nanousd if price else None,
            price_source=price.source if price else None,
            refused=completion.refused,
        )
        if finished is None:
            log.warning("run %s answered after its lease was lost; another process interrupted it", run_id)
        return finished

    def conversation_for(self, request: Request, run: Run) -> Conversation:
        """The turns this run sends: every earlier turn of the conversation with its answer, then this one."""
        exchanges: list[Exchange] = []
        for turn in self.conversations.turns(request.root_id, up_to=request.id):
            ask = turn.task or ""
            if turn.id == turn.root_id and turn.material:
                kind, count = turn.material_kind or "message", turn.material_messages or 1
                ask = first_ask(ask, Material(kind, turn.material, count))
            answer = self.conversations.answer(turn.id) if turn.id != request.id else None
            exchanges.append(Exchange(ask, answer.answer if answer is not None else None))
        return conversation(
            exchanges,
            window_tokens=self.policy.context_window(run.model),
            reserved_tokens=self.reserved_tokens,
            model=ModelChoice(run.provider, run.model, run.effort).label,
        )

    def _wait_for_earlier_turns(self, run: Run) -> None:
        """Hold a follow-up until the conversation's earlier turns have no run queued or in flight.

        Re-checked from the database every second, so a turn running in another process counts too.
        """
        request = self._request(run.request_id)
        if request.conversation_id is None:
            return
        # A timeout, not a time of record: the monotonic clock, so a test's fixed clock cannot stall it.
        deadline = time.monotonic() + self.turn_wait

        def earlier_busy() -> bool:
            earlier = self.conversations.turns(request.root_id, up_to=request.id - 1)
            return any(r.status in ACTIVE for t in earlier for r in self.store.runs_for_request(t.id))

        with self._turn_ended:
            while earlier_busy() and time.monotonic() < deadline:
                self._turn_ended.wait(timeout=1.0)

    def ladder_so_far(self, request_id: int) -> list[Run]:
        return self.store.runs_for_request(request_id)

    # --- helpers --------------------------------------------------------------------------------------
    def _conversation_head(self, run: Run) -> Run:
        """Escalating any answer of a conversation moves the whole conversation: its newest turn's run."""
        request = self._request(run.request_id)
        newest = self.conversations.turns(request.root_id)[-1]
        if newest.id == request.id:
            return run
        runs = self.store.runs_for_request(newest.id)
        return runs[-1] if runs else run

    def _plan_step(self, source: Run, step: Step, reason: str | None) -> RunPlan:
        request = self._request(source.request_id)
        return RunPlan(
            request,
            step.provider,
            step.lane,
            step.choice,
            self.policy.lane(step.lane).rung,
            escalated_from=source,
            reason=normalize_reason(reason),
        )

    def _require_allowed(self, channel_id: str, provider: str) -> None:
        allowed = self.channel_providers(channel_id) if self.channel_providers is not None else None
        if allowed is not None and provider not in allowed:
            names = " and ".join(self._label(p) for p in allowed) or "no provider"
            raise PermissionDenied(
                f"This channel's routebot settings allow {names}, not "
                f"{self._label(provider)}. `/route settings` shows who can change that."
            )

    def _require_configured(self, provider: str) -> None:
        if provider not in self.providers:
            raise ProviderNotConfigured(
                f"{self._label(provider)} is not configured: "
                f"set {api_key_variable(provider)} and restart routebot."
            )

    def _top_message(self, run: Run) -> str:
        model = ModelChoice(run.provider, run.model, run.effort).label
        return (
            f"This request is already at the top of the {self._label(run.provider)} ladder ({model}). "
            "Rephrase or split the task, or bring in a person."
        )

    def _label(self, provider: str) -> str:
        return self.policy.provider_labels.get(provider, provider)

    def _request(self, request_id: int) -> Request:
        request = self.store.request(request_id)
        if request is None:
            raise NotFound("That request no longer exists.")
        return request

    def _run(self, run_id: int) -> Run:
        run = self.store.run(run_id)
        if run is None:
            raise NotFound("That run no longer exists.")
        return run
