"""The recovery watchdog's rule, one look at a time: a restoring changelog partition that
applied nothing for STALL_SECONDS while the consumer is past what was applied (its fetched
records were dropped) is read again from the last offset applied. The race that drops them
needs a rebalance at the wrong moment (about 1 run in 25), so the rule is driven directly
here; tests/streams/test_handover.py runs the handover through the real broker."""

from __future__ import annotations

import asyncio
from collections import Counter
from types import SimpleNamespace
from typing import Any

from faust.types import TP

from service.streams.recovery import STALL_SECONDS, OrderedRecovery

CHANGELOG = TP("app-stories-changelog", 0)


class FakeConsumer:
    def __init__(self, position: int) -> None:
        self.flow_active = True
        self.at = position
        self.seeks: list[dict[TP, int]] = []

    async def position(self, tp: TP) -> int:
        return self.at

    async def seek_wait(self, offsets: dict[TP, int]) -> None:
        self.seeks.append(dict(offsets))


class Watchdog(OrderedRecovery):
    """Only what the check reads; no Faust service is started."""

    log = SimpleNamespace(warning=lambda *args, **kwargs: None)

    def __init__(self, consumer: FakeConsumer, applied: int, remaining: int) -> None:
        self.app: Any = SimpleNamespace(consumer=consumer)
        self.in_recovery = True
        self.active_offsets = Counter({CHANGELOG: applied})
        self.remaining = Counter({CHANGELOG: remaining})

    def active_remaining(self) -> Counter[TP]:
        return self.remaining


def _looks(watchdog: Watchdog, times: list[float]) -> None:
    progress: dict[TP, tuple[int, float]] = {}
    for now in times:
        asyncio.run(watchdog._check_stalls(progress, now))


def test_a_stalled_partition_the_consumer_has_passed_is_read_again() -> None:
    consumer = FakeConsumer(position=120)  # fetched up to 119, applied only up to 40
    _looks(Watchdog(consumer, applied=40, remaining=80), [0.0, 1.0, STALL_SECONDS + 0.1])
    assert consumer.seeks == [{CHANGELOG: 40}]


def test_nothing_is_done_before_the_stall_lasts() -> None:
    consumer = FakeConsumer(position=120)
    _looks(Watchdog(consumer, applied=40, remaining=80), [0.0, STALL_SECONDS - 0.1])
    assert consumer.seeks == []


def test_a_partition_still_applying_is_left_alone() -> None:
    consumer = FakeConsumer(position=120)
    watchdog = Watchdog(consumer, applied=40, remaining=80)
    progress: dict[TP, tuple[int, float]] = {}
    for now in (0.0, 1.5, 3.0, 4.5):
        watchdog.active_offsets[CHANGELOG] += 10  # records keep being applied
        asyncio.run(watchdog._check_stalls(progress, now))
    assert consumer.seeks == []


def test_a_consumer_waiting_right_after_what_was_applied_is_not_moved() -> None:
    consumer = FakeConsumer(position=41)  # simply waiting for the next record
    _looks(Watchdog(consumer, applied=40, remaining=80), [0.0, STALL_SECONDS + 0.1])
    assert consumer.seeks == []


def test_outside_a_recovery_nothing_is_watched() -> None:
    consumer = FakeConsumer(position=120)
    watchdog = Watchdog(consumer, applied=40, remaining=80)
    watchdog.in_recovery = False
    _looks(watchdog, [0.0, STALL_SECONDS + 0.1])
    assert consumer.seeks == []
