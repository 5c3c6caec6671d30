"""The Faust app: topics, tables and the two agents that wire the pure stages to Kafka.

raw --normalise--> normalised (re-keyed by shard: language, routed) --decide--> articles |
duplicates, stories; anything that cannot become an article goes to the dead-letter topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, TypeVar, cast

import faust
from faust.exceptions import NotReady
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from faust.types import EventT, StreamT
from prometheus_client import CollectorRegistry

from service.contact import CONTACT_EVERY_SECONDS, BrokerContact
from service.metrics import FAUST_PREFIX, BrokerMetrics, Metrics
from service.models import (
    Article,
    Correction,
    Decision,
    Rejected,
    RejectReason,
    StoryCommand,
)
from service.pipeline.cluster import STORY, latest_stories
from service.pipeline.decide import Pipeline, PipelineConfig, Shards
from service.pipeline.intake import parse_record
from service.pipeline.normalise import normalise_article
from service.pipeline.route import Routes, shard_of
from service.records import (
    article_record,
    correction_record,
    dead_letter,
    decode,
    duplicate_record,
    encode,
    normalised_record,
    origin,
    story_record,
)
from service.settings import ARRIVAL_STAMPED, ROUTES_TABLE, TABLES, Settings, get_settings
from service.streams.changelog import ChangelogTable, ChangelogWrites, broker_away
from service.streams.recovery import OrderedTableManager, PlacingTransport
from service.streams.repeats import RepeatFilter, collapse_repeats
from service.streams.tables import ShardView, held_here, shard_entries, shard_keys
from service.streams.watchdog import start_watchdog
from service.streams.web import mount_metrics, mount_stories

log = logging.getLogger(__name__)

LAG_EVERY_SECONDS = 10.0
# The prefix of the environment variables Faust reads its own settings from.
FAUST_ENV_PREFIX = "WIRE_FAUST_"
# Kafka's record timestamp type for the broker's own append time (0 is the producer's).
LOG_APPEND_TIME = 1
ROCKSDB_OPTIONS = {
    "write_buffer_size": 16 * 1024 * 1024,
    "max_write_buffer_number": 2,
    "block_cache_size": 32 * 1024 * 1024,
}
FINISH_GRACE_SECONDS = 30.0
# Events whose outputs may be in flight together before the agent waits for the broker.
BATCH_MAX_EVENTS = 100
# ...and how long they may wait for more: a stopping worker clears the agents' queues and
# then waits for every event taken to be acked, so a batch must not wait for a next event.
BATCH_MAX_SECONDS = 0.05

# A refused output's dead letter: tries, and the wait before the second (doubling after).
DEAD_LETTER_ATTEMPTS = 3
DEAD_LETTER_BACKOFF_SECONDS = 1.0
# Outputs not acknowledged for want of a broker: the wait before their events are processed
# again (each try then waits up to Faust's producer_request_timeout for the broker).
REDO_SECONDS = 5.0

T = TypeVar("T")
# What processing one event leaves to wait for: its sends, and what to record once the broker
# has them all (run in the event's own context, so table writes go to its partition).
# What processing an event gave: the sends to wait for, and what to do once they are settled
# (called with one flag per send: whether the broker acknowledged it).
Outcome = tuple[list[Awaitable[Any]], Callable[[list[bool]], None] | None]
# An agent's processing of one event; the flag: the same event processed again (its outputs
# not acknowledged for want of a broker), whose counts were made the first time.
Process = Callable[[EventT[bytes], bool], Coroutine[Any, Any, Outcome]]


async def _settle(sent: list[Awaitable[Any]]) -> tuple[list[bool], Exception | None]:
    """Wait for every send: which ones the broker took, and the first refusal."""
    taken: list[bool] = []
    refused: Exception | None = None
    for future in sent:
        try:
            await future
        except Exception as exc:
            taken.append(False)
            refused = refused or exc
        else:
            taken.append(True)
    return taken, refused


# An event taken: its outcome, and the context it was processed in.
Taken = tuple[EventT[bytes], Outcome, contextvars.Context]
# A batch settled: whether any table write was recorded, the events whose outputs the broker
# did not acknowledge for want of a broker (with the first error), the other refusals (and
# failures to record), and the first failure to record.
Settled = tuple[
    bool,
    list[tuple[Taken, Exception]],
    list[tuple[EventT[bytes], Exception]],
    BaseException | None,
]


async def _settle_all(batch: list[Taken]) -> Settled:
    """Wait for each event's sends and record its outcome (in its own context)."""
    recorded = False
    away: list[tuple[Taken, Exception]] = []
    refusals: list[tuple[EventT[bytes], Exception]] = []
    failure: BaseException | None = None
    for taken in batch:
        event, (sent, record), context = taken
        acknowledged, refused = await _settle(sent)
        if record is not None:
            try:
                context.run(record, acknowledged)
            except Exception as exc:
                log.exception("recording offset %s failed", event.message.offset)
                failure = failure or exc
                refusals.append((event, exc))
                continue
            recorded = recorded or any(acknowledged)
        if refused is None:
            continue
        if broker_away(refused):
            away.append((taken, refused))
        else:
            refusals.append((event, refused))
    return recorded, away, refusals, failure


async def _send(topic: Any, key: bytes, value: bytes) -> Awaitable[Any]:
    """A send, or a send refused before it left (too large for the producer) as a settled
    failure, so that its event is dead-lettered like one the broker refused."""
    try:
        return cast("Awaitable[Any]", await topic.send(key=key, value=value))
    except Exception as exc:
        failed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        failed.set_exception(exc)
        return failed


async def finish(work: Coroutine[Any, Any, T], grace: float = FINISH_GRACE_SECONDS) -> T:
    """Run one event's work to its end even if the agent is cancelled meanwhile.

    Faust acks the current event when a stopping worker cancels its agents; work cut off
    halfway would then be committed unfinished. Finishing it first (the producer is still
    up while agents stop) keeps "acked" meaning "its outputs are on the broker".
    """
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, grace)
        raise


class Worker:
    """Holds the app, its topics and tables, one pipeline per shard over table views, and
    the routes of each wire.raw partition."""

    def __init__(self, settings: Settings, registry: CollectorRegistry | None = None) -> None:
        self.settings = settings
        self.registry = registry or CollectorRegistry()
        self.metrics = Metrics(self.registry, settings.metric_sources)
        topics = settings.topics
        self.app = faust.App(
            settings.app_id,
            # Faust reads some 80 settings of its own from the environment, unprefixed
            # (WEB_PORT, BROKER_URL, APP_DATADIR, PRODUCER_REQUEST_TIMEOUT...), and the
            # environment wins over what is given here: a stray WEB_PORT moved the worker's
            # web server. Only WIRE_FAUST_<NAME> is read now (how ops tune Faust's timeouts).
            env_prefix=FAUST_ENV_PREFIX,
            broker=settings.broker_url,
            store=f"{settings.table_store}://",
            datadir=str(settings.worker_data_dir),
            web_host=settings.web_host,
            web_port=settings.web_port,
            web_in_thread=False,
            topic_partitions=topics.normalised_partitions,
            topic_disable_leader=True,
            consumer_auto_offset_reset="earliest",
            producer_acks=-1,
            # Outputs carry the article again and a dead letter the whole input: room for both.
            producer_max_request_size=settings.max_dead_letter_bytes,
            key_serializer="raw",
            value_serializer="raw",
            TableManager=OrderedTableManager,
            Table=ChangelogTable,
        )
        # Before anything asks the app for its transport (a topic does, for its conductor).
        self.app.transport = PlacingTransport(self.app.conf.broker_consumer, self.app)
        self.raw = self.app.topic(
            topics.raw, partitions=topics.raw_partitions, config=dict(ARRIVAL_STAMPED)
        )
        self.normalised = self.app.topic(topics.normalised, partitions=topics.normalised_partitions)
        self.articles = self.app.topic(topics.articles, partitions=topics.output_partitions)
        self.duplicates = self.app.topic(topics.duplicates, partitions=topics.output_partitions)
        self.stories = self.app.topic(topics.stories, partitions=topics.output_partitions)
        self.dlq = self.app.topic(topics.dlq, partitions=topics.output_partitions)
        self.commands = self.app.topic(topics.commands, partitions=1, config=dict(ARRIVAL_STAMPED))
        table_options: dict[str, Any] = {
            "partitions": topics.normalised_partitions,
            "schema": faust.Schema(key_serializer="json", value_serializer="json"),
        }
        if settings.table_store == "rocksdb":
            # One database per table and partition (12 by default): Faust's defaults (64 MiB
            # write buffers, a 2 GiB block cache each) are sized for a machine of its own.
            table_options["options"] = dict(ROCKSDB_OPTIONS)
        dedup, stories, decisions = TABLES
        self.dedup_table = self.app.Table(dedup, **table_options)
        self.story_table = self.app.Table(stories, **table_options)
        self.decision_table = self.app.Table(decisions, **table_options)
        # Written by the normalise agent, so partitioned like wire.raw: a feed's entries go to
        # the changelog partition of the feed's raw partition, and move with it.
        self.route_table = self.app.Table(
            ROUTES_TABLE, **{**table_options, "partitions": topics.raw_partitions}
        )
        # Their changelog writes, waited for before an event is acked, and sent again if the
        # client gave up on them for want of a broker.
        self.changelog = ChangelogWrites()
        for table in (self.dedup_table, self.story_table, self.decision_table, self.route_table):
            cast("ChangelogTable", table).track(self.changelog)
        self.config = PipelineConfig.with_horizons(
            settings.dedup_horizon_seconds, settings.story_horizon_seconds
        )
        self._pipelines = Shards(self._make_pipeline)
        # One Routes per wire.raw partition (made on its first event).
        self._routes: dict[int, Routes] = {}
        # Live stories per shard in the tables when they were last recovered (None: not
        # counted since).
        self._stories_at_recovery: Counter[str] | None = None
        # Articles whose outputs are sent but not yet acknowledged (not yet marked emitted).
        self._in_flight: set[str | tuple[str, str]] = set()
        for table in (self.dedup_table, self.story_table, self.decision_table, self.route_table):
            table.on_recover(self._forget_pipelines)
        self.app.agent(self.raw, name="normalise")(self._normalise_agent)
        self.app.agent(self.normalised, name="decide")(self._decide_agent)
        self.app.agent(self.commands, name="commands")(self._commands_agent)
        # Faust's own sensors go on our registry, under their own prefix, at the same /metrics.
        self.app.monitor = PrometheusMonitor(
            metrics=FaustMetrics.create(self.registry, FAUST_PREFIX)
        )
        self.app.timer(LAG_EVERY_SECONDS)(self._report_lag)
        self.contact = BrokerContact(BrokerMetrics(self.registry))
        self.app.timer(CONTACT_EVERY_SECONDS)(self._probe_broker)
        # With the broker away the Kafka clients logged ~75 ERROR lines a second.
        self.repeats = RepeatFilter()
        collapse_repeats(self.repeats)
        self.app.timer(CONTACT_EVERY_SECONDS)(self._summarise_repeats)
        mount_metrics(self.app, self.registry)
        mount_stories(self.app, self._latest_stories)

    async def _report_lag(self) -> None:
        monitor = self.app.monitor
        ends, committed = self._assigned_offsets()
        self.metrics.record_lags(
            {**ends, **monitor.tp_end_offsets}, {**committed, **monitor.tp_committed_offsets}
        )
        self.metrics.set_live_stories(self._live_stories())

    async def _probe_broker(self) -> None:
        await probe_broker(self.app.producer, self.contact)

    async def _summarise_repeats(self) -> None:
        self.repeats.flush()

    def _live_stories(self) -> int:
        """Live stories: each made pipeline keeps its count; a shard whose pipeline is not
        made yet (made on its first event: after a restart on a quiet feed, not at all) is
        counted in the table, once per recovery and by keys only (every 10 s, a scan of a
        RocksDB table stalls the event loop for ~1 s per few 100k keys)."""
        if self._stories_at_recovery is None:
            mine = self._held_here()
            self._stories_at_recovery = Counter(
                shard
                for shard, key in shard_keys(self.story_table)
                if key.startswith(STORY) and mine(shard)
            )
        made = self._pipelines.made()
        waiting = self._stories_at_recovery
        return sum(p.stories.live for p in made.values()) + sum(
            count for shard, count in waiting.items() if shard not in made
        )

    def _latest_stories(self, limit: int) -> list[dict[str, Any]]:
        mine = self._held_here()
        entries = shard_entries(self.story_table, STORY)
        return latest_stories(((s, k, v) for s, k, v in entries if mine(s)), limit)

    def _held_here(self) -> Callable[[str], bool]:
        """Which shards this worker processes now. The RocksDB store lists only the active
        partitions' keys; the in-memory store lists standby ones too (two workers each
        listed and counted the other's stories)."""
        if self.settings.table_store != "memory":
            return lambda shard: True
        topics = self.settings.topics
        actives = self.app.assignor.assigned_actives()
        mine = [tp.partition for tp in actives if tp.topic == topics.normalised]
        return held_here(mine, topics.normalised_partitions)

    def _assigned_offsets(self) -> tuple[dict[Any, int], dict[Any, int]]:
        """End and committed offsets of the input partitions assigned, as the consumer knows
        them. Faust's monitor learns end offsets only from records read and forgets its
        commits at every rebalance until this worker commits again: a worker stuck right
        after a restart exported no lag at all, and the lag alert could not fire. A
        partition the group never committed counts from 0 (every message in it waits)."""
        consumer = self.app.consumer
        topics = self.settings.topics
        inputs = {topics.raw, topics.normalised, topics.commands}
        # Faust's own map (faust-streaming 0.15), set at assignment and at each commit.
        known: Mapping[Any, int | None] = getattr(consumer, "_committed_offset", {})
        ends: dict[Any, int] = {}
        committed: dict[Any, int] = {}
        for tp in consumer.assignment():
            if tp.topic not in inputs:
                continue
            committed[tp] = known.get(tp) or 0
            end = consumer.highwater(tp)
            if end is not None and end >= 0:
                ends[tp] = end
        return ends, committed

    async def _forget_pipelines(self) -> None:
        # Partitions moved or state was restored: derived caches are rebuilt lazily.
        self._pipelines.clear()
        self._routes.clear()
        self._stories_at_recovery = None

    def _make_pipeline(self, shard: str) -> Pipeline:
        return Pipeline(
            ShardView(self.dedup_table, shard),
            ShardView(self.story_table, shard),
            ShardView(self.decision_table, shard),
            self.config.for_shard(shard),
            clock=time.perf_counter,
        )

    def pipeline(self, shard: str) -> Pipeline:
        return self._pipelines(shard)

    def routes(self, partition: int) -> Routes:
        """The routes of one wire.raw partition's feeds. Their entries are behind the
        partition's prefix: written while processing that partition's events, they live in
        its changelog partition, and eviction, which deletes them while processing any of its
        events, writes its tombstones there too."""
        routes = self._routes.get(partition)
        if routes is None:
            view = ShardView(self.route_table, str(partition))
            routes = self._routes[partition] = self.config.routes(view)
        return routes

    async def _dead_letter(
        self, event: EventT[bytes], reason: str, detail: str, *, again: bool = False
    ) -> Awaitable[Any]:
        message = event.message
        where = origin(message.topic, message.partition, message.offset)
        payload = message.value if isinstance(message.value, bytes) else None
        if not again:  # a letter sent again is one reject, counted once
            self.metrics.rejected(reason)
        log.warning("dead letter %s at %s: %s", reason, where, detail)
        return await self.dlq.send(
            key=message.key,
            value=dead_letter(payload, reason, detail, where, self.settings.dlq_payload_limit),
        )

    async def _dead_letter_surely(self, event: EventT[bytes], detail: str) -> None:
        """Dead-letter an event whose outputs the broker refused, trying again a few times
        (the refusal is often a broker briefly away); raises if the broker never takes it."""
        reason = RejectReason.INTERNAL_ERROR.value
        for attempt in range(DEAD_LETTER_ATTEMPTS):
            try:
                await (await self._dead_letter(event, reason, detail, again=attempt > 0))
                return
            except Exception:
                if attempt == DEAD_LETTER_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(DEAD_LETTER_BACKOFF_SECONDS * 2**attempt)

    async def _in_batches(
        self,
        stream: StreamT[bytes],
        process: Process,
        agent: str,
    ) -> None:
        """Process events one by one but wait for the broker once per batch, and ack each
        event only after the broker has acknowledged all it produced.

        Faust's producer buffer can drop messages at shutdown after their input offsets were
        committed, and Faust acks the current event when a stopping worker cancels its
        agents: acks are manual here. A batch is flushed when it is full, when no more
        events are waiting (so a quiet stream adds no latency), after BATCH_MAX_SECONDS at
        the latest, and when the agent stops. While outputs wait for the broker, the
        agent's `wirefeed_outputs_retrying_*` gauges say how many events, and since when.
        """
        manual: StreamT[bytes] = cast("faust.Stream[bytes]", stream).noack()
        # Each event with its outcome and its context (Faust's current event: table writes
        # go to its partition), for recording the outcome and for processing it again.
        pending: list[Taken] = []
        in_order = asyncio.Lock()  # batches are acked in the order they were taken

        async def step(event: EventT[bytes]) -> None:
            context = contextvars.copy_context()
            pending.append((event, await process(event, False), context))

        async def flush() -> None:
            async with in_order:
                await flush_taken(pending[:])

        async def again(away: list[tuple[Taken, Exception]]) -> list[Taken]:
            """The events whose outputs the broker did not acknowledge for want of a broker,
            processed again (a redelivery: what was taken is not sent twice) once it may be
            back; a dead letter would need `wirefeed dlq replay` by hand. Processed again, an
            event is not counted again (received, rejected, its stage's time)."""
            offsets = [taken[0].message.offset for taken, _ in away]
            log.warning(
                "outputs of %d events (offsets %s) not acknowledged, the broker away: %r;"
                " processed again in %.0f s",
                len(away),
                ", ".join(map(str, offsets[:10])) + (", ..." if len(offsets) > 10 else ""),
                away[0][1],
                REDO_SECONDS,
            )
            await asyncio.sleep(REDO_SECONDS)
            redone: list[Taken] = []
            for (event, _, context), _ in away:
                outcome = await asyncio.create_task(process(event, True), context=context)
                redone.append((event, outcome, context))
            return redone

        async def flush_taken(batch: list[Taken]) -> None:
            del pending[: len(batch)]
            sent_at = time.time()
            # Every event of the batch is settled and recorded before any letter is sent: a
            # letter the broker refuses (an outage refuses outputs and letters alike) must
            # not leave the rest of the batch unrecorded, their ids "in flight" for good, so
            # that a redelivery in this process would be skipped and acked, and lost.
            recorded, away, refusals, failure = await _settle_all(batch)
            try:
                while away:  # not acked meanwhile: a stopping worker reads them again
                    self.metrics.retrying(agent, len(away), sent_at)
                    more_recorded, away, more_refusals, more_failure = await _settle_all(
                        await again(away)
                    )
                    recorded = recorded or more_recorded
                    refusals += more_refusals
                    failure = failure or more_failure
            finally:
                self.metrics.retrying(agent, 0, None)
            if recorded:
                # Hand the table writes to the client now: Faust's own buffer may drop what it
                # still holds at shutdown, and a lost "emitted" mark would publish again.
                await self.app.producer.buffer.flush()
            # The batch's table writes on the broker before its events are acked: Faust sends
            # them without waiting and dropped those the client gave up on in an outage, while
            # the offsets past them were committed (a worker taking the partitions over from
            # the changelogs did not know those articles).
            await self.changelog.settled()
            unacked: set[int] = set()
            for event, refused in refusals:  # keep the input, say why
                log.error("output not acknowledged at offset %s: %r", event.message.offset, refused)
                try:
                    await self._dead_letter_surely(event, repr(refused))
                except Exception as exc:
                    # Not acked: the input is read again after a restart or a rebalance, and
                    # the stuck commit shows as consumer lag meanwhile.
                    log.critical(
                        "offset %s neither published nor dead-lettered: %r",
                        event.message.offset,
                        exc,
                    )
                    unacked.add(id(event))
                    failure = failure or exc
            for event, _, _ in batch:
                if id(event) not in unacked:
                    await manual.ack(event)
            if failure is not None:
                raise failure

        # A flush of the ticker's that failed: raised by the agent's own loop (the ticker's
        # task died with it unseen, and the agent went on without timed flushes).
        ticked: list[BaseException] = []

        async def tick() -> None:
            while True:
                await asyncio.sleep(BATCH_MAX_SECONDS)
                if pending:
                    try:
                        await finish(flush())
                    except Exception as exc:
                        ticked.append(exc)
                        return

        ticker = asyncio.ensure_future(tick())
        try:
            async for event in manual.events():
                if ticked:
                    raise ticked[0]
                await finish(step(event))
                if len(pending) >= BATCH_MAX_EVENTS or _nothing_waiting(manual):
                    await finish(flush())
        finally:
            ticker.cancel()
            # Stopping (cancelled, or the stream ended): what was processed is finished first.
            await finish(flush())
        if ticked:
            raise ticked[0]

    async def _normalise_agent(self, stream: StreamT[bytes]) -> None:
        await self._in_batches(stream, self._normalise, "normalise")

    async def _normalise(self, event: EventT[bytes], again: bool = False) -> Outcome:
        """Normalise a raw record; `again`: the same event processed again (its outputs were
        not acknowledged for want of a broker), counted the first time only."""
        message = event.message
        payload: bytes = message.value if isinstance(message.value, bytes) else b""
        received = arrival(message, time.time())
        started = time.perf_counter()
        record: dict[str, Any] = {}
        try:
            record = parse_record(payload, max_bytes=self.settings.max_article_bytes)
            article = normalise_article(record)
            routes = self.routes(message.partition)
            article = routes.route(record, article, feed_of(message.key), received)
        except Rejected as exc:
            if not again:
                self._count_received(record, None, len(payload), received)
            return [await self._dead_letter(event, exc.reason.value, exc.detail, again=again)], None
        except Exception as exc:  # a bug must not stop the feed: keep the input, say why
            log.exception("normalise failed at offset %s", message.offset)
            if not again:
                self._count_received(record, None, len(payload), received)
            reason = RejectReason.INTERNAL_ERROR.value
            return [await self._dead_letter(event, reason, repr(exc), again=again)], None
        if not again:
            self.metrics.observe_stage("normalise", time.perf_counter() - started)
            self._count_received(record, article.source, len(payload), received)
            if article.firstcreated is not None:
                self.metrics.observe_wire_latency(max(0.0, received - article.firstcreated))
        where = origin(message.topic, message.partition, message.offset)
        try:
            sent = await self.normalised.send(
                key=shard_of(article).encode(),
                value=normalised_record(article, received, where),
            )
        except Exception as exc:  # refused by the producer (too large): keep the input
            log.exception("normalised record not sent for offset %s", message.offset)
            reason = RejectReason.INTERNAL_ERROR.value
            return [await self._dead_letter(event, reason, repr(exc), again=again)], None
        return [sent], None

    def _count_received(
        self, record: dict[str, Any], source: str | None, size: int, received: float
    ) -> None:
        fmt = record.get("format")
        self.metrics.received(source, fmt if isinstance(fmt, str) else "json", size)
        if source is not None:
            self.metrics.source_seen(source, received)

    async def _commands_agent(self, stream: StreamT[bytes]) -> None:
        await self._in_batches(stream, self._forward_command, "commands")

    async def _forward_command(self, event: EventT[bytes], again: bool = False) -> Outcome:
        """An editor's command goes to the decide agent by way of its shard's partition, so
        that it is applied to that shard's tables in order with the shard's articles."""
        message = event.message
        payload: bytes = message.value if isinstance(message.value, bytes) else b""
        try:
            command = StoryCommand.from_dict(
                parse_record(payload, max_bytes=self.settings.max_article_bytes)
            )
        except Rejected as exc:
            return [await self._dead_letter(event, exc.reason.value, exc.detail, again=again)], None
        where = origin(message.topic, message.partition, message.offset)
        received = arrival(message, time.time())
        value = encode({"command": command.to_dict(), "received": received, "origin": where})
        return [await _send(self.normalised, command.shard.encode(), value)], None

    async def _decide_agent(self, stream: StreamT[bytes]) -> None:
        await self._in_batches(stream, self._decide_event, "decide")

    async def _decide_event(self, event: EventT[bytes], again: bool = False) -> Outcome:
        value = event.message.value
        command: StoryCommand | None = None
        try:
            record = decode(value if isinstance(value, bytes) else b"")
            received = float(record["received"])
            if "command" in record:
                command = StoryCommand.from_dict(record["command"])
            else:
                article = Article.from_dict(record["article"])
        except Rejected as exc:
            return [await self._dead_letter(event, exc.reason.value, exc.detail, again=again)], None
        except Exception as exc:  # not ours: dead-letter it rather than stop the agent
            reason = RejectReason.BAD_FORMAT.value
            return [await self._dead_letter(event, reason, repr(exc), again=again)], None
        try:
            if command is not None:
                return await self._correct(event, command, received)
            return await self._decide(article, received)
        except Exception as exc:  # a bug must not stop the feed: keep the input, say why
            log.exception("decide failed at offset %s", event.message.offset)
            reason = RejectReason.INTERNAL_ERROR.value
            return [await self._dead_letter(event, reason, repr(exc), again=again)], None

    async def _correct(
        self, event: EventT[bytes], command: StoryCommand, received: float
    ) -> Outcome:
        """Apply an editor's command to its shard and publish the story event it makes; a
        command that cannot apply is dead-lettered with the reason. Either is published once:
        seen again (a redelivery), a command sends nothing if its event or letter is known to
        be on the broker, else the same again (a refused one stays refused: the pipeline
        remembers it)."""
        pipeline = self.pipeline(command.shard)
        stories = pipeline.stories
        outcome: Correction | Rejected
        try:
            outcome, replay = pipeline.correct(command, received)
        except Rejected as exc:
            outcome, replay = exc, exc.again
        # In flight under its own key: article ids and command ids may look alike.
        key = ("command", command.id)
        if replay and (stories.command_published(command.id) or key in self._in_flight):
            return [], None
        self._in_flight.add(key)
        try:
            if isinstance(outcome, Rejected):
                reason = outcome.reason.value
                sent = await self._dead_letter(event, reason, outcome.detail, again=replay)
            else:
                record = correction_record(outcome, time.time())
                sent = await _send(self.stories, outcome.story_id.encode(), record)
        except BaseException:
            self._in_flight.discard(key)
            raise

        def published(taken: list[bool]) -> None:
            self._in_flight.discard(key)
            if all(taken):
                stories.mark_command_published(command.id)
                if isinstance(outcome, Correction):
                    self.metrics.story_event(outcome.event)

        return [sent], published

    async def _decide(self, article: Article, received: float) -> Outcome:
        shard = shard_of(article)
        pipeline = self.pipeline(shard)
        # The clock of the horizons is arrival (the broker's time); the article's own
        # publication time is a feature the stages weigh, not the clock.
        decision, replay = pipeline.decide(article, received)
        # Another text under a known id is decided under an id of its own (Pipeline.decide).
        article = decision.article
        if not replay:
            for stage, seconds in pipeline.timings.items():
                self.metrics.observe_stage(stage, seconds)
        memo = pipeline.decisions.get(article.id) or {}
        if replay and (memo.get("emitted") or article.id in self._in_flight):
            return [], None  # a redelivery of an article published: publish nothing twice
        # Outputs the broker took before it refused another (the letter now replayed).
        before = frozenset(memo.get("taken", ()))
        self._in_flight.add(article.id)
        try:
            sent = await self._emit(decision, received, before)
        except BaseException:
            self._in_flight.discard(article.id)  # a redelivery or a replayed letter emits it
            raise

        def published(taken: list[bool]) -> None:
            # Settled either way: if the broker refused an output, the article is dead-
            # lettered and, replayed, must be emitted (not taken for one in flight), but
            # only what the broker did not take.
            self._in_flight.discard(article.id)
            now_taken = before | {name for (name, _), ok in zip(sent, taken, strict=True) if ok}
            if not all(taken):
                if now_taken != before:
                    pipeline.mark_taken(article.id, memo, now_taken)
                return
            pipeline.mark_emitted(article.id, memo, received)
            self.metrics.decided(decision.dedup.kind)
            self.metrics.story_event(decision.story.event)
            self.metrics.observe_end_to_end(max(0.0, time.time() - received))

        return [future for _, future in sent], published

    async def _emit(
        self, decision: Decision, received: float, skip: frozenset[str]
    ) -> list[tuple[str, Awaitable[Any]]]:
        """Send a decision's outputs, named ("article": the article or duplicate record;
        "story"), except those in `skip`. The article is marked published only once the
        broker has acknowledged all of them."""
        decided = time.time()
        story_key = decision.story.story_id.encode()
        sent: list[tuple[str, Awaitable[Any]]] = []
        if "article" not in skip:
            if decision.dedup.is_duplicate:
                original = (decision.dedup.duplicate_of or "").encode()
                record = duplicate_record(decision, received, decided)
                sent.append(("article", await _send(self.duplicates, original, record)))
            else:
                record = article_record(decision, received, decided)
                sent.append(("article", await _send(self.articles, story_key, record)))
        if "story" not in skip:
            record = story_record(decision, decided)
            sent.append(("story", await _send(self.stories, story_key, record)))
        return sent


async def probe_broker(
    producer: Any, contact: BrokerContact, wait_seconds: float = CONTACT_EVERY_SECONDS
) -> None:
    """Ask the broker for its metadata over the producer's client (faust-streaming 0.15's
    aiokafka producer), and tell `contact` whether it answered. Nothing else does so on a
    schedule: the lag gauge reads offsets the consumer already knows, and kept its last
    value through an outage. A producer not started yet tells nothing."""
    try:
        client = producer._ensure_producer().client
    except NotReady:
        return
    try:
        async with asyncio.timeout(wait_seconds):
            await client.fetch_all_metadata()
    except Exception as exc:  # aiokafka's KafkaError, or the wait's TimeoutError
        contact.missed(exc)
    else:
        contact.reached()


def arrival(message: Any, now: float) -> float:
    """When a record arrived: the broker's clock when it appended it (the input topics are
    made with LogAppendTime); on a topic made otherwise, whose producers stamp their own
    records, the worker's clock now. A producer's stamp may be days old (a backfill, a
    mirror, a wrong clock) and, taken as the clock, would age the tables' horizons: one
    record stamped six days back had its state evicted, and its exact copy published."""
    if message.timestamp_type == LOG_APPEND_TIME and message.timestamp is not None:
        return min(float(message.timestamp), now)
    return now


def feed_of(key: bytes | None) -> str | None:
    """A raw record's partition key as the routes keep it (`intake.partition_key`): its
    text, or its bytes in hex if they are not UTF-8 (another producer's)."""
    if not key:
        return None
    try:
        return key.decode()
    except UnicodeDecodeError:
        return "0x" + key.hex()


def _nothing_waiting(stream: StreamT[bytes]) -> bool:
    """No event is buffered for this agent: a good moment to wait for the broker."""
    queue = getattr(stream.channel, "queue", None)
    return queue is None or bool(queue.empty())


def create_worker(settings: Settings | None = None) -> Worker:
    return Worker(settings or get_settings())


# Python's names for levels Faust's command line spells its own way (it refuses these).
_FAUST_LEVELS = {"warning": "warn", "critical": "crit", "fatal": "crit"}


def faust_loglevel(level: str) -> str:
    """The level as Faust's command line takes it (`warning` -> `warn`)."""
    level = level.strip().lower()
    return _FAUST_LEVELS.get(level, level)


def run_worker(loglevel: str = "warn") -> None:
    """Run the worker in the foreground until SIGTERM/SIGINT (Faust shuts down cleanly)."""
    worker = create_worker()
    # Faust's own command line handles signals, graceful shutdown and the final commit.
    sys.argv = [sys.argv[0], "worker", f"--loglevel={faust_loglevel(loglevel)}"]
    start_watchdog(worker.app)  # a crashed worker that stays up is ended
    worker.app.main()
