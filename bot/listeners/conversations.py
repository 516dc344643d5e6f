"""Conversations in threads: the "Route this" message shortcut, @routebot mentions, follow-up replies.

Events are acknowledged by Bolt before these listeners run (process_before_response is off), so reading a
thread or posting a card never races Slack's 3 seconds; a redelivered event finds its request already
recorded (dedupe key: the Slack message) and does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.blocks.conversations import INSTRUCTION_ACTION, INSTRUCTION_BLOCK, ROUTE_MESSAGE, route_message_modal
from bot.blocks.route_card import card_fallback_text, route_card
from bot.button_seal import ButtonSeal
from bot.display_names import DisplayNames
from bot.listeners.runs import AskForApproval
from bot.run_dispatch import RunDispatcher
from bot.thread_reader import Me, read_message, read_thread
from commands.channel_settings import Channels
from commands.conversations import (
    Started,
    instruction_text,
    material_note,
    may_continue,
    record_follow_up,
    start_conversation,
)
from commands.errors import ApprovalRequired, UserError
from commands.learning import Learning
from commands.policy import Policy
from commands.providers import Provider
from commands.runs import RunService
from commands.thread_context import ThreadMessage, plain_text, thread_context, user_ids
from commands.turns import Material
from storage.conversations import ConversationStore
from storage.records import Request

log = logging.getLogger(__name__)
_CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


class Reply(Protocol):
    """Says something to one person only (an ephemeral message, or the shortcut's response_url)."""

    def __call__(self, **message: Any) -> None: ...


OUT_OF_DATE_WINDOW = "This window is out of date; close it and choose Route this on the message again."
INVITE_HINT = (
    "I can't read or post in this channel, so this card is only visible to you and can't be run here. "
    "Invite me with `/invite @routebot` (private channels need it), then try again."
)


class Conversations:
    """The listeners; build_app registers each method for its shortcut, view or event."""

    def __init__(
        self,
        *,
        policy: Policy,
        store: ConversationStore,
        runs: RunService,
        dispatcher: RunDispatcher,
        channels: Channels,
        providers: Mapping[str, Provider],
        names: DisplayNames,
        ask_for_approval: AskForApproval,
        clock: Callable[[], float],
        max_task_chars: int,
        seal: ButtonSeal,
        learning: Learning | None = None,
    ) -> None:
        self.policy, self.store, self.runs, self.dispatcher = policy, store, runs, dispatcher
        self.channels, self.providers, self.names = channels, providers, names
        self.ask_for_approval, self.clock, self.max_task_chars = ask_for_approval, clock, max_task_chars
        self.seal = seal  # the card's Run buttons are sealed (bot/button_seal.py)
        # Mention and Route this cards start where /route's would (follow-ups are not routed: no learning).
        self.learning = learning

    def on_route_message(self, ack: Ack, shortcut: dict[str, Any], client: WebClient) -> None:
        """ "Route this" on a message: ask what to do with it."""
        ack()
        message = shortcut.get("message") or {}
        # Sealed like a button value: the submission names the channel and message to read and the URL to
        # answer at, and a crafted one could otherwise name a private channel or any URL at all.
        metadata = self.seal.seal(
            ROUTE_MESSAGE,
            {
                "channel": shortcut["channel"]["id"],
                "ts": message.get("ts"),
                "thread_ts": message.get("thread_ts"),
                "response_url": shortcut.get("response_url"),
            },
        )
        shown = plain_text(str(message.get("text") or ""), self.names.of(user_ids([_as_message(message)])))
        try:
            client.views_open(trigger_id=shortcut["trigger_id"], view=route_message_modal(shown, metadata))
        except SlackApiError as exc:  # an expired trigger (a slow or redelivered shortcut), a refused view
            error = exc.response.get("error")
            log.warning("views.open for Route this failed: %s", error)
            _webhook(shortcut.get("response_url"))(
                text=f"Slack did not open the Route this window ({error}); choose Route this again."
            )

    def on_route_message_submit(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        values = (view.get("state") or {}).get("values") or {}
        field = (values.get(INSTRUCTION_BLOCK) or {}).get(INSTRUCTION_ACTION) or {}
        instruction = str(field.get("value") or "")
        if not instruction.strip():
            ack(
                response_action="errors",
                errors={INSTRUCTION_BLOCK: "Say what should be done with the message."},
            )
            return
        if len(instruction) > self.max_task_chars:
            limit = f"{self.max_task_chars:,}"
            ack(response_action="errors", errors={INSTRUCTION_BLOCK: f"Keep it under {limit} characters."})
            return
        meta = self.seal.open({"action_id": ROUTE_MESSAGE, "value": view.get("private_metadata")})
        if meta is None or not isinstance(meta.get("channel"), str) or not isinstance(meta.get("ts"), str):
            log.warning("route_message submission with metadata routebot did not seal")
            ack(response_action="errors", errors={INSTRUCTION_BLOCK: OUT_OF_DATE_WINDOW})
            return
        ack()
        channel, ts, thread = meta["channel"], meta["ts"], meta.get("thread_ts")
        private = _webhook(meta.get("response_url"))
        try:
            message = read_message(client, channel, ts, thread)
        except SlackApiError as exc:
            log.info("cannot read the routed message in %s: %s", channel, exc.response.get("error"))
            private(text=INVITE_HINT)
            return
        text = plain_text(message.text, self.names.of(user_ids([message]))) if message else ""
        by_person = message is not None and message.user_id and not message.bot_name
        author = self.names.name(message.user_id) if by_person and message and message.user_id else None
        material = Material("message", f"{author}: {text}" if author else text, 1) if text else None
        self._start(
            client,
            instruction,
            material,
            source="shortcut",
            channel=channel,
            user=body["user"]["id"],
            team=(body.get("team") or {}).get("id"),
            thread=thread or ts,
            dedupe_key=f"shortcut:{view.get('id')}",
            private=private,
        )

    def on_mention(self, event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if event.get("bot_id") or event.get("subtype"):
            return  # another app mentioning routebot; edits arrive as message_changed, ignored
        channel, ts, user = event["channel"], event["ts"], event.get("user") or ""
        thread = event.get("thread_ts") or ts
        mentioned = self.names.of(user_ids([_as_message(event)]))
        instruction = instruction_text(str(event.get("text") or ""), context.bot_user_id, mentioned)

        def private(**message: Any) -> None:
            _ephemeral(client, channel, user, thread, **message)

        root = self.store.latest_in_thread(channel, thread) if event.get("thread_ts") else None
        if root is not None and self.store.latest_run(root.id) is not None:
            self._follow_up(root, instruction, user, ts, private)
            return
        me = Me(context.bot_user_id, context.bot_id)
        try:
            material = self._thread_material(client, channel, thread, ts, me)
        except SlackApiError as exc:
            log.info("cannot read the thread in %s: %s", channel, exc.response.get("error"))
            private(text=INVITE_HINT)
            return
        self._start(
            client,
            instruction,
            material,
            source="mention",
            channel=channel,
            user=user,
            team=event.get("team") or context.team_id,
            thread=thread,
            dedupe_key=f"message:{channel}:{ts}",
            private=private,
        )

    def on_message(self, event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        # Edits (message_changed), deletions, joins and bot posts carry a subtype or a bot_id: not follow-ups.
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return
        thread, ts = event.get("thread_ts"), event["ts"]
        if not thread or thread == ts:
            return
        text = str(event.get("text") or "")
        if context.bot_user_id and f"<@{context.bot_user_id}" in text:
            return  # a mention: on_mention answers it (Slack sends both events)
        root = self.store.latest_in_thread(event["channel"], thread)
        if root is None or not may_continue(root, event["user"], mentioned=False):
            return  # a thread routebot did not start, or another person talking in it
        if self.store.latest_run(root.id) is None:
            return  # nothing has been run yet: a reply under a card is conversation among people
        words = plain_text(text, self.names.of(user_ids([_as_message(event)])))

        def private(**message: Any) -> None:
            _ephemeral(client, event["channel"], event["user"], thread, **message)

        self._follow_up(root, words, event["user"], ts, private)

    def _thread_material(
        self, client: WebClient, channel: str, thread: str, mention_ts: str, me: Me
    ) -> Material | None:
        """The thread as material; with thread context off in this channel, only its first message."""
        if thread == mention_ts:
            return None  # a top-level mention: the instruction is all there is
        messages = read_thread(client, channel, thread, me)
        if not self.channels.settings(channel).thread_context:
            messages = [m for m in messages[:1] if m.ts == thread]
            first = thread_context(messages, self.names.of(user_ids(messages)))
            return Material("message", first.text, first.messages) if first.messages else None
        context = thread_context(messages, self.names.of(user_ids(messages)), skip_ts=(mention_ts,))
        return Material("thread", context.text, context.messages) if context.messages else None

    def _start(
        self,
        client: WebClient,
        instruction: str,
        material: Material | None,
        *,
        source: str,
        channel: str,
        user: str,
        team: str | None,
        thread: str,
        dedupe_key: str,
        private: Reply,
    ) -> None:
        try:
            started = start_conversation(
                instruction,
                material,
                source=source,
                policy=self.policy,
                store=self.store,
                channel_id=channel,
                user_id=user,
                team_id=team,
                provider=self.channels.preferred_provider(channel),
                allowed_providers=self.channels.allowed_providers(channel),
                thread_ts=thread,
                dedupe_key=dedupe_key,
                max_chars=self.max_task_chars,
                now=self.clock(),
                learning=self.learning,
            )
        except UserError as exc:
            private(text=exc.message)
            return
        if not started.new:
            log.info("duplicate delivery for request %s ignored", started.request.id)
            return
        self._post_card(client, started, material, channel, thread, private)

    def _post_card(
        self,
        client: WebClient,
        started: Started,
        material: Material | None,
        channel: str,
        thread: str,
        private: Reply,
    ) -> None:
        allowed = self.channels.allowed_providers(channel)
        runnable = tuple(p for p in allowed if p in self.providers)
        unconfigured = tuple(p for p in allowed if p not in self.providers)
        note = material_note(material, runnable or allowed, self.policy.provider_labels)
        if not self.channels.settings(channel).thread_context and started.request.source == "mention":
            note += " Thread context is off in this channel: only the thread's first message is included."
        request = started.request

        def card(request_id: int | None, extra: str) -> list[dict[str, Any]]:
            return route_card(
                task=request.task or "",
                user_id=request.user_id,
                decision=started.decision,
                policy=self.policy,
                request_id=request_id,
                runnable=runnable if request_id is not None else (),
                unconfigured=unconfigured,
                allowed=allowed,
                note=f"{note} {extra}".strip(),
                learned=started.adjustment is not None,
            )

        try:
            reply = client.chat_postMessage(
                channel=channel,
                thread_ts=thread,
                blocks=self.seal.blocks(card(request.id, "")),
                text=card_fallback_text(started.decision),
            )
            self.store.set_card(request.id, reply["channel"], reply["ts"], thread)
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown_error")
            log.info("cannot post the card in %s: %s", channel, error)
            hint = (
                INVITE_HINT
                if error in _CANNOT_POST
                else f"Slack refused the card ({error}); try again shortly."
            )
            private(blocks=card(None, hint), text=hint)

    def _follow_up(self, root: Request, text: str, user: str, ts: str, private: Reply) -> None:
        """One more turn of the conversation, on the model of its newest run; refusals go to that person."""
        try:
            request, new = record_follow_up(
                text,
                root,
                store=self.store,
                user_id=user,
                message_ts=ts,
                max_chars=self.max_task_chars,
                now=self.clock(),
            )
            if not new:
                return  # Slack redelivered the event
            plan = self.runs.plan_follow_up(request.id)
            run = self.runs.claim(plan, user)
        except ApprovalRequired as exc:
            self.ask_for_approval(private, user, exc.plan)  # type: ignore[arg-type]  # a Respond stand-in
            return
        except UserError as exc:
            private(text=exc.message)
            return
        if run is not None:
            self.dispatcher.start(run)


def _as_message(event: dict[str, Any]) -> ThreadMessage:
    return ThreadMessage(str(event.get("ts", "")), event.get("user"), str(event.get("text") or ""))


def _ephemeral(client: WebClient, channel: str, user: str, thread: str, **message: Any) -> None:
    """A reply only `user` sees, in the thread (the listener has no response_url for events)."""
    message.pop("response_type", None)
    message.pop("replace_original", None)
    try:
        client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread, **message)
    except SlackApiError as exc:
        log.info("could not answer %s privately: %s", user, exc.response.get("error"))


def _webhook(url: str | None) -> Reply:
    """The shortcut's response_url: a private reply that works even where routebot cannot post."""

    def send(**message: Any) -> None:
        if not url:
            return
        message.pop("replace_original", None)
        WebhookClient(url).send(response_type="ephemeral", **message)

    return send
