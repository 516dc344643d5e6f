"""Build routebot: every store, service, gate and hook, and every Slack listener, in one place.

Read `build_app` top to bottom to see what routebot does: channel settings, runs with their budget and
approval gates, the 80% budget warning, weekly digests, then the listeners Slack reaches them through.
Each side effect is a parameter: production passes nothing but config; tests pass a WebClient pointed at a
local fake Slack, fake-backed providers, a temp database and a fixed clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType, ModuleType
from typing import Any

import slack_bolt.app.app as bolt_app_module
from slack_bolt import App
from slack_sdk import WebClient

from bot.blocks.approvals import APPROVE, DECLINE
from bot.blocks.conversations import ROUTE_MESSAGE
from bot.blocks.learning import OFF_ACTION, ON_ACTION, RESET_ACTION
from bot.blocks.route_card import RUN
from bot.blocks.run_messages import ESCALATE, ESCALATE_REASON, FEEDBACK, RETRY
from bot.blocks.settings import CALLBACK_ID as SETTINGS_FORM
from bot.button_seal import KEY_NAME, ButtonSeal
from bot.card_queue import CardQueue
from bot.channel_notice import post_notice
from bot.config import Config
from bot.context import Routebot
from bot.digest_post import digest_delivery
from bot.display_names import DisplayNames
from bot.listeners import digest as digest_listeners
from bot.listeners import settings as settings_listeners
from bot.listeners.approvals import Approvals
from bot.listeners.conversations import Conversations
from bot.listeners.digest import DigestCommand
from bot.listeners.feedback import Feedback
from bot.listeners.home import AppHome
from bot.listeners.learning import LearningControls
from bot.listeners.route import RouteCommand, Subcommand
from bot.listeners.runs import RunButtons, provider_action
from bot.listeners.settings import ChannelSettingsForm
from bot.permissions import Permissions
from bot.run_dispatch import RunDispatcher
from bot.slack_client import slack_client
from commands.approvals import approval_gate
from commands.approvers import who_can_change
from commands.budget import budget_gate, budget_hold
from commands.budget_warning import BudgetWarning
from commands.channel_settings import Channels
from commands.digest import DigestOptions
from commands.learning import Learning
from commands.policy import Policy, load_policy
from commands.providers import Provider
from commands.runs import RunService
from storage.approvals import ApprovalStore
from storage.channel_settings import ChannelSettingsStore
from storage.command_triggers import CommandTriggers
from storage.conversations import ConversationStore
from storage.db import Database
from storage.learning import LearningStore
from storage.runs import RunStore
from storage.secrets import stored_key


@dataclass
class Built:
    app: App
    bot: Routebot
    run_pool: ThreadPoolExecutor
    listener_pool: ThreadPoolExecutor
    card_queue: CardQueue

    def close(self) -> None:
        self.card_queue.close()  # first: a /route acked before the stop still gets its card
        self.run_pool.shutdown(wait=True, cancel_futures=False)
        self.bot.dispatcher.close()  # after the pool: runs finishing meanwhile keep their leases renewed
        self.listener_pool.shutdown(wait=True)


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
        from bot.providers import build_providers  # imports only the SDKs of configured providers

        providers = build_providers(config)
    run_pool = ThreadPoolExecutor(max_workers=config.run_workers, thread_name_prefix="routebot-run")
    # Bolt's default listener pool has 5 threads; acks must never queue behind slow Slack calls.
    listener_pool = ThreadPoolExecutor(
        max_workers=config.listener_workers, thread_name_prefix="routebot-listener"
    )
    # /route's work after the ack (route, record, post the card), on a few threads of its own.
    card_queue = CardQueue(config.card_workers)

    # Channel settings: the providers each channel allows, its weekly budget, the lanes that need approval.
    # Workspace admins and owners (users.info) and ROUTEBOT_ADMINS may change them and approve runs.
    settings_store = ChannelSettingsStore(database)
    channels = Channels(settings_store, policy, config.provider)
    permissions = Permissions(client, config.admins, clock)
    who = who_can_change(config.admins)

    # Every button the bot posts carries an HMAC of its value, keyed by a random key kept in the database,
    # and a click must come from its own request's card or thread (bot/button_seal.py, commands/clicks.py).
    seal = ButtonSeal(stored_key(database, KEY_NAME, clock()))

    # Runs: planned from a click, checked by the gates, claimed once, executed on the run pool. The budget
    # gate comes first, so nobody is asked to approve a run the budget would stop; the claim itself holds
    # the most the run can cost against the budget, checked again in the claim's write transaction.
    store = RunStore(database)
    approval_store = ApprovalStore(database)
    runs = RunService(
        store,
        policy,
        providers,
        clock,
        gates=(
            budget_gate(channels.settings, database, clock, config.tz, who),
            approval_gate(channels.settings, permissions.is_allowed, approval_store, policy),
        ),
        channel_providers=channels.allowed_providers,
        reserved_tokens=config.max_output_tokens,  # the answer's share of each model's context window
        hold=budget_hold(
            channels.settings, database, clock, config.tz, who, policy, config.max_output_tokens
        ),
    )
    # After each finished run: the channel is warned once a week when it reaches 80% of its budget.
    budget_warning = BudgetWarning(
        database,
        settings_store,
        channels.settings,
        partial(post_notice, client),
        clock=clock,
        tz=config.tz,
        who=who,
    )
    # Answers stream into the thread as the model writes them (ROUTEBOT_STREAM_ANSWERS), posted whole where
    # Slack refuses a stream, completed by chat.update where one expires.
    dispatcher = RunDispatcher(
        client,
        runs,
        policy,
        run_pool,
        seal,
        finished_hooks=(budget_warning.after_run,),
        post_interval=config.slack_post_interval,
        stream_answers=config.stream_answers,
    )

    # Learning: each channel's escalations start similar requests a rung higher next time, within bounds
    # (never max, one rung from the router, enough evidence, --lane wins) and saying so on the card.
    learning = Learning(LearningStore(database), policy)

    # Weekly digests, posted exactly once per (channel, week) by the scheduler (bot/scheduler.py).
    digests = digest_delivery(client, database, policy, config)

    bot = Routebot(
        config=config,
        policy=policy,
        database=database,
        store=store,
        providers=providers,
        channels=channels,
        runs=runs,
        dispatcher=dispatcher,
        digests=digests,
        learning=learning,
        clock=clock,
        seal=seal,
    )

    # What people reach in Slack.
    approvals = Approvals(
        client=client,
        policy=policy,
        store=store,
        approvals=approval_store,
        permissions=permissions,
        channels=channels,
        runs=runs,
        dispatcher=dispatcher,
        clock=clock,
        who=who,
        seal=seal,
    )
    settings_form = ChannelSettingsForm(
        policy=policy,
        database=database,
        store=settings_store,
        channels=channels,
        permissions=permissions,
        clock=clock,
        tz=config.tz,
        who=who,
        learning=learning,
    )
    learning_controls = LearningControls(
        policy=policy, learning=learning, channels=channels, permissions=permissions, clock=clock
    )
    digest_command = DigestCommand(
        database=database,
        policy=policy,
        options=DigestOptions(tz=config.tz, show_users=config.digest_show_users),
        clock=clock,
    )
    route = RouteCommand(
        policy=policy,
        store=store,
        providers=providers,
        channels=channels,
        clock=clock,
        max_task_chars=config.max_task_chars,
        subcommands={
            "settings": Subcommand(settings_form.open, settings_listeners.USAGE),
            "digest": Subcommand(digest_command.show, digest_listeners.USAGE),
        },
        seal=seal,
        cards=card_queue,
        learning=learning,
    )
    # A redelivered /escalate (same trigger_id) is handled once.
    buttons = RunButtons(
        runs, dispatcher, approvals.ask, seal=seal, triggers=CommandTriggers(database), clock=clock
    )
    # Conversations in threads: "Route this" on a message, @routebot with the thread as context (their cards
    # adjusted by learning, as /route's are), follow-up replies on the same model (runs like any other:
    # gated, claimed once, costed). Feedback under answers.
    conversation_store = ConversationStore(database)
    conversations = Conversations(
        policy=policy,
        store=conversation_store,
        runs=runs,
        dispatcher=dispatcher,
        channels=channels,
        providers=providers,
        names=DisplayNames(client),
        ask_for_approval=approvals.ask,
        clock=clock,
        max_task_chars=config.max_task_chars,
        seal=seal,
        learning=learning,
    )
    feedback = Feedback(store, conversation_store, clock, seal)
    home = AppHome(
        policy=policy, database=database, store=store, channels=channels, clock=clock, tz=config.tz, who=who
    )

    app = bolt_app(config, client, listener_pool, socket_mode=socket_mode)
    # /route: the card (and `/route help`, `/route settings`, `/route digest`)
    app.command("/route")(route.on_route)
    # the card's Run buttons, then Escalate, Retry and the reason menu under each answer, and /escalate
    app.action(provider_action(RUN, policy.providers))(buttons.on_run)
    app.action(provider_action(ESCALATE, policy.providers))(buttons.on_escalate)
    app.action(RETRY)(buttons.on_retry)
    app.action(ESCALATE_REASON)(buttons.on_reason)
    app.command("/escalate")(buttons.on_escalate_command)
    # runs on lanes that need approval
    app.action(APPROVE)(approvals.on_approve)
    app.action(DECLINE)(approvals.on_decline)
    # saving the channel settings window
    app.view(SETTINGS_FORM)(settings_form.on_save)
    # the settings window's learning controls: off / on, reset (admins only, audited)
    app.action(OFF_ACTION)(learning_controls.on_off)
    app.action(ON_ACTION)(learning_controls.on_on)
    app.action(RESET_ACTION)(learning_controls.on_reset)
    # the Home tab: your channels' settings and this week's spend
    app.event("app_home_opened")(home.on_home_opened)
    # "Route this" on any message, its window, @routebot in a thread, replies in routebot's threads
    app.shortcut(ROUTE_MESSAGE)(conversations.on_route_message)
    app.view(ROUTE_MESSAGE)(conversations.on_route_message_submit)
    app.event("app_mention")(conversations.on_mention)
    app.event("message")(conversations.on_message)
    # helpful / not helpful under each answer
    app.action(FEEDBACK)(feedback.on_feedback)
    return Built(app=app, bot=bot, run_pool=run_pool, listener_pool=listener_pool, card_queue=card_queue)


def bolt_app(
    config: Config, client: WebClient, listener_pool: ThreadPoolExecutor, *, socket_mode: bool
) -> App:
    """The Bolt app, given every value it would otherwise look for in the environment."""
    with _bolt_sees_no_environment():
        return App(
            name="routebot",  # Bolt would otherwise read it off the call stack (inspect.stack, slow)
            client=client,
            signing_secret=config.slack_signing_secret or "",
            # Socket Mode requests come over our own authenticated WebSocket, unsigned.
            request_verification_enabled=not socket_mode,
            listener_executor=listener_pool,
            # Errors are answered by our listeners; Bolt's own message would leak internals.
            raise_error_for_unhandled_request=False,
        )


class _OsWithoutEnvironment(ModuleType):
    """The os module with an empty os.environ, for Bolt's App constructor alone."""

    environ: Mapping[str, str] = MappingProxyType({})

    def __getattr__(self, name: str) -> Any:
        import os

        return getattr(os, name)


@contextmanager
def _bolt_sees_no_environment() -> Iterator[None]:
    """Hide os.environ from slack_bolt/app/app.py while the App is built.

    Bolt 1.30's App falls back to the environment for what it is not given, and some of it cannot be
    declined: given a `client`, it still reads SLACK_BOT_TOKEN and then logs "As you gave `client` as well,
    `token` will be unused"; it reads SLACK_VERIFICATION_TOKEN; and with SLACK_CLIENT_ID and
    SLACK_CLIENT_SECRET set it switches on its OAuth flow (install pages, a file-based installation store),
    which no argument turns off. routebot passes every value it means explicitly, so Bolt sees no
    environment at all. The module's own `os` is swapped, not os.environ, so no other code is affected.
    """
    real = bolt_app_module.os  # type: ignore[attr-defined]  # the module's own `import os`
    bolt_app_module.os = _OsWithoutEnvironment("os")  # type: ignore[attr-defined]  # only .environ differs
    try:
        yield
    finally:
        bolt_app_module.os = real  # type: ignore[attr-defined]
