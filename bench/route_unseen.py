"""Benchmark: `route()` on tasks whose words a process has not seen yet (the held-out corpus batches).

Run from the repo root: `python -m bench.route_unseen`. `bench.route` warms up and reuses a small generated
vocabulary, so every word's summed row is remembered before it measures; a serving process that just
started, or anyone routing their own tasks, reads words for the first time. Here each run is a fresh
process (a subprocess) that loads the policy, routes every task of commands/corpus/held-out/*.jsonl once
(the first pass: no word seen before) and then again (the second pass: every word remembered), timing each
call in thread CPU time beside a `str.split` of the same task right after it (a same-run baseline on a
noisy machine). RUNS such processes; the table gives the median of their medians and the range.

`python -m bench.route_unseen --against DIR` alternates each run with one of the checkout at DIR (say
/work/main) on the same tasks, so two versions are compared in the same minutes. It measures and prints;
it never fails (exit status 0), and pytest does not collect it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Row, print_table, us  # noqa: E402

RUNS = 5
GOAL_NS = 100_000  # issue 10: `route()` median <= 100 us
HELD_OUT = ROOT / "commands" / "corpus" / "held-out"

# Run with `python -c` in the checkout measured, so that it needs nothing of this file there. It reads the
# tasks as a JSON list on stdin and prints one JSON line of figures.
_PROBE = """
import json, statistics, sys, time
from commands.policy import load_policy
from commands.router import route
import commands.router
from bench.common import percentile  # in every checkout since the first benchmarks

def rss_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
tasks = json.load(sys.stdin)
before = rss_kib()
policy = load_policy(None)
loaded = rss_kib()
cpu = time.thread_time_ns
def one_pass():
    routed, split = [], []
    for task in tasks:
        start = cpu()
        route(task, policy)
        routed.append(cpu() - start)
        start = cpu()
        task.split()
        split.append(cpu() - start)
    return routed, split
first, first_split = one_pass()
second, second_split = one_pass()
print(json.dumps({
    "where": commands.router.__file__,
    "first": statistics.median(first), "first_p99": percentile(first, 99),
    "second": statistics.median(second), "second_p99": percentile(second, 99),
    "split": max(statistics.median(first_split + second_split), 1),
    "load_mib": (loaded - before) / 1024, "routed_mib": (rss_kib() - loaded) / 1024,
}))
"""


def held_out_tasks() -> list[str]:
    tasks = []
    for path in sorted(HELD_OUT.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                tasks.append(json.loads(line)["text"])
    return tasks


def _run(checkout: Path, tasks: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=checkout,
        env=env,
        input=tasks,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{checkout}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if not str(result["where"]).startswith(str(checkout)):
        raise RuntimeError(f"{checkout}: routed with {result['where']}, not this checkout's router")
    return result


def _spread(values: list[float], show: str = "us") -> str:
    """The median of the runs, and their range."""
    if show == "x":
        return f"{statistics.median(values):.0f}x ({min(values):.0f}-{max(values):.0f})"
    if show == "MiB":
        return f"{statistics.median(values):.1f} MiB ({min(values):.1f}-{max(values):.1f})"
    return f"{us(statistics.median(values))} ({us(min(values))}-{us(max(values))})"


def _rows(runs: list[dict[str, float]]) -> list[Row]:
    def figure(key: str) -> list[float]:
        return [run[key] for run in runs]

    first, second = figure("first"), figure("second")
    split = figure("split")
    ratio = [run["first"] / run["split"] for run in runs]
    ratio_second = [run["second"] / run["split"] for run in runs]
    median_first = statistics.median(first)
    return [
        Row("first pass: route() median", _spread(first), "<= 100 us", median_first <= GOAL_NS),
        Row("first pass: route() p99", _spread(figure("first_p99")), "", None),
        Row("second pass: route() median", _spread(second), "", None),
        Row("second pass: route() p99", _spread(figure("second_p99")), "", None),
        Row("baseline: str.split of the same task, median", _spread(split), "", None),
        Row("first pass / str.split, medians", _spread(ratio, "x"), "", None),
        Row("second pass / str.split, medians", _spread(ratio_second, "x"), "", None),
        Row("RSS added by loading the policy and model", _spread(figure("load_mib"), "MiB"), "", None),
        Row("RSS added by routing the tasks twice", _spread(figure("routed_mib"), "MiB"), "", None),
    ]


def main(argv: list[str]) -> int:
    against = Path(argv[1]).resolve() if argv[:1] == ["--against"] and len(argv) == 2 else None
    tasks = held_out_tasks()
    payload = json.dumps(tasks)
    checkouts = [ROOT] if against is None else [ROOT, against]
    print(
        f"routebot bench_route_unseen — Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{len(tasks):,} held-out tasks, each routed twice in a fresh process (thread CPU time); "
        f"{RUNS} processes per checkout" + (", alternating" if against else "")
    )
    results: dict[Path, list[dict[str, float]]] = {checkout: [] for checkout in checkouts}
    try:
        for _ in range(RUNS):
            for checkout in checkouts:
                results[checkout].append(_run(checkout, payload))
    except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as exc:
        print_table("failed", [Row("a run failed", type(exc).__name__, str(exc)[:90], False)])
        return 0
    for checkout, runs in results.items():
        print_table(f"{checkout} (median of {RUNS} runs, range)", _rows(runs))
    print(f"load at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
