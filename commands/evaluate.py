"""Score the router on a labelled JSONL file: accuracy, under- and over-routing, and a confusion table.

Format (shared/eval/README.md): one object a line with `id`, `text`, and for scoring `lane` and `acceptable`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from commands.errors import UsageError
from commands.policy import LANE_IDS, Policy
from commands.router import Decision, RouteOptions, route


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    lane: str | None
    acceptable: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    case: Case
    decision: Decision
    exact: bool | None
    acceptable: bool | None
    under_rungs: int  # how many rungs below the lowest acceptable rung (0 when not under-routed)
    over: bool


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def labelled(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.exact is not None]

    def rate(self, attribute: str) -> float:
        labelled = self.labelled
        if not labelled:
            return 0.0
        if attribute == "under":
            return sum(o.under_rungs > 0 for o in labelled) / len(labelled)
        return sum(bool(getattr(o, attribute)) for o in labelled) / len(labelled)

    @property
    def worst_under(self) -> int:
        return max((o.under_rungs for o in self.labelled), default=0)

    def confusion(self) -> dict[tuple[str, str], int]:
        return dict(Counter((o.case.lane or "", o.decision.lane.id) for o in self.labelled))

    def per_lane(self, lane: str) -> tuple[float | None, float | None, int]:
        """(precision, recall, cases labelled `lane`): of the tasks routed to `lane`, the share whose label
        is `lane`; of the tasks labelled `lane`, the share routed there. None where nothing to divide."""
        labelled = self.labelled
        routed = [o for o in labelled if o.decision.lane.id == lane]
        wanted = [o for o in labelled if o.case.lane == lane]
        precision = sum(o.case.lane == lane for o in routed) / len(routed) if routed else None
        recall = sum(o.decision.lane.id == lane for o in wanted) / len(wanted) if wanted else None
        return precision, recall, len(wanted)

    def reliability(self) -> list[tuple[str, int, float | None]]:
        """(confidence band, decisions in it, share acceptable): is the stated confidence honest?"""
        bands = (("high (>= 0.8)", 0.8, 2.0), ("medium (0.5-0.8)", 0.5, 0.8), ("low (< 0.5)", -1.0, 0.5))
        out: list[tuple[str, int, float | None]] = []
        for name, low, high in bands:
            inside = [o for o in self.labelled if low <= o.decision.confidence < high]
            out.append(
                (name, len(inside), sum(bool(o.acceptable) for o in inside) / len(inside) if inside else None)
            )
        return out


def read_cases(lines: Iterable[str], where: str = "<input>") -> Iterator[Case]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{where}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
            raise UsageError(f"{where}:{number}: each line needs a string field `text`")
        lane = raw.get("lane")
        if lane is not None and lane not in LANE_IDS:
            raise UsageError(f"{where}:{number}: unknown lane {lane!r}")
        acceptable = raw.get("acceptable")
        if acceptable is not None:
            if not isinstance(acceptable, list) or any(a not in LANE_IDS for a in acceptable):
                raise UsageError(
                    f"{where}:{number}: `acceptable` must be a list of lanes ({', '.join(LANE_IDS)})"
                )
            if lane is None:
                raise UsageError(f"{where}:{number}: `acceptable` given without `lane`")
            if lane not in acceptable:
                raise UsageError(f"{where}:{number}: `acceptable` must include the case's own lane {lane!r}")
        yield Case(
            str(raw.get("id", number)), raw["text"], lane, tuple(acceptable or ([lane] if lane else []))
        )


def evaluate(cases: Iterable[Case], policy: Policy, options: RouteOptions | None = None) -> Report:
    report = Report()
    for case in cases:
        decision = route(case.text, policy, options)
        if case.lane is None:
            report.outcomes.append(Outcome(case, decision, None, None, 0, False))
            continue
        rungs = [policy.lane(lane).rung for lane in case.acceptable]
        got = decision.lane.rung
        report.outcomes.append(
            Outcome(
                case,
                decision,
                exact=decision.lane.id == case.lane,
                acceptable=decision.lane.id in case.acceptable,
                under_rungs=max(0, min(rungs) - got),
                over=got > max(rungs),
            )
        )
    return report


def format_report(report: Report) -> str:
    labelled = report.labelled
    lines = [
        f"cases: {len(report.outcomes)} ({len(labelled)} labelled)",
        f"exact accuracy:      {report.rate('exact'):6.1%}",
        f"acceptable accuracy: {report.rate('acceptable'):6.1%}",
        f"under-routed:        {report.rate('under'):6.1%}  (worst: {report.worst_under} rung(s) below)",
        f"over-routed:         {report.rate('over'):6.1%}",
        "",
        "confusion (rows: label, columns: routed)",
    ]
    confusion = report.confusion()
    lines.append(" " * 10 + "".join(f"{lane:>9}" for lane in LANE_IDS))
    for label in LANE_IDS:
        lines.append(f"{label:>10}" + "".join(f"{confusion.get((label, got), 0):>9}" for got in LANE_IDS))
    lines += ["", "per lane (precision: routed there and labelled so; recall: labelled there and routed so)"]
    for lane in LANE_IDS:
        precision, recall, count = report.per_lane(lane)
        lines.append(
            f"{lane:>10}  precision {_share(precision)}  recall {_share(recall)}  ({count} labelled)"
        )
    lines += ["", "confidence vs outcome (share acceptable)"]
    for band, count, share in report.reliability():
        lines.append(f"{band:>18}  {count:>5} decisions  {_share(share)}")
    misses = [o for o in labelled if not o.acceptable]
    if misses:
        lines += ["", "not acceptable:"]
        lines += [
            f"  {o.case.id}: {o.decision.lane.id} (label {o.case.lane}) {o.case.text[:70]!r}" for o in misses
        ]
    return "\n".join(lines)


def _share(value: float | None) -> str:
    return "     -" if value is None else f"{value:6.1%}"
