"""The lane model at run time: a linear classifier over `text_features`, read from a compact JSON file.

Pure Python (the standard library only): routing needs no numpy or scikit-learn, only `routebot train`
does. Loading happens once, with the policy; `scores` does no I/O.

The file (written by `commands.training`) holds the lanes, one bias per lane, and for each kept feature its
idf squared and, per lane, its weight times its idf. The features are in sorted order, so each kind (`b `
pairs, `p ` pasted words) is one block. The features are one newline-separated string and the
numbers one base64 buffer of little-endian doubles, row after row: loading copies the buffer into an
`array` instead of parsing 200,000 JSON numbers, which was most of `routebot route`'s cold start.
A task's vector: each distinct word adds its own
features (`word_grams`) at their idf, each pair or pasted word adds its idf, and the whole is divided by
the square root of the sum of the squared idfs added, an L2 norm that can be summed word by word. A
feature's contribution to a lane is `weight * idf / norm`: what the card quotes as the words that decided it.
"""

from __future__ import annotations

import base64
import bisect
import json
import math
import operator
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from commands.errors import ConfigError
from commands.text_features import Features, word_grams

FORMAT = "routebot-lane-model/3"


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
    scale: float  # 1 / norm: a row's contribution to lane k is row[1 + k] * scale
    # The rows added up (idf squared, then weight x idf per lane): those of the words, then pairs, then
    # pasted words, leaving out the features the model did not keep.
    hits: list[Sequence[float]]
    # Each feature read and its row, empty or None when the model did not keep it: who the hits belong to.
    words: list[str]
    word_rows: list[Sequence[float]]
    pairs: list[tuple[str, str]]
    pair_rows: list[Sequence[float] | None]
    pasted: list[str]
    pasted_rows: list[Sequence[float] | None]

    def strongest(self, lane: str, other: str, count: int) -> list[tuple[float, str]]:
        """The `count` rows that pull hardest toward `lane` rather than `other`: (pull, the word it belongs
        to, a pair to its second word), strongest first, only rows that pull that way."""
        lanes = tuple(self.probabilities)
        a, b = 1 + lanes.index(lane), 1 + lanes.index(other)
        hits = self.hits
        pulls = list(map(operator.sub, map(itemgetter(a), hits), map(itemgetter(b), hits)))
        # Sorting indices by a C key in C beats a Python loop over every row; ties go to the earlier row.
        order = sorted(range(len(pulls)), key=pulls.__getitem__, reverse=True)[:count]
        owners = [
            *compress(self.words, self.word_rows),
            *map(itemgetter(1), compress(self.pairs, self.pair_rows)),
            *compress(self.pasted, self.pasted_rows),
        ]
        return [(pulls[i] * self.scale, owners[i]) for i in order if pulls[i] > 0]


_NO_ROW: Sequence[float] = ()  # a word none of whose features the model kept
_WORD_CACHE_LIMIT = 200_000  # distinct words remembered; past it, new words are summed each time


@dataclass(frozen=True)
class LaneModel:
    lanes: tuple[str, ...]
    bias: tuple[float, ...]
    rows: dict[str, Sequence[float]]  # feature -> [idf squared, weight x idf for each lane]
    temperature: float
    under_cost: float  # how much worse one rung under is than one rung over, for the decision rule
    calibration: Calibration
    source: str
    # The rows of the `b <word> <word>` and `p <word>` features, keyed as `Features` holds them.
    pair_rows: dict[tuple[str, str], Sequence[float]] = field(default_factory=dict, compare=False, repr=False)
    pasted_rows: dict[str, Sequence[float]] = field(default_factory=dict, compare=False, repr=False)
    # A word's summed row, remembered: the same pure function of the word every time, only faster.
    word_rows: dict[str, Sequence[float]] = field(default_factory=dict, compare=False, repr=False)

    def word_row(self, norm: str) -> Sequence[float]:
        row = self.word_rows.get(norm)
        if row is not None:
            return row
        rows = self.rows
        found = [hit for hit in map(rows.get, word_grams(norm)) if hit is not None]
        row = tuple(map(sum, zip(*found, strict=True))) if found else _NO_ROW
        if len(self.word_rows) < _WORD_CACHE_LIMIT:
            self.word_rows[norm] = row
        return row

    def scores(self, found: Features) -> Scored:
        # Per word, only work that runs in C (`map`, `filter`, `zip`, `sum`): most words of a chat have been
        # seen before, so their summed rows are remembered, and a pair or pasted word is one lookup.
        words = list(found.words)
        remembered = list(map(self.word_rows.get, words))
        word_row = self.word_row
        word_rows: list[Sequence[float]] = (
            [row if row is not None else word_row(word) for word, row in zip(words, remembered, strict=True)]
            if None in remembered
            else remembered  # type: ignore[assignment]  # no None left in it
        )
        pairs = list(found.pairs)
        pair_rows = list(map(self.pair_rows.get, pairs))
        pasted = list(found.pasted)
        pasted_rows = list(map(self.pasted_rows.get, pasted))
        hits = [*filter(None, word_rows), *filter(None, pair_rows), *filter(None, pasted_rows)]
        totals = list(map(sum, zip(*hits, strict=True))) if hits else [0.0] * (len(self.lanes) + 1)
        scale = 1 / math.sqrt(totals[0]) if totals[0] > 0 else 0.0
        temperature = self.temperature
        logits = [(b + t * scale) / temperature for b, t in zip(self.bias, totals[1:], strict=True)]
        top = max(logits)
        exps = list(map(math.exp, map(operator.sub, logits, repeat(top))))
        total = sum(exps)
        probabilities = dict(zip(self.lanes, map(operator.truediv, exps, repeat(total)), strict=True))
        return Scored(probabilities, scale, hits, words, word_rows, pairs, pair_rows, pasted, pasted_rows)


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
        width = len(lanes) + 1
        features = str(raw["features"]).split("\n") if raw["features"] else []
        weights = array("d", base64.b64decode(raw["weights"], validate=True))
        if sys.byteorder == "big":
            weights.byteswap()
        if len(weights) != len(features) * width:
            raise ValueError("a row does not have one weight per lane")
        # Rows are stored as scoring adds them up (idf squared, then weight x idf per lane); cutting the
        # buffer into one tuple per feature happens in C.
        cut = zip(*[iter(weights)] * width, strict=False)  # the length was checked just above
        rows: dict[str, Sequence[float]] = dict(zip(features, cut, strict=True))
        bias = tuple(float(b) for b in raw["bias"])
        cal = raw["calibration"]
        calibration = Calibration(float(cal["slope"]), float(cal["intercept"]), float(cal["ruled"]))
        temperature, under_cost = float(raw["temperature"]), float(raw["under_cost"])
    except (KeyError, TypeError, ValueError) as exc:  # binascii.Error is a ValueError
        raise ConfigError(
            f"{where}: lane model is damaged ({exc!r}); rebuild it with `routebot train`"
        ) from None
    if len(rows) != len(features) or len(bias) != len(lanes) or temperature <= 0:
        raise ConfigError(
            f"{where}: lane model is damaged (sizes disagree); rebuild it with `routebot train`"
        )
    # Features are stored sorted, so each kind is one block: only the pairs' and pasted words' blocks are
    # keyed again, as `Features` holds them.
    pairs = _block(features, "b ")
    pasted = _block(features, "p ")
    return LaneModel(
        lanes=lanes,
        bias=bias,
        rows=rows,
        temperature=temperature,
        under_cost=under_cost,
        calibration=calibration,
        source=where,
        pair_rows={tuple(f[2:].split(" ", 1)): rows[f] for f in pairs},  # type: ignore[misc]
        pasted_rows={f[2:]: rows[f] for f in pasted},
    )


def _block(features: list[str], prefix: str) -> list[str]:
    """The features of one kind (`b `, `p `): a block of the sorted list."""
    start = bisect.bisect_left(features, prefix)
    end = bisect.bisect_left(features, prefix[:-1] + chr(ord(prefix[-1]) + 1), start)
    return features[start:end]


def encode_weights(rows: Sequence[Sequence[float]]) -> str:
    """The model file's `weights`: every row's numbers, in order, as base64 of little-endian doubles."""
    weights = array("d", (value for row in rows for value in row))
    if sys.byteorder == "big":
        weights.byteswap()
    return base64.b64encode(weights.tobytes()).decode("ascii")


def blank_lane_model(lanes: tuple[str, ...]) -> LaneModel:
    """A model that knows no words (every lane equally likely): what training starts from."""
    return LaneModel(
        lanes=lanes,
        bias=(0.0,) * len(lanes),
        rows={},
        temperature=1.0,
        under_cost=1.0,
        calibration=Calibration(1.0, 0.0, 0.5),
        source="(blank)",
    )
