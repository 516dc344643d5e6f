"""What the rule tests read of a decision: which of its reasons the failure rule wrote."""

from __future__ import annotations

from commands.router import Decision


def failed(decision: Decision) -> bool:
    """An earlier failure of this task was recognised."""
    return any(reason.startswith("earlier failure") for reason in decision.reasons)


def why_set_aside(decision: Decision) -> str:
    """The reasons a mention of a model was read as no failure of this task, joined; empty when none was."""
    return " | ".join(r for r in decision.reasons if r.startswith("not a failure of this task"))
