"""The router: the lane model's reading, the guide's rules on top, reasons, confidence, and its corpus.

Texts here are written for these tests; the shared eval cases are scored separately and never trained on.
"""

from __future__ import annotations

import gc
import json
import struct
import time
from dataclasses import asdict, fields, replace
from pathlib import Path

import pytest

from commands.errors import PolicyError
from commands.evaluate import evaluate, read_cases
from commands.lane_model import encode_lane_model, parse_lane_model
from commands.languages import looks_english
from commands.policy import DEFAULT_POLICY_PATH, load_policy
from commands.router import RouteOptions, route
from commands.training import CORPUS_DIR, corpus_files
from tests.commands.decisions import failed
from tests.conftest import SHARED

POLICY = load_policy()


def lane(text: str, **options: object) -> str:
    return route(text, POLICY, RouteOptions(**options)).lane.id  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Categorize these 800 app reviews into crash, UX or pricing", "cheap"),
        ("Pull every order number out of this email thread", "cheap"),
        ("Implement rate limiting on the public API and document it", "default"),
        ("Write the quarterly planning doc for the platform team", "default"),
        (
            "Figure out the root cause of the deadlock in our job scheduler that only happens under load",
            "premium",
        ),
        ("Add docstrings to every function in billing/invoices.py", "code"),
    ],
)
def test_kinds_of_task(text: str, expected: str) -> None:
    assert lane(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Summarize the partnership notes; Haiku got it wrong twice", "default"),
        ("Plan the data migration. Sonnet failed twice on it", "premium"),
        ("Debug the flaky importer, gpt-5.4 medium keeps missing it", "premium"),
        ("Explain the billing discrepancy: high effort was still wrong", "max"),
        ("Opus couldn't crack this scheduling proof, try again", "max"),
        ("sonnet is hopeless at this migration plan", "premium"),
        ("the migration plan from sonnet is garbage", "premium"),
        (
            "the retry queue drops a message now and then; sonnet looked and said the code is fine, it isn't",
            "premium",
        ),
        ("codex's migration script keeps choking on the null timestamps, fix it properly", "premium"),
        ("the haiku tagging chokes on emoji-only tickets; tag these 200 again", "default"),
        ("sonnet's refactor of the pager module, 3 tries now and the tests are red", "premium"),
        ("opus insists the reconciliation ties out, finance counted 40 orphaned payouts", "max"),
        ("last resort after gpt-5.4 high: the transfer pricing memo", "max"),
        ("summarize the vendor contract, tried haiku already", "default"),
        ("haiku forgot half the action items in the standup notes, redo them", "default"),
        ("sonnet broke the nightly export job, fix it properly", "premium"),
        ("haiku did a decent job but missed the refund tickets, redo the tagging", "default"),
        ("sonnet was fine on the summary but got the revenue numbers wrong, redo the board pack", "premium"),
        ("opus blew the dosage summary twice", "max"),
        ("counsel says opus's memo misinterpreted the indemnity cap, fix it", "max"),
        ("we burned through haiku on these contract summaries, they fell apart on the dates", "default"),
        ("haiku bombed the product tags, redo them", "default"),
        ("gpt-5.4 medium fumbled the churn analysis", "premium"),
    ],
)
def test_earlier_failure_moves_one_rung_above_what_failed(text: str, expected: str) -> None:
    assert lane(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "haiku did fine on this last time, summarize the standup thread in 3 bullets",
        "gpt-5.4 low handled yesterday's batch fine, tag today's 2k reviews by sentiment the same way",
        "haiku mangled the slide titles last week, unrelated, can you just turn these notes into bullets",
    ],
)
def test_a_model_named_without_failing_this_task_moves_nothing(text: str) -> None:
    decision = route(text, POLICY)
    assert decision.lane.id == "cheap"
    assert any("not a failure of this task" in r and "ignored" in r for r in decision.reasons)


def test_a_model_the_task_is_for_is_not_a_failure() -> None:
    decision = route("write a prompt for haiku to classify support tickets", POLICY)
    assert decision.lane.id != "max" and not decision.ruled
    assert any("not a failure of this task" in r for r in decision.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "codex wrote the invoice model classes yesterday and they're good. now add marshmallow schemas"
        " for them",
        "haiku did the march receipts tagging, do april's 300 receipts the same way",
        "sonnet's fine for this: 5 subject lines for the webinar follow-up",
        "gpt-5.4 medium did a decent job on the october churn write-up; same again for november's numbers",
        "haiku's tags on the last export were ok, tag this week's 400 tickets the same way",
    ],
)
def test_praise_or_asking_for_the_same_again_is_not_an_earlier_failure(text: str) -> None:
    """An earlier run named without a failure reads as a failure, unless it went well or is to be repeated."""
    decision = route(text, POLICY)
    # Cheap or code work, or default when the model is unsure; no failure rule moved it up.
    assert decision.lane.id in ("cheap", "code", "default")
    assert not failed(decision)
    assert any("names a model without a failure" in r for r in decision.reasons)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("haiku handled the march expense tagging well, do april's 300 receipts the same way", "cheap"),
        ("sonnet did a great job on last quarter's board pack summary, same again for Q4", "default"),
        ("haiku a très bien fait le tri des tickets hier, refais pareil pour ceux de ce matin", "cheap"),
        ("gpt-5.4 low hat die Zusammenfassungen gestern gut gemacht, heute bitte genauso", "cheap"),
        ("haiku ha fatto bene i riassunti di ieri, fai lo stesso con quelli di oggi", "cheap"),
        ("opus did great on the Q2 investor letter; write Q3's with the same structure", "premium"),
    ],
)
def test_the_same_again_as_a_model_that_did_it_well_is_routed_to_that_models_rung(
    text: str, expected: str
) -> None:
    decision = route(text, POLICY)
    assert decision.lane.id == expected
    assert not failed(decision)


@pytest.mark.parametrize(
    "text",
    [
        "sonnet hat den Monatsbericht schon zweimal gut gemacht, bitte genauso für Dezember",
        "haiku a fait le tri deux fois sans problème, refais pareil pour janvier",
        "sonnet forgot nothing in last week's recap, same again for this week",
    ],
)
def test_runs_counted_or_forgetting_nothing_are_no_failure_when_they_went_well(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision)
    assert decision.lane.id in ("cheap", "default")


def test_the_same_again_as_the_top_rung_stays_below_max() -> None:
    decision = route("gpt-5.4 xhigh did great on the Q3 risk memo, same again for Q4", POLICY)
    assert decision.lane.id != "max"


@pytest.mark.parametrize(
    "text",
    [
        "sonnet keeps saying the retry logic is fine but we lose orders at peak",
        "haiku says these tags are fine but the ops team re-tagged half of them by hand",
        "sonnet said the dedupe in orders_sync.py for the nightly import is fine. it isn't",
        "sonnet keeps sayin its fine but the webhook queue drops events",
        "opus jura que la conciliación está correcta pero faltan 30 facturas",
        "sonnet affirme que tout est correct mais il manque des lignes dans l'export",
        "haiku dice que las etiquetas están bien, pero el equipo las corrigió a mano",
        "sonnet dit que tout va bien, mais on perd des commandes chaque nuit",
        "gpt-5.4 high assicura che è tutto a posto ma mancano righe nel bilancio",
        # a plain report of it, disputed in the next words
        "gpt-5.4 medium said the query plan is fine. I don't buy it, the report takes 40 minutes",
        "sonnet said the helm chart is fine?? the pods restart every hour",
    ],
)
def test_a_models_all_clear_reported_to_dispute_it_is_a_failure_not_praise(text: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision)
    assert not any("names a model without a failure" in r for r in decision.reasons)


def test_a_failure_said_to_be_unrelated_just_before_the_but_moves_nothing() -> None:
    text = "unrelated, but opus botched a forecast last month on a different deal. today: tidy up these notes"
    decision = route(text, POLICY)
    assert not decision.ruled and decision.lane.id in ("cheap", "default")
    assert any("a failure said to be about something else" in r for r in decision.reasons)


def test_asking_for_a_different_model_after_a_failure_is_no_note_that_it_was_other_work() -> None:
    decision = route("opus botched the cash forecast twice, try a different one", POLICY)
    assert decision.lane.id == "max"
    assert not any("a failure said to be about something else" in r for r in decision.reasons)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("it's not related to billing. sonnet got the tax rounding wrong, fix it", "premium"),
        ("urgent and unrelated to the audit. opus got the cash forecast wrong, redo it", "max"),
        ("ignore that last message. haiku mangled the slide titles, redo them", "default"),
    ],
)
def test_a_sentence_saying_what_else_is_unrelated_does_not_excuse_the_next_failure(
    text: str, expected: str
) -> None:
    decision = route(text, POLICY)
    assert decision.lane.id == expected
    assert failed(decision)


def test_a_failure_climbs_one_rung_even_when_the_work_alone_reads_higher() -> None:
    decision = route(
        "haiku's draft of the board update on the layoffs was unusable, write it properly", POLICY
    )
    assert decision.lane.id == "default"
    assert any("one rung above what failed" in r and "the work alone reads as" in r for r in decision.reasons)


def test_a_premium_run_said_right_and_shown_otherwise_is_a_premium_failure() -> None:
    text = (
        "opus's review said the non-compete is enforceable in Ohio, but the ruling counsel sent today says"
        " otherwise. we need the sharpest analysis we can get"
    )
    decision = route(text, POLICY)
    assert decision.lane.id == "max"
    assert failed(decision)


def test_a_failure_said_to_be_separate_in_the_next_clause_moves_nothing() -> None:
    text = (
        "opus got the churn forecast wrong in may, but that's a separate thing — today: a one-page FAQ for"
        " the new expense tool"
    )
    decision = route(text, POLICY)
    assert decision.lane.id != "max" and not decision.ruled
    assert any("a failure said to be about something else" in r for r in decision.reasons)


def test_the_top_effort_named_in_praise_is_no_demand() -> None:
    decision = route(
        "xhigh already did the deep dive and it was great; now just condense it into 4 bullets", POLICY
    )
    assert decision.lane.id == "cheap"
    assert not any("maximum effort" in r for r in decision.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "spare no expense: settle or litigate the trademark dispute with our former distributor, counsel"
        " memos attached",
        "whatever it takes: find the root cause of the ledger drift between billing and the GL before the"
        " audit",
    ],
)
def test_premium_work_with_cost_no_object_reaches_max(text: str) -> None:
    decision = route(text, POLICY)
    assert decision.lane.id == "max" and decision.model_lane == "premium"
    assert any("premium work with cost no object" in r for r in decision.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "one-off and it matters: the most thorough analysis possible of the plant sale",
        "I need the most careful review possible of the licence audit reply. cost and time aren't an issue",
    ],
)
def test_maximum_effort_on_a_one_off_or_with_cost_no_issue_reaches_max(text: str) -> None:
    assert lane(text) == "max"


@pytest.mark.parametrize(
    "text",
    [
        "one-time thing, best model please: draft the agenda for friday's team lunch",
        "one-off script, strongest model: rename the columns in this csv",
    ],
)
def test_maximum_effort_on_a_one_off_of_everyday_work_stays_below_max(text: str) -> None:
    """The guide keeps max for important one-off decisions, premium work; a one-off agenda is not that."""
    decision = route(text, POLICY)
    assert decision.lane.id == "premium"
    assert any('a one-off, "one-' in r and "counts for premium work only" in r for r in decision.reasons)


@pytest.mark.parametrize(
    "text",
    [
        'haiku: write the product blurb "the best model available for your budget"',
        "write the guide to choosing the highest setting on our thermostat app",
    ],
)
def test_a_demand_quoted_or_about_the_work_itself_is_no_demand(text: str) -> None:
    decision = route(text, POLICY)
    assert not any("maximum effort" in r for r in decision.reasons), decision.reasons


def test_cost_said_to_be_a_concern_is_not_cost_no_object() -> None:
    assert lane("the most careful review possible of the licence audit response; cost is a concern") != "max"


def test_patience_alone_is_not_cost_no_object() -> None:
    text = (
        "no rush: should we move our auth from Auth0 to Cognito or build it ourselves? need the real"
        " trade-offs"
    )
    assert lane(text) == "premium"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l'analyse d'opus sur le risque prud'homal était fausse, à refaire", "max"),
        ("opus se contredit sur le calcul du crédit d'impôt recherche", "max"),
        ("ni sonnet ni haiku consiguen cuadrar el informe de gastos del trimestre", "premium"),
        ("gpt-5.4 medium halluziniert Teilenummern im Garantiebericht", "premium"),
        ("o gpt-5.4 high deu barraca no parecer sobre a coima da concorrência", "max"),
        ("sonnet a planté sur la reprise des écritures de clôture, tu peux reprendre ?", "premium"),
        ("sonnet se plante à chaque fois sur le calcul des provisions de congés", "premium"),
        ("sonnet l'a corrigé mais il reste toujours les mêmes erreurs dans le rapprochement", "premium"),
        ("sonnet ainda está errando os totais das faturas de exportação", "premium"),
        ("gpt-5.4 medium ha ancora problemi con le date nel report trimestrale", "premium"),
        ("gpt-5.4 medium hat bei der Zollberechnung zweimal danebengelegen", "premium"),
        ("opus ha sistemato il parser, ma i casi con le date ISO falliscono ancora", "max"),
        ("la bozza di sonnet sulla clausola di recesso non ha convinto il legale", "premium"),
        ("sonnet no ha conseguido cuadrar las comisiones de los agentes", "premium"),
        ("opus oublie à chaque fois les pénalités de retard dans l'analyse du contrat", "max"),
        # done badly ("mal" before a participle, "male" after one), plural subjects, asked to redo it properly
        ("haiku a mal classé les factures fournisseurs, reprends-les", "default"),
        ("gpt-5.4 medium ha interpretato male le clausole di esclusiva del contratto", "premium"),
        ("o haiku classificou mal as reclamações de ontem, refaz direito", "default"),
        ("sonnet e codex non sono riusciti a trovare la perdita di memoria nel worker", "premium"),
        ("opus y gpt-5.4 high no pudieron explicar la diferencia en la consolidación del grupo", "max"),
        ("haiku hat die Tickets komisch sortiert, bitte nochmal ordentlich", "default"),
        ("haiku s'est vautré sur le pointage des factures, les totaux tombent pas juste", "default"),
        ("testamos sonnet e codex e nenhum acertou a conciliação dos boletos", "premium"),
        # nonsense, mix-ups, going nowhere, tries counted, in everyday words
        ("haiku a confondu les fournisseurs dans le résumé des factures, reprends-le", "default"),
        ("la clasificación que hizo haiku no tiene sentido, rehazla", "default"),
        ("sonnet non riesce a far quadrare il report delle commissioni", "premium"),
        ("o sonnet tentou duas vezes e o relatório de estoque não bate com o ERP", "premium"),
        (
            "gpt-5.4 medium hat beim Abgleich der Lieferscheine nichts gebracht, die Summen sind"
            " widersprüchlich",
            "premium",
        ),
        ("codex hat die Migration schon zweimal probiert, die Tests stürzen ab", "premium"),
        ("opus ha saltato tutta la parte fiscale nel parere sulla fusione, ultima spiaggia", "max"),
        # botched, in German and Portuguese everyday words
        ("haiku hat die Zusammenfassung der Notizen verbockt", "default"),
        ("haiku hat es vermasselt, fass die Notizen nochmal zusammen", "default"),
        ("o haiku fez uma bagunça no resumo das notas", "default"),
    ],
)
def test_failures_said_in_other_languages_move_one_rung_above(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert decision.lane.id == expected
    assert failed(decision)


@pytest.mark.parametrize(
    "text",
    [
        # accents typed as combining marks
        "Re\u0301sume\u0301 ce contrat et signale les clauses risque\u0301es",
        "\ufb01x the \ufb02aky \ufb01le upload test in uploads_test.py",  # ligatures fold into two letters
        "İstanbul ofisi için teklif metnini kısalt",  # a capital that lower-cases into two characters
    ],
)
def test_quotes_are_the_words_as_typed_when_folding_changes_the_length(text: str) -> None:
    decision = route(text, POLICY)
    assert decision.cues and all(c.quote in text for c in decision.cues)
    assert all(c.quote == c.quote.strip() and c.quote for c in decision.cues)


def test_a_failure_inside_pasted_material_is_someone_elses() -> None:
    text = (
        "tl;dr this thread in 3 bullets\n\n> jen: i asked opus about sharding last week and it got the math"
        " wrong btw\n> raj: ok, reindex is next"
    )
    decision = route(text, POLICY)
    assert decision.lane.id != "max"
    assert any("pasted material" in r for r in decision.reasons)


def test_max_needs_premium_failure_or_maximum_effort_with_cost_no_object() -> None:
    assert lane("Maximum reasoning please, cost is no concern: should we exit the EU market?") == "max"
    assert lane("Use maximum effort on this memo review") == "premium"
    assert lane("Draft the board update on the outage") in ("default", "premium")
    decision = route("Draft the board update on the outage", POLICY)
    assert decision.lane.id != "max"


@pytest.mark.parametrize(
    "text",
    [
        "I want the most careful review of our pricing change, cost and turnaround are no concern",
        "Most careful analysis possible of the vendor exit plan please, no limits on cost or time",
        "Give this the most thorough reading possible, cost and latency irrelevant: the acquisition terms",
        "the most rigorous analysis of the plant closure, no budget or deadline pressure",
        "je veux l'analyse la plus rigoureuse possible du rachat, le coût et le délai on s'en fiche",
        "quiero el análisis más cuidadoso posible de la fusión, me da igual lo que cueste",
        "ich will die gründlichste Prüfung des Vertrags, Kosten und Dauer egal",
        "quero a análise mais cuidadosa possível da venda, custo e tempo não importam",
        "voglio l'analisi più approfondita possibile sulla chiusura, costi e tempi non contano",
        "voglio la revisione più accurata possibile del patto parasociale, non badiamo a spese né a tempi",
        "on whether to accept the acquisition offer, the most careful analysis money can buy",
        "I want the most careful review possible of the merger agreement, money's no object",
        "quiero el análisis más detallado posible de la compra, cueste lo que cueste",
        "voglio la migliore analisi possibile sul rinnovo del contratto quadro, senza limiti di budget",
        "ich brauche die bestmögliche Analyse zur Standortschließung, Geld spielt keine Rolle",
        "quero a melhor análise possível da fusão, custe o que custar",
        "je veux l'analyse la plus approfondie possible sur la cession, sans limite de budget",
        "je veux l'analyse la plus rigoureuse possible du rachat, le coût et le délai ne comptent pas",
        "voglio l'analisi più accurata possibile della cessione, il costo non è un problema",
        "quiero el análisis más riguroso posible de la venta, el costo no es problema",
        "quero a análise mais rigorosa possível da venda, o custo não é problema",
        "ich will die gründlichste Prüfung der Übernahme, die Kosten sind kein Problem",
        "the definitive analysis of whether to sell the division, cost is no object",
    ],
)
def test_maximum_effort_with_cost_or_time_no_object_in_other_words_reaches_max(text: str) -> None:
    assert lane(text) == "max"
    without_limit = text.split(",")[0]
    assert lane(without_limit) != "max"  # the demand alone stops at premium


def test_the_top_rungs_effort_by_name_is_a_demand_for_maximum() -> None:
    decision = route("xhigh pls: final review of our reply to the regulator, cost doesn't matter", POLICY)
    assert decision.lane.id == "max"
    assert any('demand for maximum effort ("xhigh")' in r for r in decision.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "gpt-5.4 xhigh please: tag these 4,000 app reviews as bug, feature request or praise",
        "use the strongest model you have to fix the capitalisation in these 20 headings",
    ],
)
def test_maximum_effort_asked_for_simple_bulk_work_is_set_aside(text: str) -> None:
    """The guide wants the smallest model that does the job well and keeps max off bulk work."""
    decision = route(text, POLICY)
    assert decision.lane.id == "cheap" and not decision.ruled
    assert any("asks for maximum effort" in r and "set aside" in r for r in decision.reasons)
    assert route(text, POLICY, RouteOptions(lane="max")).lane.id == "max"  # --lane still wins


# Found by reading today's new wordings as the guide would (probes written for these tests).
@pytest.mark.parametrize(
    "text",
    [
        # someone else's all-clear, about using the model
        "our CFO says it's fine to use opus for the board memo",
        "I used sonnet, and legal says the draft is fine; format it for print",
        "haiku tagged them, and the team lead says they're good; do the next 300",
        # the model's all-clear, confirmed
        "sonnet says the query is fine and it is, just add an index comment",
        "haiku said the tags are correct and I checked, they are. tag these 300 more",
        # a good thing it said, not an all-clear to dispute
        "sonnet told me the right answer last week, same again for this week's invoices",
        # a reminder not to forget, or nothing forgotten
        "don't forget: haiku is fine for this, tag 200 tickets",
        "haiku never forgot a field in the last export, same again for this one",
        "haiku: résume les tickets et n'oublie pas les pièces jointes",
        "haiku: resume los tickets sin olvidar los adjuntos",
        "haiku: riassumi i ticket, non dimenticare gli allegati",
        "haiku: resuma os tickets, não se esqueça dos anexos",
        "haiku hat beim letzten Export nichts vergessen, bitte genauso für diesen",
        # a breakdown is not a breakage
        "sonnet broke the budget down by team nicely last month, same again for this month",
        # ordinary words in other languages
        "sonnet: rédige une note sur les arbres à planter dans le parc du siège",
        "sonnet: fasse den Bericht zusammen und stell daneben eine Tabelle der Kosten",
        "haiku: traduz o texto sobre a viagem, ele viajou para Lisboa em maio",
        "haiku: classe ces mails par urgence, le format reste pareil",
        "haiku: réponds toujours en anglais aux tickets de ce matin",
        "haiku: el cliente sigue esperando, redacta una disculpa corta",
        "sonnet: escreve a ata da reunião, o formato continua igual ao do mês passado",
        # attempts counted that went well
        "tried sonnet on last month's export and it was fine, same again for this one",
        "haiku did it in two tries and it was perfect, tag the rest the same way",
        "opus a fait deux versions, les deux sont très bonnes; choisis la meilleure pour le client",
        # an all-clear reported and not disputed
        "I asked sonnet and it said the outline is good; now turn it into a one-pager for the team",
        # a model said to be more than the work needs
        "opus is overkill here, just fix the typos in these 12 slide titles",
        "sonnet's a bit much for this one: shorten the out-of-office reply",
        # a mix, not mixing up
        "haiku: résume le mélange de retours clients par thème",
        "haiku: resume la mezcla de comentarios de la encuesta",
        # words that only start like a failure
        "summarize the miscellaneous notes with haiku",
        # "blew past" is doing well
        "the sales team blew past the quota, write a congrats note using haiku",
        # "two times" as a measure or a frequency, not tries counted
        "haiku, make the summary deux fois plus courte",
        "con haiku, resume este correo en dos veces menos palabras",
        "haiku: sort these 50 tickets, they come in 2 fois par semaine",
        # what the work still needs, or what the person does not know
        "Haiku, fass diese Notizen zusammen, es fehlt noch die Einleitung, schreib sie auch",
        "Haiku, fasse die Mails zusammen; keine Ahnung wer sie geschickt hat",
        # a customer's tries, not a model's
        "haiku: le client a essayé 2 fois de se connecter, rédige une réponse",
        "haiku: el cliente intentó 3 veces pagar, escribe una respuesta corta",
        "haiku: il cliente ha provato a pagare, scrivi una risposta breve",
        "haiku: der Kunde hat versucht zu zahlen, schreib eine kurze Antwort",
        "haiku: o cliente tentou pagar duas vezes, responde curto",
        # things that bombed or tanked, as the subject of the work
        "Haiku, list these 30 movies that tanked at the box office",
        "Haiku, sort these complaints: people said the app bombed on launch day",
        # botched, but said to be about something else
        "haiku hat gestern was vermasselt, hat aber nix damit zu tun: fass die Mails zusammen",
        # a stock price tanking
        "Haiku, tag these 200 tickets; the stock tanked after earnings so expect angry ones",
    ],
)
def test_mentions_that_are_no_failure_of_this_task(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons
    assert decision.lane.id != "max"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("haiku keeps forgetting the totals in the invoice extraction, redo the batch", "default"),
        ("haiku forgott the totals when it extracted these invoices, redo the extraction", "default"),
        ("sonnet vergisst jedes Mal die Fußnoten in der Zusammenfassung des Jahresberichts", "premium"),
        ("gpt-5.4 medium lag bei der Zollberechnung wieder daneben", "premium"),
    ],
)
def test_forgetting_and_missing_in_other_tenses_are_failures(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision)
    assert decision.lane.id == expected


@pytest.mark.parametrize(
    "text",
    [
        "haiku did great on the ticket tags, now do the same for the acquisition due diligence memo",
        "haiku handled the summaries fine; same approach for our five-year pricing strategy and the board"
        " recommendation",
        "haiku was fine for the tags. is this deadlock the same as last week's outage in the payment"
        " service?",
    ],
)
def test_the_same_again_is_not_read_across_a_task_two_rungs_away(text: str) -> None:
    """Cheap work praised is no reason to send premium work to cheap: never more than one rung under. (The
    lane model reads the first as default or premium work, by a few points either way; neither is cheap.)"""
    decision = route(text, POLICY)
    assert decision.lane.id == decision.model_lane != "cheap" and not decision.ruled
    assert not any(r.startswith("the same again") and "set aside" not in r for r in decision.reasons)


def test_a_praised_run_takes_work_down_a_rung_only_when_the_work_may_be_that_rungs() -> None:
    # Down is where a wrong call fails: the run praised shows the way only for work the lane model gives that
    # rung a fair share of; up, it only costs money, and the praise is followed.
    aside = route("haiku did great on the ticket tags, now do the same for the migration runbook", POLICY)
    assert aside.lane.id == aside.model_lane == "default" and not aside.ruled
    assert any(r.startswith("the same again") and "likely cheap work" in r for r in aside.reasons), (
        aside.reasons
    )
    # Read as default or as premium work (the lane model is near even on it), it is set aside either way.
    memo = route(
        "haiku did great on the ticket tags, now do the same for the acquisition due diligence memo", POLICY
    )
    assert memo.lane.id == memo.model_lane != "cheap" and not memo.ruled
    assert any(r.startswith("the same again") and "set aside" in r for r in memo.reasons), memo.reasons
    followed = route("haiku did great on last week's ticket tags, do this week's tags the same way", POLICY)
    assert followed.lane.id == "cheap"
    up = route("sonnet's been great on these, do this week's", POLICY)
    assert up.lane.id == "default" and up.ruled


@pytest.mark.parametrize(
    "text",
    [
        "the most careful review possible of the merger terms; time is not a concern but cost is",
        "the most rigorous review possible of the lease; time is no issue but keep the cost down",
        "most thorough analysis possible of the vendor bids, no rush, but we're on a tight budget",
        "the most thorough review possible of our one-time password flow",
        "write the best possible one-shot prompt for classifying tickets",
        # time alone no matter, with cost said to matter
        "assess the vendor risk; no matter the time, keep the cost down",
        # the previous try, not the last one
        "assess the vendor risk, maximum effort; last try was sonnet and it was fine",
        # maximum effort said not to be needed
        "analyse the pricing change; it's a one-off so no need for max effort",
    ],
)
def test_cost_said_to_matter_or_a_one_time_thing_is_not_cost_no_object(text: str) -> None:
    assert lane(text) != "max"


def test_model_names_come_from_the_policy(tmp_path: Path) -> None:
    """A team that moves its cheap lane to another model is understood: that name is now the cheap rung."""
    text = DEFAULT_POLICY_PATH.read_text().replace("claude-haiku-4-5", "claude-wren-5-0")
    path = tmp_path / "policy.toml"
    path.write_text(text)
    team = load_policy(path)
    task = "Plan the data migration. Wren failed twice on it"
    assert route(task, team).lane.id == "default"  # one rung above the cheap rung that failed
    assert any('earlier failure ("Wren failed twice on it")' in r for r in route(task, team).reasons)
    assert route("Plan the data migration. Wren failed twice on it", POLICY).ruled is False


def test_stakes_are_read_but_bulk_tagging_stays_cheap_and_scripts_stay_code() -> None:
    assert lane("Write the memo for the board on the reorg") == "premium"
    assert lane("Tag these 500 incident tickets by severity") == "cheap"
    assert lane("Write a Python script that exports the board members list to CSV") == "code"


def test_volume_and_latency_keep_cheap_work_cheap() -> None:
    assert lane("quick: rewrite this reply to sound friendlier") == "cheap"


def test_unclear_text_is_shown_as_low_confidence() -> None:
    decision = route("hmm, thoughts?", POLICY)
    assert decision.confidence_label == "low"
    assert any("low confidence" in r for r in decision.reasons)


def test_explicit_lane_and_provider_win() -> None:
    decision = route("Tag these tickets", POLICY, RouteOptions(lane="premium", provider="openai"))
    assert (decision.lane.id, decision.provider, decision.model.label) == (
        "premium",
        "openai",
        "gpt-5.4 (high)",
    )
    assert decision.explicit and decision.confidence == 1.0
    assert "router suggested cheap" in decision.reasons[0]


def test_reasons_quote_the_words_typed_that_decided_it() -> None:
    task = "Refactor utils.py to remove duplicated date handling"
    decision = route(task, POLICY)
    assert decision.lane.id == "code"
    assert decision.cues and all(c.quote in task for c in decision.cues)
    assert decision.reasons[0].startswith("code: the task says")
    assert {a.lane for a in decision.alternatives} >= {"premium", "default"}
    assert decision.lane.escalate_when and decision.lane.avoid_when


def test_probabilities_cover_the_models_lanes() -> None:
    decision = route("Summarize this thread", POLICY)
    assert set(decision.scores) == set(POLICY.lane_model.lanes)
    assert abs(sum(decision.scores.values()) - 1) < 1e-9


@pytest.mark.parametrize(
    "text",
    [
        "",
        "🚀" * 5000,
        "Résume ce fil en trois points",
        "```\n" + "x = 1\n" * 5000 + "```",
        "a" * 40_000,
        "summarize " * 4000,
        "\x00\x01 control chars",
        "<!channel> <@U1> & <>",
        "opus's " * 3000,
    ],
)
def test_odd_input_never_crashes_and_stays_fast(text: str) -> None:
    started = time.perf_counter()
    decision = route(text, POLICY)
    assert decision.lane.id in POLICY.lanes
    assert 0 <= decision.confidence <= 1
    assert time.perf_counter() - started < 5  # a hang guard, not a benchmark


def _team_policy(tmp_path: Path) -> Path:
    """A copy of the default policy that names `team.bin` beside it as its lane model."""
    text = DEFAULT_POLICY_PATH.read_text().replace('model = "lane-model.bin"', 'model = "team.bin"')
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return path


def test_a_missing_or_damaged_model_file_stops_startup_with_the_file_named(tmp_path: Path) -> None:
    path = _team_policy(tmp_path)
    with pytest.raises(PolicyError, match=r"team\.bin: router model file not found"):
        load_policy(path)
    (tmp_path / "team.bin").mkdir()
    with pytest.raises(PolicyError, match=r"team\.bin: router model file unreadable .*`routebot train`"):
        load_policy(path)
    (tmp_path / "team.bin").rmdir()
    # A model of format 3 (JSON), 4 (no word sums) or of another version is refused, never misread.
    for content in (
        b'{"format": "routebot-lane-model/3"}',
        b"routebot-lane-model/4\n" + _SHIPPED[22:],
        b"routebot-lane-model/6\n" + _SHIPPED[22:],
        b"",
    ):
        (tmp_path / "team.bin").write_bytes(content)
        with pytest.raises(PolicyError, match=r"team\.bin: not a routebot lane model \(format .*/5\)"):
            load_policy(path)


def _damaged_copies() -> list[bytes]:
    """The shipped model cut short at each of its parts, with a garbled header, or with counts that lie."""
    magic = len(b"routebot-lane-model/5\n")
    header_size, names_size = struct.unpack_from("<QQ", _SHIPPED, magic)
    header_at = magic + 16
    header = _SHIPPED[header_at : header_at + header_size]
    told = json.loads(header)
    told["counts"]["pasted"] += 1  # one name more than the file holds
    lying = json.dumps(told).encode()
    resized = _SHIPPED[:magic] + struct.pack("<QQ", len(lying), names_size)
    # One word sum fewer, the file one row shorter: the rows add up, but not to one sum per `w ` feature.
    told = json.loads(header)
    told["counts"]["words"] -= 1
    fewer = json.dumps(told).encode()
    row_size = 8 * (len(told["lanes"]) + 1)
    sums_short = _SHIPPED[:magic] + struct.pack("<QQ", len(fewer), names_size) + fewer
    sums_short += _SHIPPED[header_at + header_size : -row_size]
    # A format-4 file labelled 5: its header counts no word sums, and it holds none.
    del told["counts"]["words"]
    unsummed = json.dumps(told).encode()
    no_sums = _SHIPPED[:magic] + struct.pack("<QQ", len(unsummed), names_size) + unsummed
    no_sums += _SHIPPED[header_at + header_size : -row_size * json.loads(header)["counts"]["words"]]
    return [
        _SHIPPED[: magic + 5],  # inside the sizes
        _SHIPPED[: header_at + header_size // 2],  # inside the header
        _SHIPPED[: header_at + header_size + names_size // 2],  # inside the names
        _SHIPPED[:-8],  # one row's number missing (the last word sum's)
        _SHIPPED[:-3],  # not a whole number of doubles
        _SHIPPED[: -row_size * 100],  # the word sums cut short by 100 rows
        sums_short,
        no_sums,
        _SHIPPED[:header_at] + b"{" * header_size + _SHIPPED[header_at + header_size :],
        resized + lying + _SHIPPED[header_at + header_size :],
    ]


_SHIPPED = DEFAULT_POLICY_PATH.with_name("lane-model.bin").read_bytes()


def test_a_model_file_cut_short_or_garbled_is_damaged(tmp_path: Path) -> None:
    path = _team_policy(tmp_path)
    for content in _damaged_copies():
        (tmp_path / "team.bin").write_bytes(content)
        with pytest.raises(PolicyError, match=r"team\.bin: lane model is damaged .*`routebot train`$"):
            load_policy(path)


def test_the_model_file_reads_back_the_rows_it_was_written_with() -> None:
    header = {
        "lanes": ["cheap", "code"],
        "bias": [0.5, -0.5],
        "temperature": 1.0,
        "under_cost": 1.75,
        "first_step_cost": 1.0,
        "calibration": {"slope": 1.0, "intercept": 0.0, "ruled": 0.9},
        "trained_on": {"cases": 2},
    }
    rows = {
        "w tag": [1.0, 2.0, -2.0],
        "c tag": [0.25, 0.5, -0.5],
        "c  ta": [0.5, 1.5, 0.0],
        "b tag these": [4.0, 1.0, 3.0],
        "p é": [9.0, -1.0, 1.0],
    }
    model = parse_lane_model(encode_lane_model(header, rows), "here")
    assert model.lanes == ("cheap", "code") and model.bias == (0.5, -0.5) and model.source == "here"
    assert (model.under_cost, model.first_step_cost) == (1.75, 1.0)  # the decision rule's weights
    assert model.word_row("tag") == (1.75, 4.0, -2.5)  # `w tag`, `c  ta`, `c tag`: its features kept
    assert model.word_row("tagz") == (0.75, 2.0, -0.5)  # no `w tagz`: its n-grams `c  ta`, `c tag`
    assert model.word_row("zzz") == ()
    assert model.pair_rows == {("tag", "these"): (4.0, 1.0, 3.0)}
    assert model.pasted_rows == {"é": (9.0, -1.0, 1.0)}
    assert encode_lane_model(header, dict(reversed(rows.items()))) == encode_lane_model(header, rows)


def test_a_known_word_is_read_from_its_stored_sum_the_sum_its_features_give() -> None:
    model = parse_lane_model(_SHIPPED, "shipped")
    words = [name[2:] for name in model.grams if name.startswith("w ")]
    assert len(words) > 1_000
    # Exactly equal (floats compared bit for bit): what the file stores is what summing the word gives.
    stored = [model.word_row(word) for word in words]
    assert stored == [model.word_rows.summed(word) for word in words]
    assert all(len(row) == len(model.lanes) + 1 for row in stored)
    # And the stored sum is what is read: a file whose last sum (that of the last `w ` word) says
    # otherwise is read as it says.
    width = len(model.lanes) + 1
    altered = _SHIPPED[: -8 * width] + struct.pack(f"<{width}d", *range(width))
    assert parse_lane_model(altered, "altered").word_row(words[-1]) == tuple(map(float, range(width)))


def test_a_word_is_summed_alike_by_search_and_by_the_positions_built_later() -> None:
    searching = parse_lane_model(_SHIPPED, "shipped").word_rows
    indexed = parse_lane_model(_SHIPPED, "shipped").word_rows
    known = [name[2:] for name in indexed.grams if name.startswith("w ")]
    for word in known:  # a process that keeps meeting new words
        indexed.summed(word)
        if indexed.positions is not None:
            break
    assert indexed.positions is not None
    unknown = ["zendeskk", "pgbouncerx", "00000x0", "kubernetes-ish", "ça", "zq#", ""]
    assert not {"w " + word for word in unknown} & set(indexed.grams)
    probes = [*unknown, *known[::50], "a" * 24, "a" * 25]
    assert [indexed.summed(word) for word in probes] == [searching.summed(word) for word in probes]
    assert searching.positions is None  # so the second list was found by bisection
    assert [indexed[word] for word in unknown[:4]] == [searching[word] for word in unknown[:4]]
    assert all(searching[word] for word in unknown[:4])  # their n-grams were kept
    assert searching.summed("zq#") == ()


def test_loading_a_model_leaves_the_garbage_collector_as_it_was() -> None:
    # Loading pauses the collector while it builds the rows (lane_model.parse_lane_model).
    assert gc.isenabled()
    parse_lane_model(_SHIPPED, "shipped")
    assert gc.isenabled()
    gc.disable()
    try:
        parse_lane_model(_SHIPPED, "shipped")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_copy_of_the_default_policy_finds_the_shipped_model(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(DEFAULT_POLICY_PATH.read_text())
    shipped = str(DEFAULT_POLICY_PATH.with_name("lane-model.bin"))
    assert load_policy(path).lane_model.source == shipped
    # Copies made while the shipped model was `lane-model.json` still find it.
    path.write_text(DEFAULT_POLICY_PATH.read_text().replace('"lane-model.bin"', '"lane-model.json"'))
    assert load_policy(path).lane_model.source == shipped


def _score(path: Path) -> tuple[float, float, int]:
    report = evaluate(read_cases(path.read_text().splitlines(), str(path)), POLICY)
    return report.rate("acceptable"), report.rate("under"), report.worst_under


def test_shared_eval_cases_meet_the_bar() -> None:
    path = SHARED / "eval" / "routing-cases.jsonl"
    if not path.exists():
        pytest.skip("shared/ is not beside the checkout")
    acceptable, under, worst_under = _score(path)
    assert acceptable >= 0.95
    assert under == 0 and worst_under == 0


def test_the_shipped_corpus_is_labelled_as_the_guide_asks() -> None:
    files = corpus_files()
    assert len(files) >= 9
    ids: set[str] = set()
    cases = 0
    for path in files:
        for case in read_cases(path.read_text().splitlines(), str(path)):
            assert case.lane in case.acceptable
            assert case.id not in ids, f"{path.name}: duplicate id {case.id}"
            ids.add(case.id)
            cases += 1
    assert cases >= 2000
    assert (CORPUS_DIR / "BLIND.md").exists()


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_the_shipped_model_has_learned_its_corpus(path: Path) -> None:
    """Not a quality figure (these are training cases; the blind scores are in corpus/BLIND.md), but a
    model file that does not match its corpus fails here."""
    acceptable, under, worst_under = _score(path)
    assert acceptable >= 0.9 and under <= 0.03 and worst_under <= 1


def test_no_shared_case_text_in_router_code_or_corpus() -> None:
    path = SHARED / "eval" / "routing-cases.jsonl"
    if not path.exists():
        pytest.skip("shared/ is not beside the checkout")
    root = Path(__file__).resolve().parents[2]
    sources = "".join(
        p.read_text().lower()
        for p in [*(root / "commands").glob("*.*"), *CORPUS_DIR.rglob("*.*")]
        if p.suffix in (".py", ".toml", ".jsonl", ".md")
    )
    for line in path.read_text().splitlines():
        text = json.loads(line)["text"].lower()
        assert text[:60] not in sources


def test_a_task_in_another_language_says_the_router_reads_english_best() -> None:
    german = route(
        "Fasse diese Kundenbeschwerden in drei Stichpunkten zusammen, bitte mit den Zahlen", POLICY
    )
    assert not german.english
    assert "reads English best" in german.reasons[1]
    english = route("Summarize these customer complaints in three bullets, with the numbers", POLICY)
    assert english.english and not any("reads English best" in r for r in english.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "Refactor utils.py to remove duplicated date handling",
        "Plan the data migration. Sonnet failed twice on it",
        "max effort, cost is no object: review the merger terms",
        "Fasse diese Kundenbeschwerden in drei Stichpunkten zusammen, bitte",
        "",
        "ok?",
    ],
)
def test_a_decision_holds_every_field_as_its_constructor_sets_it(text: str) -> None:
    # route() fills its Decision, Evidence and Alternative values without their generated __init__.
    for options in (RouteOptions(), RouteOptions(lane="premium")):
        decision = route(text, POLICY, options)
        for value in (decision, *decision.cues, *decision.alternatives):
            assert vars(value).keys() == {f.name for f in fields(value)}
            assert replace(value) == value
        assert asdict(replace(decision)) == asdict(decision)


def test_each_policy_routes_by_its_own_ladder_costs() -> None:
    # The cost table is worked out once per policy: policies routed in turn must not share one.
    model = POLICY.lane_model
    free = replace(POLICY, lane_model=replace(model, under_cost=0.0, first_step_cost=0.0))
    task = "Write unit tests for the payment retry module"
    for _ in range(3):
        assert route(task, POLICY).lane.id == "code"
        assert route(task, free).lane.id == "cheap"  # under-routing costs nothing there


def test_english_needs_more_of_another_languages_small_words_than_of_its_own() -> None:
    assert looks_english(["la", "harm"]) and looks_english([]) and looks_english(["harm", "harm"])
    assert not looks_english(["la", "nos", "harm"]) and not looks_english(["la", "la"])  # twice counts
    assert looks_english(["la", "nos", "the", "of", "harm"])  # as many of English's
    assert not looks_english(["la", "nos", "del", "the", "of"])
