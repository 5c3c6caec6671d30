"""`wirefeed bench e2e`: throughput and latency through a real broker and worker, against the
same stream in-process and against what kafka-python alone moves on the same machine."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from service.benchmarks import bench_app
from service.benchmarks.stream import StreamItem, make_stream
from service.demo import run_worker_process
from service.localbroker import start_broker, stop_broker
from service.models import Rejected
from service.pipeline.decide import Pipeline, PipelineConfig, Shards
from service.pipeline.intake import parse_record, partition_key
from service.pipeline.normalise import normalise_article
from service.pipeline.route import shard_of
from service.producers.kafka import ensure_topics, record_key
from service.settings import Settings, TopicSettings

console = Console(stderr=True)
TICKS = os.sysconf("SC_CLK_TCK")
MB = 1e6


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class Sampler(threading.Thread):
    """CPU seconds and RSS of some processes, every `every` seconds, until stopped."""

    def __init__(self, pids: dict[str, int], every: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.pids, self.every = pids, every
        self.samples: list[dict[str, float]] = []
        self.done = threading.Event()
        self.started_at = time.monotonic()

    def sample(self) -> dict[str, float]:
        row = {"t": round(time.monotonic() - self.started_at, 2)}
        for name, pid in self.pids.items():
            with contextlib.suppress(OSError):
                row[f"{name}_cpu_s"] = cpu_seconds(pid)
                row[f"{name}_rss_mb"] = round(rss_bytes(pid) / MB, 1)
        return row

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.samples.append(self.sample())


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
    )


# -- the raw ceiling: kafka-python alone, the same bytes, no processing ---------------------


def raw_ceiling(settings: Settings, stream: list[StreamItem], topic: str) -> dict[str, Any]:
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    try:
        admin.create_topics([NewTopic(topic, settings.topics.raw_partitions, 1)])
    finally:
        admin.close()
    size = sum(len(item.payload) for item in stream)
    producer = KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=5
    )  # as RawProducer
    started = time.perf_counter()
    for item in stream:
        producer.send(topic, key=_key(item), value=item.payload)
    producer.flush()
    produce_s = time.perf_counter() - started
    producer.close()
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=10_000,
    )
    count, started = 0, time.perf_counter()
    for _ in consumer:
        count += 1
        if count >= len(stream):
            break
    consume_s = time.perf_counter() - started
    consumer.close()
    return {
        "messages": len(stream),
        "bytes": size,
        "produce_msgs_per_s": len(stream) / produce_s,
        "produce_mb_per_s": size / produce_s / MB,
        "consume_msgs_per_s": count / consume_s,
        "consume_mb_per_s": size / consume_s / MB,
        "consumed": count,
    }


def _key(item: StreamItem) -> bytes | None:
    return record_key(orjson.loads(item.payload))


# -- the same stream in this process ---------------------------------------------------------


def in_process(stream: list[StreamItem], max_bytes: int) -> dict[str, Any]:
    # One pipeline per language shard, timed, as the worker holds them.
    shards = Shards(
        lambda shard: Pipeline(
            {}, {}, {}, PipelineConfig().for_shard(shard), clock=time.perf_counter
        )
    )
    spent: defaultdict[str, float] = defaultdict(float)
    kinds: Counter[str] = Counter()
    now = time.time()
    started = time.perf_counter()
    with progress() as bar:
        task = bar.add_task("in-process pipeline", total=len(stream), rate="")
        for number, item in enumerate(stream):
            begun = time.perf_counter()
            at = now + number * 0.01
            try:
                record = parse_record(item.payload, max_bytes=max_bytes)
                article = normalise_article(record)
            except Rejected:
                kinds["rejected"] += 1
                continue
            # Routed under the key the producer gives it, as the worker routes it.
            article = shards.routes.route(record, article, partition_key(record), at)
            spent["normalise"] += time.perf_counter() - begun
            pipeline = shards(shard_of(article))
            decision, _ = pipeline.decide(article, at)
            for stage, seconds in pipeline.timings.items():
                spent[stage] += seconds
            kinds[decision.dedup.kind or "original"] += 1
            if number % 200 == 0:
                rate = (number + 1) / (time.perf_counter() - started)
                bar.update(task, completed=number + 1, rate=f"{rate:,.0f}/s")
        bar.update(task, completed=len(stream))
    elapsed = time.perf_counter() - started
    return {
        "articles": len(stream),
        "seconds": elapsed,
        "articles_per_s": len(stream) / elapsed,
        "mb_per_s": sum(len(i.payload) for i in stream) / elapsed / MB,
        "stage_ms_per_article": {k: v / len(stream) * 1e3 for k, v in spent.items()},
        "outcomes": dict(kinds),
    }


# -- through the broker ----------------------------------------------------------------------


@contextlib.contextmanager
def bench_broker() -> Iterator[tuple[Settings, Path, int]]:
    """A broker of the bench's own (free ports, a temporary folder), stopped and removed at
    the end: its settings, the folder and its pid."""
    folder = Path(tempfile.mkdtemp(prefix="wirefeed-bench-"))
    broker = Settings(
        kafka_port=free_port(), kafka_controller_port=free_port(), kafka_data_dir=folder / "kafka"
    )
    try:
        with console.status("starting a Kafka broker ..."):
            pid = start_broker(broker)
        yield broker, folder, pid
    finally:
        with console.status("stopping the broker ..."):
            stop_broker(broker)
        shutil.rmtree(folder, ignore_errors=True)


def run_settings(broker: Settings, folder: Path) -> Settings:
    """Unique topics, app id and web port on the bench's broker."""
    run = uuid.uuid4().hex[:8]
    names = {
        name: f"bench{run}.{value}"
        for name, value in TopicSettings().model_dump().items()
        if isinstance(value, str)
    }
    topics = TopicSettings.model_validate(names)
    return broker.model_copy(
        update={
            "app_id": f"wirefeed-bench-{run}",
            "topics": topics,
            "web_port": free_port(),
            "worker_data_dir": folder / "worker",
        }
    )


def worker_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRE_")}
    env.update(
        WIRE_KAFKA_HOST=settings.kafka_host,
        WIRE_KAFKA_PORT=str(settings.kafka_port),
        WIRE_APP_ID=settings.app_id,
        WIRE_WEB_PORT=str(settings.web_port),
        WIRE_WORKER_DATA_DIR=str(settings.worker_data_dir),
        WIRE_TABLE_STORE=settings.table_store,
    )
    for name, value in settings.topics.model_dump().items():
        env[f"WIRE_TOPICS__{name.upper()}"] = str(value)
    return env


def stage_seconds(settings: Settings) -> dict[str, tuple[float, int]]:
    """(sum, count) of wirefeed_stage_duration_seconds per stage, from the worker's /metrics."""
    url = f"http://{settings.web_host}:{settings.web_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for family in text_string_to_metric_families(text):
        if family.name != "wirefeed_stage_duration_seconds":
            continue
        for sample in family.samples:
            stage = sample.labels.get("stage", "")
            if sample.name.endswith("_sum"):
                sums[stage] = sample.value
            elif sample.name.endswith("_count"):
                counts[stage] = int(sample.value)
    return {stage: (sums[stage], counts.get(stage, 0)) for stage in sums}


def produce(
    settings: Settings, stream: list[StreamItem], rate: float, stop: threading.Event
) -> threading.Thread:
    """Send the stream onto the raw topic from a thread, `rate` per second (0: flat out)."""

    def send() -> None:
        producer = KafkaProducer(
            bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=5
        )
        started = time.monotonic()
        for number, item in enumerate(stream):
            if stop.is_set():
                break
            if rate > 0:
                delay = started + number / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            producer.send(settings.topics.raw, key=_key(item), value=item.payload)
        producer.flush()
        producer.close()

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def collect(
    settings: Settings,
    ids: set[str],
    on_progress: Callable[[int], None],
    stall_seconds: float,
) -> dict[str, tuple[float, float]]:
    """Read the output topics until every id has its outcome: id -> (received, decided)."""
    outputs = [settings.topics.articles, settings.topics.duplicates]
    consumer = KafkaConsumer(
        *outputs,
        bootstrap_servers=settings.bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    found: dict[str, tuple[float, float]] = {}
    last_progress = time.monotonic()
    try:
        while len(found) < len(ids):
            batches = consumer.poll(timeout_ms=500)
            before = len(found)
            for messages in batches.values():
                for message in messages:
                    record = orjson.loads(message.value)
                    if record["id"] in ids:
                        found.setdefault(record["id"], (record["received"], record["decided"]))
            if len(found) > before:
                last_progress = time.monotonic()
                on_progress(len(found))
            elif time.monotonic() - last_progress > stall_seconds:
                console.print(f"[red]no output for {stall_seconds:.0f}s: stopping early[/red]")
                break
    finally:
        consumer.close()
    return found


def through_broker(
    settings: Settings,
    stream: list[StreamItem],
    worker_pid: int,
    label: str,
    rate: float,
    stall_seconds: float,
) -> dict[str, Any]:
    size = sum(len(i.payload) for i in stream)
    before_cpu = cpu_seconds(worker_pid)
    before_stages = stage_seconds(settings)
    stop = threading.Event()
    wall_start = time.time()
    with progress() as bar:
        task = bar.add_task(label, total=len(stream), rate="")

        def update(done: int) -> None:
            elapsed = max(time.time() - wall_start, 1e-3)
            bar.update(task, completed=done, rate=f"{done / elapsed:,.1f}/s")

        sender = produce(settings, stream, rate, stop)
        try:
            found = collect(settings, {i.id for i in stream}, update, stall_seconds)
        finally:
            stop.set()
            sender.join()
    cpu = cpu_seconds(worker_pid) - before_cpu
    after_stages = stage_seconds(settings)
    done = len(found)
    first_received = min((r for r, _ in found.values()), default=wall_start)
    last_decided = max((d for _, d in found.values()), default=time.time())
    elapsed = max(last_decided - min(wall_start, first_received), 1e-6)
    latencies = [d - r for r, d in found.values()]
    stages = {}
    for stage, (total, count) in after_stages.items():
        old_total, old_count = before_stages.get(stage, (0.0, 0))
        if count > old_count:
            stages[stage] = (total - old_total) / (count - old_count) * 1e3
    return {
        "articles": len(stream),
        "decided": done,
        "offered_rate": rate or None,
        "seconds": elapsed,
        "articles_per_s": done / elapsed,
        "mb_per_s": size * done / len(stream) / elapsed / MB,
        "latency_s": {
            "p50": percentile(latencies, 0.50),
            "p95": percentile(latencies, 0.95),
            "p99": percentile(latencies, 0.99),
            "max": max(latencies, default=float("nan")),
        },
        "worker_cpu_ms_per_article": cpu / max(done, 1) * 1e3,
        "stage_ms_per_article": stages,
    }


# -- the profile -----------------------------------------------------------------------------


def start_profile(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        console.print("[yellow]py-spy not installed (pip install py-spy): no profile[/yellow]")
        return None
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds))]
    command += ["--rate", "100", "--nonblocking", "--format", "raw", "-o", str(out)]
    return subprocess.Popen(  # noqa: S603
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def top_costs(collapsed: Path, limit: int = 12) -> list[dict[str, Any]]:
    """The functions with the largest share of samples, by their own time and including
    what they call, from py-spy's collapsed stacks (idle time is not sampled)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        total += count
        frames = [f.split(" (", 1)[0] + " " + _where(f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    chosen = [frame for frame, _ in own.most_common(limit)]
    chosen += [frame for frame, _ in inclusive.most_common(limit) if frame not in chosen]
    return [
        {"function": frame, "inclusive": inclusive[frame] / total, "self": own[frame] / total}
        for frame in chosen
    ]


def _where(frame: str) -> str:
    if " (" not in frame:
        return ""
    path = frame.split(" (", 1)[1].rstrip(")")
    path = path.rsplit(":", 1)[0]
    for marker in ("site-packages/", "service/"):
        if marker in path:
            return "(" + (marker if marker == "service/" else "") + path.split(marker, 1)[1] + ")"
    return "(" + path.rsplit("/", 1)[-1] + ")"


# -- the command -----------------------------------------------------------------------------


def _memory_summary(samples: list[dict[str, float]]) -> dict[str, Any]:
    rss = [s["worker_rss_mb"] for s in samples if "worker_rss_mb" in s]
    if not rss:
        return {}
    return {"start_mb": rss[0], "peak_mb": max(rss), "end_mb": rss[-1]}


def _report(result: dict[str, Any]) -> None:
    table = Table(title="wirefeed bench e2e")
    table.add_column("measure")
    table.add_column("value", justify="right")
    stream = result["stream"]
    table.add_row(
        "stream",
        f"{stream['articles']:,} articles, {stream['mean_bytes']:,.0f} B mean, "
        f"{stream['duplicate_share']:.0%} duplicates",
    )
    ceiling = result["raw_ceiling"]
    table.add_row(
        "raw ceiling: produce (acks=all)",
        f"{ceiling['produce_msgs_per_s']:,.0f} msg/s, {ceiling['produce_mb_per_s']:.1f} MB/s",
    )
    table.add_row(
        "raw ceiling: consume",
        f"{ceiling['consume_msgs_per_s']:,.0f} msg/s, {ceiling['consume_mb_per_s']:.1f} MB/s",
    )
    for name in ("saturated", "paced"):
        run = result.get(name)
        if not run:
            continue
        lat = run["latency_s"]
        offered = f" at {run['offered_rate']:,.0f}/s offered" if run["offered_rate"] else ""
        table.add_row(
            f"through the broker, {name}{offered}",
            f"{run['decided']:,}/{run['articles']:,} in {run['seconds']:,.1f}s: "
            f"{run['articles_per_s']:,.1f} articles/s, {run['mb_per_s']:.2f} MB/s",
        )
        table.add_row(
            f"  latency p50/p95/p99 ({name})",
            f"{lat['p50']:.3f} / {lat['p95']:.3f} / {lat['p99']:.3f} s",
        )
        stages = ", ".join(f"{k} {v:.2f}" for k, v in run["stage_ms_per_article"].items())
        table.add_row(
            f"  worker CPU ms/article ({name})",
            f"{run['worker_cpu_ms_per_article']:.2f} (stages: {stages})",
        )
    table.add_row(
        "fraction of the raw ceiling",
        f"{result['fraction_of_ceiling']:.2%} of min(produce, consume) msg/s",
    )
    memory = result["worker_memory"]
    if memory:
        table.add_row(
            "worker RSS start / peak / end",
            f"{memory['start_mb']:.0f} / {memory['peak_mb']:.0f} / {memory['end_mb']:.0f} MB",
        )
    inproc = result.get("in_process")
    if inproc:
        stages = ", ".join(f"{k} {v:.2f}" for k, v in inproc["stage_ms_per_article"].items())
        table.add_row(
            "in-process pipeline (one core)",
            f"{inproc['articles_per_s']:,.1f} articles/s, {inproc['mb_per_s']:.2f} MB/s "
            f"(ms/article: {stages})",
        )
        table.add_row("  outcomes", ", ".join(f"{k} {v}" for k, v in inproc["outcomes"].items()))
    by_self = sorted(result.get("profile", []), key=lambda cost: -cost["self"])
    for cost in by_self[:8]:
        table.add_row(
            f"  worker profile: {cost['function'][:70]}",
            f"{cost['self']:.1%} of samples (self), {cost['inclusive']:.1%} incl.",
        )
    Console(width=150).print(table)


@bench_app.command("e2e")
def bench_e2e(
    articles: Annotated[
        int, typer.Option(help="articles pushed flat out (50k-200k: slow)")
    ] = 20000,
    duplicates: Annotated[float, typer.Option(help="share of exact resends + near copies")] = 0.2,
    paced: Annotated[int, typer.Option(help="articles for the paced latency run (0: none)")] = 1000,
    load: Annotated[float, typer.Option(help="paced rate as a share of the saturated")] = 0.5,
    inprocess: Annotated[
        int, typer.Option(help="articles for the in-process run (-1: all, 0: none)")
    ] = -1,
    profile: Annotated[
        Path | None, typer.Option(help="py-spy collapsed stacks of the worker here")
    ] = None,
    profile_seconds: Annotated[float, typer.Option(help="how long to profile")] = 30.0,
    json_out: Annotated[Path, typer.Option("--json", help="results as JSON here")] = Path(
        "var/bench/e2e.json"
    ),
    seed: Annotated[int, typer.Option(help="random seed of the stream")] = 7,
    stall: Annotated[float, typer.Option(help="give up after this long without output")] = 120.0,
) -> None:
    """Articles/s, MB/s and latency through a real broker and worker (all started here and
    stopped at the end), the same stream in-process, and kafka-python's own ceiling."""
    with console.status(f"generating {articles + paced:,} articles ..."):
        stream = make_stream(articles + paced, duplicates, seed)
    saturated_stream, paced_stream = stream[:articles], stream[articles:]
    size = sum(len(i.payload) for i in saturated_stream)
    result: dict[str, Any] = {
        "command": " ".join(["wirefeed bench e2e", *sys.argv[3:]]),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "stream": {
            "articles": articles,
            "mean_bytes": size / max(articles, 1),
            "duplicate_share": duplicates,
            "kinds": dict(Counter(i.kind for i in saturated_stream)),
        },
    }
    with bench_broker() as (broker, folder, broker_pid):
        settings = run_settings(broker, folder)
        with console.status("raw ceiling: kafka-python producer and consumer ..."):
            result["raw_ceiling"] = raw_ceiling(
                settings, saturated_stream, f"{settings.app_id}.ceiling"
            )
        ensure_topics(settings)
        log = folder / "worker.log"
        with contextlib.ExitStack() as stack:
            with console.status("starting a worker ..."):
                worker = stack.enter_context(
                    run_worker_process(settings, log, worker_env(settings))
                )
            sampler = Sampler({"worker": worker.pid, "broker": broker_pid})
            sampler.start()
            profiler = None
            if profile is not None:
                profile.parent.mkdir(parents=True, exist_ok=True)
                profiler = start_profile(worker.pid, profile_seconds, profile)
            result["saturated"] = through_broker(
                settings, saturated_stream, worker.pid, "through the broker", 0.0, stall
            )
            if profiler is not None:
                profiler.wait()
            if paced_stream:
                rate = max(1.0, result["saturated"]["articles_per_s"] * load)
                result["paced"] = through_broker(
                    settings, paced_stream, worker.pid, f"paced at {rate:,.0f}/s", rate, stall
                )
            sampler.done.set()
            sampler.join()
        result["worker_memory"] = _memory_summary(sampler.samples)
        result["samples"] = sampler.samples
    ceiling = result["raw_ceiling"]
    slowest = min(ceiling["produce_msgs_per_s"], ceiling["consume_msgs_per_s"])
    result["fraction_of_ceiling"] = result["saturated"]["articles_per_s"] / slowest
    if inprocess:
        part = saturated_stream if inprocess < 0 else saturated_stream[:inprocess]
        result["in_process"] = in_process(part, settings.max_article_bytes)
        result["broker_vs_in_process"] = (
            result["saturated"]["articles_per_s"] / result["in_process"]["articles_per_s"]
        )
    if profile is not None and profile.exists():
        result["profile"] = top_costs(profile, 40)
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    _report(result)
    console.print(f"JSON: {json_out}")


@bench_app.command("restart")
def bench_restart(
    articles: Annotated[
        str, typer.Option(help="articles of state before each restart, comma-separated")
    ] = "10000",
    seed: Annotated[int, typer.Option(help="random seed of the stream")] = 7,
    store: Annotated[
        str, typer.Option(help="the worker's table store: rocksdb (default) or memory")
    ] = "rocksdb",
) -> None:
    """How long a worker takes to come back with N articles in its tables: the stream goes
    through a worker (broker and worker started here), the worker is stopped with SIGTERM and
    started again; printed: time until it is ready, until a new article is decided, and its
    memory. With the in-memory table store a restart reads the whole changelogs back."""
    if store not in ("rocksdb", "memory"):
        raise typer.BadParameter(f"unknown table store {store!r}: rocksdb or memory")
    for count in (int(n) for n in articles.split(",")):
        stream = make_stream(count, 0.2, seed)
        with bench_broker() as (broker, folder, _):
            settings = run_settings(broker, folder).model_copy(update={"table_store": store})
            ensure_topics(settings)
            env = worker_env(settings)
            with run_worker_process(settings, folder / "first.log", env) as worker:
                through_broker(settings, stream, worker.pid, f"{count:,} articles", 0.0, 120.0)
                worker.send_signal(signal.SIGTERM)
                worker.wait(120)
            started = time.monotonic()
            with run_worker_process(settings, folder / "second.log", env) as worker:
                ready = time.monotonic() - started
                extra = make_stream(1, 0.0, seed + 1, prefix="after-restart")
                produce(settings, extra, 0.0, threading.Event()).join()
                extra_ids = {orjson.loads(extra[0].payload)["id"]}
                decided = collect(settings, extra_ids, lambda done: None, 120.0)
                first = time.monotonic() - started
                rss = rss_bytes(worker.pid) / 1e6
                worker.send_signal(signal.SIGTERM)
                worker.wait(120)
            outcome = f"{first:.1f} s" if decided else "not within 120 s"
            console.print(
                f"{count:,} articles of state: ready after {ready:.1f} s, "
                f"a new article decided after {outcome}, worker RSS {rss:,.0f} MB"
            )
