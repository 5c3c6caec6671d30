"""Table changelog writes that outlast a broker outage: one the client gave up on for want
of a broker is sent again (the key's value by then), and an agent waits for the writes made
so far to be on the broker before it acks their events."""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import logging
from typing import Any

import faust
from aiokafka import errors as aiokafka_errors
from faust.types import TP
from faust.types.tuples import FutureMessage

log = logging.getLogger(__name__)

# A write the client gave up on is sent again after this wait (each try then waits up to
# Faust's producer_request_timeout for the broker).
RESEND_SECONDS = 5.0

# A write: its table, changelog partition and key.
Write = tuple[str, int, Any]


def broker_away(error: BaseException) -> bool:
    """Whether a send failed for want of a broker, not because the broker refused it:
    aiokafka marks such errors retriable (NodeNotReadyError, LeaderNotAvailableError...),
    and its KafkaTimeoutError (a record that waited producer_request_timeout in the client)
    is one too."""
    return bool(getattr(error, "retriable", False)) or isinstance(
        error, aiokafka_errors.KafkaTimeoutError
    )


class ChangelogWrites:
    """The changelog writes of a worker's tables that are not yet on the broker.

    Faust sends a table's changelog records without waiting for them (`send_soon`) and
    drops one the client gave up on (aiokafka fails a batch once it is older than the
    producer timeout, the broker away): the worker's own store had the write, the changelog
    did not, and the source offset was committed all the same, so a worker taking the
    partition over from the changelog missed it. Each write is numbered; a key is settled
    once a write of it at least as new is on the broker.
    """

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        # Keys whose latest write is not on the broker yet: that write's number, and the
        # newest of their writes that is (every write before it is settled too).
        self._written: dict[Write, int] = {}
        self._confirmed: dict[Write, int] = {}
        self._failed: dict[Write, tuple[ChangelogTable, int]] = {}
        self._resend_due = False
        self._waiters: list[asyncio.Future[None]] = []
        self._wake_due = False

    def sent(self, table: ChangelogTable, partition: int, key: Any, fut: FutureMessage) -> None:
        write: Write = (table.name, partition, key)
        number = next(self._numbers)
        if write not in self._written:  # settled so far: every earlier write is
            self._confirmed[write] = number - 1
        self._written[write] = number
        fut.add_done_callback(lambda done: self._settle(table, write, number, done))

    async def settled(self) -> None:
        """Wait until every write made so far is on the broker (itself, or a newer write of
        its key); while the broker is away, until it is back."""
        waiting = dict(self._written)
        while waiting:
            waiting = {w: n for w, n in waiting.items() if not self._done(w, n)}
            if waiting:
                woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self._waiters.append(woken)
                await woken

    def _done(self, write: Write, number: int) -> bool:
        return write not in self._written or self._confirmed.get(write, 0) >= number

    def _settle(self, table: ChangelogTable, write: Write, number: int, fut: Any) -> None:
        if fut.cancelled():
            self._confirm(write, number)
            return
        error = fut.exception()  # retrieved: Faust logged it ("_on_published error")
        if error is None:
            self._confirm(write, number)
        elif not broker_away(error):
            log.error("table changelog write %s refused, not sent again: %r", write, error)
            self._confirm(write, number)
        elif self._written.get(write, 0) == number:  # else a newer write carries the key
            self._failed[write] = (table, number)
            if not self._resend_due:
                self._resend_due = True
                # Outside any event: the store then reads each key from its own partition
                # (in the context of the event that wrote it, every key was read from that
                # event's partition, and one of another partition went as a tombstone).
                asyncio.get_running_loop().call_later(
                    RESEND_SECONDS, self._resend, error, context=contextvars.Context()
                )

    def _resend(self, error: BaseException) -> None:
        failed, self._failed = self._failed, {}
        self._resend_due = False
        again = lost = 0
        for write, (table, number) in failed.items():
            if self._written.get(write, 0) != number:
                continue  # written since: that write carries the key's value
            _, partition, key = write
            if not table.holds(partition):
                lost += 1  # another worker has the partition now and writes the key
                self._confirm(write, number)
                continue
            again += 1
            table.send_again(partition, key)
        log.warning(
            "%d table changelog writes not acknowledged, the broker away (%r): sent again%s",
            again,
            error,
            f"; {lost} not, their partitions handed over" if lost else "",
        )

    def _confirm(self, write: Write, number: int) -> None:
        if self._confirmed.get(write, 0) < number:
            self._confirmed[write] = number
        if self._written.get(write, 0) <= number:
            self._written.pop(write, None)
            self._confirmed.pop(write, None)
        if self._waiters and not self._wake_due:  # once per burst of acknowledgements
            self._wake_due = True
            asyncio.get_running_loop().call_soon(self._wake)

    def _wake(self) -> None:
        self._wake_due = False
        waiters, self._waiters = self._waiters, []
        for woken in waiters:
            if not woken.done():
                woken.set_result(None)


class ChangelogTable(faust.Table):  # type: ignore[type-arg]
    """A Faust table whose changelog writes are tracked by a ChangelogWrites (`track`)."""

    writes: ChangelogWrites | None = None

    def track(self, writes: ChangelogWrites) -> None:
        self.writes = writes

    def send_changelog(
        self,
        partition: int | None,
        key: Any,
        value: Any,
        key_serializer: Any = None,
        value_serializer: Any = None,
    ) -> FutureMessage:
        fut = super().send_changelog(partition, key, value, key_serializer, value_serializer)
        sent_to = fut.message.partition
        if self.writes is not None and sent_to is not None:
            self.writes.sent(self, sent_to, key, fut)
        return fut

    def holds(self, partition: int) -> bool:
        """Whether this worker processes the partition (and so writes its keys) now."""
        return TP(self.changelog_topic.get_topic_name(), partition) in (
            self.app.assignor.assigned_actives()
        )

    def send_again(self, partition: int, key: Any) -> None:
        """Send the key's value as the store has it now (deleted: a tombstone)."""
        value = self.data.get(key)
        if value is None:
            self.send_changelog(partition, key, None, value_serializer="raw")
        else:
            self.send_changelog(partition, key, value)
