"""A routing decision as plain data, for `routebot route --json`, `eval --json` and logs."""

from __future__ import annotations

from typing import Any

from commands.router import Decision


def decision_as_dict(decision: Decision) -> dict[str, Any]:
    return {
        "lane": decision.lane.id,
        "provider": decision.provider,
        "model": decision.model.model,
        "effort": decision.model.effort,
        "confidence": decision.confidence,
        "confidence_label": decision.confidence_label,
        "explicit": decision.explicit,
        # The router reads English best; false when the task looks written in another language.
        "reads_as_english": decision.english,
        "reasons": list(decision.reasons),
        "cues": [{"label": c.label, "quote": c.quote, "points_to": c.target} for c in decision.cues],
        "alternatives": [
            {"lane": alt.lane, "why": alt.why, "models": {p: c.label for p, c in alt.models.items()}}
            for alt in decision.alternatives
        ],
        "models": {
            provider: {"model": choice.model, "effort": choice.effort}
            for provider, choice in decision.models.items()
        },
        "escalate_when": decision.lane.escalate_when,
        "avoid_when": decision.lane.avoid_when,
        "cost_class": decision.lane.cost_class,
    }
