"""The vocabulary the router reads: phrases that signal a kind of task or a modifier, drawn from the guide.

Each cue is (id, lane or modifier, weight, human label, regex). The router compiles them all into one
alternation per group, so a decision scans the text a handful of times, not once per cue.
Patterns are written for how people phrase requests in chat, not for any particular example.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    id: str
    target: (
        str  # a lane id, or a modifier: stakes, volume, latency, ambiguity, max_demand, no_limit, last_try
    )
    weight: float
    label: str
    pattern: str
    gate: str | None = None  # a cheap regex that must match somewhere before the pattern is tried


_LANGS = (
    r"python|javascript|typescript|node(?:\.?js)?|golang|go|rust|java|kotlin|swift|ruby|php|c\+\+|c#|"
    r"scala|bash|shell|sql|elixir|haskell|perl|lua|dart|r"
)
_CODE_EXT = (
    r"py|js|mjs|ts|tsx|jsx|go|rs|java|rb|php|cs|cpp|cc|hpp|c|h|kt|swift|sh|sql|scala|ex|exs|vue|svelte|lua"
)

CUES: tuple[Cue, ...] = (
    # --- cheap: narrow, well-specified, high-volume work -------------------------------------------
    Cue(
        "classify",
        "cheap",
        3,
        "classification",
        r"\b(?:classify|classif(?:y|ies|ied|ication)|categori[sz](?:e|es|ing|ation)|bucket\w* (?:these|them|each|the|last|this|our|all)|"
        r"flag (?:them|which|each|every|the ones|those|all)|which of (?:these|the) (?:\d[\d,]* )?\w+|"
        r"mark (?:each|every|them|these|all)\b|map [^.]{0,60}?\b(?:onto|to) (?:our|the|one of)|"
        r"tag (?:each|every|these|them|all|the|incoming|new)|tagging|label (?:each|every|these|them|all|the|incoming|new)|"
        r"labell?ing|sort (?:them|these|each|every)\b|sort (?:the |these |this )?[\w ]{0,30}\bby\b|"
        r"score (?:each|every|these|all)|rate (?:each|every|these)|on a scale|\d (?:to|-) \d for|"
        r"(?:as|into|by) [\w -]{1,30}, [\w ,-]{1,60}\b(?:or|and) [\w-]+)",
    ),
    Cue(
        "sentiment",
        "cheap",
        3,
        "classification",
        r"\b(?:sentiment|detect (?:the |which )?languages?|language detection|spam or not|is (?:it|this) spam|"
        r"positive,? (?:neutral|negative)|positive or negative|(?:aren'?t|not|isn'?t) in english|non-english|"
        r"by (?:urgency|priority|language|sentiment))\b",
    ),
    Cue(
        "extract",
        "cheap",
        3,
        "extraction",
        r"\b(?:extract(?:ion|ing)?(?! (?:a |the )?(?:method|function|class|interface|component|module))|"
        r"pull(?:ed|ing)? (?:out|all)|pull [^.]{0,60}?\bout of|pull (?:the|all|every) [^.]{0,40}\bfrom (?:each|these|the|this|all)|"
        r"pick out|pick (?:every|all)|list (?:the|all|every) [\w ]{0,30}\b(?:from|in) (?:these|the|this|each)|"
        r"scrape|parse out|grab (?:the|all)|get (?:all )?the (?:emails?|names|dates|numbers)|"
        r"(?:email addresses|phone numbers|invoice numbers?|dates and (?:amounts|totals)))\b",
    ),
    Cue(
        "rewrite",
        "cheap",
        3,
        "rewriting",
        r"\b(?:rewrite|rewriting|rephrase|reword|paraphrase|proofread(?:ing)?|copy-?edit|polish (?:up )?(?:this|the|my)|"
        r"fix (?:the |my |any )?(?:grammar|typos|spelling|punctuation)|(?:sound|sounds|more) (?:friendlier|more formal|"
        r"less formal|more casual|professional|polite)|friendl(?:y|ier)|warmer|less robotic|"
        r"sound(?:s)? (?:less|more) \w+|tone down|shorten|condense|trim (?:this|it|down)|"
        r"(?:fit|fits) in \d+ (?:characters|words|chars)|make (?:it|this) (?:shorter|clearer|concise|punchier))\b",
    ),
    Cue(
        "summarize",
        "cheap",
        3,
        "summarization",
        r"\b(?:summari[sz](?:e|es|ing)|(?<!executive )summary|summaries|tl;?dr|recap|gist|key (?:points|takeaways)|"
        r"boil [^.]{0,60}?\bdown|distill|\d+ bullets?|bullet(?:ed)? (?:list|points|summary)|one-?line(?:r)? (?:summary|description)s?|"
        r"(?:one|single|a)[- ]line\b)",
    ),
    Cue(
        "translate",
        "cheap",
        3,
        "translation",
        r"\b(?:translate|translation|locali[sz]e)\b(?![^.]{0,40}\b(?:script|code|function|module|class|(?:to|into) "
        r"(?:idiomatic )?(?:" + _LANGS + r")\b(?! (?:speakers|users))))",
    ),
    Cue(
        "support_reply",
        "cheap",
        3,
        "simple support reply",
        r"\b(?:(?:reply|respond|answer|response) to (?:a |the |this |an? )?(?:customer|user|client|ticket|support)|"
        r"(?:customer|user)s? (?:asking|who asked|question|wants? to know|asks|asked)|canned (?:response|reply)|"
        r"macro for|let (?:a|the|this) (?:customer|user|client)s? know|tell (?:a|the|this) (?:customer|user|client)|"
        r"reset (?:their|a|my|your) password|support (?:reply|response|answer)|"
        r"(?:quick|short|brief|polite) (?:reply|response|answer|note|message|email))\b",
    ),
    Cue(
        "triage",
        "cheap",
        3,
        "first-pass triage",
        r"\b(?:triage|first[- ]pass|dedupe|de-?duplicate|duplicates|spot (?:the )?duplicates?|duplicate \w+s\b|flag (?:likely|possible|obvious)|"
        r"route (?:each|incoming|these)|prioriti[sz]e (?:these|the) (?:tickets|issues|emails))\b",
    ),
    Cue(
        "short_note",
        "cheap",
        2.5,
        "short message drafting",
        r"\b(?:\d+[- ]sentences?|one[- ]sentence|(?:one|two|three|\d)[- ]lines?\b|(?:opening|subject) lines?|"
        r"personali[sz]ed (?:line|note|message|email|intro)s?|(?:short|quick|brief) (?:note|message|blurb|paragraph|email|dm|invite)|"
        r"thank[- ]you (?:note|email|message)|(?:draft|write) (?:a |an |the )?(?:quick |short |brief )?"
        r"(?:email|note|notice|message|slack message|invite|invitation|reminder|out-of-office)\b(?! campaign)|"
        r"(?:draft|write) (?:a |an |the )?(?:polite|friendly|short|brief|quick) \w+)",
    ),
    Cue(
        "reformat",
        "cheap",
        2,
        "reformatting",
        r"\b(?:to-?do list|action items|checklist from|reformat\w*|normali[sz]e (?:the|these|this)|standardi[sz]e|"
        r"clean up (?:the|this|these) (?:list|data|csv|spreadsheet|export)|bulleted|"
        r"turn (?:this|these|the|it|them|our|my) [^.]{0,50}?\binto|(?:format|reformat|convert|turn) (?:this|these|it|them)[\w ,]{0,30}"
        r"\b(?:into|as|to) (?:a )?(?:list|table|bullets|json|csv|markdown|yaml|to-?do)|alphabeti[sz]e|spell-?check|"
        r"title case|subject lines?|alt text|headlines?|tweet|caption)\b",
    ),
    Cue(
        "lint",
        "cheap",
        3,
        "bulk lint fixes",
        r"\b(?:lint(?:ing|er)? (?:fix(?:es)?|warnings|errors|issues)|flake8|eslint|pylint|rubocop|prettier|"
        r"stylelint|golangci|clippy warnings|formatting warnings|style warnings)\b",
    ),
    # --- default: normal serious work ---------------------------------------------------------------
    Cue(
        "implement",
        "default",
        2.5,
        "implementation",
        r"\b(?:implement(?:ing|ation)?|build (?:a|an|the|out|our)|add (?:a |an )?(?:new )?(?:feature|endpoint|page|"
        r"screen|integration|support for|login|oauth|sso|pagination|caching|search|webhook|api)|integrate|"
        r"wire up|set up|migrate|migration|ship (?:a|the)|end-to-end|backend and|frontend and|full-?stack)\b",
    ),
    Cue(
        "plan",
        "default",
        2.5,
        "planning",
        r"\b(?:plan|planning|project plan|roadmap|agenda|timeline|milestones|break (?:this|it|the|down)|"
        r"tickets? with|epic|user stories|acceptance criteria|decompose|scope (?:out|the)|estimate|sprint|okrs?|"
        r"rollout|launch plan|materials for|suggest (?:how|what|whether|changes)|recommend (?:how|what|a|an|changes))\b",
    ),
    Cue(
        "doc_analysis",
        "default",
        2.5,
        "document analysis",
        r"\b(?:analy[sz](?:e|is|ing)|review (?:this|the|our|my) (?:design|doc|document|proposal|spec|rfc|draft|plan)|"
        r"open questions|obligations|renewal terms|contract|\d+-page|findings|themes|insights|interview notes|"
        r"compare|comparing|comparison|explain(?:ing)? (?:the|how|why|what)|walk me through|pros and cons|"
        r"sanity[- ]check|assumptions|critique|(?:detailed|angry|escalated|formal) complaint)\b",
    ),
    Cue(
        "writing",
        "default",
        2.5,
        "structured writing",
        r"\b(?:(?:write|draft|prepare|create|produce) (?:up )?(?:a |an |the |our |my )?(?:[\w-]+ ){0,3}"
        r"(?:memo|blog|post|article|guide|runbook|playbook|doc|docs|documentation|proposal|spec|rfc|report|"
        r"newsletter|announcement|press release|whitepaper|case study|handbook|policy|faq page|landing page|"
        r"email campaign|onboarding|tutorial|readme|presentation|deck|slides|update|brief|strategy doc)|"
        r"onboarding guide|(?:executive|exec) summary|long-?form|"
        r"into an? (?:[\w-]+ ){0,2}(?:doc|document|report|memo|brief|plan|proposal|deck|guide|playbook))\b",
    ),
    Cue(
        "genre",
        "default",
        2,
        "structured writing",
        r"\b(?:memo|blog post|runbook|playbook|whitepaper|white paper|press release|newsletter|proposal|"
        r"rfc|design doc|one-pager|business case|performance review|status report|faq|help center article)\b",
    ),
    Cue(
        "debug",
        "default",
        2.5,
        "debugging",
        r"\b(?:debug(?:ging)?|investigate|troubleshoot|diagnose|why (?:is|does|did|are|do|has|have) (?:our|the|my|this|it)|"
        r"started failing|keeps failing|fails? (?:with|on|when)|throws?|exception|error(?:s)? (?:in|when|after|on)|"
        r"keyerror|typeerror|valueerror|nullpointer|segfault|stack ?trace|traceback|is slow|too slow|latency spike|"
        r"performance (?:issue|problem|regression)|regress(?:ed|ion)|flame ?graphs?|p9\d|memory usage|bottleneck|"
        r"propose fixes|(?:work|figure|find) out (?:what|why) (?:set off|caused|triggered|broke|happened)|what caused)\b",
    ),
    Cue(
        "agent",
        "default",
        2.5,
        "agent or workflow work",
        r"\b(?:agent|agentic|workflow|automation|automate|pipeline|orchestrat\w*|bot that|tool use|"
        r"multi-?step|routes? (?:new |incoming )?(?:leads|requests|tickets) (?:from|to))\b",
    ),
    Cue(
        "data_query",
        "default",
        2,
        "analysis with data",
        r"\b(?:sql query|write (?:a |the )?query|dashboard|metrics|kpis?|cohort|churn|funnel|a/b test|"
        r"statistical|forecast|regression analysis|spreadsheet model)\b",
    ),
    # --- premium: hard, ambiguous or high-stakes reasoning --------------------------------------------
    Cue(
        "hard_debug",
        "premium",
        4,
        "hard debugging",
        r"\b(?:race conditions?|deadlocks?|livelock|heisenbug|memory (?:leak|corruption)|data corruption|"
        r"intermittent(?:ly)?|nondeterministic|non-deterministic|flaky in prod\w*|only (?:shows up|happens|occurs|fails|"
        r"reproduces) (?:under|in|at|with|when)|under (?:heavy )?load|concurrency (?:bug|issue)|split[- ]brain|"
        r"consensus (?:bug|protocol|algorithm)|byzantine|can'?t reproduce|cannot reproduce|hard to reproduce|root[- ]cause|"
        r"distributed (?:transactions?|locks?|consensus|systems? bug)|correctness (?:problems|issues|bugs)|"
        r"numerical instability|only (?:under|during|at|when|on)\b|peak load|nothing shows up|no obvious cause|"
        r"cascading|semantics|show (?:that )?no \w+ can|exactly[- ]once|at[- ]most[- ]once|crash(?:es)? mid|"
        r"nobody (?:has been able|could|can) (?:to )?(?:explain|find|figure))\b",
    ),
    Cue(
        "architecture",
        "premium",
        4,
        "architecture or trade-off review",
        r"\b(?:architecture|architectural|trade-?offs?|microservices?|monolith|system design|failover|multi-region|"
        r"disaster recovery|high availability|sharding|partitioning strategy|replication (?:strategy|layer)|distributed sql|"
        r"over (?:the next )?\d+ years|\d+-year|multi-year|long-term (?:plan|roadmap|bet)|"
        r"build (?:vs\.?|versus|or) buy|make or buy|vendor selection|platform choice|re-?architect|redesign (?:of )?"
        r"(?:the|our) (?:system|platform|data model))\b",
    ),
    Cue(
        "synthesis",
        "premium",
        4,
        "deep research synthesis",
        r"\b(?:synthesi[sz](?:e|es|ing|is)|literature review|research papers|\d+ (?:research )?papers|"
        r"(?:pull|bring|tie) (?:\w+ ){1,8}together|state of the art|position (?:paper|for|on)|strategic|"
        r"(?<!testing )(?<!test )(?<!caching )(?<!branching )(?<!retry )(?<!backup )(?<!deployment )(?<!rollout )"
        r"(?<!migration )(?<!naming )(?<!indexing )(?<!seo )(?<!content )strategy|"
        r"long-term strategy|competitive landscape|market entry|thesis)\b",
    ),
    Cue(
        "decision",
        "premium",
        3.5,
        "high-stakes decision or judgment",
        r"\b(?:decide (?:whether|between|on|our|if|what)|make the call|go/no-go|go or no-go|whether (?:to|we should)|"
        r"second opinion|final (?:pass|review|check|read|verdict|call)|sign-?off|pricing (?:model|strategy)|"
        r"usage-based|seat-based|weigh(?:ing)?\b|predict how|how (?:it|this) (?:could|might|will) fail|"
        r"pre-?mortem|failure modes|second-order|unintended consequences|reason (?:through|about)|"
        r"(?:live with|stuck with) (?:this|the|that) (?:choice|decision)|one-way door|hard to reverse|should we\b|sunset (?:the|our)|discontinue|"
        r"which of our \d+ [\w ]{0,20}(?:do we|should we|to) (?:cut|keep|kill|drop)|(?:is|was) (?:this|it) a good (?:deal|idea)|"
        r"evaluate (?:whether|options|the risks)|risk assessment|assess (?:whether|our|the) (?:\w+ )?(?:exposure|risk|"
        r"impact|blast radius|liability)|assess whether|blast radius|stress-?test (?:the|our) (?:plan|thesis))\b",
    ),
    Cue(
        "ambiguity",
        "ambiguity",
        4,
        "high ambiguity",
        r"\b(?:vague|ambiguous|ambiguity|contradictory|contradict|conflicting (?:requirements|goals|signals|asks)|"
        r"unclear (?:requirements|ask|scope|goals)|ill-defined|open-ended|contradict\w*|"
        r"(?:figure|work) out what (?:\w+ ){0,4}(?:needs|need|wants|want|means|mean)|no clear (?:spec|ask|brief)|"
        r"can(?:'?t|not)? agree|what (?:the client|the customer|they|he|she) meant|pin (?:it|this) down|"
        r"(?:lift|gain|increase|win) in one [^.]{0,40}\b(?:loss|drop|decrease) in (?:another|the other)|"
        r"conflicting (?:results|numbers|analyses|data)|(?:results|numbers|analyses) (?:don'?t|do not) agree)\b",
    ),
    Cue(
        "formal",
        "premium",
        4,
        "proofs, security or cryptography review",
        r"\b(?:proof of (?:correctness|security)|(?:proof|proving)\b[^.]{0,40}\bcorrect(?:ness)?|prove (?:that|correctness)|formal(?:ly)? verif\w*|correctness proof|"
        r"cryptograph\w*|crypto protocol|threat[- ]model(?:ing|s)?|security (?:review|audit)|penetration test|"
        r"key rotation scheme|privilege escalation|iam polic\w+|attack (?:surface|paths?)|exploit\w*|vulnerabilit\w+|"
        r"security posture|"
        r"protocol review|invariants?)\b",
    ),
    Cue(
        "legal_work",
        "premium",
        4,
        "legal or regulatory work",
        r"\b(?:lawsuit|litigation|subpoena|demand letter|cease and desist|counsel\b|testimony|"
        r"(?:committee|congressional|parliamentary) hearing|regulator(?:y)? (?:inquiry|filing|response)|"
        r"complies with|compliant with|comply with|exposure under|term sheet|ip clauses?|s-1)\b",
    ),
    # --- stakes: raise a task one rung above its kind, up to premium ---------------------------------
    Cue(
        "exec",
        "stakes",
        3,
        "executive audience",
        r"\b(?:(?<!jira )(?<!kanban )(?<!trello )(?<!sprint )(?<!project )board(?!-)|exec team|execs|(?<!account )executives?|"
        r"leadership|investment memo|series [a-e]\b|partners'? meeting|investment committee|valuation|"
        r"(?:split|restructur\w+) (?:of )?(?:the )?(?:engineering|org|organi[sz]ation|company|teams?)|"
        r"c-suite|ceo|cfo|cto|coo|investors?|shareholders|acquisition|merger|m&a|"
        r"due diligence|fundrais\w*|ipo|layoffs?|reorg\w*|shut (?:down|ting down) (?:the|a|our) (?:product|company|"
        r"business|line|team))\b",
    ),
    Cue(
        "legal",
        "stakes",
        3,
        "legal or compliance stakes",
        r"\b(?:legal|lawyers?|attorney|compliance|gdpr|hipaa|ccpa|sox|soc ?2|pci(?:-dss)?|privacy laws?|laws?|"
        r"ai act|regulat(?:ory|ors?|ion|ions)|liability|indemnif\w*|contractual|auditors?|fraud|"
        r"money laundering|aml|kyc|sanctions|parliament\w*|congress\w*|senate|salary bands|compensation|pay equity|"
        r"terminations?|people committee|performance improvement plan|council vote|city council|legislat\w+|"
        r"ordinance|public policy)\b",
    ),
    Cue(
        "incident",
        "stakes",
        3,
        "incident or production risk",
        r"\b(?:incident|postmortem|post-mortem|outage|(?:production|prod|site) (?:is )?down|sev ?[0-2]|p0|"
        r"breach(?:ed)?|data loss|5\d\d ?s|5xx|all regions|customers? (?:are )?(?:affected|impacted)|revenue impact|"
        r"money is being lost|high-?risk|halted|took down|brought down|mission-?critical|irreversible|zero[- ]downtime|blast radius|leak(?:ed)?|"
        r"exposed (?:key|secret|credentials?|data)|compromised|if (?:we|this|it) (?:get|gets|goes) (?:this |it )?wrong|"
        r"\$\d[\d,.]*\s?(?:m|mm|million|b|bn|billion)\b|\d+m (?:users|records|customers))",
    ),
    # --- code: code-local generation and edits --------------------------------------------------------
    Cue(
        "tests",
        "code",
        3,
        "test writing",
        r"\b(?:unit tests?|write (?:the )?tests|tests? for (?:the|this|my|our)|test cases|test coverage|"
        r"pytest|jest|mocha|rspec|junit|(?:failing|broken|flaky) tests?|test_\w+|\w+_test\.(?:py|go)|\w+\.test\.[jt]sx?)\b",
    ),
    Cue(
        "refactor",
        "code",
        3.5,
        "refactor or code edit",
        r"\b(?:refactor\w*|rename (?:the |a |our )?\w+ (?:class|function|method|variable|module|field)|rename \w+ to \w+|"
        r"duplicat\w+ (?:\w+ )?(?:code|logic|handling|functions?|helpers?)|shared helper|"
        r"into (?:one|a) (?:shared|common) (?:helper|function|module|util\w*)|"
        r"into (?:a )?(?:reusable|shared) (?:module|library|package|functions?|class)|"
        r"(?:update|switch|move|migrate) [\w ./-]{0,40}\bto use (?:the |our )?(?:new )?|dead code|extract (?:a |the )?(?:method|function|class|helper|component)|"
        r"inline (?:the|this) (?:function|method)|fix (?:the )?imports|move (?:the |this )?(?:function|class|module)|"
        r"split (?:this|the) (?:function|class|file|module)|clean up (?:the|this) code|api calls?|call sites|codemod|"
        r"v\d to (?:the )?v\d|(?:add|remove) (?:a |an |the )?(?:--[\w-]+ )?(?:flag|option|argument|param(?:eter)?) (?:to|from))\b",
    ),
    Cue(
        "typing",
        "code",
        3.5,
        "code annotations",
        r"\b(?:type hints?|type annotations?|typings?|docstrings?|mypy|typescript types|jsdoc|strict mode)\b",
    ),
    Cue(
        "convert_code",
        "code",
        3.5,
        "code conversion",
        r"\b(?:async/await|callback-based|callbacks? to promises|to async|promisify|port (?:this|the|our|a|it)\b|"
        r"class components?|to hooks|(?:convert|rewrite|migrate) (?:this|the|our|these) [\w ./-]{0,30}\b(?:component|class|module|"
        r"function|script|query|handler|service|endpoint|test)s?\b|"
        r"(?:port|convert|rewrite|translate|migrate) [\w ./-]{0,40}\b(?:to|into|in) (?:idiomatic )?(?:"
        + _LANGS
        + r")\b(?! (?:speakers|users)))",
    ),
    Cue(
        "codegen",
        "code",
        3,
        "code generation",
        r"\b(?:(?:write|generate|create|give me|make) (?:me )?(?:a |an )?(?:small |simple |quick )?(?:[\w-]+ ){0,2}"
        r"(?:function|method|class|script|regex|regular expression|one-?liner|snippet|cli|command-line tool|decorator|"
        r"hook|component|dockerfile|makefile|github action|cron ?job|migration script|models|types|schemas?|classes|"
        r"bindings|stubs|boilerplate|client)|"
        r"(?:" + _LANGS + r") (?:function|script|class|snippet|code))\b",
    ),
    Cue(
        "code_fix",
        "code",
        3,
        "code-local fix",
        r"\b(?:off[- ]by[- ]one|assertion (?:on|error|fails)|compile (?:error|errors)|syntax error|type ?error in|"
        r"lint error|null (?:checks?|pointers?)|fix (?:the |this )?(?:bug|typo) in \w+|failing (?:build|test))\b",
    ),
    Cue(
        "pull_request",
        "code",
        3,
        "code review edits",
        r"\b(?:pull request|merge request|\bpr\b|diff|patch(?! notes)|reviewer'?s? comments|review comments|code review comments|"
        r"commit message|git (?:rebase|merge|conflict)|merge conflicts?)\b",
    ),
    Cue(
        "code_things",
        "code",
        2.5,
        "code artefacts",
        r"\b(?:stubs?|stub out|handlers?|proto(?:buf)?s?|grpc|codegen|makefile|struct tags?|unmarshal\w*|marshal\w*|"
        r"getters?|setters?|lombok|null checks?|logging calls|compiler (?:is )?warn\w*|mapper functions?|"
        r"serializ\w+|deserializ\w+|enums?|decorators?|generics|under [\w-]+/|view ?models?|networking client|"
        r"api client|sdk client|notebook)",
    ),
    Cue(
        "code_file",
        "code",
        2,
        "source files",
        r"\b[\w/.-]+\.(?:" + _CODE_EXT + r")\b",
        gate=r"\.(?:" + _CODE_EXT + r")\b",
    ),
    Cue(
        "code_ref",
        "code",
        2,
        "source files or identifiers",
        r"(?:\b[a-z][a-z0-9]*_[a-z0-9_]+\b|"
        r"\b\w+\(\)|```|\bcodebase\b|\bthe (?:\w+ )?module\b|\brepo\b|(?<!\w)--[a-z][\w-]+|\bddl\b|\borm\b|\bterraform\b|"
        r"\bhelm chart\b|\bkubernetes manifests?\b)",
    ),
    Cue("camel_case", "code", 1, "identifiers", r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+\b", gate="[a-z][A-Z]"),
    Cue(
        "code_words",
        "code",
        1,
        "code vocabulary",
        r"\b(?:function|method|class|variable|script|regex|bash|shell|cli|api client|library|package|import|"
        r"compile|lint|endpoint|bug|code)\b",
    ),
    # --- modifiers -----------------------------------------------------------------------------------
    Cue(
        "volume",
        "volume",
        2,
        "high volume",
        r"\b(?:(?:[2-9]\d|\d{3,}|\d{1,3}(?:,\d{3})+)\s+(?:[\w-]+\s+){0,2}(?:tickets|emails|messages|comments|reviews|articles|documents|docs|"
        r"records|rows|items|files|pages|posts|issues|prs|transcripts|invoices|products|entries|responses|leads|"
        r"tweets|calls|notes)|each of (?:these|the)|every (?:one of|single|\w+ (?:comment|review|ticket|email|"
        r"message|row|record))|for each|in bulk|bulk|batch(?:es)?|thousands|hundreds|high-?volume|at scale|"
        r"all (?:incoming|new) )",
    ),
    Cue(
        "latency",
        "latency",
        1.5,
        "speed matters",
        r"\b(?:quick(?:ly)?|fast|asap|right now|in a hurry|real-?time|low[- ]latency|instant(?:ly)?|"
        r"in seconds|cheap(?:ly)?|cheapest|on a budget)\b",
    ),
    Cue(
        "max_demand",
        "max_demand",
        5,
        "explicit demand for maximum effort",
        r"\b(?:max(?:imum)?[- ](?:reasoning|effort|thinking|depth|deliberation)|xhigh|x-high|extra[- ]high|all[- ]out|"
        r"(?:strongest|best|highest|top) (?:setting|model|lane|tier|effort)|escalate to the top|"
        r"most careful (?:analysis|review|reasoning|answer)?|as (?:carefully|deeply|thoroughly) as possible|"
        r"deepest|no stone unturned|exhaustive(?:ly)?|strongest (?:model|reasoning)|best (?:possible|model) "
        r"(?:answer|reasoning|analysis)?)\b",
    ),
    Cue(
        "no_limit",
        "no_limit",
        3,
        "cost or time no object",
        r"\b(?:(?:cost|money|price|budget|spend) (?:is|isn'?t) (?:no|not an?) (?:concern|object|issue|problem)|"
        r"regardless of (?:cost|price|time)|whatever it costs|(?:don'?t|do not) care (?:about|how much) (?:the )?"
        r"(?:cost|price|time|it costs)|time (?:doesn'?t|does not) matter|no time pressure|take (?:as long as|your time)|"
        r"latency (?:doesn'?t|does not) matter|no rush|not time-sensitive|no deadline|"
        r"(?:latency|time|cost|price|speed) (?:is|are) irrelevant)\b",
    ),
    Cue(
        "last_try",
        "last_try",
        3,
        "last escalation",
        r"\b(?:last (?:escalation|resort|attempt|try|shot)|final (?:attempt|escalation|try|shot)|one (?:last|final) "
        r"(?:deep )?(?:attempt|try|pass|shot)|previous (?:passes|attempts|tries|analyses|runs) (?:missed|failed|were))\b",
    ),
)

# Earlier failures: a model or effort named near a failure word. Rungs are those of the main ladder.
FAILURE_WORDS = (
    r"\b(?:fail(?:s|ed|ing|ure)?|wrong|missed|miss(?:es|ing)|keeps? missing|can'?t|cannot|couldn'?t|"
    r"didn'?t (?:work|help|get|find|solve)|not good enough|inconclusive|shallow|brittle|gave up|"
    r"incorrect|hallucinat\w*|still (?:wrong|broken|stuck|fails|missing|no)|no luck|not enough|"
    r"tried|struggl\w*|choked|unhelpful|useless|doesn'?t (?:work|even|compile|run)|disagree\w*|ran out of|"
    r"stuck|went nowhere|didn'?t pan out|no progress|plausible but|contradict\w*|flawed|buggy|broken|"
    r"mislabel\w*|misclassif\w*|misread\w*|mangl\w*|botch\w*|garbled?|messed up|gets? (?:it|them|this) wrong|"
    r"got (?:it|them|this) wrong|inconsistent|unusable|not usable|mix(?:ing|ed) up|kept \w+ing)\b"
)
FAILED_MODELS: tuple[tuple[int, str], ...] = (
    (3, r"\b(?:x-?high|extra[- ]high)(?: effort| reasoning)?\b"),
    (
        2,
        r"\b(?:premium (?:lane|pass(?:es)?|model|tier)|opus|gpt-?5(?:\.\d)? ?high|high[- ](?:effort|reasoning)|(?:at|on|with) high\b|effort high)\b",
    ),
    (
        1,
        r"\b(?:sonnet|codex|gpt-?5(?:\.\d)? ?medium|medium[- ](?:effort|reasoning)|(?:at|on|with) medium\b|"
        r"medium (?:keeps|still|gave|was|is|failed)|default (?:lane|model|tier))\b",
    ),
    (
        0,
        r"\b(?:haiku|gpt-?5(?:\.\d)? ?low|low[- ](?:effort|reasoning)|(?:at|on|with) low\b|cheap (?:lane|model|tier))\b",
    ),
)
GENERIC_FAILURE = (
    r"\b(?:(?:previous|earlier|last|first) (?:attempts?|tries|passes|answers?|runs?|analys[ie]s)\b[^.;]{0,40}?"
    r"(?:failed|missed|were wrong|was wrong|were inconclusive|didn'?t)|tried (?:twice|several times|again|"
    r"multiple times)|still (?:can'?t|cannot|couldn'?t|wrong|fails)|nobody (?:has been able|could)|"
    r"(?:theories|attempts|ideas|fixes) (?:didn'?t pan out|went nowhere|failed)|one (?:step|rung|level) up|"
    r"(?:try|retry|redo) (?:it |this |again )?with a (?:stronger|better|bigger|smarter) model)"
)
