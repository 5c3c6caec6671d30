"""The `wirefeed` command: worker, producers, offline labelling, local broker and demo."""

from __future__ import annotations

import contextlib
import sys
from contextlib import AbstractContextManager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from service.benchmarks import bench_app
from service.evaluation import eval_app
from service.settings import PROJECT_ROOT, get_settings

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from service.models import Rejected

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
broker_app = typer.Typer(no_args_is_help=True, help="The local Apache Kafka broker (KRaft).")
dlq_app = typer.Typer(no_args_is_help=True, help="Dead letters: list them, replay them.")
story_app = typer.Typer(
    no_args_is_help=True, help="Editors' corrections of the stories: split, merge, move."
)
app.add_typer(broker_app, name="broker")
app.add_typer(dlq_app, name="dlq")
app.add_typer(story_app, name="story")
app.add_typer(bench_app, name="bench")
app.add_typer(eval_app, name="eval")


def _jsonl_input(path: Path) -> list[bytes | Rejected]:
    """The records of a JSON Lines file (- for stdin) in input order, read as `wirefeed
    replay` reads one (`files.read_json`: a byte order mark at each line's start, which files
    concatenated from Windows editors' carry, UTF-16 or UTF-32, CR line ends, a line holding
    an array of objects), each as the raw record a producer sends; a line (or item) the
    reader refuses as its Rejected, answered in its place. It was split on LF alone, each
    line read as the worker reads a raw record: label FILE and label FOLDER (replay) decided
    such a file differently."""
    from service.models import Rejected, RejectReason
    from service.producers.files import FileReject, read_json
    from service.records import raw_bytes

    data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    return [
        Rejected(RejectReason(item.reason), item.detail)
        if isinstance(item, FileReject)
        else raw_bytes(item)
        for item in read_json(path, data, lines=True)
    ]


class _Collected:
    """A sender that keeps what `replay_records` sends, as the raw topic would get it."""

    def __init__(self) -> None:
        self.records: list[bytes] = []
        # The feed replay sends them as (one per replay): their partition key.
        self.feed: str | None = None
        # Records orjson cannot write, which RawProducer.send dead-letters: not decided.
        self.refused: list[str] = []

    def send(self, record: dict[str, Any] | bytes, feed: str | None = None) -> None:
        from service.models import Rejected
        from service.records import raw_bytes

        self.feed = feed
        try:
            self.records.append(record if isinstance(record, bytes) else raw_bytes(record))
        except Rejected as exc:
            self.refused.append(str(exc))

    def dead_letter(
        self, payload: bytes, reason: str, detail: str, origin: dict[str, Any] | None = None
    ) -> None:
        """What a reader refused: replay would put it on the dead-letter topic, so the worker
        never decides it; listed by `_label_input`, not decided."""

    def flush(self) -> None:
        pass


def _label_input(path: Path) -> tuple[list[bytes | Rejected], str | None]:
    """The raw records `wirefeed label` decides, and the feed they come from. stdin, or a
    JSON Lines file (or a file of a suffix replay does not read): its records
    (`_jsonl_input`), in input order, each keyed on its own (by its source, else its uri,
    guid or id), as a producer without a feed (push, the HTTP endpoint) keys it. A folder,
    or a file replay reads (.txt, .json, NITF, NewsML-G2...): what `wirefeed replay` would
    send, read and ordered by its code (in publication order), under its feed; a file that
    cannot be read listed as replay lists it."""
    from service.producers.files import JSONL_SUFFIXES, SUFFIXES, FileFailure
    from service.producers.replay import replay_records

    if str(path) == "-":
        return _jsonl_input(path), None
    if not path.exists():
        typer.echo(f"label: {path}: no such file or folder", err=True)
        raise typer.Exit(2)
    try:
        if path.is_file() and path.suffix.lower() not in SUFFIXES - JSONL_SUFFIXES:
            return _jsonl_input(path), None
        failures: list[FileFailure] = []
        collected = _Collected()
        replay_records(path, collected, failures=failures)
    except OSError as exc:
        typer.echo(f"label: {path}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    refused = [(str(f.path), f.reason) for f in failures]
    refused += [(str(path), reason) for reason in collected.refused]
    for where, reason in refused:
        typer.echo(
            f"rejected: {where}: {reason} (not decided: replay puts it on the "
            "dead-letter topic, so the worker never gets it)",
            err=True,
        )
    return [*collected.records], collected.feed


@app.command()
def label(
    input_path: Annotated[
        Path,
        typer.Argument(
            help="JSONL of {id, title, text, published, source} (- for stdin), or a folder or "
            "file of articles as `replay` reads them (decided in its order)"
        ),
    ],
) -> None:
    """Decide every article in input order, in-process (no Kafka); one JSON line out per record."""
    import time

    from service.pipeline.cluster import FUTURE_SLACK_SECONDS
    from service.pipeline.decide import PipelineConfig, Shards, label_records

    settings = get_settings()
    config = PipelineConfig.with_horizons(
        settings.dedup_horizon_seconds, settings.story_horizon_seconds
    )
    out = sys.stdout.buffer
    lines, feed = _label_input(input_path)
    latest = time.time() + FUTURE_SLACK_SECONDS
    shards = Shards.in_memory(config)
    for line in label_records(lines, shards, settings.max_article_bytes, latest, feed):
        out.write(orjson.dumps(line) + b"\n")
    out.flush()


@app.command()
def worker(
    loglevel: Annotated[
        str, typer.Option(help="log level: crit, error, warn(ing), info or debug")
    ] = "warn",
) -> None:
    """Run a stream-processing worker (Faust) until stopped with SIGTERM or Ctrl-C."""
    from service.streams.app import run_worker

    run_worker(loglevel)


@app.command()
def topics() -> None:
    """Create the service's topics on the broker (idempotent)."""
    from service.producers.kafka import ensure_topics

    created = ensure_topics(get_settings())
    typer.echo(f"created: {', '.join(created) or 'none (all exist)'}")


class ReplayOrder(StrEnum):
    """The order `wirefeed replay` sends a folder's articles in."""

    PUBLISHED = "published"
    NAME = "name"


@app.command()
def replay(
    path: Annotated[
        Path,
        typer.Argument(
            help="a folder (read recursively) or file of articles: .txt/.text, .json, "
            ".jsonl/.ndjson, NITF or NewsML-G2 .xml/.nitf/.newsml (any case; other files skipped)"
        ),
    ],
    rate: Annotated[float, typer.Option(help="articles per second; 0 = as fast as possible")] = 0.0,
    speedup: Annotated[
        float, typer.Option(help="replay at N x the publication-time gaps (0 = ignore times)")
    ] = 0.0,
    loop: Annotated[int, typer.Option(help="times to go through the input; 0 = forever")] = 1,
    order: Annotated[
        ReplayOrder,
        typer.Option(help="by publication time (archive order) or by file name"),
    ] = ReplayOrder.PUBLISHED,
) -> None:
    """Push articles from files onto the raw topic, in publication order by default.

    A file (or a line or item of one) that its reader refuses is not sent there: it goes to
    the dead-letter topic with the reader's reason, is reported, and the replay goes on; the
    summary counts them.
    """
    from kafka.errors import KafkaError

    from service.producers.files import FileFailure
    from service.producers.kafka import RawProducer, SendFailed
    from service.producers.replay import replay_records

    if not path.exists():
        # Checked before connecting: a mistyped path is the operator's error, not an empty
        # archive ("sent 0 records", exit 0).
        typer.echo(f"replay: {path}: no such file or folder", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    failures: list[FileFailure] = []
    try:
        with RawProducer(settings) as producer:
            sent = replay_records(
                path,
                producer,
                rate=rate,
                speedup=speedup,
                loop=loop,
                order=order.value,
                failures=failures,
            )
    except (SendFailed, KafkaError) as exc:
        typer.echo(f"replay failed: {exc}", err=True)
        raise typer.Exit(1) from None
    for failure in failures:
        what = "dead-lettered" if failure.dead_lettered else "not sent"
        typer.echo(f"rejected: {failure.path}: {failure.reason} ({what})", err=True)
    lettered = sum(1 for failure in failures if failure.dead_lettered)
    unread = len(failures) - lettered
    typer.echo(
        f"sent {sent} records to {settings.topics.raw}"
        + (f"; {lettered} rejected, dead-lettered on {settings.topics.dlq}" if lettered else "")
        + (f"; {unread} file(s) could not be read" if unread else "")
    )


@app.command()
def push(
    path: Annotated[
        Path, typer.Argument(help="a .txt/.json article file, or - for a JSON object on stdin")
    ],
) -> None:
    """Push one article onto the raw topic (a file its reader refuses goes to the dead-letter
    topic with the reason instead; exit 1)."""
    from service.producers.files import FileReject, read_file
    from service.producers.kafka import RawProducer

    items = [sys.stdin.buffer.read()] if str(path) == "-" else list(read_file(path))
    rejects = [item for item in items if isinstance(item, FileReject)]
    records = [item for item in items if not isinstance(item, FileReject)]
    settings = get_settings()
    with RawProducer(settings) as producer:
        for record in records:
            producer.send(record)
        for reject in rejects:
            if reject.payload is not None:
                origin = reject.origin("push-command")
                producer.dead_letter(reject.payload, reject.reason, reject.detail, origin)
    for reject in rejects:
        typer.echo(f"rejected: {path}: {reject.message} (dead-lettered)", err=True)
    typer.echo(
        f"sent {len(records)} record(s) to {settings.topics.raw}"
        + (f"; {len(rejects)} rejected, dead-lettered on {settings.topics.dlq}" if rejects else "")
    )
    if rejects:
        raise typer.Exit(1)


@app.command()
def feed(
    locations: Annotated[
        list[str] | None,
        typer.Argument(help="RSS/Atom feeds: http(s) URLs or file paths"),
    ] = None,
    feed_list: Annotated[
        Path | None,
        typer.Option("--list", help="file of feed locations, one per line (# comments)"),
    ] = None,
    every: Annotated[float, typer.Option(help="seconds between polls of a feed")] = 300.0,
    max_backoff: Annotated[
        float, typer.Option(help="longest pause before retrying a failing feed (seconds)")
    ] = 3600.0,
    once: Annotated[bool, typer.Option("--once", help="poll each feed once and exit")] = False,
    state: Annotated[
        Path | None,
        typer.Option(help="state file of a single feed (default: in --state-dir)"),
    ] = None,
    state_dir: Annotated[
        Path, typer.Option(help="one state file per feed, named after its location's hash")
    ] = Path("var/feeds"),
    parallel: Annotated[int, typer.Option(help="downloads at once", min=1)] = 8,
    metrics_port: Annotated[
        int, typer.Option(help="serve the poller's Prometheus metrics on this port (0: off)")
    ] = 0,
    metrics_host: Annotated[str, typer.Option(help="address the metrics listen on")] = (
        "127.0.0.1"
    ),
    retry_gone: Annotated[
        bool,
        typer.Option("--retry-gone", help="poll again the feeds marked gone (410 Gone)"),
    ] = False,
    forget_redirects: Annotated[
        bool,
        typer.Option(
            "--forget-redirects",
            help="fetch the feeds at their listed address again, not where a permanent "
            "redirect (301, 308) took them",
        ),
    ] = False,
) -> None:
    """Poll RSS/Atom feeds and push entries not sent before onto the raw topic.

    Each feed is fetched with a conditional GET (nothing downloaded if unchanged), every
    `--every` seconds; a feed that fails is retried after a pause doubling per failure (up to
    `--max-backoff`, longer if the server says Retry-After), and holds up no other feed.
    A feed that answers 410 Gone is polled no more (reported at each start) until
    --retry-gone. A feed that moved for good (301, 308) is fetched where it moved until
    --forget-redirects, or until the list names another address for it. With --once the
    exit status is 1 if any feed failed or is gone."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from prometheus_client import CollectorRegistry, start_http_server

    from service.metrics import FeedMetrics, ProducerMetrics
    from service.producers.feeds import Poller, PollSchedule, feed_states, read_feed_list
    from service.producers.kafka import RawProducer

    wanted = [*(locations or []), *(read_feed_list(feed_list) if feed_list else [])]
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        raise typer.BadParameter("give at least one feed (argument or --list)")
    if state is not None and len(wanted) > 1:
        raise typer.BadParameter("--state is for a single feed; use --state-dir")
    states, forgotten = feed_states(
        wanted, state_dir, state, retry_gone=retry_gone, forget_redirects=forget_redirects
    )
    for location, moved in forgotten.items():
        typer.echo(
            f"{location}: permanent redirect to {moved} forgotten: fetched at the address "
            "listed again"
        )
    schedule = PollSchedule(wanted, every, max_backoff)
    registry = CollectorRegistry()
    metrics = FeedMetrics(registry)
    letters = ProducerMetrics(registry)
    for location in wanted:
        metrics.watch(location)
    if metrics_port:
        start_http_server(metrics_port, metrics_host, registry=registry)
    failed = False
    with (
        RawProducer(get_settings(), on_dead_letter=letters.dead_lettered) as producer,
        ThreadPoolExecutor(parallel) as pool,
        _broker_probe(registry, once),
    ):
        # The schedule runs on the monotonic clock: a wall clock stepped back stalls nothing.
        poller = Poller(states, schedule, producer, pool)
        due = schedule.due(time.monotonic())
        for location in [location for location in wanted if location not in due]:
            gone_at = states[location].gone_at
            if gone_at is not None:
                failed = True  # reported at every start: --once exits 1 while it is listed
                metrics.went(location)
                since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(gone_at))
                typer.echo(
                    f"{location}: gone (HTTP 410 Gone at {since} UTC): no longer polled"
                    " (remove it from the list, or --retry-gone)",
                    err=True,
                )
                continue
            until = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(states[location].retry_at))
            typer.echo(f"{location}: not polled before {until} UTC: the server's Retry-After")
        while True:
            if once:
                outcomes = poller.drain()
            else:
                outcomes = poller.step(min(60.0, max(0.0, schedule.next_at() - time.monotonic())))
            for outcome in outcomes:
                where = outcome.location
                metrics.polled(
                    where, outcome.status, outcome.sent or 0, outcome.failures, time.time()
                )
                if outcome.gone:
                    failed = True
                    metrics.went(where)
                    typer.echo(
                        f"{where}: gone ({outcome.error}): no longer polled"
                        " (remove it from the list, or --retry-gone)",
                        err=True,
                    )
                elif outcome.error is not None:
                    failed = True
                    wait = outcome.next_at - time.monotonic()
                    typer.echo(
                        f"{where}: failed: {outcome.error} (next try in {wait:.0f} s)", err=True
                    )
                elif outcome.not_modified:
                    typer.echo(f"{where}: not modified")
                else:
                    sent = outcome.sent
                    typer.echo(f"{where}: sent {sent} new entr{'y' if sent == 1 else 'ies'}")
                if outcome.moved_to:
                    typer.echo(
                        f"{where}: moved permanently to {outcome.moved_to}: fetched there from"
                        " now on (its state and ids kept; update the feed list)"
                    )
            if once:
                raise typer.Exit(1 if failed else 0)


def _broker_probe(registry: CollectorRegistry, once: bool) -> AbstractContextManager[object]:
    """The broker probe of a long-running watcher or feed poller (`wirefeed_broker_*` on its
    registry, a log line when the broker goes or comes back); none for a single poll."""
    from service.contact import BrokerContact
    from service.metrics import BrokerMetrics
    from service.producers.kafka import BrokerProbe

    if once:
        return contextlib.nullcontext()
    return BrokerProbe.of(get_settings(), BrokerContact(BrokerMetrics(registry)))


@app.command()
def watch(
    folder: Annotated[Path, typer.Argument(help="the drop folder", file_okay=False)],
    every: Annotated[float, typer.Option(help="seconds between polls")] = 2.0,
    min_age: Annotated[
        float, typer.Option(help="take a file only when unmodified this long (seconds)")
    ] = 2.0,
    once: Annotated[bool, typer.Option("--once", help="poll once and exit")] = False,
    metrics_port: Annotated[
        int, typer.Option(help="serve the watcher's Prometheus metrics on this port (0: off)")
    ] = 0,
    metrics_host: Annotated[str, typer.Option(help="address the metrics listen on")] = (
        "127.0.0.1"
    ),
) -> None:
    """Push files dropped into a folder, then move them to done/ (or failed/ with a reason).

    Takes .txt/.text, .json, .jsonl/.ndjson, .xml/.nitf/.newsml files (any case);
    ninjs, NITF and NewsML-G2 are recognised by content. Skips dot files, files
    being written (.tmp, .part, .partial, .crdownload) and other suffixes. What a reader
    refuses (a file, or a line or item of one) goes to the dead-letter topic with the
    reason, not to the raw topic, and its file to failed/.
    """
    import time

    from prometheus_client import CollectorRegistry, start_http_server

    from service.metrics import ProducerMetrics, WatchMetrics
    from service.producers.kafka import RawProducer
    from service.producers.watch import watch_once

    folder.mkdir(parents=True, exist_ok=True)
    registry = CollectorRegistry()
    metrics = WatchMetrics(registry)
    letters = ProducerMetrics(registry)
    if metrics_port:
        start_http_server(metrics_port, metrics_host, registry=registry)
    with (
        RawProducer(get_settings(), on_dead_letter=letters.dead_lettered) as producer,
        _broker_probe(registry, once),
    ):
        while True:
            try:
                result = watch_once(folder, producer, min_age=min_age)
            except OSError as exc:  # the folder itself unreadable (a network share's hiccup)
                typer.echo(f"{folder}: not read: {exc} (tried again next poll)", err=True)
                if once:
                    raise typer.Exit(1) from exc
                time.sleep(every)
                continue
            handled = {
                "done": len(result.done),
                "failed": len(result.failed),
                "kept": len(result.kept),
                "vanished": len(result.vanished),
            }
            metrics.polled(handled, time.time())
            for name in result.done:
                typer.echo(f"done: {name}")
            for name in result.failed:
                typer.echo(f"failed: {name} (see {folder / 'failed' / name}.reason)", err=True)
            for name, error in result.kept.items():
                typer.echo(f"kept: {name} (not sent, tried again next poll: {error})", err=True)
            for name, when in result.vanished.items():
                typer.echo(f"vanished: {name} (deleted or renamed away {when})", err=True)
            if once:
                raise typer.Exit(1 if result.kept else 0)
            time.sleep(every)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="port to listen on")] = 8080,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
) -> None:
    """HTTP push endpoint: POST /articles onto the raw topic (202 / 400 with the reason).

    Bodies: a JSON object or array, NDJSON, NITF or NewsML-G2 XML, plain text. GET /health;
    GET /metrics (Prometheus).
    """
    from aiohttp import web
    from prometheus_client import CollectorRegistry

    from service.contact import BrokerContact
    from service.metrics import BrokerMetrics, ProducerMetrics, PushMetrics
    from service.producers.endpoint import make_app
    from service.producers.kafka import RawProducer

    settings = get_settings()
    waited = int(settings.push_send_seconds * 1000)
    timeouts: dict[str, Any] = {
        "max_block_ms": waited,
        "delivery_timeout_ms": waited,
        # kafka-python: delivery must exceed linger + request timeouts.
        "request_timeout_ms": min(waited // 2, 30_000),
    }
    registry = CollectorRegistry()
    letters = ProducerMetrics(registry)
    with RawProducer(settings, on_dead_letter=letters.dead_lettered, **timeouts) as producer:
        # An empty token (compose's `${WIRE_PUSH_TOKEN:-}` unset) is no token.
        token = (settings.push_token.get_secret_value() if settings.push_token else None) or None
        if token is None and host not in ("127.0.0.1", "localhost", "::1"):
            typer.echo(
                f"warning: serving on {host} without WIRE_PUSH_TOKEN: anyone can post", err=True
            )
        endpoint = make_app(
            producer,
            settings.topics.raw,
            token=token,
            max_record_bytes=settings.max_record_bytes,
            max_in_flight=settings.push_max_in_flight,
            metrics=PushMetrics(registry),
            registry=registry,
            contact=BrokerContact(BrokerMetrics(registry)),
        )
        web.run_app(endpoint, host=host, port=port)


@dlq_app.command("show")
def dlq_show(
    limit: Annotated[int, typer.Option(help="latest letters listed (counts cover all)")] = 20,
) -> None:
    """Count the dead letters by reason and list the latest ones."""
    from collections import Counter

    from rich.console import Console
    from rich.table import Table

    from service.producers.dlq import read_dead_letters

    settings = get_settings()
    consumer, letters = read_dead_letters(settings)
    try:
        every = list(letters)
    finally:
        consumer.close()
    reasons = Counter(letter.reason for letter in every)
    truncated = sum(1 for letter in every if letter.truncated)
    typer.echo(
        f"{len(every)} dead letters on {settings.topics.dlq}"
        + (f" ({truncated} truncated, not replayable)" if truncated else "")
        + "".join(f"\n  {reason}: {count}" for reason, count in reasons.most_common())
    )
    table = Table()
    for column in ("partition/offset", "reason", "from", "bytes", "detail"):
        table.add_column(column, overflow="ellipsis", no_wrap=True)
    for letter in sorted(every, key=lambda item: item.offset)[-limit:] if limit else []:
        origin = letter.origin
        table.add_row(
            f"{letter.partition}/{letter.offset}",
            letter.reason,
            (
                f"{origin.get('topic')}:{origin.get('partition')}/{origin.get('offset')}"
                if "partition" in origin
                else f"{origin.get('producer') or 'a producer'}{_file_place(origin)}, "
                f"for {origin.get('topic')}"
            ),
            f"{letter.size}{' (cut)' if letter.truncated else ''}",
            letter.detail[:80],
        )
    if every and limit:
        Console().print(table)


def _file_place(origin: dict[str, Any]) -> str:
    """` FILE line N` for a letter a file's reader refused, else nothing."""
    if not origin.get("file"):
        return ""
    where = "".join(f" {name} {origin[name]}" for name in ("line", "item") if name in origin)
    return f" {origin['file']}{where}"


@dlq_app.command("replay")
def dlq_replay(
    reason: Annotated[
        list[str] | None, typer.Option(help="only letters of this reason (repeatable)")
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="every letter, not only those since the last replay")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option(help="count what a run would send; send and commit nothing")
    ] = False,
) -> None:
    """Send dead letters back to the topic they came from (same bytes, same key), once their
    cause is fixed; each run takes the selected letters no run has handled yet. Letters a
    file's reader refused (`watch`, `replay`) are left alone: fix the file and drop it
    again, or replay it; so are editors' commands refused (refused for good): send a new
    command."""
    from service.producers.dlq import replay_dead_letters

    report = replay_dead_letters(
        get_settings(), reason or (), everything=everything, dry_run=dry_run
    )
    verb = "would send" if dry_run else "sent"
    typer.echo(
        f"{verb} {report.total_sent} dead letters back"
        + "".join(f"\n  {name}: {count}" for name, count in report.sent.most_common())
    )
    if report.truncated:
        typer.echo(f"left {report.truncated} whose payload was cut (not replayable)")
    if report.not_selected:
        typer.echo(f"skipped {report.not_selected} of other reasons")
    if report.unknown_origin:
        typer.echo(f"left {report.unknown_origin} from topics that are not inputs")
    if report.from_readers:
        typer.echo(
            f"left {report.from_readers} a producer's reader refused (their bytes are a file's "
            "or a pushed body, not a raw record): fix each file and drop it into the watched "
            "folder again or replay it; push a fixed body again"
        )
    if report.commands:
        typer.echo(
            f"left {report.commands} editors' commands refused (a command refused stays "
            "refused): send the correction again as a new command (`wirefeed story` without "
            "--id)"
        )


ShardOption = Annotated[
    str, typer.Option(help="the story's shard: its language, as the worker's /stories lists it")
]
CommandId = Annotated[
    str | None, typer.Option("--id", help="the command's id (sent twice, applied once)")
]


@story_app.command("split")
def story_split(
    story: Annotated[str, typer.Argument(help="the story the articles leave")],
    articles: Annotated[list[str], typer.Argument(help="ids of the articles to move out")],
    shard: ShardOption,
    title: Annotated[str, typer.Option(help="the new story's title")] = "",
    command_id: CommandId = None,
) -> None:
    """Move articles (and their copies) out of a story into a new one."""
    _send_command(
        {"action": "split", "story": story, "articles": articles, "title": title},
        shard,
        command_id,
    )


@story_app.command("merge")
def story_merge(
    story: Annotated[str, typer.Argument(help="the story that stays")],
    stories: Annotated[list[str], typer.Argument(help="the stories folded into it")],
    shard: ShardOption,
    command_id: CommandId = None,
) -> None:
    """Fold stories into one, whose id stays."""
    _send_command({"action": "merge", "story": story, "stories": stories}, shard, command_id)


@story_app.command("move")
def story_move(
    story: Annotated[str, typer.Argument(help="the story the articles join")],
    articles: Annotated[list[str], typer.Argument(help="ids of the articles to move into it")],
    shard: ShardOption,
    command_id: CommandId = None,
) -> None:
    """Move articles (and their copies) from the stories they are in into an existing one."""
    _send_command({"action": "move", "story": story, "articles": articles}, shard, command_id)


def _send_command(fields: dict[str, object], shard: str, command_id: str | None) -> None:
    import uuid

    from kafka.errors import KafkaError

    from service.models import Rejected, StoryCommand
    from service.producers.kafka import RawProducer, SendFailed

    settings = get_settings()
    record = {"id": command_id or uuid.uuid4().hex, "shard": shard, **fields}
    try:
        command = StoryCommand.from_dict(record)
    except Rejected as exc:
        typer.echo(f"not sent: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    topic = settings.topics.commands
    try:
        with RawProducer(settings, topic=topic) as producer:
            producer.send(command.to_dict())
    except (KafkaError, SendFailed) as exc:
        typer.echo(f"not sent: the broker at {settings.bootstrap_servers}: {exc!r}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"sent command {command.id} to {topic}: the worker publishes its story event on "
        f"{settings.topics.stories}, or says why not on {settings.topics.dlq}"
    )


@broker_app.command("fetch")
def broker_fetch() -> None:
    """Download Apache Kafka's jars with Maven into the cache (once)."""
    from service.localbroker import fetch_jars

    typer.echo(str(fetch_jars(get_settings())))


@broker_app.command("start")
def broker_start() -> None:
    """Fetch if needed, format KRaft storage once, start the broker and wait until it answers."""
    from service.localbroker import start_broker

    pid = start_broker(get_settings())
    typer.echo(f"kafka broker running on {get_settings().bootstrap_servers} (pid {pid})")


@broker_app.command("stop")
def broker_stop() -> None:
    """Stop the local broker cleanly."""
    from service.localbroker import stop_broker

    typer.echo("stopped" if stop_broker(get_settings()) else "not running")


@broker_app.command("status")
def broker_status() -> None:
    """Say whether the local broker is running."""
    from service.localbroker import broker_pid

    pid = broker_pid(get_settings())
    typer.echo(f"running (pid {pid})" if pid else "not running")
    raise typer.Exit(0 if pid else 1)


@app.command()
def demo(
    seeds: Annotated[
        Path, typer.Option(help="articles to replay (a folder or file, as `replay` reads)")
    ] = PROJECT_ROOT / "seeds",
    keep_running: Annotated[
        bool, typer.Option(help="keep the worker up until Ctrl-C and leave the broker running")
    ] = False,
) -> None:
    """The main job: broker up, worker up, seeds replayed, results and metrics shown.

    It first stops the local broker `wirefeed broker start` runs, if any, and deletes its
    data and the worker's (WIRE_KAFKA_DATA_DIR, WIRE_WORKER_DATA_DIR: var/kafka and
    var/worker): it starts from a clean broker. Other ports: WIRE_KAFKA_PORT,
    WIRE_KAFKA_CONTROLLER_PORT, WIRE_WEB_PORT.
    """
    from service.demo import run_demo

    if not seeds.exists():
        # Checked before any broker is stopped or started (that took ~17 s, then a traceback).
        typer.echo(f"demo: {seeds}: no such file or folder", err=True)
        raise typer.Exit(2)
    raise typer.Exit(run_demo(get_settings(), seeds, keep_running=keep_running))


def main() -> None:
    app()
