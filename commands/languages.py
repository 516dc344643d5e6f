"""Whether a task looks written in English: the router reads English best, and says so when it is not.

Measured blind, a router trained on English alone placed 50% of French, Spanish, German, Portuguese and
Italian tasks acceptably (commands/corpus/BLIND.md, batch-4); the shipped corpus now holds 300 such tasks,
but no blind batch has checked the result since, so the card keeps saying it plainly.
A look at the small words (articles, prepositions) is enough to tell, and costs a set lookup per word.
"""

from __future__ import annotations

from collections.abc import Iterable

_ENGLISH = frozenset(
    [
        "the",
        "a",
        "an",
        "to",
        "and",
        "of",
        "for",
        "this",
        "that",
        "is",
        "are",
        "in",
        "on",
        "with",
        "it",
        "my",
        "we",
        "our",
        "you",
        "your",
        "can",
        "please",
        "from",
        "by",
        "be",
        "i",
        "me",
        "us",
        "at",
        "as",
        "what",
        "how",
        "why",
        "which",
        "these",
        "those",
    ]
)
_OTHER = frozenset(
    # French, Spanish, German, Portuguese, Italian (accents folded, as the lane model reads words)
    [
        "le",
        "la",
        "les",
        "des",
        "du",
        "et",
        "est",
        "pour",
        "une",
        "un",
        "au",
        "aux",
        "avec",
        "sur",
        "dans",
        "ce",
        "cette",
        "nous",
        "vous",
        "pas",
        "qui",
        "el",
        "los",
        "las",
        "por",
        "para",
        "y",
        "que",
        "una",
        "con",
        "del",
        "al",
        "es",
        "esta",
        "este",
        "lo",
        "nuestro",
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "mit",
        "fur",
        "den",
        "dem",
        "ein",
        "eine",
        "auf",
        "bitte",
        "wir",
        "unsere",
        "zu",
        "von",
        "o",
        "os",
        "um",
        "uma",
        "nao",
        "com",
        "do",
        "da",
        "dos",
        "das",
        "em",
        "no",
        "na",
        "nos",
        "ao",
        "il",
        "di",
        "che",
        "per",
        "non",
        "e",
        "della",
        "delle",
        "con",
        "gli",
        "lo",
        "una",
        "sono",
        "nel",
        "alla",
        "questo",
        "questa",
    ]
)
ENGLISH_NOTE = "routebot reads English best: this task looks written in another language, so check the lane"


def looks_english(words: Iterable[str]) -> bool:
    """False when the task's small words are mostly those of another language (at least two of them)."""
    words = words if isinstance(words, list) else list(words)
    if _OTHER.isdisjoint(words):
        return True  # most tasks: a pass in C with no call per word, and nothing to count
    english = sum(map(_ENGLISH.__contains__, words))  # counted in C: this runs on many tasks
    other = sum(map(_OTHER.__contains__, words))
    return not (other >= 2 and other > english)
