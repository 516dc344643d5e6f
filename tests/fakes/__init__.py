"""Local fakes of Slack and the model APIs, served on 127.0.0.1 ephemeral ports for tests.

Why: the bot's real clients (slack_sdk, slack_bolt, anthropic, openai) run unchanged against them,
so tests cover wire formats, retries and error handling, not mocks.
"""

from __future__ import annotations

from .http import FakeHTTPServer, closed_port_url
from .models import FakeAnthropic, FakeOpenAI, ModelRequest
from .slack import Call, FakeSlack

__all__ = [
    "Call",
    "FakeAnthropic",
    "FakeHTTPServer",
    "FakeOpenAI",
    "FakeSlack",
    "ModelRequest",
    "closed_port_url",
]
