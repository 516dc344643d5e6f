"""Fixtures for the HTTP server tests: the real waitress server around the harness's Bolt app."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bot.server import http_server, stop_http
from tests.conftest import Harness


@pytest.fixture
def served(harness: Harness) -> Iterator[tuple[Harness, str]]:
    """The harness's app on waitress at 127.0.0.1 (an ephemeral port), stopped the way serve stops it."""
    server = http_server(harness.built, "127.0.0.1", 0)
    loop = threading.Thread(target=server.run, daemon=True)
    loop.start()
    yield harness, f"http://127.0.0.1:{server.effective_port}"
    stop_http(server, loop)
    assert not loop.is_alive()
