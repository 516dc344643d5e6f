"""The words and character n-grams the lane model reads, each tied to where the person typed it.

Training and routing share this one function, so the model sees at run time exactly what it learned from.
Pure Python and stdlib only: routing must not need the training extra.

A task becomes features; words of pasted material only as `p <word>`:
- `w <word>` each distinct word, lower-cased, accents folded, digits as 0 (`500` and `300` read alike);
- `c <n-gram>` character 3- to 5-grams of each distinct word padded with spaces, so `refactoring`,
  `refactorise` and `refactorizar` share evidence and typos still hit most of a word's n-grams;
- `b <word> <word>` adjacent word pairs.
A word's own features (`word_grams`) depend on the word alone, so the lane model adds up a word once and
reuses the sum. The words are found in the folded text in one regex pass (`read_words`), and distinct
words and pairs are gathered with `dict.fromkeys`: the per-word work of a decision runs in C, and where each
word sits in the text is worked out only for the few words the card quotes (or when a model is named).
Model names from the policy (see `ModelNames`) are replaced by their rung (`rung1`) before anything else,
so the model learns "a default-rung model failed" rather than the word "sonnet", and a team that renames a
lane's model is still read the same way.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress, groupby, islice, pairwise
from typing import NamedTuple

from commands.patterns import LazyPattern

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

_WORD = LazyPattern(r"\w++(?:['’.\-/]\w++)*+")
# The same words in folded ASCII text, which holds no capital letter and no ’: an explicit class is tested
# faster than `\w`, and the possessive quantifiers (never giving back what they matched, which could not
# help here: a word ends where no word character follows) spare the backtracking. Together they find a
# 200-character task's words in a third of the time of `\w+(?:['’.\-/]\w+)*`.
_ASCII_WORD = re.compile(r"[a-z0-9_]++(?:['.\-/][a-z0-9_]++)*+")


def _words_in(folded: str) -> re.Pattern[str]:
    """The pattern that finds the words of `folded` (`isascii` is a flag lookup, not a scan)."""
    return _ASCII_WORD if folded.isascii() else _WORD.compiled


# `_ASCII_WORD.findall` without the pattern: in folded ASCII text a word is a run of `[a-z0-9_]` and of
# single `'.-/` each between two of them, so once every other character is a space, and so is every `'.-/`
# that is not between two word characters, the words are what `str.split` finds. (A 200-character task's
# words: some 48,000 machine instructions by the pattern, 32,000 so.)
_JOINERS = "'.-/"
_SEPARATORS = bytes(range(256)).translate(None, b"_0123456789abcdefghijklmnopqrstuvwxyz" + _JOINERS.encode())
_SEPARATORS_AS_SPACES = bytes.maketrans(_SEPARATORS, b" " * len(_SEPARATORS))


@lru_cache(maxsize=16)  # one list for each set of joiners a text may hold
def _lone_joiners(joiners: str) -> tuple[str, ...]:
    """The pairs of characters where a joiner is next to another joiner or to a space, so not between two
    word characters. Joiners next to each other go first: once no two touch, turning those next to a space
    into spaces cannot make two touch. Only the joiners a text holds are looked for (most hold one or two)."""
    return (
        *(a + b for a in joiners for b in joiners),
        *(" " + joiner for joiner in joiners),
        *(joiner + " " for joiner in joiners),
    )


def _spaced(folded: str, start: int = 0, end: int | None = None) -> str:
    """Folded ASCII text between `start` and `end` with every character that is not part of a word turned
    into a space, and one space added at each end: the words are what `str.split` finds, and the word that
    starts at offset `i` of the text read starts at offset `i + 1` here."""
    text = f" {folded[start:end].encode('ascii').translate(_SEPARATORS_AS_SPACES).decode('ascii')} "
    for pair in _lone_joiners("".join(filter(text.__contains__, _JOINERS))):
        text = text.replace(pair, "  ")
    return text


def _ascii_words(folded: str, start: int = 0, end: int | None = None) -> list[str]:
    """The words of folded ASCII text between `start` and `end`, as `_ASCII_WORD.findall` finds them."""
    return _spaced(folded, start, end).split()


# Compiled when first needed (`LazyPattern`), as are those of other languages' words and of quotations:
# compiling them at import took 3 ms of `routebot route`'s start, and most of its one-off tasks need none.
_FENCE = LazyPattern(r"```.*?(?:```|$)", re.S)
# Pasted material: a long quotation, or everything after the first line when that line reads as the request
# ("draft a reply to this:\n\n<the customer's email>"). Its words tell the topic, not the kind of work:
# the lane model reads them as separate features (`p <word>`), so "charged three times" in a customer's
# email does not weigh like "find out why we charged three times".
_QUOTED = LazyPattern(r"(?:^|(?<=[:\n]))\s*[\"“«„][^\"”»“]{60,}(?:[\"”»“]|$)", re.M)
_QUOTE_CHARS = LazyPattern(r"[\"“«„]")
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
    return _FENCE.sub(" codefence ", text) if "```" in text else text


_DIGITS_AS_ZERO = str.maketrans("123456789", "000000000")
# ASCII folded in one pass: capitals to lower case, digits to 0.
_ASCII_FOLDING = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ123456789", b"abcdefghijklmnopqrstuvwxyz000000000"
)


@lru_cache(maxsize=1 << 16)  # a pure function of the word; chat reuses its words, so most calls are hits
def fold(word: str) -> str:
    word = word.lower()
    if not word.isascii():
        word = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    return word.translate(_DIGITS_AS_ZERO)


class _Folding(dict[int, str]):
    """`str.translate` table: each character as `fold` turns it, looked up once and remembered."""

    def __missing__(self, code: int) -> str:
        value = fold(chr(code))
        self[code] = value
        return value


_FOLDING = _Folding()


def fold_text(text: str) -> str:
    """`fold` over a whole text at once: lower-cased, accents folded, digits as 0 (in C for ASCII text)."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_FOLDING).decode("ascii")
    return text.lower().translate(_FOLDING)


_QUOTED_LINE = LazyPattern(r"^>.*$", re.M)


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Long quotations and `>` quoted lines."""
    # In ASCII text the only quotation mark is `"`: looking for one character is several times faster.
    quoted = '"' in text if text.isascii() else _QUOTE_CHARS.search(text) is not None
    spans = [match.span() for match in _QUOTED.finditer(text)] if quoted else []
    if ">" in text:
        spans += [match.span() for match in _QUOTED_LINE.finditer(text)]
    return spans


def pasted_spans(text: str) -> list[tuple[int, int]]:
    spans = quoted_spans(text)
    newline = text.find("\n")
    if 0 < newline <= _FIRST_LINE_MAX and len(text) - newline >= _PASTE_MIN:
        spans.append((newline, len(text)))
    return spans


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


class Reading:
    """A task's words as read: their folded forms in order, which of them are pasted material, and (worked
    out only when asked, for quoting and for the rules) where each sits in the text.

    Words are found in the folded text, so folding is one pass in C rather than one call per word; a pasted
    span always starts and ends next to a character that is not part of a word, so reading the text span by
    span finds the same words as reading it whole."""

    __slots__ = ("_back", "_matches", "_spaced", "distinct", "folded", "names", "norms", "pasted", "text")

    def __init__(
        self,
        text: str,
        folded: str,
        norms: list[str],
        pasted: tuple[tuple[int, int], ...],
        names: tuple[tuple[int, int, int], ...] = (),
        distinct: dict[str, None] | None = None,
        spaced: str = "",
    ) -> None:
        self.text = text  # the analysed text, as typed
        self.folded = folded
        self.norms = norms  # model names replaced by their rung word once `ModelNames.mark` has run
        # Each word once, in order, before model names were marked.
        self.distinct = dict.fromkeys(norms) if distinct is None else distinct
        self.pasted = pasted  # word index ranges [start, end) of pasted material
        self.names = names  # (first word, last word, rung) of each model name, from `ModelNames.mark`
        self._matches: list[re.Match[str]] = []  # the words found again in `folded`, as far as needed
        self._back: list[int] | bool | None = False  # `_back_offsets(text)` once asked; False: not yet
        self._spaced = spaced  # `_spaced(folded)` of ASCII text, once made; "" otherwise

    def marked(self, norms: list[str], names: tuple[tuple[int, int, int], ...]) -> Reading:
        return Reading(self.text, self.folded, norms, self.pasted, names, self.distinct, self._spaced)

    def spans(self, last: int | None = None) -> list[tuple[int, int]]:
        """Where each word sits in `text` (offsets of the text as typed): every word's, or up to `last`."""
        last = len(self.norms) - 1 if last is None else last
        self.locate(last)
        back = self.back_offsets()
        spans = [match.span() for match in islice(self._matches, last + 1)]
        return spans if back is None else [(back[start], back[end]) for start, end in spans]

    def starts_before(self, limit: int) -> list[int]:
        """Where the words that start before offset `limit` of `text` start: the first words only, found
        until one starts at `limit` or later (a failure to hide is mostly said near the start)."""
        back = self.back_offsets()
        starts = []
        for match in _words_in(self.folded).finditer(self.folded):
            start = match.start() if back is None else back[match.start()]
            if start >= limit:
                break
            starts.append(start)
        return starts

    def words(self) -> list[Word]:
        pasted = self.pasted
        return [
            Word(norm, start, end, any(a <= index < b for a, b in pasted))
            for index, (norm, (start, end)) in enumerate(zip(self.norms, self.spans(), strict=True))
        ]

    def back_offsets(self) -> list[int] | None:
        if self._back is False:
            self._back = _back_offsets(self.text)
        assert self._back is not True
        return self._back

    def locate(self, last: int) -> None:
        """Find the words up to `last` again (in C): the card quotes a few words of most tasks."""
        if len(self._matches) <= last:
            self._matches = list(islice(_words_in(self.folded).finditer(self.folded), last + 1))

    def typed(self, phrases: list[tuple[int, int]]) -> list[str]:
        """For each (first word, last word), the text from the one to the other as the person typed it."""
        if not phrases:
            return []
        if not self.names and self.folded.isascii():
            return self._typed_ascii(phrases)
        self.locate(max(last for _, last in phrases))
        matches, text = self._matches, self.text
        spans = [(matches[first].start(), matches[last].end()) for first, last in phrases]
        back = self.back_offsets()
        if back is not None:
            spans = [(back[start], back[end]) for start, end in spans]
        return [text[start:end] for start, end in spans]

    def _typed_ascii(self, phrases: list[tuple[int, int]]) -> list[str]:
        """`typed` for ASCII text whose words are as read (no model name marked): each word is found as a
        whole word of the spaced text, by `str.find`, instead of matching every word before it. (The words
        the card quotes are where they first appear, so most are the first find.) Folding ASCII text keeps
        every offset, so the offsets are the typed text's."""
        spaced = self._spaced
        if not spaced:
            spaced = self._spaced = _spaced(self.folded)
        norms, text = self.norms, self.text
        out = []
        for first, last in phrases:
            start = _find_word(spaced, norms, first)
            end = _find_word(spaced, norms, last) if last != first else start
            out.append(text[start : end + len(norms[last])])
        return out


def _find_word(spaced: str, norms: list[str], index: int) -> int:
    """Where word `index` of `norms` starts in the text `spaced` was made from: the nth time it appears as a
    whole word, n being how often it came before."""
    word = norms[index]
    needle = f" {word} "
    at = spaced.find(needle)
    if norms.index(word) != index:
        for _ in range(norms[:index].count(word)):
            at = spaced.find(needle, at + len(needle) - 1)  # the next, which may share this one's space
    return at


def _back_offsets(text: str) -> list[int] | None:
    """For each offset of `fold_text(text)` (and its end), the offset in `text` it comes from; None when they
    are equal. A word's end maps to where the next character that folds to something starts, so an accent
    typed as a separate combining mark stays with its word."""
    if text.isascii() or all(c.isascii() or len(c.lower().translate(_FOLDING)) == 1 for c in set(text)):
        return None
    back: list[int] = []
    for index, char in enumerate(text):
        back += [index] * len(char.lower().translate(_FOLDING))
    back.append(len(text))
    return back


def read_words(text: str) -> Reading:
    """The words of `text` (already `analysed_text`)."""
    folded = fold_text(text)
    spans = pasted_spans(folded)
    ascii_text = folded.isascii()
    if not spans:
        if ascii_text:
            spaced = _spaced(folded)
            return Reading(text, folded, spaced.split(), (), spaced=spaced)
        return Reading(text, folded, _WORD.compiled.findall(folded), ())
    findall = _ascii_words if ascii_text else _WORD.compiled.findall
    norms: list[str] = []
    pasted: list[tuple[int, int]] = []
    position = 0
    for start, end in _merged(spans):
        norms += findall(folded, position, start)
        first = len(norms)
        norms += findall(folded, start, end)
        pasted.append((first, len(norms)))
        position = end
    norms += findall(folded, position)
    return Reading(text, folded, norms, tuple(pasted))


@dataclass(frozen=True)
class Features:
    """What the lane model reads of a task, each feature once, in the order the words come."""

    words: dict[str, None]  # the request's words; each read through `word_grams` (`w <word>`, `c <n-gram>`)
    pairs: dict[tuple[str, str], None]  # adjacent words of the request (`b <word> <word>`)
    pasted: dict[str, None]  # words of pasted material (`p <word>`)

    def named(self) -> list[str]:
        """The pair and pasted-word features by the names the model file gives them."""
        return [*(f"b {a} {b}" for a, b in self.pairs), *(f"p {word}" for word in self.pasted)]


def word_grams(norm: str) -> tuple[str, ...]:
    """A word's own features: the word, and its character n-grams (each once) when it is short enough."""
    if len(norm) > _MAX_CHAR_GRAM_WORD:
        return ("w " + norm,)
    padded = f" {norm} "
    grams = dict.fromkeys(map("c ".__add__, map(padded.__getitem__, _gram_slices(len(padded)))))
    return ("w " + norm, *grams)


@lru_cache(maxsize=_MAX_CHAR_GRAM_WORD + 3)
def _gram_slices(length: int) -> tuple[slice, ...]:
    """The slices that cut a padded word of `length` characters into its n-grams, shortest first."""
    return tuple(slice(start, start + size) for size in _CHAR_GRAMS for start in range(length - size + 1))


def features(reading: Reading, hide: tuple[tuple[int, int], ...] = ()) -> Features:
    """The features of the words read; words that start inside a `hide` span (text offsets) are left out.

    Most tasks name no model and hide nothing: their request's words and pairs are gathered in C."""
    norms = reading.norms
    if reading.names or hide:
        return _features_word_by_word(reading, hide)
    if not reading.pasted:
        return Features(reading.distinct, dict.fromkeys(pairwise(norms)), {})
    found: dict[str, None] = {}
    pairs: dict[tuple[str, str], None] = {}
    pasted: dict[str, None] = {}
    position = 0
    for start, end in (*reading.pasted, (len(norms), len(norms))):
        request = norms[position:start]
        found.update(dict.fromkeys(request))
        pairs.update(dict.fromkeys(pairwise(request)))
        pasted.update(dict.fromkeys(norms[start:end]))
        position = end
    return Features(found, pairs, pasted)


def _features_word_by_word(reading: Reading, hide: tuple[tuple[int, int], ...]) -> Features:
    """As `features`, with model names (rung words) and hidden words left out, each breaking a pair.

    The words are marked out in whole slices and runs rather than one at a time (in C, where the old
    word-by-word loop took half of a long task's decision): each word left out becomes None, then the runs
    of words between two Nones give the pairs."""
    norms = reading.norms
    words: list[str | None] = list(norms)
    for index in compress(range(len(norms)), map(_LEFT_OUT.__contains__, norms)):
        words[index] = None  # a model name: its rung word, and the empty words of the rest of it
    if hide:
        starts = reading.starts_before(max(b for _, b in hide))
        for a, b in hide:
            first, end = bisect_left(starts, a), bisect_left(starts, b)  # the words that start inside
            words[first:end] = [None] * (end - first)
    pasted: dict[str, None] = {}
    for a, b in reading.pasted:
        pasted.update(dict.fromkeys(filter(None, words[a:b])))
        words[a:b] = [None] * (b - a)
    found = dict.fromkeys(filter(None, words))
    pairs: dict[tuple[str, str], None] = {}
    for kept, run in groupby(words, key=bool):
        if kept:
            pairs.update(dict.fromkeys(pairwise(run)))  # type: ignore[arg-type]  # a run of words: no None
    return Features(found, pairs, pasted)


_LEFT_OUT = RUNG_WORDS | {""}  # what `ModelNames.mark` turns a model name into
