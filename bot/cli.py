"""The `routebot` command: route, eval, train, serve, digest.

`routebot route` must answer in well under a second, so this module imports only the pure routing code at
the top; Slack, the provider SDKs and storage are imported inside the subcommands that need them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from commands.errors import ConfigError, UserError
from commands.policy import LANE_IDS, PROVIDERS

if TYPE_CHECKING:  # imported where used: `routebot route` must start fast
    from commands.calibration import Adjustment
    from commands.policy import Policy
    from commands.router import Decision


def _formatter(prog: str) -> argparse.HelpFormatter:
    """argparse's own formatter imports `shutil` (and with it zlib, bz2, lzma) to ask for the terminal's
    width, on every start since `add_argument` builds one: 4-5 ms of `routebot route`'s cold start. The width
    only matters when help is printed, and `os` answers it as well."""
    try:
        width = os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError):  # not a terminal, or stdout replaced by something without a descriptor
        width = 80
    return argparse.HelpFormatter(prog, width=max(width - 2, 40))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="routebot",
        description="Route AI tasks to the cheapest reliable model.",
        formatter_class=_formatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    route = sub.add_parser("route", formatter_class=_formatter, help="recommend a lane and model for a task")
    # REMAINDER: everything after the options is the task, as in Slack, so "write a script with the -v
    # flag" routes instead of failing on -v. Options after the first word of the task are task text.
    route.add_argument(
        "text",
        nargs=argparse.REMAINDER,
        help="the task, after any options ('-' reads stdin)",
    )
    route.add_argument("--json", action="store_true", help="print one JSON object")
    route.add_argument("--lane", choices=LANE_IDS, help="force a lane")
    route.add_argument(
        "--provider", choices=PROVIDERS, help="preferred provider (default: ROUTEBOT_PROVIDER)"
    )
    route.add_argument(
        "--channel",
        help="route as in this Slack channel, with what routebot learned there (reads ROUTEBOT_DB)",
    )

    ev = sub.add_parser("eval", formatter_class=_formatter, help="score the router on a labelled JSONL file")
    ev.add_argument(
        "file", help="JSONL file in the format of shared/eval/routing-cases.jsonl ('-' for stdin)"
    )
    ev.add_argument("--json", action="store_true", help="print one JSON object per case")

    train = sub.add_parser(
        "train",
        formatter_class=_formatter,
        help="rebuild the router's lane model from the shipped corpus plus your labelled files",
    )
    train.add_argument("files", nargs="*", help="more labelled JSONL files (the format of `eval`)")
    train.add_argument("--out", help="model file to write (default: the one the policy names)")
    train.add_argument(
        "--no-shipped", action="store_true", help="train on the given files only, not the shipped corpus"
    )

    serve = sub.add_parser(
        "serve",
        formatter_class=_formatter,
        help="run the Slack bot (Socket Mode when SLACK_APP_TOKEN is set)",
    )
    serve.add_argument("--port", type=_port, default=3000, help="HTTP mode port (default 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP mode address (default 0.0.0.0)")

    digest = sub.add_parser(
        "digest", formatter_class=_formatter, help="print or post a channel's weekly spend digest"
    )
    digest.add_argument("--week", help="ISO week such as 2026-W47 (default: the current week so far)")
    digest.add_argument("--channel", help="one channel id (default: every channel with runs that week)")
    digest.add_argument("--post", action="store_true", help="post to Slack instead of printing")
    return parser


def _port(text: str) -> int:
    """0 asks the system for a free port; anything past 65535 waitress would silently wrap around."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {text!r}")
    return int(text)


def main(
    argv: Sequence[str] | None = None,
    stdout: TextIO = sys.stdout,
    stdin: TextIO = sys.stdin,
    clock: Callable[[], float] = time.time,
) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "route":
            return _route(args, stdout, stdin, clock)
        if args.command == "eval":
            return _eval(args, stdout, stdin)
        if args.command == "train":
            from bot.train_cli import run_train_command

            return run_train_command(args.files, out=args.out, shipped=not args.no_shipped, stdout=stdout)
        if args.command == "serve":
            from bot.server import serve

            return serve(port=args.port, host=args.host)
        if args.command == "digest":
            from bot.digest_cli import run_digest_command

            return run_digest_command(week=args.week, channel=args.channel, post=args.post, out=stdout)
    except ConfigError as exc:
        print(f"routebot: configuration error: {exc}", file=sys.stderr)
        return 2
    except UserError as exc:
        print(f"routebot: {exc.message}", file=sys.stderr)
        return 2
    return 1


def _route(args: argparse.Namespace, stdout: TextIO, stdin: TextIO, clock: Callable[[], float]) -> int:
    from bot.config import load_routing_config
    from commands.decision_view import decision_as_dict
    from commands.policy import load_policy
    from commands.router import RouteOptions, route

    words = args.text[1:] if args.text[:1] == ["--"] else args.text
    text = stdin.read() if words == ["-"] else " ".join(words)
    if not text.strip():
        print("routebot: the task is empty; say what you want done", file=sys.stderr)
        return 2
    config = load_routing_config()
    policy = load_policy(config.policy_path)
    decision = route(text, policy, RouteOptions(lane=args.lane, provider=args.provider or config.provider))
    adjustment = None
    if args.channel:
        decision, adjustment = _learned(decision, text, args.channel, config.db_path, policy, clock())
    if args.json:
        data = decision_as_dict(decision)
        if args.channel:
            data["learning"] = adjustment.as_dict() if adjustment else None
        json.dump(data, stdout, ensure_ascii=False)
        stdout.write("\n")
        return 0
    other = [f"{p}: {c.label}" for p, c in decision.models.items() if p != decision.provider]
    lines = [
        f"{decision.lane.title} lane ({decision.lane.id}, {decision.lane.cost_class}): {decision.model.label}"
        f" [{decision.provider}]",
        f"confidence: {decision.confidence_label} ({decision.confidence:.2f})",
        *(f"  other provider: {o}" for o in other),
        "why:",
        *(f"  - {reason}" for reason in decision.reasons),
        f"escalate when: {decision.lane.escalate_when}",
        f"avoid when: {decision.lane.avoid_when}",
    ]
    if decision.alternatives:
        lines.append("alternatives: " + "; ".join(f"{a.lane} ({a.why})" for a in decision.alternatives))
    if args.channel:
        lines.append(
            f"learning in {args.channel}: " + (adjustment.explanation if adjustment else "no change")
        )
    stdout.write("\n".join(lines) + "\n")
    return 0


def _learned(
    decision: Decision, text: str, channel: str, db_path: str, policy: Policy, now: float
) -> tuple[Decision, Adjustment | None]:
    """The decision as `/route` in `channel` would make it now: nothing is recorded."""
    import os.path

    from commands.learning import Learning
    from storage.db import Database
    from storage.learning import LearningStore

    if not os.path.exists(db_path):
        raise UserError(f"no routebot database at {db_path} (set ROUTEBOT_DB), so nothing was learned yet")
    learned = Learning(LearningStore(Database(db_path)), policy).adjust(decision, text, channel, now)
    return learned.decision, learned.adjustment


def _eval(args: argparse.Namespace, stdout: TextIO, stdin: TextIO) -> int:
    from bot.config import load_routing_config
    from commands.decision_view import decision_as_dict
    from commands.evaluate import evaluate, format_report, read_cases
    from commands.policy import load_policy

    config = load_routing_config()
    policy = load_policy(config.policy_path)
    if args.file == "-":
        lines = stdin.read().splitlines()
    else:
        try:
            with open(args.file, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except OSError as exc:
            raise UserError(f"cannot read {args.file}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise UserError(
                f"{args.file}: not UTF-8 text (byte {exc.start}); save it as UTF-8 JSONL"
            ) from None
    report = evaluate(read_cases(lines, args.file), policy)
    if not report.outcomes:
        raise UserError(f"{args.file}: no cases (one JSON object a line, each with `text`)")
    if not args.json and not report.labelled:
        raise UserError(
            f"{args.file}: no case has a `lane` label, so there is nothing to score; "
            "use --json to see each decision"
        )
    if args.json:
        for outcome in report.outcomes:
            row = {"id": outcome.case.id, **decision_as_dict(outcome.decision)}
            if outcome.exact is not None:
                row.update(
                    label=outcome.case.lane,
                    acceptable=outcome.acceptable,
                    under=outcome.under_rungs > 0,
                    over=outcome.over,
                )
            try:
                stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
                stdout.flush()
            except BrokenPipeError:
                return _reader_left()
        return 0
    stdout.write(format_report(report) + "\n")
    return 0


def _reader_left() -> int:
    """`routebot eval --json | head`: the reader has gone, which is no error. Point stdout at devnull so the
    interpreter's flush at exit does not raise again (the Python docs' recipe for SIGPIPE)."""
    import contextlib
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):  # stdout is not a real file (a test's StringIO)
        os.dup2(devnull, sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
