"""Reading articles from files: plain text (one per file), JSON and JSON Lines (raw records
or ninjs), and NITF / NewsML-G2 XML.

A file that cannot be read as a whole (a ninjs document without a uri, a parser error) does
not stop a folder being read: it becomes one record of its bytes, as they are, which the
worker dead-letters, and it is logged and listed (`read_path`'s `failures`)."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import orjson

from service.models import Rejected, RejectReason
from service.pipeline.normalise import normalise_article
from service.producers.formats import (
    copy_id,
    decode_unlabelled,
    looks_like_ninjs,
    ninjs_record,
    parse_xml,
    strip_bom,
    unlabelled_utf8,
)

TEXT_SUFFIXES = {".txt", ".text"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
XML_SUFFIXES = frozenset({".xml", ".nitf", ".newsml"})
SUFFIXES = TEXT_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES | XML_SUFFIXES

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FileFailure:
    """A file `read_path` could not read: why, and whether its bytes were sent on instead."""

    path: Path
    reason: str
    bytes_kept: bool


def failure_reason(exc: BaseException) -> str:
    """One line saying why a file or body could not be read: the rejection's reason and
    detail, or the unexpected error (a parser bug is an internal error, not the input's)."""
    if isinstance(exc, Rejected):
        return f"{exc.reason.value}: {exc.detail}"
    if isinstance(exc, OSError):
        return f"unreadable: {type(exc).__name__}: {exc}"
    return f"{RejectReason.INTERNAL_ERROR.value}: parser failed: {type(exc).__name__}: {exc}"


def read_file(path: Path, data: bytes | None = None) -> Iterator[dict[str, Any] | bytes]:
    """Records from one file (`data`: its bytes, when already read). A line or file that is
    not a JSON object comes back as bytes, so the service can dead-letter it with its reason
    rather than drop it."""
    suffix = path.suffix.lower()
    data = strip_bom(path.read_bytes() if data is None else data)
    if suffix in TEXT_SUFFIXES:
        # UTF-8, or UTF-16 or UTF-32 after their byte order mark (Notepad's "Unicode") or in
        # the byte order their NULs show: a file declares no charset.
        try:
            text = decode_unlabelled(data)
        except Rejected:
            yield data  # undecodable: the service dead-letters it with the reason
            return
        yield text_record(path, text)
    elif suffix in JSON_SUFFIXES | JSONL_SUFFIXES:
        # UTF-8, or UTF-16 or UTF-32 after their mark or in the order their NULs show.
        try:
            data = unlabelled_utf8(data)
        except Rejected:
            yield data  # undecodable: the service dead-letters it with the reason
            return
        if suffix in JSON_SUFFIXES:
            yield from _json_values(data)
        else:
            for line in data.splitlines():
                if line.strip():
                    yield from _json_values(line)
    elif suffix in XML_SUFFIXES:
        try:
            yield from parse_xml(data)
        except Rejected:
            yield data


def text_record(path: Path, text: str) -> dict[str, Any]:
    """The record of a text file's article. Its id is the name and a digest of the text: a
    drop folder reuses names (`breaking.txt` again, with the next story), and the worker
    would take a repeated id for a redelivery of the first; the same text under the same
    name keeps its id."""
    return {"id": copy_id(path.stem, None, text), "text": text, "format": "text"}


def _json_values(data: bytes) -> Iterator[dict[str, Any] | bytes]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        yield data
        return
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                yield ninjs_record(item) if looks_like_ninjs(item) else item
            else:
                yield orjson.dumps(item)
    elif isinstance(value, dict):
        yield ninjs_record(value) if looks_like_ninjs(value) else value
    else:
        yield data


def read_path(
    path: Path, failures: list[FileFailure] | None = None
) -> list[dict[str, Any] | bytes]:
    """Every record under a file or folder (recursively, by name). A file that cannot be read
    as a whole gives one record, its bytes, for the dead-letter topic (none if the bytes
    themselves cannot be read); it is logged, and added to `failures` when given. A path
    that does not exist raises FileNotFoundError (rglob finds nothing under it: a mistyped
    path read as an empty folder)."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    records: list[dict[str, Any] | bytes] = []
    for file in files:
        if file.suffix.lower() in SUFFIXES:
            records.extend(_read_or_fail(file, failures))
    return records


def _read_or_fail(file: Path, failures: list[FileFailure] | None) -> list[dict[str, Any] | bytes]:
    try:
        return list(read_file(file))
    except Exception as exc:  # one bad file must not stop the others
        reason = failure_reason(exc)
    try:
        data: bytes | None = file.read_bytes()
    except OSError:
        data = None
    if data is None:
        log.error("%s: %s; nothing of it can be sent", file, reason)
    else:
        log.warning("%s: %s; its bytes go on as they are, for the dead-letter topic", file, reason)
    if failures is not None:
        failures.append(FileFailure(file, reason, bytes_kept=data is not None))
    return [] if data is None else [data]


def published_time(record: dict[str, Any] | bytes) -> float:
    """The publication time an article states (epoch seconds), inf when it states none."""
    return _publication_key(record)[0]


# A date the item states of itself comes before a credit line's date of the same day: the
# credit line dates the report reproduced, and a copy carries it as well as the original.
_BASIS_RANK = {"record": 0, "metadata": 0, "credit": 1, "text": 1}


_Record = TypeVar("_Record", dict[str, Any], dict[str, Any] | bytes)


def _publication_key(record: dict[str, Any] | bytes) -> tuple[float, int]:
    if isinstance(record, bytes):
        return math.inf, 2
    try:
        article = normalise_article(record)
    except Rejected:
        return math.inf, 2
    if article.firstcreated is None:
        return math.inf, 2
    return article.firstcreated, _BASIS_RANK.get(article.time_basis or "", 1)


def publication_order(records: Sequence[_Record]) -> list[_Record]:
    """Sending order for an archive or a feed poll: by the publication time each article
    states (as the worker reads it), undated ones after the dated, ties in their original
    order (the sort is stable)."""
    return sorted(records, key=_publication_key)
