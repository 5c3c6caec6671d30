"""The worker's clock of arrival, its routes table, and its command line's log levels."""

from __future__ import annotations

import inspect
from pathlib import Path
from types import SimpleNamespace

import pytest
from faust.cli.base import LOGLEVELS

from service.cli import worker
from service.pipeline.cluster import CueRules
from service.settings import Settings, TopicSettings
from service.streams.app import LOG_APPEND_TIME, Worker, arrival, faust_loglevel, feed_of

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


def test_each_shard_decides_with_its_languages_cue_rules(tmp_path: Path) -> None:
    made = Worker(Settings(web_port=36097, worker_data_dir=tmp_path))
    assert made.pipeline("ru").stories.config.cues == CueRules(prefix=5)
    assert made.pipeline("de").stories.config.cues == CueRules(members=False)
    assert made.pipeline("en").stories.config == made.config.story
