"""Calibration: what past outcomes say, and the bounds on what learning may change."""

from __future__ import annotations

import pytest

from commands.calibration import (
    DAY,
    SETTLED_AFTER,
    Signal,
    calibrate,
    learned_kinds,
    signal,
    similarity_features,
)
from commands.policy import DEFAULT_POLICY_PATH, Policy, load_policy
from storage.learning import Observed

NOW = 1_764_000_000.0
CONTRACT = "Summarize this supplier contract for the finance team, with the renewal terms"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(DEFAULT_POLICY_PATH)


def _observed(**overrides: object) -> Observed:
    values: dict[str, object] = dict(
        request_id=1,
        channel_id="C1",
        features=_features(CONTRACT),
        base_lane="cheap",
        created_at=NOW - 3600,
        escalated_from=None,
        reasons=(),
        top_succeeded=0,
        last_run_at=NOW - 3600,
        helpful=None,
        task=CONTRACT,
    )
    values.update(overrides)
    return Observed(**values)  # type: ignore[arg-type]


_ids = iter(range(1, 1_000_000))
_features = similarity_features(load_policy(DEFAULT_POLICY_PATH))


def _escalated(
    channel: str = "C1",
    text: str = CONTRACT,
    *,
    rung: int = 0,
    age_days: float = 1.0,
    reason: str = "missed_context",
    base: str = "cheap",
) -> Signal:
    return Signal(
        next(_ids),
        channel,
        _features(text),
        base,
        NOW - age_days * DAY,
        rung,
        rung + 1,
        1.0,
        (reason,),
        text,
    )


def _fine(
    channel: str = "C1", text: str = CONTRACT, *, rung: int = 0, age_days: float = 1.0, base: str = "cheap"
) -> Signal:
    return Signal(next(_ids), channel, _features(text), base, NOW - age_days * DAY, None, rung, 1.0, (), text)


def _calibrate(
    policy: Policy, signals: list[Signal], *, lane: str = "cheap", channel: str = "C1", text=CONTRACT
):  # type: ignore[no-untyped-def]
    return calibrate(
        _features(text),
        lane,
        channel_id=channel,
        signals=signals,
        policy=policy,
        provider="anthropic",
        now=NOW,
    )


def test_an_escalation_says_the_rung_it_left_was_not_enough() -> None:
    found = signal(_observed(escalated_from=0, top_succeeded=1, reasons=("too_shallow",)), NOW)
    assert found is not None and found.failed == 0 and found.failure_weight == 1.0
    assert found.reasons == ("too_shallow",)
    assert found.fine is None  # the higher rung answered less than a day ago: not settled yet


def test_an_answer_with_no_escalation_for_a_day_was_enough() -> None:
    assert signal(_observed(last_run_at=NOW - SETTLED_AFTER + 60), NOW) is None
    settled = signal(_observed(last_run_at=NOW - SETTLED_AFTER), NOW)
    assert settled is not None and settled.fine == 0 and settled.failed is None


def test_votes_helpful_settles_at_once_and_not_helpful_is_a_weak_failure() -> None:
    helpful = signal(_observed(helpful=True), NOW)
    assert helpful is not None and helpful.fine == 0
    unhelpful = signal(_observed(helpful=False, last_run_at=NOW - 2 * DAY), NOW)
    assert unhelpful is not None and unhelpful.failed == 0 and unhelpful.failure_weight == 0.5
    assert unhelpful.fine is None


def test_three_similar_escalations_start_the_next_one_a_rung_up_with_the_evidence(policy: Policy) -> None:
    signals = [_escalated(), _escalated(reason="too_shallow"), _escalated(), _fine(rung=1, base="cheap")]
    adjustment = _calibrate(policy, signals)
    assert adjustment is not None and adjustment.moved
    assert (adjustment.base_lane, adjustment.lane) == ("cheap", "default")
    assert adjustment.explanation == (
        "Started at claude-sonnet-4-6 instead of claude-haiku-4-5: 3 of the last 4 similar requests here "
        "were escalated from claude-haiku-4-5, mostly 'missed context'"
    )


def test_two_escalations_are_not_enough_evidence(policy: Policy) -> None:
    assert _calibrate(policy, [_escalated(), _escalated()]) is None


def test_escalations_outweighed_by_answers_that_were_fine_change_nothing(policy: Policy) -> None:
    signals = [_escalated() for _ in range(3)] + [_fine() for _ in range(3)]
    assert _calibrate(policy, signals) is None


def test_requests_that_are_not_similar_are_no_evidence(policy: Policy) -> None:
    other = "Tag each of these 300 support tickets as billing, bug or other"
    assert _calibrate(policy, [_escalated(text=other) for _ in range(5)]) is None


def test_old_evidence_fades(policy: Policy) -> None:
    recent = [_escalated() for _ in range(3)] + [_fine()]
    assert _calibrate(policy, recent) is not None
    faded = [_escalated(age_days=42) for _ in range(3)] + [_fine()]
    assert _calibrate(policy, faded) is None
    assert _calibrate(policy, [_escalated(age_days=60) for _ in range(5)]) is None  # out of the window


def test_never_max_and_never_more_than_one_rung(policy: Policy) -> None:
    # premium work escalated again and again: the next rung would be max, which learning never picks
    premium = [_escalated(rung=2, base="premium") for _ in range(6)]
    assert _calibrate(policy, premium, lane="premium") is None
    assert _calibrate(policy, premium, lane="max") is None
    # requests that needed two rungs more than cheap still move the next one a single rung
    twice = [_escalated(rung=1, base="cheap") for _ in range(5)] + [_escalated(rung=0) for _ in range(5)]
    adjustment = _calibrate(policy, twice)
    assert adjustment is not None and adjustment.lane == "default"


def test_code_work_climbs_to_premium_as_its_escalation_does(policy: Policy) -> None:
    code = "Refactor the billing module into smaller functions and add tests"
    signals = [_escalated(text=code, rung=1, base="code") for _ in range(3)]
    adjustment = _calibrate(policy, signals, lane="code", text=code)
    assert adjustment is not None and adjustment.lane == "premium"


def test_one_other_channel_does_not_change_this_one(policy: Policy) -> None:
    signals = [_escalated(channel="C2") for _ in range(10)]
    assert _calibrate(policy, signals) is None
    assert _calibrate(policy, signals, channel="C2") is not None


def test_strong_workspace_evidence_does(policy: Policy) -> None:
    signals = [_escalated(channel=c) for c in ("C2", "C3", "C4") for _ in range(3)]
    adjustment = _calibrate(policy, signals)
    assert adjustment is not None and adjustment.lane == "default"
    assert "9 similar requests in 3 other channels were escalated from claude-haiku-4-5" in (
        adjustment.explanation
    )


def test_a_cheaper_lane_is_offered_then_started_only_on_strong_evidence(policy: Policy) -> None:
    analysis = "Write a market analysis of mid-market CRM competitors"
    four = [_fine(text=analysis, rung=0, base="default") for _ in range(4)]
    assert _calibrate(policy, four, lane="default", text=analysis) is None
    five = [*four, _fine(text=analysis, rung=0, base="default")]
    offered = _calibrate(policy, five, lane="default", text=analysis)
    assert offered is not None and not offered.moved and offered.offer == "cheap"
    assert offered.explanation == "5 similar requests here were fine on claude-haiku-4-5"
    eight = [_fine(text=analysis, rung=0, base="default") for _ in range(8)]
    started = _calibrate(policy, eight, lane="default", text=analysis)
    assert started is not None and started.moved and started.lane == "cheap"
    assert started.explanation.startswith("Started at claude-haiku-4-5 instead of claude-sonnet-4-6: 8 of")
    failing = [*eight, _escalated(text=analysis, rung=0, base="default")]
    held = _calibrate(policy, failing, lane="default", text=analysis)
    assert held is None or not held.moved


def test_learned_kinds_group_the_channels_evidence(policy: Policy) -> None:
    ticket = "Tag each of these 300 support tickets as billing, bug or other"
    signals = [_escalated() for _ in range(4)] + [_fine(text=ticket) for _ in range(3)]
    signals.append(_escalated(channel="C2"))
    kinds = learned_kinds("C1", signals, policy, "anthropic", NOW)
    assert len(kinds) == 1
    (kind,) = kinds
    assert (kind.base_lane, kind.lane, kind.escalated, kind.requests) == ("cheap", "default", 4, 4)
    assert kind.example == CONTRACT
    assert learned_kinds("C3", signals, policy, "anthropic", NOW) == []


def test_similarity_features_hold_no_task_text_and_read_model_names_as_their_rung() -> None:
    features = _features(CONTRACT)
    assert features and not any("contract" in f for f in features)
    assert _features(CONTRACT.upper()) == features
    assert _features("Haiku missed the point: " + CONTRACT) == _features(
        "Sonnet missed the point: " + CONTRACT
    )
