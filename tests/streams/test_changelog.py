"""A broker outage under a running worker: its table writes still reach the changelogs."""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.localbroker import start_broker, stop_broker
from service.producers.kafka import RawProducer, ensure_topics
from service.settings import Settings
from tests.conftest import WorkerProcess, free_port, read_topics
from tests.streams.test_end_to_end import _corpus

pytestmark = pytest.mark.kafka

# Short, so that the client gives up on what it holds well within the outage (default 1200 s).
PRODUCER_TIMEOUT_SECONDS = 10
OUTAGE_SECONDS = 30.0
# Room in one batch per partition for all the worker writes there while the broker is away.
# At the default (16 KiB) a partition's batch filled in the outage and the next send waited
# for room until the producer timeout: aiokafka's KafkaTimeoutError crashed the worker
# (Faust's ProducerSendError, faust-streaming issue #729), 1 run of 4. Well under the
# topics' record limit (1 MiB at least), which a batch must fit.
PRODUCER_BATCH_BYTES = 512 * 1024
# Articles at least not yet published when the broker stops.
MID_STREAM_MARGIN = 50


class ImpatientWorker(WorkerProcess):
    def env(self) -> dict[str, str]:
        return {
            **super().env(),
            "WIRE_FAUST_PRODUCER_REQUEST_TIMEOUT": str(PRODUCER_TIMEOUT_SECONDS),
            "WIRE_FAUST_PRODUCER_MAX_BATCH_SIZE": str(PRODUCER_BATCH_BYTES),
        }


@pytest.fixture
def own_broker(service_settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """A broker of this test's own, which it stops and starts (not the session's)."""
    settings = service_settings.model_copy(
        update={
            "kafka_port": free_port(),
            "kafka_controller_port": free_port(),
            "kafka_data_dir": tmp_path / "kafka",
        }
    )
    start_broker(settings)
    try:
        ensure_topics(settings)
        yield settings
    finally:
        stop_broker(settings)


def test_a_worker_taking_over_after_an_outage_knows_what_was_decided_during_it(
    own_broker: Settings, tmp_path: Path
) -> None:
    """The broker stopped mid-stream for longer than the producer timeout: the worker's
    changelog writes then in flight were dropped by Faust (its own store kept them, the
    offsets past them were committed), so a worker taking the partitions over from the
    changelogs did not link copies of those articles to them."""
    settings = own_broker
    stream = [record for record in _corpus(400, seed=3) if not record["id"].endswith("-resend")]
    first = ImpatientWorker(settings, tmp_path / "a.log")
    second = ImpatientWorker(
        settings.model_copy(update={"web_port": free_port(), "worker_data_dir": tmp_path / "b"}),
        tmp_path / "b.log",
    )
    topics = [settings.topics.articles, settings.topics.duplicates]
    try:
        first.start()
        with RawProducer(settings) as producer:
            for n, record in enumerate(stream):
                producer.send(record, feed=f"feed-{n % 3}")
            producer.flush()
        assert len(read_topics(settings, [settings.topics.articles], 40)) == 40
        # The worker paused while the broker stops, so that no request of its is cut in the
        # broker: a produce request the broker appended but could not answer before it
        # stopped failed in the client 10 s later, and its event was processed and published
        # again (2 articles twice, 1 run of 4; a non-idempotent producer cannot tell). What
        # the paused worker had sent is answered by then; what it sends after is not.
        assert first.process is not None
        first.process.send_signal(signal.SIGSTOP)
        try:
            time.sleep(1.0)
            # The outage must cut the stream: a worker done with it by now would have no
            # write in flight to lose, and the test would pass on any code.
            before = len(read_topics(settings, topics, len(stream), timeout=3.0))
            print(f"published before the outage: {before} of {len(stream)}")
            assert before <= len(stream) - MID_STREAM_MARGIN, "the outage did not come mid-stream"
            stop_broker(settings)
        finally:
            first.process.send_signal(signal.SIGCONT)
        time.sleep(OUTAGE_SECONDS)
        start_broker(settings)
        decided = read_topics(settings, topics, len(stream), timeout=300.0, settle=3.0)
        assert len({record["id"] for _, record in decided}) == len(stream)
        assert first.stop() == 0
        # Faust's line for each write the client gave up on: the outage did cut some.
        assert re.search(r"_on_published error .*-changelog", first.log.read_text(errors="replace"))

        second.start()  # an empty disk: the tables come from the changelogs alone
        copies = [{**record, "id": f"{record['id']}-again"} for record in stream]
        with RawProducer(settings) as producer:
            for n, record in enumerate(copies):
                producer.send(record, feed=f"feed-{n % 3}")
            producer.flush()
        found = read_topics(settings, topics, 2 * len(stream), timeout=300.0, settle=3.0)
    finally:
        for worker in (first, second):
            if worker.process is not None and worker.process.poll() is None:
                worker.stop()
    out = {record["id"]: (topic, record) for topic, record in found}
    unlinked = [
        record["id"]
        for record in copies
        if out.get(record["id"], ("", {}))[1].get("duplicate_of")
        != record["id"].removesuffix("-again")
    ]
    assert unlinked == [], f"{len(unlinked)} of {len(copies)} copies not linked"
    assert Counter(topic for topic, _ in found)[settings.topics.articles] == len(stream)
