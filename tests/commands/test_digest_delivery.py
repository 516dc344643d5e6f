"""Exactly-once digest delivery without Slack: sending is a plain function the test writes."""

from __future__ import annotations

from pathlib import Path

from commands.digest import Digest, DigestOptions
from commands.digest_delivery import LEASE, MAX_ATTEMPTS, DigestDelivery, Sent
from commands.policy import load_policy
from commands.weeks import parse_week
from storage.db import Database
from storage.digest_ledger import DigestLedger
from storage.runs import RunStore
from tests.builders import Seeder

POLICY = load_policy()
WEEK = parse_week("2025-W47", "UTC")
AFTER = WEEK.end + 9 * 3600


class Slack:
    """Records what was sent; `refuse` maps a channel to the error it answers with."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.attached: list[tuple[str, str | None]] = []
        self.refuse: dict[str, str] = {}

    def send(self, digest: Digest) -> Sent:
        self.sent.append(digest.channel_id)
        error = self.refuse.get(digest.channel_id)
        return Sent(error=error) if error else Sent(ts=f"ts-{len(self.sent)}")

    def attach(self, digest: Digest, ts: str | None) -> None:
        self.attached.append((digest.channel_id, ts))


def _delivery(tmp_path: Path) -> tuple[DigestDelivery, Slack, Database]:
    database = Database(str(tmp_path / "r.db"))
    seeder = Seeder(RunStore(database), POLICY)
    for channel in ("C1", "C2"):
        seeder.task(channel, WEEK.start + 3600)
    slack = Slack()
    return DigestDelivery(database, POLICY, DigestOptions(), slack.send, slack.attach), slack, database


def test_each_channel_is_sent_once_and_a_refused_one_is_tried_again(tmp_path: Path) -> None:
    delivery, slack, database = _delivery(tmp_path)
    slack.refuse["C2"] = "not_in_channel"
    first = delivery.deliver_week(WEEK, AFTER)
    assert (first.posted, first.failed) == (["C1"], {"C2": "not_in_channel"})
    assert slack.attached == [("C1", "ts-1")]  # the chart follows only a posted digest, in its thread
    ledger = DigestLedger(database)
    assert ledger.entry("C1", WEEK.label).message_ts == "ts-1"  # type: ignore[union-attr]
    del slack.refuse["C2"]
    second = delivery.deliver_week(WEEK, AFTER + 60)
    assert (second.posted, second.skipped) == (["C2"], ["C1"])
    assert slack.sent == ["C1", "C2", "C2"]


def test_a_channel_that_keeps_failing_is_given_up_after_max_attempts(tmp_path: Path) -> None:
    delivery, slack, _ = _delivery(tmp_path)
    slack.refuse["C1"] = "is_archived"
    for attempt in range(MAX_ATTEMPTS + 2):
        delivery.deliver_week(WEEK, AFTER + attempt)
    assert slack.sent.count("C1") == MAX_ATTEMPTS and slack.sent.count("C2") == 1


def test_a_claim_left_by_a_crash_holds_for_the_lease(tmp_path: Path) -> None:
    delivery, slack, database = _delivery(tmp_path)
    DigestLedger(database).claim("C1", WEEK.label, now=AFTER, lease=LEASE, max_attempts=MAX_ATTEMPTS)
    assert delivery.deliver_week(WEEK, AFTER + 60, channels=["C1"]).skipped == ["C1"]
    assert delivery.deliver_week(WEEK, AFTER + LEASE + 60, channels=["C1"]).posted == ["C1"]
    assert slack.sent == ["C1"]


def test_a_week_so_far_is_sent_without_touching_the_ledger(tmp_path: Path) -> None:
    delivery, slack, database = _delivery(tmp_path)
    report = delivery.deliver_unrecorded(WEEK, WEEK.start + 7200)
    assert sorted(report.posted) == sorted(slack.sent) == ["C1", "C2"]
    assert DigestLedger(database).entries(WEEK.label) == []
    assert sorted(delivery.deliver_week(WEEK, AFTER).posted) == ["C1", "C2"]  # the full week still goes out
