"""The router: a pure function from task text (and the caller's options) to a routing decision.

No Slack, SDK, environment or clock in here; everything it needs arrives as arguments, so it is cheap to
call (under 100 microseconds for a typical task) and trivial to test. The guide's logic, in order:

1. Read the kind of task from cue phrases (classification -> cheap, implementation -> default, architecture
   review -> premium, refactor -> code, ...) and pick the lane with the most evidence.
2. Apply the modifiers the guide names: stakes raise a task one rung (never past premium), ambiguity is
   premium work, volume and latency pressure favour the cheap lane for cheap-shaped work.
3. An earlier failure moves the task one rung above the rung that failed. Only a failure at the premium
   rung, or an explicit demand for maximum effort with cost or time no object, reaches `max`.
4. Explicit options win over all of it. Text with no cue falls to `default`, marked low confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from commands.cue_index import CueIndex
from commands.cues import CUES, FAILED_MODELS, FAILURE_WORDS, GENERIC_FAILURE
from commands.policy import PROVIDERS, Lane, ModelChoice, Policy

# Only the start and the end of a long task are read for cues: requests state their kind up front and add
# notes ("Sonnet failed twice", "cost is no concern") at the end, with pasted material in between. This
# bounds the cost of a decision on a 40,000-character paste to that of a 1,300-character task.
HEAD_CHARS = 1000
TAIL_CHARS = 300
_KIND_LANES = ("cheap", "default", "premium", "code")
_FENCED_CODE = re.compile(r"```.*?(?:```|$)", re.S)
_CLAUSES = re.compile(r"[.;!?]+(?:\s|$)|\n")


@dataclass(frozen=True)
class RouteOptions:
    lane: str | None = None
    provider: str = "anthropic"
    allowed_providers: tuple[str, ...] = PROVIDERS


@dataclass(frozen=True)
class Evidence:
    label: str
    quote: str
    target: str


@dataclass(frozen=True)
class Alternative:
    lane: str
    why: str
    models: dict[str, ModelChoice] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Decision:
    lane: Lane
    provider: str
    model: ModelChoice
    models: dict[str, ModelChoice]
    confidence: float
    reasons: tuple[str, ...]
    cues: tuple[Evidence, ...]
    alternatives: tuple[Alternative, ...]
    explicit: bool = False
    scores: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def confidence_label(self) -> str:
        if self.confidence >= 0.75:
            return "high"
        return "medium" if self.confidence >= 0.5 else "low"


_MECHANICAL = ("classify", "sentiment", "extract", "triage", "reformat", "lint")
_PROCESS_DOC = re.compile(
    r"\b(?:template|matrix|checklist|runbook|playbook|training|process|guide)\b", re.IGNORECASE
)
_TEMPLATE = re.compile(r"\btemplates?\b", re.IGNORECASE)
_STAKES = ("exec", "legal", "incident")
# A stakes word that is only the topic of other items ("tickets that mention data loss") raises nothing.
_TOPIC_BEFORE = re.compile(
    r"(?:mention(?:s|ing)?|about|regarding|tagged|labell?ed|related to|referenc\w+)\s+(?:\w+\s+)?$",
    re.IGNORECASE,
)


_CASED = ("code_ref", "code_file", "camel_case")
# Identifiers (CamelCase, snake_case, file names) need case; everything else is matched case-insensitively.
_INDEX = CueIndex([(c.id, c.pattern, 0 if c.id in _CASED else re.IGNORECASE, c.gate) for c in CUES])
_BY_ID = {c.id: c for c in CUES}
# These run on lower-cased text, which is faster than IGNORECASE.
_FAILURE_RE = re.compile(FAILURE_WORDS)
_FAILED_MODEL_RES = tuple((rung, re.compile(p)) for rung, p in FAILED_MODELS)
_GENERIC_FAILURE_RE = re.compile(GENERIC_FAILURE)


def find_cues(text: str) -> dict[str, list[str]]:
    """Cue id -> the phrases that matched, in order (overlapping matches of one cue count once)."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for cue_id, start, end in _INDEX.matches(text):
        spans.setdefault(cue_id, []).append((start, end))
    found: dict[str, list[str]] = {}
    for cid, cue_spans in sorted(spans.items(), key=lambda item: min(item[1])):
        last_end = -1
        for start, end in sorted(cue_spans):
            if start < last_end:
                continue
            last_end = end
            if cid in _STAKES and _TOPIC_BEFORE.search(text, max(0, start - 40), start):
                continue
            found.setdefault(cid, []).append(text[start:end].strip())
    return found


def failed_rung(text: str) -> tuple[int | None, str]:
    """The highest ladder rung the text says already failed, with the clause that says so."""
    best: tuple[int | None, str] = (None, "")
    text = text.lower()
    if not _FAILURE_RE.search(text):
        return best
    for clause in _CLAUSES.split(text):
        if not _FAILURE_RE.search(clause):
            continue
        for rung, pattern in _FAILED_MODEL_RES:
            if pattern.search(clause):
                if best[0] is None or rung > best[0]:
                    best = (rung, clause.strip())
                break
    return best


def route(text: str, policy: Policy, options: RouteOptions | None = None) -> Decision:
    options = options or RouteOptions()
    analysed = text if len(text) <= HEAD_CHARS + TAIL_CHARS else text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]
    head = _FENCED_CODE.sub(" ``` ", analysed)
    found = find_cues(head)
    evidence = tuple(
        Evidence(_BY_ID[cid].label, quotes[0][:60], _BY_ID[cid].target) for cid, quotes in found.items()
    )
    scores = {lane: 0.0 for lane in _KIND_LANES}
    for cid, quotes in found.items():
        cue = _BY_ID[cid]
        strength = cue.weight + 0.5 * min(len(quotes) - 1, 2)
        if cue.target in scores:
            scores[cue.target] += strength
        elif cue.target == "ambiguity":
            scores["premium"] += strength
    has = found.__contains__
    reasons: list[str] = []

    if scores["cheap"] > 0:
        # Volume and latency pressure make cheap-shaped work cheaper still; they never lower hard work.
        for modifier in ("volume", "latency"):
            if has(modifier):
                scores["cheap"] += _BY_ID[modifier].weight
    if scores["code"] > 0 and scores["code"] <= 1.0:
        scores["code"] = 0.0  # generic code words alone are not a code task

    ranked = sorted(_KIND_LANES, key=lambda lane: (scores[lane], policy.lane(lane).rung), reverse=True)
    top, runner_up = ranked[0], ranked[1]
    margin = scores[top] - scores[runner_up]
    if scores[top] == 0:
        lane_id, confidence = "default", 0.3
        reasons.append("no clear task cue: the default lane is the safe middle; escalate if it falls short")
    else:
        lane_id = top
        confidence = min(0.95, 0.45 + 0.08 * margin + 0.04 * scores[top])
        reasons.append(_kind_reason(top, found))
        # Where premium evidence is nearly as strong as the winner, under-routing is the costlier mistake.
        bulk_mechanical = top == "cheap" and has("volume") and any(has(c) for c in _MECHANICAL)
        if top != "premium" and not bulk_mechanical and scores["premium"] >= max(3.5, scores[top] - 1.0):
            lane_id = "premium"
            reasons.append(_kind_reason("premium", found) + " outweighs it")
            confidence = 0.55

    rung = policy.lane(lane_id).rung
    # Stakes raise the work one rung, but not code-local edits (a script that exports the board list is
    # still a script), nor mechanical cheap work (tagging incident tickets is still tagging). Incident words
    # raise reasoning about an incident, not cheap messages or templates about incidents in general.
    raising = [c for c in _STAKES if has(c)]
    if lane_id == "cheap":
        mechanical = any(has(c) for c in _MECHANICAL) or has("volume")
        raising = [] if mechanical else [c for c in raising if c != "incident"]
    elif (_PROCESS_DOC.search(head) and raising == ["incident"]) or _TEMPLATE.search(head):
        raising = []  # a template or guide *about* incidents or reviews is ordinary writing
    if raising and lane_id not in ("premium", "code"):
        raised = _lane_at(policy, min(rung + 1, policy.lane("premium").rung))
        reasons.append(f'stakes ("{found[raising[0]][0]}") raise {lane_id} to {raised}')
        lane_id, confidence = raised, max(confidence, 0.6)

    failed, clause = failed_rung(head)
    generic_failure = _GENERIC_FAILURE_RE.search(head.lower())
    if failed is not None:
        target = _lane_at(policy, min(failed + 1, len(policy.ladder) - 1))
        if (
            scores["code"] >= scores["default"]
            and scores["code"] > 0
            and policy.lane("code").rung == failed + 1
        ):
            target = (
                "code"  # a failed cheap attempt at code work climbs to the code lane, same rung as default
            )
        if policy.lane(target).rung > policy.lane(lane_id).rung:
            reasons.append(f'earlier failure ("{_clip(clause)}"): one rung above what failed, {target}')
            lane_id = target
        confidence = max(confidence, 0.85)
    elif generic_failure and lane_id != "premium" and policy.lane(lane_id).rung < policy.lane("premium").rung:
        raised = _lane_at(policy, policy.lane(lane_id).rung + 1)
        reasons.append(
            f'earlier attempts failed ("{_clip(generic_failure.group(0))}"): {lane_id} -> {raised}'
        )
        lane_id, confidence = raised, max(confidence, 0.7)

    if lane_id != "max" and has("max_demand"):
        demand = found["max_demand"][0]
        if any(has(c) for c in ("no_limit", "last_try")) or failed is not None or generic_failure:
            why = next((found[c][0] for c in ("no_limit", "last_try") if has(c)), "an earlier failure")
            reasons.append(f'explicit demand for maximum effort ("{demand}") with "{why}": max')
            lane_id, confidence = "max", max(confidence, 0.85)
        elif policy.lane(lane_id).rung < policy.lane("premium").rung:
            reasons.append(f'asks for maximum effort ("{demand}"): premium; max needs cost to be no object')
            lane_id = "premium"

    explicit = options.lane is not None
    if explicit:
        assert options.lane is not None
        reasons.insert(0, f"lane chosen explicitly (--lane {options.lane}); the router suggested {lane_id}")
        lane_id, confidence = options.lane, 1.0

    lane = policy.lane(lane_id)
    provider = _provider_for(lane, options)
    alternatives = _alternatives(policy, lane, ranked, scores)
    return Decision(
        lane=lane,
        provider=provider,
        model=lane.models[provider],
        models=dict(lane.models),
        confidence=round(confidence, 2),
        reasons=tuple(reasons),
        cues=evidence,
        alternatives=alternatives,
        explicit=explicit,
        scores=scores,
    )


def _lane_at(policy: Policy, rung: int) -> str:
    return policy.ladder[max(0, min(rung, len(policy.ladder) - 1))]


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind_reason(lane: str, found: dict[str, list[str]]) -> str:
    quotes = [
        f'{_BY_ID[cid].label} ("{quotes[0][:40]}")'
        for cid, quotes in found.items()
        if _BY_ID[cid].target == lane or (lane == "premium" and _BY_ID[cid].target == "ambiguity")
    ]
    return f"{lane}: " + ", ".join(quotes[:3])


def _provider_for(lane: Lane, options: RouteOptions) -> str:
    for provider in (options.provider, *options.allowed_providers):
        if provider in lane.models and provider in options.allowed_providers:
            return provider
    return next(iter(lane.models))


def _alternatives(
    policy: Policy, lane: Lane, ranked: list[str], scores: dict[str, float]
) -> tuple[Alternative, ...]:
    out: list[Alternative] = []
    for other in ranked:
        if other != lane.id and scores[other] > 0:
            out.append(Alternative(other, "also fits what the task says", policy.lane(other).models))
            break
    if lane.escalates_to and all(a.lane != lane.escalates_to for a in out):
        target = policy.lane(lane.escalates_to)
        out.append(Alternative(target.id, "if this lane's answer falls short", target.models))
    if lane.id == "code" and all(a.lane != "default" for a in out):
        general = policy.lane("default")
        out.append(
            Alternative("default", "general lane, when the task is broader than code edits", general.models)
        )
    return tuple(out)
