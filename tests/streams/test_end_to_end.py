"""End to end through a real Apache Kafka broker and a `wirefeed worker` process."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from service.metrics import summary_from_exposition
from service.producers.dlq import DeadLetter, replay_dead_letters
from service.producers.files import read_file
from service.producers.kafka import RawProducer
from service.producers.replay import replay_records
from service.records import after_events
from service.settings import Settings
from tests.conftest import QUAKE_REPORTS, SEEDS, WorkerProcess, read_topics
from tests.pipeline.test_cluster import LOOK_ALIKES
from tests.pipeline.test_corrections import LATER

pytestmark = pytest.mark.kafka


def _outcomes(settings: Settings, count: int, settle: float = 3.0) -> dict[str, dict[str, Any]]:
    """Per article id, what the service published about it; fails on anything published twice."""
    topics = settings.topics
    found = read_topics(settings, [topics.articles, topics.duplicates], count, settle=settle)
    ids = Counter(record["id"] for _, record in found)
    assert [i for i, n in ids.items() if n > 1] == [], "an article was published twice"
    return {record["id"]: {"topic": topic, **record} for topic, record in found}


def _seed_ids() -> dict[str, str]:
    ids = {}
    for path in SEEDS.glob("*.txt"):
        (record,) = read_file(path)
        assert isinstance(record, dict)
        ids[path.name[:3]] = record["id"]
    return ids


def test_seeds_flow_through_the_broker(worker: WorkerProcess) -> None:
    settings = worker.settings
    with RawProducer(settings) as producer:
        assert replay_records(SEEDS, producer) == 5
    out = _outcomes(settings, 5)
    ids = _seed_ids()
    assert len(out) == 5
    assert out[ids["003"]]["duplicate_of"] == ids["004"]
    assert out[ids["003"]]["kind"] == "rewrite"
    assert out[ids["001"]]["duplicate_of"] == ids["000"]
    assert out[ids["001"]]["kind"] == "rewrite"
    for original in ("000", "002", "004"):
        assert out[ids[original]]["topic"] == settings.topics.articles
    story = {name: out[article_id]["story"] for name, article_id in ids.items()}
    assert story["000"] == story["001"] == story["002"]
    assert story["003"] == story["004"]
    assert story["000"] != story["004"]

    events = read_topics(settings, [settings.topics.stories], 5)
    assert Counter(record["event"] for _, record in events)["created"] == 2

    # The worker lists its live stories, newest first, named after their first article.
    url = f"http://{settings.web_host}:{settings.web_port}/stories?limit=10"
    with urllib.request.urlopen(url, timeout=10) as response:
        live = orjson.loads(response.read())
    assert sorted(entry["articles"] for entry in live) == [2, 3]
    assert {entry["story"] for entry in live} == {story["000"], story["004"]}
    opened = {story["004"]: out[ids["004"]], story["000"]: out[ids["000"]]}
    for entry in live:
        assert entry["title"] == opened[entry["story"]]["article"]["headline"][:160]
        assert entry["shard"] == "en"

    # The live-stories gauge is refreshed on a timer: wait for it.
    deadline = time.monotonic() + 30
    while summary_from_exposition(worker.metrics())["live_stories"] != 2:
        assert time.monotonic() < deadline, "live stories never reached 2"
        time.sleep(1)

    metrics = summary_from_exposition(worker.metrics())
    assert metrics["received"] == 5
    assert metrics["duplicates"] == 2
    assert metrics["duplicates_by_kind"]["rewrite"] == 2
    assert metrics["unique"] == 3
    assert metrics["stories_created"] == 2


def test_an_event_opened_twice_is_merged_on_the_story_topic(worker: WorkerProcess) -> None:
    settings = worker.settings
    with RawProducer(settings) as producer:
        for record in QUAKE_REPORTS:
            producer.send({**record, "source": "quake-desk"})
    out = _outcomes(settings, 3)
    events = [record for _, record in read_topics(settings, [settings.topics.stories], 3)]
    by_article = {event["article_id"]: event for event in events}
    assert [by_article[r["id"]]["event"] for r in QUAKE_REPORTS] == ["created", "created", "merged"]
    merged = by_article["quake-d2"]
    first, second = (by_article[r["id"]]["story"] for r in QUAKE_REPORTS[:2])
    assert first != second
    assert {merged["story"], *merged["merged_from"]} == {first, second}
    assert out["quake-d2"]["story"] == merged["story"]
    # Every event names its story after the article that opened it.
    titles = {by_article[r["id"]]["story"]: by_article[r["id"]]["title"] for r in QUAKE_REPORTS[:2]}
    assert merged["title"] == titles[merged["story"]]
    assert titles[first].startswith("Cascadia Bay earthquake")
    # Counted once the broker took the merge's outputs, which a reader may see first.
    deadline = time.monotonic() + 30
    while summary_from_exposition(worker.metrics())["stories_merged"] < 1:
        assert time.monotonic() < deadline, "the merge was never counted"
        time.sleep(0.5)
    assert summary_from_exposition(worker.metrics())["stories_merged"] == 1


def _cli(worker: WorkerProcess, *args: str) -> str:
    """Run `wirefeed ARGS` with the worker's settings; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "service", *args],
        env=worker.env(),
        capture_output=True,
        check=True,
        timeout=120,
    )
    return done.stdout.decode()


def test_dead_letters_go_back_once_the_cause_is_fixed(
    service_settings: Settings, tmp_path: Path
) -> None:
    # A limit set too low sends a long read to the dead-letter topic with a reason.
    strict = service_settings.model_copy(update={"max_article_bytes": 3000})
    long_read = {"id": "long-read", "text": "A long read. " + " ".join(f"w{i}" for i in range(900))}
    first = WorkerProcess(strict, tmp_path / "first.log")
    first.start()
    try:
        with RawProducer(strict) as producer:
            producer.send(long_read)
            producer.send(b"not json at all")
        letters = read_topics(strict, [strict.topics.dlq], 2, settle=1.0)
        assert sorted(record["reason"] for _, record in letters) == ["not_json", "too_large"]
    finally:
        first.stop()
    # The limit is raised and the worker restarted: the letter is replayed, and decided.
    fixed = strict.model_copy(update={"max_article_bytes": 512 * 1024})
    second = WorkerProcess(fixed, tmp_path / "second.log")
    second.start()
    try:
        report = replay_dead_letters(fixed, ["too_large"])
        assert dict(report.sent) == {"too_large": 1}
        assert report.not_selected == 1
        out = _outcomes(fixed, 1)
        assert out["long-read"]["topic"] == fixed.topics.articles
        # The next run starts after what this one handled: nothing is sent twice.
        assert replay_dead_letters(fixed, ["too_large"], dry_run=True).total_sent == 0
        assert replay_dead_letters(fixed, ["too_large"]).total_sent == 0
        assert replay_dead_letters(fixed, ["too_large"], everything=True, dry_run=True).sent == {
            "too_large": 1
        }
        # The same through the command line, as an operator runs it.
        shown = _cli(second, "dlq", "show")
        assert "2 dead letters" in shown
        assert "too_large: 1" in shown
        assert "not_json: 1" in shown
        dry = _cli(second, "dlq", "replay", "--all", "--dry-run")
        assert "would send 2 dead letters back" in dry
    finally:
        second.stop()


def _topic_takes(settings: Settings, topic: str, max_bytes: int) -> None:
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    try:
        config = {"max.message.bytes": str(max_bytes)}
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs=config)])
        # The broker applies the change from its metadata log after the call returns: wait
        # until it describes the topic so.
        deadline = time.monotonic() + 30
        while True:
            described = admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all"
            )
            if described["topic"][topic]["max.message.bytes"]["value"] == str(max_bytes):
                return
            assert time.monotonic() < deadline, f"{topic} never took max.message.bytes {max_bytes}"
            time.sleep(0.2)
    finally:
        admin.close()


def test_an_output_the_broker_refused_is_published_when_its_letter_is_replayed(
    worker: WorkerProcess,
) -> None:
    # The broker refuses the article's output (wire.articles takes 1,500 bytes for a while)
    # and takes its story event: the input is dead-lettered, and once the topic is fixed the
    # same worker, replaying the letter, publishes the article (it must not take it for one
    # still in flight) and not the story event again.
    settings = worker.settings
    _topic_takes(settings, settings.topics.articles, 1500)
    article = {
        "id": "refused",
        "text": "Refused at first. " + " ".join(f"w{i}" for i in range(400)),
    }
    with RawProducer(settings) as producer:
        producer.send(article)
    letters = read_topics(settings, [settings.topics.dlq], 1, settle=1.0)
    assert [record["reason"] for _, record in letters] == ["internal_error"]
    assert "MessageSizeTooLarge" in letters[0][1]["detail"]
    _topic_takes(settings, settings.topics.articles, 1024 * 1024)
    assert replay_dead_letters(settings, ["internal_error"]).sent == {"internal_error": 1}
    assert _outcomes(settings, 1)["refused"]["topic"] == settings.topics.articles
    events = read_topics(settings, [settings.topics.stories], 2, timeout=5.0, settle=1.0)
    assert [record["article_id"] for _, record in events] == ["refused"]


def test_an_article_near_a_raised_size_limit_is_published(
    service_settings: Settings, start_worker: Callable[[Settings], WorkerProcess]
) -> None:
    # Its normalised record (~1.1x) once exceeded the worker producer's 1 MB request limit:
    # the agent crashed past it, and it was neither published nor dead-lettered.
    settings = service_settings.model_copy(update={"max_article_bytes": 2 * 1024 * 1024})
    topics = settings.topics
    for topic in (topics.raw, topics.normalised, topics.articles, topics.dlq):
        _topic_takes(settings, topic, settings.max_record_bytes)  # as an operator raises them
    start_worker(settings)
    words = " ".join(f"w{i % 5000}x{i}" for i in range(100_000))
    big = {"id": "big", "text": f"A very long read. {words}"}
    assert 950_000 < len(orjson.dumps(big)) < 2 * 1024 * 1024
    with RawProducer(settings) as producer:
        producer.send(big)
    assert _outcomes(settings, 1, settle=1.0)["big"]["topic"] == settings.topics.articles


def test_lag_is_exported_before_the_worker_first_commits(worker: WorkerProcess) -> None:
    # Nothing arrives, so nothing is committed: the lag (0 here) must still be known, or a
    # worker stuck right after a restart would export none and the lag alert stay silent.
    raw = worker.settings.topics.raw
    deadline = time.monotonic() + 30
    lags: list[str] = []
    while time.monotonic() < deadline and len(lags) < 4:
        lags = [
            line
            for line in worker.metrics().splitlines()
            if line.startswith("wirefeed_consumer_lag_messages{") and f'topic="{raw}"' in line
        ]
        time.sleep(0.5)
    assert len(lags) == 4  # every partition of the raw topic
    assert all(line.endswith(" 0.0") for line in lags)
    # The worker's probe of the broker (every 10 s) has had an answer: the gauge the
    # broker-unreachable alert watches is the real client's, not only a fake's.
    contact = 0.0
    while time.monotonic() < deadline + 15 and not contact:
        values = unlabelled_samples(worker.metrics(), "wirefeed_broker_")
        contact = values.get("wirefeed_broker_last_contact_timestamp_seconds", 0.0)
        time.sleep(0.5)
    assert time.time() - 60 < contact <= time.time()
    assert values["wirefeed_broker_unreachable"] == 0


def unlabelled_samples(exposition: str, prefix: str) -> dict[str, float]:
    """The unlabelled samples of a /metrics page whose names start with `prefix`."""
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name.startswith(prefix) and not sample.labels
    }


def test_bad_input_is_dead_lettered_and_good_articles_still_flow(worker: WorkerProcess) -> None:
    settings = worker.settings
    good = [
        {
            "id": f"good-{n}",
            "text": f"Article number {n}. " + " ".join(f"w{n}x{i}" for i in range(60)),
        }
        for n in range(3)
    ]
    bad: list[tuple[bytes, str]] = [
        (b"this is not json {", "not_json"),
        (orjson.dumps({"id": "no-text", "title": "headline only"}), "missing_text"),
        (orjson.dumps({"id": "wrong-type", "text": 42}), "wrong_type"),
        (orjson.dumps({"id": "huge", "text": "x " * 40_000}), "too_large"),
        (b'{"id": "latin1", "text": "caf\xe9"}', "not_utf8"),
        (orjson.dumps(["a", "list"]), "not_an_object"),
    ]
    with RawProducer(settings) as producer:
        producer.send(good[0])
        for payload, _ in bad:
            producer.send(payload)
        for record in good[1:]:
            producer.send(record)

    out = _outcomes(settings, len(good))
    assert sorted(out) == [record["id"] for record in good]
    letters = read_topics(settings, [settings.topics.dlq], len(bad), settle=2.0)
    assert sorted(record["reason"] for _, record in letters) == sorted(r for _, r in bad)
    for _, record in letters:
        assert record["detail"]
        assert record["origin"]["topic"] == settings.topics.raw
        assert record["origin"]["offset"] >= 0
        assert record["size"] > 0
        assert len(record["sha256"]) == 64
    # Kept whole (by default), so it can be replayed once the limit is raised.
    huge = next(record for _, record in letters if record["reason"] == "too_large")
    assert huge["truncated"] is False
    assert DeadLetter.parse(0, 0, None, orjson.dumps(huge)).payload == next(
        payload for payload, reason in bad if reason == "too_large"
    )

    rejects = summary_from_exposition(worker.metrics())["rejected_by_reason"]
    assert {reason: rejects[reason] for _, reason in bad} == {reason: 1 for _, reason in bad}


def test_editors_merge_split_and_move_stories_through_the_broker(worker: WorkerProcess) -> None:
    settings = worker.settings
    topics = settings.topics
    with RawProducer(settings) as producer:
        for key, text in LOOK_ALIKES.items():
            producer.send({"id": key, "text": text, "source": "sports-desk"})
    out = _outcomes(settings, 4)
    sixers, blazers = out["a1"]["story"], out["b1"]["story"]
    assert sixers == out["a2"]["story"] != blazers == out["b2"]["story"]

    # An editor folds the two into one story, then splits the Blazers articles out again;
    # a command for a story that does not exist is dead-lettered with the reason, and so is
    # one naming an article not in yet.
    _cli(worker, "story", "merge", blazers, sixers, "--shard", "en", "--id", "m1")
    _cli(worker, "story", "split", "st-nowhere", "b1", "--shard", "en", "--id", "bad")
    _cli(worker, "story", "move", blazers, "b3", "--shard", "en", "--id", "early")
    _cli(worker, "story", "split", blazers, "b1", "b2", "--shard", "en", "--id", "s1")
    # News that comes after the split is applied (commands and articles reach the decide
    # agent by separate topics: order between them holds from when a command is applied).
    assert len(read_topics(settings, [topics.stories], 6)) == 6
    with RawProducer(settings) as producer:
        producer.send({"id": "b3", "text": LATER["b3"], "source": "sports-desk"})
        producer.send({"id": "b1-again", "text": LOOK_ALIKES["b1"], "source": "other-desk"})
    out = _outcomes(settings, 6)
    assert out["b3"]["story"] == out["b1-again"]["story"] != blazers
    # The refused move comes again (as a redelivery would) now that b3 is in: it stays
    # refused, and its letter is not sent twice.
    _cli(worker, "story", "move", blazers, "b3", "--shard", "en", "--id", "early")
    # The editor files b3 under the other story; a copy of it that comes later follows it.
    _cli(worker, "story", "move", blazers, "b3", "--shard", "en", "--id", "v1")
    assert len(read_topics(settings, [topics.stories], 9)) == 9
    with RawProducer(settings) as producer:
        producer.send({"id": "b3-again", "text": LATER["b3"], "source": "other-desk"})
    out = _outcomes(settings, 7)
    events = [record for _, record in read_topics(settings, [topics.stories], 10, settle=2.0)]
    commands = {event["command"]: event for event in events if event.get("command")}
    assert sorted(commands) == ["m1", "s1", "v1"]
    assert commands["m1"]["event"] == "merged"
    assert commands["m1"]["story"] == blazers
    assert commands["m1"]["merged_from"] == [sixers]
    split = commands["s1"]
    assert split["event"] == "split"
    assert split["split_from"] == blazers
    # b2 is a rewrite of b1 (a copy): named, it stands for its original, and follows it.
    assert out["b2"]["duplicate_of"] == "b1"
    assert split["articles"] == ["b1"]
    moved = commands["v1"]
    assert moved["event"] == "moved"
    assert moved["story"] == blazers
    assert moved["moved_from"] == [split["story"]]
    assert moved["articles"] == ["b3"]
    # Later articles of the Blazers event, and a copy of one split out, land in the new story.
    assert out["b3"]["story"] == split["story"]
    assert out["b1-again"]["duplicate_of"] == "b1"
    assert out["b1-again"]["story"] == split["story"]
    assert out["b3-again"]["duplicate_of"] == "b3"
    assert out["b3-again"]["story"] == blazers
    final = dict(zip([e["article_id"] for e in events], after_events(events), strict=True))
    assert final["a1"] == final["a2"] == final["b3"] == final["b3-again"] == blazers
    assert final["b1"] == final["b2"] == final["b1-again"] == split["story"]

    letters = read_topics(settings, [topics.dlq], 2, settle=2.0)
    assert [record["reason"] for _, record in letters] == ["bad_command"] * 2
    assert "no live story st-nowhere" in letters[0][1]["detail"]
    assert "no live article b3" in letters[1][1]["detail"]
    metrics = summary_from_exposition(worker.metrics())
    assert metrics["rejected_by_reason"]["bad_command"] == 2
    # `wirefeed dlq replay` leaves them alone: sent back, they would change nothing.
    report = replay_dead_letters(settings, dry_run=True)
    assert (report.total_sent, report.commands) == (0, 2)


def _corpus(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Distinct synthetic articles, and every fifth one followed later by a resend."""
    rng = random.Random(seed)
    vocabulary = [f"{rng.choice('bcdfghklmnprstvz')}{rng.choice('aeiou')}{n}" for n in range(5000)]
    articles = []
    for n in range(count):
        words = rng.sample(vocabulary, 250)
        text = " ".join(words[:120]) + ".\n\n" + " ".join(words[120:]) + "."
        articles.append({"id": f"a{n:04d}", "title": " ".join(words[:6]), "text": text})
    stream: list[dict[str, Any]] = []
    for n, article in enumerate(articles):
        stream.append(article)
        if n % 5 == 4:
            stream.append({**article, "id": f"{article['id']}-resend", "source": "other"})
    return stream


@pytest.mark.parametrize("table_store", ["rocksdb", "memory"])
def test_worker_restart_resumes_without_loss_or_repeats(
    service_settings: Settings,
    start_worker: Callable[[Settings], WorkerProcess],
    table_store: str,
) -> None:
    settings = service_settings.model_copy(update={"table_store": table_store})
    worker = start_worker(settings)
    stream = _corpus(150)
    half = len(stream) // 2
    # One feed: its records share a partition, so each original arrives before its resend.
    with RawProducer(settings) as producer:
        for record in stream[:half]:
            producer.send(record, feed="restart-test")
        producer.flush()
        seen_before = len(read_topics(settings, [settings.topics.articles], 10, settle=0.0))
        for record in stream[half:]:
            producer.send(record, feed="restart-test")
        producer.flush()
        # Stop mid-stream: the worker is busy, and what it has not done stays on the topic.
        assert worker.stop(signal.SIGTERM) == 0
    worker.start()

    out = _outcomes(settings, len(stream), settle=5.0)
    assert seen_before >= 10, "the worker had not started processing before the stop"
    assert sorted(out) == sorted(record["id"] for record in stream)
    resends = [record for record in stream if record["id"].endswith("-resend")]
    for record in resends:
        decision = out[record["id"]]
        assert decision["duplicate_of"] == record["id"].removesuffix("-resend")
        assert decision["kind"] == "exact"
    originals = [record for record in stream if not record["id"].endswith("-resend")]
    assert all(out[record["id"]]["topic"] == settings.topics.articles for record in originals)


def _empty_changelogs(settings: Settings) -> int:
    """Delete every record of the tables' changelogs (as retention would); returns how many."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers)
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic, count in settings.changelog_topics().items()
            for partition in range(count)
        ]
        ends = consumer.end_offsets(partitions)
        starts = consumer.beginning_offsets(partitions)
    finally:
        consumer.close()
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    try:
        # A compacted topic refuses DeleteRecords; "compact,delete" takes it.
        admin.alter_configs(
            [
                ConfigResource(
                    ConfigResourceType.TOPIC, topic, {"cleanup.policy": "compact,delete"}
                )
                for topic in settings.changelog_topics()
            ]
        )
        admin.delete_records({tp: end for tp, end in ends.items() if end > 0})
    finally:
        admin.close()
    return sum(ends[tp] - starts[tp] for tp in partitions)


def _live_stories(worker: WorkerProcess) -> int | None:
    """The worker's live-stories gauge (None while its web server is not up yet)."""
    try:
        return summary_from_exposition(worker.metrics())["live_stories"]
    except OSError:
        return None


def test_a_restarted_worker_keeps_its_tables_on_disk(worker: WorkerProcess) -> None:
    """The tables come back from the worker's own disk (RocksDB), not from the changelogs:
    with the changelogs emptied while it was stopped, a restarted worker still knows every
    article it decided (with the in-memory store it would take the resends for originals)."""
    settings = worker.settings
    originals = [record for record in _corpus(40) if not record["id"].endswith("-resend")]
    with RawProducer(settings) as producer:
        for record in originals:
            producer.send(record, feed="disk-test")
        producer.flush()
        first = _outcomes(settings, len(originals))
        assert len(first) == len(originals)
        assert worker.stop(signal.SIGTERM) == 0
        assert _empty_changelogs(settings) > 0
        worker.start()
        # Before any new article (no pipeline made yet), the gauge counts the stories kept.
        stories = len({record["story"] for record in first.values()})
        deadline = time.monotonic() + 30
        while _live_stories(worker) != stories:
            assert time.monotonic() < deadline, f"live stories never reached {stories}"
            time.sleep(1)
        resends = [{**record, "id": record["id"] + "-again"} for record in originals[:10]]
        for record in resends:
            producer.send(record, feed="disk-test")
        producer.flush()
    out = _outcomes(settings, len(originals) + len(resends))
    for record in resends:
        assert out[record["id"]]["duplicate_of"] == record["id"].removesuffix("-again")
        assert out[record["id"]]["kind"] == "exact"


@pytest.mark.parametrize("disk", ["same", "fresh"])
def test_a_worker_killed_mid_stream_loses_nothing(
    service_settings: Settings,
    start_worker: Callable[..., WorkerProcess],
    tmp_path: Path,
    disk: str,
) -> None:
    """SIGKILL (no clean shutdown) mid-stream, with the tables on disk: after a restart every
    article is published with the decision it should get; a repeat is possible only for the
    last batch before the kill (at most BATCH_MAX_EVENTS), never a loss, and a repeat carries
    the story and original it was first published with. `fresh`: the partitions are taken
    over by a worker without the killed one's disk, from the changelogs alone (a machine
    lost with its worker)."""
    settings = service_settings
    worker = start_worker(settings)
    stream = _corpus(150, seed=11)
    with RawProducer(settings) as producer:
        for record in stream:
            producer.send(record, feed="kill-test")
        producer.flush()
        assert len(read_topics(settings, [settings.topics.articles], 20)) >= 20
        assert worker.stop(signal.SIGKILL) == -signal.SIGKILL
    topics = settings.topics
    # What the killed worker published: a worker done with the stream by the kill would
    # leave the restarted one nothing to do, and the test would pass on any code.
    published = len(read_topics(settings, [topics.articles, topics.duplicates], len(stream), 3.0))
    print(f"published before the kill: {published} of {len(stream)}")
    assert published <= len(stream) - 50, "the kill did not come mid-stream"
    # The partitions come back once the group drops the killed member: only when its session
    # times out (Faust's default: 60 s), so the waits are longer than the defaults.
    if disk == "same":
        worker.start(timeout=240.0)
    else:
        start_worker(
            settings.model_copy(update={"worker_data_dir": tmp_path / "taker"}), timeout=240.0
        )
    found = read_topics(
        settings, [topics.articles, topics.duplicates], len(stream), timeout=240.0, settle=5.0
    )
    ids = Counter(record["id"] for _, record in found)
    missing = [record["id"] for record in stream if record["id"] not in ids]
    assert not missing, f"{len(missing)} of {len(stream)} never published, from {missing[0]}"
    assert set(ids) == {record["id"] for record in stream}
    assert sum(ids.values()) - len(ids) <= 100
    published_as: dict[str, set[tuple[str, Any, Any]]] = {}
    for topic, record in found:
        decision = (topic, record.get("story"), record.get("duplicate_of"))
        published_as.setdefault(record["id"], set()).add(decision)
    assert {i: d for i, d in published_as.items() if len(d) > 1} == {}, "a repeat changed"
    decided = {record["id"]: (topic, record) for topic, record in found}
    for record in stream:
        if record["id"].endswith("-resend"):
            topic, out = decided[record["id"]]
            assert topic == topics.duplicates
            assert out["duplicate_of"] == record["id"].removesuffix("-resend")
