"""Table recovery that does not drop records fetched while a restarted worker resumes.

faust-streaming 0.15.3's `Recovery.on_recovery_completed` resumes the stream partitions,
seeks them to their committed offsets, and only then resumes flow control, which clears
every stream queue. Records fetched in between are thrown away while the consumer's position
has moved past them: a worker restarted with a backlog and non-empty changelogs silently
skipped a run of offsets (seen here: raw offsets 76-88 of 180 never reached the agent).
Here delivery is stopped before the stream partitions are resumed and seeked, as Faust itself
does when no table needs recovery, so nothing is delivered before the queues are cleared.
"""

from __future__ import annotations

import asyncio

from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery


class OrderedRecovery(Recovery):
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


class OrderedTableManager(TableManager):
    """The app's table manager, with the recovery above."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = OrderedRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery
