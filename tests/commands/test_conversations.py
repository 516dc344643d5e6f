"""Conversation turns, trimming to the window, thread context limits and Slack markup as plain text."""

from __future__ import annotations

import pytest

from commands.context_windows import FALLBACK_WINDOW, context_window, estimated_tokens
from commands.providers import Turn
from commands.thread_context import ThreadMessage, plain_text, thread_context, user_ids
from commands.turns import ConversationTooLong, Exchange, Material, conversation, first_ask


def test_turns_alternate_and_a_failed_turn_joins_the_next_question() -> None:
    talk = conversation(
        [Exchange("q1", "a1"), Exchange("q2", None), Exchange("q3", None)],
        window_tokens=10_000,
        reserved_tokens=100,
        model="m",
    )
    assert talk.turns == (Turn("user", "q1"), Turn("assistant", "a1"), Turn("user", "q2\n\nq3"))
    assert talk.trimmed == 0 and talk.note is None


def test_a_conversation_over_the_window_loses_its_oldest_exchanges_first() -> None:
    exchanges = [Exchange("x" * 300, "y" * 300) for _ in range(4)] + [Exchange("now", None)]
    # 100 + 100 tokens per exchange at three characters a token; room for two exchanges and the question.
    talk = conversation(exchanges, window_tokens=1_000, reserved_tokens=500, model="m")
    assert talk.trimmed == 2 and len(talk.turns) == 5 and talk.turns[-1] == Turn("user", "now")
    assert "2 oldest exchanges" in (talk.note or "")


def test_a_newest_turn_too_long_alone_is_refused_with_the_numbers() -> None:
    with pytest.raises(ConversationTooLong) as refused:
        conversation(
            [Exchange("a", "b"), Exchange("z" * 3_000, None)],
            window_tokens=1_000,
            reserved_tokens=500,
            model="m",
        )
    assert (
        "about 1,000 tokens" in refused.value.message and "1,000 tokens, 500 of them" in refused.value.message
    )


def test_the_material_is_delimited_from_the_instruction() -> None:
    ask = first_ask("summarize", Material("thread", "Ana: hi\n\nBo: ho", 2))
    assert ask == (
        "Instruction:\nsummarize\n\nThe material the instruction is about, between the markers:\n"
        "----- BEGIN SLACK THREAD (2 messages, oldest first) -----\nAna: hi\n\nBo: ho\n"
        "----- END SLACK THREAD (2 messages, oldest first) -----"
    )
    assert first_ask("summarize", None) == "summarize"


def test_context_windows_and_the_estimate() -> None:
    assert context_window("claude-haiku-4-5") == 200_000
    assert context_window("a-model-nobody-knows") == FALLBACK_WINDOW
    assert estimated_tokens("abcd") == 2


@pytest.mark.parametrize(
    ("markup", "plain"),
    [
        ("hi <@U1>", "hi @Ana"),
        ("hi <@U9|old>", "hi @old"),
        ("<!channel> <!here> <!everyone>", "@channel @here @everyone"),
        ("<!subteam^S1|@oncall> look", "@oncall look"),
        ("see <#C1|general>", "see #general"),
        ("<https://x.io|the doc> and <https://y.io>", "the doc (https://x.io) and https://y.io"),
        ("a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"),
    ],
)
def test_slack_markup_reads_as_a_person_reads_it(markup: str, plain: str) -> None:
    assert plain_text(markup, {"U1": "Ana"}) == plain


def test_thread_context_keeps_the_first_message_and_the_newest_within_the_limits() -> None:
    messages = [ThreadMessage(str(n), "U1", f"message {n}") for n in range(10)]
    context = thread_context(messages, {"U1": "Ana"}, max_messages=4, skip_ts=("9",))
    assert context.lines == (
        "Ana: message 0",
        "[5 earlier messages left out]",
        "Ana: message 6",
        "Ana: message 7",
        "Ana: message 8",
    )
    assert context.messages == 4 and context.left_out == 5
    by_chars = thread_context(messages, {"U1": "Ana"}, max_chars=60)
    assert by_chars.lines[0] == "Ana: message 0" and by_chars.lines[-1] == "Ana: message 9"
    assert by_chars.chars <= 60 + len("[7 earlier messages left out]") + 2


def test_user_ids_are_authors_and_mentions_but_not_apps() -> None:
    messages = [ThreadMessage("1", "U1", "ask <@U2>"), ThreadMessage("2", "UAPP", "beep", bot_name="ci")]
    assert user_ids(messages) == {"U1", "U2"}
