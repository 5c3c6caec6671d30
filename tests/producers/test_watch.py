from __future__ import annotations

import os
from pathlib import Path

import orjson

from service.producers.watch import watch_once
from tests.producers.conftest import FakeSender
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
    assert formats == ["nitf", "ninjs", "newsml", "newsml", "text", b"<nitf><head>", None]
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
