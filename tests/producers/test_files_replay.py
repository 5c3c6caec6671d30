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

from service.producers import files
from service.producers.files import FileFailure, publication_order, read_path
from service.producers.formats import copy_id
from service.producers.kafka import record_key
from service.producers.replay import replay_records
from service.settings import PROJECT_ROOT, Settings
from tests.conftest import SEEDS, WorkerProcess, free_port, read_topics
from tests.producers.conftest import POISON_XML, poisoned_parse_xml
from tests.producers.documents import NITF


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any] | bytes, str | None]] = []

    def send(self, record: dict[str, Any] | bytes, feed: str | None = None) -> None:
        self.sent.append((record, feed))


def test_text_json_and_jsonl_files_become_records(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Body of a.\n")
    (tmp_path / "b.json").write_bytes(orjson.dumps([{"id": "b1", "text": "x"}, 3]))
    (tmp_path / "c.jsonl").write_bytes(b'{"id": "c1", "text": "y"}\nnot json\n\n')
    (tmp_path / "d.bin").write_bytes(b"ignored")
    (tmp_path / "e.txt").write_bytes(b"caf\xe9")  # not UTF-8

    records = read_path(tmp_path)

    dicts = [r for r in records if isinstance(r, dict)]
    raw = [r for r in records if isinstance(r, bytes)]
    a = copy_id("a", None, "Body of a.\n")  # the file's name and a digest of its text
    assert [r["id"] for r in dicts] == [a, "b1", "c1"]
    assert dicts[0] == {"id": a, "text": "Body of a.\n", "format": "text"}
    # What is not an article object is kept as bytes for the service to dead-letter.
    assert raw == [b"3", b"not json", b"caf\xe9"]


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
    records = read_path(tmp_path)
    assert records == [
        *({"id": copy_id(name, None, text), "text": text, "format": "text"} for name in "abcd"),
        b"Talks ended.\0\0\0\0",
    ]


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

    records = read_path(tmp_path)

    formats = sorted(r["format"] for r in records if isinstance(r, dict))
    assert formats == ["ninjs", "nitf"]
    assert b"<nitf><body>" in records  # kept whole for the dead-letter topic


# A ninjs document without its uri: the ninjs reader rejects it as a whole.
NINJS_WITHOUT_URI = orjson.dumps(
    {"$schema": "http://www.iptc.org/std/ninjs/ninjs-schema_2.1.json", "headlines": []}
)


def test_an_unreadable_file_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison = POISON_XML
    monkeypatch.setattr(files, "parse_xml", poisoned_parse_xml())
    (tmp_path / "a.txt").write_text("Body of a.\n")
    (tmp_path / "b_ninjs.json").write_bytes(NINJS_WITHOUT_URI)
    (tmp_path / "c_poison.xml").write_bytes(poison)
    (tmp_path / "d.jsonl").write_bytes(b'{"id": "d1", "text": "y"}\n')

    failures: list[FileFailure] = []
    records = read_path(tmp_path, failures)

    # The failed files' bytes, as they are, in their place: the worker dead-letters them.
    assert records == [
        {"id": copy_id("a", None, "Body of a.\n"), "text": "Body of a.\n", "format": "text"},
        NINJS_WITHOUT_URI,
        poison,
        {"id": "d1", "text": "y"},
    ]
    assert [(f.path.name, f.bytes_kept) for f in failures] == [
        ("b_ninjs.json", True),
        ("c_poison.xml", True),
    ]
    assert failures[0].reason == "bad_format: ninjs document without a uri"
    assert failures[1].reason.startswith("internal_error: parser failed: ValueError")


@pytest.mark.kafka
def test_the_replay_command_reports_failed_files_and_goes_on(
    service_settings: Settings, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "a.txt").write_text("Body of a.\n")
    (archive / "b_ninjs.json").write_bytes(NINJS_WITHOUT_URI)
    (archive / "c.txt").write_text("Body of c.\n")
    done = subprocess.run(
        [sys.executable, "-m", "service", "replay", str(archive), "--order", "name"],
        env=WorkerProcess(service_settings, tmp_path / "unused.log").env(),
        capture_output=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert "sent 3 records" in done.stdout.decode()
    assert "1 file(s) could not be read" in done.stdout.decode()
    assert "b_ninjs.json: bad_format: ninjs document without a uri" in done.stderr.decode()
    found = read_topics(service_settings, [service_settings.topics.raw], 3)
    values = [record for _, record in found]
    # The unreadable file went on as its bytes (here valid JSON), for the worker to reject.
    ids = sorted(str(value.get("id", "<no id>")).partition("#")[0] for value in values)
    assert ids == ["<no id>", "a", "c"]


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
