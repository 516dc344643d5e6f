"""A conversation in a thread as the model's turns: the instruction with its material, the answers, the
follow-ups; trimmed from the oldest exchange to fit the model's context window.

Each exchange is one run's question and answer. The first one carries the material (the routed message or
the thread), clearly delimited from the instruction so the model can tell the task from what it is about.
An exchange whose run failed has no answer; its question is kept and joined to the next one, so the model
still sees what was asked and the turns keep alternating user / assistant as both APIs require.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from commands.context_windows import estimated_tokens
from commands.errors import UsageError
from commands.providers import Turn


@dataclass(frozen=True)
class Material:
    """What the instruction is about: one Slack message, or a thread's messages as `Name: text` lines."""

    kind: str  # "message" or "thread"
    text: str
    messages: int


@dataclass(frozen=True)
class Exchange:
    ask: str
    answer: str | None  # None: the turn being run now, or one whose run failed


@dataclass(frozen=True)
class Conversation:
    turns: tuple[Turn, ...]
    trimmed: int  # exchanges left out from the start to fit the window

    @property
    def note(self) -> str | None:
        if not self.trimmed:
            return None
        what = "exchange" if self.trimmed == 1 else "exchanges"
        return (
            f"The {self.trimmed} oldest {what} of this conversation were left out to fit the model's "
            "context window."
        )


class ConversationTooLong(UsageError):
    """The newest turn alone does not fit the model's context window."""


def first_ask(instruction: str, material: Material | None) -> str:
    """The instruction, then the material between markers that say what it is."""
    if material is None or not material.text:
        return instruction
    if material.kind == "thread":
        label = f"SLACK THREAD ({material.messages} messages, oldest first)"
    else:
        label = "SLACK MESSAGE"
    return (
        f"Instruction:\n{instruction}\n\n"
        f"The material the instruction is about, between the markers:\n"
        f"----- BEGIN {label} -----\n{material.text}\n----- END {label} -----"
    )


def conversation(
    exchanges: Sequence[Exchange], *, window_tokens: int, reserved_tokens: int, model: str
) -> Conversation:
    """Turns for the newest exchange (whose answer is None), dropping the oldest exchanges to fit."""
    if not exchanges:
        raise ValueError("a conversation needs at least the turn being run")
    budget = window_tokens - reserved_tokens
    start = 0
    while True:
        turns = _turns(exchanges[start:])
        needed = sum(estimated_tokens(t.text) for t in turns)
        if needed <= budget:
            return Conversation(tuple(turns), start)
        if start == len(exchanges) - 1:
            raise ConversationTooLong(
                f"This message is about {needed:,} tokens: more than {model} can read at once "
                f"({window_tokens:,} tokens, {reserved_tokens:,} of them kept for the answer). "
                "Shorten it or split it, then send it again."
            )
        start += 1


def _turns(exchanges: Sequence[Exchange]) -> list[Turn]:
    turns: list[Turn] = []
    pending: list[str] = []
    for exchange in exchanges:
        pending.append(exchange.ask)
        if exchange.answer is not None:
            turns += [Turn("user", "\n\n".join(pending)), Turn("assistant", exchange.answer)]
            pending = []
    if pending:
        turns.append(Turn("user", "\n\n".join(pending)))
    return turns
