"""Table recovery that does not drop records fetched while a restarted worker resumes.

faust-streaming 0.15.3's `Recovery.on_recovery_completed` resumes the stream partitions,
seeks them to their committed offsets, and only then resumes flow control, which clears
every stream queue. Records fetched in between are thrown away while the consumer's position
has moved past them: a worker restarted with a backlog and non-empty changelogs silently
skipped a run of offsets (seen here: raw offsets 76-88 of 180 never reached the agent).
Here the partitions are resumed together with flow control, with no await in between, and
the seek comes after, so nothing can be fetched and then cleared.
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
        # Flow control is resumed (which clears the queues) in the same step as the stream
        # partitions, with no await in between: nothing fetched can be cleared afterwards.
        # The seek then rewinds to the committed offsets; anything delivered before it is
        # delivered again, which the pipeline's decision memo makes harmless.
        consumer.resume_partitions({tp for tp in assignment if not self._is_changelog_tp(tp)})
        self.app.flow_control.resume()
        consumer.resume_flow()
        if assignment:
            self.log.info("Seek stream partitions to committed offsets.")
            await self._wait(consumer.perform_seek(), timeout=self.app.conf.broker_request_timeout)
        self.completed.set()
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
