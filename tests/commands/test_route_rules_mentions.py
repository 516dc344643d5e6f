"""Mentions of a model that the rules once misread: a model named as one not to use or only as a fallback
(read as a failure or a demand), a failure only supposed ("only if sonnet can't"), a run that went well asked
for again (read as a failure), and failures at the premium rung said without a failure word (`max` missed).

Each wording comes with near twins that must read the other way, so that a fix is a rule and not a special
case. Texts are written for these tests.
"""

from __future__ import annotations

import pytest

from commands.policy import load_policy
from commands.router import Decision, route
from tests.commands.decisions import failed, why_set_aside

POLICY = load_policy()


def demanded(decision: Decision) -> bool:
    """A demand for maximum effort moved the lane or was weighed (not one set aside)."""
    asks = ("asks for maximum effort", "explicit demand for maximum effort")
    return any(r.startswith(asks) and "set aside" not in r for r in decision.reasons)


def declined(decision: Decision) -> str:
    """The reasons that set aside a demand for maximum effort as one the person declined."""
    return " | ".join(r for r in decision.reasons if r.startswith("not a demand for maximum effort"))


# 1. A model named as one not to use, or only as a fallback: neither a failure nor a demand.
@pytest.mark.parametrize(
    "text",
    [
        "gpt-5.4 xhigh if needed but probably not, turn these meeting notes into bullets",
        "xhigh if you must, but probably not: draft the onboarding checklist for new hires",
        "xhigh would be a waste of money here: write the release notes for v2.3",
        "don't use xhigh, draft the hiring plan for the data team",
        "not xhigh please, just write the project plan for the office move",
        "skip xhigh, write a test plan for the checkout flow",
        "no xhigh, no opus: write the support macro for refund requests",
        "gpt-5.4 xhigh is way too much for this, write the onboarding email sequence",
        "don't waste xhigh on the roadmap draft, plan the next two sprints",
        "xhigh only as a fallback: write the data retention policy for the CRM",
        "neither opus nor gpt-5.4 xhigh is needed, just write the incident comms plan",
        "xhigh? nah, overkill. write the sprint plan for the platform team",
        "save xhigh for something that matters, plan the offsite agenda",
        "keep xhigh out of this, write the design doc for the retry queue",
        # the other languages
        "pas besoin de xhigh, rédige le plan de formation des nouveaux",
        "no hace falta xhigh, escribe el plan de incorporación del equipo",
        "xhigh ist hier übertrieben, schreib den Einarbeitungsplan für das Team",
        "xhigh sería excesivo, escribe el runbook de la migración",
        "xhigh sarebbe eccessivo, scrivi il runbook della migrazione",
        "non serve xhigh, scrivi il piano di onboarding del team",
        "não precisa do xhigh, escreva o plano de integração da equipe",
    ],
)
def test_a_model_named_as_one_not_to_use_is_no_failure_and_no_demand(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision) and not demanded(decision), decision.reasons
    assert decision.lane.id != "max", decision.reasons
    assert "not to use" in why_set_aside(decision), decision.reasons
    assert "xhigh" in declined(decision), decision.reasons


@pytest.mark.parametrize(
    "text",
    [
        "no need for the strongest model, write the api docs for the orders endpoint",
        "we don't need the best model here, plan the sprint from these tickets",
        "the best model is overkill for this, draft the onboarding plan for the sales team",
        "the strongest model would be a waste here, write the test plan for the checkout flow",
    ],
)
def test_maximum_effort_said_not_to_be_needed_is_no_demand(text: str) -> None:
    decision = route(text, POLICY)
    assert not demanded(decision) and decision.lane.id != "max", decision.reasons
    assert declined(decision), decision.reasons


# The words after a name or a demand say nothing of it when they open a statement of their own: "too much is
# riding on this", "plenty of budget", a new sentence.
@pytest.mark.parametrize(
    "text",
    [
        "xhigh: too much is riding on this, draft the layoff announcement",
        "gpt-5.4 xhigh, too much at stake here, draft the layoff announcement",
        "the strongest model available: too much is riding on this, draft the layoff announcement",
        "maximum effort: too much is on the line, assess the merger risks",
        "use xhigh. enough cheap passes, find the root cause of the ledger drift",
        "xhigh, plenty of budget for it: final review of the merger agreement",
        "xhigh, demasiado importante para fallar: revisa el contrato de adquisición",
        "xhigh, troppo importante: rivedi il contratto di acquisizione",
    ],
)
def test_words_that_open_a_statement_of_their_own_decline_nothing(text: str) -> None:
    decision = route(text, POLICY)
    assert not declined(decision), decision.reasons
    assert "not to use" not in why_set_aside(decision), decision.reasons


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a demand beside a model declined: the demand still stands
        ("opus is overkill for most things, but use xhigh on the merger model, cost is no object", "max"),
        ("we need the best model available for the merger valuation, cost is no object", "max"),
        ("xhigh please, the board wants the acquisition risk memo tonight", "premium"),
        # a model declined beside a real failure: the failure still stands
        ("sonnet failed twice on this migration plan; no need for xhigh, just one rung up", "premium"),
        ("opus is overkill, but gpt-5.4 medium got the totals wrong twice on the revenue bridge", "premium"),
        ("neither opus nor gpt-5.4 high could explain why fuel burn is 4% over plan", "max"),
        # in the same clause: the model declined is not the one that failed, unless it is the only one named
        ("sonnet got the totals wrong, xhigh only if needed: redo the reconciliation", "premium"),
        ("sonnet got the totals wrong, opus is overkill, redo the reconciliation", "premium"),
        ("haiku botched the tags, don't waste opus on it: redo the tags", "default"),
        ("skip sonnet, it failed twice on the migration plan", "premium"),
    ],
)
def test_a_demand_or_a_failure_beside_a_model_declined_still_counts(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert decision.lane.id == expected, decision.reasons


# 2. A failure only supposed ("only if sonnet can't do it", "if it struggles") is no earlier failure.
@pytest.mark.parametrize(
    "text",
    [
        "opus only if sonnet gets stuck: write the migration plan for the billing tables",
        "only go to xhigh if high can't do it: review the vendor contract for renewal risks",
        "fall back to opus only if haiku fails: classify these 300 support tickets",
        "if sonnet struggles, use opus: write the data retention policy",
        "use haiku for the tags, and if it gets them wrong we'll switch to sonnet",
        "in case gpt-5.4 medium can't finish it, escalate: draft the Q3 hiring plan",
        "si sonnet échoue, passe à opus : rédige la politique de conservation des données",
        "si sonnet se equivoca, usa opus: redacta la política de retención de datos",
        "falls sonnet danebenliegt, nimm opus: schreib die Richtlinie zur Datenaufbewahrung",
        "se sonnet sbaglia, usa opus: scrivi la policy di conservazione dei dati",
        "se o sonnet falhar, usa o opus: escreve a política de retenção de dados",
    ],
)
def test_a_failure_only_supposed_is_no_earlier_failure(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons
    assert decision.lane.id != "max", decision.reasons
    assert "only supposed" in why_set_aside(decision), decision.reasons


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("if sonnet fails again, use opus: the migration plan for the billing tables", "premium"),
        ("sonnet got stuck on the migration plan, so use opus only if gpt-5.4 medium can't do it", "premium"),
        ("see if you can fix what haiku got wrong in the ticket tags", "default"),
        ("sonnet failed on the contract review even if the clauses were simple", "premium"),
        # a model named in the condition is not what failed; the one before it is
        ("sonnet got it wrong twice, if opus also fails we'll call a person", "premium"),
    ],
)
def test_a_failure_reported_beside_a_condition_still_counts(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected, decision.reasons


# 3. A run that went well ("handled", "got it right", "nailed", "did a solid job"), then the same for other
# work: the same again at that rung, not a failure.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "gpt-5.4 medium handled the pallet label spec yesterday, pls do the same for the carton labels",
            "default",
        ),
        ("sonnet handled the Q2 variance commentary, do the same for Q3", "default"),
        ("haiku handled the august invoices, same for september", "cheap"),
        ("opus got it right on the EMEA pricing memo, do the same for APAC", "premium"),
        ("gpt-5.4 high got the Lisbon site review right, same for the Porto one", "premium"),
        ("gpt-5.4 medium nailed the pallet label spec, the same for the carton labels please", "default"),
        ("sonnet did a solid job on the pallet label spec, do the same for the carton labels", "default"),
        ("sonnet hat die Palettenspezifikation gut hinbekommen, mach das Gleiche für die Kartons", "default"),
        ("sonnet a géré la spec des étiquettes palettes, fais la même chose pour les cartons", "default"),
        ("o sonnet mandou bem na especificação das etiquetas, faz o mesmo para as caixas", "default"),
        ("haiku aced the march tagging, same for april", "cheap"),
        ("sonnet was right on the march numbers, do the same for the april numbers", "default"),
        ("haiku ha gestito bene i ticket di ieri, fai lo stesso con quelli di oggi", "cheap"),
    ],
)
def test_a_run_that_went_well_then_the_same_for_other_work_is_the_same_rung(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons
    assert decision.lane.id == expected, decision.reasons


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("haiku handled the august invoices badly, redo them and do september too", "default"),
        ("opus never got it right on the EMEA pricing memo, try again for APAC", "max"),
        ("opus never got the totals right on the cap table, fix it", "max"),
        ("haiku got nothing right on the ticket tags, redo them", "default"),
        ("haiku mishandled the refund tickets, redo them", "default"),
        ("sonnet handled the Q2 commentary but got the FX impact wrong, do Q3 properly", "premium"),
        ("gpt-5.4 medium almost got the pallet label spec right, do the carton labels properly", "premium"),
    ],
)
def test_a_run_that_went_badly_is_still_a_failure(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected, decision.reasons


# 4. Failures at the premium rung said without a failure word: one rung above, max.
@pytest.mark.parametrize(
    "text",
    [
        # came up empty
        "gpt-5.4 high drew a blank on the fuel burn variance, find what drives it",
        "opus and gpt-5.4 high both struck out on why fuel burn is 4% over plan",
        "opus y gpt-5.4 high no dieron con la causa del consumo de combustible",
        "opus et gpt-5.4 high n'ont rien trouvé sur la surconsommation de carburant",
        "opus e gpt-5.4 high non sono venuti a capo del consumo di carburante",
        "opus e gpt-5.4 high não chegaram a lugar nenhum com o consumo de combustível",
        "opus und gpt-5.4 high sind beim Mehrverbrauch nicht weitergekommen",
        "opus and gpt-5.4 high both threw up their hands on the fuel burn gap",
        "none of our models could explain the fuel burn gap, not even opus",
        # a run with a model that missed something
        "we ran the closure scenario with opus and with gpt-5.4 high, both ignored the halo effect our study"
        " measured",
        "we tested the pricing scenario with gpt-5.4 high and it left out the competitor response",
        "we ran the fuel model with gpt-5.4 high and it left the de-icing burn out",
        # a result shown wrong against what the model said
        "opus gave us a roster that leaves BCN uncovered on the 24th even though it said all bases were"
        " fine. redo it properly",
        "gpt-5.4 high's rota leaves two gates unstaffed on sunday though it said every shift was covered",
        # runs that disagree, the model named in the next clause
        "three runs gave three different answers; the last one was opus",
        "we got three different totals from three runs, the last one on gpt-5.4 high",
        "four tries, four different root causes. the last two were with opus",
        "trois essais, trois réponses différentes ; le dernier était avec opus",
        "tres ejecuciones dieron tres respuestas distintas; la última fue con opus",
        "drei Läufe, drei verschiedene Antworten; der letzte war mit opus",
        "três execuções deram três respostas diferentes; a última foi com o opus",
        "two runs, two answers: 4% and 9%. both on gpt-5.4 high",
        "we ran it three times and got three different numbers; the last run was with opus",
    ],
)
def test_a_failure_at_the_premium_rung_without_a_failure_word_reaches_max(text: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == "max", decision.reasons


@pytest.mark.parametrize(
    "text",
    [
        "three runs gave the same answer; the last one was opus, write it up for the board",
        "the draft is done; the last pass was opus, turn it into slides",
        "three vendors gave three different quotes; ask opus to compare them",
        "ask opus to explain why the three regions gave three different answers to the survey",
        "run the closure scenario with opus, and make sure it covers the halo effect our study measured",
        "opus drew the org chart for the new region, turn it into a slide",
        "haiku struck out the duplicate lines in the doc, now sort the rest",
        "opus never found any issue with the contract, write the summary for legal",
        "sonnet, rewrite this poorly worded email to the vendor",
        "we badly need a summary of this thread, use haiku",
        "check if sonnet's summary missed anything from the thread",
        "write the summary with haiku and leave the legal bits out",
        "two runs, one answer: 4%. both on gpt-5.4 high, write it up",
        "write a roster with opus that leaves nobody on call twice in a row",
        # left out on purpose
        "opus left the appendix out on purpose, write the board memo",
        "opus deliberately left the appendix out, write the board memo",
        # "even though they said" of someone else, with a model asked to do the work
        "the vendor shipped it even though they said it was not ready, ask haiku to draft a complaint email",
        "the status page went green although it said red an hour ago, ask haiku to explain it to support",
    ],
)
def test_twins_of_those_wordings_are_no_failure(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons
    assert decision.lane.id != "max", decision.reasons


def test_the_card_quotes_both_clauses_when_the_model_is_named_after_the_failure() -> None:
    decision = route("three runs gave three different answers; the last one was opus", POLICY)
    reason = next(r for r in decision.reasons if r.startswith("earlier failure"))
    assert "three different answers" in reason and "the last one was opus" in reason


def test_a_bare_no_before_a_model_turns_it_down_only_when_the_name_is_all_it_says() -> None:
    declined_one = route("no opus, no xhigh: draft the outline of the merger memo", POLICY)
    assert "not to use" in why_set_aside(declined_one), declined_one.reasons
    not_yet = route("no opus run yet, nobody tried: draft the merger memo", POLICY)
    assert "not to use" not in why_set_aside(not_yet), not_yet.reasons
    assert not failed(not_yet), not_yet.reasons
