"""Benchmark: routing decisions and `routebot route` cold start (/route over HTTP is bench.http).

Run from the repo root: `python -m bench.route`. It measures and prints a table with each goal and
PASS/MISS; it never fails (exit status 0), so it is not a test and pytest does not collect it.
Everything runs on 127.0.0.1 (FakeSlack on an ephemeral port); every loop is bounded in count and time.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Row, percentile, run_sections, us  # noqa: E402

SEED = 20_251_125
TASKS = 12_000
HUGE_TASKS = 12  # 40,000-character pastes among them
WARMUP_CALLS = 2_000
CLI_RUNS = 15
CLI_GOAL = 0.15  # seconds, the median of CLI_RUNS (issue 8)
CLI_TASK = "Summarize this thread in 3 bullets for people who missed standup"
SDK_MODULES = ("anthropic", "openai", "slack_bolt", "slack_sdk")


# --- 1. one routing decision ----------------------------------------------------------------------------

_DOMAINS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "support": (
        ("Classify", "Tag each of", "Summarize", "Reply to", "Triage", "Translate", "Draft a reply to"),
        (
            "these support tickets",
            "the customer emails from last week",
            "this angry review",
            "the refund requests",
            "incoming chat transcripts",
            "the NPS comments",
        ),
    ),
    "engineering": (
        (
            "Refactor",
            "Write unit tests for",
            "Debug",
            "Implement",
            "Review",
            "Add type hints to",
            "Find the race condition in",
            "Design",
        ),
        (
            "the payment retry module",
            "our Go rate limiter",
            "this flaky integration test",
            "the auth middleware in server.ts",
            "a CSV importer in Python",
            "the caching layer",
            "the Kafka consumer that drops messages under load",
            "UserSessionManager",
        ),
    ),
    "data": (
        ("Extract", "Pull out", "Clean up", "Write a SQL query for", "Analyze", "Explain"),
        (
            "the invoice numbers and totals from these PDFs",
            "monthly churn by cohort",
            "the email addresses in this export",
            "why signups dipped in March",
            "the A/B test results",
        ),
    ),
    "legal": (
        ("Review", "Summarize", "Compare", "Assess the risk in", "Redline"),
        (
            "this vendor contract",
            "the indemnification clause",
            "our DPA against GDPR",
            "the NDA from Acme",
            "the termination terms",
        ),
    ),
    "exec": (
        ("Draft", "Write", "Prepare", "Outline", "Critique"),
        (
            "the board memo on Q3",
            "an investor update",
            "the CEO's all-hands talking points",
            "the pricing change announcement",
            "our 2026 strategy doc",
        ),
    ),
    "ops": (
        ("Write a runbook for", "Plan", "Investigate", "Write the postmortem for", "Summarize"),
        (
            "the database failover",
            "last night's outage",
            "the on-call handoff",
            "the migration to Kubernetes",
            "the incident timeline",
        ),
    ),
    "marketing": (
        ("Rewrite", "Shorten", "Make friendlier", "Proofread", "Brainstorm", "Write"),
        (
            "this landing page copy",
            "the product launch email",
            "five taglines for the app",
            "the release notes",
            "a LinkedIn post about the launch",
        ),
    ),
    "research": (
        ("Synthesize", "Compare", "Evaluate the trade-offs between", "Summarize", "Critique"),
        (
            "these three papers on retrieval",
            "Postgres vs DynamoDB for our workload",
            "the user interview notes",
            "competing approaches to rate limiting",
            "the survey results",
        ),
    ),
}
_MODIFIERS = (
    "",
    "",
    "",
    " quickly",
    " in 3 bullets",
    " for the exec team",
    " for the board",
    " — it's urgent",
    ", there are 5,000 of them",
    " before the legal review",
    ". Sonnet failed twice on this",
    ". The cheap model keeps missing it",
    ". Money is no object, use maximum effort",
    " in under 100 words",
    ", be thorough",
    ". It's ambiguous and the requirements conflict",
)
_FILLER = (
    "Context is pasted below.",
    "Keep the tone consistent with our style guide.",
    "The previous attempt was close but not quite right.",
    "Here is the data:",
    "2025-11-24T10:15:02Z ERROR worker-7 timeout after 30s on job 88123",
    "- item: renewal, owner: dana, due: Friday",
    "Customer says the export button does nothing on Safari.",
    "Revenue was 4.2M, up 12% QoQ, with churn flat at 2.1%.",
    "Notes from the meeting follow.",
    "We need this by end of day.",
    "Please keep the numbers exact.",
    "| region | q1 | q2 |\n|---|---|---|\n| emea | 10 | 12 |",
)
_CODE = (
    "\n```python\ndef retry(fn, attempts=3):\n    for i in range(attempts):\n        try:\n"
    "            return fn()\n        except TimeoutError:\n            continue\n```\n",
    "\n```ts\nexport async function handler(req: Request) {\n  const body = await req.json();\n"
    "  return new Response(JSON.stringify(body), { status: 200 });\n}\n```\n",
    "\n```sql\nSELECT cohort, count(*) FROM users\n"
    "WHERE created_at > now() - interval '90 days' GROUP BY 1;\n```\n",
)
_EMOJI = (" 🙏", " 🚀🚀", " 😅", " ✅", " 🔥 pls", " 👀")
_FOREIGN = (
    "Fasse diese Kundenbeschwerden in drei Stichpunkten zusammen.",
    "Traduce este correo al inglés y hazlo más formal.",
    "Résume ce contrat et signale les clauses risquées.",
    "このバグの原因を調べて、修正案を提案してください。",
    "请把这些工单按紧急程度分类。",
    "Проанализируй эти логи и найди причину падения сервиса.",
    "لخص هذا التقرير في ثلاث نقاط.",
)


def make_tasks(count: int, huge: int, rng: random.Random) -> list[str]:
    tasks: list[str] = []
    domains = list(_DOMAINS.values())
    for i in range(count - huge):
        verbs, objects = rng.choice(domains)
        text = f"{rng.choice(verbs)} {rng.choice(objects)}{rng.choice(_MODIFIERS)}."
        roll = rng.random()
        if roll < 0.04:
            text += rng.choice(_CODE)
        elif roll < 0.08:
            text += rng.choice(_EMOJI)
        elif roll < 0.13:
            text = rng.choice(_FOREIGN) + (" " + text if rng.random() < 0.5 else "")
        # Log-uniform length between 20 and 2,000 characters: most chat tasks are short, some paste context.
        target = int(math.exp(rng.uniform(math.log(20), math.log(2000))))
        while len(text) < target:
            text += " " + rng.choice(_FILLER)
        tasks.append(text[: max(target, 20)] if i % 3 else text)  # some cut mid-sentence, like real pastes
    for _ in range(huge):
        verbs, objects = rng.choice(domains)
        head = f"{rng.choice(verbs)} {rng.choice(objects)}{rng.choice(_MODIFIERS)}. Full log below:\n"
        body = "\n".join(rng.choice(_FILLER) for _ in range(2000))
        tasks.append((head + body)[:40_000].ljust(40_000, "."))
    rng.shuffle(tasks)
    return tasks


def bench_route_decisions() -> list[Row]:
    from commands.policy import load_policy
    from commands.router import route

    policy = load_policy(None)
    rng = random.Random(SEED)
    tasks = make_tasks(TASKS, HUGE_TASKS, rng)
    lengths = [len(t) for t in tasks]
    for i in range(WARMUP_CALLS):
        route(tasks[i % len(tasks)], policy)

    times: list[int] = []
    cpu_times: list[int] = []
    split_times: list[int] = []  # a same-run baseline: `str.split` over the same task, right after it
    huge_times: list[int] = []
    lanes: Counter[str] = Counter()
    clock, cpu = time.perf_counter_ns, time.thread_time_ns
    deadline = time.monotonic() + 120
    for task in tasks:
        start, start_cpu = clock(), cpu()
        decision = route(task, policy)
        elapsed = clock() - start
        cpu_times.append(cpu() - start_cpu)
        times.append(elapsed)
        start_cpu = cpu()
        task.split()
        split_times.append(cpu() - start_cpu)
        if len(task) >= 40_000:
            huge_times.append(elapsed)
        lanes[decision.lane.id] += 1
        if time.monotonic() > deadline:
            break

    print(
        f"route(): {len(times):,} tasks, {min(lengths):,}-{max(lengths):,} chars "
        f"(median {statistics.median(lengths):,.0f}), {HUGE_TASKS} of 40,000; warm-up {WARMUP_CALLS:,} calls"
    )
    print("  lanes chosen: " + ", ".join(f"{lane} {n:,}" for lane, n in sorted(lanes.items())))
    median, p99 = statistics.median(times), percentile(times, 99)
    # CPU time of the calling thread too: on a shared machine the wall clock also counts other processes.
    cpu_median, cpu_p99 = statistics.median(cpu_times), percentile(cpu_times, 99)
    split_median = max(statistics.median(split_times), 1)
    return [
        Row("route() median", us(median), "<= 100 us", median <= 100_000),
        Row("route() p99", us(p99), "<= 1 ms", p99 <= 1_000_000),
        Row("route() median, thread CPU time", us(cpu_median), "", None),
        Row("route() p99, thread CPU time", us(cpu_p99), "", None),
        Row("baseline: str.split of the same tasks, median, thread CPU time", us(split_median), "", None),
        Row("route() / str.split, medians of thread CPU time", f"{cpu_median / split_median:.0f}x", "", None),
        Row("route() max", us(max(times)), "", None),
        Row("route() 40,000-char tasks, worst", us(max(huge_times)) if huge_times else "n/a", "", None),
        *_model_cost_rows(),
    ]


_MODEL_PROBE = """
import json, resource, sys, time
def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
import commands.router, commands.policy
before = rss()
start = time.perf_counter()
policy = commands.policy.load_policy(None)
loaded = time.perf_counter() - start
commands.router.route("Summarize this thread in 3 bullets", policy)
print(json.dumps({"kib": rss() - before, "load_s": loaded}))
"""


def _model_cost_rows() -> list[Row]:
    """Memory the lane model adds (RSS after loading the policy, minus before) and its load time."""
    results = []
    for _ in range(5):
        done = subprocess.run(
            [sys.executable, "-c", _MODEL_PROBE],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        try:
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        except (IndexError, ValueError):
            return [Row("lane model memory", "probe failed", "<= 50 MB", False)]
    mib = statistics.median(r["kib"] for r in results) / 1024
    load = statistics.median(r["load_s"] for r in results)
    return [
        Row("lane model + policy: RSS added, median of 5", f"{mib:.1f} MiB", "<= 50 MB", mib <= 50),
        Row("lane model + policy: load time, median of 5", f"{load * 1000:.0f} ms", "", None),
    ]


# --- 2. CLI cold start ----------------------------------------------------------------------------------


_IMPORTS = "`python -c 'import commands.router'`"
_MODEL = "the same, then the lane model loaded"
_LOAD_MODEL = (
    "import commands.router; from commands.lane_model import load_lane_model;"
    " from commands.policy import DEFAULT_POLICY_PATH, DEFAULT_MODEL_NAME;"
    " load_lane_model(DEFAULT_POLICY_PATH.with_name(DEFAULT_MODEL_NAME))"
)


def _time_commands(
    commands: dict[str, tuple[list[str], dict[str, str]]], runs: int
) -> dict[str, list[float]]:
    """Wall seconds of each command, `runs` times, interleaved so that every command sees the same load."""
    walls: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, (argv, env) in commands.items():
            start = time.perf_counter()
            done = subprocess.run(
                argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30, check=False
            )
            walls[label].append(time.perf_counter() - start)
            if done.returncode != 0:
                raise RuntimeError(f"{label}: exit {done.returncode}: {done.stderr.strip()[:200]}")
    return walls


_IMPORT_PROBE = """
import io, json, sys
from bot.cli import main
out = io.StringIO()
code = main(["route", "--json", {task!r}], stdout=out)
json.loads(out.getvalue())
print(json.dumps({{"exit": code, "loaded": [m for m in {mods!r} if m in sys.modules]}}))
"""


def bench_cli() -> list[Row]:
    # The bytecode cache as an installed routebot has it (pip compiles it; a checkout writes it on the first
    # run): PYTHONDONTWRITEBYTECODE, set in some sandboxes, would make every run compile routebot's modules.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # The `routebot` an installed copy runs: the console script beside this interpreter (a virtualenv's
    # bin/). `shutil.which` may find a version manager's shim first (pyenv's is a bash script that costs
    # more than routebot's own start), so it is only the fallback.
    beside = Path(sys.executable).with_name("routebot")
    script = str(beside) if beside.is_file() else shutil.which("routebot")
    route_argv = [script] if script else [sys.executable, "-m", "bot.cli"]
    route = "`routebot route --json`" if script else "`python -m bot.cli route --json`"
    if script:
        print(f"CLI: `routebot` is {script}")
    commands = {
        "baseline `python -c pass`": ([sys.executable, "-c", "pass"], env),
        "baseline `python -c 'import json'`": ([sys.executable, "-c", "import json"], env),
        route: ([*route_argv, "route", "--json", CLI_TASK], env),
        # Where the time goes: the router's modules (which import the policy's), then its model file too.
        _IMPORTS: ([sys.executable, "-c", "import commands.router"], env),
        _MODEL: ([sys.executable, "-c", _LOAD_MODEL], env),
    }
    try:
        _time_commands(commands, 2)  # warm the OS page cache and write the .pyc files
        walls = _time_commands(commands, CLI_RUNS)
    except RuntimeError as exc:
        return [Row("CLI cold start", "FAILED", f"<= {CLI_GOAL} s", False), Row(str(exc)[:90], "", "", None)]
    medians = {label: statistics.median(values) for label, values in walls.items()}
    rows = []
    for label, values in walls.items():
        graded = label == route
        figure = f"{label}: median of {CLI_RUNS} (range)"
        value = f"{medians[label]:.3f} s ({min(values):.3f}-{max(values):.3f})"
        rows.append(
            Row(
                figure,
                value,
                f"<= {CLI_GOAL} s" if graded else "",
                medians[label] <= CLI_GOAL if graded else None,
            )
        )
    base = medians["baseline `python -c pass`"]
    rows.append(Row(f"{route} / `python -c pass`, medians", f"{medians[route] / base:.1f}x", "", None))
    parts = (
        ("the interpreter (`python -c pass`)", base),
        ("importing the router's modules, the policy's with them", medians[_IMPORTS] - base),
        ("reading the lane model file", medians[_MODEL] - medians[_IMPORTS]),
        ("the rest: CLI, config, policy file, routing, JSON", medians[route] - medians[_MODEL]),
    )
    rows += [
        Row(f"  of which {what}, difference of medians", f"{seconds:.3f} s", "", None)
        for what, seconds in parts
    ]

    probe = _IMPORT_PROBE.format(task=CLI_TASK, mods=SDK_MODULES)
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
    )
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1])
        loaded = result["loaded"]
        value = "none" if not loaded else ", ".join(loaded)
        rows.append(
            Row(
                "SDKs imported by bot.cli route path",
                value,
                "none of " + "/".join(SDK_MODULES),
                not loaded and result["exit"] == 0,
            )
        )
    except (IndexError, KeyError, ValueError):
        rows.append(Row("SDKs imported by bot.cli route path", "probe failed", "none", False))
        print(f"  import probe failed: {done.stderr.strip()[:300]}")
    return rows


def main(argv: list[str]) -> int:
    """`python -m bench.route` runs both sections; `python -m bench.route cli` the cold start alone,
    `python -m bench.route decisions` the decisions alone (to alternate runs of two checkouts quickly)."""
    title = f"routebot bench_route — Python {sys.version.split()[0]}, {os.cpu_count()} cores"
    sections = [
        ("1. one routing decision (commands.router.route)", bench_route_decisions),
        ("2. CLI cold start", bench_cli),
    ]
    if argv[:1] == ["cli"]:
        sections = sections[1:]
    elif argv[:1] == ["decisions"]:
        sections = sections[:1]
    return run_sections(title, sections)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
