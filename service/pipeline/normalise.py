"""Normalise: turn any accepted input record into one clean, typed Article."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import ftfy
import xxhash

from service.models import Article, Rejected, RejectReason

_MOJIBAKE_HINTS = ("Ã", "â€", "Â", "Ð", "Ñ", "ï¿½", "\ufffd")
_SENTENCE_END = (".", "!", "?", '"', "\u201d", ":", ";")
_METADATA_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s*", re.IGNORECASE)


def _text_field(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Rejected(RejectReason.WRONG_TYPE, f"{name} must be a string, got {type(value).__name__}")
    return value


def repair_text(text: str) -> str:
    """Fix encoding damage (only where a cheap gate says there is some) and normalise Unicode."""
    if any(hint in text for hint in _MOJIBAKE_HINTS):
        text = ftfy.fix_text(text)
    return unicodedata.normalize("NFC", text)


def rejoin_lines(text: str) -> list[str]:
    """Split into paragraphs, rejoining lines broken inside a sentence."""
    paragraphs: list[str] = []
    current = ""
    for raw_line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = " ".join(raw_line.split())
        if not line:
            if current:
                paragraphs.append(current)
                current = ""
            continue
        if current and not current.endswith(_SENTENCE_END):
            current = f"{current} {line}"
        else:
            if current:
                paragraphs.append(current)
            current = line
    if current:
        paragraphs.append(current)
    return paragraphs


def parse_time(value: str | None) -> float | None:
    """ISO-8601 to epoch seconds; None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def fingerprint(body: str) -> str:
    """Content fingerprint for exact duplicates: case and spacing do not count."""
    return xxhash.xxh3_128_hexdigest(" ".join(body.lower().split()).encode())


def normalise_article(record: Mapping[str, Any]) -> Article:
    """One input record to one canonical Article, or Rejected with the reason."""
    text = _text_field(record, "text")
    if text is None or not text.strip():
        raise Rejected(RejectReason.MISSING_TEXT, "no text")
    title = _text_field(record, "title")
    article_id = _text_field(record, "id")
    guid = _text_field(record, "uri") or _text_field(record, "guid")
    source = _text_field(record, "source")
    version = record.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise Rejected(RejectReason.WRONG_TYPE, "version must be an integer")

    text = repair_text(text)
    dates: list[str] = []
    match = _METADATA_LINE.match(text)
    if match:
        dates.append(match.group(1))
        text = text[match.end() :]
    paragraphs = rejoin_lines(text)
    if not paragraphs:
        raise Rejected(RejectReason.EMPTY_AFTER_CLEANING, "no text left after cleaning")
    body = "\n\n".join(paragraphs)
    headline = repair_text(title).strip() if title and title.strip() else paragraphs[0][:200]
    fp = fingerprint(body)
    published = parse_time(_text_field(record, "published"))
    if published is None and dates:
        published = parse_time(dates[0])
    return Article(
        id=article_id or fp[:16],
        guid=guid or article_id or fp[:16],
        version=version,
        headline=headline,
        body=body,
        language="en",
        fingerprint=fp,
        firstcreated=published,
        versioncreated=published,
        source=source,
        headline_derived=not title,
        dates_in_text=tuple(dates),
    )
