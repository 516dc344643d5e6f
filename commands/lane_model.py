"""The lane model at run time: a linear classifier over `text_features`, read from a compact binary file.

Pure Python (the standard library only): routing needs no numpy or scikit-learn, only `routebot train`
does. Loading happens once, with the policy; `scores` does no I/O.

The model holds the lanes, one bias per lane, and for each kept feature a row: its idf squared and, per
lane, its weight times its idf. A task's vector: each distinct word adds its own features (`word_grams`) at
their idf, each pair or pasted word adds its idf, and the whole is divided by the square root of the sum of
the squared idfs added, an L2 norm that can be summed word by word. A feature's contribution to a lane is
`weight * idf / norm`: what the card quotes as the words that decided it.

The file (written by `encode_lane_model` for `commands.training`) is read with the standard library alone,
and without a Python step per feature, since reading it is most of `routebot route`'s cold start:

    routebot-lane-model/5\\n            the format line: another version is refused, not misread
    two little-endian uint64          the byte lengths of the header and of the names
    header                            UTF-8 JSON: lanes, bias, temperature, under_cost, first_step_cost,
                                      calibration,
                                      trained_on, and how many features of each kind follow
    names                             UTF-8, one per line: the word features (`w `, `c `), sorted; the
                                      pairs' first words, then their second words; the pasted words
    weights                           little-endian doubles, one row per feature in the order named
    word sums                         the same, one row per `w ` feature in the order named: the sum of
                                      the rows of that word's own features (`word_grams`), added up as
                                      routing adds them (`_WordRows.summed`), so a known word is read
                                      with one binary search and one row

The word features' rows stay in the file's bytes, unread: the first time a word is read, its stored sum is
found by binary search among the `w ` names (contiguous in the sorted names), or, for a word the model
kept no `w ` feature of (a typo, a name, a number), its n-grams' rows are found (by binary search too,
until a process has searched for so many that a dict of every name's position costs less) and summed;
either way the sum is remembered. So loading builds no object per word feature beyond its name (a dict
of the 30,000 names, or one tuple per row, took longer than all the rest of the load together). The
pairs and pasted words are few and are cut into rows at once, keyed as `Features` holds them (a pair's
two words are stored apart so that `zip` makes the keys). Nothing in the file is executed or unpickled:
`struct` reads numbers, `json` the header.
"""

from __future__ import annotations

import gc
import json
import math
import operator
import struct
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import compress, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple, cast

from commands.errors import ConfigError
from commands.text_features import Features, word_grams

FORMAT = "routebot-lane-model/5"
_MAGIC = (FORMAT + "\n").encode("ascii")
_SIZES = struct.Struct("<QQ")  # header bytes, names bytes
_PAIR, _PASTED = "b ", "p "  # the prefixes training gives pair and pasted-word features


@dataclass(frozen=True)
class Calibration:
    """Platt scaling of the model's top probability into the chance the decision is acceptable."""

    slope: float
    intercept: float
    ruled: float  # share acceptable of decisions that a rule moved (failure, demand), measured out of fold

    def confidence(self, probability: float) -> float:
        p = min(max(probability, 1e-6), 1 - 1e-6)
        return 1 / (1 + math.exp(-(self.slope * math.log(p / (1 - p)) + self.intercept)))


# A NamedTuple rather than a frozen dataclass: one is built per decision, and a frozen dataclass's
# `__init__` sets each of its fields through `object.__setattr__`, several times slower.
class Scored(NamedTuple):
    probabilities: dict[str, float]
    scale: float  # 1 / norm: a row's contribution to lane k is row[1 + k] * scale
    # The rows added up (idf squared, then weight x idf per lane), as columns: column k holds the k-th
    # number of each row, those of the words, then pairs, then pasted words, leaving out the features the
    # model did not keep. (Kept as `zip` turned them to be summed: a lane's column is ready for `strongest`.)
    columns: list[tuple[float, ...]]
    # Each feature read, and its row (empty or None when the model did not keep it): who the rows belong to.
    found: Features
    word_rows: list[Sequence[float]]
    pair_rows: list[Sequence[float] | None]
    pasted_rows: list[Sequence[float] | None]

    def strongest(self, lane: str, other: str, count: int) -> list[tuple[float, str]]:
        """The `count` rows that pull hardest toward `lane` rather than `other`: (pull, the word it belongs
        to, a pair to its second word), strongest first, only rows that pull that way."""
        lanes = tuple(self.probabilities)
        a, b = 1 + lanes.index(lane), 1 + lanes.index(other)
        pulls = list(map(operator.sub, self.columns[a], self.columns[b]))
        # Sorting indices by a C key in C beats a Python loop over every row; ties go to the earlier row.
        order = sorted(range(len(pulls)), key=pulls.__getitem__, reverse=True)[:count]
        found = self.found
        owners = [
            *compress(found.words, self.word_rows),
            *map(itemgetter(1), compress(found.pairs, self.pair_rows)),
            *compress(found.pasted, self.pasted_rows),
        ]
        return [(pulls[i] * self.scale, owners[i]) for i in order if pulls[i] > 0]


_NO_ROW: Sequence[float] = ()  # a word none of whose features the model kept
_WORD_CACHE_LIMIT = 200_000  # distinct words remembered; past it, new words are summed each time
# Word features searched for (by bisection in the sorted names) after which every name gets its position
# in a dict instead. Building it takes 9-13 ms and 4.4 MiB, and a lookup there saves some 0.4 us against a
# search: it pays for itself after about this many more, so a one-off `routebot route` (at most a few
# thousand) never builds it, and a process that keeps reading new words stops searching once searching
# has cost it what the dict would have.
_POSITIONS_AFTER = 25_000
_WORD, _NEXT_AFTER_WORDS = "w ", "w!"  # every `w ` name sorts from the one to before the other
_KEPT = partial(operator.is_not, None)  # `filter`'s test for a position found, in C


class _WordRows(dict[str, Sequence[float]]):
    """Each word's summed row, remembered: the same pure function of the word every time, only faster.

    A word seen for the first time is read by `__missing__`, so a task's words are looked up with one
    `map(rows.__getitem__, words)` in C, with no pass afterwards to find the words not yet seen. A word
    the model kept a `w ` feature for has its sum stored in the file (`word_sums`, one row per `w ` name
    from `words_at` on); any other word (a typo, a name, a number) is summed from its n-grams' rows."""

    def __init__(
        self, grams: Sequence[str], gram_rows: memoryview, row: struct.Struct, word_sums: memoryview
    ) -> None:
        super().__init__()
        self.grams, self.gram_rows, self.row, self.word_sums = grams, gram_rows, row, word_sums
        self.words_at = bisect_left(grams, _WORD)
        self.words_end = bisect_left(grams, _NEXT_AFTER_WORDS, self.words_at)
        self.positions: dict[str, int] | None = None  # each name's index in `grams`, once built
        self.searched = 0

    def summed(self, norm: str) -> Sequence[float]:
        """The sum of the rows of the word's own features the model kept, in `word_grams`' order: what the
        file stores for a word with a `w ` feature (`encode_lane_model` writes it with this function)."""
        return self._sum_of(word_grams(norm))

    def _sum_of(self, grams: Sequence[str]) -> Sequence[float]:
        row = self.row
        offsets = map(operator.mul, self._positions_of(grams), repeat(row.size))
        found = list(map(row.unpack_from, repeat(self.gram_rows), offsets))
        return tuple(map(sum, zip(*found, strict=True))) if found else _NO_ROW

    def _positions_of(self, grams: Sequence[str]) -> Iterable[int]:
        """The indices in the sorted names of those of `grams` the model kept, in order: by bisection
        until `_POSITIONS_AFTER` searches, then from the dict of every name's position."""
        positions = self.positions
        if positions is not None:
            # `filter` with `is not None` in C keeps position 0, which `filter(None, …)` would drop.
            return cast(Iterable[int], filter(_KEPT, map(positions.get, grams)))
        names, count = self.grams, len(self.grams)
        found = []
        for gram in grams:
            index = bisect_left(names, gram)
            if index < count and names[index] == gram:
                found.append(index)
        self.searched += len(grams)
        if self.searched >= _POSITIONS_AFTER:
            self.positions = dict(zip(names, range(count), strict=True))
        return found

    def __missing__(self, norm: str) -> Sequence[float]:
        name, grams, end = _WORD + norm, self.grams, self.words_end
        index = bisect_left(grams, name, self.words_at, end)
        if index < end and grams[index] == name:
            row: Sequence[float] = self.row.unpack_from(
                self.word_sums, (index - self.words_at) * self.row.size
            )
        else:  # the model kept no `w ` feature of this word: only its n-grams can add to its row
            row = self._sum_of(word_grams(norm)[1:])
        if len(self) < _WORD_CACHE_LIMIT:
            self[norm] = row
        return row


@dataclass(frozen=True)
class LaneModel:
    lanes: tuple[str, ...]
    bias: tuple[float, ...]
    # The word features (`w <word>`, `c <n-gram>`), sorted, and their rows, one after another in `row`'s
    # layout (little-endian doubles: the idf squared, then one weight per lane).
    grams: Sequence[str]
    gram_rows: memoryview
    row: struct.Struct
    # The summed row of each word with a `w ` feature, in the order of those names (`_WordRows`).
    word_sums: memoryview
    temperature: float
    under_cost: float  # how much worse one rung under is than one rung over, for the decision rule
    first_step_cost: float  # the same for one rung under the second rung: the cheapest model failed
    calibration: Calibration
    source: str
    # The rows of the `b <word> <word>` and `p <word>` features, keyed as `Features` holds them.
    pair_rows: dict[tuple[str, str], Sequence[float]] = field(default_factory=dict, compare=False, repr=False)
    pasted_rows: dict[str, Sequence[float]] = field(default_factory=dict, compare=False, repr=False)
    word_rows: _WordRows = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "word_rows", _WordRows(self.grams, self.gram_rows, self.row, self.word_sums))

    def word_row(self, norm: str) -> Sequence[float]:
        """The sum of the rows of the word's own features (`word_grams`); empty when the model kept none."""
        return self.word_rows[norm]

    def scores(self, found: Features) -> Scored:
        # Per word, only work that runs in C (`map`, `filter`, `zip`, `sum`): most words of a chat have been
        # seen before, so their summed rows are remembered, and a pair or pasted word is one lookup.
        word_rows = list(map(self.word_rows.__getitem__, found.words))
        pair_rows = list(map(self.pair_rows.get, found.pairs))
        pasted_rows = list(map(self.pasted_rows.get, found.pasted)) if found.pasted else []
        hits = [*filter(None, word_rows), *filter(None, pair_rows), *filter(None, pasted_rows)]
        width = len(self.lanes) + 1
        columns: list[tuple[float, ...]] = list(zip(*hits, strict=True)) if hits else [()] * width
        totals = list(map(sum, columns)) if hits else [0.0] * width
        scale = 1 / math.sqrt(totals[0]) if totals[0] > 0 else 0.0
        temperature = self.temperature
        logits = [(b + t * scale) / temperature for b, t in zip(self.bias, totals[1:], strict=True)]
        top = max(logits)
        exps = list(map(math.exp, map(operator.sub, logits, repeat(top))))
        total = sum(exps)
        probabilities = dict(zip(self.lanes, map(operator.truediv, exps, repeat(total)), strict=True))
        return Scored(probabilities, scale, columns, found, word_rows, pair_rows, pasted_rows)


def load_lane_model(path: Path) -> LaneModel:
    where = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{where}: router model file not found; run `routebot train` to build one"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"{where}: router model file unreadable ({exc}); rebuild it with `routebot train`"
        ) from None
    return parse_lane_model(data, where)


def parse_lane_model(data: bytes, where: str) -> LaneModel:
    if not data.startswith(_MAGIC):
        raise ConfigError(
            f"{where}: not a routebot lane model (format {FORMAT}); rebuild it with `routebot train`"
        )
    try:
        header_end = len(_MAGIC) + _SIZES.size
        header_size, names_size = _SIZES.unpack_from(data, len(_MAGIC))
        names_end = header_end + header_size + names_size
        header = json.loads(data[header_end : header_end + header_size].decode("utf-8"))
        lanes = tuple(str(lane) for lane in header["lanes"])
        width = len(lanes) + 1
        counts = header["counts"]
        grams, pairs, pasted = int(counts["grams"]), int(counts["pairs"]), int(counts["pasted"])
        words = int(counts["words"])
        text = data[header_end + header_size : names_end].decode("utf-8")
        names = text.split("\n") if text else []
        if len(names) != grams + 2 * pairs + pasted:
            raise ValueError("the names do not match the counts in the header")
        row = struct.Struct(f"<{width}d")
        rows = memoryview(data)[names_end:]  # not a copy: unpacked where it lies
        if len(rows) != (grams + pairs + pasted + words) * row.size:
            raise ValueError("the file does not hold one row per feature and one sum per `w ` feature")
        words_at = bisect_left(names, _WORD, 0, grams)
        if bisect_left(names, _NEXT_AFTER_WORDS, words_at, grams) - words_at != words:
            raise ValueError("the word sums do not match the `w ` features")
        bias = tuple(float(b) for b in header["bias"])
        cal = header["calibration"]
        calibration = Calibration(float(cal["slope"]), float(cal["intercept"]), float(cal["ruled"]))
        temperature, under_cost = float(header["temperature"]), float(header["under_cost"])
        first_step_cost = float(header["first_step_cost"])
    except (KeyError, TypeError, ValueError, struct.error) as exc:  # UnicodeDecodeError is a ValueError
        raise ConfigError(
            f"{where}: lane model is damaged ({exc!r}); rebuild it with `routebot train`"
        ) from None
    if len(bias) != len(lanes) or temperature <= 0:
        raise ConfigError(
            f"{where}: lane model is damaged (sizes disagree); rebuild it with `routebot train`"
        )
    keys = zip(names[grams : grams + pairs], names[grams + pairs : grams + 2 * pairs], strict=True)
    pairs_at, pasted_at = grams * row.size, (grams + pairs) * row.size
    sums_at = (grams + pairs + pasted) * row.size
    # The pairs' and pasted words' rows and keys are some 13,000 new tuples: the cyclic garbage collector
    # would pass over them a dozen times as they are made, though numbers and words hold no cycle. Paused
    # while they are built, a quarter of the load goes (16-20 ms to 12-14 ms in a fresh process).
    collecting = gc.isenabled()
    gc.disable()
    try:
        pair_rows: dict[tuple[str, str], Sequence[float]] = dict(
            zip(keys, row.iter_unpack(rows[pairs_at:pasted_at]), strict=True)
        )
        pasted_rows: dict[str, Sequence[float]] = dict(
            zip(names[grams + 2 * pairs :], row.iter_unpack(rows[pasted_at:sums_at]), strict=True)
        )
    finally:
        if collecting:
            gc.enable()
    return LaneModel(
        lanes=lanes,
        bias=bias,
        grams=names[:grams],
        gram_rows=rows[:pairs_at],
        row=row,
        word_sums=rows[sums_at:],
        temperature=temperature,
        under_cost=under_cost,
        first_step_cost=first_step_cost,
        calibration=calibration,
        source=where,
        pair_rows=pair_rows,
        pasted_rows=pasted_rows,
    )


def encode_lane_model(header: Mapping[str, Any], rows: Mapping[str, Sequence[float]]) -> bytes:
    """The model file for `header` (lanes, bias, temperature, under_cost, first_step_cost, calibration,
    trained_on) and the rows of the features kept, by feature name (`w `, `c `, `b `, `p `), with the summed
    row of each word that has a `w ` feature. Deterministic: features in sorted order, the header's keys
    too."""
    names = sorted(rows)
    grams = [name for name in names if not name.startswith((_PAIR, _PASTED))]
    pairs = [name for name in names if name.startswith(_PAIR)]
    pasted = [name for name in names if name.startswith(_PASTED)]
    split = [name[len(_PAIR) :].split(" ", 1) for name in pairs]
    if any(len(words) != 2 for words in split):
        raise ValueError("a pair feature is not two words")
    lines = [*grams, *(first for first, _ in split), *(second for _, second in split)]
    lines += [name[len(_PASTED) :] for name in pasted]
    if any("\n" in line for line in lines):
        raise ValueError("a feature name holds a line break")
    words = [name for name in grams if name.startswith(_WORD)]
    counts = {"grams": len(grams), "pairs": len(pairs), "pasted": len(pasted), "words": len(words)}
    head = json.dumps({**header, "format": FORMAT, "counts": counts}, sort_keys=True, separators=(",", ":"))
    head_bytes, names_bytes = head.encode("utf-8"), "\n".join(lines).encode("utf-8")
    width = len(header["lanes"]) + 1
    if any(len(rows[name]) != width for name in names):
        raise ValueError("a row does not have the idf squared and one weight per lane")
    row = struct.Struct(f"<{width}d")
    gram_rows = b"".join(row.pack(*rows[name]) for name in grams)
    weights = b"".join(row.pack(*rows[name]) for name in (*pairs, *pasted))
    # Each known word's sum, worked out by the very code that sums a word at run time, from the rows as
    # routing reads them: the stored sum is the one routing would add up, to the last bit.
    summed = _WordRows(grams, memoryview(gram_rows), row, memoryview(b"")).summed
    sums = b"".join(row.pack(*summed(name[len(_WORD) :])) for name in words)
    sizes = _SIZES.pack(len(head_bytes), len(names_bytes))
    return _MAGIC + sizes + head_bytes + names_bytes + gram_rows + weights + sums


def blank_lane_model(lanes: tuple[str, ...]) -> LaneModel:
    """A model that knows no words (every lane equally likely): what training starts from."""
    return LaneModel(
        lanes=lanes,
        bias=(0.0,) * len(lanes),
        grams=(),
        gram_rows=memoryview(b""),
        row=struct.Struct(f"<{len(lanes) + 1}d"),
        word_sums=memoryview(b""),
        temperature=1.0,
        under_cost=1.0,
        first_step_cost=1.0,
        calibration=Calibration(1.0, 0.0, 0.5),
        source="(blank)",
    )
