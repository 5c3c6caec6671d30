"""Reading articles from files: plain text (one per file), JSON and JSON Lines (raw records
or ninjs), and NITF / NewsML-G2 XML.

What a reader refuses (a file as a whole: a ninjs document without a uri, an NITF without
its doc-id, broken XML or JSON, bytes in no encoding it reads, a parser error; or one record
of a file: a line of JSON Lines, an item of a JSON array) is a `FileReject`, with the reader's
reason and detail and the bytes refused, for the producer to put on the dead-letter topic
itself (`RawProducer.dead_letter`). It never goes to the raw topic: the worker would read the
bytes on its own terms and might take what the reader refused (a ninjs document without a
uri is a JSON object it publishes). One bad file or record does not stop the rest."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson

from service.models import Rejected, RejectReason
from service.pipeline.normalise import normalise_article
from service.producers.formats import (
    RefusedItem,
    copy_id,
    decode_unlabelled,
    is_wire_document,
    json_record,
    load_json,
    parse_document,
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
class FileReject:
    """What a reader refused: a whole file, or one record of it (`where`: its `line` in
    JSON Lines, its `item` in a JSON array). `reason` is a RejectReason value (`unreadable`
    when the file's bytes could not be read: then `payload` is None, there is nothing to
    dead-letter)."""

    path: Path
    reason: str
    detail: str
    payload: bytes | None
    where: dict[str, int] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """One line: the reason and the detail."""
        return f"{self.reason}: {self.detail}"

    def origin(self, producer: str) -> dict[str, Any]:
        """The dead letter's origin: the producer, the file, and where in it."""
        return {"producer": producer, "file": str(self.path), **self.where}


@dataclass(frozen=True, slots=True)
class FileFailure:
    """A file, or a record of one, that a replay could not send to the raw topic: why, and
    whether it went to the dead-letter topic instead."""

    path: Path
    reason: str
    dead_lettered: bool


def rejection(exc: BaseException) -> tuple[str, str]:
    """(reason, detail) of a file or body that could not be read: the rejection's, or the
    unexpected error's (a parser bug is an internal error, not the input's)."""
    if isinstance(exc, Rejected):
        return exc.reason.value, exc.detail
    if isinstance(exc, OSError):
        return "unreadable", f"{type(exc).__name__}: {exc}"
    return RejectReason.INTERNAL_ERROR.value, f"parser failed: {type(exc).__name__}: {exc}"


def failure_reason(exc: BaseException) -> str:
    """One line saying why a file or body could not be read (`rejection`'s two parts)."""
    return ": ".join(rejection(exc))


def file_reject(path: Path, payload: bytes | None, exc: BaseException) -> FileReject:
    """The whole file refused, for `exc`."""
    reason, detail = rejection(exc)
    return FileReject(path, reason, detail, payload)


def read_file(path: Path, data: bytes | None = None) -> Iterator[dict[str, Any] | FileReject]:
    """Records from one file (`data`: its bytes, when already read), and a FileReject for
    the file, or for each of its records, that its reader refuses. A text file holding a
    wire document is read as that document (`_read_text`)."""
    suffix = path.suffix.lower()
    raw = path.read_bytes() if data is None else data
    data = strip_bom(raw)
    if suffix in JSON_SUFFIXES | JSONL_SUFFIXES:
        yield from read_json(path, raw, lines=suffix in JSONL_SUFFIXES)
        return
    refused: list[RefusedItem] = []
    try:
        if suffix in TEXT_SUFFIXES:
            records = _read_text(path, data, refused)
        elif suffix in XML_SUFFIXES:
            records = parse_xml(data, refused=refused)
        else:
            return
    except Rejected as exc:
        yield file_reject(path, raw, exc)
        return
    yield from records
    for item in refused:  # a newsMessage's items its parser refused, each on its own
        where = {"item": item.index}
        detail = f"{_where(where)}: {item.error.detail}"
        yield FileReject(path, item.error.reason.value, detail, item.data, where)


def _read_text(path: Path, data: bytes, refused: list[RefusedItem]) -> list[dict[str, Any]]:
    """A text file's article, or the records of the ninjs, NITF or NewsML-G2 document it
    holds: a wire document saved as .txt is still a wire document, not article text (replay,
    push and label published its markup as the headline, under an id unrelated to the
    item's, while the watcher read the document). Rejected when it is in no encoding a file
    may be in (UTF-8, or UTF-16 or UTF-32 after their byte order mark, Notepad's "Unicode",
    or in the order their NULs show: a file declares no charset), or begins `<?xml` and
    does not parse. A newsMessage's items its parser refuses go to `refused`."""
    try:
        text: str | None = decode_unlabelled(data)
    except Rejected as exc:
        text, unreadable = None, exc
    # The head of the text, else of the bytes: XML in a legacy charset its declaration names
    # is no text, but a document.
    head = text.lstrip()[:5] if text is not None else data.lstrip()[:5].decode("latin-1")
    if head[:1] in {"<", "{", "["}:
        try:
            return parse_document(data, refused=refused)
        except Rejected:
            # An XML document, broken, or a wire document its reader refuses (ninjs without
            # a uri, NITF without an id) is not article text either: it was published as
            # text, its markup the headline.
            if head == "<?xml" or is_wire_document(data):
                raise
            # else plain text that happens to start with a bracket
    if text is None:
        if unreadable.reason is not RejectReason.NOT_UTF8:
            raise unreadable
        hint = "a text file must be UTF-8 (save it as UTF-8)"
        raise Rejected(unreadable.reason, f"{unreadable.detail}: {hint}")
    return [text_record(path, text)]


def read_json(path: Path, data: bytes, *, lines: bool) -> Iterator[dict[str, Any] | FileReject]:
    """Records of a JSON document (`lines`: JSON Lines, one document a line, ended by LF, CR
    or CRLF, a byte order mark at its start dropped) in UTF-8, or in UTF-16 or UTF-32 after
    their mark or in the order their NULs show; a FileReject for the file when it is in no
    such encoding, for a document (a line) that is not UTF-8 or not JSON, and for each value
    that is not an object, or not a record its reader takes (ninjs without a uri). The
    others go on."""
    try:
        text = unlabelled_utf8(data)
    except Rejected as exc:
        yield file_reject(path, data, exc)
        return
    if not lines:
        yield from _json_values(path, text, {}, data)
        return
    for number, line in enumerate(text.splitlines(), 1):
        # Files concatenated from those of Windows editors carry a byte order mark at the
        # start of each; orjson refused every one but the file's first.
        line = strip_bom(line)
        if line.strip():
            yield from _json_values(path, line, {"line": number})


def text_record(path: Path, text: str) -> dict[str, Any]:
    """The record of a text file's article. Its id is the name and a digest of the text: a
    drop folder reuses names (`breaking.txt` again, with the next story), and the worker
    would take a repeated id for a redelivery of the first; the same text under the same
    name keeps its id."""
    return {"id": copy_id(path.stem, None, text), "text": text, "format": "text"}


def _where(where: dict[str, int]) -> str:
    """`line 3`, `item 1`, `line 3 item 1`; `document` for the whole file."""
    return " ".join(f"{name} {number}" for name, number in where.items()) or "document"


def _json_values(
    path: Path, data: bytes, where: dict[str, int], original: bytes | None = None
) -> Iterator[dict[str, Any] | FileReject]:
    """The records of one JSON document (`data`, UTF-8; `original`: the file's own bytes,
    which a letter for the whole document keeps)."""
    payload = data if original is None else original
    try:
        value = load_json(data)
    except Rejected as exc:
        detail = f"{_where(where)}: {exc.detail}" if where else exc.detail
        yield FileReject(path, exc.reason.value, detail, payload, where)
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield _json_record(path, item, None, {**where, "item": index}, payload)
    else:
        yield _json_record(path, value, payload, where, payload)


def _json_record(
    path: Path, value: Any, data: bytes | None, where: dict[str, int], document: bytes
) -> dict[str, Any] | FileReject:
    """An object as a record (`formats.json_record`: ninjs converted), else a FileReject with
    its bytes (`data`, else the value as JSON, else the `document` it is in: an item orjson
    cannot write, which it read)."""
    try:
        payload = orjson.dumps(value) if data is None else data
    except orjson.JSONEncodeError:
        payload = document
    if not isinstance(value, dict):
        detail = f"{_where(where)} is {type(value).__name__}, not an object"
        return FileReject(path, RejectReason.NOT_AN_OBJECT.value, detail, payload, where)
    try:
        return json_record(value)
    except Exception as exc:  # one bad record must not stop the others
        reason, detail = rejection(exc)
        return FileReject(
            path, reason, f"{_where(where)}: {detail}" if where else detail, payload, where
        )


def read_path(path: Path, rejects: list[FileReject] | None = None) -> list[dict[str, Any]]:
    """Every record under a file or folder (recursively, by name). What a reader refuses
    (a file, or a record of one) is logged, and added to `rejects` when given, for the
    dead-letter topic. A path that does not exist raises FileNotFoundError (rglob finds
    nothing under it: a mistyped path read as an empty folder)."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    records: list[dict[str, Any]] = []
    for file in files:
        if file.suffix.lower() not in SUFFIXES:
            continue
        for item in _read_or_fail(file):
            if isinstance(item, FileReject):
                if item.payload is None:
                    log.error("%s: %s; nothing of it can be sent", file, item.message)
                else:
                    log.warning("%s: %s; for the dead-letter topic", file, item.message)
                if rejects is not None:
                    rejects.append(item)
            else:
                records.append(item)
    return records


def _read_or_fail(file: Path) -> list[dict[str, Any] | FileReject]:
    try:
        data = file.read_bytes()
    except OSError as exc:
        return [file_reject(file, None, exc)]
    try:
        return list(read_file(file, data))
    except Exception as exc:  # one bad file must not stop the others
        return [file_reject(file, data, exc)]


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
