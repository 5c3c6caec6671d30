"""Whether this process reaches the broker, as it last found out: one log line when that
changes (not one per failed attempt), and the gauges an alert watches."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from service.metrics import BrokerMetrics

log = logging.getLogger(__name__)

# How often a process with nothing else to ask the broker (the worker, the watcher, the feed
# poller) asks it for its metadata, and how long it waits for the answer.
CONTACT_EVERY_SECONDS = 10.0


def utc(unix_time: float) -> str:
    """A unix time as an ISO 8601 UTC time to the second, for log lines and answers."""
    return datetime.fromtimestamp(unix_time, UTC).isoformat(timespec="seconds")


class BrokerContact:
    """The broker's reachability as the last attempt to use it found it (unknown until the
    first). `reached()` after the broker answered, `missed()` after it could not be reached;
    the first miss logs "unreachable since", the first answer after misses "reachable again
    after"."""

    def __init__(
        self, metrics: BrokerMetrics | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self._metrics = metrics
        self._clock = clock
        # Unix time of the first miss since the broker last answered (None: reachable or unknown).
        self.unreachable_since: float | None = None
        # Unix time of the broker's latest answer (None: none yet).
        self.last_contact: float | None = None

    @property
    def unreachable(self) -> bool:
        return self.unreachable_since is not None

    def reached(self) -> None:
        now = self._clock()
        if self.unreachable_since is not None:
            log.warning(
                "broker reachable again after %.0f s (unreachable since %s)",
                now - self.unreachable_since,
                utc(self.unreachable_since),
            )
            self.unreachable_since = None
        self.last_contact = now
        if self._metrics is not None:
            self._metrics.reached(now)

    def missed(self, error: BaseException) -> None:
        if self.unreachable_since is None:
            self.unreachable_since = self._clock()
            log.warning("broker unreachable since %s: %r", utc(self.unreachable_since), error)
        if self._metrics is not None:
            self._metrics.missed()
