"""How the router reads a task: words found in the folded text, pasted material apart, the rules' quick gates.

Texts here are written for these tests; no corpus or shared eval case is copied.
"""

from __future__ import annotations

import random
import re

import pytest

from commands.route_rules import _CLAUSE_END, MAX_DEMAND, NO_LIMIT, find_demand, find_failures, find_unbounded
from commands.text_features import analysed_text, features, fold, read_words

# The words of folded ASCII text, as the router's pattern has them (the router splits instead).
_ASCII_WORD = re.compile(r"[a-z0-9_]+(?:['.\-/][a-z0-9_]+)*")

_WORD = re.compile(r"\w+(?:['’.\-/]\w+)*")


@pytest.mark.parametrize(
    "text",
    [
        "Summarize the Q3 board deck in 5 bullets, keep it under 120 words",
        "Résume ce contrat et signale les clauses risquées, über 3 Seiten",
        "gpt-5.4's answer on the 2024-11-04 outage (p99 9,004ms) didn't add up",
        "ÇA NE MARCHE PAS: l'export PDF plante à 100 %",
    ],
)
def test_folding_the_whole_text_reads_the_same_words_as_folding_word_by_word(text: str) -> None:
    assert read_words(text).norms == [fold(word) for word in _WORD.findall(text)]


@pytest.mark.parametrize(
    "text",
    [
        "e.g. utils.py -- don't 'quote' x.-y a..b 3.5/4 end. --flag '' ./run.sh ...",
        "Refactor the auth-middleware in server.ts - it's slow; see docs/api/v2.md.",
        "| region | q1 | q2 |\n|---|---|---|\n| emea | 10 | 12 |",
        "-a- 'b' /c/ .d. a'.b a/-b __init__.py o'neil's rock-'n'-roll",
    ],
)
def test_ascii_words_are_found_as_the_pattern_finds_them(text: str) -> None:
    assert read_words(text).norms == _ASCII_WORD.findall(fold(text))


def test_ascii_words_are_found_as_the_pattern_finds_them_in_any_mix_of_joiners() -> None:
    # Every run of the characters that decide where a word ends, and every way of cutting it at a pasted span.
    rng = random.Random(20251201)
    for _ in range(20_000):
        text = "".join(rng.choice("ab0_'.-/ ,;\n\"A") for _ in range(rng.randint(0, 24)))
        assert read_words(text).norms == _ASCII_WORD.findall(fold(text)), text
    for _ in range(2_000):  # the lines under a request are pasted material, read apart
        text = "Reply to this:\n" + "".join(rng.choice("ab0_'.-/ ,;\n") for _ in range(90))
        reading = read_words(text)
        assert reading.pasted and reading.norms == _ASCII_WORD.findall(fold(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "the report, the REPORT and the report's summary: the report again",
        'Reply to this:\nthe invoice the invoice, "the invoice" -- the invoice.',
        "a a a a. a-a a'a a a",
        "fix utils.py, then utils.py's tests; utils.py again",
    ],
)
def test_the_words_quoted_as_typed_are_where_the_pattern_finds_them(text: str) -> None:
    # The card's quotes are found by `str.find` in ASCII text: every word, wherever it repeats, and every
    # run of words, as the text from where the pattern finds the first to where it finds the last.
    reading = read_words(analysed_text(text))
    spans = [match.span() for match in _ASCII_WORD.finditer(fold(text))]
    assert len(spans) == len(reading.norms)
    for first in range(len(spans)):
        for last in range(first, len(spans)):
            assert reading.typed([(first, last)]) == [text[spans[first][0] : spans[last][1]]], (first, last)


@pytest.mark.parametrize(
    "text",
    [
        "Translate the notes. Sonnet failed twice on this, then haiku; the rest is filler text here",
        "Résume ce contrat: opus a raté les clauses ﬁnales, ÇA NE MARCHE PAS, über 3 Seiten",
        "e\u0301tude de l\u2019offre: gpt-5.4 high s’est trompé, again",
    ],
)
def test_the_words_before_an_offset_are_those_the_whole_reading_places_before_it(text: str) -> None:
    # A failure's words are hidden from the lane model by where the words start; only the first words are
    # found again, and they must be the very ones (and offsets) that finding every word gives.
    reading = read_words(analysed_text(text))
    starts = [start for start, _ in reading.spans()]
    for limit in range(len(text) + 2):
        assert reading.starts_before(limit) == [start for start in starts if start < limit], limit


def test_the_lines_under_a_one_line_request_are_read_as_pasted_material() -> None:
    text = (
        "draft a reply to this customer:\n\nHello, we were charged three times for the same order and nobody"
        " has answered my emails for a week. Please refund the extra charges."
    )
    found = features(read_words(analysed_text(text)))
    assert "draft" in found.words and "reply" in found.words
    assert "charged" in found.pasted and "charged" not in found.words
    assert ("a", "reply") in found.pairs and not any("charged" in pair for pair in found.pairs)


@pytest.mark.parametrize(
    "text",
    [
        "cost doesn't matter",
        "spare no expense on this",
        "whatever it takes",
        "Time/cost is no concern",
        "we'll only ask this once",
        "as much compute as needed",
        "no limits on runtime",
        "délais et coûts on s'en fiche",
        "me da igual lo que cueste",
        "custos e prazo não importam",
        "costi e tempi non contano",
        "kosten spielen keine rolle",
    ],
)
def test_the_no_limit_gate_never_hides_a_phrase_the_pattern_finds(text: str) -> None:
    """The gate on words spares most tasks the big pattern; it must let through every phrase it matches."""
    assert NO_LIMIT.search(text.lower())
    words = read_words(text).distinct.keys()
    assert find_unbounded(text, words) is not None
    asked = "the most careful analysis possible, " + text
    demand = find_demand(asked, read_words(asked).distinct.keys(), [], 3, find_failures(asked, []))
    assert demand.maximum and demand.no_limit


def test_a_timeout_is_not_time_being_no_object() -> None:
    text = "2025-11-24T10:15:02Z ERROR worker-7 timeout after 30s on job 88123, cost center 4"
    assert find_unbounded(text, read_words(text).distinct.keys()) is None


# The speed-minded formulations of two rule patterns against the plain ones they replaced: every match the
# same, on text made of their trickiest parts (contrast words inside words, commas, tabs, non-breaking and
# other Unicode spaces, combining accents, ligatures, the phrases at the very start and end).
_PLAIN_CLAUSE_END = re.compile(r"[.;!?]+(?=\s|$)|\n|,?\s+but\s+|,?\s+(?:aber|mais|pero|mas|ma)\s+")
_LOOK_BEHINDS = (
    r"(?<!no need for )(?<!don't need )(?<!don’t need )(?<!do not need )(?<!without )(?<!not )(?<!no )"
)
_PIECES = [
    *("but", "aber", "mais", "pero", "mas", "ma", "butter", "mama", "BUT"),
    *(
        "max effort",
        "maximum reasoning",
        "all-out",
        "most thorough",
        "no need for ",
        "not ",
        "no ",
        "without ",
    ),
    *(",", " ", "\t", "\n", "\r", "\u00a0", "\u2009", "\u3000", ".", "?", "!", ";", "é", "e\u0301", "ﬁ", "x"),
]


def test_the_clause_ends_and_the_demand_pattern_match_as_their_plain_formulations_did() -> None:
    demand = MAX_DEMAND.compiled
    assert demand.pattern.startswith(r"\b" + _LOOK_BEHINDS)
    plain_demand = re.compile(
        _LOOK_BEHINDS + r"\b" + demand.pattern[len(r"\b" + _LOOK_BEHINDS) :], demand.flags
    )
    rng = random.Random(20261201)
    for _ in range(20_000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 12)))
        assert [m.span() for m in _CLAUSE_END.finditer(text)] == [
            m.span() for m in _PLAIN_CLAUSE_END.finditer(text)
        ], text
        assert [m.span() for m in demand.finditer(text)] == [m.span() for m in plain_demand.finditer(text)], (
            text
        )
