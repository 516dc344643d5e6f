"""Whose words a failure phrase is: a named model's, or someone else's who shares its clause.

The failure rule reads a model name and a failure phrase in one clause as a failure of that model. Some
clauses hold both and still report none: "haiku: draft the reply where Bob says otherwise" (Bob says it).
These checks look at the few words between a model's name and a verb to tell whether the verb is the
model's, the way a reader does: another subject opening there ("the customer", "Bob", "she") takes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from commands.text_features import Word

# Words that open another noun phrase or name another person. After a preposition they belong to the
# model's own phrase instead ("opus on the RCA said", "sonnet's take on our numbers").
_OTHER_SUBJECT = frozenset(
    {
        *("the", "a", "an", "this", "these", "that", "those", "our", "my", "your", "his", "her", "their"),
        *("i", "we", "you", "he", "she", "they", "someone", "somebody", "everyone", "everybody", "nobody"),
        "people",
        # the corpus's other languages: "sonnet: la factura sigue sin pagar" is the invoice's state
        *("le", "la", "les", "un", "une", "des", "ce", "cette", "ces", "notre", "nos", "votre", "vos"),
        *("el", "los", "las", "una", "unos", "unas", "este", "esta", "estos", "estas", "nuestro", "nuestra"),
        *("der", "die", "das", "den", "dem", "ein", "eine", "einen", "einem", "einer", "unser", "unsere"),
        *("o", "os", "um", "uma", "uns", "umas", "nosso", "nossa"),
        *("il", "lo", "gli", "uno", "questo", "questa"),
    }
)
_PREPOSITIONS = frozenset(
    {"of", "on", "in", "for", "with", "at", "from", "about", "over", "to", "into", "across", "through", "by"}
    | {"de", "du", "sur", "pour", "avec", "dans", "en", "von", "für", "mit", "auf", "über", "zu", "bei"}
    | {"del", "al", "con", "por", "para", "sobre", "di", "della", "per", "da", "do", "no", "na", "em", "com"}
)
_GAP_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
# A model's statement, after its name and the rest of its noun phrase ("opus said", "sonnet's review of the
# consent flow concluded", "haiku's summary says"): what "the audit shows otherwise" answers.
_STATED = re.compile(
    r"(?:['’]s)?\W*(?:[\w'’-]+\W+){0,14}?(?P<verb>says?|said|saying|claim\w*|conclud\w*|thinks?|thought|found|"
    r"finds|reported|reports|answered|replied|wrote|writes|suggest\w*|recommend\w*|shows?|showed|proves?|proved|"
    r"gave|estimat\w*|insist\w*|told|tells?|argu\w*|decided|stated|states)\b"
)


# The person asking, trying a model ("we tried sonnet three times", "I tried twice"): their tries are runs.
_ASKER = frozenset({"i", "we", "you"})


def opens_other_subject(text: str, low: str, start: int, end: int, named: Iterable[Word]) -> bool:
    """Whether the words of `text[start:end]` (just after a model's name) open another subject before the
    verb at `end`: a determiner or pronoun not after a preposition, a capitalised name, another model."""
    if any(start <= w.start < end for w in named):
        return True
    return _subject_in(text, low, start, end, _OTHER_SUBJECT)


def tried_by_someone_else(
    text: str, low: str, since: int, at: int, until: int, named: Iterable[Word]
) -> bool:
    """Whether the tries counted at `at` ("tried", "3 tries") are someone else's than a model's or the
    asker's: another subject opens after the last model named before them ("haiku: the customer tried twice",
    "haiku, Bob tried"), and no model is what was tried ("the team tried haiku twice" is a run of haiku)."""
    named = list(named)
    if not low.startswith(("tried", "tries"), at) or any(at < w.start < min(until, at + 40) for w in named):
        return False  # the other languages' tries ("opus a déjà planté deux fois") are left as they were
    start = max([w.end for w in named if since <= w.end <= at], default=since)
    return _subject_in(text, low, start, at, _OTHER_SUBJECT - _ASKER)


def _subject_in(text: str, low: str, start: int, end: int, subjects: frozenset[str]) -> bool:
    """Whether a word of `subjects` opens a phrase in `low[start:end]`, or the last word is a name ("Bob
    tried"; only the last, since German capitalises every noun)."""
    previous, match = "", None
    for match in _GAP_WORD.finditer(low, start, end):
        word = match.group()
        if word in subjects and previous not in _PREPOSITIONS:
            return True
        previous = word
    return (
        match is not None
        and previous not in _ASKER
        and text[match.start()].isupper()
        and not low[match.end() : end].strip(" ")
    )


def _addressed_then_other(low: str, start: int, verb: int) -> bool:
    """Whether a model addressed just before `start` ("haiku: …", "sonnet, …") is followed by words of their
    own before the verb at `verb`: another subject, capitalised or not ("haiku: bob says otherwise")."""
    address = _ADDRESS.match(low, start)
    return address is not None and _GAP_WORD.search(low, address.end(), verb) is not None


def stated_by_model(text: str, low: str, at: int, since: int, named: Iterable[Word]) -> bool:
    """Whether a model named in `text[since:at]` states something before offset `at` ("opus said …",
    "sonnet's answer says otherwise"), the verb its own."""
    named = list(named)
    for word in named:
        if not since <= word.start < at:
            continue
        stated = _STATED.match(low, word.end, at + 12)  # the verb may be the one at `at` ("says otherwise")
        if (
            stated
            and not opens_other_subject(text, low, word.end, stated.start("verb"), named)
            and not _addressed_then_other(low, word.end, stated.start("verb"))
        ):
            return True
    return False


# A model asked to do the work, not reported on: addressed at the head of a clause ("haiku: …", "sonnet, …",
# "hey opus, …"), asked for ("use haiku: …", "ask sonnet to …"), or a lane named as where the task should
# go ("premium pass needed", "send it to the premium tier", "premium tier please"). Failure words after it
# describe the input ("haiku: the format of these rows is inconsistent"), unless tied to its own answer.
_ASKING = re.compile(
    r"(?:\b(?:use|ask|(?<!we )(?<!i )(?<!they )have|let|get|hey|hi|hello|yo|dear|try|need|needs|want|wants)"
    r"\W+(?:the\W+)?|\b(?:to|into|onto) the\W+|@)$"
)
# The tool for the work ("draft a reply with haiku", "summarize it using sonnet"), unless the words before
# report a run ("we got garbage with haiku", "the tags were wrong with haiku", "tried it through sonnet").
_INSTRUMENT = re.compile(r"\b(?:using|via|with|through)\W+(?:the\W+)?$")
# A few words of what was run may sit between ("we ran the closure scenario with"), and another model run the
# same way before it ("we ran it with opus and with gpt-5.4 high").
_REPORTED_BEFORE = re.compile(
    r"\b(?:\w+ed|ran|did|done|got|had|was|were|been|tried|went|put|gave|is|are)\W+(?:\w+\W+){0,4}"
    r"(?:(?:using|via|with|through)\W+(?:the\W+)?[\w.-]+(?:\W+\w+)?\W+(?:and|or|then)\W+)?"
    r"(?:using|via|with|through)\W+(?:the\W+)?$"
)
_WANTED = re.compile(r"(?:\W+(?:lane|model|tier|pass|models))?\W+(?:needed|required|wanted|please|pls|plz)\b")
_ADDRESS = re.compile(r"\s*(?:[:,]|\s[-–—])\s*")
_LIST_NEXT = re.compile(r"(?:and|or|then|&|too|both|plus)\b")
_CLAUSE_HEAD = " \t*_>-•\"'"
# What the model did, right after its name: "sonnet: got the rounding wrong", "haiku: tagged half of them".
_DID_HEAD = re.compile(r"\W*(?:\w+ed|got|gave|made|did|wrote|broke|keeps|kept|ran|came|took|left|forgot)\b")
# Words that point at the addressed model's own earlier answer: "you got", "your tags", "the tags it gave",
# "wrong again", "still off", "the first draft" ("the last run of this job failed" is the job's).
_OWN_ANSWER = re.compile(
    r"\b(?:you(?:'?ve| have| had)? (?:\w+ed|got|gave|wrote|made|did|said|left|keep|kept|still|broke|forgot)|"
    r"your|yours|again|still|last time|(?:it|they) (?:\w+ed|gave|wrote|made|did|got|said|spat out)|"
    r"(?:previous|earlier|first|last|prior|original) "
    r"(?:answer|attempt|try|output|draft|version|reply|response|go|result)s?)\b"
)


def asked_for(low: str, model: Word, since: int, named: Iterable[Word]) -> bool:
    """Whether `model` (in the clause starting at `since`) is asked to do the work rather than reported on."""
    before = low[since : model.start]
    if _ASKING.search(before) or _WANTED.match(low, model.end):
        return True
    if _INSTRUMENT.search(before):
        return not _REPORTED_BEFORE.search(before)
    address = _ADDRESS.match(low, model.end)
    if address is None or before.strip(_CLAUSE_HEAD):
        return False
    after = address.end()
    # "haiku, sonnet and opus all failed" is a list of subjects; "opus: sonnet failed twice" an address.
    listed = _LIST_NEXT.match(low, after) or any(w.start == after for w in named)
    return "," not in address.group() or not listed


def tied_to_model(
    text: str, low: str, model: Word, phrase: tuple[int, int], clause: tuple[int, int], named: list[Word]
) -> bool:
    """Whether the failure phrase `low[phrase[0]:phrase[1]]` is said of the asked model's own earlier answer:
    after its name with no other subject between ("haiku: wrong again", "sonnet, failed twice"; not ", legal
    pushed back"), its name followed by what it did ("sonnet: got the rounding wrong"), or words that point at
    its answer in the clause ("you got the rounding wrong", "your tags are inconsistent"), not inside the
    phrase after its first word ("the vendor shipped it even though they said …": the vendor's word)."""
    at, phrase_end = phrase
    if model.end <= at and not opens_other_subject(text, low, model.end, at, named):
        comma = max(low.rfind(",", model.end, at), low.rfind(":", model.end, at))
        if comma < 0 or not _GAP_WORD.search(low, comma + 1, at):
            return True
    return bool(
        _DID_HEAD.match(low, model.end, at)
        or any(not at < m.start() < phrase_end for m in _OWN_ANSWER.finditer(low, *clause))
    )


# A quotation, short ones included: words to translate, rewrite or reply to ('translate: "the export
# failed"'), not the person's report. An apostrophe inside a word ("isn't", "sonnet's") neither opens nor
# closes one. Up to 400 characters: longer ones are pasted material (`quoted_spans`), and the bound keeps a
# 40,000-character paste full of apostrophes linear.
_QUOTATION = re.compile(
    r"\"[^\"\n]{0,400}\"|“[^”\n]{0,400}”|«[^»\n]{0,400}»|„[^“”\n]{0,400}[“”]|"
    r"(?<![\w'’])'(?=\S)(?:[^'\n]|(?<=\w)'(?=\w)){0,400}?(?<=\S)'(?!\w)|"
    r"(?<![\w'’])‘(?=\S)(?:[^’\n]|(?<=\w)’(?=\w)){0,400}?(?<=\S)’(?!\w)"
)


# What a model is said to have answered, just before a quotation of it: 'haiku keeps answering "I can't
# help with that"' quotes the model's own failure, not material to work on.
_ANSWERED = re.compile(
    r"\b(?:said|says|saying|answer(?:s|ed|ing)|repl(?:y|ies|ied|ying)|respond(?:s|ed|ing)|wrote|writes|writing|"
    r"return(?:s|ed|ing)|output(?:s|ted|ting)?|spat out|came back with|gave (?:me|us)|gives (?:me|us)|"
    r"told (?:me|us)|tells (?:me|us)|keeps? (?:saying|answering|replying|returning|writing))\W*$"
)


def quotations(text: str, low: str, named: Iterable[Word]) -> list[tuple[int, int]]:
    """Where `text` quotes something, short quotations included, but not a model's answer quoted."""
    if not any(mark in text for mark in "\"“«„'‘"):
        return []
    named = list(named)
    spans = []
    for match in _QUOTATION.finditer(text):
        start = match.start()
        answered = _ANSWERED.search(low, max(0, start - 60), start)
        if answered is None or not any(start - 60 <= w.start < answered.start() for w in named):
            spans.append(match.span())
    return spans
