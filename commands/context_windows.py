"""How many tokens each model can read at once, and a rough count of what a conversation needs.

Windows are the providers' published figures for the policy's default models (Anthropic: 200K for Claude
4.5/4.6 without the 1M beta header; OpenAI: GPT-5.4 1.05M, GPT-5.3 Codex 400K). A model not listed gets
FALLBACK_WINDOW, small enough to be safe for any current model. These are the defaults: the policy's
[context_windows] table sets any model's window (Policy.context_window reads both).

Tokens are estimated, not counted: a tokenizer per provider would be another dependency and a network call
(Anthropic's count_tokens). Three characters per token over-counts English (about four) and matches dense
code, so a conversation trimmed to the estimate fits the real window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

WINDOWS: Mapping[str, int] = {
    "claude-haiku-4-5": 200_000,
    "claude-sonnet-4-6": 200_000,
    "claude-opus-4-6": 200_000,
    "gpt-5.4": 1_050_000,
    "gpt-5.3-codex": 400_000,
}
FALLBACK_WINDOW = 128_000
CHARS_PER_TOKEN = 3


def context_window(model: str) -> int:
    return WINDOWS.get(model, FALLBACK_WINDOW)


def estimated_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)
