"""Where a restarted or rebalanced worker reads a stream partition from. The seek to the
committed offsets must put every stream partition back where its unprocessed records start;
aiokafka moves only those with a committed offset above 0, so `PlacingConsumer` seeks the
others to their beginning (the group's reset policy, earliest). The race that needs it (a
fetch returned while the flow is stopped, its records dropped) is rare; the rule is driven
directly here, and aiokafka's part is checked against the real broker."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaProducer

from service.settings import Settings
from service.streams.recovery import PlacingConsumer

RAW = "app.wire.raw"
CHANGELOG = "app-stories-changelog"


class Thread:
    """The consumer thread's two calls the seek makes; what the group committed."""

    def __init__(self, committed: dict[TopicPartition, int | None]) -> None:
        self.committed = committed
        self.to_beginning: list[TopicPartition] = []

    async def seek_to_committed(self) -> dict[TopicPartition, int | None]:
        return self.committed

    async def seek_to_beginning(self, *partitions: TopicPartition) -> None:
        self.to_beginning.extend(partitions)


def _seek(committed: dict[TopicPartition, int | None]) -> list[TopicPartition]:
    consumer: Any = PlacingConsumer.__new__(PlacingConsumer)
    consumer._thread = Thread(committed)
    consumer.app = SimpleNamespace(tables=SimpleNamespace(changelog_topics={CHANGELOG}))
    assert asyncio.run(consumer.seek_to_committed()) == committed
    return list(consumer._thread.to_beginning)


def test_stream_partitions_never_committed_or_at_0_are_read_from_their_beginning() -> None:
    never, at_zero, placed = (TopicPartition(RAW, n) for n in range(3))
    changelog = TopicPartition(CHANGELOG, 0)
    moved = _seek({never: None, at_zero: 0, placed: 57, changelog: None})
    assert moved == [never, at_zero]  # the changelog's place is recovery's


def test_nothing_moves_when_every_stream_partition_has_a_committed_offset() -> None:
    assert _seek({TopicPartition(RAW, 0): 12, TopicPartition(CHANGELOG, 1): None}) == []


@pytest.mark.kafka
def test_aiokafka_leaves_a_never_committed_partition_past_what_it_returned(
    service_settings: Settings,
) -> None:
    """The premise: after records were returned (and, in the race, dropped) from a partition
    the group never committed, aiokafka's seek to the committed offsets leaves it there."""
    settings = service_settings
    topic = settings.topics.raw
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers)
    for n in range(10):
        producer.send(topic, f"record {n}".encode(), partition=0)
    producer.flush()
    producer.close()

    async def place() -> tuple[int, int]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers,
            group_id=f"{settings.app_id}-placing",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.start()
        try:
            returned = 0
            while returned < 10:
                batches = await consumer.getmany(tp, timeout_ms=5000)
                returned += sum(len(records) for records in batches.values())
            await consumer.seek_to_committed(tp)
            after_seek = await consumer.position(tp)
            await consumer.seek_to_beginning(tp)
            return after_seek, await consumer.position(tp)
        finally:
            await consumer.stop()

    after_seek, after_placing = asyncio.run(place())
    assert after_seek == 10  # not moved: what was returned is not read again
    assert after_placing == 0
