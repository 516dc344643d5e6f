from __future__ import annotations

import random

from bot.mrkdwn import escape, quote, shorten, split_escaped, unescape


def test_escape_neutralises_mentions_and_entities() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_split_loses_nothing_and_respects_the_limit() -> None:
    rng = random.Random(7)
    for _ in range(20):
        text = "".join(rng.choice("ab <>&\n") for _ in range(rng.randint(0, 20_000)))
        chunks = split_escaped(text, 500)
        assert unescape("".join(chunks)) == text
        assert all(len(c) <= 500 for c in chunks)


def test_quote_and_shorten() -> None:
    assert shorten("word " * 100, 50).endswith("…")
    assert len(shorten("word " * 100, 50)) <= 50
    assert quote("line one\n<!here>").startswith("&gt; line one\n&gt; &lt;!here&gt;")
