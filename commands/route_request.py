"""What `/route <text>` does, minus Slack: parse, validate, route, record the request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from commands.calibration import Adjustment
from commands.errors import UsageError
from commands.learning import LearnedRoute, Learning
from commands.policy import Policy
from commands.route_args import RouteArgs, parse_route_args
from commands.router import Decision, RouteOptions, route
from storage.records import Request
from storage.runs import RunStore


@dataclass(frozen=True)
class Routed:
    args: RouteArgs
    decision: Decision
    request: Request
    new: bool  # False when this was a redelivery of a request already recorded
    adjustment: Adjustment | None = None  # what learning changed on the card, if anything


def parse_and_check(text: str, max_chars: int) -> RouteArgs:
    """Options and task from text as the person typed it: the task is kept, routed and run as typed, and
    escaped once wherever it is shown.

    The caller decodes what Slack encoded, once (commands.slack_text.decode for `/route`; a mention's text is
    decoded with its markup, and a modal's input arrives as typed), so an `&lt;` typed as such stays.
    """
    args = parse_route_args(text)
    if args.subcommand is None and not args.task.strip():
        raise UsageError(
            "Say what you want done after the options, e.g. `/route --lane cheap tag these tickets`."
        )
    if len(args.task) > max_chars:
        raise UsageError(
            f"That task is {len(args.task):,} characters; routebot takes up to {max_chars:,}. "
            "Trim it, or put the long material in a file or doc and describe the task."
        )
    return args


def route_for_channel(
    task: str,
    policy: Policy,
    options: RouteOptions,
    learning: Learning | None,
    channel_id: str,
    now: float,
) -> tuple[Decision, LearnedRoute | None]:
    """The router's decision as this channel starts from it: adjusted by learning when it is on (the
    LearnedRoute then says what learning saw and changed, for `Learning.record`)."""
    decision = route(task, policy, options)
    if learning is None:
        return decision, None
    learned = learning.adjust(decision, task, channel_id, now)
    return learned.decision, learned


def route_and_record(
    args: RouteArgs,
    *,
    policy: Policy,
    store: RunStore,
    channel_id: str,
    user_id: str,
    team_id: str | None,
    provider: str,
    allowed_providers: tuple[str, ...],
    dedupe_key: str | None,
    clock: Callable[[], float],
    learning: Learning | None = None,
) -> Routed:
    options = RouteOptions(
        lane=args.lane, provider=args.provider or provider, allowed_providers=allowed_providers
    )
    now = clock()
    decision, learned = route_for_channel(args.task, policy, options, learning, channel_id, now)
    request, new = store.create_request(
        channel_id=channel_id,
        user_id=user_id,
        team_id=team_id,
        task=args.task,
        lane=decision.lane.id,
        provider=decision.provider,
        confidence=decision.confidence,
        now=now,
        dedupe_key=dedupe_key,
    )
    if learning is not None and learned is not None and new:
        learning.record(request.id, channel_id, learned, now)
    return Routed(args, decision, request, new, learned.adjustment if learned else None)
