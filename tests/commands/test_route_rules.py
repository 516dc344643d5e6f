"""The guide's rules read from the task: what is a failure of this task by a named model, and what only looks
like one (a person's words, the input's faults, quoted material, a lane asked for, a reported all-clear).

Each test pairs tasks that must not read as a failure with near twins that must, so that a fix is a rule
and not a special case. Texts are written for these tests.
"""

from __future__ import annotations

import pytest

from commands.policy import load_policy
from commands.router import route
from tests.commands.decisions import failed, why_set_aside

POLICY = load_policy()


# 1. "says otherwise" is a failure when a model (or its answer) says it, or when it answers a model's claim.
@pytest.mark.parametrize(
    "text",
    [
        "haiku: draft the reply to the vendor where Bob says otherwise about the renewal date",
        "sonnet, reply to legal: the contract says otherwise about the renewal date",
        "use haiku to answer the customer, their invoice shows otherwise than our records",
        "haiku pls: polite reply to Maria, she says otherwise about the delivery date",
    ],
)
def test_someone_else_saying_otherwise_is_no_failure_of_a_model(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision) and not decision.ruled, decision.reasons
    assert "names a model without a failure" in why_set_aside(decision)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the docs say the limit is 100 but sonnet says otherwise, check which is right", "premium"),
        ("haiku's summary says otherwise about the renewal date, fix the summary", "default"),
        ("opus said the clause is enforceable, but the ruling shows otherwise", "max"),
        ("sonnet concluded the churn is seasonal; the cohort data shows otherwise", "premium"),
    ],
)
def test_a_model_saying_otherwise_or_contradicted_is_a_failure(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected


# 2. Tries counted or past tense after a model: a failure when the model ran, not when a person tried.
@pytest.mark.parametrize(
    "text",
    [
        "haiku: the customer tried twice to cancel, tag this ticket",
        "haiku: Bob tried twice to reset his password, tag the ticket",
        "tag this ticket with haiku, the user tried three times to log in",
        "haiku the caller tried to dispute the charge, label the call",
        "haiku, our intern tried twice to book the room, write a short apology",
    ],
)
def test_a_persons_attempt_is_no_run_of_a_model(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision) and not decision.ruled, decision.reasons
    assert "names a model without a failure" in why_set_aside(decision)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tried haiku twice on these tickets, tag them again", "default"),
        ("the team tried haiku twice on the ticket tags, redo them", "default"),
        ("haiku tagged these tickets yesterday, tag them again", "default"),
        ("we tried sonnet three times on this migration plan", "premium"),
    ],
)
def test_a_models_own_tries_are_still_a_failure(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected


# 3. A model addressed or asked for: failure words that describe the input are not its failure.
@pytest.mark.parametrize(
    "text",
    [
        "haiku: the format of these rows is inconsistent, normalize them",
        "haiku, the dates in this export are broken, fix the format",
        "use haiku: the tags on these tickets are wrong, retag them",
        "sonnet: the onboarding doc is incomplete, fill in the missing steps",
        "hey haiku, the csv headers are garbled, clean them up",
        "ask haiku to normalize these rows, the casing is inconsistent",
        "haiku pls: the last run of this job failed on row 40, summarize the log",
        "ask sonnet to fix the export, it keeps failing",
        # the model named as the tool for the work, the failure words someone else's
        "summarize this thread for the team using sonnet, legal pushed back on the renewal terms",
        "the vendor disagrees with our invoice, draft a reply with haiku",
        "draft a polite reply with haiku, the customer says our invoice is wrong",
    ],
)
def test_failure_words_about_the_input_are_no_failure_of_the_model_asked(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons
    assert "the model is asked to do the work" in why_set_aside(decision)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("haiku: wrong again, redo the tags", "default"),
        ("sonnet, you got the tax rounding wrong, fix the invoice script", "premium"),
        ("haiku: your tags on these rows are inconsistent, redo them", "default"),
        ("sonnet: failed twice on this migration plan", "premium"),
        ("haiku, sonnet and gpt-5.4 medium all failed on this proof", "premium"),
        ("haiku: the tags you gave are wrong", "default"),
        ("sonnet: the tests are failing after your change", "premium"),
        ("hey opus, your last answer on the indemnity cap was wrong", "max"),
        ("sonnet: got the tax rounding wrong, fix the invoice script", "premium"),
        ("we got garbage with haiku on these tags, redo them", "default"),
        ("tried with sonnet, it got the rounding wrong", "premium"),
        ("the summaries were wrong with haiku, try again", "default"),
    ],
)
def test_a_model_addressed_about_its_own_earlier_answer_failed(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected


# 4. Quoted text to translate or rewrite is material: its failure words and model names are not reports.
@pytest.mark.parametrize(
    "text",
    [
        'haiku, translate to german: "the previous tool failed to export"',
        'translate to german: "haiku failed to export the file"',
        "sonnet: rewrite this line \u201cthe import failed again, sorry\u201d to sound friendlier",
        "haiku: translate 'the sync is broken, we are on it' into spanish",
        'use haiku to fix the grammar in "our last release was buggy and incomplete"',
    ],
)
def test_failure_words_inside_quoted_material_are_no_failure(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons
    assert decision.lane.id in ("cheap", "default")
    assert "quoted" in why_set_aside(decision)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('haiku got the translation of "the previous tool failed to export" wrong, redo it', "default"),
        ('sonnet\'s rewrite of "the import failed again" is still wrong', "premium"),
        ("haiku mangled the 'sync is broken' banner text, redo it", "default"),
        # a model's own answer, quoted
        ('haiku keeps answering "I can\'t help with that" on the refund tickets', "default"),
        ("sonnet replied 'I cannot open the attachment', summarize the contract", "premium"),
    ],
)
def test_a_failure_said_outside_the_quotes_still_counts(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected


# 5. A lane (or model) named as where the task should go is not a run that failed.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("premium pass needed: sonnet's draft of the memo got the math wrong", "premium"),
        ("use the premium lane, sonnet got the revenue bridge wrong", "premium"),
        ("premium tier please - haiku mangled the board summary", "default"),
        ("use opus: sonnet's forecast got the seasonality wrong", "premium"),
        ("send it to the premium tier, haiku botched the summary", "default"),
        ("opus: sonnet failed twice on this migration plan", "premium"),
    ],
)
def test_a_lane_asked_for_is_not_the_rung_that_failed(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the premium lane got the revenue bridge wrong twice", "max"),
        ("the cheap model mangled the board summary, redo it", "default"),
        ("opus got the seasonality wrong in the forecast", "max"),
    ],
)
def test_a_lane_named_as_what_failed_is_still_that_rungs_failure(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected


# 6. A model's all-clear, reported, then a new request: no failure, and not premium work by itself.
@pytest.mark.parametrize(
    "text",
    [
        "I asked sonnet and it said the plan is good, now turn it into a one-pager",
        "sonnet said the outline works, now write the blog post from it",
        "asked haiku, it said the tags are correct; now export them as a csv",
        "opus says the numbers tie out, so turn the reconciliation into a short summary for the team",
        "codex said the tests pass, now write the changelog",
    ],
)
def test_a_reported_all_clear_then_a_new_request_is_no_failure(text: str) -> None:
    decision = route(text, POLICY)
    assert not failed(decision), decision.reasons
    assert decision.lane.id in ("cheap", "default")
    assert "reported as fine" in why_set_aside(decision)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sonnet said the plan is good, it isn't, the budget is off by 40k", "premium"),
        ("sonnet keeps saying the outline works but the reviewers rejected it", "premium"),
        ("haiku said the tags are correct?? half of them are wrong", "default"),
    ],
)
def test_a_reported_all_clear_that_is_disputed_is_still_a_failure(text: str, expected: str) -> None:
    decision = route(text, POLICY)
    assert failed(decision), decision.reasons
    assert decision.lane.id == expected
