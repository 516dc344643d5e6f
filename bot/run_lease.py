"""The heartbeat that keeps this process's runs its own, and takes over what dead processes left behind.

A run's lease (storage/runs.py) lasts LEASE_SECONDS; this thread renews it every third of that while the
model call runs and until the outcome is posted, so another routebot on the same database (a rolling
deploy) leaves the run alone. Each beat also sweeps for runs whose owner stopped renewing: a process that
died mid-run, or between the answer and the post. A restart shortly after a crash finds those leases still
valid; the sweep picks them up once they expire.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from storage.runs import RunStore

log = logging.getLogger(__name__)


class LeaseKeeper:
    def __init__(
        self,
        store: RunStore,
        clock: Callable[[], float],
        sweep: Callable[[float], object],
        interval: float | None = None,
    ) -> None:
        self.store, self.clock, self.sweep = store, clock, sweep
        self.interval = interval if interval is not None else store.lease_seconds / 3
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, name="routebot-lease", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)

    def beat(self) -> None:
        """One renewal and sweep (the thread's loop body)."""
        now = self.clock()
        self.store.renew_leases(now)
        self.sweep(now)

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception:  # a locked or vanished database must not end the heartbeat for good
                log.exception("renewing run leases failed; trying again in %.0f s", self.interval)
