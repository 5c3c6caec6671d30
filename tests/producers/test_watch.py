from __future__ import annotations

import codecs
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from kafka.errors import KafkaTimeoutError
from typer.testing import CliRunner

from service.cli import app
from service.producers import files, kafka, watch
from service.producers.dlq import replay_dead_letters
from service.producers.files import text_record
from service.producers.kafka import RawProducer
from service.producers.watch import watch_once
from service.settings import Settings
from tests.conftest import WorkerProcess, read_topics
from tests.producers.conftest import (
    DEEP_LINE,
    GOOD_LINES,
    GOOD_TEXT,
    HUGE_VERSION_NITF,
    JSONL_WITH_A_DEEP_LINE,
    NINJS_WITHOUT_URI,
    POISON_XML,
    REJECTED_FILES,
    UNWRITABLE_NESTING,
    UNWRITABLE_VERSION,
    FakeSender,
    assert_rejects_dead_lettered,
    assert_rejects_left_out_on_the_broker,
    drop_rejected_files,
    poisoned_parse_xml,
)
from tests.producers.documents import NEWSML_MESSAGE, NINJS_2, NITF


def test_one_poll_pushes_and_moves_files(tmp_path: Path, sender: FakeSender) -> None:
    (tmp_path / "a_story.nitf").write_bytes(NITF)
    (tmp_path / "b_item.json").write_bytes(orjson.dumps(NINJS_2))
    (tmp_path / "c_message.xml").write_bytes(NEWSML_MESSAGE)
    (tmp_path / "d_plain.txt").write_text("PARIS (AP) - A plain article.\n\nSecond paragraph.")
    (tmp_path / "e_broken.xml").write_bytes(b"<nitf><head>")
    (tmp_path / "f_lines.jsonl").write_bytes(b'{"id": "l1", "text": "one"}\n')
    (tmp_path / "g_copying.xml.part").write_bytes(b"<nitf>")
    (tmp_path / "h_image.jpg").write_bytes(b"\xff\xd8")

    result = watch_once(tmp_path, sender, min_age=0)

    assert result.done == [
        "a_story.nitf",
        "b_item.json",
        "c_message.xml",
        "d_plain.txt",
        "f_lines.jsonl",
    ]
    assert result.failed == ["e_broken.xml"]
    assert result.sent == 6  # 1 + 1 + 2 + 1 + 1
    formats = [r.get("format") if isinstance(r, dict) else r for r in sender.records]
    assert formats == ["nitf", "ninjs", "newsml", "newsml", "text", None]
    # The broken file goes to the dead-letter topic, with the reader's reason, not raw.
    [(payload, why, origin)] = sender.letters
    assert (payload, why) == (b"<nitf><head>", "bad_format")
    assert origin == {"producer": f"watch:{tmp_path.name}", "file": str(tmp_path / "e_broken.xml")}
    assert {key for _, key in sender.sent} == {f"watch:{tmp_path.name}"}
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == result.done
    assert sorted(p.name for p in (tmp_path / "failed").iterdir()) == [
        "e_broken.xml",
        "e_broken.xml.reason",
    ]
    reason = (tmp_path / "failed" / "e_broken.xml.reason").read_text()
    assert reason.startswith("bad_format: not well-formed XML")
    # Left alone: a file still being written and a file of another kind.
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "g_copying.xml.part",
        "h_image.jpg",
    ]
    # Nothing is sent twice.
    assert watch_once(tmp_path, sender, min_age=0).sent == 0


def test_young_files_wait_and_names_do_not_collide(tmp_path: Path, sender: FakeSender) -> None:
    story = tmp_path / "story.nitf"
    story.write_bytes(NITF)
    mtime = story.stat().st_mtime
    assert watch_once(tmp_path, sender, min_age=5, now=mtime + 1).sent == 0
    assert watch_once(tmp_path, sender, min_age=5, now=mtime + 6).sent == 1
    story.write_bytes(NITF)
    os.utime(story, (mtime, mtime))
    assert watch_once(tmp_path, sender, min_age=5, now=mtime + 6).sent == 1
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["story.1.nitf", "story.nitf"]


def test_any_parser_error_fails_only_that_file(
    tmp_path: Path, sender: FakeSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison = POISON_XML
    monkeypatch.setattr(files, "parse_xml", poisoned_parse_xml())
    (tmp_path / "a_poison.xml").write_bytes(poison)
    (tmp_path / "b_story.nitf").write_bytes(NITF)

    result = watch_once(tmp_path, sender, min_age=0)

    assert result.failed == ["a_poison.xml"]
    assert result.done == ["b_story.nitf"]  # the poison file blocks nothing after it
    reason = (tmp_path / "failed" / "a_poison.xml.reason").read_text()
    assert reason.startswith("internal_error: parser failed: ValueError: invalid literal")
    # Its bytes go to the dead-letter topic as they are, with the reason.
    assert [(payload, why) for payload, why, _ in sender.letters] == [(poison, "internal_error")]
    assert sender.details[0].startswith("parser failed: ValueError")
    [record] = sender.records
    assert isinstance(record, dict)
    assert record["format"] == "nitf"


def test_a_symlink_is_never_followed(tmp_path: Path, sender: FakeSender) -> None:
    secret = tmp_path / "secret"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "passwd.txt").symlink_to(secret)
    (drop / "story.nitf").write_bytes(NITF)

    result = watch_once(drop, sender, min_age=0)

    assert result.done == ["story.nitf"]
    assert result.failed == ["passwd.txt"]
    assert not any(b"root:" in orjson.dumps(record) for record in sender.records)
    assert len(sender.records) == 1
    # The link itself is moved, with the reason; its target is neither read nor touched.
    moved = drop / "failed" / "passwd.txt"
    assert moved.is_symlink()
    assert os.readlink(moved) == str(secret)
    reason = (drop / "failed" / "passwd.txt.reason").read_text()
    assert "symbolic link" in reason
    assert "not followed" in reason
    assert secret.read_text().startswith("root:")


def test_broker_unavailable_leaves_the_rest_of_the_poll_for_later(
    tmp_path: Path, sender: FakeSender
) -> None:
    # The watcher's policy when a send fails for want of a broker (a retriable error):
    # the file stays, and so do the files after it. (The broker's own refusals are tested
    # against the real broker below.)
    class Down(FakeSender):
        def flush(self) -> None:
            raise KafkaTimeoutError("no broker")

    (tmp_path / "a.nitf").write_bytes(NITF)
    (tmp_path / "b.txt").write_text("Text.")
    result = watch_once(tmp_path, Down(), min_age=0)
    assert result.done == result.failed == []
    assert list(result.kept) == ["a.nitf"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.nitf", "b.txt"]


@pytest.mark.kafka
def test_a_file_the_broker_refuses_stays_and_the_others_go_on(
    strict_settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "a_big.json").write_bytes(orjson.dumps({"id": "big", "text": "x" * 10_000}))
    (tmp_path / "b_small.json").write_bytes(orjson.dumps({"id": "small", "text": "Fits."}))

    with RawProducer(strict_settings) as producer:
        result = watch_once(tmp_path, producer, min_age=0)

    assert result.done == ["b_small.json"]
    assert list(result.kept) == ["a_big.json"]
    assert "MessageSizeTooLarge" in result.kept["a_big.json"]
    # Not acknowledged: the file is still in the drop folder, to be tried again.
    assert (tmp_path / "a_big.json").exists()
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["b_small.json"]
    found = read_topics(strict_settings, [strict_settings.topics.raw], 1, timeout=20, settle=1.0)
    assert [record["id"] for _, record in found] == ["small"]


def test_a_name_used_again_brings_a_new_article(tmp_path: Path, sender: FakeSender) -> None:
    """A desk drops `breaking.txt` again with the next story: a new article, not a
    redelivery of the first (the worker takes a repeated id for a redelivery)."""
    (tmp_path / "breaking.txt").write_text("PARIS - The first story.")
    watch_once(tmp_path, sender, min_age=0)
    (tmp_path / "breaking.txt").write_text("TOKYO - The next story.")
    watch_once(tmp_path, sender, min_age=0)
    (tmp_path / "breaking.txt").write_text("TOKYO - The next story.")  # the same again
    watch_once(tmp_path, sender, min_age=0)
    ids = [record["id"] for record in sender.records if isinstance(record, dict)]
    assert len(ids) == 3
    assert ids[0] != ids[1]
    assert ids[1] == ids[2]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("cp1252.txt", "Café’s reopening".encode("windows-1252"), "not_utf8"),
        ("cut_off.txt", b'<?xml version="1.0"?>\n<nitf><head><title>Cut', "bad_format"),
        ("empty_list.json", b"[]", "missing_text"),
        ("blank.jsonl", b"\n\n", "missing_text"),
    ],
)
def test_a_file_with_no_article_to_take_fails_with_its_reason(
    tmp_path: Path, sender: FakeSender, name: str, data: bytes, reason: str
) -> None:
    (tmp_path / name).write_bytes(data)
    result = watch_once(tmp_path, sender, min_age=0)
    assert (result.done, result.failed) == ([], [name])
    assert (tmp_path / "failed" / f"{name}.reason").read_text().startswith(reason)
    # Its bytes go to the dead-letter topic, with the reason; nothing to the raw topic.
    assert [(payload, why) for payload, why, _ in sender.letters] == [(data, reason)]
    assert sender.records == []


def test_a_text_file_saved_as_unicode_by_notepad_is_taken(
    tmp_path: Path, sender: FakeSender
) -> None:
    # Notepad's "Unicode": UTF-16 little-endian after its byte order mark.
    text = "Z\u00fcrich \u2014 the caf\u00e9\u2019s reopening."
    (tmp_path / "notepad.txt").write_bytes(text.encode("utf-16"))
    result = watch_once(tmp_path, sender, min_age=0)
    assert (result.done, result.failed) == (["notepad.txt"], [])
    [record] = sender.records
    assert isinstance(record, dict)
    assert record["text"] == text


_OVER = "It\u2019s over \u2014 the talks ended.\n\nBoth sides left Geneva on 12 May."
# "Moscow - talks ended on 12 May.": Cyrillic has no NUL bytes, its spaces and digits do.
_MOSCOW = (
    "\u041c\u043e\u0441\u043a\u0432\u0430 \u2014 "
    "\u043f\u0435\u0440\u0435\u0433\u043e\u0432\u043e\u0440\u044b "
    "\u0437\u0430\u043a\u043e\u043d\u0447\u0438\u043b\u0438\u0441\u044c 12 \u043c\u0430\u044f."
)


@pytest.mark.parametrize("text", [_OVER, _MOSCOW], ids=["english", "russian"])
@pytest.mark.parametrize("order", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_a_unicode_text_file_without_a_byte_order_mark_is_read_in_the_order_it_shows(
    tmp_path: Path, sender: FakeSender, order: str, text: str
) -> None:
    # Without a mark UTF-16 was taken for UTF-8 with NULs (UTF-8 text never has one), and
    # what was not ASCII was lost: "It\u2019s over \u2014" became "It s over". The NUL high
    # bytes of its ASCII (spaces, digits, punctuation) show the encoding and byte order, as
    # for an HTTP body declared utf-16 without a mark.
    (tmp_path / "over.txt").write_bytes(text.encode(order))
    result = watch_once(tmp_path, sender, min_age=0)
    assert (result.done, result.failed) == (["over.txt"], [])
    [record] = sender.records
    assert isinstance(record, dict)
    assert record["text"] == text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32-be"])
def test_a_wire_document_saved_as_unicode_text_is_still_a_wire_document(
    tmp_path: Path, sender: FakeSender, encoding: str
) -> None:
    # A .txt holding ninjs is read as ninjs, not as article text: in UTF-16 or UTF-32 too,
    # whose first byte (a mark's, or a NUL) is no bracket.
    (tmp_path / "item.txt").write_bytes(orjson.dumps(NINJS_2).decode().encode(encoding))
    result = watch_once(tmp_path, sender, min_age=0)
    assert (result.done, result.failed) == (["item.txt"], [])
    [record] = sender.records
    assert isinstance(record, dict)
    assert record["format"] == "ninjs"


def test_xml_in_the_legacy_charset_it_declares_saved_as_text_is_still_a_document(
    tmp_path: Path, sender: FakeSender
) -> None:
    # Not UTF-8, and no text: the document's declaration says what its bytes are.
    document = NITF.decode().replace('encoding="UTF-8"', 'encoding="windows-1252"')
    (tmp_path / "story.txt").write_bytes(document.replace("Lindqvist", "Zürcher").encode("cp1252"))
    result = watch_once(tmp_path, sender, min_age=0)
    assert (result.done, result.failed) == (["story.txt"], [])
    [record] = sender.records
    assert isinstance(record, dict)
    assert record["format"] == "nitf"
    assert "Zürcher" in orjson.dumps(record).decode()


@pytest.mark.parametrize(
    "data",
    [
        b"Talks ended.\0\0\0\0",  # NULs on both sides of every code unit: no order shows
        b"Talks\0ended!.",  # an odd length: not UTF-16 or UTF-32 at all
        b"Talks\0ended.",  # one stray NUL: as UTF-16 it would be CJK-looking nonsense
    ],
    ids=["no-order", "odd-length", "stray-nul"],
)
def test_a_text_file_whose_nul_bytes_show_no_encoding_fails_with_its_reason(
    tmp_path: Path, sender: FakeSender, data: bytes
) -> None:
    # Not read as UTF-8 with its NULs dropped: a NUL is never in UTF-8 text, and what the
    # file holds cannot be told for sure.
    (tmp_path / "nul.txt").write_bytes(data)
    result = watch_once(tmp_path, sender, min_age=0)
    assert (result.done, result.failed) == ([], ["nul.txt"])
    reason = (tmp_path / "failed" / "nul.txt.reason").read_text()
    assert reason.startswith("not_utf8: NUL bytes")
    assert sender.records == []
    assert [(payload, why) for payload, why, _ in sender.letters] == [(data, "not_utf8")]


_ZURICH = {"id": "z1", "text": "Z\u00fcrich \u2014 the caf\u00e9\u2019s reopening, 12 May."}


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-16"),  # Notepad's "Unicode": little-endian, marked
        lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        lambda text: text.encode("utf-32"),
        lambda text: text.encode("utf-16-le"),  # no mark: the order its NULs show
    ],
    ids=["utf-16", "utf-16-be", "utf-32", "utf-16-le-unmarked"],
)
def test_json_files_in_utf16_or_utf32_are_read(
    tmp_path: Path, sender: FakeSender, encode: Callable[[str], bytes]
) -> None:
    # They failed as not_json: the watcher gave orjson the UTF-16 bytes, where the endpoint
    # decodes a body after its mark.
    lines = [{"id": "l1", "text": "Gen\u00e8ve \u2014 one."}, {"id": "l2", "text": "Two."}]
    (tmp_path / "a.json").write_bytes(encode(orjson.dumps(_ZURICH).decode()))
    (tmp_path / "b.json").write_bytes(encode(orjson.dumps(NINJS_2).decode()))
    (tmp_path / "c.jsonl").write_bytes(encode("\n".join(orjson.dumps(x).decode() for x in lines)))
    (tmp_path / "d.xml").write_bytes(encode(NITF.decode().replace("Lindqvist", "Z\u00fcrcher")))
    result = watch_once(tmp_path, sender, min_age=0)
    assert (result.done, result.failed) == (["a.json", "b.json", "c.jsonl", "d.xml"], [])
    zurich, ninjs, *jsonl, nitf = sender.records
    assert zurich == _ZURICH
    assert isinstance(ninjs, dict)
    assert ninjs["format"] == "ninjs"
    assert jsonl == lines
    assert isinstance(nitf, dict)
    assert nitf["byline"] == "Maria Z\u00fcrcher"


def test_a_file_gone_since_the_folder_was_listed_is_skipped(
    tmp_path: Path, sender: FakeSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a_gone.txt").write_text("Renamed away by its writer.")
    (tmp_path / "b_here.txt").write_text("Still here.")
    with os.scandir(tmp_path) as listing:
        entries = list(listing)
    (tmp_path / "a_gone.txt").unlink()
    monkeypatch.setattr(watch.os, "scandir", lambda _: contextlib.nullcontext(iter(entries)))
    result = watch_once(tmp_path, sender, min_age=0)
    assert (result.done, result.failed, result.kept) == (["b_here.txt"], [], {})


class _WriterDeletes(FakeSender):
    """A sender during whose flush a writer deletes (or renames away) `victim`: what a desk
    does while the watcher sends the file before it, or the file itself."""

    def __init__(self, victim: Path) -> None:
        super().__init__()
        self.victim = victim

    def flush(self) -> None:
        super().flush()
        self.victim.unlink(missing_ok=True)


@pytest.mark.parametrize("link", [False, True])
def test_a_file_gone_before_it_was_read_vanished_and_the_poll_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, link: bool
) -> None:
    (tmp_path / "a_first.txt").write_text("First story.")
    gone = tmp_path / "b_gone.txt"
    if link:
        gone.symlink_to(tmp_path / "a_first.txt")
    else:
        gone.write_text("Deleted by its writer while the first file was sent.")
    (tmp_path / "c_last.txt").write_text("Last story.")
    sender = _WriterDeletes(gone)

    with caplog.at_level(logging.INFO, logger=watch.__name__):
        result = watch_once(tmp_path, sender, min_age=0)

    # Not kept (it is not there to try again), not failed (nothing was wrong with it).
    assert (result.done, result.failed, result.kept) == (["a_first.txt", "c_last.txt"], [], {})
    assert list(result.vanished) == ["b_gone.txt"]
    assert "before it was read" in result.vanished["b_gone.txt"]
    assert result.sent == 2
    assert [r["text"] for r in sender.records if isinstance(r, dict)] == [
        "First story.",
        "Last story.",
    ]
    assert len(sender.records) == 2
    assert sender.letters == []  # nothing for the dead-letter topic either
    assert not (tmp_path / "failed").exists()
    said = [r for r in caplog.records if "b_gone.txt" in r.getMessage()]
    assert [r.levelno for r in said] == [logging.WARNING]
    assert "vanished" in said[0].getMessage()


@pytest.mark.parametrize(
    ("name", "data", "sent", "when"),
    [
        ("story.nitf", NITF, 1, "after its records were sent"),
        ("broken.xml", b"<nitf><head>", 0, "after it was dead-lettered, before failed/"),
    ],
)
def test_a_file_gone_after_it_was_sent_vanished_with_its_records_counted(
    tmp_path: Path, name: str, data: bytes, sent: int, when: str
) -> None:
    (tmp_path / name).write_bytes(data)
    sender = _WriterDeletes(tmp_path / name)
    result = watch_once(tmp_path, sender, min_age=0)
    assert (result.done, result.failed, result.kept) == ([], [], {})
    assert list(result.vanished) == [name]
    assert when in result.vanished[name]
    assert result.sent == sent
    assert len(sender.records) + len(sender.letters) == 1


def test_the_watch_command_says_a_file_vanished_and_does_not_fail_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a_first.txt").write_text("First story.")
    (tmp_path / "b_gone.txt").write_text("Deleted by its writer while the first file was sent.")

    class Producer(_WriterDeletes):
        def __init__(self, settings: Settings, **options: object) -> None:
            super().__init__(tmp_path / "b_gone.txt")

        def __enter__(self) -> Producer:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

    monkeypatch.setattr(kafka, "RawProducer", Producer)
    result = CliRunner().invoke(app, ["watch", str(tmp_path), "--once", "--min-age", "0"])
    assert result.exit_code == 0, result.output
    assert "done: a_first.txt" in result.stdout
    assert "vanished: b_gone.txt (deleted or renamed away before it was read" in result.stderr
    assert "kept" not in result.output


def test_what_a_reader_rejects_is_dead_lettered_and_the_file_moved_to_failed(
    tmp_path: Path, sender: FakeSender
) -> None:
    # Their bytes went to wire.raw, where the worker published the ninjs document without a
    # uri and dead-lettered the rest as not_json; a JSON Lines file with one bad line failed
    # whole, its good lines with it.
    drop_rejected_files(tmp_path)
    result = watch_once(tmp_path, sender, min_age=0)
    assert result.done == ["a_good.txt"]
    assert result.failed == sorted(REJECTED_FILES)
    # Only what the worker is to decide goes to the raw topic: the good file and lines.
    assert sender.records == [text_record(tmp_path / "a_good.txt", GOOD_TEXT), *GOOD_LINES]
    assert result.sent == 3
    assert_rejects_dead_lettered(sender, tmp_path, f"watch:{tmp_path.name}")
    for name, (_, reason, piece) in REJECTED_FILES.items():
        said = (tmp_path / "failed" / f"{name}.reason").read_text()
        assert said.startswith(f"{reason}: {piece}"), said
    assert (
        "2 other records of the file were sent"
        in (tmp_path / "failed" / "f_lines.jsonl.reason").read_text()
    )


def test_a_json_array_with_a_bad_item_sends_the_good_ones_and_fails(
    tmp_path: Path, sender: FakeSender
) -> None:
    nouri = orjson.loads(NINJS_WITHOUT_URI)
    good = {"id": "good", "text": "Fits."}
    (tmp_path / "list.json").write_bytes(orjson.dumps([good, 3, nouri]))
    result = watch_once(tmp_path, sender, min_age=0)
    assert (result.done, result.failed, result.sent) == ([], ["list.json"], 1)
    assert sender.records == [good]
    assert [(payload, reason) for payload, reason, _ in sender.letters] == [
        (b"3", "not_an_object"),
        (orjson.dumps(nouri), "bad_format"),
    ]
    assert [origin.get("item") for _, _, origin in sender.letters] == [1, 2]
    assert (tmp_path / "failed" / "list.json.reason").read_text().splitlines() == [
        "not_an_object: item 1 is int, not an object",
        "bad_format: item 2: ninjs document without a uri",
        "1 other record of the file was sent",
    ]


def test_records_orjson_cannot_write_fail_their_file_once_and_the_rest_goes_on(
    tmp_path: Path, sender: FakeSender
) -> None:
    # `send` raised writing them, which the watcher took for the broker's trouble: the file
    # stayed, tried again at every poll for ever (its good lines sent again each time), and
    # nothing was dead-lettered.
    (tmp_path / "a_huge_version.nitf").write_bytes(HUGE_VERSION_NITF)
    (tmp_path / "b_lines.jsonl").write_bytes(JSONL_WITH_A_DEEP_LINE)
    (tmp_path / "c_story.nitf").write_bytes(NITF)
    result = watch_once(tmp_path, sender, min_age=0)
    assert (result.failed, result.done, result.kept) == (
        ["a_huge_version.nitf", "b_lines.jsonl"],
        ["c_story.nitf"],
        {},
    )
    assert [r["id"] for r in sender.records if isinstance(r, dict)] == [
        "lines-1",
        "lines-3",
        "EXN-2024-0412-0007#2",
    ]
    assert [(payload, why) for payload, why, _ in sender.letters] == [
        (HUGE_VERSION_NITF, "bad_format"),
        (DEEP_LINE, "bad_format"),
    ]
    failed = tmp_path / "failed"
    assert (failed / "a_huge_version.nitf.reason").read_text() == UNWRITABLE_VERSION + "\n"
    assert (failed / "b_lines.jsonl.reason").read_text().splitlines() == [
        UNWRITABLE_NESTING,
        "2 other records of the file were sent",
    ]
    assert watch_once(tmp_path, sender, min_age=0).sent == 0


@pytest.mark.kafka
def test_rejected_files_are_dead_letters_on_the_broker_never_published(
    worker: WorkerProcess, tmp_path: Path
) -> None:
    settings = worker.settings
    drop = tmp_path / "drop"
    drop_rejected_files(drop)
    with RawProducer(settings) as producer:
        result = watch_once(drop, producer, min_age=0)
    assert result.done == ["a_good.txt"]
    assert result.failed == sorted(REJECTED_FILES)
    good = [text_record(drop / "a_good.txt", GOOD_TEXT)["id"], "lines-1", "lines-3"]
    assert_rejects_left_out_on_the_broker(settings, drop, good, "watch:drop")
    for name, (_, reason, piece) in REJECTED_FILES.items():
        said = (drop / "failed" / f"{name}.reason").read_text()
        assert said.startswith(f"{reason}: {piece}")
    # `wirefeed dlq replay` leaves them alone: fix the file and drop it again.
    report = replay_dead_letters(settings, dry_run=True)
    assert (report.total_sent, report.from_readers) == (0, 5)
