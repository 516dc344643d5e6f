"""Snapshot of the router's decisions, to show that a change to the router's speed changes no decision.

`python -m bench.route_snapshot dump FILE` routes every case of commands/corpus/*.jsonl, its held-out/ files
and ../shared/eval/routing-cases.jsonl (when present), then the 12,000 generated tasks of `bench.route`, and
writes each whole Decision as one JSON line. `python -m bench.route_snapshot compare OLD NEW` says where two
dumps differ: everything must be equal, except that numbers may differ by at most 1e-12 (a sum taken in
another order rounds differently in the last bits). Run `dump` in a checkout of main and in the branch, then
`compare`; it exits 1 when they differ. A tool, not a test: pytest does not collect it.
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOLERANCE = 1e-12
SHARED_EVAL = ROOT.parent / "shared" / "eval" / "routing-cases.jsonl"
_SHARED_EVAL_FALLBACK = Path("/work/shared/eval/routing-cases.jsonl")  # from a checkout outside /work


def cases() -> Iterator[tuple[str, str]]:
    """(where, text) of every task routed, in a fixed order."""
    from bench.route import HUGE_TASKS, SEED, TASKS, make_tasks

    corpus = ROOT / "commands" / "corpus"
    files = [*sorted(corpus.glob("*.jsonl")), *sorted((corpus / "held-out").glob("*.jsonl"))]
    shared = SHARED_EVAL if SHARED_EVAL.exists() else _SHARED_EVAL_FALLBACK
    if shared.exists():
        files.append(shared)
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                yield f"{path.name}:{number}", json.loads(line)["text"]
    for number, text in enumerate(make_tasks(TASKS, HUGE_TASKS, random.Random(SEED)), 1):
        yield f"bench:{number}", text


def dump(target: Path) -> int:
    from commands.policy import load_policy
    from commands.router import route

    policy = load_policy(None)
    count = 0
    with target.open("w", encoding="utf-8") as out:
        for where, text in cases():
            decision = asdict(route(text, policy))
            out.write(json.dumps({"case": where, "decision": decision}, ensure_ascii=False) + "\n")
            count += 1
    print(f"{count:,} decisions written to {target}")
    return 0


def differences(old: Any, new: Any, path: str = "") -> Iterator[str]:
    """Where `new` differs from `old`: numbers beyond TOLERANCE, anything else at all."""
    numbers = (int, float)
    if isinstance(old, numbers) and isinstance(new, numbers) and not isinstance(old, bool):
        if not math.isclose(old, new, rel_tol=0, abs_tol=TOLERANCE):
            yield f"{path}: {old!r} -> {new!r}"
    elif isinstance(old, dict) and isinstance(new, dict):
        if list(old) != list(new):
            yield f"{path}: keys {list(old)} -> {list(new)}"
        for key in old.keys() & new.keys():
            yield from differences(old[key], new[key], f"{path}.{key}")
    elif isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            yield f"{path}: {len(old)} items -> {len(new)}"
        for index, (a, b) in enumerate(zip(old, new, strict=False)):
            yield from differences(a, b, f"{path}[{index}]")
    elif old != new or type(old) is not type(new):
        yield f"{path}: {old!r} -> {new!r}"


def compare(old_file: Path, new_file: Path) -> int:
    old_lines = old_file.read_text(encoding="utf-8").splitlines()
    new_lines = new_file.read_text(encoding="utf-8").splitlines()
    found = [f"{len(old_lines)} decisions -> {len(new_lines)}"] if len(old_lines) != len(new_lines) else []
    for old_line, new_line in zip(old_lines, new_lines, strict=False):
        old, new = json.loads(old_line), json.loads(new_line)
        found += [f"{old['case']}{where}" for where in differences(old, new)]
    for line in found[:50]:
        print(line)
    print(f"{len(old_lines):,} decisions compared, {len(found)} differences (numbers to {TOLERANCE:g})")
    return 1 if found else 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "dump":
        return dump(Path(argv[1]))
    if len(argv) == 3 and argv[0] == "compare":
        return compare(Path(argv[1]), Path(argv[2]))
    print("usage: python -m bench.route_snapshot dump FILE | compare OLD NEW", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
