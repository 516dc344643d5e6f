"""The words and character n-grams the lane model reads, each tied to where the person typed it.

Training and routing share this one function, so the model sees at run time exactly what it learned from.
Pure Python and stdlib only: routing must not need the training extra.

A task becomes features; words of pasted material only as `p <word>`:
- `w <word>` each distinct word, lower-cased, accents folded, digits as 0 (`500` and `300` read alike);
- `c <n-gram>` character 3- to 5-grams of each distinct word padded with spaces, so `refactoring`,
  `refactorise` and `refactorizar` share evidence and typos still hit most of a word's n-grams;
- `b <word> <word>` adjacent word pairs.
A word's own features (`word_grams`) depend on the word alone, so the lane model can add up a word once
and reuse the sum: that is what keeps a decision under 100 microseconds in pure Python.
Model names from the policy (see `ModelNames`) are replaced by their rung (`rung1`) before anything else,
so the model learns "a default-rung model failed" rather than the word "sonnet", and a team that renames a
lane's model is still read the same way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

# Only the start and the end of a long task are read: requests say what they want up front and add notes
# ("Sonnet failed twice", "cost is no concern") at the end, with the pasted material in between. This bounds
# the cost of a decision on a 40,000-character paste to that of a 900-character task. (600 rather than 1,000
# head characters: the same cross-validated accuracy, and less to read.)
HEAD_CHARS = 600
TAIL_CHARS = 300
# Longer "words" are hashes, URLs or minified code: their n-grams are noise and cost time.
_MAX_CHAR_GRAM_WORD = 24
_CHAR_GRAMS = (3, 4, 5)

# What `ModelNames.mark` turns a model name into. The lane model skips these words: nearly every model named
# in the corpus is named in a failure, so it would learn "haiku" means "escalate", and "haiku did fine"
# would climb. Whether a named model failed at this task is the failure rule's call (`route_rules`).
RUNG_WORDS = frozenset(f"rung{rung}" for rung in range(10))

_WORD = re.compile(r"\w+(?:['’.\-/]\w+)*")
_FENCE = re.compile(r"```.*?(?:```|$)", re.S)
# Pasted material: a long quotation, or everything after the first line when that line reads as the request
# ("draft a reply to this:\n\n<the customer's email>"). Its words tell the topic, not the kind of work:
# the lane model reads them as separate features (`p <word>`), so "charged three times" in a customer's
# email does not weigh like "find out why we charged three times".
_QUOTED = re.compile(r"(?:^|(?<=[:\n]))\s*[\"“«„][^\"”»“]{60,}(?:[\"”»“]|$)", re.M)
_QUOTE_CHARS = re.compile(r"[\"“«„]")
_FIRST_LINE_MAX = 300
_PASTE_MIN = 80


class Word(NamedTuple):
    """One word as read: its normalized form and where it sits in the original task text."""

    norm: str
    start: int
    end: int
    pasted: bool = False  # inside pasted material (a quoted email, the lines under the request)


def analysed_text(text: str) -> str:
    """The part of the task that is read: head and tail of a long paste, fenced code as one marker word."""
    if len(text) > HEAD_CHARS + TAIL_CHARS:
        text = text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]
    return _FENCE.sub(" codefence ", text)


_DIGITS_AS_ZERO = str.maketrans("123456789", "000000000")


@lru_cache(maxsize=1 << 16)  # a pure function of the word; chat reuses its words, so most calls are hits
def fold(word: str) -> str:
    word = word.lower()
    if not word.isascii():
        word = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    return word.translate(_DIGITS_AS_ZERO)


_QUOTED_LINE = re.compile(r"^>.*$", re.M)


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Long quotations and `>` quoted lines."""
    spans = [match.span() for match in _QUOTED.finditer(text)] if _QUOTE_CHARS.search(text) else []
    if ">" in text:
        spans += [match.span() for match in _QUOTED_LINE.finditer(text)]
    return spans


def pasted_spans(text: str) -> list[tuple[int, int]]:
    spans = quoted_spans(text)
    newline = text.find("\n")
    if 0 < newline <= _FIRST_LINE_MAX and len(text) - newline >= _PASTE_MIN:
        spans.append((newline, len(text)))
    return spans


def words(text: str) -> list[Word]:
    """The words of `text` (already `analysed_text`), each marked if it sits in pasted material."""
    pasted = pasted_spans(text)
    # tuple.__new__ builds the same Word in well under half the time of Word(...): this runs per word.
    new = tuple.__new__
    if not pasted:
        return [new(Word, (fold(m[0]), *m.span(), False)) for m in _WORD.finditer(text)]
    out: list[Word] = []
    for match in _WORD.finditer(text):
        start, end = match.span()
        out.append(new(Word, (fold(match[0]), start, end, any(a <= start < b for a, b in pasted))))
    return out


@dataclass(frozen=True)
class Features:
    """What the lane model reads of a task; each feature maps to the index of the word it belongs to."""

    words: dict[str, int]  # each distinct word of the request -> its first index; read via `word_grams`
    others: dict[str, int]  # word pairs (`b a b`) and pasted words (`p x`); a pair belongs to its 2nd word


def word_grams(norm: str) -> tuple[str, ...]:
    """A word's own features: the word, and its character n-grams (each once) when it is short enough."""
    if len(norm) > _MAX_CHAR_GRAM_WORD:
        return ("w " + norm,)
    padded = f" {norm} "
    grams = dict.fromkeys(
        "c " + padded[start : start + size] for size in _CHAR_GRAMS for start in range(len(padded) - size + 1)
    )
    return ("w " + norm, *grams)


def features(read: list[Word], hide: tuple[tuple[int, int], ...] = ()) -> Features:
    """The features of the words read; words that start inside a `hide` span (text offsets) are left out."""
    found_words: dict[str, int] = {}
    others: dict[str, int] = {}
    previous = ""
    for index, word in enumerate(read):
        norm = word.norm
        if norm in RUNG_WORDS or (hide and any(a <= word.start < b for a, b in hide)):
            previous = ""
            continue
        if word.pasted:
            others.setdefault("p " + norm, index)
            previous = ""
            continue
        found_words.setdefault(norm, index)
        if previous:
            others.setdefault(f"b {previous} {norm}", index)
        previous = norm
    return Features(found_words, others)
