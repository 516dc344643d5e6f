"""Conversations, minus Slack: route an instruction about a message or a thread, and continue it.

Who may continue: a plain reply in the thread continues the conversation only when the person who started
it writes it; anyone else in the channel continues it by mentioning @routebot in the thread. Two people
discussing an answer under it should not each start a paid run, and a mention is an explicit request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from commands.calibration import Adjustment
from commands.errors import UsageError
from commands.learning import Learning
from commands.policy import Policy
from commands.route_args import RouteArgs
from commands.route_request import parse_and_check, route_for_channel
from commands.router import Decision, RouteOptions
from commands.thread_context import plain_text
from commands.turns import Material
from storage.conversations import ConversationStore, NewRequest
from storage.records import Request

MENTION_HELP = (
    "Tell me what to do after the mention, e.g. `@routebot summarize this thread in 3 bullets`; "
    "I route it to the cheapest model that will do it well and post a card here to run it."
)


@dataclass(frozen=True)
class Started:
    decision: Decision
    request: Request
    new: bool  # False: a redelivery of a request already recorded
    adjustment: Adjustment | None = None  # what learning changed on the card, if anything


def instruction_text(text: str, bot_user_id: str | None, names: Mapping[str, str]) -> str:
    """A mention's text without the mention of routebot, as a person reads it."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    return plain_text(text, names).strip()


def start_conversation(
    instruction: str,
    material: Material | None,
    *,
    source: str,
    policy: Policy,
    store: ConversationStore,
    channel_id: str,
    user_id: str,
    team_id: str | None,
    provider: str,
    allowed_providers: tuple[str, ...],
    thread_ts: str,
    dedupe_key: str,
    max_chars: int,
    now: float,
    learning: Learning | None = None,
) -> Started:
    """Route the instruction (the material never moves the lane), let learning adjust the lane as it does
    /route's, and record the request with its material (and, the first time, what learning saw)."""
    if not instruction.strip():
        raise UsageError(MENTION_HELP)
    args = parse_and_check(instruction, max_chars)
    if args.subcommand == "help":
        raise UsageError(MENTION_HELP)
    if args.subcommand is not None:  # "@routebot digest" alone is a task here, not /route's subcommand
        args = RouteArgs(task=instruction.strip())
    options = RouteOptions(
        lane=args.lane, provider=args.provider or provider, allowed_providers=allowed_providers
    )
    decision, learned = route_for_channel(args.task, policy, options, learning, channel_id, now)
    new = NewRequest(
        channel_id=channel_id,
        user_id=user_id,
        task=args.task,
        lane=decision.lane.id,
        provider=decision.provider,
        confidence=decision.confidence,
        source=source,
        thread_ts=thread_ts,
        material=material.text if material else None,
        material_kind=material.kind if material else None,
        material_messages=material.messages if material else None,
        team_id=team_id,
        dedupe_key=dedupe_key,
    )
    request, created = store.create_request(new, now)
    if learning is not None and learned is not None and created:
        # Its runs and escalations are then evidence like a /route request's (storage/learning.py).
        learning.record(request.id, channel_id, learned, now)
    return Started(decision, request, created, learned.adjustment if learned else None)


def may_continue(root: Request, user_id: str, *, mentioned: bool) -> bool:
    """The requester by a plain reply; anyone in the channel by mentioning routebot."""
    return mentioned or user_id == root.user_id


def record_follow_up(
    text: str,
    root: Request,
    *,
    store: ConversationStore,
    user_id: str,
    message_ts: str,
    max_chars: int,
    now: float,
) -> tuple[Request, bool]:
    """The follow-up as a request of the conversation; the Slack message it came from is its dedupe key."""
    text = text.strip()
    if not text:
        raise UsageError(MENTION_HELP)
    if len(text) > max_chars:
        raise UsageError(
            f"That message is {len(text):,} characters; routebot takes up to {max_chars:,}. "
            "Trim it and send it again."
        )
    new = NewRequest(
        channel_id=root.channel_id,
        user_id=user_id,
        task=text,
        lane=root.lane,
        provider=root.provider,
        confidence=root.confidence,
        source="follow_up",
        thread_ts=root.answer_thread,
        conversation_id=root.id,
        team_id=root.team_id,
        dedupe_key=f"message:{root.card_channel}:{message_ts}",
        card_channel=root.card_channel,
        card_ts=message_ts,
    )
    return store.create_request(new, now)


def material_note(material: Material | None, providers: tuple[str, ...], labels: Mapping[str, str]) -> str:
    """What the card says a run will send, and where."""
    where = " or ".join(labels.get(p, p) for p in providers) or "the model's provider"
    if material is None or not material.text:
        return f"Only your instruction will be sent to {where}."
    chars = f"{len(material.text):,} characters"
    if material.kind == "thread":
        what = f"{material.messages:,} messages, {chars} of this thread"
    else:
        what = f"The message ({chars})"
    return f"{what} will be sent to {where} with your instruction."
