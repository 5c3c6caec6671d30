"""File drop: poll a folder for new article files, push each once, move it to done/ or failed/.

A file is taken once its modification time is `min_age` seconds old (a writer still
copying it is left alone; writers that rename into place can use min_age=0). Dot files and
`.tmp`/`.part` names are never taken. After the broker has a file's records the file moves
to `done/`. A file no reader takes (rejected, or a parser error of any kind) moves to
`failed/` with a `<name>.reason` file, once its bytes are on the dead-letter topic with the
reader's reason and an origin naming the watcher and the file (`RawProducer.dead_letter`):
never on the raw topic, where the worker would read them on its own terms (and publish a
ninjs document without a uri). A line of JSON Lines, or an item of a JSON array, that its
reader refuses is dead-lettered alike, with its line or item number; the file's other
records go to the raw topic, and the file moves to `failed/` too, its `.reason` listing the
refused ones. One bad file never stops the others.

Symbolic links are never followed: a link with a watched name moves (the link itself, its
target untouched and unread) to `failed/` with a reason. When the broker does not take a
file's records (or its letters) the file stays where it is, to be tried again next poll; if
the broker is unavailable, the rest of the poll waits for the next one too. A file its
writer deletes or renames away while the poll handles it has vanished: logged and listed as
such, neither failed (nothing was wrong with it) nor kept (there is nothing left to try
again).
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
    FileReject,
    file_reject,
    read_file,
)
from service.producers.kafka import broker_unavailable
from service.producers.replay import LetterSender

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


def read_dropped(path: Path, data: bytes | None = None) -> list[dict[str, Any] | FileReject]:
    """Records from one dropped file (`data`: its bytes, when already read), read as every
    producer reads it (`files.read_file`: ninjs, NITF and NewsML-G2 saved as .txt are
    recognised by content), and a FileReject for the file, or for each line or item, that
    its reader refuses, the others going on. Raises Rejected when the file gives no article
    (and whatever a parser raises on input it did not expect)."""
    items = [*read_file(path, data)]
    if not items:
        raise Rejected(RejectReason.MISSING_TEXT, "no articles in the file")
    return items


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
    folder: Path, sender: LetterSender, *, min_age: float = 2.0, now: float | None = None
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
    path: Path, folder: Path, sender: LetterSender, feed: str, result: WatchResult
) -> None:
    data: bytes | None = None
    try:
        data = _read_regular(path)
        items = read_dropped(path, data)
    except Exception as exc:  # any error reading or parsing fails this file, and only it
        if data is None:
            if isinstance(exc, FileNotFoundError):
                raise _Vanished(_UNREAD) from None
            _fail(path, folder, [file_reject(path, None, exc)], 0, _UNREAD)
            result.failed.append(path.name)
            return
        items = [file_reject(path, data, exc)]
    records = [item for item in items if not isinstance(item, FileReject)]
    rejects = [item for item in items if isinstance(item, FileReject)]
    for record in records:
        sender.send(record, feed)
    for reject in rejects:
        if reject.payload is not None:
            sender.dead_letter(reject.payload, reject.reason, reject.detail, reject.origin(feed))
    # Moved only once the broker has its records and letters: a crash resends, never loses.
    sender.flush()
    result.sent += len(records)
    if rejects:
        when = "after it was dead-lettered" + (" and its other records sent" if records else "")
        _fail(path, folder, rejects, len(records), f"{when}, before failed/")
        result.failed.append(path.name)
        return
    _move(path, folder / "done", "after its records were sent, before done/")
    result.done.append(path.name)


def _fail_link(path: Path, folder: Path, result: WatchResult) -> None:
    try:
        target = os.readlink(path)
    except FileNotFoundError:
        raise _Vanished(_UNREAD) from None
    detail = f"a symbolic link to {target!r}, not followed"
    reject = FileReject(path, "not_a_regular_file", detail, None)
    _fail(path, folder, [reject], 0, _UNREAD)
    result.failed.append(path.name)


def _fail(path: Path, folder: Path, rejects: list[FileReject], sent: int, when: str) -> None:
    """Move the file to failed/ with its `.reason`: a line per reject, then how many of the
    file's records were sent all the same."""
    lines = [reject.message for reject in rejects]
    log.warning("%s: failed: %s", path, "; ".join(lines))
    if sent:
        lines.append(
            f"{sent} other record of the file was sent"
            if sent == 1
            else f"{sent} other records of the file were sent"
        )
    target = _move(path, folder / "failed", when)
    text = "".join(line + "\n" for line in lines)
    target.with_name(target.name + ".reason").write_text(text, encoding="utf-8")
