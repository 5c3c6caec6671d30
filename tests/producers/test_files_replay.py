"""Reading article files and replaying them: formats, order, keys, loops, unreadable files
(one test runs `wirefeed replay` against the real broker)."""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from lxml import etree
from typer.testing import CliRunner

from service.cli import app
from service.models import Rejected
from service.producers import files, kafka, watch
from service.producers.dlq import DeadLetter, replay_dead_letters
from service.producers.files import FileFailure, FileReject, publication_order, read_path
from service.producers.formats import NEWSML_NS, XHTML_NS, copy_id, parse_document
from service.producers.kafka import record_key
from service.producers.replay import replay_records
from service.settings import PROJECT_ROOT, Settings
from tests.conftest import SEEDS, WorkerProcess, free_port
from tests.producers.conftest import (
    DEEP_LINE,
    GOOD_LINES,
    GOOD_TEXT,
    HUGE_VERSION_NITF,
    JSONL_WITH_A_DEEP_LINE,
    NESTED_254,
    NINJS_WITHOUT_URI,
    POISON_XML,
    REJECTED_FILES,
    FakeSender,
    assert_rejects_dead_lettered,
    assert_rejects_left_out_on_the_broker,
    drop_rejected_files,
    poisoned_parse_xml,
)
from tests.producers.documents import NEWSML_ITEM, NINJS_2, NITF


def test_text_json_and_jsonl_files_become_records(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Body of a.\n")
    (tmp_path / "b.json").write_bytes(orjson.dumps([{"id": "b1", "text": "x"}, 3]))
    (tmp_path / "c.jsonl").write_bytes(b'{"id": "c1", "text": "y"}\nnot json\n\n')
    (tmp_path / "d.bin").write_bytes(b"ignored")
    (tmp_path / "e.txt").write_bytes(b"caf\xe9")  # not UTF-8

    rejects: list[FileReject] = []
    records = read_path(tmp_path, rejects)

    a = copy_id("a", None, "Body of a.\n")  # the file's name and a digest of its text
    assert [r["id"] for r in records] == [a, "b1", "c1"]
    assert records[0] == {"id": a, "text": "Body of a.\n", "format": "text"}
    # What is not an article object is refused, its bytes kept for the dead-letter topic.
    assert [(r.path.name, r.payload, r.reason, r.where) for r in rejects] == [
        ("b.json", b"3", "not_an_object", {"item": 1}),
        ("c.jsonl", b"not json", "not_json", {"line": 2}),
        ("e.txt", b"caf\xe9", "not_utf8", {}),
    ]


def test_json_that_is_not_utf8_is_refused_as_not_utf8_with_the_bytes_offset(
    tmp_path: Path,
) -> None:
    # It was refused as not_json, orjson's "str is not valid UTF-8: surrogates not allowed"
    # at char 0, though the file holds no surrogate.
    latin = '{"id": "l1", "text": "Caf\u00e9 owners protest."}'.encode("latin-1")
    good = b'{"id": "l2", "text": "Rain."}'
    (tmp_path / "a.json").write_bytes(latin)
    (tmp_path / "b.jsonl").write_bytes(good + b"\n" + latin + b"\n")
    rejects: list[FileReject] = []
    assert read_path(tmp_path, rejects) == [{"id": "l2", "text": "Rain."}]
    # Python's words for it, with the offset of the byte, as the worker and endpoint say.
    bad = f"'utf-8' codec can't decode byte 0xe9 in position {latin.index(0xE9)}"
    assert [(r.path.name, r.reason, r.detail, r.where) for r in rejects] == [
        ("a.json", "not_utf8", f"{bad}: invalid continuation byte", {}),
        ("b.jsonl", "not_utf8", f"line 2: {bad}: invalid continuation byte", {"line": 2}),
    ]


def test_files_saved_with_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    (tmp_path / "a.json").write_bytes(bom + b'{"id": "a", "text": "x"}')
    (tmp_path / "b.jsonl").write_bytes(bom + b'{"id": "b", "text": "y"}\n')
    (tmp_path / "c.txt").write_bytes(bom + "Caf\u00e9 opens.".encode())
    records = read_path(tmp_path)
    c = copy_id("c", None, "Caf\u00e9 opens.")
    assert [r["id"] for r in records if isinstance(r, dict)] == ["a", "b", c]
    assert records[2] == {"id": c, "text": "Caf\u00e9 opens.", "format": "text"}


def test_text_files_in_utf16_or_utf32_with_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    # Notepad's "Unicode" is UTF-16 little-endian with a mark; the mark says so for sure.
    text = "Z\u00fcrich \u2014 the caf\u00e9\u2019s reopening."
    (tmp_path / "a.txt").write_bytes(text.encode("utf-16"))
    (tmp_path / "b.txt").write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    (tmp_path / "c.txt").write_bytes(text.encode("utf-32"))
    records = read_path(tmp_path)
    assert records == [
        {"id": copy_id(name, None, text), "text": text, "format": "text"} for name in "abc"
    ]


def test_unicode_text_files_without_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    # The order the NULs of the text's ASCII show: no longer UTF-8 with NULs, its other
    # characters lost. NULs that show no order leave the file to the dead-letter topic.
    text = "It\u2019s over \u2014 the talks ended."
    orders = ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]
    for name, order in zip("abcd", orders, strict=True):
        (tmp_path / f"{name}.txt").write_bytes(text.encode(order))
    (tmp_path / "e.txt").write_bytes(b"Talks ended.\0\0\0\0")
    rejects: list[FileReject] = []
    records = read_path(tmp_path, rejects)
    assert records == [
        {"id": copy_id(name, None, text), "text": text, "format": "text"} for name in "abcd"
    ]
    assert [(r.payload, r.reason) for r in rejects] == [(b"Talks ended.\0\0\0\0", "not_utf8")]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-16-be"])
def test_json_files_in_utf16_or_utf32_are_read(tmp_path: Path, encoding: str) -> None:
    # utf-16 and utf-32 with their mark; utf-16-be without one, in the order its NULs show.
    # They went to the dead-letter topic as bytes the worker could not read.
    first = {"id": "a", "text": "Z\u00fcrich \u2014 the caf\u00e9\u2019s reopening."}
    second = {"id": "b", "text": "Gen\u00e8ve \u2014 talks resume on 12 May."}
    (tmp_path / "a.json").write_bytes(orjson.dumps(first).decode().encode(encoding))
    lines = f"{orjson.dumps(second).decode()}\n{orjson.dumps(first).decode()}\n"
    (tmp_path / "b.jsonl").write_bytes(lines.encode(encoding))
    assert read_path(tmp_path) == [first, second, first]


def test_publication_order_puts_an_items_own_date_before_a_credit_line_date() -> None:
    order = [r["id"][:3] for r in publication_order(read_path(SEEDS)) if isinstance(r, dict)]
    # 004 states its date on a metadata line, 003 only in a credit line of the same day;
    # 000 is dated two days later; 001 and 002 have no date and keep their name order.
    assert order == ["004", "003", "000", "001", "002"]


def test_undated_records_keep_their_order_after_dated_ones() -> None:
    records: list[dict[str, Any] | bytes] = [
        {"id": "late", "text": "Text.", "published": "2025-08-20T10:00:00Z"},
        {"id": "undated-1", "text": "Text."},
        b"junk",
        {"id": "early", "text": "Text.", "published": "2025-08-19T10:00:00Z"},
        {"id": "undated-2", "text": "Text."},
    ]
    ordered = publication_order(records)
    assert [r["id"] if isinstance(r, dict) else r for r in ordered] == [
        "early",
        "late",
        "undated-1",
        b"junk",
        "undated-2",
    ]


def test_replay_sends_one_feed_in_order_and_loops_with_fresh_ids() -> None:
    sender = FakeSender()
    sent = replay_records(SEEDS, sender, loop=2)
    assert sent == 10
    ids = [r["id"] for r, _ in sender.sent if isinstance(r, dict)]
    # The second pass is new traffic, not a redelivery: same articles under fresh ids.
    assert ids[5:] == [i + "~1" for i in ids[:5]]
    assert {feed for _, feed in sender.sent} == {"replay:seeds"}


def test_partition_key_keeps_a_feed_together_and_versions_of_an_item() -> None:
    assert record_key({"id": "a", "source": "cp"}, feed="replay:x") == b"replay:x"
    assert record_key({"id": "a", "source": "cp"}) == b"cp"
    v1 = record_key({"id": "a-1", "uri": "urn:item:1", "version": 1})
    v2 = record_key({"id": "a-2", "uri": "urn:item:1", "version": 2})
    assert v1 == v2 == b"urn:item:1"
    assert record_key(b"bytes") is None


def test_replayed_folders_convert_wire_formats(tmp_path: Path) -> None:
    (tmp_path / "story.xml").write_bytes(NITF)
    (tmp_path / "broken.xml").write_bytes(b"<nitf><body>")
    ninjs = {
        "uri": "urn:x:1",
        "version": 2,
        "headlines": [{"value": "Quake"}],
        "bodies": [{"role": "main", "contenttype": "text/plain", "value": "A quake."}],
    }
    (tmp_path / "item.json").write_bytes(orjson.dumps(ninjs))

    rejects: list[FileReject] = []
    records = read_path(tmp_path, rejects)

    assert sorted(r["format"] for r in records) == ["ninjs", "nitf"]
    # Kept whole for the dead-letter topic.
    assert [(r.path.name, r.payload, r.reason) for r in rejects] == [
        ("broken.xml", b"<nitf><body>", "bad_format")
    ]


@pytest.mark.parametrize(
    ("document", "kind"),
    [(NITF, "nitf"), (NEWSML_ITEM, "newsml"), (orjson.dumps(NINJS_2), "ninjs")],
)
def test_a_wire_document_saved_as_text_is_read_as_that_document_on_every_path(
    tmp_path: Path, document: bytes, kind: str
) -> None:
    # Replay, push and label published its markup as article text (`<nitf><docdata>...` as
    # the headline, the file's name as the item) while the watcher read the document.
    path = tmp_path / "story.txt"
    path.write_bytes(document)
    [record] = read_path(path)  # replay, label
    assert isinstance(record, dict)
    assert record["format"] == kind
    assert list(files.read_file(path)) == [record]  # push
    assert watch.read_dropped(path) == [record]
    # A broken XML document is refused, not published as text.
    path.write_bytes(NITF[:400])
    rejects: list[FileReject] = []
    assert read_path(path, rejects) == []
    assert [(r.reason, r.payload) for r in rejects] == [("bad_format", NITF[:400])]


@pytest.mark.parametrize(
    "document",
    [
        orjson.dumps({**NINJS_2, "uri": None}),
        orjson.dumps([{"id": "a1", "text": "Body."}, ["not", "an", "object"]])[:-1] + b"]",
        NITF.replace(b"<?xml", b"<?xml-stylesheet").replace(b"doc-id", b"doc-idx"),
    ],
    ids=["ninjs-without-uri", "array-with-a-bad-item", "nitf-without-id"],
)
def test_a_wire_document_its_reader_refuses_is_no_article_text(
    tmp_path: Path, document: bytes
) -> None:
    # Refused by its reader, the document was read as article text instead: the JSON or the
    # NITF markup published as headline and body.
    path = tmp_path / "story.txt"
    path.write_bytes(document)
    rejects: list[FileReject] = []
    records = read_path(path, rejects)
    assert all(record.get("text") is None for record in records)
    assert rejects
    assert [reject.payload for reject in rejects] == [document]
    assert files.is_wire_document(document)


@pytest.mark.parametrize(
    "text",
    [b"<p>The council met.</p>", b"[Update] The council met.", b"{Draft} The council met."],
)
def test_text_that_starts_with_a_bracket_is_article_text(tmp_path: Path, text: bytes) -> None:
    path = tmp_path / "story.txt"
    path.write_bytes(text)
    [record] = read_path(path)
    assert isinstance(record, dict)
    assert record["text"] == text.decode()


def _news_item(guid: str, nature: str, content: str) -> str:
    attribute = f' guid="{guid}"' if guid else ""
    return (
        f'<newsItem{attribute}><itemMeta><itemClass qcode="ninat:{nature}"/></itemMeta>'
        f"<contentMeta><headline>Item {guid or 'without guid'}</headline></contentMeta>"
        f"<contentSet>{content}</contentSet></newsItem>"
    )


# A newsMessage of five items: a text item, a text item by reference (no inline content), a
# text item whose inline body is empty, a picture, and a text item without a guid.
NEWS_MESSAGE = (
    f'<newsMessage xmlns="{NEWSML_NS}"><itemSet>'
    + _news_item("urn:m1", "text", "<inlineData>The council approved the budget.</inlineData>")
    + _news_item("urn:m2", "text", '<remoteContent contenttype="text/plain" href="m2.txt"/>')
    + _news_item(
        "urn:m3",
        "text",
        f'<inlineXML><html xmlns="{XHTML_NS}"><body></body></html></inlineXML>',
    )
    + _news_item("urn:m4", "picture", '<remoteContent contenttype="image/jpeg" href="m4.jpg"/>')
    + _news_item("", "text", "<inlineData>Rain fell over the hills all week.</inlineData>")
    + "</itemSet></newsMessage>"
).encode()


@pytest.mark.parametrize("name", ["message.xml", "message.txt"])
def test_a_newsml_message_refuses_its_bad_items_one_by_one_and_skips_pictures(
    tmp_path: Path, sender: FakeSender, name: str
) -> None:
    # A text item without inline content was skipped with the pictures, without a trace;
    # an item without a guid refused the whole message, its good items too.
    (tmp_path / name).write_bytes(NEWS_MESSAGE)
    failures: list[FileFailure] = []
    assert replay_records(tmp_path, sender, order="name", failures=failures) == 2
    # The empty body is a record, which the worker dead-letters (missing_text) as it does
    # such a newsItem sent alone; the picture is no article.
    assert [r["uri"] for r in sender.records if isinstance(r, dict)] == ["urn:m1", "urn:m3"]
    path = str(tmp_path / name)
    assert [(reason, origin) for _, reason, origin in sender.letters] == [
        ("bad_format", {"producer": f"replay:{tmp_path.name}", "file": path, "item": 1}),
        ("bad_format", {"producer": f"replay:{tmp_path.name}", "file": path, "item": 4}),
    ]
    assert sender.details == [
        "item 1: NewsML-G2 newsItem urn:m2 without inline body",
        "item 4: NewsML-G2 newsItem without a guid",
    ]
    # Each letter holds its item alone, as XML.
    guids = [etree.fromstring(payload).get("guid") for payload, _, _ in sender.letters]
    assert guids == ["urn:m2", None]
    assert len(failures) == 2
    # A pushed request is taken or refused whole.
    with pytest.raises(Rejected, match="urn:m2 without inline body"):
        parse_document(NEWS_MESSAGE)


def test_an_unreadable_file_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison = POISON_XML
    monkeypatch.setattr(files, "parse_xml", poisoned_parse_xml())
    (tmp_path / "a.txt").write_text("Body of a.\n")
    (tmp_path / "b_ninjs.json").write_bytes(NINJS_WITHOUT_URI)
    (tmp_path / "c_poison.xml").write_bytes(poison)
    (tmp_path / "d.jsonl").write_bytes(b'{"id": "d1", "text": "y"}\n')

    rejects: list[FileReject] = []
    records = read_path(tmp_path, rejects)

    assert records == [
        {"id": copy_id("a", None, "Body of a.\n"), "text": "Body of a.\n", "format": "text"},
        {"id": "d1", "text": "y"},
    ]
    # The failed files' bytes, as they are, for the dead-letter topic, with the reason.
    assert [(r.path.name, r.payload) for r in rejects] == [
        ("b_ninjs.json", NINJS_WITHOUT_URI),
        ("c_poison.xml", poison),
    ]
    assert rejects[0].message == "bad_format: ninjs document without a uri"
    assert rejects[1].message.startswith("internal_error: parser failed: ValueError")


def test_a_missing_path_is_an_error_not_an_empty_replay(tmp_path: Path) -> None:
    # It read as an empty folder: "sent 0 records", exit 0, a typo looking like success.
    missing = tmp_path / "archvie"
    with pytest.raises(FileNotFoundError, match="archvie"):
        read_path(missing)
    with pytest.raises(FileNotFoundError):
        replay_records(missing, FakeSender())
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRE_")}
    env["WIRE_KAFKA_PORT"] = str(free_port())  # no broker: the path is checked first
    done = subprocess.run(
        [sys.executable, "-m", "service", "replay", str(missing)],
        env=env,
        capture_output=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert done.returncode == 2, done.stderr.decode()
    assert f"replay: {missing}: no such file or folder" in done.stderr.decode()
    assert "sent" not in done.stdout.decode()


def test_what_a_reader_rejects_is_dead_lettered_with_its_reason_not_sent_raw(
    tmp_path: Path, sender: FakeSender
) -> None:
    # A ninjs document without a uri went to wire.raw as its bytes and the worker published
    # it as an article; an NITF without doc-id, cut XML and broken JSON went there too, and
    # the worker dead-lettered them as not_json, the reader's reason lost.
    archive = tmp_path / "archive"
    drop_rejected_files(archive)
    failures: list[FileFailure] = []
    sent = replay_records(archive, sender, order="name", failures=failures)
    # Only what the worker is to decide goes to the raw topic: the good file and lines.
    assert sender.records == [files.text_record(archive / "a_good.txt", GOOD_TEXT), *GOOD_LINES]
    assert sent == 3
    assert_rejects_dead_lettered(sender, archive, "replay:archive")
    # Each one listed with the reader's reason (the command prints them and counts them).
    assert [(f.path.name, f.reason.partition(":")[0]) for f in failures] == [
        (name, reason) for name, (_, reason, _) in REJECTED_FILES.items()
    ]
    assert failures[-1].reason.startswith("not_json: line 2: ")
    assert all(f.dead_lettered for f in failures)


def test_a_json_array_sends_its_good_items_and_dead_letters_the_others(
    tmp_path: Path, sender: FakeSender
) -> None:
    nouri = orjson.loads(NINJS_WITHOUT_URI)
    good = {"id": "good", "text": "Fits."}
    (tmp_path / "list.json").write_bytes(orjson.dumps([good, 3, nouri]))
    assert replay_records(tmp_path, sender) == 1
    assert sender.records == [good]
    assert [(payload, reason) for payload, reason, _ in sender.letters] == [
        (b"3", "not_an_object"),
        (orjson.dumps(nouri), "bad_format"),
    ]
    where = {"producer": f"replay:{tmp_path.name}", "file": str(tmp_path / "list.json")}
    assert [origin for _, _, origin in sender.letters] == [
        {**where, "item": 1},
        {**where, "item": 2},
    ]
    assert sender.details == [
        "item 1 is int, not an object",
        "item 2: ninjs document without a uri",
    ]


def test_records_orjson_cannot_write_are_dead_lettered_and_the_rest_replayed(
    tmp_path: Path, sender: FakeSender
) -> None:
    # They reached `send`, which raised writing them: the replay (and `label`) stopped.
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "a_huge_version.nitf").write_bytes(HUGE_VERSION_NITF)
    (archive / "b_lines.jsonl").write_bytes(JSONL_WITH_A_DEEP_LINE)
    deep_item = b'[{"id": "fine", "text": "Fits."}, {"id": "deep", "m": ' + NESTED_254 + b"}]"
    (archive / "c_list.json").write_bytes(deep_item)
    failures: list[FileFailure] = []
    assert replay_records(archive, sender, order="name", failures=failures) == 3
    assert sender.records == [*GOOD_LINES, {"id": "fine", "text": "Fits."}]
    # Each is a letter of its own, with its bytes (an item orjson cannot write, the file's).
    assert [(payload, why) for payload, why, _ in sender.letters] == [
        (HUGE_VERSION_NITF, "bad_format"),
        (DEEP_LINE, "bad_format"),
        (deep_item, "bad_format"),
    ]
    assert [origin.get("line", origin.get("item")) for _, _, origin in sender.letters] == [
        None,
        2,
        1,
    ]
    assert sender.details == [
        "NITF du-key version 18446744073709551616 is outside the 64-bit range",
        "line 2: record not writable as JSON: nested more than 254 levels deep",
        "item 1: record not writable as JSON: nested more than 254 levels deep",
    ]
    assert [f.dead_lettered for f in failures] == [True, True, True]


class _KafkaClient:
    """kafka-python's producer in memory: what RawProducer hands it, by topic."""

    def __init__(self, **config: object) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def send(self, topic: str, key: bytes | None = None, value: bytes = b"") -> object:
        self.sent.append((topic, value))
        return _Delivered()

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class _Delivered:
    def get(self, timeout: float | None = None) -> None:
        return None

    def succeeded(self) -> bool:
        return True


def test_a_record_orjson_cannot_write_is_a_dead_letter_of_the_producer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The last resort, for such a record that got past the readers: `send` raised TypeError,
    # which no producer loop expected (the watcher took it for the broker's and retried).
    monkeypatch.setattr(kafka, "KafkaProducer", _KafkaClient)
    settings = Settings()
    deep: object = 1
    for _ in range(254):
        deep = [deep]
    with kafka.RawProducer(settings) as producer:
        producer.send({"id": "v", "text": "A.", "version": 2**64}, "desk")
        producer.send({"id": "d", "text": "B.", "meta": deep}, "desk")
        producer.send({"id": "fine", "text": "C."}, "desk")
        client = producer._producer
    assert producer.dead_lettered == 2
    topics = settings.topics
    assert [topic for topic, _ in client.sent] == [topics.dlq, topics.dlq, topics.raw]
    letters = [DeadLetter.parse(0, n, None, value) for n, (_, value) in enumerate(client.sent[:2])]
    assert [(letter.reason, letter.detail) for letter in letters] == [
        ("bad_format", "record not writable as JSON: an integer outside the 64-bit range"),
        ("bad_format", "record not writable as JSON: nested more than 254 levels deep"),
    ]
    assert letters[0].payload.startswith(b"{'id': 'v'")
    assert letters[0].origin == {"topic": topics.raw, "producer": "desk"}
    assert orjson.loads(client.sent[2][1]) == {"id": "fine", "text": "C."}


def test_a_looped_replay_dead_letters_a_rejected_file_once(
    tmp_path: Path, sender: FakeSender
) -> None:
    (tmp_path / "a.txt").write_text("Body of a.\n")
    (tmp_path / "b.json").write_bytes(NINJS_WITHOUT_URI)
    assert replay_records(tmp_path, sender, loop=3) == 3
    assert len(sender.letters) == 1


@pytest.mark.kafka
def test_the_replay_command_dead_letters_rejected_files_and_the_rest_is_published(
    worker: WorkerProcess, tmp_path: Path
) -> None:
    settings = worker.settings
    topics = settings.topics
    archive = tmp_path / "archive"
    drop_rejected_files(archive)
    done = subprocess.run(
        [sys.executable, "-m", "service", "replay", str(archive), "--order", "name"],
        env=worker.env(),
        capture_output=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 0, done.stderr.decode()
    good = [files.text_record(archive / "a_good.txt", GOOD_TEXT)["id"], "lines-1", "lines-3"]
    assert_rejects_left_out_on_the_broker(settings, archive, good, "replay:archive")
    # Listed and counted by the command.
    out, err = done.stdout.decode(), done.stderr.decode()
    assert f"sent 3 records to {topics.raw}" in out
    assert f"5 rejected, dead-lettered on {topics.dlq}" in out
    for name, (_, reason, piece) in REJECTED_FILES.items():
        assert f"rejected: {archive / name}: {reason}: {piece}" in err
    # `wirefeed dlq replay` leaves them alone: their bytes are a file's, for its reader,
    # not a raw record (the ninjs one would be published).
    report = replay_dead_letters(settings, dry_run=True)
    assert (report.total_sent, report.from_readers) == (0, 5)
    shown = subprocess.run(
        [sys.executable, "-m", "service", "dlq", "replay"],
        env=worker.env(),
        capture_output=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        check=True,
    ).stdout.decode()
    assert "sent 0 dead letters back" in shown
    assert "left 5 a producer's reader refused" in shown
    listed = subprocess.run(
        [sys.executable, "-m", "service", "dlq", "show", "--limit", "5"],
        env={**worker.env(), "COLUMNS": "400"},
        capture_output=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        check=True,
    ).stdout.decode()
    assert f"replay:archive {archive / 'f_lines.jsonl'} line 2, for {topics.raw}" in listed


def test_the_push_command_dead_letters_a_file_its_reader_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It raised the reader's Rejected (a traceback), or sent undecodable bytes to wire.raw.
    (tmp_path / "nouri.json").write_bytes(NINJS_WITHOUT_URI)
    senders: list[FakeSender] = []

    class Producer(FakeSender):
        def __init__(self, settings: Settings, **options: object) -> None:
            super().__init__()
            senders.append(self)

        def __enter__(self) -> Producer:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

    monkeypatch.setattr(kafka, "RawProducer", Producer)
    result = CliRunner().invoke(app, ["push", str(tmp_path / "nouri.json")])
    assert result.exit_code == 1, result.output
    [sender] = senders
    assert sender.records == []
    assert sender.letters == [
        (
            NINJS_WITHOUT_URI,
            "bad_format",
            {"producer": "push-command", "file": str(tmp_path / "nouri.json")},
        )
    ]
    assert "bad_format: ninjs document without a uri (dead-lettered)" in result.stderr
