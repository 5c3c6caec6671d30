"""Raw records: bytes to an input mapping (or a precise reason why not), and their key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from service.models import Rejected, RejectReason

# A record's integers are 64-bit: orjson writes none larger, and the service reads none.
_INT64 = range(-(2**63), 2**63)
_INT64_DIGITS = len(str(2**63))


def parse_record(payload: bytes, *, max_bytes: int) -> dict[str, Any]:
    """Decode one raw record (UTF-8 JSON object) or raise Rejected with the reason."""
    if len(payload) > max_bytes:
        raise Rejected(RejectReason.TOO_LARGE, f"{len(payload)} bytes > limit {max_bytes}")
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected(RejectReason.NOT_UTF8, str(exc)) from None
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise Rejected(RejectReason.NOT_JSON, str(exc)) from None
    if not isinstance(value, dict):
        raise Rejected(RejectReason.NOT_AN_OBJECT, f"top-level JSON is {type(value).__name__}")
    return value


def record_integer(value: Any, name: str) -> int | None:
    """A version or urgency number, an integer or a string of digits (ninjs writes
    `"version": "2"`), for the file readers and the normaliser alike (`name`: the field, for
    the refusal); None when unreadable. Not str.isdigit(): it takes `²`, which int() refuses,
    and a crash here stalls the file-drop watcher. Rejected (bad_format) when it is a number
    outside the 64-bit range a record's integers have: a version of 2**64 made every producer
    crash writing the record, and ignored it would send the item as another copy (its id
    without the version)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number, text = value, str(value)
    else:
        text = value.strip() if isinstance(value, str) else ""
        if not (text.isascii() and text.isdecimal()):
            return None
        # More digits than 2**63 has is out of range, however many (int() refuses over 4300).
        digits = text.lstrip("0") or "0"
        number = int(digits) if len(digits) <= _INT64_DIGITS else _INT64.stop
    if number not in _INT64:
        shown = text if len(text) <= 40 else f"{text[:20]}... ({len(text)} digits)"
        raise Rejected(RejectReason.BAD_FORMAT, f"{name} {shown} is outside the 64-bit range")
    return number


def partition_key(record: Mapping[str, Any] | bytes, feed: str | None = None) -> str | None:
    """A raw record's partition key: the feed the producer reads, else the article's source,
    else its uri, guid or id. One feed's articles, and so every version of an item, share a
    partition and stay in the order they were sent; routing keeps its memory per key."""
    if feed:
        return feed
    if isinstance(record, bytes):
        return None
    for field in ("source", "uri", "guid", "id"):
        value = record.get(field)
        if isinstance(value, str) and value:
            return value
    return None
