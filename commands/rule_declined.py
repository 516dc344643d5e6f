"""Models named but not as what ran: declined ("opus is overkill", "don't waste xhigh on this", "haiku is
plenty", "xhigh only if you really need it"), or supposed to fail ("only if sonnet can't do it", "if it gets
them wrong").

The failure and demand rules read a model's name as a run or an ask. A name the person turns down, or keeps
as a fallback, is neither: it says the opposite of a demand for maximum effort, and a verb after it ("xhigh
if needed") is no past run. A failure word after "if" and the model is a failure imagined, not reported,
unless the words say it happened before ("if sonnet fails again").
"""

from __future__ import annotations

from bisect import bisect_right

from commands.patterns import LazyPattern

# Just before a name (or a "best model" phrase): turning it down. Articles may sit between ("no need for the
# strongest model", "não precisa do xhigh").
_DECLINED_BEFORE = LazyPattern(
    r"(?:\b(?:no need (?:for|to use|of)|(?:don'?t|do not|doesn'?t|does not|won'?t|will not|shouldn'?t|never) "
    r"(?:really )?(?:need|use|want|bother with|waste(?: time| money)?(?: on)?|burn(?: money)? on)|"
    r"no point (?:in )?(?:using|paying for)|skip|avoid|stay away from|steer clear of|without|instead of|"
    r"rather than|"
    r"pas besoin d[e'’]?|inutile d'utiliser|n'utilise pas|[ée]vite[rz]?|sans|"
    r"no hace falta|no (?:uses|utilices|necesitas|necesitamos)|evita|sin|"
    r"ohne|"
    r"non serve|non c'è bisogno d[i'’]|non usare|senza|"
    r"n[ãa]o precisa(?:mos)? d[eoa]s?|n[ãa]o (?:use|usa|usem)|evite|sem)\s*"
    r"(?:(?:the|a|an|any|le|la|les|l'|el|los|das|den|die|der|dem|il|lo|o|a|os)\s+)?)$"
)
# A bare "no" or "not" turns a name down only when the name is all it says: "no xhigh, no opus:", "not xhigh
# please", "opus, not sonnet, should…" ("no opus run yet", "is it not opus that failed?" are other things).
_NO_BEFORE = LazyPattern(r"\b(?:not|no|pas d[e'’]?|nada de|kein(?:e[nmrs]?)?|nicht|niente)\s*(?:the\s+)?$")
_NO_AFTER = LazyPattern(
    r"\s*(?:[,:;.!?)]|$|(?:please|pls|plz|this time|here|for this|today|again|por favor|bitte|"
    r"s'il te pla[iî]t|per favore)\b)"
)
# Just after a name: more than the work needs, enough, or only a fallback ("opus is overkill here", "xhigh
# would be a waste", "haiku is plenty", "gpt-5.4 xhigh only if you really need it", "xhigh? probably not").
# Not past a sentence's end or a colon (after "xhigh:" comes what it is for), and not words that open a
# statement of their own ("too much is riding on this", "plenty of budget", "troppo importante").
_DECLINED_AFTER = LazyPattern(
    r"(?:\W*(?:nah|nope|no|non|nein|n[ãa]o)\b)?"  # "xhigh? nah, overkill"
    r"(?:['’]s|\s+(?:is|are|would be|will be|might be|may be|should be|could be|ought to be|seems|feels|"
    r"sounds|ist|wäre|est|serait|es|sería|è|sarebbe|é|seria))?"
    r"(?:\s+(?:honestly|really|probably|clearly|just|definitely|totally|completely|kind of|here|for this|"
    r"for that|on this|hier|ici|aquí|aqui|qui|vraiment|wirklich|davvero|realmente|clairement|claramente))*"
    r"[^\w.:;!]*(?:overkill|over-kill|"
    r"(?:way |far |much |a bit |a little )?too (?:much|big|expensive|pricey|heavy|fancy|slow|powerful)|"
    r"(?:a )?(?:bit|little) much|(?:a )?waste|wasted on|(?:more than |quite )?enough|plenty(?! of\b)|"
    r"sufficient|good enough|not (?:needed|necessary|required|warranted|worth it)|unnecessary|excessive|"
    r"only (?:if|as a|when (?:you|we) (?:really )?(?:need|must))|as a (?:fallback|backup|back-up)|"
    r"probably not|"
    r"if (?:really |absolutely |strictly |truly )?(?:needed|necessary|required|need be|you must|you have to|"
    r"we must|we have to|(?:you|we) (?:really )?need (?:it|to)|it comes to that)|"
    r"übertrieben|zu (?:teuer|gro(?:ß|ss)|viel)|nicht nötig|nur (?:wenn|falls)|falls nötig|reicht|genügt|"
    r"exag[ée]r\w*|excessi[fv]\w*|exzessiv\w*|excesiv\w*|eccessiv\w*|trop (?:cher|lourd|puissant|pour)|"
    r"superflu\w*|suffi(?:t|ra|sant)|seulement si|"
    r"si (?:n[ée]cessaire|besoin)|demasiado|sobra|suficiente|basta|s[oó]lo si|si hace falta|"
    r"esagerat\w*|troppo|sufficiente|solo se|se serve|demais|s[oó] se|se precisar)\b"
    r"(?!\s+(?:is|are|was|were|riding|at stake|on the line|en juego|in gioco|en jeu|em jogo|"
    r"important[ei]?)\b)"
)
# Kept for later or out of it: "save xhigh for something that matters", "keep opus out of this".
_SAVED_BEFORE = LazyPattern(r"\b(?:save|keep|reserve|leave)\s+(?:the\s+)?$")
_SAVED_AFTER = LazyPattern(
    r"\s+(?:for (?:something|later|another|when|a harder|the (?:hard|big|real))|out of (?:this|it))\b"
)
# Every name named in it turned down: "neither opus nor xhigh is needed".
NEITHER = ("neither", "ni ", "weder", "né", "nem")  # one of these opens each of its phrases
_NONE_NEEDED = LazyPattern(
    rf"\b(?:{'|'.join(word.strip() for word in NEITHER)})\b"
    r"[^;!?\n]{1,60}?\b(?:nor|ni|noch|né|nem)\b[^;!?\n]{1,40}?\b"
    r"(?:is|are|(?:ne )?(?:sont|est)|es|son|ist|sind|è|sono|é|s[ãa]o) (?:needed|necessary|required|warranted|"
    r"called for|n[ée]cessaires?|necesari[oa]s?|n[öo]tig|notwendig|necessari[oe]|necess[áa]ri[oa]s?)\b"
)


def none_needed(low: str, at: int) -> bool:
    """Whether the "neither … nor" at `at` says none of them is needed, not that none managed."""
    return _NONE_NEEDED.match(low, at) is not None


def declined(low: str, start: int, end: int, clause: tuple[int, int]) -> bool:
    """Whether the name (or demand phrase) at `low[start:end]` is turned down in its clause: "no need for
    opus", "xhigh is overkill", "haiku is plenty", "opus only if you must"."""
    since, until = clause
    # The words after may close the clause: "xhigh? nah, overkill."
    after = max(until, min(len(low), end + 40))
    if _DECLINED_BEFORE.search(low, max(since, start - 40), start) or _DECLINED_AFTER.match(low, end, after):
        return True
    if _NO_BEFORE.search(low, max(since, start - 12), start) and _NO_AFTER.match(low, end, until):
        return True
    if _SAVED_BEFORE.search(low, max(since, start - 16), start) and _SAVED_AFTER.match(low, end, until):
        return True
    if all(low.find(word, since, until) < 0 for word in NEITHER):
        return False  # most clauses: the pattern below cannot match
    return any(m.start() <= start < m.end() for m in _NONE_NEEDED.finditer(low, since, until))


# The head of a condition whose subject is a model or stands for one: "if sonnet", "only if the haiku", "in
# case gpt-5.4 medium", "si sonnet", "falls sonnet", "se o sonnet"; "if it", "if they" after a model.
# ("even if opus got it wrong last time" concedes that it did)
_IF = r"(?<!even )(?<!as )\b(?:if|unless|in case|whether|si|wenn|falls|ob|qualora|nel caso|caso|se)\s+"
_SUPPOSED_BEFORE = LazyPattern(_IF + r"(?:(?:the|le|el|o|il|lo|der|die|das)\s+)?$")
_SUPPOSED_PRONOUN = LazyPattern(_IF + r"(?:it|they|that one|il|elle|er|es|ele|ela)\b")
# Where a condition ends: a comma, colon or dash, or "then"; its clause's end otherwise.
_CONDITION_END = LazyPattern(r"[,:;()]|\s[-–—]\s|\b(?:then|alors|entonces|dann|allora|ent[ãa]o)\b")
# Words that make a condition a report: "if sonnet fails again", "if it still gets them wrong".
_HAPPENED = LazyPattern(
    r"\b(?:again|still|already|keeps?|once more|de nouveau|encore|otra vez|de nuevo|todav[ií]a|wieder|"
    r"immer noch|schon|ancora|di nuovo|gi[àa]|de novo|ainda|j[áa])\b"
)


def supposed(low: str, names: list[tuple[int, int]], clauses: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where `low` supposes a failure of a model named at one of `names` (spans) in `clauses`: from the "if"
    to where its condition ends, unless the words there say it happened before."""
    spans: list[tuple[int, int]] = []
    starts = [since for since, _ in clauses]
    for start, end in names:
        since, until = clauses[bisect_right(starts, start) - 1]
        head = _SUPPOSED_BEFORE.search(low, max(since, start - 24), start)
        after = end
        if head is None:
            head = _SUPPOSED_PRONOUN.search(low, end, until)  # "use haiku, and if it gets them wrong …"
            if head is None:
                continue
            after = head.end()
        stop = _CONDITION_END.search(low, after, until)
        span = (head.start(), stop.start() if stop else until)
        if not _HAPPENED.search(low, *span):
            spans.append(span)
    return spans
