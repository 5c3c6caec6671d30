"""The main job: a fresh local broker, a worker, the seeds replayed, results and metrics shown."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from kafka import KafkaConsumer
from rich.console import Console
from rich.table import Table

from service.localbroker import broker_pid, port_open, start_broker, stop_broker
from service.metrics import Summary, summary_from_exposition
from service.producers.files import publication_order, read_path
from service.producers.kafka import RawProducer, ensure_topics
from service.producers.replay import replay_records
from service.records import after_events
from service.settings import Settings

# A pipe or a CI log has no width to read: give the table room rather than 80 columns.
console = Console() if sys.stdout.isatty() else Console(width=140)


def _metrics_url(settings: Settings) -> str:
    return f"http://{settings.web_host}:{settings.web_port}/metrics"


def _scrape(settings: Settings) -> Summary | None:
    try:
        with urllib.request.urlopen(_metrics_url(settings), timeout=5) as response:  # noqa: S310
            return summary_from_exposition(response.read().decode())
    except (urllib.error.URLError, OSError):
        return None


@contextlib.contextmanager
def run_worker_process(
    settings: Settings, log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A `wirefeed worker` subprocess, ready (serving /metrics) while the context is open."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "worker", "--loglevel", "info"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=os.environ.copy() if env is None else env,
        )
    try:
        deadline = time.monotonic() + 120
        while _scrape(settings) is None or "[^Worker]: Ready" not in log.read_text(
            errors="replace"
        ):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start; see {log}")
            time.sleep(0.5)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


def _collect(
    settings: Settings, ids: set[str], timeout: float
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Read the output topics until every id has its outcome and its story event, printing a
    live summary; returns the outcomes and the story events, by article id."""
    topics = settings.topics
    consumer = KafkaConsumer(
        topics.articles,
        topics.duplicates,
        topics.stories,
        bootstrap_servers=settings.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=1000,
    )
    found: dict[str, dict[str, Any]] = {}
    events: dict[str, dict[str, Any]] = {}
    started = time.monotonic()
    try:
        while (ids - found.keys() or ids - events.keys()) and time.monotonic() - started < timeout:
            for message in consumer:
                record = orjson.loads(message.value)
                if message.topic == topics.stories:
                    events[record["article_id"]] = record
                else:
                    found[record["id"]] = {"topic": message.topic, **record}
            summary = _scrape(settings)
            if summary is not None:
                elapsed = max(time.monotonic() - started, 1e-3)
                console.print(
                    f"  live: {summary['received']} ingested "
                    f"({summary['received'] / elapsed:.1f}/s), "
                    f"{summary['duplicates']} duplicates "
                    f"(ratio {summary['duplicate_ratio']:.2f}), "
                    f"{summary['rejected']} rejected",
                    style="dim",
                )
    finally:
        consumer.close()
    return found, events


def _show_stories(events: dict[str, dict[str, Any]]) -> None:
    """One line per story as the story events leave it: its title and how many articles."""
    ordered = list(events.values())
    members = Counter(after_events(ordered))
    # A story's title is on its own events (a folded story's events carry the folded title).
    titles = {event["story"]: event.get("title", "") for event in ordered}
    table = Table(title="Stories (named after the article that opened each)")
    table.add_column("story", no_wrap=True)
    table.add_column("articles", justify="right")
    table.add_column("title", overflow="ellipsis", no_wrap=True, max_width=70)
    for story, articles in members.items():
        table.add_row(story, str(articles), titles.get(story, ""))
    console.print(table)


def _show(records: list[dict[str, Any]], found: dict[str, dict[str, Any]]) -> None:
    table = Table(title="What the pipeline concluded (in arrival order)")
    for column in ("article", "duplicate of", "kind", "story"):
        table.add_column(column, no_wrap=True)
    table.add_column("headline", overflow="ellipsis", no_wrap=True, max_width=50)
    for record in records:
        article_id = str(record.get("id"))
        outcome = found.get(article_id)
        if outcome is None:
            table.add_row(article_id, "-", "(no outcome)", "-", "")
            continue
        headline = outcome.get("headline") or outcome.get("article", {}).get("headline", "")
        table.add_row(
            article_id,
            outcome.get("duplicate_of") or "-",
            outcome.get("kind") or "original",
            outcome["story"],
            str(headline),
        )
    console.print(table)


def run_demo(settings: Settings, seeds: Path, *, keep_running: bool = False) -> int:
    """Run the whole service on a fresh local broker and replay `seeds`; returns an exit code."""
    if broker_pid(settings) is not None:
        console.print("Stopping the running local broker: the demo starts from a clean one.")
        stop_broker(settings)
    # Checked before anything is deleted: another process on a port the demo needs.
    taken = [
        f"{host}:{port} ({name})"
        for name, host, port in (
            ("WIRE_KAFKA_PORT", settings.kafka_host, settings.kafka_port),
            ("WIRE_KAFKA_CONTROLLER_PORT", settings.kafka_host, settings.kafka_controller_port),
            ("WIRE_WEB_PORT", settings.web_host, settings.web_port),
        )
        if port_open(host, port)
    ]
    if taken:
        console.print(
            f"[red]demo: taken by another process: {', '.join(taken)}; set those variables to "
            "free ports. Nothing was started or deleted.[/red]"
        )
        return 2
    shutil.rmtree(settings.kafka_data_dir, ignore_errors=True)
    shutil.rmtree(settings.worker_data_dir, ignore_errors=True)
    console.print(
        f"Starting Apache Kafka {settings.kafka_version} (KRaft) on "
        f"{settings.bootstrap_servers} ..."
    )
    start_broker(settings)
    try:
        ensure_topics(settings)
        log = settings.worker_data_dir.parent / "worker.log"
        console.print(f"Starting a worker (log: {log}) ...")
        with run_worker_process(settings, log):
            console.print(f"Metrics are served at {_metrics_url(settings)}")
            records = [r for r in publication_order(read_path(seeds)) if isinstance(r, dict)]
            with RawProducer(settings) as producer:
                sent = replay_records(seeds, producer)
            console.print(f"Replayed {sent} articles from {seeds} onto {settings.topics.raw}")
            found, events = _collect(settings, {str(r.get("id")) for r in records}, timeout=120)
            _show(records, found)
            _show_stories(events)
            summary = _scrape(settings)
            if summary is not None:
                console.print(
                    f"Metrics: {summary['received']} ingested, {summary['unique']} unique, "
                    f"{summary['duplicates']} duplicates {summary['duplicates_by_kind']}, "
                    f"duplicate ratio {summary['duplicate_ratio']:.2f}, "
                    f"{summary['stories_created']} stories, {summary['rejected']} rejected"
                )
            if keep_running:
                console.print("The worker stops with this command; Ctrl-C to stop.")
                with contextlib.suppress(KeyboardInterrupt):
                    while True:
                        time.sleep(1)
            ids = {str(r.get("id")) for r in records}
            missing = sorted((ids - found.keys()) | (ids - events.keys()))
            if missing or summary is None:
                what = f"no outcome or story event for {', '.join(missing)}" if missing else ""
                console.print(
                    f"[red]Incomplete:[/red] {what or 'the worker metrics could not be read'}"
                )
            return 0 if not missing and summary is not None else 1
    finally:
        if keep_running:
            console.print("The broker is still running: `wirefeed broker stop` stops it.")
        else:
            stop_broker(settings)
            console.print("Stopped the worker and the broker; nothing is left running.")
