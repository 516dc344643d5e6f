"""Build routebot: the Bolt app and everything its listeners use, each side effect injectable.

Production passes nothing but config; tests pass a WebClient pointed at a local fake Slack, fake-backed
providers, a temp database and a fixed clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Config
from bot.context import Routebot
from bot.listeners import digest as digest_listeners
from bot.listeners import route as route_listeners
from bot.listeners import runs as run_listeners
from bot.listeners import settings as settings_listeners
from bot.run_dispatch import RunDispatcher
from commands.policy import Policy, load_policy
from commands.providers import Provider
from commands.runs import RunService
from storage.db import Database
from storage.runs import RunStore


@dataclass
class Built:
    app: App
    bot: Routebot
    run_pool: ThreadPoolExecutor
    listener_pool: ThreadPoolExecutor

    def close(self) -> None:
        self.run_pool.shutdown(wait=True, cancel_futures=False)
        self.listener_pool.shutdown(wait=True)


def slack_client(config: Config) -> WebClient:
    kwargs = {"base_url": config.slack_api_url} if config.slack_api_url else {}
    return WebClient(token=config.slack_bot_token, **kwargs)


def build_app(
    config: Config,
    *,
    client: WebClient | None = None,
    database: Database | None = None,
    providers: Mapping[str, Provider] | None = None,
    policy: Policy | None = None,
    clock: Callable[[], float] = time.time,
    socket_mode: bool = False,
) -> Built:
    policy = policy or load_policy(config.policy_path)
    client = client or slack_client(config)
    database = database or Database(config.db_path)
    if providers is None:
        from bot.providers import build_providers

        providers = build_providers(config)
    store = RunStore(database)
    run_pool = ThreadPoolExecutor(max_workers=config.run_workers, thread_name_prefix="routebot-run")
    # Bolt's default listener pool has 5 threads; acks must never queue behind slow Slack calls.
    listener_pool = ThreadPoolExecutor(
        max_workers=config.listener_workers, thread_name_prefix="routebot-listener"
    )
    runs = RunService(store, policy, providers, clock)
    dispatcher = RunDispatcher(client, runs, policy, run_pool)
    bot = Routebot(
        config=config,
        policy=policy,
        database=database,
        store=store,
        providers=providers,
        runs=runs,
        dispatcher=dispatcher,
        clock=clock,
    )
    app = App(
        client=client,
        signing_secret=None if socket_mode else config.slack_signing_secret,
        request_verification_enabled=not socket_mode,
        listener_executor=listener_pool,
        # Errors are answered by our listeners; Bolt's own message would leak internals.
        raise_error_for_unhandled_request=False,
    )
    route_listeners.register(app, bot)
    digest_listeners.register(app, bot)
    run_listeners.register(app, bot)
    settings_listeners.register(app, bot)
    return Built(app=app, bot=bot, run_pool=run_pool, listener_pool=listener_pool)
