"""Raw records: bytes to an input mapping (or a precise reason why not), and their key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from service.models import Rejected, RejectReason


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
