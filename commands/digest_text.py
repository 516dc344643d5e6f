"""The digest in words: the lines both `routebot digest` and the Slack message are made of.

Plain text with no Slack markup, so bot/blocks/digest.py can use the same lines (after escaping) and the CLI
prints them as they are.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from commands.digest import Digest, Share
from commands.pricing import usd


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.0%}"


def period_label(digest: Digest) -> str:
    """`2026-W10, Mon 2 Mar – Sun 8 Mar 2026 (UTC)`, or up to now for a week so far."""
    zone = ZoneInfo(digest.tz)
    first = datetime.fromtimestamp(digest.week.start, zone)
    if digest.so_far:
        last = datetime.fromtimestamp(digest.until, zone)
        return f"{digest.week.label}, {first:%a %-d %b} – {last:%a %-d %b %H:%M} ({digest.tz}), so far"
    last = datetime.fromtimestamp(digest.week.end - 1, zone)
    return f"{digest.week.label}, {first:%a %-d %b} – {last:%a %-d %b %Y} ({digest.tz})"


def headline(digest: Digest) -> str:
    s = digest.summary
    return f"{usd(s.spend_nanousd)} on {s.requests} request{_s(s.requests)} ({s.runs} run{_s(s.runs)})"


def escalation_line(digest: Digest) -> str:
    s = digest.summary
    return f"{percent(s.escalation_rate)} of requests escalated ({s.escalated_requests} of {s.requests})"


def average_line(digest: Digest) -> str:
    a = digest.average
    if a.at_least:
        n = digest.summary.unknown_runs
        return f"at least {usd(a.nanousd)} per request ({n} run{_s(n)} of unknown price left out)"
    return f"{usd(a.nanousd)} per request"


def premium_line(digest: Digest) -> str:
    p = digest.premium
    if not p.compared_runs:
        return "no run could be re-priced on the premium lane"
    saving = p.saving_nanousd
    verdict = f"saved {usd(saving)}" if saving >= 0 else f"cost {usd(-saving)} more than premium would have"
    n = p.excluded_runs
    excluded = f"; {n} run{_s(n)} of unknown price left out" if n else ""
    return f"{usd(p.premium_nanousd)} on premium vs {usd(p.actual_nanousd)} actual: {verdict}{excluded}"


def change_lines(digest: Digest) -> list[str]:
    before, now = digest.previous, digest.summary
    if before is None:
        return ["no runs " + ("at this point last week" if digest.so_far else "the week before")]
    if before.spend_nanousd:
        change = (now.spend_nanousd - before.spend_nanousd) / before.spend_nanousd
        spend = f"spend {usd(before.spend_nanousd)} → {usd(now.spend_nanousd)} ({change:+.0%})"
    else:
        spend = f"spend {usd(before.spend_nanousd)} → {usd(now.spend_nanousd)}"
    return [
        spend,
        f"requests {before.requests} → {now.requests}",
        f"escalation rate {percent(before.escalation_rate)} → {percent(now.escalation_rate)}",
    ]


def helpful_line(digest: Digest) -> str:
    """Each lane's helpful rate from people's votes under its answers."""
    return "; ".join(f"{h.label} {percent(h.rate)} ({h.helpful} of {h.votes})" for h in digest.helpful)


def learning_line(digest: Digest) -> str | None:
    """What learning did: requests started a rung higher (and how many still escalated), lower, offered."""
    done = digest.learning
    if done is None:
        return None
    parts = []
    if done.moved_up:
        parts.append(
            f"{done.moved_up} request{_s(done.moved_up)} started a rung higher, learned from this "
            f"channel's escalations; {done.moved_up_escalated} of them still escalated"
        )
    if done.moved_down:
        parts.append(f"{done.moved_down} started a rung lower, where similar requests were fine")
    if done.offered:
        parts.append(f"{done.offered} card{_s(done.offered)} offered a cheaper lane")
    before = digest.previous.escalation_rate if digest.previous else None
    parts.append(f"escalation rate {percent(before)} → {percent(digest.summary.escalation_rate)}")
    return "; ".join(parts)


def share_line(share: Share) -> str:
    unknown = f", {share.unknown_runs} of unknown price" if share.unknown_runs else ""
    return f"{usd(share.spend_nanousd)} ({share.runs} run{_s(share.runs)}{unknown})"


def render_text(digest: Digest, top: int = 5) -> str:
    """The digest as plain text for `routebot digest`."""
    s = digest.summary
    lines = [f"#{digest.channel_id} · {period_label(digest)}", f"Spend: {headline(digest)}"]
    if s.unknown_runs:
        lines.append(f"Unknown price: {s.unknown_runs} run{_s(s.unknown_runs)}, not included in the spend")
    lines.append("By lane: " + "; ".join(f"{x.label} {share_line(x)}" for x in digest.lanes[:top]))
    lines.append("By model: " + "; ".join(f"{x.label} {share_line(x)}" for x in digest.models[:top]))
    lines.append(f"Escalation: {escalation_line(digest)}")
    lines += [f"  {p.from_label} -> {p.to_label} x{p.count}" for p in digest.paths[:top]]
    if digest.reasons:
        lines.append("  reasons: " + ", ".join(f"{r.label.lower()} x{r.count}" for r in digest.reasons[:3]))
    if digest.helpful:
        lines.append(f"Helpful: {helpful_line(digest)}")
    lines.append(f"Average: {average_line(digest)}")
    lines.append(f"Premium lane: {premium_line(digest)}")
    lines.append("Vs the week before: " + "; ".join(change_lines(digest)))
    if digest.users:
        lines.append("By person: " + "; ".join(f"{u.key} {share_line(u)}" for u in digest.users[:top]))
    lines.append("Per day: " + "; ".join(f"{d.label} {usd(d.spend_nanousd)}" for d in digest.days))
    learned = learning_line(digest)
    if learned:
        lines.append(f"Learning: {learned}")
        lines += [f"  learned: {kind}" for kind in digest.learned]
    if digest.suggestion:
        lines.append(f"Suggestion: {digest.suggestion}")
    return "\n".join(lines)


def _s(count: int) -> str:
    return "" if count == 1 else "s"
