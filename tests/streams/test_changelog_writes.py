"""Table changelog writes the client gave up on for want of a broker (no broker here): sent
again with the key's value by then, not when written since, and waited for before acks."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import faust
import pytest
from aiokafka.errors import MessageSizeTooLargeError, NodeNotReadyError

from service.streams import changelog
from service.streams.changelog import ChangelogTable, ChangelogWrites

RESEND_SECONDS = 0.05


class Sent(asyncio.Future[Any]):
    """A changelog record handed to the client, as Faust's FutureMessage shows it."""

    def __init__(self, partition: int, key: Any, value: Any) -> None:
        super().__init__()
        self.message = SimpleNamespace(partition=partition)
        self.key, self.value = key, value


class Changelog:
    """What a table sent to its changelog, instead of Faust's producer."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    def send(self, partition: int, key: Any, value: Any, *_: Any) -> Sent:
        fut = Sent(partition, key, value)
        self.sent.append(fut)
        return fut


@pytest.fixture
async def table(monkeypatch: pytest.MonkeyPatch) -> tuple[ChangelogTable, Changelog]:
    monkeypatch.setattr(changelog, "RESEND_SECONDS", RESEND_SECONDS)
    sent = Changelog()
    monkeypatch.setattr(faust.Table, "send_changelog", sent.send)
    app = faust.App("changelog-test", store="memory://", Table=ChangelogTable)
    made = app.Table("dedup", partitions=4)
    assert isinstance(made, ChangelogTable)
    monkeypatch.setattr(made, "holds", lambda partition: partition != 3)  # 3 handed over
    made.track(ChangelogWrites())
    return made, sent


def write(table: ChangelogTable, partition: int, key: str, value: Any) -> Sent:
    """A key set in the store, and its changelog record sent, as Faust does it."""
    if value is None:
        table.data.pop(key, None)
    else:
        table.data[key] = value
    fut = table.send_changelog(partition, key, value)
    assert isinstance(fut, Sent)
    return fut


async def settle(table: ChangelogTable) -> None:
    """Every write made so far on the broker (or given up for good), within a second."""
    assert table.writes is not None
    await asyncio.wait_for(table.writes.settled(), 1.0)


async def ticks(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_a_write_given_up_on_is_sent_again_with_the_keys_value_by_then(
    table: tuple[ChangelogTable, Changelog],
) -> None:
    made, changelog_records = table
    kept = write(made, 0, "article:a", ["st-1", 1.0])
    gone = write(made, 1, "article:b", ["st-2", 2.0])
    made.data["article:a"] = ["st-9", 9.0]  # the store moved on (a record not sent)
    del made.data["article:b"]
    kept.set_exception(NodeNotReadyError("broker away"))
    gone.set_exception(NodeNotReadyError("broker away"))
    await asyncio.sleep(3 * RESEND_SECONDS)
    again = changelog_records.sent[2:]
    assert [(fut.message.partition, fut.key, fut.value) for fut in again] == [
        (0, "article:a", ["st-9", 9.0]),
        (1, "article:b", None),  # a tombstone
    ]


async def test_a_key_written_again_since_is_not_sent_again(
    table: tuple[ChangelogTable, Changelog],
) -> None:
    made, changelog_records = table
    # Written again before the first write failed.
    first = write(made, 0, "article:a", ["st-1", 1.0])
    second = write(made, 0, "article:a", ["st-2", 2.0])
    # Written again after its write failed, before the resend.
    third = write(made, 1, "article:b", ["st-3", 3.0])
    first.set_exception(NodeNotReadyError("broker away"))
    third.set_exception(NodeNotReadyError("broker away"))
    await ticks()  # its failure seen, its resend due
    fourth = write(made, 1, "article:b", ["st-4", 4.0])
    await asyncio.sleep(3 * RESEND_SECONDS)
    assert changelog_records.sent == [first, second, third, fourth]
    second.set_result(None)
    fourth.set_result(None)
    await settle(made)


async def test_a_write_refused_or_of_a_partition_handed_over_is_not_sent_again(
    table: tuple[ChangelogTable, Changelog],
) -> None:
    made, changelog_records = table
    refused = write(made, 0, "article:a", ["st-1", 1.0])
    moved = write(made, 3, "article:b", ["st-2", 2.0])
    refused.set_exception(MessageSizeTooLargeError())
    moved.set_exception(NodeNotReadyError("broker away"))
    await asyncio.sleep(3 * RESEND_SECONDS)
    assert changelog_records.sent == [refused, moved]
    await settle(made)


async def test_settled_waits_for_the_writes_made_so_far_and_their_resends(
    table: tuple[ChangelogTable, Changelog],
) -> None:
    made, changelog_records = table
    await settle(made)  # nothing written: at once
    a = write(made, 0, "article:a", ["st-1", 1.0])
    b = write(made, 1, "article:b", ["st-2", 2.0])
    assert made.writes is not None
    waiting = asyncio.ensure_future(made.writes.settled())
    await ticks()  # under way
    later = write(made, 2, "article:c", ["st-3", 3.0])  # not waited for
    a.set_result(None)
    await ticks()
    assert not waiting.done()
    b.set_exception(NodeNotReadyError("broker away"))
    await asyncio.sleep(3 * RESEND_SECONDS)
    assert not waiting.done()  # sent again, not on the broker yet
    resent = changelog_records.sent[-1]
    assert (resent.key, resent.value) == ("article:b", ["st-2", 2.0])
    resent.set_result(None)
    await asyncio.wait_for(waiting, 1.0)
    assert not later.done()
