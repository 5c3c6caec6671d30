"""Turning raw record bytes into an input mapping, or a precise reason why not."""

from __future__ import annotations

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
