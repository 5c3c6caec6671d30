"""One code path: the worker, through a real broker, decides a stream as `wirefeed label`
decides the same bytes (same duplicate links and kinds, same story ids, same story events,
same rejects). Only the clock differs: the broker stamps arrival, `wirefeed label` places each
article at its publication time, so the stream's articles carry publication times a minute
apart and close to now, where the two clocks agree on every gap that matters. The order is
the other difference the test rules out: the worker keeps each feed's order, not the order
across feeds (see the test)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from service.producers.files import read_file
from service.producers.kafka import RawProducer
from tests.conftest import QUAKE_REPORTS, SEEDS, WorkerProcess, read_topics
from tests.pipeline.test_cluster import LOOK_ALIKES
from tests.pipeline.test_corrections import LATER
from tests.pipeline.test_route import ENGLISH, FED, FLASH, OTHER_OUTLET
from tests.pipeline.test_route import GERMAN as GERMAN_FED

pytestmark = pytest.mark.kafka

GERMAN = (
    "Der Bundestag hat am Donnerstag nach langer Debatte das neue Heizungsgesetz "
    "beschlossen. Bauministerin Klara Geywitz sprach von einem Kompromiss, die Opposition "
    "kündigte eine Klage in Karlsruhe an. Das Gesetz soll am 1. Januar 2024 in Kraft treten."
)


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _stream(now: float) -> list[bytes]:
    """Seeds, an event opened twice (merged), look-alike events, a German article and its
    copy, an exact copy, new versions of items (one under its first id), a redelivery; two
    bad lines among them. From other feeds (`source`): an undeclared one-line flash of an
    English feed (taken as English) and its version, one of a feed with no language yet
    (both `und`), and an item sent again under its id in German (kept in English)."""
    records: list[dict[str, Any]] = []
    for path in sorted(SEEDS.glob("*.txt")):
        (record,) = read_file(path)
        assert isinstance(record, dict)
        records.append(record)
    records += QUAKE_REPORTS
    records += [{"id": key, "text": text} for key, text in {**LOOK_ALIKES, **LATER}.items()]
    records += [
        {"id": "de-1", "title": "Heizungsgesetz beschlossen", "text": GERMAN, "language": "de"},
        {"id": "de-2", "title": "Bundestag beschließt Heizungsgesetz", "text": GERMAN},
        {**records[2], "id": "seed-2-again"},
        {"id": "v1", "uri": "urn:item:1", "version": 1, "text": LOOK_ALIKES["a1"]},
        {
            "id": "v2",
            "uri": "urn:item:1",
            "version": 2,
            "text": LOOK_ALIKES["a1"] + " The team confirmed it on Sunday.",
        },
        {"id": "same-id", "text": GERMAN.replace("Donnerstag", "Freitag"), "language": "de"},
        # Another text under a known id: a new version, decided under an id of its own; then
        # the same bytes again, a redelivery.
        {"id": "same-id", "text": GERMAN.replace("Donnerstag", "Samstag"), "language": "de"},
        {"id": "same-id", "text": GERMAN.replace("Donnerstag", "Samstag"), "language": "de"},
        *({"id": f"en-{n}", "text": text, "source": "en-desk"} for n, text in enumerate(ENGLISH)),
        {"id": "flash-1", "uri": "urn:flash:1", "text": FLASH, "source": "en-desk"},
        {"id": "flash-2", "uri": "urn:flash:1", "version": 2, "text": FED, "source": "en-desk"},
        {"id": "flash-3", "uri": "urn:flash:3", "text": FLASH, "source": "new-desk"},
        {"id": "flash-4", "uri": "urn:flash:3", "version": 2, "text": FED, "source": "new-desk"},
        {"id": "flip", "text": OTHER_OUTLET, "source": "en-desk"},
        {"id": "flip", "text": GERMAN_FED, "source": "en-desk"},
    ]
    # A minute apart, ending before now; the reports of the event opened twice keep their
    # publication gaps (days) before the first of them.
    quake = parse_time(QUAKE_REPORTS[0]["published"])
    start = now - 3600
    lines = []
    for n, record in enumerate(records):
        published = start + 60 * n
        if record in QUAKE_REPORTS:
            published += parse_time(record["published"]) - quake
        stamped = {"source": "parity-desk", **record, "published": _iso(published)}
        lines.append(orjson.dumps(stamped))
    lines[8:8] = [b"not json {", orjson.dumps({"id": "no-text", "title": "headline only"})]
    return lines


def _feed(line: bytes) -> str:
    """The feed a line is sent as: its source (what `wirefeed label` keys it by)."""
    try:
        return str(orjson.loads(line)["source"])
    except (orjson.JSONDecodeError, KeyError):
        return "parity-desk"


def _ids(labels: list[dict[str, Any]]) -> list[str]:
    """What each line is decided or rejected as: one output record for each distinct id
    (a redelivery adds none), one dead letter for each rejected line."""
    return [
        f"rejected#{n}" if line.get("rejected") else str(line["id"])
        for n, line in enumerate(labels)
    ]


def _runs_of_a_feed(
    lines: list[bytes], labels: list[dict[str, Any]]
) -> list[tuple[int, list[str]]]:
    """The stream cut where the feed changes: (end of the run, the run's ids)."""
    runs: list[tuple[int, list[str]]] = []
    ids = _ids(labels)
    for n, line in enumerate(lines):
        if runs and _feed(lines[n - 1]) == _feed(line):
            runs[-1] = (n + 1, [*runs[-1][1], ids[n]])
        else:
            runs.append((n + 1, [ids[n]]))
    return runs


def test_the_worker_decides_a_stream_as_wirefeed_label_does(
    worker: WorkerProcess, tmp_path: Path
) -> None:
    settings = worker.settings
    lines = _stream(time.time())
    stream = tmp_path / "stream.jsonl"
    stream.write_bytes(b"\n".join(lines) + b"\n")
    done = subprocess.run(
        [sys.executable, "-m", "service", "label", str(stream)],
        env=worker.env(),
        capture_output=True,
        check=True,
        timeout=120,
    )
    labels = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert len(labels) == len(lines)
    rejected = sorted(line["rejected"] for line in labels if line.get("rejected"))
    decided = {line["id"]: line for line in labels if not line.get("rejected")}
    # The stream exercises what it claims to, offline first.
    kinds = {line["kind"] for line in decided.values()}
    assert {"exact", "rewrite", "version"} <= kinds, kinds
    assert any(line["story_event"] == "merged" for line in decided.values())
    assert {line["language"] for line in decided.values()} >= {"en", "de"}
    assert rejected == ["missing_text", "not_json"]
    assert any(key.startswith("same-id#") for key in decided)
    # Routing: each version in its first copy's shard, linked to it.
    versions = {
        key.partition("#")[0]: (line["language"], line["kind"], line["supersedes"])
        for key, line in decided.items()
        if key.startswith(("flash-", "flip"))
    }
    assert versions["flash-1"][0] == versions["flip"][0] == "en"
    assert versions["flash-2"] == ("en", "version", "flash-1")
    assert versions["flash-3"][0] == "und"
    assert versions["flash-4"] == ("und", "version", "flash-3")
    (flipped,) = (key for key in decided if key.startswith("flip#"))
    assert (decided[flipped]["language"], decided[flipped]["supersedes"]) == ("en", "flip")

    # The worker keeps each feed's order (a feed is one partition of the raw topic), not the
    # order across feeds: records of two partitions reach the router in whatever order its
    # fetches return them. `wirefeed label` reads the file's order, so each run of one feed's
    # lines is sent only once the worker has decided every line before it.
    topics = settings.topics
    outputs = [topics.articles, topics.duplicates, topics.dlq]
    with RawProducer(settings) as producer:
        for end, ids in _runs_of_a_feed(lines, labels):
            for line in lines[end - len(ids) : end]:
                producer.send(line, feed=_feed(line))
            producer.flush()
            expected = len(set(_ids(labels[:end])))
            assert len(read_topics(settings, outputs, expected)) == expected, ids
    found = read_topics(settings, [topics.articles, topics.duplicates], len(decided), settle=3)
    out = {record["id"]: record for _, record in found}
    assert len(found) == len(out) == len(decided)
    for article_id, line in decided.items():
        seen = out[article_id]
        assert (seen["duplicate_of"], seen["kind"], seen["story"]) == (
            line["duplicate_of"],
            line["kind"],
            line["story"],
        ), article_id
        if "article" in seen:  # routed alike: the shard is the article's language
            assert seen["article"]["language"] == line["language"], article_id

    events = read_topics(settings, [topics.stories], len(decided), settle=2)
    by_article = {record["article_id"]: record for _, record in events}
    assert len(by_article) == len(decided)
    for article_id, line in decided.items():
        event = by_article[article_id]
        assert (event["event"], event["story"], sorted(event["merged_from"])) == (
            line["story_event"],
            line["story"],
            sorted(line["merged_from"]),
        ), article_id

    letters = read_topics(settings, [topics.dlq], len(rejected), settle=2)
    assert sorted(record["reason"] for _, record in letters) == rejected
