"""The worker's clock of arrival, its routes table, its command line's log levels, and its
probe of the broker."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiokafka.errors import KafkaError
from faust.cli.base import LOGLEVELS
from faust.exceptions import NotReady
from prometheus_client import CollectorRegistry

from service.cli import worker
from service.contact import BrokerContact
from service.metrics import BrokerMetrics
from service.pipeline.cluster import CueRules
from service.settings import Settings, TopicSettings
from service.streams.app import (
    LOG_APPEND_TIME,
    Worker,
    arrival,
    faust_loglevel,
    feed_of,
    probe_broker,
)

NOW = 1_750_000_000.0
SIX_DAYS = 6 * 24 * 3600.0


def test_arrival_is_the_brokers_append_time() -> None:
    appended = SimpleNamespace(timestamp=NOW - 2.5, timestamp_type=LOG_APPEND_TIME)
    assert arrival(appended, NOW) == NOW - 2.5


def test_a_producers_stamp_is_never_the_clock() -> None:
    # A backfill or a mirror keeps its records' old stamps: taken as the clock, one such
    # record would age the tables' horizons by days.
    stamped = SimpleNamespace(timestamp=NOW - SIX_DAYS, timestamp_type=0)
    assert arrival(stamped, NOW) == NOW
    unstamped = SimpleNamespace(timestamp=None, timestamp_type=LOG_APPEND_TIME)
    assert arrival(unstamped, NOW) == NOW


def test_a_broker_clock_ahead_of_the_workers_does_not_date_arrivals_in_the_future() -> None:
    ahead = SimpleNamespace(timestamp=NOW + 30.0, timestamp_type=LOG_APPEND_TIME)
    assert arrival(ahead, NOW) == NOW


def test_the_default_log_level_is_one_faust_takes() -> None:
    default = inspect.signature(worker).parameters["loglevel"].default
    assert faust_loglevel(default).upper() in LOGLEVELS


@pytest.mark.parametrize("level", ["warning", "WARNING", "critical", "info", "debug", "error"])
def test_python_level_names_are_given_to_faust_as_its_own(level: str) -> None:
    assert faust_loglevel(level).upper() in LOGLEVELS


def test_the_routes_table_is_partitioned_like_the_raw_topic_that_feeds_it(tmp_path: Path) -> None:
    # Faust writes a table's changelog to the partition of the event being processed: the
    # routes are written by the normalise agent (wire.raw), the other tables by decide.
    topics = TopicSettings(raw_partitions=3, normalised_partitions=5)
    settings = Settings(topics=topics, web_port=36097, worker_data_dir=tmp_path)
    made = Worker(settings)
    assert made.route_table.partitions == 3
    assert made.decision_table.partitions == 5
    changelogs = settings.changelog_topics()
    for table in (made.route_table, made.dedup_table, made.story_table, made.decision_table):
        assert changelogs[table._changelog_topic_name()] == table.partitions


def test_a_raw_key_is_the_routes_feed() -> None:
    assert feed_of(b"feed:https://example.org/rss") == "feed:https://example.org/rss"
    assert feed_of(b"\xff\x00") == "0xff00"  # another producer's bytes
    assert feed_of(None) is None
    assert feed_of(b"") is None


class MetadataClient:
    """aiokafka's client as the probe uses it: metadata, or the error of a broker away."""

    def __init__(self) -> None:
        self.down = False
        self.hangs = False

    async def fetch_all_metadata(self) -> object:
        if self.hangs:
            await asyncio.sleep(3600)
        if self.down:
            raise KafkaError("Unable to get cluster metadata over all known brokers")
        return object()


class StartedProducer:
    """Faust's producer once started: `_ensure_producer()` is aiokafka's, with its client."""

    def __init__(self, client: MetadataClient) -> None:
        self.client = client

    def _ensure_producer(self) -> StartedProducer:
        return self


class UnstartedProducer:
    def _ensure_producer(self) -> object:
        raise NotReady("Producer service not yet started")


async def test_the_broker_probe_sets_the_gauges_and_logs_only_the_changes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Review: with the broker down no metric said so (counters froze, the lag gauge kept its
    last value); the first alert came 15-25 minutes later."""
    registry = CollectorRegistry()
    clock = iter(float(t) for t in range(1000, 2000, 10))
    contact = BrokerContact(BrokerMetrics(registry), clock=lambda: next(clock))

    def sample(name: str) -> float | None:
        return registry.get_sample_value(f"wirefeed_broker_{name}")

    assert (sample("unreachable"), sample("last_contact_timestamp_seconds")) == (0, 0)
    await probe_broker(UnstartedProducer(), contact)  # not started: nothing known yet
    assert (sample("unreachable"), sample("last_contact_timestamp_seconds")) == (0, 0)
    client = MetadataClient()
    producer = StartedProducer(client)
    await probe_broker(producer, contact)
    assert (sample("unreachable"), sample("last_contact_timestamp_seconds")) == (0, 1000)
    client.down = True
    for _ in range(3):
        await probe_broker(producer, contact)
    client.hangs = True
    await probe_broker(producer, contact, wait_seconds=0.01)  # a broker that does not answer
    assert (sample("unreachable"), sample("last_contact_timestamp_seconds")) == (1, 1000)
    client.down = client.hangs = False
    await probe_broker(producer, contact)
    assert (sample("unreachable"), sample("last_contact_timestamp_seconds")) == (0, 1020)
    lines = [r.getMessage() for r in caplog.records if r.name == "service.contact"]
    assert len(lines) == 2
    assert lines[0].startswith("broker unreachable since 1970-01-01T00:16:50+00:00: ")
    assert lines[1] == (
        "broker reachable again after 10 s (unreachable since 1970-01-01T00:16:50+00:00)"
    )


def test_the_worker_exports_the_broker_gauges(tmp_path: Path) -> None:
    made = Worker(Settings(table_store="memory", web_port=36098, worker_data_dir=tmp_path))
    assert made.registry.get_sample_value("wirefeed_broker_unreachable") == 0
    assert made.registry.get_sample_value("wirefeed_broker_last_contact_timestamp_seconds") == 0


def test_faust_reads_only_its_prefixed_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review: Faust read PRODUCER_REQUEST_TIMEOUT, BROKER_* and some 80 others from the
    environment, unprefixed, over what the worker gave it (README: settings.py was said to be
    the only reader)."""
    monkeypatch.setenv("WEB_PORT", "1")
    monkeypatch.setenv("BROKER_URL", "kafka://elsewhere:1")
    monkeypatch.setenv("PRODUCER_REQUEST_TIMEOUT", "30")
    monkeypatch.setenv("WIRE_FAUST_BROKER_SESSION_TIMEOUT", "45")
    settings = Settings(table_store="memory", web_port=36100, worker_data_dir=tmp_path)
    conf = Worker(settings).app.conf
    assert conf.web_port == 36100
    assert [str(url) for url in conf.broker] == [settings.broker_url]
    assert conf.producer_request_timeout == 1200.0  # Faust's default
    assert conf.broker_session_timeout == 45.0  # how ops tune Faust now


def test_each_shard_decides_with_its_languages_cue_rules(tmp_path: Path) -> None:
    made = Worker(Settings(web_port=36097, worker_data_dir=tmp_path))
    assert made.pipeline("ru").stories.config.cues == CueRules(prefix=5)
    assert made.pipeline("de").stories.config.cues == CueRules(members=False)
    assert made.pipeline("en").stories.config == made.config.story.for_language("en")
    assert made.pipeline("en").stories.config.common["the"] > 0.99
