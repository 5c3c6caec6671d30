"""Replay a folder or file of articles onto the raw topic, paced by rate or publication times;
what a reader refuses goes to the dead-letter topic instead, with the reader's reason."""

from __future__ import annotations

import itertools
import math
import time
from pathlib import Path
from typing import Any, Protocol

from service.producers.files import (
    FileFailure,
    FileReject,
    publication_order,
    published_time,
    read_path,
)


class Sender(Protocol):
    def send(self, record: dict[str, Any] | bytes, feed: str | None = None) -> None: ...


class FlushingSender(Sender, Protocol):
    """A sender that can wait until the broker has everything sent so far."""

    def flush(self) -> None: ...


class LetterSender(FlushingSender, Protocol):
    """A sender that also puts inputs its producer refused on the dead-letter topic itself
    (RawProducer; a fake in tests)."""

    def dead_letter(
        self, payload: bytes, reason: str, detail: str, origin: dict[str, Any] | None = None
    ) -> None: ...


def replay_records(
    path: Path,
    producer: LetterSender,
    *,
    rate: float = 0.0,
    speedup: float = 0.0,
    loop: int = 1,
    order: str = "published",
    failures: list[FileFailure] | None = None,
) -> int:
    """Send every record under `path`, `loop` times (0 = forever); returns how many were sent.

    `rate` caps articles per second; `speedup` > 0 reproduces the gaps between publication
    times, `speedup` times faster. Looped passes get fresh ids so they are new arrivals
    (a resend of the same id would be a redelivery, not new traffic).

    A file, or a record of one, that its reader refuses is never sent to the raw topic: it
    goes to the dead-letter topic (once, however many passes) with the reader's reason and
    an origin naming the replay and the file, and is added to `failures`.
    """
    if order not in {"published", "name"}:
        raise ValueError("order must be 'published' or 'name'")
    rejects: list[FileReject] = []
    records = read_path(path, rejects)
    # One feed per replay: its articles share a partition, so they arrive in replay order.
    feed = f"replay:{path.resolve().name}"
    for reject in rejects:
        if reject.payload is not None:
            producer.dead_letter(reject.payload, reject.reason, reject.detail, reject.origin(feed))
        if failures is not None:
            failures.append(FileFailure(reject.path, reject.message, reject.payload is not None))
    if order == "published":
        records = publication_order(records)
    passes = itertools.count() if loop == 0 else range(loop)
    sent = 0
    for number in passes:
        previous: float | None = None
        started = time.monotonic()
        for index, record in enumerate(records):
            if speedup > 0:
                stamp = published_time(record)
                if previous is not None and math.isfinite(stamp) and stamp > previous:
                    time.sleep((stamp - previous) / speedup)
                if math.isfinite(stamp):
                    previous = stamp
            if rate > 0:
                delay = started + index / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            producer.send(_pass_copy(record, number), feed)
            sent += 1
    return sent


def _pass_copy(record: dict[str, Any], number: int) -> dict[str, Any]:
    if number == 0:
        return record
    copy = dict(record)
    for field in ("id", "uri", "guid"):
        if isinstance(copy.get(field), str):
            copy[field] = f"{copy[field]}~{number}"
    return copy
