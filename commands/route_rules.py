"""The guide's explicit rules, read from the task: an earlier failure of this task, and a demand for maximum.

The lane model reads the kind of work; these rules sit on top of it because the guide states them as rules:
- an earlier failure moves the task one rung above the rung that failed;
- only a failure at the premium rung, or an explicit demand for maximum effort with cost or time no
  object, reaches `max`.
Failures are found where a model or effort name (marked with its rung by `ModelNames`) shares a clause with
a failure phrase. A mention is not a failure: "haiku did fine", "write a prompt for haiku", and "opus got
something else wrong earlier, unrelated" are recognised and set aside, and the decision says so. Nor are
words in that clause that belong to someone or something else (`commands/rule_subjects.py`): Bob saying
otherwise, the customer's tries, the input's faults while a model is only asked to do the work, quoted text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from commands.model_names import rung_word
from commands.patterns import LazyPattern
from commands.rule_declined import NEITHER, declined, none_needed, supposed
from commands.rule_subjects import (
    asked_for,
    opens_other_subject,
    quotations,
    stated_by_model,
    tied_to_model,
    tried_by_someone_else,
)
from commands.text_features import RUNG_WORDS, Word, fold, quoted_spans

# The patterns are lower case and run on the lower-cased text (`_lowered`): matching with IGNORECASE
# took four to five times as long.
# Every branch opens with a character or a class, never an optional one: the pattern engine then skips to
# the few places a clause can end instead of trying each branch at every character (the same clauses as
# `[.;!?]+(?=\s|$)|\n|,?\s+but\s+|,?\s+(?:aber|…)\s+`, in about 55% of the time on a 900-character task).
_CONTRASTS = r"(?:but|aber|mais|pero|mas|ma)"
_CLAUSE_END = re.compile(rf"[.;!?]+(?=\s|$)|\n|,\s+{_CONTRASTS}\s+|\s+{_CONTRASTS}\s+")
# A clause before a failure that is the note and little more is a note about it ("unrelated, but …", "totally
# unrelated btw, but …"); a longer one says what else is unrelated ("it's not related to billing. sonnet …").
_NOTE_SLACK = 12
_CONTRAST = re.compile(rf"\b{_CONTRASTS}\b")
_VERDICT_CHARS = 160  # how long the sentence after a model's mention may be and still be its verdict

# After a different answer each time, that this is what was meant ("a different joke each time, which is the
# point"); after good on paper, that practice bore it out ("looked good on paper and held up in the pilot").
_AS_MEANT = (
    r",? (?:which|that|and that)(?:'s| is| was) (?:fine|ok(?:ay)?|good|great|the point|the idea|intended|"
    r"what (?:we|i) (?:want|wanted|asked for|need|needed))|,? and (?:we|i) (?:love|loved|like|liked) (?:it|that|them)"
)
_BORNE_OUT = r",? and (?:\w+ ){0,3}?(?:in (?:practice|reality)|held up|holds up|worked|works|confirmed|bore (?:it|that) out)"
# What a model flagged, blamed or pointed at, before "that turned out to be fine": the model's call was wrong.
# Without one, what turned out fine is someone else's story ("we used opus for the vendor audit; the vendors,
# which turned out to be fine, want the report").
_FLAGGED = LazyPattern(
    r"\b(?:flag\w*|blam\w*|point\w* (?:at|to)|mark\w*|call\w* out|suspect\w*|rais\w*|report\w*|accus\w*|"
    r"identif\w*|pick\w*|chose|chosen|tagg?\w*|label\w*|classif\w*|said|says|thought|thinks|claim\w*|insist\w*|"
    r"conclu\w*|guess\w*|predict\w*|warn\w*|escalat\w*|singled out|pinn?\w*|caught|catch\w*|block\w*|"
    r"reject\w*|filter\w*|quarantin\w*|deni\w*|refus\w*|sent|moved|put)\b"
)
_TURNED_OUT = re.compile(r"\b(?:turned|turns|turn) out\b")

# Results that disagree ("three different answers", "respuestas distintas"), in the failure phrases below.
_UNLIKE = (
    r"(?:different|conflicting|contradictory|diff[ée]rent\w*|distint\w*|diferent\w*|verschieden\w*|"
    r"unterschiedlich\w*|divers[ei])"
)
_RESULTS = (
    r"(?:answers?|results?|numbers?|totals?|figures?|outputs?|conclusions?|causes?|verdicts?|rankings?|scores?|"
    r"estimates?|forecasts?|r[ée]ponses|r[ée]sultats|chiffres|totaux|respuestas|resultados|cifras|totales|"
    r"conclusiones|causas|antworten|ergebnisse|zahlen|summen|ursachen|risposte|risultati|cifre|totali|conclusioni|"
    r"respostas|n[úu]meros|totais|conclus[õo]es)"
)
# Runs that disagree, counted: "three runs gave three different answers", "four tries, four different root
# causes", "two runs, two answers", "trois essais, trois réponses différentes", "different totals from three
# runs".
_RUNS = (
    r"(?:runs?|tries|attempts|passes|times|essais|tentatives|passages|ejecuciones|intentos|corridas|pasadas|"
    r"l(?:ä|ae)ufe|durchl(?:ä|ae)ufe|versuche|tentativi|esecuzioni|execu[çc][õo]es|tentativas|rodadas)"
)
_DISAGREE = (
    rf"{_RUNS}\b[^.;!?\n]{{0,30}}?\b(?:{_UNLIKE} (?:\w+ )?{_RESULTS}|{_RESULTS} (?:\w+ )?{_UNLIKE}|"
    r"(?:two|three|four|five|six|several|multiple|[2-9]) (?:\w+ )?(?:answers|results|numbers|totals|verdicts|"
    r"conclusions|estimates|outcomes|figures))|"
    rf"{_UNLIKE} (?:\w+ )?{_RESULTS} (?:from|across|in|on|over) (?:\w+ ){{0,2}}?(?:runs|tries|attempts|passes)"
)

# Said of a model's earlier attempt at this task. English first; the other languages the corpus covers
# (French, Spanish, German, Portuguese, Italian) get their commonest phrasings.
_FAILED = LazyPattern(
    r"\b(?:fail(?:s|ed|ing|ure)?|wrong|missed|miss(?:es|ing)|keeps? missing|can'?t|cannot|couldn'?t|"
    r"didn'?t (?:work|help|get|find|solve|manage|catch)|not good enough|inconclusive|shallow|brittle|gave up|"
    r"incorrect|hallucinat\w*|still (?:wrong|broken|stuck|fails|missing|no|off|bad)|no luck|not enough|"
    r"struggl\w*|chok(?:ed|es|ing)|unhelpful|useless|doesn'?t (?:work|even|compile|run)|ran out of|"
    r"stuck|went nowhere|didn'?t pan out|no progress|plausible but|contradict\w*|flawed|buggy|broken|broke(?!(?: \w+){0,2} (?:down|out|up|into|apart)\b)|"
    r"mislabel\w*|misclassif\w*|misread\w*|mangl\w*|botch\w*|garbled?|messed up|gets? (?:it|them|this) wrong|"
    r"got (?:it|them|this) wrong|inconsistent|unusable|not usable|mix(?:ing|ed) up|kept \w+ing|isn'?t right|"
    r"it isn'?t|it'?s not|nonsense|made up|invent\w*|off the mark|way off|wasn'?t (?:able|good|right)|"
    r"incomplete|overlooked|left out|(?:didn'?t|couldn'?t|could not|did not) (?:find|spot|see|figure)|"
    r"fell short|came up short|ignored|(?:doesn'?t|does not|didn'?t|did not|won'?t) (?:explain|square|hold|add up|"
    r"match|account|handle|cover|scale|compile|pass)|would have|panned out|none of (?:them|it|those)|"
    r"(?:isn'?t|wasn'?t|aren'?t|weren'?t) (?:right|correct|accurate|it|true|the case)|it (?:isn'?t|is not|does not|doesn'?t)|"
    r"made (?:it|things) worse|worse|caught it|got (?:caught|flagged)|redo|re-?do|try again|another pass|"
    r"disagree\w*|conflict\w*|push ?back|pushed back|(?:says?|said|shows?|showed|proves?|proved) otherwise|(?:didn'?t|doesn'?t|did not|does not) tie out|"
    r"still (?:\w+s|there|happen\w*|shows?|not|doesn'?t|isn'?t|has|have)|skipped|blamed|signed off|"
    r"mis(?:characteri[sz]|represent|interpret|understo|understand|stat|calculat|count|quot|attribut|identif|judg)\w*|"
    r"f[ae]ll(?:s|en)? apart|burn(?:ed|t) through|"
    # Shown wrong without a failure word. What it flagged or blamed turned out fine ("flagged vendors that
    # turned out to be fine"; "opus's forecast turned out to be right" is praise, in `_WENT_WELL`):
    r"(?:that|which|who) (?:all |both |later )?(?:turned|turns|had turned) out (?:to be )?(?:\w+ )?(?:fine|ok(?:ay)?|"
    r"harmless|legit\w*|benign|unrelated|irrelevant)|(?:turned|turns|turn) out (?:to be )?(?:\w+ )?(?:unrelated|"
    r"irrelevant|(?:a |just )?(?:red herrings?|false (?:alarms?|positives?)|non-?issues?))|"
    # good on paper only: "looked great on paper but the pilot lost money", "parfait sur le papier" ("the plan
    # looks good on paper, turn it into an epic" is praise of the written plan)
    r"(?:looked|seemed|sounded|was|were) (?:\w+ )?(?:great|good|fine|nice|solid|perfect|plausible|convincing|sound|"
    r"reasonable|brilliant|elegant|ok(?:ay)?) (?:on paper|in theory)(?!"
    + _BORNE_OUT
    + r")|auf dem papier (?:\w+ )?(?:gut|super|toll|"
    r"perfekt|überzeugend)|(?:bien|bon(?:ne)?s?|parfait\w*|g[ée]nia\w*|buen[oa]s?|perfect[oa]s?|buon[oaie]|"
    r"perfett\w*|gut|perfekt|toll|bo[am]s?|perfeit\w*|[óo]tim\w*) (?:sur le papier|en th[ée]orie|(?:sobre el|en el|en) "
    r"papel|en teor[ií]a|sulla carta|in teoria|auf dem papier|in der theorie|no papel|em teoria)|"
    # runs that disagree: "gives me a different total every time", "two runs came back 3% and 11%"
    # ("a bot that gives a different greeting every time" is what to build)
    r"(?:(?:gave|got|returned|produced|came back with|said|answered|spat out)(?: me| us)?|(?:keeps? )?(?:giving|"
    r"returning|producing|coming back with|spitting out)(?: me| us)?|(?:gives|gets|returns|produces|comes back with|"
    r"says|answers|spits out) (?:me|us)) (?:a |an )?different \w+(?: \w+)? (?:each|every) "
    r"(?:time|run|go|try|pass)(?!"
    + _AS_MEANT
    + r")|(?:runs?|tries|attempts|passes|times|passages|essais|tentatives|ejecuciones|"
    r"corridas|intentos|pasadas|esecuzioni|tentativi|passaggi|l(?:ä|ae)ufe|durchl(?:ä|ae)ufe|versuche|execu[çc][õo]es|"
    r"tentativas|rodadas)\b(?: \S+){0,6}? (?:came back(?: with)?|gave|returned|produced|landed on|said|(?:ont )?donn[ée]|"
    r"donnent|dieron|devolvieron|(?:hanno )?dato|ergaben|lieferten|deram|retornaram) [^\s,;]*\d[^\s,;]*(?: ?%)?,?"
    r"(?: [^\s,;]*\d[^\s,;]*(?: ?%)?,?)* (?:and|vs\.?|versus|then|or|et|puis|y|o|luego|e|poi|und|dann|depois) "
    r"[^\s,;]*\d\w*|(?:donne\w*|donn[ée]|d[aàá]|dio|dato|gibt|gab|deu|renvoie\w*|devuelve\w*|restituisce|liefert\w*|"
    r"retorna\w*) (?:\w+ ){0,3}?(?:(?:diff[ée]rent|distint|diferent|divers|ander)\w* (?:\w+ ){0,2}?(?:à chaque fois|"
    r"chaque fois|cada vez|ogni volta|jedes mal|toda vez)|(?:à chaque fois|chaque fois|cada vez|ogni volta|jedes mal|"
    r"toda vez) (?:\w+ ){0,2}?(?:diff[ée]rent|distint|diferent|divers|ander)\w*)|"
    # German's perfect tense: "hat jedes Mal eine andere Zahl geliefert"
    r"jedes mal (?:\w+ )?ander\w* \w+ (?:geliefert|gegeben|ausgegeben|ausgespuckt|berechnet|genannt)|"
    # beside the point: "passe à côté du sujet", "no da en el clavo", "non centra il punto", "am Thema
    # vorbei", "passou longe"
    r"pass\w* (?:\w+ ){0,2}?à c[oô]t[ée](?: du sujet| de la question| de l'essentiel| du probl[eè]me| de l'enjeu| du "
    r"point|(?=$|[,)]))|hors[- ]sujet|no (?:da|dio|dan|dieron|ha dado|han dado) (?:\w+ )?en el clavo|fuera de tema|"
    r"non (?:ha |hanno )?centra(?:to|no)? (?:il |l')?(?:punto|bersaglio|obiettivo|problema|nocciolo)|"
    r"fuori (?:tema|bersaglio)|(?:am thema|an der sache|am ziel|an der frage|am punkt|am kern|an der aufgabe) vorbei\w*|"
    r"(?:völlig|total|komplett|voll|weit) daneben|pass(?:ou|a|aram|am|ando) (?:\w+ )?longe(?! d[aoe]s? )|"
    r"fora d[oa] (?:assunto|tema|alvo)|off[- ]topic|wide of the mark|"
    r"flub\w*|hopeless|(?:is|was|were|are) (?:total |complete |utter )?(?:garbage|rubbish|trash|junk)|flip-?flop\w*|blew(?! (?:up|away|past|through|out)\b)|blown|"
    # what else bombs or tanks: "the stock tanked", "movies that tanked", "the app bombed on launch day"
    r"(?<!that )(?<!which )(?<!stock )(?<!stocks )(?<!shares )(?<!price )(?<!prices )(?<!sales )(?<!market )(?<!app )"
    r"(?:bomb(?:ed|s)|tank(?:ed|s))|flopp?(?:ed|s)|"
    r"fumbl\w*|butcher\w*|screw(?:ed|s) (?:it |this |that |them )?up|dropped the ball|whiff\w*|missed the mark|"
    r"off base|no dice|double-?count\w*|ignor\w*|disprov\w*|(?:didn'?t|did not) do (?:any )?better|"
    r"neither\b.{1,60}\bnor|\bni\b.{1,60}\bni\b|\bnem\b.{1,60}\bnem\b|\bweder\b.{1,60}\bnoch\b|"
    r"\bné\b.{1,60}\bné\b|"
    r"(?:a |ha |hat |è |e )?(?:échou\w*|echou\w*|fall[oóé]\w*|fracas\w*|gescheitert|fehlgeschlagen|versagt|"
    r"falsch\w*|sbagli\w*|fallit\w*|fallisc\w*|fall(?:a|an|aron)|"
    # "lag daneben", "danebengelegen"; "daneben" alone is "beside it"
    r"daneben ?(?:ge\w+|lieg\w*|lag\w*)|(?:lag|lagen|liegt|liegen)\b(?: \w+){0,4} daneben|"
    r"(?:non ha|n'a pas|no|não|nicht) (?:convint\w*|convaincu|convenci[oó]|convenceu|überzeugt)|"
    r"saltat\w*|übersprungen|à côté de la plaque|non ha capito|n'a pas compris|no entendi[oó]|"
    r"não entendeu|nicht verstanden|rejeit\w*|bocci\w*|widerleg\w*|r[ée]fut\w*|confut\w*|no da pie con bola|"
    # "viajou" is slang for going astray, but also plain travel ("viajou para Lisboa"); "sigue igual" is a
    # result unchanged, but "la plantilla sigue igual que…" / "le format reste pareil" an instruction.
    r"viajou(?! (?:para|pra|a|ao|à|até|de|em|no|na|por)\b)|"
    r"(?<!format )(?<!formato )(?<!plantilla )(?<!modèle )(?<!template )(?<!vorlage )(?<!layout )"
    r"(?:continua|sigue|reste|bleibt) (?:igual|pareil|gleich)(?! (?:que|pour|para|wie|a|à|al|como|for)\b)|"
    # Forgetting, not a reminder not to forget ("don't forget", "n'oublie pas", "sin olvidar", "non
    # dimenticare", "não se esqueça") nor forgetting nothing ("nichts vergessen", "n'a rien oublié").
    r"(?<!n't )(?<!n’t )(?<!never )(?<!without )forg(?:ott?|ets|ott?en|etting)(?! nothing| anything)|"
    r"(?<!n')(?<!n’)(?<!pas )(?<!rien )(?<!sans )oubli\w*|(?<!no )(?<!sin )(?<!no se )olvid\w*|"
    r"(?<!nicht )(?<!nichts )vergess\w*|vergisst|verga(?:ß|ss)|verbock\w*|vermassel\w*|(?:fez|fizeram) (?:uma )?(?:bagun[cç]a|besteira|asneira)|(?<!não )(?<!nao )(?<!sem )(?<!não se )esquec\w*|"
    r"(?<!non )(?<!senza )(?<!non ha )dimentic\w*|"
    r"no ha (?:conseguido|podido|logrado|sabido)|errat\w*|falh\w*|incorrect\w*|se equivoc\w*|s'est tromp\w*|trompé|"
    r"no (?:pudo|pudieron|funcion\w*|sirvi\w*|consigui[oó]|consiguieron|lograron)|no han (?:conseguido|podido|logrado)|"
    r"n'(?:a|ont) pas (?:réussi|marché|su|compris|trouvé)|hat nicht|"
    r"non (?:(?:è|sono|siamo) riuscit\w*|ha(?:nno)? funzionat\w*)|"
    r"não (?:conseguiu|conseguiram|funcionou|achou|encontrou|viu)|"
    # Done badly: "a mal trié", "están mal interpretados", "classificou mal", "tradotto male" ("pas mal",
    # "no está mal" are praise)
    r"(?<!pas )(?<!no )(?<!não )(?<!nada )mal (?:\w+(?:é|ée|és|ées|ado|ada|ados|adas|ido|ida|idos|idas|ato|ata|"
    r"ati|ate|ito|ita|iti|ite))|\w+(?:ou|eu|iu) mal|\w+(?:at|it|ut|tt)[oaie] male|"
    # Asked to redo it properly: "refais-le proprement", "rifallo bene", "nochmal sauber"
    r"refai\w* (?:\w+ ){0,3}?(?:proprement|correctement|mieux|comme il faut)|"
    r"rifa\w* (?:\w+ ){0,3}?(?:bene|come si deve|correttamente|meglio)|"
    r"rehaz\w* (?:\w+ ){0,3}?(?:bien|correctamente|mejor)|refaz\w* (?:\w+ ){0,3}?(?:direito|corretamente|melhor)|"
    r"(?:noch ?mal|nochmals|erneut) (?:\w+ ){0,2}?(?:sauber|richtig|ordentlich|besser)|erro\w*|rat[ée]\w*|(?:s'est|se|a|ont|ça|ca) plant[ée]\w*|trouve pas|"
    r"(?:s'est|se sont|s'était) (?:vautr|ramass|emmêl)\w*|tomb\w* pas juste|"
    # none of them got it right: "nenhum acertou", "ninguno acertó", "aucun n'a réussi", "nessuno ci è riuscito"
    r"(?:nenhum|nenhuma|ninguno|ninguna|aucun|aucune|nessuno|nessuna|keiner|keine) (?:\w+ )?(?:acert\w*|"
    r"lo (?:logr|consigui)\w*|n'a (?:réussi|trouvé)|ci (?:è|ha) \w+|hat es geschafft|hat (?:\w+ )?gefunden)|"
    r"n[ãa]o acert\w*|"
    # Came up empty: "drew a blank", "struck out", "no dieron con", "n'ont rien trouvé", "non sono venuti a capo",
    # "não chegaram a lugar nenhum", "nicht weitergekommen"
    # ("struck out the duplicate lines" is crossing them out)
    r"dr[ae]w a blank|draws? a blank|thr(?:ew|ow|ows) up (?:their|its|our|my) hands|"
    r"none of (?:our|the|my|these|those) (?:\w+ )?(?:models|lanes|tiers|runs|attempts|tries)|str(?:uck|ikes?) out(?=\s*(?:$|[,.;:!?)]|on\b|again\b|too\b|twice\b|both\b|"
    r"as well\b|here\b))|came (?:up|back) (?:empty|dry)|hit a (?:wall|dead end)|mishandl\w*|"
    r"no (?:dio|dieron|ha dado|han dado) con|n'(?:a|ont) rien (?:donné|trouvé|vu)|"
    r"non (?:ne )?(?:è|sono) (?:venut[oiae]|riuscit[oiae]) a capo|"
    r"n[ãa]o (?:chegou|chegaram) a (?:lugar nenhum|nada|nenhuma conclus[ãa]o)|"
    r"nicht weiter(?:gekommen|kamen|kam)|(?:kamen|kam|kommt|kommen) nicht weiter|"
    # A result shown wrong, or against what the model said: "leaves BCN uncovered", "even though it said all
    # bases were fine"
    # ("left the appendix out on purpose", "deliberately left it out" was the person's choice)
    r"(?<!deliberately )(?<!intentionally )(?<!purposely )(?:leaves|left|leaving) (?:[\w'’-]+ ){1,3}?out\b"
    r"(?! loud| there| here| of| on purpose| deliberately| intentionally| by design| as (?:asked|requested))|"
    r"(?:leaves|left|leaving) (?:[\w'’-]+ ){0,4}?(?:uncovered|unassigned|unstaffed|unanswered|unaccounted for|"
    r"unresolved|unhandled|double-booked)|(?:even though|although) (?:it|they) (?:said|says|claimed|"
    r"claims|insisted|insists|swore|reported|told (?:us|me)|assured (?:us|me))|despite (?:it|them) (?:saying|"
    r"claiming|insisting)|"
    # Runs that disagree, counted (`_DISAGREE`)
     + _DISAGREE + r"|"
    # Done badly, or nearly: "handled the invoices badly", "almost got it right", "never got it right" ("we
    # badly need", "a poorly lit scan", "this poorly worded email" are no verdict)
    r"(?<!need )(?<!needs )(?:badly|poorly)(?! [\w-]+(?:ed|en)\b| (?:lit|written|worded|built|made|kept|paid|run|"
    r"spelt|need|needs|want|wants)\b)|(?:almost|nearly|not quite|only half) (?:got|had|nailed|right)|"
    r"never (?:got (?:[\w'’-]+ ){0,4}?(?:right|working|there)|managed|figured|solved|cracked|worked out)|"
    r"n'a pas trouv[ée]|incompl[eè]t\w*|no supo|no (?:encontr[oó]|vio|logr[oó])|se qued[oó] corto|"
    r"nicht geschafft|übersehen|nicht gefunden|unvollständig|deixou de fora|non ha (?:trovato|visto)|"
    r"ignorat\w*|tralasciat\w*|contredi\w*|contradi[cz]\w*|contraddi\w*|widersprich\w*|widerspr[aä]ch\w*|"
    r"fausse|faux|falsa|falso|halluzin\w*|alucin\w*|allucin\w*|superfici\w*|"
    r"rejected|rejet[ée]\w*|rechaz\w*|abgelehnt|rejeitad\w*|"
    r"respint\w*|tumb[oó]|meti[oó] la pata|no cuadra\w*|nicht hin|deu (?:barraca|errado|ruim)|toppat\w*|"
    r"(?:fatto|fait) (?:un )?(?:casino|bordel)|(?:non|nn) ci (?:ha preso|prende|azzecca)|"
    # "still" in four languages, before what is still wrong: "toujours en anglais", "sigue esperando" are not
    # Nonsense, contradictions, mix-ups, going nowhere, not working, in the five languages
    r"m[eè]ne(?:nt)? nulle part|n'aboutit|n'a rien (?:donné|trouvé|vu)|ne (?:change|marche|fonctionne) (?:rien|pas)|"
    r"n'importe quoi|incoh[ée]ren\w*|incoeren\w*|absurd\w*|"
    # mixing up, not a mix ("le mélange des retours", "la mezcla", "a mistura")
    r"(?<!le )(?<!un )(?<!du )m[ée]lang\w*|(?<!la )(?<!una )mezcl\w*|(?<!la )mescol\w*|(?<!a )(?<!uma )mistur\w*|"
    r"confond\w*|confund\w*|verwechsel\w*|durcheinander|no (?:sirve|vale|tiene sentido|acierta|acert[oó])|"
    r"sin sentido|se invent\w*|si invent\w*|inventou|mal hecho|(?:hazlo|hacelo) bien|"
    r"non (?:riesce|riescono|funziona|torna(?:no)?|quadra(?:no)?|ha senso)|senza senso|va in crash|crash(?:a|ano|ato)|"
    r"si pianta|(?:ha )?saltato|salta (?:completamente|del tutto)|pien[oa] di error\w*|"
    r"n[ãa]o (?:funciona|serve|bate|fecha|tem sentido)|sem sentido|deu pau|bugou|trav(?:a|ou|ando)\b|"
    r"fehler gemacht|fehlerhaft\w*|fehlt(?:en)?(?! noch\b(?! immer))|(?:hat|hatte|haben|hatten) keine ahnung|"
    r"keine ahnung(?!,? (?:wer|wo|wie|was|ob|warum|wann|wieso|welche\w*)\b)|unsinn|quatsch|widerspr(?:ü|ue)chlich|inkonsistent|"
    r"klappt nicht|funktioniert nicht|bringt nichts|nichts gebracht|nicht hinbekommen|abgest(?:ü|ue)rzt|st(?:ü|ue)rzt ab|"
    r"(?:ainda|toujours|sigue|siguen|ancora) (?:\w+ ){0,2}?(?:probl\w*|err\w*|m[eê]mes?|c[oô]t[ée]|mal\w*|faux|fausse|pas|no|n'|ne|sin|non|"
    r"n[ãa]o|sem|sbagli\w*|incorrect\w*|incomplet\w*|vides?|vac[ií]\w*|vuot\w*|rot[oa]s?|cass\w*|"
    r"igual|iguais|pareil|uguale|fall\w*|falh\w*|quebrad\w*|bloqu\w*|atascad\w*|bloccat\w*|travad\w*|rien|nada|"
    r"niente|nulla|mauvais\w*|equivocad\w*|lo mismo|le même|lo stesso|o mesmo|faltan?|manque\w*|mancan?\w*|"
    r"falta\w*|d[ée]cal\w*|off|bugg\w*|plant\w*|sans|senza|a (?:faltar|falhar|errar|dar))|immer noch|"
    r"keeps (?:giving|returning|producing|suggesting|making|getting|writing|adding|breaking|inventing|dropping|"
    r"repeating|mixing)))"
    r"\b",
)
# A model named as the subject of the task, or as having done well, or a failure said to be about
# something else.
_NOT_THIS_TASK = LazyPattern(
    r"\b(?:(?<!out to be )(?<!turned out )(?<!turns out )unrelated|different (?:task|thing|project|issue|question|repo|topic|subject|matter|ticket|doc|feature|"
    r"dataset|client|customer|account|outage|incident|case|report|deal|vendor|batch)|something else|"
    # "a different one" is another task, unless it is the model asked for ("botched it, try a different one")
    r"(?<!try a )(?<!use a )(?<!pick a )(?<!need a )(?<!want a )(?<!with a )(?<!to a )different one|"
    r"another (?:task|thing|project|repo|topic)|"
    r"other (?:task|project|thing)|separate (?:task|issue|thing|matter|project)|(?:that'?s|it'?s|that was|is) separate|"
    r"not (?:this|related)|nothing to do with|(?:ignore|disregard) (?:that|it)\b|"
    r"sin relaci[oó]n|sans rapport|rien [àa] voir|autre (?:sujet|chose)|(?:nichts|nix) damit zu tun|etwas (?:anderes|anderem)|"
    r"non c'entra|tutt'altro|altra cosa|lascia stare|n[ãa]o tem (?:nada )?a ver|nada a ver|outra coisa|otra cosa)\b",
)
# Said of a model that did its job: the clause names it, but not as a failure.
_DID_WELL = LazyPattern(
    r"\b(?:did (?:fine|well|great|ok(?:ay)?)|(?:a |an )?(?:nice|good|great|solid|decent|fine|reasonable) job|handled .{0,40}?\bfine|(?:works?|worked|went|handled \w+(?: \w+)?) (?:fine|well|great)|"
    r"(?:was|were|is) (?:fine|great|good|decent|ok(?:ay)?|spot on|right|correct)(?! on paper| in theory| about)|nailed|no (?:issues|problems)|(?:a|ha|hat) (?:bien|gut) (?:marché|funktioniert))\b",
)
# Good on paper, said in the present: a failure only with a "but" after it ("the plan looks good on paper,
# turn it into an epic" is praise of the written plan).
_ON_PAPER_NOW = LazyPattern(
    r"\b(?:looks?|seems?|sounds?|is|are) (?:\w+ )?(?:great|good|fine|nice|solid|perfect|plausible|convincing|"
    r"sound|reasonable|brilliant|elegant|ok(?:ay)?) (?:on paper|in theory)\b"
)
# A model said to be more than the work needs ("sonnet's a bit much for this, just fix the spelling"): the
# person is asking for a smaller one, not reporting that it failed.
_MORE_THAN_NEEDED = LazyPattern(
    r"\b(?:(?:a bit|a little|bit) much|too much for (?:this|it|that)|overkill|too (?:big|expensive|pricey|heavy|fancy|slow)|"
    r"more than (?:we|i|this|it) needs?|(?:don'?t|do not|doesn'?t|does not) need|no need for|waste of|"
    r"trop (?:cher|lourd|puissant)|demasiado (?:caro|potente)|zu (?:teuer|gro(?:ß|ss))|übertrieben|exagerad[oa]|"
    r"esagerat[oa]|troppo (?:caro|potente))\b",
)
# "Deux fois plus court", "dos veces por semana", "zweimal so lang": a measure or a frequency, not tries counted.
_TIMES_AS = (
    r" (?:plus|moins|par|m[aá]s|menos|por|mais|pi[uù]|meno|a settimana|al (?:giorno|mese)|alla|so|pro|"
    r"die woche|im|am)\b"
)
# Attempts counted or tried ("opus a déjà fait deux versions", "zweimal gemacht", "tried sonnet"): a failure
# unless the clause says the runs went well ("zweimal gut gemacht", "tried haiku and it worked great").
_REPEATED = LazyPattern(
    r"\b(?:(?:deux|dos|duas|due|zwei) (?:fois|veces|vezes|volte|versions|versiones|versões|versioni|versionen|"
    r"tentatives|intentos|tentativas|tentativi|versuche)(?!" + _TIMES_AS + r")|zweimal(?!" + _TIMES_AS + r")|"
    r"(?:\d+|two|three|several|multiple|many) tries|tried|"
    r"\d+ ?(?:fois|veces|vezes|volte|mal)(?!" + _TIMES_AS + r")|"
    r"(?:a|ont|on a|j'ai|avons) (?:déjà )?(?:tenté|essayé)|"
    r"intent(?:ó|aron|amos|é)|prob(?:ó|aron|amos|é)|(?:ha|hanno|abbiamo) (?:già )?provato|"
    r"tent(?:ou|aram|amos)|(?:hat|haben|habe) (?:es )?(?:schon )?(?:versucht|probiert))\b",
)
# Someone else's tries, just before the words that count them: "le client a essayé 2 fois de se connecter".
_SOMEONE_ELSE_TRIED = LazyPattern(
    r"\b(?:customers?|clients?|clientes?|users?|kund(?:e|en|in|innen)|usuári[oa]s?|usuari[oa]s?|utent[ei]|"
    r"utilisat(?:eur|rice)s?|nutzer(?:in|innen)?|buyers?|callers?)\b(?:\W+\w+){0,2}?\W*$",
)
# A model's own verdict, reported: "sonnet keeps telling me this is fine but we lose messages", "opus insists
# the numbers tie out". People quote a model's all-clear to dispute it, so this is a failure, not praise.
_CLAIMED_FINE = LazyPattern(
    r"\b(?:gave|gives|given|giving)\b(?: \w+){0,4}? (?:a |an |the |its )?(?:[\"“«']\W*(?:looks good|lgtm|all good|all[- ]clear|"
    r"no (?:issues|problems)|fine|ok(?:ay)?|good to go|ship it|approved|pass(?:ed)?|correct)|thumbs[- ]up|green light|"
    r"clean bill of health|all[- ]clear|go-ahead|pass(?:ing)? (?:grade|mark))|"
    r"\b(?:says?|said|sayed|saying|sayin'?|keeps? (?:saying|sayin'?|telling (?:me|us))|tells? (?:me|us)|told (?:me|us)|claims?|claimed|"
    r"claiming|insists?|insisted|swears?|swore|dice|dijo|dit|sagt|gesagt|disse|diz|jur(?:a|e|ou|ó|é|ato)|meint\w*|behaupt\w*|assicura\w*|aff?irm\w*|"
    r"insist\w*)\b(?:\W+\w+){0,12}?\W+(?<!\bthe )(?<!\ba )(?<!\ban )(?:fine|ok(?:ay)?|correct|right|good|nothing wrong|no bug|tie out|ties out|"
    r"adds? up|works|checks out|holds up|solid|sound|accurate|(?<!to )pass(?:es)?|compiles|gelöst|in ordnung|korrekt|richtig|a posto|in regola|en orden|(?:est[aá]n?|est|sont|va|vanno|sind|est[aã]o?) (?:bien|bem|bene|gut)|resuel\w*|résolu\w*|resolvid\w*|risolt\w*|corret\w*|correct\w*)\b",
)
# Verbs of an all-clear that say it is disputed by themselves ("keeps saying", "insists", "swears").
_INSISTED = LazyPattern(
    r"(?:keeps?|claim|insist|swear|swore|jur|meint|behaupt|assicur|aff?irm)",
)
# After a plain "said it's fine", what disputes it: "still", "yet", "not really", a question.
_DISPUTED = LazyPattern(
    r"\b(?:still|yet|though|however|supposedly|apparently|isn'?t|aren'?t|wasn'?t|not|doubt\w*|"
    r"(?:don'?t|do not|can'?t|cannot) (?:believe|buy|trust|agree)|disagree\w*|"
    # someone else found what the all-clear missed: "and then legal found two gaps"
    r"(?:found|spotted|caught|flagged) (?:\w+ ){0,2}?(?:gaps?|problems?|issues?|errors?|bugs?|holes?|mistakes?|flaws?)|"
    r"trotzdem|doch|pourtant|cependant|sin embargo|mas|porém|però|eppure|comunque)\b|\?",
)
# Between a model and its all-clear: "sonnet says", "I asked sonnet and it said", "sonnet looked and said",
# "haiku has been saying", "sonnet hat behauptet"; another subject ("and legal says") ends it.
_SPEAKER_GAP = LazyPattern(
    r"(?:\W+(?:\w+ed|it|they|both|all|each|too|and|then|still|has|have|had|been|just|also|even|always|again|now|first|took|ran|"
    r"went|got|gave|a|look|hat|ha|et|y|und|e|il|elle|er|es|ele|ela|lui|immer|toujours|sempre|siempre|noch)){0,4}"
    r"[\W]*",
)
# The all-clear reported and then confirmed ("sonnet says it's fine and it is", "I checked, they are"): praise.
_CONFIRMED = LazyPattern(
    r"\b(?:and (?:it|they|that) (?:is|are|was|were|does|did)\b(?!n'?t| not)|(?:i|we) (?:checked|verified), "
    r"(?:it|they|that) (?:is|are|was|were|does|did)\b(?!n'?t| not)|(?:\w+ )?(?:confirmed|verified) (?:it|that|this|so)\b|"
    r"\w+ (?:confirmed|verified)(?=\W*$))",
)
# Asking for a run like an earlier one. With praise of the model that did it, the guide's "smallest model that
# reliably succeeds" is that model's rung: the corpus's writers label 40 of 43 such tasks so, and the other
# three are failures in words the rules do not know.
# What is asked to be the same ("the same way", "the same structure"), in both patterns below.
_SAME = (
    r"same (?:way|again|format|thing|approach|job|as|style|process|structure|template|layout|outline|tone)"
)
_SAME_AGAIN = LazyPattern(
    r"\b(?:" + _SAME + r"|same (?:extraction|categories|tags|for|method|treatment)|"
    r"(?:fai|fa'?|rifai|rifa) lo stesso|la stessa cosa|"
    r"(?:do|run|make) the same|the same for|like (?:last time|before|yesterday)|as before|genauso|"
    r"gleich wie|igual|pareil|de la m[eê]me (?:fa[cç]on|mani[eè]re)|comme (?:avant|la derni[eè]re fois|hier)|"
    r"allo stesso modo|come (?:prima|ieri|l'ultima volta)|do mesmo jeito|da mesma forma|del mismo modo|"
    r"de la misma manera|lo mismo|das gleiche|dasselbe|das selbe|la m[eê]me chose|(?:faz|fa[çc]a|fazer) o mesmo|"
    # the next one of a series: "do this week's", "write this quarter's", "do the April one", "haz las de esta
    # semana"
    r"(?:do|run|write|make|tag|draft|prepare|send|handle|process|summari[sz]e|review|translate|build|produce|"
    r"clean|sort) (?:(?:this|next) (?:week|month|quarter|year|sprint|cycle)(?:'s|’s)|today(?:'s|’s)|"
    r"tomorrow(?:'s|’s)|the (?:next|new|latest|\w+) (?:one|batch|edition|issue)\b)|"
    r"(?:haz|hazme|fais|fai|fammi|mach|fa[çc]a|faz|r[ée]dige\w*|redacta\w*|scrivi|schreib\w*|escreva|escrib[ea]|"
    r"[ée]cris|prepara|pr[ée]pare) (?:\w+ ){0,2}?(?:de esta|de este|de cette|de ce|di questa|di questo|von dieser|"
    r"von diesem|desta|deste) (?:semana|semaine|settimana|woche|mes|mois|mese|monat|m[eê]s|trimestre|quartal|a[ñn]o|"
    r"ann[ée]e|anno|jahr))\b",
)
# Weaker signs that an earlier run went well, or that the person asks for the same again ("codex wrote it
# last week and it's fine", "haiku did the august batch, do september's the same way"). They only stop the
# past-run reading below: a clause with a failure word in it is still read as a failure.
_WENT_WELL = LazyPattern(
    r"\b(?:fine|well|perfect(?:ly)?|no problem|liked it|(?:we|i) lov(?:ed|e) (?:it|them|that)|"
    r"(?:exactly )?what (?:we|i) (?:wanted|asked for)|correct|good|great|nice|solid|decent|"
    r"(?:très )?bien|(?:très )?bon(?:ne)?s?|buen[oa]s?|buon[oaie]|bo(?:a|as|ns)|gute[nrs]?|parfait\w*|sans probl[eè]me|bem|sem problema|perfeit\w*|sin problema|perfect[oa]|"
    r"(?:sehr )?gut|ohne probleme|einwandfrei|bene|benissimo|senza problemi|perfett\w*|"
    r"excellent\w*|superb|flawless\w*|reliable|spot[- ]on|excelente|eccellent\w*|ottim[oaie]|[óo]tim[oa]s?|"
    r"g[ée]nia(?:l|le|ux)|hervorragend|ausgezeichnet|turned out (?:to be )?(?:\w+ )?(?:right|true|accurate)|"
    # handled it, got it right, in the six languages ("never got it right", "no resolvió" are failures)
    r"aced|knocked (?:[\w'’-]+ ){0,5}?out of the park|(?:crushed|killed|smashed) it|"
    r"handled|(?<!never )(?<!n't )(?<!not )(?<!almost )(?<!nearly )got (?!(?:nothing|none|little|few|hardly|barely|"
    r"half|only|almost|nearly|not|about|some|most|a few|maybe)\b)(?:[\w'’-]+ ){1,4}?(?:right|spot on)(?! away)|"
    r"a (?:bien |tr[eè]s bien )?g[ée]r[ée]|s'est bien d[ée]brouill\w*|se encarg[oó]|lo (?:clav|bord)[oó]|"
    r"(?<!no )resolvi[oó]|hinbekommen|gemeistert|ha gestito|(?:ha )?azzeccat\w*|mandou bem|(?<!não )(?<!nao )"
    r"(?<!nenhum )acert(?:ou|aram|[oó])|(?<!não )resolveu|deu conta|lidou bem|"
    r"(?:it|that|this|they|which) (?:holds?|held) up\b(?! only| until| till| except| but| in (?:theory|principle))|"
    r"(?:it|that|this|they|which) (?:works|worked)\b(?! only| half| sometimes| intermittently| until| till| except|"
    r" but| when| if| most| about| part| some| less| badly| poorly| in (?:theory|principle)|"
    r" (?:on|for|with) (?:my machine|mine|small|some|a few|half|most|the first|one|two|short))|"
    + _SAME
    + r"|like last time|as before)\b",
)
# An earlier run of a named model on this task, said without saying how it went wrong ("opus's draft got
# rejected by counsel", "we ran opus on the RCA and the investigator took it apart"). People name a past
# run to ask for better; praise and "unrelated" are read first.
_PAST_RUN_AFTER = re.compile(
    r"\W*(?:\w+\W+){0,3}?(?P<verb>\w+ed|gave|wrote|said|made|came|took|got|ran|thought|built|did|had|has|have|"
    r"was|were|drafted|proposed|produced|reviewed|claimed|concluded|suggested|insisted|told)\b",
)


def _ran_after(text: str, low: str, model: Word, end: int, named: list[Word]) -> bool:
    """Whether a past-tense verb just after `model` is its own ("opus's draft got rejected"), not that of
    another subject opening between ("haiku: the customer tried twice", "haiku, Bob called")."""
    ran = _PAST_RUN_AFTER.match(low, model.end, end)
    return ran is not None and not opens_other_subject(text, low, model.end, ran.start("verb"), named)


_PAST_RUN_BEFORE = re.compile(
    r"\b(?:asked|ran|tried|used|had|gave it to|put it through|(?:resort|escalat\w*|attempt|try) (?:after|from|past))"
    r"\W+(?:\w+\W+){0,2}$"
)
_SUBJECT_BEFORE = re.compile(r"\b(?:for|to|into|pour|para|für|per)\s+$")

# One of these is in every MAX_DEMAND phrase: a few substring tests spare most tasks the big pattern.
_DEMAND_KEYS = (
    "max",
    "massim",
    "most",
    "deep",
    "strong",
    "best",
    "high",
    "hard",
    "top",
    "all",
    "careful",
    "thorough",
    "rigo",
    "rigu",
    "exhaust",
    "definitiv",
    "stone",
    "esfu",
    "sforzo",
    "esfor",
    "cuidad",
    "accurat",
    "approfond",
    "minucios",
    "gruendlich",
    "gründlich",
    "pouss",
    "profon",
    "profun",
    "detallad",
    "dettagliat",
    "miglior",
    "meilleur",
    "mejor",
    "melhor",
    "bestmog",
    "sorgf",
    "moglich",
)


class KeyWords:
    """Whether any word of a task holds one of `keys` (or, `whole`, has one as a part between `'.-/`): a
    quick "this pattern cannot match".

    Asked of the task's distinct (folded) words, which each key of a pattern's phrase falls inside. The
    words seen that hold none are remembered, so a task's words are checked with one set difference in C:
    the same pure function of the words every time, only faster."""

    def __init__(self, keys: Iterable[str], whole: bool = False) -> None:
        self.keys = tuple(fold(key) for key in keys)
        self.whole = frozenset(self.keys) if whole else None
        self.plain: set[str] = set()

    def any_in(self, words: AbstractSet[str]) -> bool:
        if self.plain.issuperset(words):  # every word seen before: no set built
            return False
        unknown = words - self.plain
        for word in unknown:
            if self._holds(word):
                return True
            if len(self.plain) < _PLAIN_LIMIT:
                self.plain.add(word)
        return False

    def _holds(self, word: str) -> bool:
        if self.whole is not None:
            return not self.whole.isdisjoint(_WORD_PARTS.split(word))
        return any(key in word for key in self.keys)


_WORD_PARTS = re.compile(r"['’.\-/]")
_PLAIN_LIMIT = 200_000  # words remembered per key set; past it, new words are checked each time
_DEMAND_WORDS = KeyWords(_DEMAND_KEYS)
MAX_DEMAND = LazyPattern(
    # not "no need for max effort". The word boundary comes before the look-behinds: the same match, but the
    # engine tries the seven look-behinds only where a word starts, not at every character.
    r"\b(?<!no need for )(?<!don't need )(?<!don’t need )(?<!do not need )(?<!without )(?<!not )(?<!no )"
    r"(?:max(?:imum|imal)?[- ](?:reasoning|effort|thinking|depth|deliberation|quality|care|rigou?r)|all[- ]out|"
    r"(?:the |a )?definitive (?:analysis|answer|review|assessment)|"
    r"(?:the |far )?most (?:careful|thorough|rigorous|exhaustive|in-depth)|(?:deepest|strongest|hardest) (?:possible|available|pass|analysis|reasoning)|"
    r"(?:strongest|best) (?:analysis|reasoning|model) (?:available|you(?:'ve| have) got|possible)|"
    r"(?:strongest|best|highest|top) (?:setting|model|lane|tier|effort|reasoning)(?! (?:on|of|in) (?:our|my|your|their|the) )|escalate to the top|"
    r"most careful (?:analysis|review|reasoning|answer)?|as (?:carefully|deeply|thoroughly) as possible|"
    r"deepest|no stone unturned|exhaustive(?:ly)?|best (?:possible|model) (?:answer|reasoning|analysis)?|"
    r"esfuerzo m[aá]ximo|m[aá]ximo esfuerzo|effort maximal|maximale[nr]? (?:aufwand|anstrengung)|"
    r"massimo sforzo|esfor[cç]o m[aá]ximo|"
    # "con el máximo rigor posible", "massimo rigore", "rigueur maximale", "maximaler Sorgfalt", "máximo rigor"
    r"(?:m[aá]xim[oa]|massim[oa]) (?:rigor|rigore|cuidado|cura|atenci[oó]n|attenzione|aten[cç][aã]o|rigurosidad|"
    r"precisi[oó]n|precisione|precis[aã]o)|(?:rigueur|soin|pr[ée]cision|sorgfalt|rigor|rigore|cuidado) m[aá]xim\w*|"
    r"un maximum de (?:rigueur|soin|pr[ée]cision)|maximale[nrm]? (?:sorgfalt|gr(?:ü|ue)ndlichkeit|genauigkeit)|as deep as (?:you )?(?:possibly )?can|"
    # "l'analyse la plus rigoureuse possible", "el análisis más riguroso posible", "la più accurata possibile"
    r"(?:(?:la |el |a |il )?(?:miglior[e]?|meilleure?|mejor|melhor) (?:\w+ )?(?:possibile|possible|posible|poss[ií]vel))|"
    r"(?:so )?(?:gr(?:ü|ue)ndlich|sorgf(?:ä|ae)ltig|genau) wie (?:nur )?m(?:ö|oe)glich|bestm(?:ö|oe)glich\w*|"
    r"sorgf(?:ä|ae)ltigste\w*|"
    r"(?:plus|m[aá]s|pi[uù]|mais) (?:rigoureu|rigoros|riguros|cuidados|accurat|approfondi|minucios|pouss|exhausti|"
    r"profond|profund|detallad|dettagliat)\w* "
    r"(?:possible|posible|possibile|poss[ií]vel)|gr(?:ue|ü)ndlichste)\b",
)
NO_LIMIT = LazyPattern(
    r"\b(?:(?:cost|costs|price|budget|money|time|turnaround|latency|speed)(?: and (?:cost|time|turnaround|latency|speed))? "
    r"(?:don'?t|doesn'?t|do not|does not) matter|(?:cost|budget|money|price|time)(?: is|'s)? (?:(?:isn'?t |is not |not )(?:a |an )?"
    r"(?:factor|issue|concern|object)|(?:a |an )?non-?(?:factor|issue|concern)|irrelevant)|no (?:budget|cost|spending) (?:limit|cap|ceiling)|"
    r"(?:cost|costs|money|time|budget|price)(?: and (?:cost|time|money|budget))? (?:is |are )?no (?:object|concern|issue|problem)|"
    r"spare no (?:expense|cost)|(?:money|budget) can buy|no matter (?:the )?(?:time|cost|price)s?(?: (?:or|and) "
    r"(?:the )?(?:time|cost|price)s?)?|no matter (?:how long it takes|what it costs)|(?:cost|money|budget|price|time)(?:'s|’s) no (?:object|concern|issue)|(?:it'?s|this is) expensive,? (?:that'?s|and that'?s) (?:fine|ok(?:ay)?)|"
    r"(?:spend|pay) whatever(?: it takes)?|whatever it takes|as much (?:time|compute)(?: and (?:time|compute))? as (?:needed|it takes|you need)|"
    r"(?:don'?t|do not) care how long it takes|(?:i'?ll|we'?ll) only ask (?:this|it) once|"
    r"(?:cost|money|price|budget|spend|tokens?) (?:is|are|isn'?t|aren'?t) (?:no|not an?) (?:concern|object|issue|"
    r"problem)|regardless of (?:cost|price|time)|whatever it costs|(?:don'?t|do not) care (?:about|how much) "
    r"(?:the )?(?:cost|price|time|it costs)|time (?:doesn'?t|does not) matter|no time pressure|"
    r"take (?:as long as|your time)|latency (?:doesn'?t|does not) matter|no rush|not time-sensitive|no deadline|"
    r"(?:latency|time|cost|price|speed) (?:is|are) irrelevant|cost no object|money no object|"
    r"peu importe le (?:co[uû]t|prix)|sin importar el (?:costo|coste|precio)|egal was es kostet|"
    r"kosten spielen keine rolle|non importa (?:il costo|quanto costa)|n[aã]o importa o custo|"
    # "cost and turnaround are no concern", "cost and latency irrelevant", "cost and time are not a concern"
    r"(?:cost|costs|budget|money|price|time|turnaround|latency|runtime|speed)(?:,? (?:and|or|&) "
    r"(?:cost|time|turnaround|latency|runtime|speed|budget|money|deadline)s?)? (?:(?:is |are )?(?:truly |totally |"
    r"completely |really )?irrelevant|(?:(?:is |are )?(?:not |no )|(?:isn'?t|aren'?t) )(?:an? )?"
    r"(?:concern|object|issue|problem|factor))|"
    r"no (?:limits?|constraints?|concern|caps?|pressure) (?:on|for|about) (?:the )?(?:cost|time|budget|runtime|money)|"
    r"no (?:budget|cost|time|deadline)(?: or (?:time|deadline|budget|cost))? (?:limits?|pressure|constraints?|caps?)|"
    r"(?:don'?t|do not) care (?:what|how much) it costs|"
    r"(?:co[uû]ts?|d[ée]lais?|prix)(?: et (?:le |les )?(?:co[uû]ts?|d[ée]lais?|prix))? on s'en fiche|"
    r"(?:me )?da igual (?:lo (?:q|que) cueste|el (?:costo|coste|precio))|"
    r"kosten(?: und (?:dauer|zeit))? (?:egal|spielen keine rolle)|"
    r"(?:custos?|tempo)(?: e (?:tempo|prazo|custos?))? n[aã]o importam?|"
    r"(?:costi|costo|tempi|tempo)(?: e (?:tempi|tempo|costi|costo))? non contano|"
    r"(?:le |les )?(?:co[uû]ts?|d[ée]lais?|prix|budget)(?: et (?:le |les )?(?:co[uû]ts?|d[ée]lais?|prix|budget))? "
    r"(?:ne comptent pas|ne compte pas|importent peu|importe peu|(?:ne sont|n'est) pas (?:un )?probl[eè]me)|"
    r"(?:el )?(?:costo|coste|precio|presupuesto)(?: y (?:el )?(?:tiempo|plazo))? (?:no (?:importa|es (?:un )?problema))|"
    r"(?:o )?(?:custo|pre[cç]o|or[cç]amento)(?: e (?:o )?(?:tempo|prazo))? n[ãa]o (?:importa|[ée] (?:um )?problema)|"
    r"(?:il )?(?:costo|prezzo|budget)(?: e (?:il )?(?:tempo|tempi))? non (?:è|sono) un problema|"
    r"(?:die )?(?:kosten|zeit|budget)(?: und (?:die )?(?:zeit|dauer|kosten))? (?:sind|ist) kein problem|"
    r"sin importar (?:el |los |la )?(?:costos?|coste|precio|tiempos?)|"
    r"(?:non badiamo|senza badare) a (?:spese|costi)|"
    r"budget illimit[ée]|sans (?:limite|contrainte)s? de (?:budget|co[uû]t|temps|d[ée]lai)|"
    # "da igual lo que tarde o cueste" is cost as well as time
    r"(?:me )?da igual lo (?:q|que) (?:tarde|cueste|lleve)(?: (?:o|y|ni) (?:lo (?:q|que) )?(?:tarde|cueste|lleve))?|"
    r"no importa (?:lo (?:q|que)|cu[aá]nto) (?:tarde|cueste)|"
    r"(?:el |los )?(?:costes?|costos?|precio|presupuesto)(?: y (?:el )?(?:tiempo|plazo))? (?:me )?da(?:n)? igual|"
    r"peu importe le (?:temps|d[ée]lai)|egal wie lange es dauert|non importa quanto tempo ci (?:vuole|mett\w*)|"
    r"n[aã]o importa quanto tempo demor\w*|(?:sin|no hay) l[ií]mite de (?:presupuesto|coste|costo|tiempo)|"
    r"presupuesto ilimitado|cueste lo que cueste|sem limite de (?:custo|or[cç]amento|tempo)|custe o que custar|"
    r"or[cç]amento ilimitado|non guardare (?:i |ai )?costi|costi quel che costi|budget illimitato|"
    r"senza limiti? di (?:budget|costo|costi|tempo|spesa)|koste es,? was es wolle|unbegrenzte[sm]? budget|"
    r"geld spielt keine rolle|budget (?:ist )?egal)\b",
)
# The last try, or a one-off: with a demand for maximum effort, what the guide keeps `max` for ("an important
# one-off where cost and time are no concern"); the corpus's writers read "max effort, one-off" that way.
LAST_TRY = re.compile(
    r"\b(?:last (?:escalation|resort|attempt|try|shot)|final (?:attempt|escalation|try|shot)|one (?:last|final) "
    r"(?:deep )?(?:attempt|try|pass|shot)|dernier recours|derni[eè]re (?:tentative|chance)|[uú]ltimo (?:recurso|intento)|"
    r"[uú]ltima (?:tentativa|oportunidad|chance)|ultimo tentativo|ultima (?:spiaggia|possibilit[aà]|chance)|"
    r"letzte[rn]? (?:versuch|chance|ausweg))\b"
    # "last try was sonnet": the previous try, not this one the last
    r"(?! (?:was|were|with|by|used|went|got|gave|came|had)\b)",
)
# The guide's "important one-off decisions" are premium work: a one-off lunch agenda is not (see `Demand`).
ONE_OFF = re.compile(
    r"\b(?:one-?(?:off|time|shot)(?! pass\w*| codes?\b| pins?\b| prompt\w*| examples?\b| learning| fees?\b| charges?\b| payments?\b)|una tantum|einmalig\w*|ponctuel(?:le)?|"
    r"(?:decisi[oó]n|decis[aã]o|decisione) (?:[uú]nica|irreversible|irrevers[ií]vel|irreversibile)|"
    r"une (?:seule )?fois pour toutes|une seule fois|uma vez s[oó]|(?:é|e) uma vez|una (?:sola|[uú]nica) vez|"
    r"una volta sola|una sola volta|nur einmal|ein einziges mal|irr[ée]versible|irreversibile|irrevers[ií]vel|"
    r"unumkehrbar|no hay vuelta atr[aá]s|sem volta|non si torna indietro)\b",
)


@dataclass(frozen=True)
class Failure:
    rung: int
    clause: str


@dataclass(frozen=True)
class Failures:
    """Failures of this task (highest rung wins) and model mentions deliberately set aside."""

    failed: Failure | None
    ignored: tuple[tuple[str, str], ...]  # (clause, why it is not a failure of this task)
    # Words about an earlier run, hidden from the lane model: where the failures of this task are worded ("got
    # it wrong"), and a model's all-clear reported before new work ("it said the plan is good, now …").
    phrases: tuple[tuple[int, int], ...] = ()
    # A model that did this work well, asked for again ("haiku did fine on october's, same for november"):
    # its rung, and the clause that says so.
    again: Failure | None = None


_NO_FAILURES = Failures(None, ())  # most tasks name no model: one shared value rather than one each


@dataclass(frozen=True)
class Demand:
    maximum: str | None  # the phrase asking for maximum effort
    no_limit: str | None  # the phrase saying cost or time is no object, or that this is the last try
    one_off: bool = False  # `no_limit` only says the task is a one-off: it counts for premium work alone
    declined: str | None = None  # a demand the person turned down ("no need for xhigh"), when none stands


def _lowered(text: str) -> str:
    """`text` lower-cased, each character in its place (the few that lower into two are left as they are)."""
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _CLAUSE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _is_note(clause: str) -> bool:
    note = _NOT_THIS_TASK.search(clause)
    return note is not None and len(clause.strip()) - len(note.group()) <= _NOTE_SLACK


def _disputed(low: str, after: int, clauses: list[tuple[int, int]], number: int) -> bool:
    """Whether what follows a plain all-clear (to the end of its clause, or the next short one) disputes it:
    "said it's fine. it isn't", "said the config is fine?? the pods still crash"."""
    end = clauses[number][1]
    if _DISPUTED.search(low, after, end):
        return True
    if number + 1 == len(clauses):
        return False
    start, stop = clauses[number + 1]
    return "?" in low[end:start] or (
        stop - start <= _VERDICT_CHARS
        and bool(_FAILED.search(low, start, stop) or _DISPUTED.search(low, start, stop))
    )


@dataclass(frozen=True)
class _Task:
    """What the failure rule reads of a task beside each clause: its text as typed and lower-cased, the models
    named outside quotations, where it quotes something, and where it only supposes a model fails ("if sonnet
    gets stuck")."""

    text: str
    low: str
    models: list[Word]
    quotes: list[tuple[int, int]]
    supposed: list[tuple[int, int]]

    def quoted(self, at: int) -> bool:
        return any(a <= at < b for a, b in self.quotes)

    def imagined(self, at: int) -> bool:
        return any(a <= at < b for a, b in self.supposed)


def _counted(
    matches: Iterable[re.Match[str]], offset: int, task: _Task, since: int
) -> Iterator[re.Match[str]]:
    """The failure phrases among `matches` (found at `offset` in `task.low`) that are said of a model. Not
    one inside a quotation ('translate: "the previous tool failed to export"') or a condition ("only if sonnet
    gets stuck"); "says otherwise" when a model says it or when it answers a model's statement ("opus said
    it's enforceable, the ruling says otherwise"), not when Bob says otherwise about the renewal date."""
    for m in matches:
        at = offset + m.start()
        if task.quoted(at) or task.imagined(at) or _agree(m.group()):
            continue
        if m.group().startswith(NEITHER) and none_needed(task.low, at):
            continue  # "neither opus nor xhigh is needed"
        if _TURNED_OUT.search(m.group()) and not _FLAGGED.search(task.low, since, at):
            continue
        if "otherwise" not in m.group() or stated_by_model(task.text, task.low, at, since, task.models):
            yield m


_LIST_TOKENS = re.compile(r"[\s,;]+")
# Words between the numbers of runs that agree: "8% and 8%", "15 et 15", "70 und 70", "12 vs 12".
_NUMBER_JOINERS = frozenset(
    {
        *("%", "and", "vs", "vs.", "versus", "then", "or", "et", "puis", "poi", "und"),
        *("y", "o", "luego", "e", "dann", "depois"),
    }
)


def _agree(phrase: str) -> bool:
    """Whether a phrase of runs that disagree ends in one number said each time ("two runs came back 8% and
    8%", "ont donné 15 et 15"): runs that agree are no failure."""
    if not any(c.isdigit() for c in phrase):
        return False
    numbers = []
    for token in reversed(_LIST_TOKENS.split(phrase.strip())):
        if any(c.isdigit() for c in token):
            numbers.append(token.rstrip("%").strip())
        elif token not in _NUMBER_JOINERS:
            break
    return len(numbers) >= 2 and len(set(numbers)) == 1


def _first_failure(clause: str, offset: int, task: _Task, since: int) -> re.Match[str] | None:
    """The first failure phrase of `clause` (which sits at `offset` in `low`) said of a model."""
    return next(_counted(_FAILED.finditer(clause), offset, task, since), None)


# Between models listed as one subject: "haiku and sonnet both botched it", "opus, then haiku missed it".
_LISTED = re.compile(r"(?:\s|,|/|&|\band\b|\bor\b|\bthen\b|\bplus\b)*")
# A model named after the failure words that failed as well: "…, and gpt-5.4 high too", "Opus auch nicht".
_ALSO = re.compile(
    r"(?:['’]s)?(?:\W+\w+){0,3}?\W+(?:too|also|as well|either|neither|nor|también|tampoco|auch|aussi|non plus|"
    r"anche|neanche|nemmeno|neppure|também|tampouco)\b"
)


def _said_of(failing: list[tuple[Word, int]], ats: list[int], low: str) -> list[tuple[Word, int]]:
    """The models among `failing` that the failure phrases at `ats` in `low` are said of: for each, the last
    model named before it with those listed beside it, and a model after them said to have failed too.
    "sonnet got the totals wrong and opus fixed them" is sonnet's failure, "opus read sonnet's summary and
    found it flawed" too; "opus and haiku both missed it" is both's. All of them when none is named before."""
    said_of: set[tuple[Word, int]] = set()
    ordered = sorted(failing, key=lambda pair: pair[0].start)
    for at in ats:
        before = [pair for pair in ordered if pair[0].end <= at]
        if not before:
            continue
        said_of.add(before[-1])
        for pair, listed in zip(reversed(before[:-1]), reversed(before[1:]), strict=True):
            if not _LISTED.fullmatch(low, pair[0].end, listed[0].start):
                break
            said_of.add(pair)
    if not said_of:
        return failing
    last = max(ats)
    return [p for p in ordered if p in said_of or (p[0].start > last and _ALSO.match(low, p[0].end))]


_SUPPOSED_ONLY = "names a model whose failure is only supposed (if it fails), not reported"


def _no_failure(clause: str, offset: int, task: _Task, turned_down: bool) -> str:
    """Why a clause naming a model states no failure, for the card."""
    found = list(_FAILED.finditer(clause))
    if any(task.quoted(offset + m.start()) for m in found):
        return "names a model; the failure words are quoted text to work on, not a report"
    if any(task.imagined(offset + m.start()) for m in found):
        return _SUPPOSED_ONLY
    if turned_down:
        return "names a model not to use, or only as a fallback"
    return "names a model without a failure"


# A clause that only says which model ran: "the last one was opus", "both were gpt-5.4 high", "the last two
# were with opus", "le dernier était avec opus", "la última fue con opus", "der letzte war mit opus".
_RAN_BY_BEFORE = LazyPattern(
    r"\W*(?:(?:and|but|so|et|y|und|e)\s+)?(?:(?:the|le|la|les|el|los|las|der|die|das|il|lo|o|a|os|as|l['’])\s*)?"
    r"(?:(?:last|first|latest|final|second|third|other|two|three|both|all|one|each|of them|dernier|derni[eè]re|"
    r"premier|premi[eè]re|[uú]ltim[oa]s?|primer[oa]?|letzte[n]?|erste[n]?|prim[oa]|primeir[oa]|tous|todos|alle|"
    r"tutti)\s+){0,3}(?:(?:one|ones|run|runs|try|tries|attempt|attempts|pass|passes|answer)\s+)?"
    r"(?:was|were|used|came from|from|on|with|by|using|via|[ée]tait|[ée]taient|fut|avec|sur|fue|fueron|con|war|"
    r"waren|mit|era|erano|foi|foram|com)(?:\s+(?:with|on|avec|con|mit|com|by|de|di))?"
    r"(?:\s+(?:the|o|a|le|la|el|il|lo|der|die|das|dem))?\s+$"
)
_RAN_BY_AFTER = LazyPattern(
    r"\W*(?:(?:too|also|again|each time|both times|every time|aussi|también|auch|anche|também)\W*)?$"
)


def _ran_by(low: str, in_clause: list[tuple[Word, int]], start: int, end: int) -> bool:
    """Whether the clause `low[start:end]` only names the model that ran, as a short note after a verdict."""
    if len(in_clause) != 1:
        return False
    word = in_clause[0][0]
    return bool(
        _RAN_BY_BEFORE.fullmatch(low, start, word.start) and _RAN_BY_AFTER.fullmatch(low, word.end, end)
    )


def find_failures(text: str, read: list[Word]) -> Failures:
    """`text` is the analysed text; `read` its words with model names marked (`ModelNames.mark`)."""
    named = [(w, int(w.norm[4:])) for w in read if w.norm in RUNG_WORDS]
    if not named:
        return _NO_FAILURES
    # A model named in quoted material (a pasted thread, an email) is someone else's story, not a failure
    # of this task. Only quotations count here: a note on the request's second line is the person's own.
    low = _lowered(text)
    quotes = quotations(text, low, [w for w, _ in named])
    spans = quoted_spans(text) + quotes
    quoted = [w for w, _ in named if any(a <= w.start < b for a, b in spans)]
    named = [(w, rung) for w, rung in named if w not in quoted]
    best: Failure | None = None
    worded = False  # whether `best` says how it failed, rather than only naming an earlier run
    again: Failure | None = None
    ignored: list[tuple[str, str]] = []
    phrases: list[tuple[int, int]] = []
    hidden: list[tuple[int, int]] = []
    clauses = _clauses(low)
    models = [w for w, _ in named]
    task = _Task(text, low, models, quotes, supposed(low, [(w.start, w.end) for w in models], clauses))
    for number, (start, end) in enumerate(clauses):
        in_clause = [(w, rung) for w, rung in named if start <= w.start < end]
        if not in_clause:
            continue
        clause, said = low[start:end].strip(), text[start:end].strip()  # matched, and quoted as typed
        offset = start + len(low[start:end]) - len(low[start:end].lstrip())  # where `clause` starts in `low`
        subjects = [
            (w, r) for w, r in in_clause if not _SUBJECT_BEFORE.search(low, max(start, w.start - 8), w.start)
        ]
        asked = [(w, r) for w, r in subjects if asked_for(low, w, start, models)]
        turned_down = [w for w, _ in in_clause if declined(low, w.start, w.end, (start, end))]
        # An all-clear counts when the model gave it, named just before ("our CFO says it's fine to use opus",
        # "I used sonnet, and legal says it's fine" are someone else's), and nobody confirmed it.
        following = low[clauses[number + 1][0] : clauses[number + 1][1]] if number + 1 < len(clauses) else ""
        # "haiku did a decent job but missed the refunds": praise, then the failure after the "but".
        contrast = following and _CONTRAST.search(low, end, clauses[number + 1][0]) is not None
        claimed = _CLAIMED_FINE.search(low, start, end)
        reported = None  # the model's all-clear, reported and not disputed
        if claimed and (
            _CONFIRMED.search(clause)
            or not any(
                w.end <= claimed.start() and _SPEAKER_GAP.fullmatch(low, w.end, claimed.start())
                for w, _ in subjects
            )
        ):
            claimed = None
        elif claimed and not (
            _INSISTED.match(claimed.group()) or contrast or _disputed(low, claimed.end(), clauses, number)
        ):
            # "I asked sonnet and it said the plan is good, now …" is a report, and what follows new work;
            # "keeps saying", "insists", or a "but" after it ("said it's fine but we lose orders") a dispute.
            claimed, reported = None, claimed
        tries = None if _WENT_WELL.search(clause) else _REPEATED.search(clause)
        if tries is not None and (
            task.quoted(offset + tries.start())
            or task.imagined(offset + tries.start())
            or _SOMEONE_ELSE_TRIED.search(clause, 0, tries.start())
            or tried_by_someone_else(text, low, start, offset + tries.start(), end, models)
        ):
            tries = None  # the customer's tries, not the model's
        failure = _first_failure(clause, offset, task, start)
        if failure is None and contrast:
            failure = _ON_PAPER_NOW.search(clause)  # "looks great on paper but the unit economics never work"
        failure_at = offset + failure.start() if failure else 0  # where in `low`: whose failure it is
        if failure is None and claimed is not None:
            failure, failure_at = claimed, claimed.start()
        elif failure is None and tries is not None:
            failure, failure_at = tries, offset + tries.start()
        if failure is None and following and (contrast or not _DID_WELL.search(clause)):
            # "opus said it's seasonal. it isn't": the verdict often comes in the next short sentence.
            after_start, after_end = clauses[number + 1]
            after = low[after_start:after_end]
            if len(after) <= _VERDICT_CHARS and not any(after_start <= w.start < after_end for w, _ in named):
                failure = _first_failure(after, after_start, task, start)
                if failure is not None:
                    failure_at = after_start + failure.start()
                    clause = f"{clause}. {after.strip()}"
                    said = f"{said}. {text[after_start:after_end].strip()}"
        verdict_start = start  # where the words that say how it failed may start
        if failure is None and number and _ran_by(low, in_clause, start, end):
            # "three runs gave three different answers; the last one was opus": the failure comes first, the
            # model that ran after it, in a short clause of its own.
            before_start, before_end = clauses[number - 1]
            before = low[before_start:before_end]
            if len(before) <= _VERDICT_CHARS and not any(
                before_start <= w.start < before_end for w in models
            ):
                failure = _first_failure(before, before_start, task, before_start)
                if failure is not None and not _is_note(before):
                    failure_at, verdict_start = before_start + failure.start(), before_start
                    clause = f"{before.strip()}. {clause}"
                    said = f"{text[before_start:before_end].strip()}. {said}"
                else:
                    failure = None
        praised = _DID_WELL.search(clause) is not None and not claimed
        past_run: Word | None = None
        if (
            failure is None
            and reported is None
            and not praised
            and not _WENT_WELL.search(clause)
            and not _MORE_THAN_NEEDED.search(clause)
            and not _NOT_THIS_TASK.search(clause + " " + following[:40])
        ):
            past_run = next(
                (
                    w
                    for w, r in subjects
                    if (w, r) not in asked
                    and w not in turned_down
                    and not task.imagined(w.start)
                    and (
                        text[w.start : w.end].endswith(("'s", "’s"))
                        or _ran_after(text, low, w, min(end, w.end + 40), models)
                        or _PAST_RUN_BEFORE.search(low, max(start, w.start - 30), w.start)
                    )
                ),
                None,
            )
        if (failure is None and past_run is None) or (
            praised and not _FAILED.search(_DID_WELL.sub("", clause))
        ):
            if reported is not None:
                # What the model thought of earlier work says nothing of the work asked for now: hidden from
                # the lane model like a failure's wording ("said" alone leaned it to premium).
                hidden.append(reported.span())
                ignored.append((said, "names a model whose answer is reported as fine, not disputed"))
            else:
                ignored.append((said, _no_failure(clause, offset, task, bool(turned_down))))
            went_well = praised or _WENT_WELL.search(clause) is not None
            if again is None and subjects and went_well and _SAME_AGAIN.search(f"{clause} {following}"):
                again = Failure(max(r for _, r in subjects), said)
            continue
        # "…wrong last month, but that's a separate thing — today I need…": the note opens the next clause;
        # "unrelated, but opus botched…": it closes a short one before.
        preceding = low[clauses[number - 1][0] : clauses[number - 1][1]] if number else ""
        if _NOT_THIS_TASK.search(clause) or _NOT_THIS_TASK.search(following[:40]) or _is_note(preceding):
            ignored.append((said, "a failure said to be about something else"))
            continue
        # A model only supposed to fail ("sonnet got it wrong twice; if opus also fails …") is not what failed.
        imagined = [(w, r) for w, r in subjects if task.imagined(w.start)]
        if imagined and len(imagined) == len(subjects):
            ignored.append((said, _SUPPOSED_ONLY))
            continue
        subjects = [s for s in subjects if s not in imagined]
        # Nor is one turned down beside another ("sonnet got the totals wrong, opus is overkill"); alone, it is
        # the one the failure is said of ("skip sonnet, it failed twice").
        subjects = [s for s in subjects if s[0] not in turned_down] or subjects
        if not subjects:
            ignored.append((said, "the model is what the task is for, not what failed"))
            continue
        # A model asked to do the work failed only if the failure is tied to its own answer; another model
        # named beside it is what failed ("use opus: sonnet's forecast got the seasonality wrong").
        failing = [s for s in subjects if s not in asked] or [
            (w, r)
            for w, r in asked
            if tied_to_model(
                text,
                low,
                w,
                (failure_at, failure_at + len(failure.group()) if failure else 0),
                (start, end),
                models,
            )
        ]
        if not failing:
            ignored.append((said, "the model is asked to do the work; the failure words describe the input"))
            continue
        verdict_end = clauses[number + 1][1] if clause.endswith(following.strip()) and following else end
        worded_at = [
            m.span()
            for m in _counted(_FAILED.finditer(low, verdict_start, verdict_end), 0, task, verdict_start)
        ]
        phrases += worded_at
        # Where the failure is said, to tell which model it is said of: each phrase, the tries or all-clear
        # read as one, and a verdict after a "but" ("opus got close but the test still fails").
        ats = [a for a, _ in worded_at] + ([failure_at] if failure is not None else [])
        if contrast and verdict_end == end and _first_failure(following, clauses[number + 1][0], task, start):
            ats.append(end)
        rung = max(r for _, r in (_said_of(failing, ats, low) if failure is not None else failing))
        # On one rung, the clause that says how it failed is the one to quote, not a run only named before it
        # ("medium and then high both had a go; high still gets the tax wrong").
        if best is None or rung > best.rung or (rung == best.rung and failure is not None and not worded):
            best, worded = Failure(rung, said), failure is not None
    if quoted:
        ignored.append(
            (
                text[quoted[0].start : quoted[0].end],
                "named in quoted or pasted material, not by the person asking",
            )
        )
    return Failures(best, tuple(ignored), tuple(phrases + hidden), again if best is None else None)


# No-limit phrases about time alone: patience, not a demand for the most effort money buys.
_TIME_ONLY = LazyPattern(
    r"\b(?:no rush|no matter (?:the )?times?|take (?:as long as|your time)|no deadline|no time pressure|not time-sensitive|"
    r"(?:time|latency|speed|turnaround) (?:doesn'?t|does not|don'?t|do not) matter|don'?t care how long|"
    r"(?:time|latency|speed|turnaround) (?:is|are) (?:irrelevant|no (?:object|concern|issue))|"
    r"(?:me )?da igual lo (?:q|que) (?:tarde|lleve)|no importa (?:lo (?:q|que)|cu[aá]nto) tarde|"
    r"peu importe le (?:temps|d[ée]lai)|egal wie lange es dauert|non importa quanto tempo ci (?:vuole|mett\w*)|"
    r"n[aã]o importa quanto tempo demor\w*)\b",
)


# Every NO_LIMIT phrase has one of these words (as the folded words of a task hold them): most tasks are
# spared the big pattern.
_NO_LIMIT_WORDS = KeyWords(
    (
        *("cost", "costs", "price", "budget", "money", "time", "turnaround", "latency", "speed", "runtime"),
        *("token", "tokens", "spend", "spending", "expense", "expensive", "whatever", "compute", "care"),
        *("ask", "regardless", "long", "rush", "deadline", "importe", "importar", "importa", "importam"),
        *("egal", "kosten", "cout", "couts", "delai", "delais", "prix", "igual", "custo", "custos", "tempo"),
        *("coste", "precio", "prezzo", "preco", "zeit"),
        *(
            "tempi",
            "costi",
            "costo",
            "spese",
            "illimite",
            "illimitato",
            "ilimitado",
            "unbegrenztes",
            "unbegrenztem",
        ),
        *(
            "cueste",
            "custar",
            "coute",
            "wolle",
            "geld",
            "limite",
            "guardare",
            "tarde",
            "orcamento",
            "presupuesto",
        ),
    ),
    whole=True,
)


def find_unbounded(text: str, words: AbstractSet[str]) -> str | None:
    """A phrase saying cost is no object ("spare no expense", "whatever it takes"), not time alone.
    `words` are the task's distinct folded words (`Reading.distinct`)."""
    if not _NO_LIMIT_WORDS.any_in(words):
        return None
    low = _lowered(text)
    for match in NO_LIMIT.finditer(low):
        if not _TIME_ONLY.fullmatch(match.group(0)):
            return text[match.start() : match.end()]
    return None


# Cost said to matter ("time is not a concern but cost is", "budget is tight"): no no-limit phrase stands then.
_COST_MATTERS = LazyPattern(
    r"\b(?:(?:cost|costs|budget|money|price|spend)(?: is|'s| are)? (?:still |also |always |really |very much )?"
    r"(?:(?:a |an )(?:real |big |major |serious )?(?:concern|issue|constraint|factor)|tight|limited)|"
    r"but (?:the )?(?:cost|costs|budget|money|price) (?:is|are|does|do|matters?)|(?:cost|costs|price) matters?|"
    r"keep (?:the )?(?:cost|costs|spend|price)s? (?:down|low)|(?:on a|tight|limited|small) budget)\b",
)


def _praised_at(text: str, at: int) -> bool:
    """Whether the clause around offset `at` says a run went well."""
    low = _lowered(text)
    for start, end in _clauses(low):
        if start <= at < end:
            clause = low[start:end]
            return bool(_DID_WELL.search(clause) or _WENT_WELL.search(clause)) and not _FAILED.search(clause)
    return False


def _in_quotes(text: str, at: int) -> bool:
    """Whether offset `at` is inside a pair of quotation marks."""
    before = text[:at]
    opened = max(before.rfind("“"), before.rfind("«"))
    return before.count('"') % 2 == 1 or opened > max(before.rfind("”"), before.rfind("»"))


# Maximum rigour that someone else requires, or that the work is about: "auditors expect maximum care with
# patient data", "la norma pide máxima precisión", "a post about why maximum rigour matters". The person's
# own "we require maximum rigour" is a demand.
_OTHERS_DEMAND = LazyPattern(
    r"(?:(?<!\bi )(?<!\bwe )(?<!\byou )\b(?:expects?|requires?|demands?|mandates?|calls? for|insists? on|"
    r"exige|exigen|pide|piden|requiere|requieren|verlangt|verlangen|fordert|fordern|erfordert|richiede|richiedono|"
    r"exigem|impone|impongono|impose|imposent|prévoit)|\b(?:about|why|pourquoi|por qu[eé]|warum|perch[eé]))"
    r"\W+(?:[\w'’-]+\W+){0,3}$"
)


def find_demand(
    text: str, words: AbstractSet[str], read: list[Word], top_rung: int, failures: Failures
) -> Demand:
    """A demand for maximum effort: in words, or by naming the top rung's model or effort ("xhigh pls")
    anywhere but in a failure ("xhigh was wrong too" is a failure, handled by the failure rule), and not
    turned down ("no need for the strongest model", "xhigh is overkill": `rule_declined`).
    `words` are the task's distinct folded words (`Reading.distinct`), `read` its model names."""
    maximum = None
    turned_down = None  # the first demand the person turned down, for the card
    low = ""
    if _DEMAND_WORDS.any_in(words):
        # "write the blurb \"the best model available\"": words the task is about, not a demand
        low = _lowered(text)
        for m in MAX_DEMAND.finditer(low):
            if _in_quotes(text, m.start()) or _OTHERS_DEMAND.search(low, max(0, m.start() - 60), m.start()):
                continue
            if declined(low, m.start(), m.end(), _clause_at(low, m.start())):
                turned_down = turned_down or text[m.start() : m.end()]
                continue
            maximum = m
            break
    phrase = text[maximum.start() : maximum.end()] if maximum else None
    if phrase is None and read:
        top = rung_word(top_rung)
        failed_clause = failures.failed.clause if failures.failed else ""
        for word in read:
            if word.norm != top:
                continue
            typed = text[word.start : word.end]
            if typed in failed_clause or _praised_at(text, word.start):
                continue  # "xhigh was wrong too" is a failure; "xhigh answered it and it was great" praise
            low = low or _lowered(text)
            if declined(low, word.start, word.end, _clause_at(low, word.start)):
                turned_down = turned_down or typed
                continue
            phrase = typed
            break
    if phrase is None:
        # most tasks: no word to lower-case or search again
        return _NO_DEMAND if turned_down is None else Demand(None, None, declined=turned_down)
    low = low or _lowered(text)
    if _COST_MATTERS.search(low):
        return Demand(phrase, None)
    limit = NO_LIMIT.search(low) or LAST_TRY.search(low)
    one_off = ONE_OFF.search(low) if limit is None else None
    found = limit or one_off
    return Demand(phrase, text[found.start() : found.end()] if found else None, one_off is not None)


def _clause_at(low: str, at: int, reach: int = 300) -> tuple[int, int]:
    """The clause of `low` around offset `at`, looked for no more than `reach` characters either side (a
    40,000-character paste is not split for one phrase)."""
    start, end = max(0, at - reach), min(len(low), at + reach)
    for match in _CLAUSE_END.finditer(low, start, end):
        if match.end() <= at:
            start = match.end()
        elif match.start() >= at:
            return start, match.start()
    return start, end


_NO_DEMAND = Demand(None, None)
