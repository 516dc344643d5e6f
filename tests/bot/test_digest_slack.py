"""Weekly digests end to end: posted once per (channel, week) through the real WebClient to FakeSlack.

Every case runs on an injected clock: the scheduled job is called with `now`, and a restart is a second
harness on the same database with on_startup reading the harness clock.
"""

from __future__ import annotations

import io
import logging
import threading
from typing import Any

import pytest

from bot.cli import main
from bot.digest_cli import run_digest_command
from bot.digest_post import run_digest_job
from bot.scheduler import DIGEST_GRACE, start_scheduler
from bot.slack_client import slack_client
from bot.startup import on_startup
from commands.digest_delivery import LEASE, MAX_ATTEMPTS
from commands.providers import TokenCounts
from commands.weeks import parse_week
from storage.digest_ledger import DigestLedger
from tests.bot.mrkdwn import message_text
from tests.builders import Seeder
from tests.conftest import Harness

WEEK = parse_week("2025-W47", "UTC")  # Mon 17 - Sun 23 Nov 2025; the harness clock starts Mon 24 Nov, 16:00
MONDAY_9 = WEEK.end + 9 * 3600  # the default schedule, 0 9 * * mon
PNG = b"\x89PNG\r\n\x1a\n"


def _seed(h: Harness, channels: tuple[str, ...] = ("C1", "C2"), *, quiet_c3: bool = True) -> None:
    seeder = Seeder(h.bot.store, h.bot.policy)
    for channel in channels:
        for day in range(3):
            run = seeder.task(channel, WEEK.start + day * 86_400 + 3_600, user=f"U{day + 1}")
        seeder.escalate(run, WEEK.start + 3 * 86_400, reason="too_shallow")
    if quiet_c3:
        seeder.task("C3", WEEK.start - 3_600)  # C3 ran only the week before: no digest for it


def _digests(h: Harness, channel: str | None = None) -> list[Any]:
    return [
        c
        for c in h.slack.calls("chat.postMessage")
        if "digest" in c.args.get("text", "") and (channel is None or c.args["channel"] == channel)
    ]


def test_the_job_posts_each_channels_digest_once_even_when_it_fires_twice(harness: Harness) -> None:
    _seed(harness)
    first = run_digest_job(harness.built, MONDAY_9)
    second = run_digest_job(harness.built, MONDAY_9 + 1)
    assert (first.week, sorted(first.posted), sorted(second.skipped), second.posted) == (
        "2025-W47",
        ["C1", "C2"],
        ["C1", "C2"],
        [],
    )
    posts = _digests(harness)
    assert sorted(c.args["channel"] for c in posts) == ["C1", "C2"]  # and none in C3, which had no runs
    text = message_text(posts[0].args)
    # Haiku: 2000 in x $1 + 500 out x $5 per million = $0.0045 a run; Sonnet $0.0135; 4 runs, 3 requests
    assert "Weekly digest · 2025-W47" in text and "$0.0270 on 3 requests (4 runs)" in text
    assert "`claude-haiku-4-5` → `claude-sonnet-4-6` ×1" in text and "too shallow ×1" in text
    assert "33% of requests escalated (1 of 3)" in text


def test_two_firings_at_the_same_moment_still_post_once(harness: Harness) -> None:
    _seed(harness)
    threads = [threading.Thread(target=run_digest_job, args=(harness.built, MONDAY_9)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(c.args["channel"] for c in _digests(harness)) == ["C1", "C2"]


def test_a_restart_after_posting_posts_nothing_again(make_harness) -> None:  # type: ignore[no-untyped-def]
    first = make_harness()
    _seed(first)
    run_digest_job(first.built, MONDAY_9)
    restarted = make_harness()  # same database file
    restarted.clock.now = MONDAY_9 + 600
    report = on_startup(restarted.built)
    assert report.digests is not None and report.digests.posted == []
    assert sorted(report.digests.skipped) == ["C1", "C2"]
    assert len(_digests(first)) == 2


def test_a_bot_down_at_the_scheduled_time_posts_the_missed_digest_at_startup(harness: Harness) -> None:
    _seed(harness)
    harness.clock.now = MONDAY_9 + 5 * 3600  # it came back at 14:00
    report = on_startup(harness.built)
    assert report.digests is not None and sorted(report.digests.posted) == ["C1", "C2"]
    assert len(_digests(harness)) == 2


def test_a_start_before_the_scheduled_time_leaves_the_digest_to_the_schedule(harness: Harness) -> None:
    _seed(harness, quiet_c3=False)
    harness.clock.now = MONDAY_9 - 3600  # Monday 08:00: last week's digest is not due yet
    report = on_startup(harness.built)
    assert report.digests is not None and report.digests.week == "2025-W46" and report.digests.posted == []
    assert _digests(harness) == []


def test_a_failing_channel_blocks_no_other_and_is_retried_next_start(make_harness) -> None:  # type: ignore[no-untyped-def]
    h = make_harness()
    _seed(h, ("C1", "C2", "C4"))
    h.slack.fail("chat.postMessage", error="not_in_channel", channel="C2")
    report = run_digest_job(h.built, MONDAY_9)
    assert sorted(report.posted) == ["C1", "C4"] and report.failed == {"C2": "not_in_channel"}
    entry = DigestLedger(h.bot.database).entry("C2", "2025-W47")
    assert entry is not None and (entry.status, entry.error) == ("failed", "not_in_channel")
    h.slack.clear_failures()
    restarted = make_harness()
    restarted.clock.now = MONDAY_9 + 3600
    on_startup(restarted.built)
    assert sorted(c.args["channel"] for c in _digests(h) if c.error is None) == ["C1", "C2", "C4"]


def test_a_channel_that_keeps_failing_is_given_up_on_for_that_week(harness: Harness) -> None:
    _seed(harness, ("C2",))
    harness.slack.fail("chat.postMessage", error="channel_not_found", channel="C2")
    for attempt in range(MAX_ATTEMPTS + 2):
        run_digest_job(harness.built, MONDAY_9 + attempt)
    assert len(_digests(harness, "C2")) == MAX_ATTEMPTS


@pytest.mark.parametrize("error", ["is_archived", "channel_not_found"])
def test_archived_or_missing_channels_are_skipped_and_recorded(harness: Harness, error: str) -> None:
    _seed(harness)
    harness.slack.fail("chat.postMessage", error=error, channel="C1")
    report = run_digest_job(harness.built, MONDAY_9)
    assert report.failed == {"C1": error} and report.posted == ["C2"]


def test_a_rate_limit_is_waited_out_and_the_digest_posted(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    _seed(harness)
    harness.slack.fail("chat.postMessage", status=429, retry_after=1, times=1, channel="C1")
    with caplog.at_level(logging.INFO, logger="bot.slack_client"):
        report = run_digest_job(harness.built, MONDAY_9)
    assert sorted(report.posted) == ["C1", "C2"]
    assert [c.error for c in _digests(harness, "C1")] == ["ratelimited", None]
    assert "chat.postMessage; retrying after 1 s" in caplog.text  # the WebClient's retry handler waited


def test_a_long_rate_limit_fails_that_channel_and_the_others_go_on(harness: Harness) -> None:
    _seed(harness)
    harness.slack.fail("chat.postMessage", status=429, retry_after=120, channel="C1")
    report = run_digest_job(harness.built, MONDAY_9)
    assert report.failed == {"C1": "ratelimited"} and report.posted == ["C2"]
    assert [c.error for c in _digests(harness, "C1")] == ["ratelimited"]  # not waited for: over the cap


def test_a_crash_between_claim_and_post_is_posted_after_the_lease(harness: Harness) -> None:
    _seed(harness, ("C1",))
    DigestLedger(harness.bot.database).claim("C1", "2025-W47", now=MONDAY_9, lease=LEASE, max_attempts=5)
    assert run_digest_job(harness.built, MONDAY_9 + 60).skipped == ["C1"]  # maybe still being posted
    assert run_digest_job(harness.built, MONDAY_9 + LEASE + 60).posted == ["C1"]


def test_the_chart_is_uploaded_into_the_digests_thread(harness: Harness) -> None:
    _seed(harness, ("C1",))
    run_digest_job(harness.built, MONDAY_9)
    entry = DigestLedger(harness.bot.database).entry("C1", "2025-W47")
    assert entry is not None and entry.message_ts
    complete = harness.slack.wait_for("files.completeUploadExternal")[0].args
    assert (complete["channel_id"], complete["thread_ts"]) == ("C1", entry.message_ts)
    (upload,) = harness.slack.uploads.values()
    assert upload.startswith(PNG) and len(upload) > 500


def test_a_refused_upload_still_posts_the_digest(harness: Harness) -> None:
    _seed(harness, ("C1",))
    harness.slack.fail("files.getUploadURLExternal", error="missing_scope")
    report = run_digest_job(harness.built, MONDAY_9)
    assert report.posted == ["C1"] and harness.slack.uploads == {}
    entry = DigestLedger(harness.bot.database).entry("C1", "2025-W47")
    assert entry is not None and entry.status == "posted"


def test_spend_per_person_only_when_turned_on(make_harness) -> None:  # type: ignore[no-untyped-def]
    off = make_harness()
    _seed(off, ("C1",))
    run_digest_job(off.built, MONDAY_9)
    assert "By person" not in message_text(_digests(off)[0].args) and off.slack.calls("users.info") == []
    on = make_harness(db_name="users.db", ROUTEBOT_DIGEST_SHOW_USERS="1")
    _seed(on, ("C1",))
    on.slack.clear()
    run_digest_job(on.built, MONDAY_9)
    text = message_text(_digests(on)[0].args)
    assert "*By person*" in text and "• u3: $0.0180 (2 runs)" in text  # names from users.info, no pings
    assert "<@U1>" not in text


def test_text_from_the_database_is_escaped(harness: Harness) -> None:
    Seeder(harness.bot.store, harness.bot.policy).task("C1", WEEK.start + 60, model="claude<!channel>&co")
    run_digest_job(harness.built, MONDAY_9)
    text = message_text(_digests(harness)[0].args)
    assert "claude&lt;!channel&gt;&amp;co" in text and "<!channel>" not in text
    assert "1 run of unknown price" in text


def test_route_digest_shows_this_week_so_far_only_to_the_caller(harness: Harness) -> None:
    Seeder(harness.bot.store, harness.bot.policy).task(
        "C1", harness.clock() - 3_600, tokens=TokenCounts(10_000, 1_000)
    )
    response = harness.command("/route", "digest", channel="C1")
    assert response.status == 200
    (reply,) = harness.slack.wait_for("response_url")
    assert reply.args["response_type"] == "ephemeral"
    text = message_text(reply.args)
    assert "This week so far · 2025-W48" in text and "$0.0150 on 1 request (1 run)" in text
    assert "no runs at this point last week" in text
    assert harness.slack.calls("chat.postMessage") == []


def test_route_digest_in_a_quiet_channel_says_so(harness: Harness) -> None:
    harness.command("/route", "digest", channel="C9")
    (reply,) = harness.slack.wait_for("response_url")
    assert reply.args["response_type"] == "ephemeral"
    assert "No runs in this channel this week" in reply.args["text"]


def test_route_help_lists_the_digest(harness: Harness) -> None:
    assert "/route digest" in harness.command("/route", "help").body


def test_cli_prints_every_active_channel_or_the_one_named(harness: Harness) -> None:
    _seed(harness)
    out = io.StringIO()
    code = run_digest_command(
        week="2025-W47", channel=None, post=False, out=out, config=harness.config, clock=lambda: MONDAY_9
    )
    text = out.getvalue()
    assert code == 0 and "#C1 · 2025-W47, Mon 17 Nov – Sun 23 Nov 2025 (UTC)" in text and "#C2" in text
    assert "Spend: $0.0270 on 3 requests (4 runs)" in text and "#C3" not in text
    out = io.StringIO()
    run_digest_command(
        week=None, channel="C1", post=False, out=out, config=harness.config, clock=lambda: MONDAY_9
    )
    assert out.getvalue() == "No runs in C1 in 2025-W48.\n"  # this week so far has none yet
    assert harness.slack.calls("chat.postMessage") == []


def test_cli_post_uses_the_ledger_for_a_complete_week(harness: Harness) -> None:
    _seed(harness, ("C1",))
    client = slack_client(harness.config)
    out = io.StringIO()
    run_digest_command(
        week="2025-W47",
        channel="C1",
        post=True,
        out=out,
        config=harness.config,
        clock=lambda: MONDAY_9,
        client=client,
    )
    run_digest_command(
        week="2025-W47",
        channel="C1",
        post=True,
        out=out,
        config=harness.config,
        clock=lambda: MONDAY_9,
        client=client,
    )
    assert out.getvalue().splitlines()[0] == "posted in C1" and "skipped C1" in out.getvalue()
    assert run_digest_job(harness.built, MONDAY_9).posted == []  # nor does the scheduled job post it again
    assert len(_digests(harness)) == 1


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("2025-47", "Week must look like 2026-W48"),
        ("2025-W60", "2025-W60 is not a week of 2025"),
        ("2999-W01", "2999-W01 has not started yet"),
    ],
)
def test_cli_week_errors_are_clear(week: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["digest", "--week", week]) == 2
    assert message in capsys.readouterr().err


def test_the_scheduler_runs_the_digest_on_the_configured_schedule(make_harness) -> None:  # type: ignore[no-untyped-def]
    h = make_harness(ROUTEBOT_TZ="Europe/Berlin", ROUTEBOT_DIGEST_CRON="30 8 * * 1")
    scheduler = start_scheduler(h.built)
    assert scheduler is not None
    try:
        job = scheduler.get_job("digest")
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, DIGEST_GRACE)
        assert DIGEST_GRACE >= 3600
        fire = job.next_run_time
        assert (fire.strftime("%a %H:%M"), str(fire.tzinfo)) == ("Mon 08:30", "Europe/Berlin")  # 1 is Monday
    finally:
        scheduler.shutdown(wait=False)
