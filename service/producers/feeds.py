"""RSS and Atom feeds to raw records (feedparser), and the seen-ids state that stops a polling
producer from sending an entry twice.

An entry's record id is its guid (else link) with a digest of its title and body
(`formats.copy_id`); its `uri` is the link, else the guid. An entry listed again unchanged
keeps its id and is not resent; an entry corrected under the same guid gets a new id, so it
is sent again and the worker takes it as a newer version of the same item (same uri)."""

from __future__ import annotations

import email.utils
import hashlib
import os
import re
import time
import urllib.request
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import feedparser
import orjson
from feedparser.datetimes import rfc822

from service.models import Rejected, RejectReason
from service.producers.formats import copy_id
from service.producers.replay import FlushingSender

# A state file remembers this many ids, newest kept: far more than any feed lists at once.
MAX_SEEN = 20_000
_FETCH_TIMEOUT_SECONDS = 30.0


def _time(value: Any) -> str | None:
    """feedparser's parsed time (a UTC struct_time) as ISO-8601."""
    if not isinstance(value, time.struct_time):
        return None
    return datetime(*value[:6], tzinfo=UTC).isoformat()


# RFC 822 dates name their zone; feedparser knows UT/GMT, the US zones, MET and MEST, and
# reads any other name as UTC, silently (`09:30 CEST` became 09:30 UTC, two hours off).
# Zones news feeds use, in hours east of UTC (ambiguous names, IST or CST elsewhere, are
# left to feedparser's reading).
_ZONE_HOURS = {
    "cet": 1, "cest": 2, "bst": 1, "wet": 0, "west": 1, "eet": 2, "eest": 3, "msk": 3,
    "hkt": 8, "sgt": 8, "jst": 9, "kst": 9, "aest": 10, "aedt": 11, "nzst": 12, "nzdt": 13,
}  # fmt: skip
_NAMED_ZONE = re.compile(r"^(?P<stamp>.*\d:\d\d(?::\d\d)?)\s*(?P<zone>[A-Za-z]{1,5})?$")


def _entry_time(entry: Any, key: str) -> str | None:
    """The entry's `published`/`updated` time as ISO-8601. A named zone feedparser does not
    know is read from `_ZONE_HOURS`, else the time is unknown (None) rather than wrong; an
    RFC 822 time without a zone is taken as UTC (as ISO times without an offset are)."""
    # Read as a plain dict: feedparser's own get() maps `updated` to `published`, warning.
    raw = dict.get(entry, key)
    match = _NAMED_ZONE.match(raw.strip()) if isinstance(raw, str) else None
    if match is not None and not match["stamp"][:4].isdigit():  # RFC 822, not ISO-8601
        zone = (match["zone"] or "").lower()
        if zone not in rfc822.timezone_names:
            parsed = email.utils.parsedate(match["stamp"])
            hours = _ZONE_HOURS.get(zone, 0 if not zone else None)
            if parsed is None or hours is None:
                return None
            local = datetime(*parsed[:6], tzinfo=timezone(timedelta(hours=hours)))
            return local.astimezone(UTC).isoformat()
    return _time(dict.get(entry, f"{key}_parsed"))


def _body(entry: Any) -> tuple[str | None, str | None]:
    """(html, text): full content when the feed has it, else the summary."""
    for part in entry.get("content") or []:
        value = part.get("value")
        if value:
            return (value, None) if "html" in (part.get("type") or "") else (None, value)
    summary = entry.get("summary")
    if not summary:
        return None, None
    kind = (entry.get("summary_detail") or {}).get("type") or "text/html"
    return (summary, None) if "html" in kind else (None, summary)


def entry_id(entry: Any) -> str:
    """The entry's guid/id, else its link, else a hash of its title and summary."""
    for key in ("id", "link"):
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    seed = f"{entry.get('title', '')}\n{entry.get('summary', '')}".encode()
    return "sha1:" + hashlib.sha1(seed, usedforsecurity=False).hexdigest()


def feed_records(data: bytes) -> list[dict[str, Any]]:
    """Every entry of an RSS or Atom document, as raw records, in feed order."""
    parsed = feedparser.parse(data)
    version = str(parsed.get("version") or "")
    if not version:
        reason = parsed.get("bozo_exception")
        raise Rejected(RejectReason.BAD_FORMAT, f"not an RSS or Atom feed: {reason or 'unknown'}")
    feed = parsed.feed
    fmt = "atom" if version.startswith("atom") else "rss"
    records = []
    for entry in parsed.entries:
        html, text = _body(entry)
        identifier = entry_id(entry)
        title = entry.get("title")
        records.append(
            {
                key: value
                for key, value in {
                    "id": copy_id(identifier, None, title, html, text),
                    "uri": entry.get("link") or identifier,
                    "title": title,
                    "body_html": html,
                    "text": text,
                    "published": _entry_time(entry, "published") or _entry_time(entry, "updated"),
                    "byline": entry.get("author"),
                    "language": feed.get("language"),
                    "source": feed.get("title"),
                    "format": fmt,
                }.items()
                if value
            }
        )
    return records


def fetch(location: str) -> bytes:
    """A feed's bytes from an http(s) URL or a local path."""
    if location.startswith(("http://", "https://")):
        request = urllib.request.Request(location, headers={"User-Agent": "wirefeed/0.1"})  # noqa: S310 (scheme checked)
        with urllib.request.urlopen(request, timeout=_FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
            return bytes(response.read())
    return Path(location).read_bytes()


class SeenIds:
    """Ids already sent, in the order first seen; optionally kept in a JSON file so a
    restarted poller does not resend a feed's whole backlog."""

    def __init__(self, path: Path | None = None, limit: int = MAX_SEEN) -> None:
        self.path = path
        self.limit = limit
        self._ids: dict[str, None] = {}
        if path is not None and path.exists():
            self._ids = dict.fromkeys(orjson.loads(path.read_bytes()))

    def __contains__(self, identifier: object) -> bool:
        return identifier in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def discard(self, identifiers: Iterable[str]) -> None:
        for identifier in identifiers:
            self._ids.pop(identifier, None)

    def add(self, identifiers: Iterable[str]) -> None:
        for identifier in identifiers:
            self._ids.pop(identifier, None)
            self._ids[identifier] = None
        while len(self._ids) > self.limit:
            del self._ids[next(iter(self._ids))]

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(self.path.suffix + ".tmp")
        partial.write_bytes(orjson.dumps(list(self._ids)))
        os.replace(partial, self.path)  # a crash mid-write leaves the old state whole


def _entry_key(record: dict[str, Any]) -> str:
    """The guid (else link) a record's id was made from: `copy_id` appends `#<digest>`."""
    return str(record["id"]).rpartition("#")[0]


def new_records(records: list[dict[str, Any]], seen: SeenIds) -> list[dict[str, Any]]:
    """The records whose ids have not been sent yet (a feed lists old entries again; an entry
    whose title or body changed has a new id, and is sent again)."""
    return [
        record for record in records if record["id"] not in seen and _entry_key(record) not in seen
    ]


def poll_feed(location: str, sender: FlushingSender, seen: SeenIds) -> int:
    """Fetch a feed once and send its new entries; returns how many were sent. Ids are
    remembered only after the broker has the records (a crash resends, never loses): a
    failed send raises (kafka.SendFailed) and nothing is saved.

    A state file written before ids carried a digest holds bare guids: such an entry is
    taken as already sent (its content then is unknown), and its id now is remembered in
    place of the guid, so a later correction is sent."""
    records = feed_records(fetch(location))
    fresh = new_records(records, seen)
    legacy = [
        record for record in records if record["id"] not in seen and _entry_key(record) in seen
    ]
    for record in fresh:
        sender.send(record, f"feed:{location}")
    sender.flush()
    seen.discard(_entry_key(record) for record in legacy)
    seen.add(record["id"] for record in [*legacy, *fresh])
    seen.save()
    return len(fresh)
