"""The genai-prices catalog: it agrees with the guide's published prices, and it is never fetched."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import genai_prices
import pytest

from commands.policy import DEFAULT_POLICY_PATH, Policy, load_policy
from commands.pricing import POLICY_SOURCE, catalog_source, price_of_run, rates_of
from commands.providers import TokenCounts

ROOT = Path(__file__).parents[2]
PUBLISHED = ROOT / "tests" / "data" / "published_prices.toml"
CATALOG = load_policy()  # the default policy overrides nothing: every default model priced by the catalog


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    path = tmp_path_factory.mktemp("published") / "policy.toml"
    path.write_text(DEFAULT_POLICY_PATH.read_text() + PUBLISHED.read_text())
    return load_policy(path)


def _default_models() -> set[tuple[str, str]]:
    return {(c.provider, c.model) for lane in CATALOG.lanes.values() for c in lane.models.values()}


def test_the_published_prices_cover_the_five_default_models(published: Policy) -> None:
    assert {model for _, model in _default_models()} == set(published.prices) and len(published.prices) == 5


def test_catalog_and_published_prices_agree_for_the_default_models(published: Policy) -> None:
    """Rates, tiers and the cost of runs with cache reads and writes, reasoning and long context."""
    for provider, model in sorted(_default_models()):
        price = published.prices[model]
        at = datetime.fromisoformat(price.as_of).replace(tzinfo=UTC).timestamp()
        ours, theirs = rates_of(published, provider, model, at), rates_of(CATALOG, provider, model, at)
        assert ours is not None and theirs is not None
        assert (ours.source, theirs.source) == (POLICY_SOURCE, catalog_source())
        assert (ours.base, ours.tiers) == (theirs.base, theirs.tiers), model
        for tokens in (
            TokenCounts(2_000, 500),
            TokenCounts(30_000, 8_000, 12_000, 0, 6_000),  # reasoning inside output
            TokenCounts(10_000, 1_000, 0, 4_000 if provider == "anthropic" else 0),
            TokenCounts(272_001, 20_000, 50_000),  # GPT-5.4's long-context tier
        ):
            a, b = (
                price_of_run(published, provider, model, tokens, at),
                price_of_run(CATALOG, provider, model, tokens, at),
            )
            assert a is not None and b is not None and a.nanousd == b.nanousd, (model, tokens)


def test_the_catalog_is_pinned_and_its_version_recorded() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "genai-prices>=0.2.3,<0.3" in dependencies
    assert catalog_source() == f"genai-prices {genai_prices.__version__}"
    assert genai_prices.__version__.startswith("0.2.")


_OFFLINE = """
import socket

def refuse(*args, **kwargs):
    raise SystemExit("network call attempted: %r" % (args,))

socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = socket.getaddrinfo = refuse
try:  # the guard itself works
    socket.create_connection(("127.0.0.1", 9))
except SystemExit:
    pass
else:
    raise SystemExit("the guard let a connection through")

from datetime import UTC, datetime
from commands.policy import load_policy
from commands.pricing import price_of_run
from commands.providers import TokenCounts
from genai_prices import data_snapshot

policy, at = load_policy(), datetime(2026, 11, 25, tzinfo=UTC).timestamp()
for lane in policy.lanes.values():
    for choice in lane.models.values():
        price = price_of_run(policy, choice.provider, choice.model, TokenCounts(1000, 1000, 100), at)
        assert price is not None and price.source.startswith("genai-prices"), choice
assert price_of_run(policy, "openai", "gpt-unknown-9", TokenCounts(1, 1), at) is None
assert not data_snapshot.get_snapshot().from_auto_update
print("priced offline")
"""


def test_pricing_never_touches_the_network() -> None:
    """In a fresh interpreter whose sockets refuse to connect, import and price every default model."""
    done = subprocess.run(
        [sys.executable, "-c", _OFFLINE], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "priced offline"
