"""Collapse the Kafka clients' repeated log lines: the first of a kind passes, the rest of a
minute are counted, and one line a minute says how many there were.

With the broker away aiokafka logs every attempt (`Unable connect to node with id 1`,
`Unable to update metadata from [1]`, `Failed fetch messages from 1`, `Group Coordinator
Request failed`) and Faust each full producer buffer: about 75 ERROR lines a second, 55 MB an
hour in the review's outage. `service.contact` says in one line when the broker went and
when it came back.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)

# The loggers whose lines repeat while the broker is away: aiokafka's (each module's own: a
# filter on a logger is not applied to its children's records), Faust's producer buffer, and
# its topics' (`_on_published error for message topic ...`, one per send the client gave up
# on: 109-205 lines in a 30 s outage under the broker test with a 10 s producer timeout, and
# again at each resend of table writes). Each is a module's `getLogger(__name__)`.
NOISY_LOGGERS = ("aiokafka", "faust.transport.producer", "faust.topics")
REPEAT_WINDOW_SECONDS = 60.0
# Lines below this level are let through untracked (the handlers' level decides them): the
# clients' debug lines, hundreds of kinds a minute under load, took every slot of MAX_KINDS,
# and the outage's ERROR lines then passed uncounted.
TRACKED_LEVEL = logging.WARNING
# Kinds remembered at most (a kind is a message with its numbers masked: few in practice).
MAX_KINDS = 1000
_NUMBER = re.compile(r"\d+")


@dataclasses.dataclass(slots=True)
class _Kind:
    started: float  # when the first line of the current window passed
    level: int
    last: str  # the latest line held back
    held: int = 0


class RepeatFilter(logging.Filter):
    """Lets the first line of a kind (logger, level, message with its numbers masked; warnings
    and above) through,
    holds back the others of the next `window` seconds, and passes the first after it with
    the count of those held back appended. `flush()` says, for each kind whose window is over,
    how many were held back since its last line passed (a repeat that stopped would never
    say it otherwise): the worker calls it on a timer."""

    def __init__(
        self,
        window: float = REPEAT_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_kinds: int = MAX_KINDS,
    ) -> None:
        super().__init__()
        self.window = window
        self._clock = clock
        self._max_kinds = max_kinds
        self._kinds: dict[tuple[str, int, str], _Kind] = {}
        # Faust runs its consumer's aiokafka client on a thread of its own.
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < TRACKED_LEVEL:
            return True
        message = record.getMessage()
        key = (record.name, record.levelno, _NUMBER.sub("N", message))
        with self._lock:
            return self._let_through(key, record, message)

    def _let_through(
        self, key: tuple[str, int, str], record: logging.LogRecord, message: str
    ) -> bool:
        now = self._clock()
        kind = self._kinds.get(key)
        if kind is None:
            if len(self._kinds) < self._max_kinds:
                self._kinds[key] = _Kind(now, record.levelno, message)
            return True
        if now - kind.started < self.window:
            kind.held += 1
            kind.last = message
            return False
        if kind.held:
            before = now - kind.started
            # As the one arg of "%s", not as a message without args: mode's formatter (the
            # worker's) turns args None into (None,), and the line failed to format.
            record.msg = "%s"
            record.args = (
                f"{message} [{kind.held} more like it held back in the {before:.0f} s before]",
            )
        self._kinds[key] = _Kind(now, record.levelno, message)
        return True

    def flush(self) -> None:
        """One line per kind whose window is over with lines held back; kinds whose window is
        over are forgotten (their next line passes as a first)."""
        now = self._clock()
        with self._lock:
            over = [
                (key, kind)
                for key, kind in self._kinds.items()
                if now - kind.started >= self.window
            ]
            for key, _ in over:
                del self._kinds[key]
        for (name, _, _), kind in over:
            if kind.held:
                log.log(
                    kind.level,
                    "%s: %d more like it held back in %.0f s, the last: %s",
                    name,
                    kind.held,
                    now - kind.started,
                    kind.last,
                )


def collapse_repeats(
    repeats: RepeatFilter, names: Iterable[str] = NOISY_LOGGERS
) -> list[logging.Logger]:
    """Put the filter on each logger named in `names` (modules, imported here so that their
    loggers exist) or below one of them, in place of any RepeatFilter put there before;
    returns them."""
    prefixes = tuple(names)
    for name in prefixes:
        importlib.import_module(name)
    below = tuple(f"{prefix}." for prefix in prefixes)
    loggers = [logging.getLogger(name) for name in prefixes] + [
        logger
        for name, logger in list(logging.root.manager.loggerDict.items())
        if isinstance(logger, logging.Logger) and name.startswith(below)
    ]
    for logger in loggers:
        for old in [f for f in logger.filters if isinstance(f, RepeatFilter)]:
            logger.removeFilter(old)
        logger.addFilter(repeats)
    return loggers
