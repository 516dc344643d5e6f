"""The weekly digest as Block Kit: short lines that read at a glance on a phone.

Model names, lane titles and people's names come from the database, the policy file or Slack, so each is
escaped (bot.mrkdwn.escape) before it goes into mrkdwn.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.blocks.common import Block, code, context, fields, section
from bot.mrkdwn import escape
from commands.digest import Digest
from commands.digest_text import (
    average_line,
    change_lines,
    escalation_line,
    headline,
    helpful_line,
    learning_line,
    period_label,
    premium_line,
    share_line,
)
from commands.pricing import usd

TOP = 5  # rows per list


def digest_fallback(digest: Digest) -> str:
    """The notification text: what the digest says in one line."""
    when = "this week so far" if digest.so_far else f"week {digest.week.label}"
    return f"routebot digest, {when}: {headline(digest)}"


def digest_blocks(digest: Digest, names: Mapping[str, str] | None = None) -> list[Block]:
    s = digest.summary
    title = "This week so far" if digest.so_far else "Weekly digest"
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{title} · {digest.week.label}"[:150]}},
        context(escape(period_label(digest))),
        fields(
            ("Spend", escape(headline(digest))),
            ("Average", escape(average_line(digest))),
            ("Escalated", escape(escalation_line(digest))),
            ("Vs the week before", escape("\n".join(change_lines(digest)))),
        ),
    ]
    if s.unknown_runs:
        runs = f"{s.unknown_runs} run" + ("" if s.unknown_runs == 1 else "s")
        blocks.append(context(f":warning: {runs} of unknown price, counted apart: not in the spend."))
    blocks.append(
        section(
            "*By lane*\n"
            + "\n".join(f"• {escape(x.label)}: {escape(share_line(x))}" for x in digest.lanes[:TOP])
        )
    )
    blocks.append(
        section(
            "*By model*\n"
            + "\n".join(f"• {code(escape(x.label))}: {escape(share_line(x))}" for x in digest.models[:TOP])
        )
    )
    blocks.append(section(_escalations(digest)))
    if digest.helpful:
        blocks.append(section(f"*Helpful answers (people's votes)*\n{escape(helpful_line(digest))}"))
    blocks.append(section(f"*On the premium lane*\n{escape(premium_line(digest))}"))
    if digest.users:
        people = names or {}
        blocks.append(
            section(
                "*By person*\n"
                + "\n".join(
                    f"• {escape(people.get(u.key, u.key))}: {escape(share_line(u))}"
                    for u in digest.users[:TOP]
                )
            )
        )
    learned = learning_line(digest)
    if learned:
        kinds = "".join(f"\n• {escape(kind)}" for kind in digest.learned)
        blocks.append(
            section(f"*Learning*\n{escape(learned)}{kinds}\n`/route settings` has more, and an off switch.")
        )
    if digest.suggestion:
        blocks.append(section(f":bulb: *Suggestion*\n{escape(digest.suggestion)}"))
    days = " · ".join(f"{escape(d.label)} {usd(d.spend_nanousd)}" for d in digest.days)
    blocks.append(context(f"Per day: {days}"))
    return blocks


def _escalations(digest: Digest) -> str:
    if not digest.paths:
        return "*Escalations*\nNone this week."
    lines = ["*Escalations*"]
    lines += [
        f"• {code(escape(p.from_label))} → {code(escape(p.to_label))} ×{p.count}" for p in digest.paths[:TOP]
    ]
    if digest.reasons:
        lines.append(
            "Top reasons: " + ", ".join(f"{escape(r.label.lower())} ×{r.count}" for r in digest.reasons[:3])
        )
    return "\n".join(lines)
