"""The ingest processes' own metrics, served for Prometheus: `wirefeed serve` at /metrics on
its port, `wirefeed watch --metrics-port` (with the broker gauges of its probe); and the dead
letters a producer writes itself."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.settings import Settings
from tests.conftest import free_port, read_topics, settings_env

Samples = dict[tuple[str, str], float]


def scrape(port: int) -> Samples:
    """Every sample of a /metrics page, keyed by (name, the value of its one label)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, next(iter(sample.labels.values()), "")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def wait_for(port: int, wanted: Samples, timeout: float = 60.0) -> Samples:
    """The page once it shows every wanted value (or, at the timeout, as it last was)."""
    found: Samples = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = scrape(port)
        except OSError:
            found = {}
        if all(found.get(key) == value for key, value in wanted.items()):
            break
        time.sleep(0.3)
    return found


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start(
    settings: Settings, processes: list[subprocess.Popen[bytes]], log: Path, *args: str
) -> subprocess.Popen[bytes]:
    env = settings_env(settings)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", *args], env=env, stdout=out, stderr=out
        )
    processes.append(process)
    return process


def post(port: int, body: bytes, content_type: str = "application/json") -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/articles",
        data=body,
        headers={"Content-Type": content_type},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (http)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def wait_serving(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"not serving:\n{log.read_text()}")


@pytest.mark.kafka
def test_the_push_endpoint_serves_its_requests_and_dead_letters_at_metrics(
    service_settings: Settings,
    tmp_path: Path,
    processes: list[subprocess.Popen[bytes]],
) -> None:
    # Small articles: a 3 MB one is over what the raw topic takes (4 x 64 KiB, at least 1 MiB).
    settings = service_settings.model_copy(update={"max_article_bytes": 64 * 1024})
    port = free_port()
    log = tmp_path / "serve.log"
    serve = start(settings, processes, log, "serve", "--port", str(port))
    wait_serving(port, serve, log)
    assert post(port, orjson.dumps({"id": "ok", "text": "Fits."})) == 202
    assert post(port, orjson.dumps({"id": "big", "text": "x" * 3_000_000})) == 413
    assert post(port, b'{"id": "broken", "text": ') == 400
    assert post(port, b"\x89PNG...", "image/png") == 415
    wanted = {
        ("wirefeed_push_requests_total", "accepted"): 1.0,
        ("wirefeed_push_requests_total", "too_large"): 1.0,
        ("wirefeed_push_requests_total", "rejected"): 1.0,
        ("wirefeed_push_requests_total", "unsupported"): 1.0,
        ("wirefeed_push_requests_total", "busy"): 0.0,
        # The review: the 413's letter was on wire.dlq, and no metric anywhere counted it.
        ("wirefeed_producer_dead_letters_total", "too_large"): 1.0,
        ("wirefeed_producer_dead_letters_total", "not_json"): 1.0,
        ("wirefeed_push_requests_in_flight", ""): 0.0,
        ("wirefeed_push_request_duration_seconds_count", ""): 4.0,
    }
    found = wait_for(port, wanted, timeout=10)
    assert {key: found.get(key) for key in wanted} == wanted
    letters = read_topics(settings, [settings.topics.dlq], 2, timeout=30)
    assert sorted(record["reason"] for _, record in letters) == ["not_json", "too_large"]


@pytest.mark.kafka
def test_the_watcher_serves_its_files_and_last_drained_poll_at_metrics(
    service_settings: Settings, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    settings = service_settings.model_copy(update={"max_article_bytes": 64 * 1024})
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "good.json").write_bytes(orjson.dumps({"id": "good", "text": "Fits."}))
    (folder / "big.json").write_bytes(orjson.dumps({"id": "big", "text": "x" * 2_000_000}))
    (folder / "broken.json").write_bytes(b'{"id": ')
    port = free_port()
    log = tmp_path / "watch.log"
    args = ("watch", str(folder), "--every", "0.5", "--min-age", "0", "--metrics-port", str(port))
    started = time.time()
    start(settings, processes, log, *args)
    wanted = {
        ("wirefeed_watch_files_total", "done"): 2.0,  # good, and big (sent as a dead letter)
        ("wirefeed_watch_files_total", "failed"): 1.0,
        ("wirefeed_watch_files_total", "kept"): 0.0,
        ("wirefeed_producer_dead_letters_total", "too_large"): 1.0,
        # Review: the watcher set no broker gauge; it asks the broker every 10 s now.
        ("wirefeed_broker_unreachable", ""): 0.0,
    }
    found = wait_for(port, wanted)
    assert {key: found.get(key) for key in wanted} == wanted, log.read_text()
    assert found[("wirefeed_watch_last_success_timestamp_seconds", "")] >= started
    assert found[("wirefeed_broker_last_contact_timestamp_seconds", "")] >= started
