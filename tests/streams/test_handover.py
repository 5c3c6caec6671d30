"""Partitions handed over between workers: state moves with them through the changelogs."""

from __future__ import annotations

import signal
import time
import urllib.request
from collections import Counter
from pathlib import Path

import orjson
import pytest

from service.metrics import summary_from_exposition
from service.producers.kafka import RawProducer
from service.settings import Settings
from service.streams.app import LAG_EVERY_SECONDS
from tests.conftest import WorkerProcess, free_port, read_topics
from tests.pipeline.test_route import FED, FLASH
from tests.streams.test_end_to_end import _corpus

pytestmark = pytest.mark.kafka

# Logged by a worker once a rebalance is over (its tables recovered, its streams resumed).
REBALANCED = "Recovery]: Worker ready"
FEEDS = ("feed-a", "feed-b", "feed-c")
# One-line flashes the language model cannot tell (`und`), each from a feed of its own with
# no language yet, and their next versions, in English: sent after the handover, a version
# goes where its flash went only if the routes table came over with the partition.
FLASHES = {
    FLASH: FED,
    "BULLETIN -- ECB raises rates 25 bp": (
        "The European Central Bank raised its deposit rate by a quarter point to 3.75 percent "
        "on Thursday, its tenth increase in a row, and said future decisions would depend on "
        "the data."
    ),
    "BULLETIN -- RBA raises rates 25 bp": (
        "Australia's central bank lifted its cash rate by 25 basis points to 4.35 percent on "
        "Tuesday after inflation proved stickier than expected, Governor Michele Bullock said."
    ),
    "BULLETIN -- Riksbank cuts 25 bp": (
        "Sweden's Riksbank cut its policy rate by a quarter point to 3.5 percent on Wednesday, "
        "saying inflation had come down faster than expected and the krona had strengthened."
    ),
}


def _log_tail(worker: WorkerProcess, size: int = 6000) -> str:
    """The end of a worker's log; a live worker first dumps its asyncio tasks there (mode
    does on SIGUSR1), which shows where it waits."""
    if worker.process is not None and worker.process.poll() is None:
        worker.process.send_signal(signal.SIGUSR1)
        time.sleep(1.0)
    return f"--- {worker.log.name} ---\n{worker.log.read_text(errors='replace')[-size:]}"


def _wait_rebalanced(worker: WorkerProcess, times: int, timeout: float = 90.0) -> None:
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
    flashes = [
        {"id": f"flash-{n}", "uri": f"urn:flash:{n}", "text": text, "source": f"desk-{n}"}
        for n, text in enumerate(FLASHES)
    ]
    versions = [
        {**flash, "id": f"{flash['id']}-v2", "version": 2, "text": FLASHES[flash["text"]]}
        for flash in flashes
    ]
    stream += flashes + versions
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
            for record in flashes:
                producer.send(record, feed=record["source"])
        expected = len(originals) + len(flashes)
        decided = read_topics(settings, [settings.topics.articles], expected)
        assert len(decided) == expected, _log_tail(first)

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
            for record in versions:
                producer.send(record, feed=record["source"])
        topics = [settings.topics.articles, settings.topics.duplicates]
        found = read_topics(settings, topics, len(stream), timeout=120.0, settle=2.0)
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
    for record in originals + flashes + versions:
        assert out[record["id"]]["topic"] == settings.topics.articles
    for record in resends:
        decision = out[record["id"]]
        assert decision["topic"] == settings.topics.duplicates
        assert decision["duplicate_of"] == record["id"].removesuffix("-resend")
    for flash, version in zip(flashes, versions, strict=True):
        decision = out[version["id"]]
        assert (decision["kind"], decision["supersedes"]) == ("version", flash["id"])
        assert decision["article"]["language"] == out[flash["id"]]["article"]["language"]
    assert read_topics(settings, [settings.topics.dlq], 1, timeout=2.0) == []


LANGUAGES = ("en", "fr", "de", "es", "it", "pl", "tr", "ru")


def _live_stories(worker: WorkerProcess) -> set[str]:
    url = f"http://{worker.settings.web_host}:{worker.settings.web_port}/stories?limit=1000"
    with urllib.request.urlopen(url, timeout=10) as response:
        return {entry["story"] for entry in orjson.loads(response.read())}


def _live_gauge(worker: WorkerProcess) -> float:
    return float(summary_from_exposition(worker.metrics())["live_stories"])


def test_two_in_memory_workers_each_list_and_count_only_their_own_stories(
    service_settings: Settings, tmp_path: Path
) -> None:
    # The in-memory store keeps the partitions a worker gave up (and the standby ones it
    # replicates) in the same mapping as its own: the first worker listed and counted the
    # stories of the shards it handed over too.
    settings = service_settings.model_copy(update={"table_store": "memory"})
    first = WorkerProcess(settings, tmp_path / "a.log")
    second = WorkerProcess(
        settings.model_copy(
            update={"web_port": free_port(), "worker_data_dir": tmp_path / "worker-b"}
        ),
        tmp_path / "b.log",
    )
    stream = [
        {**record, "language": LANGUAGES[n % len(LANGUAGES)]}
        for n, record in enumerate(_corpus(40, seed=5))
        if not record["id"].endswith("-resend")
    ]
    half = len(stream) // 2
    try:
        first.start()
        _wait_rebalanced(first, 1)
        with RawProducer(settings) as producer:
            for n, record in enumerate(stream[:half]):
                producer.send(record, feed=FEEDS[n % len(FEEDS)])
        assert len(read_topics(settings, [settings.topics.stories], half)) == half
        # The second worker takes over some shards; the first keeps their tables in memory.
        second.start()
        _wait_rebalanced(second, 1)
        _wait_rebalanced(first, 2)
        with RawProducer(settings) as producer:
            for n, record in enumerate(stream[half:]):
                producer.send(record, feed=FEEDS[n % len(FEEDS)])
        events = read_topics(settings, [settings.topics.stories], len(stream), settle=2.0)
        created = {record["story"] for _, record in events if record["event"] == "created"}
        assert len(created) == len(stream)  # distinct articles: a story each

        listed = [_live_stories(first), _live_stories(second)]
        assert all(listed), "both workers hold some of the shards"
        assert listed[0] & listed[1] == set()
        assert listed[0] | listed[1] == created
        # The gauge is refreshed on a timer (every LAG_EVERY_SECONDS, later on a busy
        # machine): wait until both show their worker's listing.
        expected = (len(listed[0]), len(listed[1]))
        deadline = time.monotonic() + 4 * LAG_EVERY_SECONDS + 20
        while (gauges := (_live_gauge(first), _live_gauge(second))) != expected:
            assert time.monotonic() < deadline, f"live-stories gauges {gauges}, listed {expected}"
            time.sleep(1)
    finally:
        for worker in (first, second):
            if worker.process is not None and worker.process.poll() is None:
                worker.stop()
