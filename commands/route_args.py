"""Parse what follows `/route` (or `routebot route`): leading options, then the task.

Options are read only at the start, so a task that itself contains `--something` (a CLI flag in a code
snippet, say) is never mistaken for an option.
"""

from __future__ import annotations

from dataclasses import dataclass

from commands.errors import UsageError
from commands.policy import LANE_IDS, PROVIDERS
from commands.slack_text import echo

SUBCOMMANDS = ("help", "digest", "settings")
OPTIONS_HELP = f"--lane {'|'.join(LANE_IDS)}, --provider {'|'.join(PROVIDERS)}"


@dataclass(frozen=True)
class RouteArgs:
    task: str
    lane: str | None = None
    provider: str | None = None
    subcommand: str | None = None


def parse_route_args(text: str) -> RouteArgs:
    words = text.strip().split(maxsplit=1)
    if not words:
        return RouteArgs(task="", subcommand="help")
    if words[0].lower() in SUBCOMMANDS and len(words) == 1:
        return RouteArgs(task="", subcommand=words[0].lower())
    lane = provider = None
    rest = text.strip()
    while rest.startswith("--"):
        head, _, tail = rest.partition(" ")
        name, eq, value = head.partition("=")
        if not eq:
            value, _, tail = tail.lstrip().partition(" ")
        value = value.strip().lower()
        if name == "--lane":
            if value not in LANE_IDS:
                raise UsageError(f"Unknown lane {_echoed(value)}. Lanes: {', '.join(LANE_IDS)}.")
            lane = value
        elif name == "--provider":
            if value not in PROVIDERS:
                raise UsageError(f"Unknown provider {_echoed(value)}. Providers: {', '.join(PROVIDERS)}.")
            provider = value
        else:
            raise UsageError(f"Unknown option {_echoed(name)}. Options: {OPTIONS_HELP}.")
        rest = tail.lstrip()
    return RouteArgs(task=rest, lane=lane, provider=provider)


def _echoed(value: str) -> str:
    """The option as typed, quoted back safely: `<!here>` in it must notify nobody."""
    return echo(value) if value else "`(none)`"
