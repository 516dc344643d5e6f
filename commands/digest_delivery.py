"""Delivering the weekly digests: one message per (channel, week), whatever restarts or double firings happen.

Each channel is claimed in the ledger (storage/digest_ledger.py) before its message is sent and marked posted
after, so a second firing, a restart or the startup catch-up finds it done. A channel Slack refuses
(not_in_channel, channel_not_found, is_archived, a rate limit that outlasts our patience) is marked failed
and the others go on; the next start claims the failed ones again, up to MAX_ATTEMPTS. If routebot dies
between Slack's answer and the ledger update, the claim expires after LEASE and the digest is posted again:
the one way to get two, preferred to never posting it.

Sending is handed in (`send(digest)`, and `attach(digest, ts)` for what follows in its thread), so the rule
stays Slack-free: bot/digest_post.py does the Slack side.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from commands.digest import Digest, DigestOptions, compute_digests
from commands.policy import Policy
from commands.weeks import Week
from storage.db import Database
from storage.digest_ledger import DigestLedger
from storage.digests import active_channels

log = logging.getLogger(__name__)
LEASE = 15 * 60.0  # seconds a claim holds before it counts as abandoned by a crash
MAX_ATTEMPTS = 5  # a channel that keeps failing is given up on for that week


@dataclass(frozen=True)
class Sent:
    """What became of one digest: the message's ts when it was posted, else the error that kept it out."""

    ts: str | None = None
    error: str | None = None


Send = Callable[[Digest], Sent]
Attach = Callable[[Digest, str | None], object]  # the chart in the digest's thread; the digest stands without


@dataclass
class DeliveryReport:
    week: str
    posted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # channel -> Slack's error
    skipped: list[str] = field(default_factory=list)  # posted before, being posted elsewhere, or given up


class DigestDelivery:
    def __init__(
        self,
        database: Database,
        policy: Policy,
        options: DigestOptions,
        send: Send,
        attach: Attach | None = None,
    ) -> None:
        self.database, self.policy, self.options = database, policy, options
        self.send, self.attach = send, attach
        self.ledger = DigestLedger(database)

    def deliver_week(self, week: Week, now: float, channels: Iterable[str] | None = None) -> DeliveryReport:
        """Post `week`'s digest in every channel with runs that week (or in `channels`) not yet posted."""
        report = DeliveryReport(week.label)
        done = {
            e.channel_id
            for e in self.ledger.entries(week.label)
            if e.status == "posted" or e.attempts >= MAX_ATTEMPTS
        }
        if channels is None:
            channels = active_channels(self.database, week.start, week.end)
        names = list(channels)
        report.skipped += [c for c in names if c in done]
        todo = [c for c in names if c not in done]
        digests: list[Digest] = []
        if todo:
            digests = compute_digests(self.database, self.policy, week, self.options, channels=todo)
        for digest in digests:
            if not self.ledger.claim(
                digest.channel_id, week.label, now=now, lease=LEASE, max_attempts=MAX_ATTEMPTS
            ):
                report.skipped.append(digest.channel_id)
                continue
            error = self._deliver(digest, now)
            if error is None:
                report.posted.append(digest.channel_id)
            else:
                self.ledger.failed(digest.channel_id, week.label, error=error, now=now)
                report.failed[digest.channel_id] = error
        if report.posted or report.failed:
            log.info(
                "digests for %s: %d posted, %d failed (%s), %d skipped",
                week.label,
                len(report.posted),
                len(report.failed),
                ", ".join(f"{c}: {e}" for c, e in report.failed.items()) or "none",
                len(report.skipped),
            )
        return report

    def deliver_unrecorded(
        self, week: Week, now: float, channels: Iterable[str] | None = None
    ) -> DeliveryReport:
        """Post the digest of a week so far, outside the ledger, so the full week's digest still goes out."""
        report = DeliveryReport(week.label)
        names = list(channels) if channels is not None else None
        for digest in compute_digests(
            self.database, self.policy, week, self.options, now=now, channels=names
        ):
            error = self._deliver(digest, None)
            if error is None:
                report.posted.append(digest.channel_id)
            else:
                report.failed[digest.channel_id] = error
        return report

    def _deliver(self, digest: Digest, recorded_at: float | None) -> str | None:
        """Send one digest; None when it was posted (and, with `recorded_at`, marked so), else the error."""
        sent = self.send(digest)
        if sent.error is not None:
            return sent.error
        if recorded_at is not None:
            self.ledger.posted(digest.channel_id, digest.week.label, ts=sent.ts, now=recorded_at)
        if self.attach is not None:
            self.attach(digest, sent.ts)
        return None
