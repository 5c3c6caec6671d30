"""The filter that collapses the Kafka clients' repeated log lines (review: with the broker
away the worker logged ~75 ERROR lines a second, 55 MB an hour)."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from mode.utils.logging import ExtensionFormatter

from service.settings import Settings
from service.streams.app import Worker
from service.streams.repeats import RepeatFilter, collapse_repeats

UNABLE = "Unable connect to node with id %s: %s"
REFUSED = "[Errno 111] Connect call failed ('127.0.0.1', 29092)"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(message: str, *args: object, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord("aiokafka", level, __file__, 1, message, args, None)


def test_the_first_of_a_kind_passes_and_the_rest_of_the_window_is_counted() -> None:
    clock = Clock()
    repeats = RepeatFilter(window=60.0, clock=clock)
    assert repeats.filter(record(UNABLE, 1, REFUSED))
    held = 0
    for _ in range(300):  # 75 a second for 4 s, then on for the rest of the minute
        clock.now += 0.19
        held += not repeats.filter(record(UNABLE, 1, REFUSED))
    assert held == 300
    # Not repeats: another message, the same one at another level, another logger's.
    assert repeats.filter(record("Unable to update metadata from %s", [1]))
    assert repeats.filter(record(UNABLE, 1, REFUSED, level=logging.WARNING))
    other = record(UNABLE, 1, REFUSED)
    other.name = "aiokafka.conn"
    assert repeats.filter(other)
    # Numbers do not make a kind (another node, another port): the same line again.
    assert not repeats.filter(record(UNABLE, 2, REFUSED.replace("29092", "29093")))
    clock.now = 61.0
    after = record(UNABLE, 1, REFUSED)
    assert repeats.filter(after)  # the window is over: one line, with the count
    line = (
        f"Unable connect to node with id 1: {REFUSED} [301 more like it held back in the 61 s"
        " before]"
    )
    assert after.getMessage() == line
    # As the worker's log formats it (mode's formatter: args None was made (None,), and the
    # line failed to format in a real outage).
    formatter = ExtensionFormatter(io.StringIO(), fmt="%(message)s")
    assert formatter.format(after) == line
    assert not repeats.filter(record(UNABLE, 1, REFUSED))  # a new window


def test_debug_lines_take_no_slot_from_the_errors() -> None:
    """A real outage under load: aiokafka's debug lines (hundreds of kinds a minute) took
    every slot, and its ERROR lines then all passed, ~58 a second."""
    repeats = RepeatFilter(window=60.0, clock=Clock(), max_kinds=10)
    for n in range(100):
        debug = record(f"Sending produce request to topic-{'abcdefghij'[n % 10] * n}", level=10)
        assert repeats.filter(debug)
    assert repeats.filter(record(UNABLE, 1, REFUSED))
    assert not repeats.filter(record(UNABLE, 1, REFUSED))


def test_flush_says_how_many_were_held_back_once_their_window_is_over(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    repeats = RepeatFilter(window=60.0, clock=clock)
    assert repeats.filter(record(UNABLE, 1, REFUSED))
    assert repeats.filter(record("Group Coordinator Request failed: %s", "NodeNotReadyError"))
    for _ in range(5):
        clock.now += 1
        assert not repeats.filter(record(UNABLE, 1, REFUSED))
    caplog.set_level(logging.INFO)
    clock.now = 59.0
    repeats.flush()
    assert caplog.records == []  # the window is not over
    clock.now = 60.0
    repeats.flush()
    [summary] = caplog.records
    assert summary.levelno == logging.ERROR
    assert summary.getMessage() == (
        f"aiokafka: 5 more like it held back in 60 s, the last: Unable connect to node"
        f" with id 1: {REFUSED}"
    )
    # Forgotten: the next one (the broker away again an hour later) is a first again.
    assert repeats.filter(record(UNABLE, 1, REFUSED))


def test_the_worker_collapses_aiokafkas_repeats(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    Worker(Settings(table_store="memory", web_port=36099, worker_data_dir=tmp_path))
    try:
        caplog.set_level(logging.WARNING)
        # aiokafka.client logs as "aiokafka"
        for name in ("aiokafka", "aiokafka.consumer.fetcher", "faust.transport.producer"):
            logger = logging.getLogger(name)
            for _ in range(100):
                logger.error("Failed fetch messages from %s: %s", 1, "NodeNotReadyError")
        # Faust's line for each send the client gave up on (its topic's name has digits).
        for _ in range(100):
            logging.getLogger("faust.topics").warning(
                "_on_published error for message topic wirefeed-1a2b-dedup-changelog error "
                "[Error 5] LeaderNotAvailableError message <FutureMessage finished "
                "exception=LeaderNotAvailableError()>"
            )
        assert len(caplog.records) == 4  # one of each logger's
    finally:
        collapse_repeats(RepeatFilter(window=0.0))  # later tests see every line
