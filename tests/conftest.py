"""Shared fixtures: a real Apache Kafka broker for the session, and workers run as processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer

from service.localbroker import start_broker, stop_broker
from service.producers.kafka import ensure_topics
from service.settings import PROJECT_ROOT, Settings, TopicSettings

SEEDS = PROJECT_ROOT / "seeds"
# Three reports of one quake, worded apart enough not to be copies of each other: the first
# two were published four days apart (so the second opens a story of its own: its score with
# the first is a sixteenth of their cosine), the third between them reaches both stories,
# which are then merged. (At three days apart, an eighth, the score sat at the join bar.)
QUAKE_REPORTS: list[dict[str, Any]] = [
    {
        "id": "quake-d4",
        "published": "2024-03-05T00:00:00Z",
        "text": "Cascadia Bay earthquake: aftershocks rattle the harbour as engineers inspect "
        "the damaged wall. The magnitude 6.1 quake cut power to thousands of homes in "
        "Cascadia Bay.",
    },
    {
        "id": "quake-d0",
        "published": "2024-03-01T00:00:00Z",
        "text": "A magnitude 6.1 earthquake hit Cascadia Bay. Power was cut to thousands of "
        "homes and part of the harbour wall collapsed; engineers inspect it as aftershocks go "
        "on.",
    },
    {
        "id": "quake-d2",
        "published": "2024-03-03T00:00:00Z",
        "text": "Cascadia Bay: engineers inspect the harbour wall damaged by the 6.1 "
        "earthquake, and power is back in thousands of homes. Aftershocks rattle the bay.",
    },
]


# What a worker's log line must hold to be in a failed test's digest of the log: start, group
# joins, assignments, recovery, readiness, warnings and errors.
LOG_MARKS = (
    "[^Worker]",
    "joining group",
    "newly assigned",
    "Recovery complete",
    "WARN",
    "ERROR",
    "CRITICAL",
    "Traceback",
    "Error:",
    "Exception",
)


def log_digest(log: Path, lines: int = 30) -> str:
    """The last `lines` lines of a worker's log that tell what it went through."""
    kept = [
        line[:300]
        for line in log.read_text(errors="replace").splitlines()
        if any(mark in line for mark in LOG_MARKS)
    ]
    return "\n".join(kept[-lines:])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report carries a digest of each worker log in its tmp_path (CI shows
    only part of the output, and the workers' own logs are gone with the machine)."""
    report = yield
    tmp = getattr(item, "funcargs", {}).get("tmp_path")
    if report.failed and isinstance(tmp, Path):
        for log in sorted(tmp.glob("*.log")):
            report.sections.append((f"digest of {log.name}", log_digest(log)))
    return report


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """One real KRaft broker on free loopback ports for the whole test session."""
    settings = Settings(
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        kafka_data_dir=tmp_path_factory.mktemp("kafka"),
    )
    start_broker(settings)
    yield settings
    stop_broker(settings)


def settings_env(s: Settings) -> dict[str, str]:
    """The environment a `wirefeed` subprocess reads these settings from."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRE_")}
    env.update(
        {
            "WIRE_KAFKA_HOST": s.kafka_host,
            "WIRE_KAFKA_PORT": str(s.kafka_port),
            "WIRE_APP_ID": s.app_id,
            "WIRE_WEB_PORT": str(s.web_port),
            "WIRE_WORKER_DATA_DIR": str(s.worker_data_dir),
            "WIRE_TABLE_STORE": s.table_store,
            "WIRE_MAX_ARTICLE_BYTES": str(s.max_article_bytes),
        }
    )
    for name, value in s.topics.model_dump().items():
        env[f"WIRE_TOPICS__{name.upper()}"] = str(value)
    return env


class WorkerProcess:
    """A `wirefeed worker` subprocess with its own app id, topics and web port."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.settings = settings
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        # Where this run's lines begin: a restart appends to the same log.
        self.log_from = 0

    def env(self) -> dict[str, str]:
        return settings_env(self.settings)

    def start(self, timeout: float = 90.0) -> None:
        """Start and wait until this run says it is ready (its partitions assigned). After a
        SIGKILL the group hands them over only when the killed member's session times out
        (Faust's default: 60 s), so such a restart waits longer."""
        self.log_from = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "service", "worker", "--loglevel", "info"],
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=PROJECT_ROOT,
            )
        self.wait_ready(timeout)

    def run_log(self) -> str:
        """What this run of the worker has logged so far (not an earlier run's lines)."""
        with self.log.open("rb") as log:
            log.seek(self.log_from)
            return log.read().decode(errors="replace")

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited:\n{self.run_log()[-5000:]}")
            if "[^Worker]: Ready" in self.run_log():
                return
            time.sleep(0.3)
        self.process.kill()
        raise AssertionError(f"worker not ready:\n{self.run_log()[-5000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)

    def metrics(self) -> str:
        url = f"http://{self.settings.web_host}:{self.settings.web_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            return str(response.read().decode())


@pytest.fixture
def service_settings(broker: Settings, tmp_path: Path) -> Settings:
    """Settings for one test: fresh topics, consumer group and tables on the shared broker."""
    run = uuid.uuid4().hex[:8]
    topics = TopicSettings(
        **{
            name: f"t{run}.{value}"
            for name, value in TopicSettings().model_dump().items()
            if isinstance(value, str)
        }
    )
    settings = broker.model_copy(
        update={
            "app_id": f"wirefeed-test-{run}",
            "topics": topics,
            "web_port": free_port(),
            "worker_data_dir": tmp_path / "worker",
            "max_article_bytes": 64 * 1024,
        }
    )
    ensure_topics(settings)
    return settings


@pytest.fixture
def worker(
    service_settings: Settings, start_worker: Callable[[Settings], WorkerProcess]
) -> WorkerProcess:
    return start_worker(service_settings)


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[Settings], WorkerProcess]]:
    """Starts a worker with the settings given; every one started is stopped at the end."""
    started: list[WorkerProcess] = []

    def start(settings: Settings, timeout: float = 90.0) -> WorkerProcess:
        process = WorkerProcess(settings, tmp_path / f"worker-{len(started)}.log")
        started.append(process)
        process.start(timeout)
        return process

    yield start
    for process in started:
        if process.process is not None and process.process.poll() is None:
            process.stop()


def read_values(
    settings: Settings, topics: list[str], count: int, timeout: float = 60.0, settle: float = 0.0
) -> list[tuple[str, bytes]]:
    """Read (topic, value) pairs, values as they are (bytes that are not JSON too), from the
    start of `topics` until `count` arrived (then `settle` seconds more, to catch anything
    extra) or the timeout."""
    consumer = KafkaConsumer(
        *topics,
        bootstrap_servers=settings.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=1000,
    )
    found: list[tuple[str, bytes]] = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < count and time.monotonic() < deadline:
            for message in consumer:
                found.append((message.topic, message.value))
                if len(found) >= count:
                    break
        settle_until = time.monotonic() + settle
        while time.monotonic() < settle_until:
            found.extend((message.topic, message.value) for message in consumer)
    finally:
        consumer.close()
    return found


def read_topics(
    settings: Settings, topics: list[str], count: int, timeout: float = 60.0, settle: float = 0.0
) -> list[tuple[str, dict[str, Any]]]:
    """As `read_values`, each value read as a JSON record."""
    found = read_values(settings, topics, count, timeout, settle)
    return [(topic, orjson.loads(value)) for topic, value in found]
