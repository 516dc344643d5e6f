"""The lane model at run time: a linear classifier over `text_features`, read from a compact JSON file.

Pure Python (stdlib `array` and `math`): routing needs no numpy or scikit-learn, only `routebot train` does.
Loading happens once, with the policy; `scores` does no I/O.

The file (written by `commands.training`) holds the lanes, one bias per lane, and for each kept feature its
idf and one weight per lane. A task's feature vector is binary presence times idf, L2-normalised over the
features the model knows (as scikit-learn's TfidfVectorizer does), so each present feature's contribution to
a lane is `weight * idf / norm`: that is what the card quotes as the words that decided it.
"""

from __future__ import annotations

import json
import math
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commands.errors import ConfigError

FORMAT = "routebot-lane-model/1"


@dataclass(frozen=True)
class Calibration:
    """Platt scaling of the model's top probability into the chance the decision is acceptable."""

    slope: float
    intercept: float
    ruled: float  # share acceptable of decisions that a rule moved (failure, demand), measured out of fold

    def confidence(self, probability: float) -> float:
        p = min(max(probability, 1e-6), 1 - 1e-6)
        return 1 / (1 + math.exp(-(self.slope * math.log(p / (1 - p)) + self.intercept)))


@dataclass(frozen=True)
class Scored:
    probabilities: dict[str, float]
    contributions: dict[int, dict[str, float]]  # word index -> lane -> summed contribution of its features


@dataclass(frozen=True)
class LaneModel:
    lanes: tuple[str, ...]
    bias: tuple[float, ...]
    index: dict[str, int]
    weights: array  # per feature: idf, then one weight per lane
    temperature: float
    under_cost: float  # how much worse one rung under is than one rung over, for the decision rule
    calibration: Calibration
    source: str

    def scores(self, features: dict[str, int]) -> Scored:
        width = len(self.lanes) + 1
        weights, lookup = self.weights, self.index.get
        hits: list[tuple[int, int]] = []
        norm2 = 0.0
        for feature, word in features.items():
            row = lookup(feature)
            if row is not None:
                offset = row * width
                idf = weights[offset]
                norm2 += idf * idf
                hits.append((offset, word))
        lanes = self.lanes
        totals = list(self.bias)
        contributions: dict[int, dict[str, float]] = {}
        if hits:
            scale = 1 / math.sqrt(norm2)
            for offset, word in hits:
                value = weights[offset] * scale
                per_word = contributions.setdefault(word, dict.fromkeys(lanes, 0.0))
                for k, lane in enumerate(lanes):
                    share = weights[offset + 1 + k] * value
                    totals[k] += share
                    per_word[lane] += share
        top = max(totals)
        exps = [math.exp((t - top) / self.temperature) for t in totals]
        total = sum(exps)
        return Scored({lane: e / total for lane, e in zip(lanes, exps, strict=True)}, contributions)


def load_lane_model(path: Path) -> LaneModel:
    where = str(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{where}: router model file not found; run `routebot train` to build one"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"{where}: router model file unreadable ({exc}); rebuild it with `routebot train`"
        ) from None
    return parse_lane_model(raw, where)


def parse_lane_model(raw: Any, where: str) -> LaneModel:
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ConfigError(
            f"{where}: not a routebot lane model (format {FORMAT}); rebuild it with `routebot train`"
        )
    try:
        lanes = tuple(str(lane) for lane in raw["lanes"])
        features = [str(f) for f in raw["features"]]
        flat = array("d", (float(v) for row in raw["weights"] for v in row))
        bias = tuple(float(b) for b in raw["bias"])
        cal = raw["calibration"]
        calibration = Calibration(float(cal["slope"]), float(cal["intercept"]), float(cal["ruled"]))
        temperature, under_cost = float(raw["temperature"]), float(raw["under_cost"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"{where}: lane model is damaged ({exc!r}); rebuild it with `routebot train`"
        ) from None
    if len(flat) != len(features) * (len(lanes) + 1) or len(bias) != len(lanes) or temperature <= 0:
        raise ConfigError(
            f"{where}: lane model is damaged (sizes disagree); rebuild it with `routebot train`"
        )
    return LaneModel(
        lanes=lanes,
        bias=bias,
        index={feature: i for i, feature in enumerate(features)},
        weights=flat,
        temperature=temperature,
        under_cost=under_cost,
        calibration=calibration,
        source=where,
    )


def blank_lane_model(lanes: tuple[str, ...]) -> LaneModel:
    """A model that knows no words (every lane equally likely): what training starts from."""
    return LaneModel(
        lanes=lanes,
        bias=(0.0,) * len(lanes),
        index={},
        weights=array("d"),
        temperature=1.0,
        under_cost=1.0,
        calibration=Calibration(1.0, 0.0, 0.5),
        source="(blank)",
    )
