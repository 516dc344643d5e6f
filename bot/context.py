"""The parts of a running routebot that startup, the scheduled jobs, the server and tests reach for.

build_app (bot/app.py) makes them; nothing here is changed after that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.button_seal import ButtonSeal
from bot.config import Config
from bot.run_dispatch import RunDispatcher
from commands.channel_settings import Channels
from commands.digest_delivery import DigestDelivery
from commands.learning import Learning
from commands.policy import Policy
from commands.providers import Provider
from commands.runs import RunService
from storage.db import Database
from storage.runs import RunStore


@dataclass(frozen=True)
class Routebot:
    config: Config
    policy: Policy
    database: Database
    store: RunStore
    providers: Mapping[str, Provider]
    channels: Channels
    runs: RunService
    dispatcher: RunDispatcher
    digests: DigestDelivery
    learning: Learning
    clock: Callable[[], float]
    seal: ButtonSeal  # seals every button value the bot posts, and opens clicked ones
