"""Wordings of the guide's rules that people type and the rules once missed: failures said without a failure
word (a result that turned out wrong, a plan good only on paper, runs that disagree, a disputed all-clear in
quotes, an effort named as the model), demands for maximum rigour in six languages, praise followed by "do
this week's", and "it works" after a model's run.

Each wording comes with near twins that must read the other way, so that a fix is a rule and not a special
case. Texts are written for these tests.
"""

from __future__ import annotations

import pytest

from commands.policy import load_policy
from commands.router import route
from tests.commands.decisions import failed, why_set_aside

POLICY = load_policy()


# 1. Failures said without a failure word: the lane is one rung above what failed.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # what the model flagged, blamed or pointed at turned out fine, unrelated, a red herring
        ("opus's vendor risk review flagged three suppliers that turned out to be fine, redo it", "max"),
        ("sonnet blamed the nightly cron for the drift, which turned out to be unrelated", "premium"),
        ("gpt-5.4 high pointed at the cache layer; it turned out to be a red herring", "max"),
        ("haiku marked 40 tickets as spam that turned out to be legit customers, retag them", "default"),
        # good on paper, wrong in practice
        ("gpt-5.4 high's discount plan looked great on paper but the trial lost us margin", "max"),
        ("sonnet's rollout schedule sounded fine in theory, but two teams were double-booked", "premium"),
        ("opus's hiring plan was perfect on paper but we couldn't fill a single role", "max"),
        # runs that disagree with each other
        ("three opus runs on the lifetime value model came back 40k, 55k and 90k", "max"),
        ("sonnet gives me a different headcount every time I ask, settle the Q2 number", "premium"),
        ("two gpt-5.4 high passes on the transfer pricing gave 12% and 19%", "max"),
        ("sonnet nous donne un total différent à chaque fois pour la TVA du trimestre", "premium"),
        ("opus da un resultado distinto cada vez sobre la provisión de impagos", "max"),
        ("sonnet liefert jedes Mal eine andere Summe für die Rückstellungen", "premium"),
        ("deux passages d'opus sur le prévisionnel ont donné 4 % et 12 %", "max"),
        ("opus mi dà un risultato diverso ogni volta sulla previsione di cassa", "max"),
        # still or keeps double-counting; variants that all read alike
        ("sonnet's ledger merge still double counts the credit notes", "premium"),
        ("gpt-5.4 medium keeps double-counting intercompany sales in the consolidation", "premium"),
        ("haiku wrote eight push notifications and they all read the same", "default"),
        ("the four intros sonnet drafted all sound identical, need real alternatives", "premium"),
    ],
)
def test_a_failure_said_without_a_failure_word_moves_one_rung_above(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected, decision.reasons


@pytest.mark.parametrize(
    "text",
    [
        "opus's forecast turned out to be right, turn it into a board slide",
        "sonnet's guess about the root cause turned out to be correct; write the postmortem",
        "the supplier turned out to be fine, ask haiku to draft a thank-you note",
        "sonnet: write the plan on paper first, then the checklist",
        "sonnet's rollout plan looks good on paper, turn it into a Jira epic",
        "write a chatbot reply with haiku that gives a different greeting every time",
        "haiku: write 30 welcome messages, a different one each time a user signs up",
        "sonnet: the two regions came back 3% and 11% this quarter, write the summary",
    ],
)
def test_twins_of_those_wordings_are_no_failure(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons
    assert decision.lane.id != "max", decision.reasons


# A model's all-clear given in quotes, then shown wrong: a failure of what gave it.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('opus gave the launch checklist a "looks good", but the canary failed within minutes', "max"),
        ('sonnet gave the migration a "no issues found" but staging lost a table', "premium"),
        ('gpt-5.4 high gave me an "all clear" on the DPA, and then legal found two gaps', "max"),
        ("haiku gave the export a thumbs up, but half the rows are missing", "default"),
    ],
)
def test_a_models_quoted_all_clear_disputed_after_is_a_failure(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected, decision.reasons


@pytest.mark.parametrize(
    "text",
    [
        'sonnet gave the outline a "looks good", now turn it into a one-pager',
        'haiku gave the tags a "no issues" and they were right, tag this week\'s batch',
    ],
)
def test_a_quoted_all_clear_not_disputed_is_no_failure(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons


# Beside the point, in the five other languages.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("le rapport de sonnet passe complètement à côté du sujet, reprends l'étude", "premium"),
        ("opus est passé à côté de la question sur la clause de non-concurrence", "max"),
        ("la note de sonnet est à côté de la plaque, refais le mémo juridique", "premium"),
        ("la propuesta de sonnet no da en el clavo, rehaz el análisis de precios", "premium"),
        ("opus no dio en el clavo con la estrategia de expansión", "max"),
        ("la risposta di sonnet non centra il punto, rivedi il piano di migrazione", "premium"),
        ("opus non ha centrato il punto sul rischio di cambio", "max"),
        ("die Analyse von sonnet geht völlig am Thema vorbei, bitte die Marktstudie neu", "premium"),
        ("opus lag mit der Bewertung am Ziel vorbei", "max"),
        ("a análise do sonnet passou longe, refaça o plano de preços", "premium"),
        ("o opus passou muito longe na avaliação do risco", "max"),
    ],
)
def test_beside_the_point_in_other_languages_is_a_failure(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected, decision.reasons


@pytest.mark.parametrize(
    "text",
    [
        "sonnet, passe à côté des détails et résume le fil en cinq points",
        "opus: o caminhão passou longe da doca, escreva o relatório do incidente",
    ],
)
def test_those_words_used_plainly_are_no_failure(text: str) -> None:
    assert not failed(route(text, POLICY))


# An effort named as the model that ran ("high still gets it wrong"): a failure at that effort's rung.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("medium and then high both had a go; high still gets the deferred tax wrong", "max"),
        ("low got the sentiment labels wrong on half the reviews, relabel them", "default"),
        ("medium keeps missing the deadlock in the job scheduler", "premium"),
        ("we tried low, then medium. medium was still wrong about the refund policy", "premium"),
    ],
)
def test_an_effort_named_as_the_model_that_failed_moves_one_rung_above(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected, decision.reasons


@pytest.mark.parametrize(
    "text",
    [
        "the error rate is high was the finding, summarise the incident notes",
        "tag these tickets: high priority got missed last week by the on-call",
        "keep it low, got it? summarize the thread in three bullets",
        "medium roast sold out, draft the email to subscribers",
        "high was the risk rating we gave it; summarize the audit findings with sonnet",
    ],
)
def test_an_effort_word_used_as_an_adjective_is_no_model(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons


# 2. A demand for maximum rigour: premium on its own, max with cost or time no object; bulk work stays cheap.
@pytest.mark.parametrize(
    "text",
    [
        "evalúa los riesgos de la fusión con Gamma con el máximo rigor posible",
        "valuta i rischi della fusione con Gamma con il massimo rigore",
        "évalue les risques de la fusion avec Gamma avec une rigueur maximale",
        "bewerte die Risiken der Fusion mit Gamma mit maximaler Sorgfalt",
        "avalie os riscos da fusão com a Gamma com o máximo rigor",
        "the most rigorous analysis you're capable of: the risks of merging with Gamma",
        "assess the risks of merging with Gamma with maximum care",
    ],
)
def test_a_demand_for_maximum_rigour_alone_is_premium(text: str) -> None:
    decision = route(text, POLICY)
    assert decision.lane.id == "premium", decision.reasons
    assert any("maximum effort" in r for r in decision.reasons), decision.reasons


@pytest.mark.parametrize(
    "text",
    [
        "evalúa los riesgos de la fusión con Gamma con el máximo rigor posible, da igual lo que tarde",
        "evalúa los riesgos de la fusión con Gamma con el máximo rigor, da igual lo que cueste",
        "valuta i rischi della fusione con Gamma con il massimo rigore, non importa quanto costa",
        "évalue les risques de la fusion avec Gamma avec une rigueur maximale, peu importe le coût",
        "bewerte die Risiken der Fusion mit Gamma mit maximaler Sorgfalt, Kosten spielen keine Rolle",
        "avalie os riscos da fusão com a Gamma com o máximo rigor, custe o que custar",
        "the most rigorous analysis you're capable of on merging with Gamma, cost is no object",
        "the deepest analysis available of the Gamma merger; time doesn't matter",
    ],
)
def test_a_demand_for_maximum_rigour_with_cost_or_time_no_object_is_max(text: str) -> None:
    decision = route(text, POLICY)
    assert decision.lane.id == "max", decision.reasons
    assert any("explicit demand for maximum effort" in r for r in decision.reasons), decision.reasons


@pytest.mark.parametrize(
    "text",
    [
        "evalúa si conviene fusionarnos con Gamma y qué riesgos legales hay, da igual lo que tarde",
        "etiqueta estos 400 tickets con el máximo rigor posible",
    ],
)
def test_time_alone_or_rigour_on_bulk_work_does_not_reach_max(text: str) -> None:
    assert route(text, POLICY).lane.id != "max"


# 3. Praise of a model, then the next period's run asked for: that model's rung.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sonnet's been great on these, do this week's", "default"),
        ("sonnet has been excellent on the competitor digests, write this month's", "default"),
        ("opus has been excellent on the quarterly board letters, write this quarter's", "premium"),
        (
            "gpt-5.4 medium is fine for this kind of thing, it did it well last time — do the April one",
            "default",
        ),
        ("haiku has been solid on the ticket tags, do today's batch", "cheap"),
        ("opus a été excellent sur les lettres aux actionnaires, rédige celle de ce trimestre", "premium"),
        ("opus ha sido excelente con las cartas al consejo, redacta la de este trimestre", "premium"),
    ],
)
def test_praise_then_the_next_run_asked_for_is_the_same_again(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons
    assert decision.lane.id == expected, decision.reasons


# 4. "It works" after a model's run is praise; "it works only half the time" is not.
@pytest.mark.parametrize(
    "text",
    [
        "codex wrote the invoice parser on monday and it works. now add a --dry-run flag",
        "sonnet set up the backup job last week and it worked, add alerting to it",
        "haiku tagged friday's tickets and that worked, tag today's",
        "haiku translated the help centre and it works for our Spanish users, now do the Italian one",
    ],
)
def test_it_works_after_a_models_run_is_no_failure(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons
    assert why_set_aside(decision), decision.reasons


@pytest.mark.parametrize(
    "text",
    [
        "codex wrote the invoice parser on monday and it works only on small files, fix it",
        "sonnet wrote the backup job last week and it worked until the disk filled up",
    ],
)
def test_it_works_with_a_catch_is_still_a_failure(text: str) -> None:
    assert failed(route(text, POLICY))


@pytest.mark.parametrize(
    "text",
    [
        "opus — scratch that, nobody has tried anything yet. plan the warehouse consolidation",
        "sonnet - actually no, nobody has run anything on this yet: draft the vendor scorecard",
    ],
)
def test_a_model_named_then_taken_back_before_any_run_is_no_failure(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons
    assert decision.lane.id != "max", decision.reasons


def test_the_card_quotes_the_clause_that_says_how_it_failed() -> None:
    decision = route("medium and then high both had a go; high still gets the deferred tax wrong", POLICY)
    assert decision.lane.id == "max"
    assert any(
        r.startswith('earlier failure ("high still gets the deferred tax wrong")') for r in decision.reasons
    ), decision.reasons


# 5. Review of those wordings by probing their ordinary twins (texts written for these tests).
# Several models in one clause: the one the failure words are said of failed, not the strongest named.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sonnet mixed up the cost centres and opus sorted them out; now do this month's", "premium"),
        ("opus cleaned up what sonnet got wrong in the deck, redo the appendix", "premium"),
        ("opus read sonnet's contract summary and found it flawed, write a better one", "premium"),
        ("haiku and sonnet both botched the churn cohorts, opus handled it", "premium"),
        # a list of models before the failure words: each failed, the highest counts
        ("opus and haiku both missed the indemnity cap", "max"),
    ],
)
def test_the_model_a_failure_is_said_of_is_what_failed(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected, decision.reasons


# An effort word describing something ("high still needs sign-off", "tickets marked high") is no model.
@pytest.mark.parametrize(
    "text",
    [
        "severity is high, medium or low. high still needs a director's sign-off; haiku, tag the vendors",
        "invoices flagged high got paid late again, ask haiku to summarise the aging report",
        "deals rated medium got stuck in legal; sonnet, write the pipeline review",
    ],
)
def test_an_effort_word_describing_something_is_no_failure(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons
    assert decision.lane.id != "max", decision.reasons


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("medium still wrong on the refund policy, fix the answer", "premium"),
        ("high still hallucinating the case law in the brief", "max"),
    ],
)
def test_an_effort_still_failing_is_what_ran(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected, decision.reasons


# Runs that agree are no failure: the numbers must differ.
@pytest.mark.parametrize(
    "text",
    [
        "two opus runs on the churn forecast came back 8% and 8%, write it up for the board",
        "deux passages d'opus ont donné 15 et 15, rédige la note",
        "zwei Läufe von sonnet ergaben 70 und 70, schreib die Zusammenfassung",
    ],
)
def test_runs_that_agree_are_no_failure(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons


# The input's faults while a model is addressed, in the other languages too ("la prioridad alta sigue sin
# asignar" is the ticket's state, not sonnet's answer).
@pytest.mark.parametrize(
    "text",
    [
        "sonnet: la factura sigue sin pagar, redacta el recordatorio al cliente",
        "sonnet : le candidat est parfait sur le papier, rédige l'invitation à l'entretien",
    ],
)
def test_input_faults_while_a_model_is_addressed_in_other_languages_are_no_failure(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons


@pytest.mark.parametrize(
    "text",
    ["sonnet: sigue sin cuadrar el balance, rehazlo", "sonnet : toujours faux sur la TVA, refais-le"],
)
def test_an_addressed_models_own_answer_still_failing_in_other_languages_is_a_failure(text: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == "premium", decision.reasons


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # beside the point in German's perfect tense
        ("der Bericht von sonnet ist am Thema vorbeigegangen, bitte neu", "premium"),
        # an adverb inside "no dio en el clavo"; runs that disagree in German's perfect tense
        ("opus no dio nunca en el clavo con la previsión de caja", "max"),
        ("sonnet hat jedes Mal eine andere Marge berechnet, bitte klären", "premium"),
        # good on paper only, said in the present with a "but"
        ("opus's expansion plan looks great on paper but the unit economics never work", "max"),
    ],
)
def test_obvious_variants_of_the_new_wordings_are_failures(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected, decision.reasons


# Maximum rigour someone else requires, or that the work is about, is no demand of the person asking.
@pytest.mark.parametrize(
    "text",
    [
        "summarise the retention policy: regulators expect maximum care with biometric data",
        "write a short post about why maximum rigor in threat modelling pays off",
        "el reglamento exige el máximo rigor en la trazabilidad; haz un resumen de una página",
        "die Norm verlangt maximale Sorgfalt bei der Kalibrierung, fass sie in drei Punkten zusammen",
    ],
)
def test_maximum_rigour_required_by_someone_else_is_no_demand(text: str) -> None:
    decision = route(text, POLICY)
    assert not any("maximum effort" in r for r in decision.reasons), decision.reasons


@pytest.mark.parametrize(
    "text",
    [
        "we require maximum rigor on the Gamma merger risk assessment",
        "I demand maximum care on the Gamma merger risk assessment",
    ],
)
def test_the_askers_own_requirement_of_maximum_rigour_is_a_demand(text: str) -> None:
    decision = route(text, POLICY)
    assert any("maximum effort" in r for r in decision.reasons), decision.reasons


# "It held up" after a run is praise, like "it works"; "held up until …" is not.
def test_it_held_up_after_a_run_is_no_failure() -> None:
    decision = route("the auditor tried sonnet's checklist twice and it held up, do the next audit", POLICY)
    assert not failed(decision), decision.reasons
    assert why_set_aside(decision), decision.reasons


def test_it_held_up_with_a_catch_is_still_a_failure() -> None:
    assert failed(route("we tried sonnet's fix twice and it held up only for a day", POLICY))


# After an address by colon, words of their own before the failure words are someone else's, as after a
# comma ("haiku, legal pushed back"), capitalised or not.
@pytest.mark.parametrize(
    "text",
    [
        "haiku: procurement pushed back on the renewal terms, summarise their notes",
        "haiku: dana says otherwise about the delivery date, draft a polite reply",
    ],
)
def test_someone_elses_words_after_an_addressed_model_are_no_failure(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons


@pytest.mark.parametrize(
    "text",
    ["haiku: wrong again on the refund tags, redo them", "sonnet: says otherwise than the ledger, check it"],
)
def test_an_addressed_models_own_failure_after_a_colon_is_still_a_failure(text: str) -> None:
    assert failed(route(text, POLICY))


# What turned out fine is the model's wrong call only when the model flagged, blamed or picked it; a different
# answer each time that was meant, and good on paper borne out in practice, are no failure.
@pytest.mark.parametrize(
    "text",
    [
        "sonnet reviewed the alerts that turned out to be false alarms last night and wrote a good summary",
        "haiku sorted the leads, the ones that turned out to be fine got emailed; do today's batch",
        "sonnet gives us a different joke each time, which is the point; write ten more",
        "sonnet's plan looked good on paper and held up in the pilot, write the rollout memo",
        "the plan sonnet wrote looked solid on paper, and the pilot confirmed it; scale it to all regions",
        "sonnet gave us a different tagline each time and we loved it, do this month's brainstorm",
        "opus returned a different outline every time, which is what we asked for; write the next variant",
    ],
)
def test_a_result_borne_out_or_meant_is_no_failure(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons
