"""`wirefeed label`: the offline contract (a line out per record read, same order) on the seeds."""

from __future__ import annotations

import codecs
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from service.cli import _Collected, app
from service.producers.files import publication_order, read_path
from tests.conftest import SEEDS
from tests.pipeline.test_route import ENGLISH, FED, FLASH
from tests.producers.conftest import HUGE_VERSION_NITF, JSONL_WITH_A_DEEP_LINE


def _label(tmp_path: Path, lines: list[bytes]) -> list[dict[str, object]]:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(line + b"\n" for line in lines))
    result = CliRunner().invoke(app, ["label", str(source)])
    assert result.exit_code == 0, result.output
    return [orjson.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_label_decides_the_seeds_in_input_order(tmp_path: Path) -> None:
    records = [r for r in publication_order(read_path(SEEDS)) if isinstance(r, dict)]
    lines = [
        orjson.dumps({"id": r["id"], "title": None, "text": r["text"], "published": None})
        for r in records
    ]
    out = _label(tmp_path, lines)

    assert [o["id"] for o in out] == [r["id"] for r in records]
    by_seed = {str(o["id"])[:3]: o for o in out}
    ids = {str(o["id"])[:3]: o["id"] for o in out}
    assert by_seed["003"]["duplicate_of"] == ids["004"]
    assert by_seed["001"]["duplicate_of"] == ids["000"]
    assert by_seed["003"]["kind"] == by_seed["001"]["kind"] == "rewrite"
    for original in ("000", "002", "004"):
        assert by_seed[original]["duplicate_of"] is None
    stories = {seed: o["story"] for seed, o in by_seed.items()}
    assert stories["000"] == stories["001"] == stories["002"]
    assert stories["003"] == stories["004"]
    assert stories["000"] != stories["004"]


def test_label_answers_every_line_even_a_rejected_one(tmp_path: Path) -> None:
    lines = [
        orjson.dumps(
            {
                "id": "a",
                "title": "Quake",
                "text": "A strong quake shook the city.",
                "published": "2025-08-19T10:00:00Z",
                "source": "cp",
            }
        ),
        orjson.dumps({"id": "b", "title": "No body", "text": None, "published": None}),
        orjson.dumps(
            {
                "id": "c",
                "title": None,
                "text": "A strong quake shook the city.",
                "published": "2025-08-19T10:05:00Z",
                "source": "ap",
            }
        ),
    ]
    out = _label(tmp_path, lines)

    assert [o["id"] for o in out] == ["a", "b", "c"]
    assert out[1]["rejected"] == "missing_text"
    assert out[1]["story"] is None
    assert out[2]["duplicate_of"] == "a"
    assert out[2]["story"] == out[0]["story"]
    for line in out:
        assert {"id", "duplicate_of", "story"} <= line.keys()
    # The documented contract (README): every field of an accepted article's line.
    documented = {"id", "duplicate_of", "story", "kind", "supersedes", "score", "story_event"}
    documented |= {"merged_from", "story_title", "language", "headline"}
    assert set(out[0]) == set(out[2]) == documented
    assert out[0]["merged_from"] == []


def test_label_answers_lines_that_are_not_articles_and_goes_on(tmp_path: Path) -> None:
    good = orjson.dumps({"id": "g", "title": "Quake", "text": "A strong quake shook the city."})
    out = _label(tmp_path, [b"not json at all", b"[1, 2]", b'"text"', good])

    # A line holding an array is read as replay reads it: an answer for each of its items.
    refused = ["not_json", "not_an_object", "not_an_object", "not_an_object"]
    assert [o.get("rejected") for o in out] == [*refused, None]
    assert [str(o["detail"]).split(":")[0] for o in out[:4]] == [
        "line 1",
        "line 2 item 0 is int, not an object",
        "line 2 item 1 is int, not an object",
        "line 3 is str, not an object",
    ]
    assert out[4]["id"] == "g"
    assert out[4]["story"]


def test_label_keeps_each_language_apart_as_the_worker_does(tmp_path: Path) -> None:
    # The worker holds one pipeline (and state) per language shard; so does label.
    english = "Cascadia Bay earthquake: Mayor Lena Ortiz says Port Alder and Kessing hit hard."
    french = (
        "S\u00e9isme de Cascadia Bay : la maire Lena Ortiz dit que Port Alder et Kessing"
        " ont souffert."
    )
    lines = [
        orjson.dumps({"id": "en", "title": "Cascadia Bay earthquake", "text": english * 3}),
        orjson.dumps({"id": "fr", "title": "S\u00e9isme de Cascadia Bay", "text": french * 3}),
    ]
    out = _label(tmp_path, lines)

    assert [o["language"] for o in out] == ["en", "fr"]
    assert [o["story_event"] for o in out] == ["created", "created"]


def test_label_reads_a_file_that_starts_with_a_byte_order_mark(tmp_path: Path) -> None:
    # Editors on Windows save UTF-8 with a BOM; so do files concatenated from such files.
    first = orjson.dumps({"id": "a", "title": "Quake", "text": "A strong quake shook the city."})
    second = orjson.dumps({"id": "b", "title": "Fire", "text": "A fire broke out downtown."})
    out = _label(tmp_path, [b"\xef\xbb\xbf" + first, b"\xef\xbb\xbf" + second])

    assert [(o["id"], o.get("rejected")) for o in out] == [("a", None), ("b", None)]


_QUAKE, _FIRE, _FLOOD = (
    orjson.dumps({"id": key, "title": title, "text": text})
    for key, title, text in [
        ("a", "Quake", "A strong quake shook the city."),
        ("b", "Fire", "A fire broke out downtown."),
        ("c", "Flood", "The river burst its banks overnight."),
    ]
)


@pytest.mark.parametrize(
    "data",
    [
        b"".join(codecs.BOM_UTF8 + line + b"\r\n" for line in (_QUAKE, _FIRE, _FLOOD)),
        b"\r\n".join((_QUAKE, _FIRE, _FLOOD)).decode().encode("utf-16"),
        b"\r".join((_QUAKE, _FIRE, _FLOOD)),
        _QUAKE + b"\n[" + _FIRE + b", " + _FLOOD + b"]\n",
    ],
    ids=["concatenated-windows-files", "utf-16", "cr-line-ends", "a-line-holding-an-array"],
)
def test_label_file_decides_a_jsonl_file_as_label_folder_and_replay_read_it(
    tmp_path: Path, data: bytes
) -> None:
    # label FILE split on LF and read each line as the worker reads a raw record; replay's
    # reader (label FOLDER) read the file otherwise: a byte order mark at each line's start
    # refused by one, UTF-16 and CR line ends by the other, an array line's objects decided
    # by one and refused by the other.
    (tmp_path / "in.jsonl").write_bytes(data)
    for path in (tmp_path / "in.jsonl", tmp_path):
        result = CliRunner().invoke(app, ["label", str(path)])
        assert result.exit_code == 0, result.output
        out = [orjson.loads(line) for line in result.stdout.splitlines()]
        assert [(o["id"], o.get("rejected")) for o in out] == [
            ("a", None),
            ("b", None),
            ("c", None),
        ]
        assert "rejected" not in result.stderr


def test_label_places_a_resent_old_item_at_its_version_time_not_its_first_publication(
    tmp_path: Path,
) -> None:
    # A copy sent today of an item first published last year arrives today: the clock must
    # not start a year back (the next article would push every horizon past the first).
    text = (
        "The harbour authority of Port Alder said on Monday that the north quay will close for "
        "six weeks of repairs after storm damage, and ferries will use the south quay instead."
    )
    lines = [
        orjson.dumps(
            {
                "id": "old",
                "text": text,
                "published": "2026-11-20T09:00:00Z",
                "firstcreated": "2025-08-19T09:00:00Z",
            }
        ),
        orjson.dumps({"id": "copy", "text": text, "published": "2026-11-20T09:05:00Z"}),
    ]
    out = _label(tmp_path, lines)

    assert out[1]["duplicate_of"] == "old"
    assert out[1]["story"] == out[0]["story"]


def test_another_text_sent_under_a_known_id_is_a_new_version_not_a_redelivery(
    tmp_path: Path,
) -> None:
    # A CMS pushing raw records may resend an item under its id with the text changed (with
    # or without a higher version). That is not a redelivery: dropped as one, the update
    # would be lost. The same bytes again still are one.
    first = {
        "id": "x",
        "text": "The harbour authority of Port Alder said the north quay will close for six "
        "weeks of repairs after storm damage.",
    }
    update = {**first, "version": 2, "text": first["text"].replace("six", "eight")}
    lines = [orjson.dumps(first), orjson.dumps(update), orjson.dumps(update), orjson.dumps(first)]
    out = _label(tmp_path, lines)

    assert out[0]["id"] == "x"
    assert out[1]["id"] != "x"
    assert out[1]["id"].startswith("x#")
    assert (out[1]["kind"], out[1]["supersedes"]) == ("version", "x")
    assert out[1]["story"] == out[0]["story"]
    assert out[2] == out[1]  # the update again: a redelivery, the same decision
    assert out[3]["id"] == "x"  # the first text again: a redelivery of x
    assert out[3]["kind"] is None


def test_label_links_an_undeclared_flash_and_its_next_version(tmp_path: Path) -> None:
    # The flash's language is a guess (`und`), its version's is English: two shards, and the
    # version was linked to nothing (README, eleventh session). Every version of an item is
    # now decided where its first copy was.
    flash = {"id": "f1", "uri": "urn:fed:1", "version": 1, "text": FLASH, "source": "desk"}
    version = {**flash, "id": "f2", "version": 2, "title": "Fed lifts rates", "text": FED}
    out = _label(tmp_path, [orjson.dumps(flash), orjson.dumps(version)])

    assert (out[1]["kind"], out[1]["supersedes"]) == ("version", "f1")
    assert out[1]["language"] == out[0]["language"]


def test_label_routes_a_folder_under_the_feed_replay_sends_it_as(tmp_path: Path) -> None:
    # `wirefeed replay` keys a folder's files by one feed: a flash among English files takes
    # the feed's language, as in the worker. (Each file keyed on its own, by its id, would
    # make a feed of one item, with no language of its own.)
    folder = tmp_path / "desk"
    folder.mkdir()
    for n, text in enumerate(ENGLISH):
        (folder / f"{n}.txt").write_text(text)
    (folder / "9-flash.txt").write_text(FLASH)
    result = CliRunner().invoke(app, ["label", "--", str(folder)])
    assert result.exit_code == 0, result.output
    out = {line["id"]: line for line in map(orjson.loads, result.stdout.splitlines())}

    flash = next(line for key, line in out.items() if key.startswith("9-flash"))
    assert flash["language"] == "en"


def test_label_lists_records_orjson_cannot_write_and_decides_the_rest(tmp_path: Path) -> None:
    # Writing them raised: label stopped with a traceback, nothing decided.
    folder = tmp_path / "desk"
    folder.mkdir()
    (folder / "a_huge_version.nitf").write_bytes(HUGE_VERSION_NITF)
    (folder / "b_lines.jsonl").write_bytes(JSONL_WITH_A_DEEP_LINE)
    result = CliRunner().invoke(app, ["label", str(folder)])
    assert result.exit_code == 0, result.output
    out = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert sorted(line["id"] for line in out) == ["lines-1", "lines-3"]
    assert all(line["story"] for line in out)
    assert (
        f"rejected: {folder / 'a_huge_version.nitf'}: bad_format: NITF du-key version "
        "18446744073709551616 is outside the 64-bit range (not decided" in result.stderr
    )
    assert "b_lines.jsonl: bad_format: line 2: record not writable as JSON" in result.stderr


def test_label_leaves_out_a_record_orjson_cannot_write_as_the_producer_does() -> None:
    # The last resort, as RawProducer.send's: a record that got past the readers.
    collected = _Collected()
    collected.send({"id": "v", "text": "A.", "version": 2**64}, "replay:desk")
    collected.send({"id": "fine", "text": "B."}, "replay:desk")
    assert collected.records == [orjson.dumps({"id": "fine", "text": "B."})]
    assert collected.refused == [
        "bad_format: record not writable as JSON: an integer outside the 64-bit range"
    ]
