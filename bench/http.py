"""Benchmark: `/route` over HTTP, routebot against a minimal Bolt app on the same server settings.

Run from the repo root: `python -m bench.http` (BENCH_HTTP_ROUNDS=5 rounds; BENCH_HTTP_CARD_WORKERS sets
routebot's ROUTEBOT_CARD_WORKERS). Three processes besides this one: the fake Slack Web API,
the real `routebot serve`, and bench.minimal_app (a Bolt app whose /route acks and posts one line). Each
round sends REQUESTS signed `/route` requests, CONCURRENCY at a time, to each server in turn (the order
alternates between rounds), and measures the time from sending a request to its full HTTP response. The
figures are the medians over ROUNDS rounds, with the range across rounds as the noise; the ratio is taken
within each round, so both servers saw the same machine load. Each request has its own user id, so its
message in the fake Slack (routebot's card, the minimal app's one line) is timed from sending the request
too: routebot posts its card after the response, from its card queue. Everything is on 127.0.0.1, every
loop is bounded in count and time, and the script always exits 0 (it measures; it is not a test).
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Row, ms, percentile, run_sections  # noqa: E402
from bench.route import make_tasks  # noqa: E402

SEED = 20_251_126
ROUNDS = int(os.environ.get("BENCH_HTTP_ROUNDS", "5"))
CARD_WORKERS = os.environ.get("BENCH_HTTP_CARD_WORKERS", "")
REQUESTS = 500
CONCURRENCY = 25
WARMUP = 25
GOAL_RATIO = 1.2

_FAKE_SLACK = """
import json, re, sys
from tests.fakes.slack import FakeSlack
with FakeSlack() as slack:
    print(slack.api_url, flush=True)
    for line in sys.stdin:  # runs until the benchmark closes our stdin
        # "posts": when each message naming a user arrived (monotonic, the same clock as the benchmark's)
        posts = []
        for call in slack.calls("chat.postMessage"):
            found = re.search(r"<@(U[0-9A-Z]+)>|routed for (U[0-9A-Z]+)", json.dumps(call.args))
            if found:
                posts.append([found.group(1) or found.group(2), call.at])
        print(json.dumps(posts), flush=True)
"""


@dataclass(frozen=True)
class Load:
    alone: float  # p50 of the warm-up requests sent one at a time: the service time without queueing
    p50: float
    p99: float
    failures: int
    seconds: float
    cpu: float | None  # the server's CPU seconds per request, its work after the responses included
    posted: dict[str, float]  # user id -> when its request was sent (monotonic), to time its message
    posted_alone: dict[str, float]  # the same for the warm-up requests, sent one at a time


def _post(port: int, body: str, headers: dict[str, str]) -> tuple[int, float]:
    """One signed POST on a fresh connection (as Slack sends them); (status, seconds to the full response)."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - start
    except (OSError, http.client.HTTPException):
        return 0, time.perf_counter() - start
    finally:
        conn.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(port: int, process: subprocess.Popen[str], deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not become healthy")


def _stop(process: subprocess.Popen[str]) -> int | None:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
        return None


class Target:
    """One server under load; `bodies` makes signed /route requests that reach the fake Slack."""

    def __init__(self, name: str, port: int, api_url: str, secret: str, pid: int) -> None:
        self.name, self.port, self.api_url, self.secret, self.pid = name, port, api_url, secret, pid
        self.sent = 0
        self._ids = itertools.count()  # next() on it is atomic under the GIL; `self.sent += 1` is not

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server process so far (Linux); None where /proc is missing."""
        try:
            with open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def settled_cpu_seconds(self, timeout: float = 10.0) -> float | None:
        """CPU time once the server has finished its work after the responses (two equal readings)."""
        last = self.cpu_seconds()
        deadline = time.monotonic() + timeout
        while last is not None and time.monotonic() < deadline:
            time.sleep(0.2)
            now = self.cpu_seconds()
            if now == last:
                break
            last = now
        return last

    def send(self, i: int, text: str, sent_at: dict[str, float] | None = None) -> tuple[int, float]:
        from tests.fakes.slack_requests import sign, slash_command

        # One user id per request, so its message in the fake Slack can be told apart and timed.
        user = f"U{self.name[0].upper()}{next(self._ids):07d}"
        body = slash_command(
            "/route",
            text,
            user_id=user,
            channel_id=f"C{i % 7}",
            response_url=self.api_url.replace("/api/", f"/response/{self.name}-{i}"),
        )
        self.sent += 1
        if sent_at is not None:
            sent_at[user] = time.monotonic()
        return _post(self.port, body, sign(body, self.secret))

    def load(self, texts: list[str]) -> Load:
        alone_at: dict[str, float] = {}
        alone = [self.send(-1 - i, texts[i], alone_at)[1] for i in range(WARMUP)]
        cpu_before = self.settled_cpu_seconds()
        sent_at: dict[str, float] = {}
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            started = time.perf_counter()
            results = list(pool.map(self.send, range(len(texts)), texts, [sent_at] * len(texts)))
            seconds = time.perf_counter() - started
        cpu_after = self.settled_cpu_seconds()
        cpu = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) / len(texts)
        latencies = [s for _, s in results]
        failures = sum(1 for status, _ in results if status != 200)
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        return Load(percentile(alone, 50), p50, p99, failures, seconds, cpu, sent_at, alone_at)


def _cards(db: str, expected: int, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    cards = 0
    while time.monotonic() < deadline:
        with sqlite3.connect(db) as conn:
            cards = conn.execute("SELECT COUNT(*) FROM requests WHERE card_ts IS NOT NULL").fetchone()[0]
        if cards >= expected:
            break
        time.sleep(0.05)
    return int(cards)


def _posted(fake: subprocess.Popen[str]) -> dict[str, float]:
    """When the fake Slack received each message that names a user: user id -> monotonic time."""
    if fake.stdin is None or fake.stdout is None:
        return {}
    fake.stdin.write("posts\n")
    fake.stdin.flush()
    return {user: at for user, at in json.loads(fake.stdout.readline())}


def _message_delays(sent: list[dict[str, float]], posted: dict[str, float]) -> list[float]:
    """Seconds from sending each /route to its message arriving in Slack (the card, or the one line)."""
    return [posted[user] - at for each in sent for user, at in each.items() if user in posted]


def bench_http() -> list[Row]:
    from tests.conftest import SECRET

    texts = make_tasks(REQUESTS, 0, random.Random(SEED))
    with tempfile.TemporaryDirectory(prefix="routebot-bench-") as tmp:
        fake = subprocess.Popen(
            [sys.executable, "-c", _FAKE_SLACK],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        api_url = fake.stdout.readline().strip() if fake.stdout else ""
        db = os.path.join(tmp, "routebot.db")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "ROUTEBOT_", "ANTHROPIC_", "OPENAI_"))
        }
        env.update(
            SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api_url, ROUTEBOT_DB=db
        )
        if CARD_WORKERS:  # routebot's card queue (ROUTEBOT_CARD_WORKERS); the default otherwise
            env["ROUTEBOT_CARD_WORKERS"] = CARD_WORKERS
        ports = {"routebot": _free_port(), "minimal": _free_port()}
        commands = {
            "routebot": ["-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(ports["routebot"])],
            "minimal": ["-m", "bench.minimal_app", str(ports["minimal"])],
        }
        servers = {
            name: subprocess.Popen(
                [sys.executable, *argv],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for name, argv in commands.items()
        }
        targets = {name: Target(name, ports[name], api_url, SECRET, servers[name].pid) for name in servers}
        loads: dict[str, list[Load]] = {name: [] for name in servers}
        try:
            for name, server in servers.items():
                _wait_healthy(ports[name], server, time.monotonic() + 60)
            for round_no in range(ROUNDS):
                order = ["routebot", "minimal"] if round_no % 2 == 0 else ["minimal", "routebot"]
                for name in order:
                    loads[name].append(targets[name].load(texts))
            cards = _cards(db, targets["routebot"].sent)
            posted = _posted(fake)
        finally:
            codes = {name: _stop(server) for name, server in servers.items()}
            if fake.stdin:
                fake.stdin.close()
            fake.wait(timeout=10)

    print(
        f"HTTP: {ROUNDS} rounds of {REQUESTS} signed /route POSTs, {CONCURRENCY} at a time (after {WARMUP}"
        f" one at a time), to `routebot serve` and to bench.minimal_app, alternating which goes first"
        + (f"; ROUTEBOT_CARD_WORKERS={CARD_WORKERS}" if CARD_WORKERS else "")
    )
    print("  round  routebot p50 / p99     minimal p50 / p99     p99 ratio")
    ratios = []
    for i, (ours, base) in enumerate(zip(loads["routebot"], loads["minimal"], strict=True)):
        ratios.append(ours.p99 / base.p99)
        print(
            f"  {i + 1:>5}  {ms(ours.p50):>9} / {ms(ours.p99):>9}  {ms(base.p50):>9} / {ms(base.p99):>9}"
            f"  {ratios[-1]:>9.2f}"
        )

    def median(name: str, field: str) -> str:
        values = [getattr(load, field) for load in loads[name]]
        return f"{ms(statistics.median(values))} ({ms(min(values))}-{ms(max(values))})"

    ratio = statistics.median(ratios)
    cpu_rows: list[Row] = []
    if all(load.cpu is not None for name in loads for load in loads[name]):
        cpu = {name: [float(load.cpu or 0) for load in loads[name]] for name in loads}
        cpu_ratio = statistics.median([a / b for a, b in zip(cpu["routebot"], cpu["minimal"], strict=True)])
        cpu_rows = [
            Row(
                f"server CPU per request, {name}, median (range)",
                f"{ms(statistics.median(cpu[name]))} ({ms(min(cpu[name]))}-{ms(max(cpu[name]))})",
                "",
                None,
            )
            for name in ("routebot", "minimal")
        ]
        cpu_rows.append(
            Row("server CPU per request, ratio routebot / minimal, median", f"{cpu_ratio:.2f}", "", None)
        )
    failures = sum(load.failures for name in loads for load in loads[name])

    def delay_row(name: str, how: str, sent: list[dict[str, float]]) -> Row:
        delays = _message_delays(sent, posted)
        value = f"{ms(percentile(delays, 50))} / {ms(percentile(delays, 99))}" if delays else "none seen"
        return Row(f"{name}, {how}: /route sent -> its message in Slack, p50 / p99", value, "", None)

    delay_rows = [
        delay_row(name, how, [getattr(load, field) for load in loads[name]])
        for how, field in (("one at a time", "posted_alone"), (f"{CONCURRENCY} at a time", "posted"))
        for name in ("routebot", "minimal")
    ]
    return [
        Row("routebot one at a time, p50, median of rounds (range)", median("routebot", "alone"), "", None),
        Row("minimal one at a time, p50, median of rounds (range)", median("minimal", "alone"), "", None),
        Row("routebot p50, median of rounds (range)", median("routebot", "p50"), "", None),
        Row("routebot p99, median of rounds (range)", median("routebot", "p99"), "", None),
        Row("minimal Bolt app p50, median of rounds (range)", median("minimal", "p50"), "", None),
        Row("minimal Bolt app p99, median of rounds (range)", median("minimal", "p99"), "", None),
        Row(
            "p99 ratio routebot / minimal, median (range)",
            f"{ratio:.2f} ({min(ratios):.2f}-{max(ratios):.2f})",
            f"<= {GOAL_RATIO}",
            ratio <= GOAL_RATIO,
        ),
        *cpu_rows,
        *delay_rows,
        Row("failed requests", f"{failures} of {2 * ROUNDS * REQUESTS}", "0", failures == 0),
        Row(
            "routebot cards posted to Slack (recorded)",
            f"{cards} of {targets['routebot'].sent}",
            "all",
            cards == targets["routebot"].sent,
        ),
        Row(
            "both servers stopped cleanly on SIGTERM",
            ", ".join(f"{n} {'exit 0' if c == 0 else c}" for n, c in codes.items()),
            "exit 0",
            all(c == 0 for c in codes.values()),
        ),
    ]


def main() -> int:
    title = f"routebot bench.http — Python {sys.version.split()[0]}, {os.cpu_count()} cores"
    return run_sections(title, [("/route over HTTP: routebot vs a minimal Bolt app", bench_http)])


if __name__ == "__main__":
    sys.exit(main())
