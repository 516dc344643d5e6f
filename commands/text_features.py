"""The words and character n-grams the lane model reads, each tied to where the person typed it.

Training and routing share this one function, so the model sees at run time exactly what it learned from.
Pure Python and stdlib only: routing must not need the training extra.

A task becomes a set of features (presence, not counts); words of pasted material only as `p <word>`:
- `w <word>` every word, lower-cased, accents folded, digits as 0 (`500` and `300` read alike);
- `b <word> <word>` adjacent word pairs;
- `c <n-gram>` character 3- to 5-grams of each word padded with spaces, so `refactoring`, `refactorise` and
  `refactorizar` share evidence and typos still hit most of a word's n-grams.
Model names from the policy (see `ModelNames`) are replaced by their rung (`rung1`) before anything else,
so the model learns "a default-rung model failed" rather than the word "sonnet", and a team that renames a
lane's model is still read the same way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Only the start and the end of a long task are read: requests say what they want up front and add notes
# ("Sonnet failed twice", "cost is no concern") at the end, with the pasted material in between. This bounds
# the cost of a decision on a 40,000-character paste to that of a 1,300-character task.
HEAD_CHARS = 1000
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
_FIRST_LINE_MAX = 300
_PASTE_MIN = 80
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Word:
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


def fold(word: str) -> str:
    word = word.lower()
    if not word.isascii():
        word = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    return _DIGIT.sub("0", word)


_QUOTED_LINE = re.compile(r"^>.*$", re.M)


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Long quotations and `>` quoted lines."""
    spans = [match.span() for match in _QUOTED.finditer(text)]
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
    out: list[Word] = []
    for match in _WORD.finditer(text):
        start = match.start()
        inside = bool(pasted) and any(a <= start < b for a, b in pasted)
        out.append(Word(fold(match.group()), start, match.end(), inside))
    return out


def features(read: list[Word], hide: tuple[tuple[int, int], ...] = ()) -> dict[str, int]:
    """Feature -> index of the word it belongs to (a pair: its second word); the first occurrence wins.

    Words that start inside a `hide` span (text offsets) are left out."""
    found: dict[str, int] = {}
    previous = ""
    seen_words: set[str] = set()
    for index, word in enumerate(read):
        norm = word.norm
        if norm in RUNG_WORDS or (hide and any(a <= word.start < b for a, b in hide)):
            previous = ""
            continue
        if word.pasted:
            found.setdefault("p " + norm, index)
            previous = ""
            continue
        found.setdefault("w " + norm, index)
        if previous:
            found.setdefault(f"b {previous} {norm}", index)
        previous = norm
        if norm in seen_words or len(norm) > _MAX_CHAR_GRAM_WORD:
            continue
        seen_words.add(norm)
        padded = f" {norm} "
        for size in _CHAR_GRAMS:
            for start in range(len(padded) - size + 1):
                found.setdefault("c " + padded[start : start + size], index)
    return found
