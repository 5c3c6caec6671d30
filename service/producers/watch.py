"""File drop: poll a folder for new article files, push each once, move it to done/ or failed/.

A file is taken once its modification time is `min_age` seconds old (a writer still
copying it is left alone; writers that rename into place can use min_age=0). Dot files and
`.tmp`/`.part` names are never taken. After the broker has a file's records the file moves
to `done/`; a file no parser can read moves to `failed/` with a `<name>.reason` file, and its
bytes are still sent so the worker dead-letters them on wire.dlq (as the worker sees them:
`not_json`, `not_utf8`...; the precise parse error is in the .reason file).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.models import Rejected
from service.producers.files import (
    JSON_SUFFIXES,
    JSONL_SUFFIXES,
    TEXT_SUFFIXES,
    XML_SUFFIXES,
    read_file,
)
from service.producers.formats import parse_document, parse_json, parse_ndjson, parse_xml
from service.producers.replay import FlushingSender

WATCHED_SUFFIXES = frozenset(TEXT_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES | XML_SUFFIXES)
_PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")


@dataclass
class WatchResult:
    """What one poll did: records sent, files moved to done/ and to failed/."""

    sent: int = 0
    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def read_dropped(path: Path) -> list[dict[str, Any] | bytes]:
    """Records from one dropped file; ninjs, NITF and NewsML-G2 are recognised by content.
    Raises Rejected when the file as a whole cannot be read."""
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix in XML_SUFFIXES:
        return [*parse_xml(data)]
    if suffix in TEXT_SUFFIXES and data.lstrip()[:1] in {b"<", b"{", b"["}:
        # A wire document saved as .txt is still a wire document, not article text.
        try:
            return [*parse_document(data)]
        except Rejected:
            pass  # plain text that happens to start with a bracket
    if suffix in JSON_SUFFIXES:
        return [*parse_json(data)]
    if suffix in JSONL_SUFFIXES:
        return [*parse_ndjson(data)]
    return list(read_file(path))


def _ready(entry: os.DirEntry[str], now: float, min_age: float) -> bool:
    name = entry.name
    if name.startswith(".") or name.lower().endswith(_PARTIAL_SUFFIXES):
        return False
    if Path(name).suffix.lower() not in WATCHED_SUFFIXES or not entry.is_file():
        return False
    return now - entry.stat().st_mtime >= min_age


def _move(path: Path, folder: Path) -> Path:
    """Move into `folder` without overwriting an earlier file of the same name."""
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    number = 1
    while target.exists():
        target = folder / f"{path.stem}.{number}{path.suffix}"
        number += 1
    os.replace(path, target)
    return target


def watch_once(
    folder: Path, sender: FlushingSender, *, min_age: float = 2.0, now: float | None = None
) -> WatchResult:
    """One poll: push every ready file in `folder` (by name), then move it."""
    result = WatchResult()
    clock = time.time() if now is None else now
    feed = f"watch:{folder.resolve().name}"
    with os.scandir(folder) as entries:
        ready = sorted((e for e in entries if _ready(e, clock, min_age)), key=lambda e: e.name)
    for entry in ready:
        path = Path(entry.path)
        try:
            records = read_dropped(path)
        except Rejected as exc:
            sender.send(path.read_bytes(), feed)
            sender.flush()
            target = _move(path, folder / "failed")
            target.with_name(target.name + ".reason").write_text(
                f"{exc.reason.value}: {exc.detail}\n", encoding="utf-8"
            )
            result.failed.append(path.name)
            continue
        for record in records:
            sender.send(record, feed)
        sender.flush()  # moved only once the broker has it: a crash resends, never loses
        _move(path, folder / "done")
        result.sent += len(records)
        result.done.append(path.name)
    return result
