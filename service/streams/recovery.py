"""Table recovery that does not drop records fetched while a restarted worker resumes.

faust-streaming 0.15.3's `Recovery.on_recovery_completed` resumes the stream partitions,
seeks them to their committed offsets, and only then resumes flow control, which clears
every stream queue. Records fetched in between are thrown away while the consumer's position
has moved past them: a worker restarted with a backlog and non-empty changelogs silently
skipped a run of offsets (seen here: raw offsets 76-88 of 180 never reached the agent).
Here delivery is stopped before the stream partitions are resumed and seeked, as Faust itself
does when no table needs recovery, so nothing is delivered before the queues are cleared.

Changelog records can be lost the same way on a rebalance: a fetch still in flight when the
flow stops returns, after Recovery has seeked the changelog partitions to where it reads
from, records that the consumer then drops (it only delivers while the flow runs) though its
position has moved past them. A worker taking over a partition it was standby for is then
at the partition's end and waits for records that never come (seen: "Resuming flow..." and
no event for 50 s). Here a partition whose recovery makes no progress while the consumer is
past what was applied is seeked back to it, and reading goes on. And, as in Faust, the end of
a recovery ends the rebalance (`App.on_rebalance_end`) and logs "Worker ready".

Both rely on the seek to the committed offsets putting a stream partition back where its
unprocessed records start. aiokafka's `seek_to_committed` moves only partitions whose
committed offset is above 0: one the group never committed (a worker killed before its first
commit, a feed's first records) kept the position past the records fetched and dropped. A
worker restarted after such a kill fetched all 180 records of its one raw partition in the
window, dropped them, and then waited at the partition's end with nothing published
(`tests/streams/test_end_to_end.py`, the kill test: 1 of 9 runs here, 4 beside a CPU hog, and
once in CI). `PlacingConsumer` seeks those partitions to their beginning, where the group's
reset policy (`consumer_auto_offset_reset="earliest"`) starts them: what was fetched and
dropped is read again (at least once, as after any restart).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from time import monotonic
from typing import cast

from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery
from faust.transport.consumer import Consumer
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP
from mode import Service

# A partition still short of its highwater that has applied nothing for this long while the
# flow runs is checked for records fetched and dropped.
STALL_SECONDS = 2.0
CHECK_EVERY_SECONDS = 1.0


class OrderedRecovery(Recovery):
    @Service.task
    async def _reread_dropped_changelog_records(self) -> None:
        # Per active changelog partition: the last offset applied, and since when.
        progress: dict[TP, tuple[int, float]] = {}
        while not self.should_stop:
            await self.sleep(CHECK_EVERY_SECONDS)
            await self._check_stalls(progress, monotonic())

    async def _check_stalls(self, progress: dict[TP, tuple[int, float]], now: float) -> None:
        """One look at the restoring partitions: a partition that applied nothing since
        STALL_SECONDS ago is checked for dropped records."""
        if not self._reading_actives():
            progress.clear()
            return
        for tp, remaining in self.active_remaining().items():
            applied = self.active_offsets[tp]
            if remaining <= 0:
                progress.pop(tp, None)
            elif progress.get(tp, (None, now))[0] != applied:
                progress[tp] = (applied, now)
            elif now - progress[tp][1] >= STALL_SECONDS:
                await self._reread_if_dropped(tp, applied)
                progress[tp] = (applied, now)

    def _reading_actives(self) -> bool:
        return self.in_recovery and cast("Consumer", self.app.consumer).flow_active

    async def _reread_if_dropped(self, tp: TP, applied: int) -> None:
        consumer = self.app.consumer
        position = None
        # The partition may be revoked meanwhile; the next recovery then seeks it anyway.
        with contextlib.suppress(Exception):
            position = await asyncio.wait_for(consumer.position(tp), STALL_SECONDS)
        if position is None or position <= applied + 1 or not self._reading_actives():
            return
        self.log.warning(
            "Changelog %s: consumer at offset %s but only %s applied; reading again from there",
            tp,
            position,
            applied,
        )
        # Recovery's own seek goes to the last offset applied too (already seen, skipped).
        with contextlib.suppress(Exception):
            await consumer.seek_wait({tp: max(applied, 0)})

    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        consumer = self.app.consumer
        self.log.info("Restore complete!")
        await self.app.on_rebalance_complete.send()
        self._set_recovery_ended()
        callbacks = [
            asyncio.ensure_future(
                table.on_recovery_completed(
                    self.actives_for_table[table], self.standbys_for_table[table]
                )
            )
            for table in self.tables.values()
        ]
        if callbacks:
            await asyncio.wait(callbacks)
        assignment = consumer.assignment()
        if self.app.consumer_generation_id != generation_id:
            self.log.warning(
                "Recovery rebalancing again app id %s param %s",
                self.app.consumer_generation_id,
                generation_id,
            )
            return
        # Stop delivery first, as Faust does when no table needs recovery: recovery left the
        # flow running for the changelogs, so records of resumed stream partitions would be
        # delivered during the seek and then cleared from the queues by the resume below.
        consumer.stop_flow()
        self.app.flow_control.suspend()
        await self._wait(
            consumer.wait_for_stopped_flow(),  # type: ignore[attr-defined]
            timeout=self.app.conf.broker_request_timeout,
        )
        consumer.resume_partitions({tp for tp in assignment if not self._is_changelog_tp(tp)})
        if assignment:
            self.log.info("Seek stream partitions to committed offsets.")
            await self._wait(consumer.perform_seek(), timeout=self.app.conf.broker_request_timeout)
        self.completed.set()
        self.app.flow_control.resume()
        consumer.resume_flow()
        await self.app._fetcher.maybe_start()  # type: ignore[attr-defined]
        self.tables.on_actives_ready()
        if not self.app.assignor.assigned_standbys():
            self.tables.on_standbys_ready()
        self.app.on_rebalance_end()
        self.log.info("Worker ready")


class OrderedTableManager(TableManager):
    """The app's table manager, with the recovery above."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = OrderedRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery


class PlacingConsumer(aiokafka_driver.Consumer):
    """The aiokafka driver's consumer, whose seek to the committed offsets also places the
    stream partitions without one (or at 0) at their beginning (see the module's text). The
    changelogs' places are recovery's, and stay as they are."""

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed: Mapping[TP, int] = await super().seek_to_committed()
        changelogs = self.app.tables.changelog_topics
        unplaced = [
            tp for tp, offset in committed.items() if not offset and tp.topic not in changelogs
        ]
        if unplaced:
            await self._thread.seek_to_beginning(*unplaced)
        return committed


class PlacingTransport(aiokafka_driver.Transport):
    """The aiokafka transport, with the consumer above."""

    Consumer = PlacingConsumer
