"""Where `/route` does its work after the ack: route, record the request, post the card.

Slack needs only the ack within 3 s; the card can follow. Run on Bolt's listener pool (32 threads), a burst
of 25 `/route`s had 25 threads routing and rendering at once, and the threads that write the HTTP
responses waited for the GIL behind them: p99 to the response 3x a minimal Bolt app's (bench.http). Here
the work goes to a few single-thread shards instead, so at most that many compete with the responses.

A channel always maps to the same shard, and each shard runs its work in order, so one channel's cards
are posted in the order its commands arrived (Slack paces a channel's posts to about one a second anyway).
Exactly-once holds as before: the request row's UNIQUE trigger_id decides a redelivery, whichever thread
gets there first. `close()` finishes everything queued, so a card accepted before a stop is still posted.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


class CardQueue:
    def __init__(self, shards: int) -> None:
        if shards < 1:
            raise ValueError("a card queue needs at least one shard")
        self._shards = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"routebot-card-{i}") for i in range(shards)
        ]

    def submit(self, channel_id: str, work: Callable[[], None]) -> Future[None]:
        """Run `work` after everything already queued for this channel; a failure is logged, not lost."""
        # crc32, not hash(): the same channel lands on the same shard in every process and test run.
        shard = self._shards[zlib.crc32(channel_id.encode()) % len(self._shards)]
        return shard.submit(_logged, work, channel_id)

    def drain(self) -> None:
        """Wait until everything queued so far has run (tests, and callers that need the card posted)."""
        for future in [shard.submit(lambda: None) for shard in self._shards]:
            future.result()

    def close(self) -> None:
        """Finish what is queued, then stop the threads."""
        for shard in self._shards:
            shard.shutdown(wait=True)


def _logged(work: Callable[[], None], channel_id: str) -> None:
    try:
        work()
    except Exception:
        # Bolt's listener error handler logged these when the work ran on its pool; keep that.
        log.exception("/route in %s failed after its ack", channel_id)
