"""Partitions handed over between workers: state moves with them through the changelogs."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from service.producers.kafka import RawProducer
from service.settings import Settings
from tests.conftest import WorkerProcess, free_port, read_topics
from tests.streams.test_end_to_end import _corpus

pytestmark = pytest.mark.kafka

# Logged by a worker once a rebalance is over (its tables recovered, its streams resumed).
REBALANCED = "Recovery]: Worker ready"
FEEDS = ("feed-a", "feed-b", "feed-c")


def _log_tail(worker: WorkerProcess, size: int = 6000) -> str:
    """The end of a worker's log; a live worker first dumps its asyncio tasks there (mode
    does on SIGUSR1), which shows where it waits."""
    if worker.process is not None and worker.process.poll() is None:
        worker.process.send_signal(signal.SIGUSR1)
        time.sleep(1.0)
    return f"--- {worker.log.name} ---\n{worker.log.read_text(errors='replace')[-size:]}"


def _wait_rebalanced(worker: WorkerProcess, times: int, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.log.read_text(errors="replace").count(REBALANCED) >= times:
            return
        time.sleep(0.2)
    pytest.fail(f"{worker.log.name}: rebalance #{times} not over\n{_log_tail(worker)}")


def test_worker_taking_over_partitions_links_copies_to_originals(
    service_settings: Settings, tmp_path: Path
) -> None:
    settings = service_settings
    stream = _corpus(60, seed=11)
    originals = [record for record in stream if not record["id"].endswith("-resend")]
    resends = [record for record in stream if record["id"].endswith("-resend")]
    first = WorkerProcess(settings, tmp_path / "a.log")
    second = WorkerProcess(
        settings.model_copy(
            update={"web_port": free_port(), "worker_data_dir": tmp_path / "worker-b"}
        ),
        tmp_path / "b.log",
    )
    try:
        first.start()
        _wait_rebalanced(first, 1)
        with RawProducer(settings) as producer:
            for n, record in enumerate(originals):
                producer.send(record, feed=FEEDS[n % len(FEEDS)])
        decided = read_topics(settings, [settings.topics.articles], len(originals))
        assert len(decided) == len(originals), _log_tail(first)

        # Rebalance 1: the second worker joins and recovers its share from the changelogs.
        second.start()
        _wait_rebalanced(second, 1)
        _wait_rebalanced(first, 2)
        # Rebalance 2: the first worker leaves; the second recovers the first one's share.
        assert first.stop(signal.SIGTERM) == 0
        _wait_rebalanced(second, 2)

        with RawProducer(settings) as producer:
            for n, record in enumerate(resends):
                producer.send(record, feed=FEEDS[n % len(FEEDS)])
        topics = [settings.topics.articles, settings.topics.duplicates]
        found = read_topics(settings, topics, len(stream), timeout=30.0, settle=2.0)
        if len(found) < len(stream):
            pytest.fail(f"{len(found)} of {len(stream)} decided\n{_log_tail(second)}")
    finally:
        for worker in (first, second):
            if worker.process is not None and worker.process.poll() is None:
                worker.stop()

    ids = Counter(record["id"] for _, record in found)
    assert [i for i, n in ids.items() if n > 1] == [], "an article was published twice"
    out = {record["id"]: {"topic": topic, **record} for topic, record in found}
    assert sorted(out) == sorted(record["id"] for record in stream)
    for record in originals:
        assert out[record["id"]]["topic"] == settings.topics.articles
    for record in resends:
        decision = out[record["id"]]
        assert decision["topic"] == settings.topics.duplicates
        assert decision["duplicate_of"] == record["id"].removesuffix("-resend")
    assert read_topics(settings, [settings.topics.dlq], 1, timeout=2.0) == []
