"""The routing policy: providers, lanes and their roles, ladder, price overrides, from TOML into dataclasses.

The default policy ships beside this module (policy.toml); a team points ROUTEBOT_POLICY at its own copy.
Loading validates everything once, so the rest of the code can trust the values. Provider and lane ids come
from that file: PROVIDERS and LANE_IDS are the embedded policy's, for what has to know them before any
policy is loaded (command-line choices, ROUTEBOT_PROVIDER); code that has a Policy asks it
(`policy.providers`, `policy.lane_ids`, `policy.roles`).
Prices come from the genai-prices catalog (commands/pricing.py); the policy's [prices] only override it.
Context windows come from routebot's table (commands/context_windows.py); [context_windows] overrides it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from commands.context_windows import context_window as known_window
from commands.errors import ConfigError, PolicyError
from commands.lane_model import LaneModel, load_lane_model
from commands.model_names import ModelNames

if TYPE_CHECKING:  # imported in _rate: the embedded policy has no [prices], and `routebot route` starts cold
    from decimal import Decimal

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.toml")
DEFAULT_MODEL_NAME = "lane-model.bin"
# The shipped model's earlier name (a JSON file until format 4): copies of the default policy still say it.
_FORMER_MODEL_NAMES = {"lane-model.json": DEFAULT_MODEL_NAME}
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
DEFAULT_LANE_COLOR = "#8A8F98"  # a lane whose policy gives no colour is drawn in neutral grey
_HEX_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")


@cache
def _embedded() -> dict[str, Any]:
    """The embedded policy file as TOML, read once for the ids below."""
    return tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


PROVIDERS: tuple[str, ...] = tuple(_embedded()["providers"])
# Every policy defines these lanes: the router's rules and the lane model name them.
LANE_IDS: tuple[str, ...] = tuple(_embedded()["lanes"])


@dataclass(frozen=True)
class LaneRoles:
    """Which lane plays each part the code relies on, as the policy's [roles] table names them."""

    cheapest: str  # the bottom rung
    premium: str  # the deliberate rung: stakes raise a task at most this far; digests re-price runs here
    last_resort: str  # stepping onto it asks for confirmation; new channels need approval for it
    code: str  # code-local work


@dataclass(frozen=True)
class ModelChoice:
    provider: str
    model: str
    effort: str | None = None

    @property
    def label(self) -> str:
        """How people name it: `gpt-5.4 (high)`, `claude-opus-4-6`."""
        return f"{self.model} ({self.effort})" if self.effort else self.model


@dataclass(frozen=True)
class Lane:
    id: str
    title: str
    rung: int
    cost_class: str
    summary: str
    best_for: tuple[str, ...]
    escalate_when: str
    avoid_when: str
    models: dict[str, ModelChoice]
    escalates_to: str | None
    color: str = DEFAULT_LANE_COLOR  # "#RRGGBB": the lane in the digest's chart and anywhere it is drawn

    @property
    def rgb(self) -> tuple[int, int, int]:
        return (int(self.color[1:3], 16), int(self.color[3:5], 16), int(self.color[5:7], 16))


@dataclass(frozen=True)
class LongContextRate:
    above_input_tokens: int
    input: Decimal
    output: Decimal
    cache_read: Decimal | None


@dataclass(frozen=True)
class Price:
    """A policy's own price for a model, overriding the catalog's: USD per million tokens; None where the
    provider publishes no such rate."""

    model: str
    input: Decimal
    output: Decimal
    cache_read: Decimal | None
    cache_write: Decimal | None
    as_of: str
    source: str
    secondary_source: bool = False
    long_context: LongContextRate | None = None


@dataclass(frozen=True)
class Policy:
    path: str
    lanes: dict[str, Lane]
    ladder: tuple[str, ...]
    prices: dict[str, Price]
    context_windows: dict[str, int]  # [context_windows]: model -> tokens, over commands/context_windows.py
    provider_labels: dict[str, str]  # every provider the policy knows, in the policy's order
    roles: LaneRoles

    @property
    def providers(self) -> tuple[str, ...]:
        return tuple(self.provider_labels)

    @property
    def lane_ids(self) -> tuple[str, ...]:
        return tuple(self.lanes)

    # The router's part: the lane model named by [router] model, and the model and effort names that the
    # guide's failure rules recognise, read from the lanes above.
    lane_model: LaneModel
    model_names: ModelNames

    def lane(self, lane_id: str) -> Lane:
        return self.lanes[lane_id]

    def price_of(self, model: str) -> Price | None:
        """The policy's override for the model; commands.pricing.rates_of falls back to the catalog."""
        return self.prices.get(model)

    def context_window(self, model: str) -> int:
        """How many tokens `model` reads at once: the policy's figure, else the providers' published one."""
        if model in self.context_windows:
            return self.context_windows[model]
        return known_window(model)


def load_policy(path: str | Path | None = None, lane_model: LaneModel | None = None) -> Policy:
    """Read and validate a policy file; raises PolicyError naming the file, key and problem.

    `lane_model` replaces the model file the policy names (training starts from a blank one)."""
    file = Path(path) if path else DEFAULT_POLICY_PATH
    where = str(file)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError(where, "(file)", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(where, "(syntax)", f"not valid TOML: {exc}") from None
    return parse_policy(raw, where, file.parent, lane_model)


def parse_policy(
    raw: dict[str, Any],
    where: str = "<policy>",
    folder: Path | None = None,
    lane_model: LaneModel | None = None,
) -> Policy:
    labels = _provider_labels(raw, where)
    ladder = _ladder(raw, where)
    side = _table(raw.get("escalation", {}), "side_lanes", where, "escalation.side_lanes", required=False)
    lanes_raw = _table(raw, "lanes", where, "lanes")
    for lane_id in lanes_raw:
        if lane_id not in LANE_IDS:
            raise PolicyError(where, f"lanes.{lane_id}", f"unknown lane; lanes are {', '.join(LANE_IDS)}")
    for lane_id in LANE_IDS:
        if lane_id not in lanes_raw:
            raise PolicyError(where, f"lanes.{lane_id}", "missing lane")
    rungs = {lane_id: i for i, lane_id in enumerate(ladder)}
    climbs: dict[str, str | None] = {
        lane_id: (ladder[i + 1] if i + 1 < len(ladder) else None) for i, lane_id in enumerate(ladder)
    }
    for lane_id, spec in side.items():
        key = f"escalation.side_lanes.{lane_id}"
        if lane_id not in lanes_raw:
            raise PolicyError(where, key, "unknown lane")
        if lane_id in rungs:
            raise PolicyError(where, key, "lane is already on the ladder")
        rung = spec.get("rung")
        if not isinstance(rung, int) or not 0 <= rung < len(ladder):
            raise PolicyError(where, f"{key}.rung", f"must be an integer rung from 0 to {len(ladder) - 1}")
        target = spec.get("escalates_to")
        if target not in rungs or rungs[target] <= rung:
            raise PolicyError(where, f"{key}.escalates_to", "must name a ladder lane on a higher rung")
        rungs[lane_id], climbs[lane_id] = rung, target
    for lane_id in lanes_raw:
        if lane_id not in rungs:
            raise PolicyError(where, f"lanes.{lane_id}", "lane is neither on the ladder nor a side lane")
    lanes = {
        lane_id: _lane(lane_id, spec, rungs[lane_id], climbs[lane_id], labels, where)
        for lane_id, spec in lanes_raw.items()
    }
    prices_raw = _table(raw, "prices", where, "prices", required=False)
    prices = {model: _price(model, spec, where) for model, spec in prices_raw.items()}
    context_windows = _context_windows(raw, where)
    model_file = _router_model_file(raw, where, folder or DEFAULT_POLICY_PATH.parent)
    if lane_model is None:
        try:
            lane_model = load_lane_model(model_file)
        except ConfigError as exc:
            raise PolicyError(where, "router.model", str(exc)) from None
    else:
        lane_model = replace(lane_model, source=str(model_file))
    unknown = set(lane_model.lanes) - set(lanes)
    if unknown:
        raise PolicyError(
            where, "router.model", f"{model_file} routes to lanes this policy lacks: {sorted(unknown)}"
        )
    return Policy(
        path=where,
        lanes=lanes,
        ladder=ladder,
        prices=prices,
        context_windows=context_windows,
        provider_labels=labels,
        roles=_roles(raw, lanes, where),
        lane_model=lane_model,
        model_names=ModelNames.from_lanes(lanes.values()),
    )


def _router_model_file(raw: dict[str, Any], where: str, folder: Path) -> Path:
    """[router] model: a path, relative to the policy file's folder; a bare name the policy's folder lacks
    is looked up among the models that ship with routebot, so a copy of the default policy works as is."""
    name = _table(raw, "router", where, "router", required=False).get("model", DEFAULT_MODEL_NAME)
    if not isinstance(name, str) or not name.strip():
        raise PolicyError(where, "router.model", "must be the path of a lane model file")
    path = folder / name
    shipped = DEFAULT_POLICY_PATH.parent / _FORMER_MODEL_NAMES.get(name, name)
    if not path.exists() and Path(name).name == name and shipped.exists():
        return shipped
    return path


def _roles(raw: dict[str, Any], lanes: dict[str, Lane], where: str) -> LaneRoles:
    """[roles]; a role left out keeps the embedded policy's lane (copies made before roles existed)."""
    table = _table(raw, "roles", where, "roles", required=False)
    named: dict[str, str] = {}
    for role in fields(LaneRoles):
        lane_id = table.get(role.name, _embedded()["roles"][role.name])
        if not isinstance(lane_id, str) or lane_id not in lanes:
            raise PolicyError(where, f"roles.{role.name}", f"unknown lane {lane_id!r}")
        named[role.name] = lane_id
    for role_name in table:
        if role_name not in named:
            known = ", ".join(f.name for f in fields(LaneRoles))
            raise PolicyError(where, f"roles.{role_name}", f"unknown role; roles are {known}")
    return LaneRoles(**named)


def _table(raw: dict[str, Any], name: str, where: str, key: str, *, required: bool = True) -> dict[str, Any]:
    value = raw.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise PolicyError(where, key, "missing table" if value is None else "must be a table")
    return value


def _provider_labels(raw: dict[str, Any], where: str) -> dict[str, str]:
    table = _table(raw, "providers", where, "providers")
    for name in table:
        if name not in PROVIDERS:  # a provider needs an adapter (bot/providers/), not only a table here
            raise PolicyError(
                where, f"providers.{name}", f"unknown provider; known are {', '.join(PROVIDERS)}"
            )
    return {name: str(table.get(name, {}).get("label", name)) for name in PROVIDERS}


def _ladder(raw: dict[str, Any], where: str) -> tuple[str, ...]:
    ladder = _table(raw, "escalation", where, "escalation").get("ladder")
    if not isinstance(ladder, list) or not ladder:
        raise PolicyError(where, "escalation.ladder", "must be a non-empty list of lane ids")
    for lane_id in ladder:
        if lane_id not in LANE_IDS:
            raise PolicyError(where, "escalation.ladder", f"unknown lane {lane_id!r}")
    if len(set(ladder)) != len(ladder):
        raise PolicyError(where, "escalation.ladder", "a lane appears twice")
    return tuple(ladder)


def _text(spec: dict[str, Any], field: str, where: str, key: str) -> str:
    value = spec.get(field)
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(where, f"{key}.{field}", "must be a non-empty string")
    return value


def _lane(lane_id: str, spec: Any, rung: int, climbs: str | None, labels: dict[str, str], where: str) -> Lane:
    key = f"lanes.{lane_id}"
    if not isinstance(spec, dict):
        raise PolicyError(where, key, "must be a table")
    models_raw = spec.get("models")
    if not isinstance(models_raw, dict) or not models_raw:
        raise PolicyError(where, f"{key}.models", "lane has no model")
    models: dict[str, ModelChoice] = {}
    for provider, choice in models_raw.items():
        mkey = f"{key}.models.{provider}"
        if provider not in labels:
            raise PolicyError(where, mkey, f"unknown provider; known are {', '.join(PROVIDERS)}")
        if not isinstance(choice, dict) or not isinstance(choice.get("model"), str) or not choice["model"]:
            raise PolicyError(where, f"{mkey}.model", "lane has no model for this provider")
        effort = choice.get("effort")
        if effort is not None and effort not in EFFORTS:
            raise PolicyError(
                where, f"{mkey}.effort", f"unknown effort {effort!r}; known are {', '.join(EFFORTS)}"
            )
        models[provider] = ModelChoice(provider, choice["model"], effort)
    color = spec.get("color", DEFAULT_LANE_COLOR)
    if not isinstance(color, str) or not _HEX_COLOR.fullmatch(color):
        raise PolicyError(where, f"{key}.color", 'must be a colour written "#RRGGBB", e.g. "#3B82F6"')
    best_for = spec.get("best_for", [])
    if not isinstance(best_for, list) or not all(isinstance(b, str) for b in best_for):
        raise PolicyError(where, f"{key}.best_for", "must be a list of strings")
    return Lane(
        id=lane_id,
        title=_text(spec, "title", where, key),
        rung=rung,
        cost_class=_text(spec, "cost_class", where, key),
        summary=_text(spec, "summary", where, key),
        best_for=tuple(best_for),
        escalate_when=_text(spec, "escalate_when", where, key),
        avoid_when=_text(spec, "avoid_when", where, key),
        models=models,
        escalates_to=climbs,
        color=color.upper(),
    )


def _rate(spec: dict[str, Any], field: str, where: str, key: str, *, required: bool) -> Decimal | None:
    value = spec.get(field)
    if value is None:
        if required:
            raise PolicyError(where, f"{key}.{field}", "missing price")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PolicyError(where, f"{key}.{field}", "must be a number (USD per million tokens)")
    from decimal import Decimal, InvalidOperation

    try:
        # str() first: the decimal of 0.175 must be 0.175, not the binary float's expansion.
        rate = Decimal(str(value))
    except InvalidOperation:
        raise PolicyError(where, f"{key}.{field}", f"not a number: {value!r}") from None
    if not rate.is_finite() or rate < 0:
        raise PolicyError(where, f"{key}.{field}", f"price must be zero or more, got {value}")
    return rate


def _context_windows(raw: dict[str, Any], where: str) -> dict[str, int]:
    """[context_windows]: "model" = tokens. Any model may be named, not only the lanes' own: a conversation
    keeps the model it started on after a lane moves to another."""
    windows: dict[str, int] = {}
    for model, tokens in _table(raw, "context_windows", where, "context_windows", required=False).items():
        key = f'context_windows."{model}"'
        if isinstance(tokens, dict):  # `gpt-5.4 = 1` unquoted is TOML for a table gpt-5 holding 4
            raise PolicyError(
                where,
                key,
                'must be a number of tokens; quote a model name that has a dot, e.g. "gpt-5.4" = 1_050_000',
            )
        if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens <= 0:
            raise PolicyError(where, key, f"must be a positive whole number of tokens, got {tokens!r}")
        windows[model] = tokens
    return windows


def _price(model: str, spec: Any, where: str) -> Price:
    key = f'prices."{model}"'
    if not isinstance(spec, dict):
        raise PolicyError(where, key, "must be a table")
    long_context = None
    if "long_context" in spec:
        lc, lkey = spec["long_context"], f"{key}.long_context"
        threshold = lc.get("above_input_tokens") if isinstance(lc, dict) else None
        if not isinstance(threshold, int) or threshold <= 0:
            raise PolicyError(where, f"{lkey}.above_input_tokens", "must be a positive integer")
        long_context = LongContextRate(
            above_input_tokens=threshold,
            input=_rate(lc, "input", where, lkey, required=True),  # type: ignore[arg-type]
            output=_rate(lc, "output", where, lkey, required=True),  # type: ignore[arg-type]
            cache_read=_rate(lc, "cache_read", where, lkey, required=False),
        )
    return Price(
        model=model,
        input=_rate(spec, "input", where, key, required=True),  # type: ignore[arg-type]
        output=_rate(spec, "output", where, key, required=True),  # type: ignore[arg-type]
        cache_read=_rate(spec, "cache_read", where, key, required=False),
        cache_write=_rate(spec, "cache_write", where, key, required=False),
        as_of=_text(spec, "as_of", where, key),
        source=_text(spec, "source", where, key),
        secondary_source=bool(spec.get("secondary_source", False)),
        long_context=long_context,
    )
