"""Runs recorded the way routebot records them (RunStore), at chosen times: for digest and budget tests."""

from __future__ import annotations

from pathlib import Path

from commands.channel_settings import default_settings
from commands.ladder import next_step
from commands.policy import DEFAULT_POLICY_PATH, Policy
from commands.pricing import price_of_run
from commands.providers import TokenCounts
from storage.channel_settings import ChannelSettings, ChannelSettingsStore
from storage.db import Database
from storage.records import Run
from storage.runs import NewRun, RunStore

DEFAULT_TOKENS = TokenCounts(input_tokens=2_000, output_tokens=500)
USD = 1_000_000_000  # nano-dollars
UNPRICED_MODEL = "claude-mystery-1"  # neither the price catalog nor the policy knows it


def unpriced_policy(folder: Path) -> Path:
    """The default policy with the cheap lane's Anthropic model one nobody prices, written into `folder`."""
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    old = 'models.anthropic = { model = "claude-haiku-4-5" }'
    assert old in text
    path = folder / "policy.toml"
    path.write_text(
        text.replace(old, f'models.anthropic = {{ model = "{UNPRICED_MODEL}" }}'), encoding="utf-8"
    )
    return path


def set_budget(database: Database, policy: Policy, channel: str, usd: float, at: float) -> None:
    """An admin saved a weekly budget of `usd` for `channel` (both providers, `max` needs approval)."""
    new = ChannelSettings(channel, ("anthropic", "openai"), int(usd * USD), ("max",))
    ChannelSettingsStore(database).save(new, default_settings(channel, policy), "UADMIN", at)


def spent(store: RunStore, usd: float | None, channel: str, at: float) -> Run:
    """A finished Haiku run in `channel` that cost exactly `usd`; None: a run on a model without a price."""
    request, _ = store.create_request(
        channel_id=channel,
        user_id="USEED",
        task="seed",
        lane="cheap",
        provider="anthropic",
        confidence=1.0,
        now=at,
    )
    run = store.claim_run(
        NewRun(request.id, channel, "USEED", "anthropic", "claude-haiku-4-5", None, "cheap", 0), at
    )
    assert run is not None
    store.start_run(run.id, at)
    cost = None if usd is None else int(usd * USD)
    finished = store.finish_run(run.id, now=at, answer="x", tokens=TokenCounts(1, 1), cost_nanousd=cost)
    assert finished is not None
    return finished


class Seeder:
    def __init__(self, store: RunStore, policy: Policy) -> None:
        self.store, self.policy = store, policy

    def task(
        self,
        channel: str,
        at: float,
        *,
        lane: str = "cheap",
        provider: str = "anthropic",
        user: str = "U1",
        model: str | None = None,
        status: str = "succeeded",
        tokens: TokenCounts = DEFAULT_TOKENS,
    ) -> Run:
        """A /route request and its first run on the routed lane."""
        request, _ = self.store.create_request(
            channel_id=channel,
            user_id=user,
            task="a task",
            lane=lane,
            provider=provider,
            confidence=0.8,
            now=at,
        )
        choice = self.policy.lane(lane).models[provider]
        new = NewRun(
            request.id,
            channel,
            user,
            provider,
            model or choice.model,
            choice.effort,
            lane,
            self.policy.lane(lane).rung,
        )
        return self._finish(new, at, status, tokens)

    def can_escalate(self, run: Run) -> bool:
        return next_step(self.policy, run.lane, run.provider) is not None

    def escalate(
        self,
        run: Run,
        at: float,
        *,
        reason: str | None = None,
        provider: str | None = None,
        status: str = "succeeded",
        tokens: TokenCounts = DEFAULT_TOKENS,
    ) -> Run:
        """The next rung of `run` (on `provider`'s model for that rung, by default the same provider)."""
        step = next_step(self.policy, run.lane, run.provider)
        assert step is not None, "already at the top"
        provider = provider or run.provider
        choice = self.policy.lane(step.lane).models[provider]
        new = NewRun(
            run.request_id,
            run.channel_id,
            run.user_id,
            provider,
            choice.model,
            choice.effort,
            step.lane,
            self.policy.lane(step.lane).rung,
            escalated_from=run.id,
            escalation_reason=reason,
        )
        return self._finish(new, at, status, tokens)

    def retry(
        self, run: Run, at: float, *, status: str = "succeeded", tokens: TokenCounts = DEFAULT_TOKENS
    ) -> Run:
        new = NewRun(
            run.request_id,
            run.channel_id,
            run.user_id,
            run.provider,
            run.model,
            run.effort,
            run.lane,
            run.rung,
            attempt=run.attempt + 1,
            escalated_from=run.escalated_from,
            escalation_reason=run.escalation_reason,
        )
        return self._finish(new, at, status, tokens)

    def _finish(self, new: NewRun, at: float, status: str, tokens: TokenCounts) -> Run:
        run = self.store.claim_run(new, at)
        assert run is not None
        if status == "queued":
            return run
        self.store.start_run(run.id, at)
        if status == "succeeded":
            price = price_of_run(self.policy, run.provider, run.model, tokens, at=at + 5)
            done = self.store.finish_run(
                run.id,
                now=at + 5,
                answer="an answer",
                tokens=tokens,
                cost_nanousd=price.nanousd if price else None,
                price_source=price.source if price else None,
            )
        elif status == "running":
            done = self.store.run(run.id)
        else:
            done = self.store.fail_run(run.id, now=at + 5, kind="unavailable", message="down", status=status)
        assert done is not None
        return done
