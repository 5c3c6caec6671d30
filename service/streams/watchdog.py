"""Ends a worker process that stays up after its app crashed, so that its supervisor (compose's
`restart:`) starts a new one.

After a crash of Faust's producer buffer a worker once stayed up with its main thread parked
in mode's `Worker.stop_and_shutdown`: /metrics answered, nothing was processed, SIGTERM was
ignored (seen 1 of 2 times; the other exited within seconds, as it should). A thread of its
own watches the app: crashed and still running `grace` seconds later, the process exits.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

# How long a crashed worker gets to stop by itself (a clean stop took ~4 s; Faust's agents get
# 30 s to finish their events, FINISH_GRACE_SECONDS).
CRASH_GRACE_SECONDS = 60.0
CHECK_EVERY_SECONDS = 5.0
# The exit status of a worker ended by the watchdog (EX_SOFTWARE).
HUNG_EXIT_STATUS = 70


class Crashable(Protocol):
    """What the watchdog reads of the app (mode's Service)."""

    @property
    def crashed(self) -> bool: ...


def watch_crash(
    app: Crashable,
    *,
    grace: float = CRASH_GRACE_SECONDS,
    every: float = CHECK_EVERY_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    end: Callable[[int], None] = os._exit,
) -> None:
    """Check the app every `every` seconds; once it has been crashed for `grace` seconds, log
    it and `end` the process (os._exit: no cleanup can hang it again). Returns only if `end`
    does (in tests)."""
    crashed_at: float | None = None
    while True:
        sleep(every)
        if not app.crashed:
            continue
        now = clock()
        if crashed_at is None:
            crashed_at = now
        elif now - crashed_at >= grace:
            log.critical(
                "the worker crashed %.0f s ago and is still up: exiting (status %d) for its"
                " supervisor to restart it",
                now - crashed_at,
                HUNG_EXIT_STATUS,
            )
            logging.shutdown()
            end(HUNG_EXIT_STATUS)
            return


def start_watchdog(app: Crashable) -> threading.Thread:
    """Watch the app from a daemon thread (the event loop may be the thing that hangs)."""
    thread = threading.Thread(target=watch_crash, args=(app,), name="crash-watchdog", daemon=True)
    thread.start()
    return thread
