"""Everything a listener needs, built once at startup and handed to each listener module."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.config import Config
from bot.run_dispatch import RunDispatcher
from commands.policy import PROVIDERS, Policy
from commands.providers import Provider
from commands.runs import RunService
from storage.db import Database
from storage.runs import RunStore

Subcommand = Callable[..., None]


@dataclass
class Routebot:
    config: Config
    policy: Policy
    database: Database
    store: RunStore
    providers: Mapping[str, Provider]
    runs: RunService
    dispatcher: RunDispatcher
    clock: Callable[[], float]
    subcommands: dict[str, Subcommand] = field(default_factory=dict)
    usage_extras: tuple[str, ...] = ()
    channel_prefs: Callable[[str], Any] | None = None

    def allowed_providers(self, channel_id: str) -> tuple[str, ...]:
        """Providers whose Run buttons this channel may see (channel settings narrow this)."""
        if self.channel_prefs is not None:
            return tuple(self.channel_prefs(channel_id).providers)
        return PROVIDERS

    def preferred_provider(self, channel_id: str) -> str:
        allowed = self.allowed_providers(channel_id)
        if self.config.provider in allowed:
            return self.config.provider
        return allowed[0]
