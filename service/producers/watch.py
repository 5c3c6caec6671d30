"""File drop: poll a folder for new article files, push each once, move it to done/ or failed/.

A file is taken once its modification time is `min_age` seconds old (a writer still
copying it is left alone; writers that rename into place can use min_age=0). Dot files and
`.tmp`/`.part` names are never taken. After the broker has a file's records the file moves
to `done/`; a file no parser can read (rejected, or a parser error of any kind) moves to
`failed/` with a `<name>.reason` file, and its bytes are still sent so the worker dead-letters
them on wire.dlq (as the worker sees them: `not_json`, `not_utf8`...; the precise parse error
is in the .reason file). One bad file never stops the others.

Symbolic links are never followed: a link with a watched name moves (the link itself, its
target untouched and unread) to `failed/` with a reason. When the broker does not take a
file's records the file stays where it is, to be tried again next poll; if the broker is
unavailable, the rest of the poll waits for the next one too. A file its writer deletes or
renames away while the poll handles it has vanished: logged and listed as such, neither
failed (nothing was wrong with it) nor kept (there is nothing left to try again).
"""

from __future__ import annotations

import logging
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.models import Rejected, RejectReason
from service.producers.files import (
    JSON_SUFFIXES,
    JSONL_SUFFIXES,
    TEXT_SUFFIXES,
    XML_SUFFIXES,
    failure_reason,
    text_record,
)
from service.producers.formats import (
    decode_unlabelled,
    parse_document,
    parse_json,
    parse_ndjson,
    parse_xml,
    strip_bom,
)
from service.producers.kafka import broker_unavailable
from service.producers.replay import FlushingSender

log = logging.getLogger(__name__)

WATCHED_SUFFIXES = frozenset(TEXT_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES | XML_SUFFIXES)
_PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")
_UNREAD = "before it was read: nothing of it sent"


@dataclass
class WatchResult:
    """What one poll did: records sent, files moved to done/ and to failed/, files left in
    place (name: why) because the broker did not take their records, and files that
    vanished (name: when) while the poll handled them."""

    sent: int = 0
    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)
    vanished: dict[str, str] = field(default_factory=dict)


class _Vanished(Exception):
    """The file is gone (deleted or renamed away by its writer); says at which step."""


def read_dropped(path: Path, data: bytes | None = None) -> list[dict[str, Any] | bytes]:
    """Records from one dropped file (`data`: its bytes, when already read); ninjs, NITF and
    NewsML-G2 are recognised by content. Raises Rejected when the file as a whole cannot be
    read (and whatever a parser raises on input it did not expect)."""
    suffix = path.suffix.lower()
    data = strip_bom(path.read_bytes() if data is None else data)
    records: list[dict[str, Any] | bytes]
    if suffix in XML_SUFFIXES:
        records = [*parse_xml(data)]
    elif suffix in JSON_SUFFIXES:
        records = [*parse_json(data)]
    elif suffix in JSONL_SUFFIXES:
        records = [*parse_ndjson(data)]
    else:
        records = _read_text(path, data)
    if not records:
        raise Rejected(RejectReason.MISSING_TEXT, "no articles in the file")
    return records


def _read_text(path: Path, data: bytes) -> list[dict[str, Any] | bytes]:
    try:
        # UTF-8, or UTF-16/UTF-32 by their byte order mark or their NULs.
        text: str | None = decode_unlabelled(data)
    except Rejected as exc:
        text, unreadable = None, exc
    # The head of the text, else of the bytes: XML in a legacy charset its declaration names
    # is no text, but a document.
    head = text.lstrip()[:5] if text is not None else data.lstrip()[:5].decode("latin-1")
    if head[:1] in {"<", "{", "["}:
        # A wire document saved as .txt is still a wire document, not article text.
        try:
            return [*parse_document(data)]
        except Rejected:
            if head == "<?xml":  # an XML document, broken: not article text either
                raise
            # else plain text that happens to start with a bracket
    if text is None:
        if unreadable.reason is not RejectReason.NOT_UTF8:
            raise unreadable
        hint = "a text file must be UTF-8 (save it as UTF-8)"
        raise Rejected(unreadable.reason, f"{unreadable.detail}: {hint}")
    return [text_record(path, text)]


def _ready(entry: os.DirEntry[str], now: float, min_age: float) -> bool:
    name = entry.name
    if name.startswith(".") or name.lower().endswith(_PARTIAL_SUFFIXES):
        return False
    if Path(name).suffix.lower() not in WATCHED_SUFFIXES:
        return False
    try:
        if not (entry.is_file(follow_symlinks=False) or entry.is_symlink()):
            return False
        return now - entry.stat(follow_symlinks=False).st_mtime >= min_age
    except OSError:  # gone (renamed, deleted) since the folder was listed: not there to take
        return False


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file, never through a symbolic link (one swapped in since the
    folder was listed fails here) and never blocking on a pipe."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        return file.read()


def _move(path: Path, folder: Path, when: str) -> Path:
    """Move into `folder` without overwriting an earlier file of the same name; _Vanished
    (`when`) if the file is gone."""
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    number = 1
    while os.path.lexists(target):
        target = folder / f"{path.stem}.{number}{path.suffix}"
        number += 1
    try:
        os.replace(path, target)
    except FileNotFoundError:
        if os.path.lexists(path):  # the file is there: what is missing is not it
            raise
        raise _Vanished(when) from None
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
            if entry.is_symlink():
                _fail_link(path, folder, result)
            else:
                _push_file(path, folder, sender, feed, result)
        except _Vanished as gone:
            # Its writer took it back (deleted, renamed): not an error, nothing to retry.
            log.warning("%s: vanished (deleted or renamed away) %s", path, gone)
            result.vanished[path.name] = str(gone)
        except Exception as exc:  # not sent or not moved: the file stays for the next poll
            log.error("%s: left in place, to be tried again: %s", path, exc)
            result.kept[path.name] = str(exc)
            if broker_unavailable(exc):
                break  # the other files would only wait for the broker too
    return result


def _push_file(
    path: Path, folder: Path, sender: FlushingSender, feed: str, result: WatchResult
) -> None:
    data: bytes | None = None
    try:
        data = _read_regular(path)
        records = read_dropped(path, data)
    except Exception as exc:  # any error reading or parsing fails this file, and only it
        if data is None and isinstance(exc, FileNotFoundError):
            raise _Vanished(_UNREAD) from None
        reason = failure_reason(exc)
        log.warning("%s: failed: %s", path, reason)
        if data is not None:  # the worker dead-letters the bytes as they are
            sender.send(data, feed)
            sender.flush()
            when = "after its bytes were sent for the dead-letter topic, before failed/"
        else:
            when = _UNREAD
        _fail(path, folder, reason, when)
        result.failed.append(path.name)
        return
    for record in records:
        sender.send(record, feed)
    sender.flush()  # moved only once the broker has it: a crash resends, never loses
    result.sent += len(records)
    _move(path, folder / "done", "after its records were sent, before done/")
    result.done.append(path.name)


def _fail_link(path: Path, folder: Path, result: WatchResult) -> None:
    try:
        target = os.readlink(path)
    except FileNotFoundError:
        raise _Vanished(_UNREAD) from None
    reason = f"not_a_regular_file: a symbolic link to {target!r}, not followed"
    log.warning("%s: failed: %s", path, reason)
    _fail(path, folder, reason, _UNREAD)
    result.failed.append(path.name)


def _fail(path: Path, folder: Path, reason: str, when: str) -> None:
    target = _move(path, folder / "failed", when)
    target.with_name(target.name + ".reason").write_text(reason + "\n", encoding="utf-8")
