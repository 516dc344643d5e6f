"""How people name the policy's models and efforts in a task, and on which rung each one sits.

Read from the policy's lanes, never from a list in code, so a team that renames a lane's model is
understood: `claude-haiku-4-5` is also "haiku" (the part of the id that no other model of that provider
shares), `gpt-5.4` with effort `low` is "gpt-5.4 low" or "low effort", and lanes are named by their id
("the premium lane", "default model"). Each name stands for the lowest rung that uses it: Opus serves
premium and max, so "Opus failed" is a failure at the premium rung.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import compress
from typing import TYPE_CHECKING

from commands.text_features import Reading, Word, fold

if TYPE_CHECKING:
    from commands.policy import Lane

# Words that turn an effort name or a lane id into a name of a model ("high effort", "cheap model").
_EFFORT_NEXT = frozenset({"effort", "reasoning", "mode", "setting"})
_LANE_NEXT = frozenset({"lane", "model", "tier", "models", "pass"})
# Effort names too common in English to name an effort on their own ("low priority", "high stakes");
# others ("xhigh") do.
_COMMON_WORDS = frozenset({"none", "minimal", "low", "medium", "high", "max", "default"})
_EFFORT_JOINERS = frozenset({"on", "at", "with", "in"})
# A common effort word on its own names the effort when it is what ran: the subject of a run's verb ("high
# still gets the tax wrong", "medium and then high both had a go", "low's labels"), not a word describing
# something ("the error rate is high", "high priority got missed", "keep it low").
_RAN = frozenset(
    {
        *("took", "tried", "tries", "gets", "got", "gave", "gives", "failed", "fails", "keeps", "kept"),
        *("missed", "misses", "came", "produced", "returned", "said", "says", "couldn't", "can't", "didn't"),
        *("doesn't", "wasn't", "botched", "messed", "mangled"),
        *("struggled", "choked", "made", "wrote", "flagged", "marked", "labelled", "labeled", "tagged"),
        "answered",
        # what it still is after a run: "medium still wrong on the refunds"
        *("wrong", "broken", "failing", "missing", "struggles", "hallucinates", "hallucinating"),
    }
)
# "was" and "has" after it tell a run only with what it did next: "medium was still wrong", not "high was the
# risk rating".
_WAS = frozenset({"was", "were", "is", "has", "had", "did", "does"})
_WAS_NEXT = frozenset({"still", "not", "never", "wrong", "off", "useless", "no", "also", "even", "way"})
# "still" is one: "high still gets the tax wrong" ran, "high still needs a director's sign-off" did not.
_RAN_ADVERBS = frozenset({"also", "then", "again", "too", "both", "just", "already", "even", "only", "still"})
_OR_THEN = frozenset({"and", "then", "or"})
_DESCRIBING = frozenset(
    {
        *("the", "a", "an", "is", "was", "are", "were", "be", "been", "too", "very", "so", "quite", "pretty"),
        *("really", "it", "them", "this", "that", "set", "to", "at", "stays", "stay", "remains", "more"),
        *("less", "most", "keep", "keeps", "kept", "its", "their", "our", "your", "my", "of", "extremely"),
        *("fairly", "as"),
        # a level given to something: "invoices flagged high got paid late", "deals rated medium"
        *("marked", "flagged", "rated", "ranked", "scored", "tagged", "labelled", "labeled", "graded"),
    }
)
_SQUASH = re.compile(r"[^a-z0-9]")
_PLAIN_LIMIT = 200_000  # distinct plain words remembered; past it, new words are checked each time


_POSSESSIVE = re.compile(r"['’]s$")
_LETTERS_THEN_DIGITS = re.compile(r"[a-z]+(?=[0-9])")
# French and Italian elide an article into the next word: "l'analyse d'opus", "dell'opus".
_ELIDED = re.compile(r"^(?:l|d|j|n|s|c|qu|dell|all|dall|nell|sull)['’]")


def _key(word: str) -> str:
    """`GPT-5.4`, `gpt5.4` and `gpt-5-4` all name one model; "opus's" and "d'opus" are Opus."""
    return _SQUASH.sub("", _POSSESSIVE.sub("", _ELIDED.sub("", word)))


def rung_word(rung: int) -> str:
    return f"rung{rung}"  # one of text_features.RUNG_WORDS


@dataclass(frozen=True)
class ModelNames:
    models: dict[str, int]  # squashed model word -> rung ("haiku": 0, "claudehaiku00": 0)
    efforts: dict[str, int]  # effort name -> rung ("low": 0), when next to a model that takes efforts
    effort_models: frozenset[str]  # squashed words of models that take an effort ("gpt00")
    lanes: dict[str, int]  # lane id -> rung, when followed by "lane", "model", ...
    # The letters that open a model's squashed id before its version ("gpt" of "gpt00"): "gpt 5.4 low" is
    # typed as two words where the policy has one.
    split_starts: frozenset[str] = frozenset()
    # Words seen that cannot start a name, remembered: the same pure function of the word, only faster.
    plain: set[str] = field(default_factory=set, compare=False, repr=False)

    @classmethod
    def from_lanes(cls, lanes: Iterable[Lane]) -> ModelNames:
        models: dict[str, int] = {}
        efforts: dict[str, int] = {}
        effort_models: set[str] = set()
        ids_by_provider: dict[str, set[str]] = {}
        lanes = list(lanes)
        for lane in lanes:
            for choice in lane.models.values():
                ids_by_provider.setdefault(choice.provider, set()).add(fold(choice.model))
        for lane in sorted(lanes, key=lambda lane: lane.rung):
            for choice in lane.models.values():
                model = fold(choice.model)
                if choice.effort:
                    effort_models.add(_key(model))
                    efforts.setdefault(choice.effort, lane.rung)
                    continue
                models.setdefault(_key(model), lane.rung)
                others = ids_by_provider[choice.provider] - {model}
                shared = {part for other in others for part in re.split(r"[-_.]", other)}
                for part in re.split(r"[-_.]", model):
                    if part.isalpha() and part not in shared and len(part) > 2:
                        models.setdefault(part, lane.rung)
        by_id = {lane.id: lane.rung for lane in lanes}
        starts = {m.group() for key in (*models, *effort_models) if (m := _LETTERS_THEN_DIGITS.match(key))}
        return cls(models, efforts, frozenset(effort_models), by_id, frozenset(starts))

    def mark(self, reading: Reading) -> Reading:
        """The reading with each model name's first word replaced by its rung (`rung0`) and the rest of a
        two- or three-word name ("gpt-5.4 on high") by an empty word; `names` says where each name sits."""
        norms = reading.norms
        # Most words of a task name no model, and most tasks' words have all been seen: one lookup per word
        # in C says so without building a set; otherwise a set difference leaves the few worth a look.
        if self.plain.issuperset(reading.distinct):
            return reading
        unknown = reading.distinct.keys() - self.plain
        if unknown:
            for norm in unknown:
                if not self._could_start(norm) and len(self.plain) < _PLAIN_LIMIT:
                    self.plain.add(norm)
            unknown -= self.plain
        if not unknown:
            return reading
        out = list(norms)
        names: list[tuple[int, int, int]] = []
        count = len(norms)
        # Only the words that may start a name are looked at (found in C), each once the last name has ended.
        after = 0
        for index in compress(range(count), map(unknown.__contains__, norms)):
            if index < after:
                continue
            norm = norms[index]
            key = _key(norm)
            following = norms[index + 1] if index + 1 < count else ""
            rung = self.models.get(key)
            split = 0  # further words of the model's own name: "gpt 5.4" is one name in two words
            joined = key + _key(following) if rung is None and key in self.split_starts else key
            if joined != key and (joined in self.models or joined in self.effort_models):
                key, split = joined, 1
                rung = self.models.get(key)
                following = norms[index + 2] if index + 2 < count else ""
            if rung is None and key in self.effort_models:
                # "gpt-5.4 high", "gpt-5.4 high's", "gpt-5.4 on high": one name, two or three words.
                skip = split + (2 if following in _EFFORT_JOINERS and index + split + 2 < count else 1)
                named = norms[index + skip] if index + skip < count else ""
                effort = self.efforts.get(_POSSESSIVE.sub("", named)) if named else None
                if effort is not None:
                    out[index] = rung_word(effort)
                    for later in range(index + 1, index + skip + 1):
                        out[later] = ""
                    names.append((index, index + skip, effort))
                    after = index + skip + 1
                    continue
            if rung is None and (effort := self._joined_effort(norm)) is not None:
                rung = effort  # "gpt-5.4-high", typed as one word
            if rung is not None and split:
                out[index], out[index + 1] = rung_word(rung), ""
                names.append((index, index + 1, rung))
                after = index + 2
                continue
            bare = _POSSESSIVE.sub("", norm)
            if rung is None and (
                following in _EFFORT_NEXT or bare not in _COMMON_WORDS or self._ran(norms, index)
            ):
                rung = self.efforts.get(bare)
            if rung is None and following in _LANE_NEXT:
                rung = self.lanes.get(norm)
            if rung is not None:
                out[index] = rung_word(rung)
                names.append((index, index, rung))
        return reading.marked(out, tuple(names)) if names else reading

    def _could_start(self, norm: str) -> bool:
        """Whether `norm` may be (the first word of) a model, effort or lane name."""
        key = _key(norm)
        bare = _POSSESSIVE.sub("", norm)
        return (
            key in self.models
            or key in self.effort_models
            or bare in self.efforts
            or norm in self.lanes
            or key in self.split_starts
            or self._joined_effort(norm) is not None
        )

    def _ran(self, norms: list[str], index: int) -> bool:
        """Whether the common effort word at `index` is what ran, not a word describing something."""
        if index and norms[index - 1] in _DESCRIBING:
            return False
        return _POSSESSIVE.search(norms[index]) is not None or self._runs_from(norms, index, joined=True)

    def _runs_from(self, norms: list[str], index: int, joined: bool) -> bool:
        """Whether a run's verb follows the word at `index` (past a few adverbs), or another effort word that
        ran does after "and", "then" or "or" ("medium and then high both had a go")."""
        after = index + 1
        while after < len(norms) and after - index <= 2 and norms[after] in _RAN_ADVERBS:
            after += 1
        if after >= len(norms):
            return False
        if norms[after] in _RAN:
            return True
        if norms[after] in _WAS:
            return after + 1 < len(norms) and norms[after + 1] in _WAS_NEXT
        if not joined or norms[after] not in _OR_THEN:
            return False
        later = after + 2 if after + 1 < len(norms) and norms[after + 1] == "then" else after + 1
        if later >= len(norms) or norms[later] not in self.efforts:
            return False
        return self._runs_from(norms, later, joined=False)

    def _joined_effort(self, norm: str) -> int | None:
        """The rung of a model and its effort typed as one word ("gpt-5.4-high"), if `norm` is one."""
        model, dash, effort = _POSSESSIVE.sub("", norm).rpartition("-")
        if not dash or _key(model) not in self.effort_models:
            return None
        return self.efforts.get(effort)

    def named(self, reading: Reading) -> list[Word]:
        """The model names of a marked reading as words: the rung word, spanning the name as typed."""
        if not reading.names:
            return []
        # Only the words up to the last name are found again: names sit early in most long tasks.
        spans = reading.spans(max(last for _, last, _ in reading.names))
        return [Word(rung_word(rung), spans[first][0], spans[last][1]) for first, last, rung in reading.names]
