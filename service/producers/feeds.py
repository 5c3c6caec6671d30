"""RSS and Atom feeds to raw records (feedparser), the state that stops a polling producer
from sending an entry twice, and the schedule of a poller that watches many feeds.

An entry's record id is its guid (else link) with a digest of its title and body
(`formats.copy_id`); its `uri` is that guid (else link), its `link` the link. An entry listed
again unchanged keeps its id and is not resent; an entry corrected under the same guid gets a
new id, so it is sent again and the worker takes it as a newer version of the same item (same
uri, even if its link changed; entries with their own guids sharing a link are not versions
of each other).

Polling is polite: a conditional GET with the validators (ETag, Last-Modified) of the last
document whose entries the broker took, gzip accepted, a size cap, and a feed that fails is
retried after a growing pause (or the server's Retry-After), without holding up the others."""

from __future__ import annotations

import contextlib
import email.utils
import functools
import hashlib
import http.client
import io
import logging
import math
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, Literal

import feedparser
import orjson
from feedparser.datetimes import rfc822
from kafka.errors import KafkaError

from service.models import Rejected, RejectReason
from service.producers.files import publication_order
from service.producers.formats import copy_id
from service.producers.kafka import SendFailed, broker_unavailable
from service.producers.replay import LetterSender

# A state file remembers this many ids, newest kept: far more than any feed lists at once.
MAX_SEEN = 20_000
# A feed document larger than this is refused (real feeds with full content run to a few MB).
MAX_FEED_BYTES = 32 * 1024 * 1024
_FETCH_TIMEOUT_SECONDS = 30.0
# A whole download may take this long (each read has the timeout above).
_DOWNLOAD_SECONDS = 120.0
_CHUNK_BYTES = 256 * 1024
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0
_DIGITS = re.compile(r"[0-9]{1,12}")
USER_AGENT = "wirefeed/0.1.0"

log = logging.getLogger(__name__)


def _time(value: Any) -> str | None:
    """feedparser's parsed time (a UTC struct_time) as ISO-8601."""
    if not isinstance(value, time.struct_time):
        return None
    return datetime(*value[:6], tzinfo=UTC).isoformat()


# RFC 822 dates name their zone; feedparser knows UT/GMT, the US zones, MET and MEST, and
# reads any other name as UTC, silently (`09:30 CEST` became 09:30 UTC, two hours off).
# Zones news feeds use, in hours east of UTC. A name not listed here nor by feedparser
# gives no time (ambiguous ones: IST is India, Ireland or Israel; SST Samoa or Singapore),
# so every unambiguous name feeds use must be here, UTC included (feedparser reads UTC right
# but does not list it: without it here a `UTC` date lost its time).
_ZONE_HOURS: dict[str, float] = {
    "utc": 0, "cet": 1, "cest": 2, "bst": 1, "wet": 0, "west": 1, "eet": 2, "eest": 3,
    "msk": 3, "wat": 1, "cat": 2, "sast": 2, "eat": 3, "pkt": 5, "ict": 7, "wib": 7,
    "wita": 8, "wit": 9, "pht": 8, "hkt": 8, "sgt": 8, "awst": 8, "jst": 9, "kst": 9,
    "acst": 9.5, "acdt": 10.5, "aest": 10, "aedt": 11, "nzst": 12, "nzdt": 13,
    "hst": -10, "hdt": -9, "akst": -9, "akdt": -8, "nst": -3.5, "ndt": -2.5,
    "brt": -3, "art": -3,
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
            try:
                local = datetime(*parsed[:6], tzinfo=timezone(timedelta(hours=hours)))
            except ValueError:  # 31 February and the like
                return None
            return local.astimezone(UTC).isoformat()
    return _time(dict.get(entry, f"{key}_parsed"))


def _entry_times(entry: Any) -> dict[str, str | None]:
    """The record's `published` (this version's time, as ninjs's versioncreated) and
    `firstcreated` (the item's first publication). Atom's `updated` is an entry's last
    significant change (RFC 4287 4.2.15) and `published` its first appearance (4.2.9), the
    same in every version: the version's time is `updated`, else `published` (RSS's pubDate).
    Taking `published` first gave a correction and its original the same time, and the
    worker, which orders an unversioned item's versions by it, took a late original for the
    newer version. An `updated` before `published` (a feed's mistake) does not date the
    version before the item appeared."""
    first = _entry_time(entry, "published")
    changed = _entry_time(entry, "updated")
    if first is None or changed is None:
        return {"published": changed or first, "firstcreated": None}
    later = changed if datetime.fromisoformat(changed) >= datetime.fromisoformat(first) else first
    return {"published": later, "firstcreated": first}


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


def _language(entry: Any, feed: Any) -> str | None:
    """The entry's own language, else the feed's. Atom states it with xml:lang on the entry
    or its parts (RFC 4287), which feedparser gives each part's detail (inherited from the
    feed when the entry has none): the body's first, as the text the worker reads is there.
    RSS items have no language of their own."""
    parts = [*(entry.get("content") or []), entry.get("summary_detail"), entry.get("title_detail")]
    for part in parts:
        language = (part or {}).get("language")
        if isinstance(language, str) and language.strip():
            return language.strip()
    language = feed.get("language")
    return language if isinstance(language, str) else None


def entry_id(entry: Any) -> str:
    """The entry's guid/id, else its link, else a hash of its title and summary."""
    for key in ("id", "link"):
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    seed = f"{entry.get('title', '')}\n{entry.get('summary', '')}".encode()
    return "sha1:" + hashlib.sha1(seed, usedforsecurity=False).hexdigest()


def feed_records(
    data: bytes, content_type: str | None = None, base: str | None = None
) -> list[dict[str, Any]]:
    """Every entry of an RSS or Atom document, as raw records, in feed order. The HTTP
    Content-Type, when the document came with one, goes to feedparser: its charset says
    what the bytes are (RFC 7303), where the XML declaration may name no encoding. `base`,
    the address the document came from, is what relative links (guids that are links, and
    links in the body, as Atom's xml:base already had them) are read against (RFC 3986;
    xml:base first): `/news/bridge` was sent as it was, a guid-less entry's identity any
    site's story of that path could share."""
    headers = {"content-type": content_type} if content_type else {}
    if base:
        headers["content-location"] = base
    # As a stream: feedparser opens bytes that name a file (a feed answering `/dev/zero` had
    # the poller read until memory ran out; one naming a local feed had it published).
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
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
                    # The item's identity, which the worker groups versions by: the guid.
                    # A link is not one (a live blog's entries share it; a correction's
                    # slug changes with its headline), so it travels on its own.
                    "uri": identifier,
                    "link": entry.get("link"),
                    "title": title,
                    "body_html": html,
                    "text": text,
                    **_entry_times(entry),
                    "byline": entry.get("author"),
                    "language": _language(entry, feed),
                    "source": feed.get("title"),
                    "format": fmt,
                }.items()
                if value
            }
        )
    return records


@dataclass(frozen=True, slots=True)
class Fetched:
    """A feed's document (None: not modified since the validators sent), the validators
    (ETag, Last-Modified) the server gave for it, its Content-Type (for the charset), the
    address it came from after redirects (for relative links) and, when every redirect on
    the way was permanent (301, 308), that address as `moved_to`."""

    data: bytes | None
    etag: str | None = None
    modified: str | None = None
    content_type: str | None = None
    url: str | None = None
    moved_to: str | None = None


class FetchFailed(OSError):
    """A feed could not be fetched; `retry_after` is the server's wish, in seconds, and
    `status` the HTTP status of the answer, if one was."""

    def __init__(
        self, message: str, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


def _retry_after(value: str | None, now: float) -> float | None:
    """Retry-After as seconds from now (delay-seconds or an HTTP date), at most a day: a
    server's wish, not a reason to drop a feed for good."""
    if not value:
        return None
    value = value.strip()
    if _DIGITS.fullmatch(value):
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, when.timestamp() - now), MAX_RETRY_AFTER_SECONDS)


def _read_all(stream: Any, limit: int, location: str, deadline: float) -> bytes:
    """The stream's bytes, refusing more than `limit` and a download still going at
    `deadline` (a socket timeout is per read: a server trickling bytes would never end).
    Each read takes what has arrived (`read1`: one read of the socket, so the deadline is
    looked at within one socket timeout): `read(n)` waited for n bytes, a whole 256 KiB
    chunk, however slowly they came."""
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read1(_CHUNK_BYTES):
        chunks.append(bytes(chunk))
        size += len(chunk)
        if size > limit:
            raise Rejected(RejectReason.TOO_LARGE, f"{location}: feed over {limit} bytes")
        if time.monotonic() > deadline:
            raise FetchFailed(f"download took over {_DOWNLOAD_SECONDS:.0f} s")
    return b"".join(chunks)


def _is_zlib(data: bytes) -> bool:
    """Whether the bytes open with a zlib header (RFC 1950): deflate method, check bits."""
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


def _inflate(data: bytes, coding: str, limit: int, location: str) -> bytes:
    """Bytes under a gzip (every member) or deflate encoding inflated, refusing more than
    `limit` bytes (a small body can inflate to gigabytes) and a stream cut short. HTTP's
    `deflate` is the zlib format (RFC 9110 8.4.1.2); some servers send raw deflate, read
    too."""
    if coding == "gzip":
        wbits = 16 + zlib.MAX_WBITS
    else:
        wbits = zlib.MAX_WBITS if _is_zlib(data) else -zlib.MAX_WBITS
    out = bytearray()
    while data:
        inflater = zlib.decompressobj(wbits=wbits)
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise FetchFailed(f"bad {coding} encoding: {exc}") from None
        if len(out) > limit or inflater.unconsumed_tail:
            raise Rejected(RejectReason.TOO_LARGE, f"{location}: feed over {limit} bytes inflated")
        if not inflater.eof:
            raise FetchFailed(f"{coding} stream cut short")
        data = inflater.unused_data if coding == "gzip" else b""
    return bytes(out)


def _decode(data: bytes, encoding: str | None, limit: int, location: str) -> bytes:
    """A body under its Content-Encoding (codings in the order applied, RFC 9110 8.4):
    gzip or its old name x-gzip, deflate, identity. Another coding fails the fetch: its
    bytes are no broken document to dead-letter (they were, as "not a feed")."""
    codings = [coding.strip().lower() for coding in (encoding or "").split(",")]
    for coding in reversed([coding for coding in codings if coding]):
        if coding in ("gzip", "x-gzip"):
            data = _inflate(data, "gzip", limit, location)
        elif coding == "deflate":
            data = _inflate(data, "deflate", limit, location)
        elif coding != "identity":
            raise FetchFailed(f"unsupported Content-Encoding: {coding}")
    return data


class _Deadline:
    """A fetch's deadline, `at` on the monotonic clock. `_read_all` looks at it between
    reads; at `at` the connections the fetch made are shut down (through a duplicate of
    each socket, so a TLS socket wrapped around it is reached too), which ends a read
    waiting on one: a server trickling its TLS handshake, status line or headers (read
    before `_read_all` starts, each byte within the socket timeout) held a download thread
    as long as it liked. What is read after that is no answer (`expired`): the fetch
    fails."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def failure(self) -> FetchFailed:
        return FetchFailed(f"download took over {self.seconds:g} s")

    def remaining(self) -> float:
        """Seconds left; TimeoutError when none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"download took over {self.seconds:g} s")
        return left

    def watch(self, sock: socket.socket) -> None:
        """Shut the connection of `sock` down at the deadline (the timer starts with the
        first one)."""
        sock = sock.dup()  # closed by cancel(); the fetch closes its own
        with self._lock:
            self._sockets.append(sock)
            if self._timer is None:
                self._timer = threading.Timer(max(0.0, self.at - time.monotonic()), self._expire)
                self._timer.daemon = True
                self._timer.start()
            expired = self.expired
        if expired:
            _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            sock.close()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed already: the fetch ended
        sock.shutdown(socket.SHUT_RDWR)


def _lookup(host: str, port: int, seconds: float) -> list[Any]:
    """The host's addresses (getaddrinfo), waited for at most `seconds`. The system resolver
    takes no timeout of ours, so the lookup runs in a thread of its own: one that hangs is
    left behind (it ends when the resolver gives up) and the fetch fails; it held the
    download thread, no socket timeout nor the download deadline covering it."""
    found: list[Any] = []
    failed: list[OSError] = []

    def resolve() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM))
        except OSError as exc:
            failed.append(exc)

    thread = threading.Thread(target=resolve, name=f"lookup {host}", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"name lookup of {host} took over {seconds:g} s")
    if failed:
        raise failed[0]
    return found


def _connect(
    address: tuple[str, int],
    timeout: object = None,
    source_address: tuple[str, int] | None = None,
    *,
    deadline: _Deadline,
) -> socket.socket:
    """socket.create_connection within the fetch's deadline, the name lookup included."""
    host, port = address
    each = float(timeout) if isinstance(timeout, int | float) else _FETCH_TIMEOUT_SECONDS
    error: OSError | None = None
    for family, kind, proto, _, where in _lookup(host, port, min(each, deadline.remaining())):
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(min(each, deadline.remaining()))
            if source_address:
                sock.bind(source_address)
            sock.connect(where)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        sock.settimeout(each)
        deadline.watch(sock)
        return sock
    raise error or OSError(f"no address found for {host}")


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(_connect, deadline=deadline)


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(_connect, deadline=deadline)


class _HTTPHandler(urllib.request.HTTPHandler):
    """Connects within the fetch's deadline (`_connect`, `_Deadline`)."""

    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPConnection, deadline=self.deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    """Connects within the fetch's deadline (`_connect`, `_Deadline`); TLS as urllib's."""

    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPSConnection, deadline=self.deadline), req)


class _Redirects(urllib.request.HTTPRedirectHandler):
    """urllib's redirects, to http(s) addresses alone (it followed one to ftp://), each hop
    noted: a chain of permanent ones (301, 308) is where the feed now lives."""

    def __init__(self) -> None:
        super().__init__()
        self.hops: list[tuple[int, str]] = []

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            fp.close()
            raise FetchFailed(f"HTTP {code}: redirect to {newurl} refused (not http or https)")
        self.hops.append((code, newurl))
        return super().redirect_request(req, fp, code, msg, headers, newurl)

    @property
    def moved_to(self) -> str | None:
        permanent = self.hops and all(code in (301, 308) for code, _ in self.hops)
        return self.hops[-1][1] if permanent else None


def fetch(
    location: str,
    etag: str | None = None,
    modified: str | None = None,
    *,
    limit: int = MAX_FEED_BYTES,
) -> Fetched:
    """A feed from an http(s) URL or a local path. Over HTTP the validators of the last
    document sent make it a conditional GET: a `304 Not Modified` gives `Fetched(None)`
    (nothing downloaded, nothing parsed). Raises FetchFailed (an OSError) for network and
    HTTP errors, a body shorter than its Content-Length or a fetch over `_DOWNLOAD_SECONDS`
    (name lookup, connection, headers and body), with the server's Retry-After when it gave
    one; Rejected(too_large) for a document over `limit` bytes."""
    if not location.startswith(("http://", "https://")):
        with Path(location).open("rb") as stream:
            deadline = time.monotonic() + _DOWNLOAD_SECONDS
            return Fetched(_read_all(stream, limit, location, deadline))
    watchdog = _Deadline(_DOWNLOAD_SECONDS)
    try:
        fetched = _fetch_http(location, etag, modified, limit, watchdog)
    except (OSError, http.client.HTTPException):
        if watchdog.expired:  # what the shut-down socket gave is no answer
            raise watchdog.failure() from None
        raise
    finally:
        watchdog.cancel()
    if watchdog.expired:  # a response cut short by the deadline, read as if whole
        raise watchdog.failure()
    return fetched


def _fetch_http(
    location: str, etag: str | None, modified: str | None, limit: int, deadline: _Deadline
) -> Fetched:
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    request = urllib.request.Request(location, headers=headers)  # noqa: S310 (scheme checked)
    redirects = _Redirects()
    opener = urllib.request.build_opener(_HTTPHandler(deadline), _HTTPSHandler(deadline), redirects)
    try:
        with opener.open(request, timeout=_FETCH_TIMEOUT_SECONDS) as response:
            data = _read_all(response, limit, location, deadline.at)
            length = response.headers.get("Content-Length")
            if length is not None and length.strip().isdecimal() and len(data) != int(length):
                # urllib's read() ends quietly when the server closes early.
                raise FetchFailed(f"cut off: {len(data)} of {int(length)} bytes")
            data = _decode(data, response.headers.get("Content-Encoding"), limit, location)
            return Fetched(
                data,
                response.headers.get("ETag"),
                response.headers.get("Last-Modified"),
                response.headers.get("Content-Type"),
                response.geturl(),
                redirects.moved_to,
            )
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            etag = exc.headers.get("ETag") or etag
            return Fetched(None, etag, modified, moved_to=redirects.moved_to)
        wait = _retry_after(exc.headers.get("Retry-After"), time.time())
        raise FetchFailed(f"HTTP {exc.code} {exc.reason}", wait, exc.code) from None
    except urllib.error.URLError as exc:
        raise FetchFailed(str(exc.reason)) from None
    except (http.client.HTTPException, ValueError) as exc:  # a bad URL, a broken response
        raise FetchFailed(f"{type(exc).__name__}: {exc}") from None


def _stored_state(path: Path) -> dict[str, Any] | None:
    """A state file's contents, or None (after a warning, the file moved aside to
    `<name>.corrupt`) when it is not a state: a file cut short or mangled must not stop the
    poller (`wirefeed feed` reads every feed's state before polling any). Starting afresh
    sends the entries the feed still lists again, under the same ids: redeliveries, which
    the worker does not publish twice."""
    stored: Any = None
    try:
        stored = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        problem = f"not JSON ({exc})"
    else:
        if isinstance(stored, list):  # before validators were kept: the ids alone
            stored = {"ids": stored}
        problem = "not a feed state (no list of ids)"
        if isinstance(stored, dict):
            ids = stored.setdefault("ids", [])
            keys = ("etag", "modified", "unreadable", "location")
            validators = (stored.get(key) for key in keys)
            if isinstance(ids, list) and all(isinstance(i, str) for i in ids):
                if all(value is None or isinstance(value, str) for value in validators):
                    return dict(stored)
                problem = "not a feed state (a validator is not a string)"
    aside = path.with_name(path.name + ".corrupt")
    try:
        os.replace(path, aside)
        moved = f"moved to {aside}"
    except OSError as exc:
        moved = f"could not be moved aside ({exc}); it is overwritten at the next save"
    log.warning(
        "%s: feed state %s, %s; starting afresh (the entries the feed lists are sent again "
        "as redeliveries, the whole document is downloaded)",
        path,
        problem,
        moved,
    )
    return None


class FeedState:
    """What a poller remembers of one feed, optionally in a JSON file so a restarted poller
    neither resends the feed's backlog nor downloads an unchanged document: the ids sent, in
    the order last listed (the newest `limit` kept); the validators (ETag, Last-Modified) of
    the last document whose entries the broker took; and the digest of the last document
    that could not be read, so a broken feed is dead-lettered once, not at every poll; and
    `retry_at`, the wall-clock time (epoch seconds) before which the server asked not to be
    polled (Retry-After), so a restarted poller waits too; and `location`, where the feed
    is fetched once it moved permanently (None: where it is listed; its identity, the
    state file, the ids and the records' key, stays the address listed), with `moved_from`,
    the address listed it moved from (until `wirefeed feed --forget-redirects`); and
    `gone_at`, when (epoch seconds) the feed answered `410 Gone`: it is polled no more, by a
    restarted poller either, until that is cleared (`wirefeed feed --retry-gone`).

    `listed`: the address the feed is listed at now. What was learnt of another address (a
    `--state` file given another one) is not taken for it: a redirect is not followed (the list
    names where to go), and a `410 Gone`, a Retry-After and the document validators, which
    that address's server gave, are dropped; the ids sent are kept."""

    def __init__(
        self, path: Path | None = None, limit: int = MAX_SEEN, listed: str | None = None
    ) -> None:
        self.path = path
        self.limit = limit
        self._ids: dict[str, None] = {}
        self.etag: str | None = None
        self.modified: str | None = None
        self.unreadable: str | None = None
        self.retry_at: float | None = None
        self.location: str | None = None
        self.moved_from: str | None = None
        self.gone_at: float | None = None
        self.listed = listed
        if path is not None and path.exists():
            stored = _stored_state(path)
            if stored is not None:
                self._ids = dict.fromkeys(stored["ids"])
                self.unreadable = stored.get("unreadable")
                # Saved before the address was kept (None): taken as the one listed's.
                learnt = stored.get("listed")
                learnt = learnt if isinstance(learnt, str) else None
                self.listed = listed or learnt
                if learnt not in (None, self.listed):
                    forgotten = dict.fromkeys(("etag", "modified", "gone_at", "retry_at"))
                    stored = {**stored, **forgotten}
                self.etag = stored.get("etag")
                self.modified = stored.get("modified")
                # A state saved before `moved_from` was kept: its redirect is taken as the
                # listed address's (a state file per address, unless `--state` was given).
                self.moved(stored.get("moved_from") or listed, stored.get("location"))
                if listed is not None and self.moved_from not in (None, listed):
                    self.moved(None, None)
                gone_at = stored.get("gone_at")
                if isinstance(gone_at, int | float) and math.isfinite(gone_at):
                    self.gone_at = float(gone_at)
                retry_at = stored.get("retry_at")
                if isinstance(retry_at, int | float) and math.isfinite(retry_at):
                    self.retry_at = float(retry_at)

    def moved(self, listed: str | None, to: str | None) -> None:
        """Remember that the feed listed at `listed` now lives at `to` (None: where listed)."""
        self.location = to
        self.moved_from = listed if to is not None else None

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
        stored = {
            "ids": list(self._ids),
            "etag": self.etag,
            "modified": self.modified,
            "unreadable": self.unreadable,
            "retry_at": self.retry_at,
            "location": self.location,
            "moved_from": self.moved_from,
            "gone_at": self.gone_at,
            "listed": self.listed,
        }
        partial.write_bytes(orjson.dumps(stored))
        os.replace(partial, self.path)  # a crash mid-write leaves the old state whole


def _entry_key(record: dict[str, Any]) -> str:
    """The guid (else link) a record's id was made from: `copy_id` appends `#<digest>`."""
    return str(record["id"]).rpartition("#")[0]


def new_records(records: list[dict[str, Any]], seen: FeedState) -> list[dict[str, Any]]:
    """The records whose ids have not been sent yet (a feed lists old entries again; an entry
    whose title or body changed has a new id, and is sent again)."""
    return [
        record for record in records if record["id"] not in seen and _entry_key(record) not in seen
    ]


def send_new(location: str, fetched: Fetched, sender: LetterSender, seen: FeedState) -> int:
    """Send a fetched document's entries not sent before, oldest first (feeds list the newest
    first, and the worker takes the first arrival of a text as the original); returns how
    many were sent. Ids and
    validators are remembered only after the broker has the records (a crash resends, never
    loses): a failed send raises (kafka.SendFailed) and nothing is saved, so the next poll
    downloads the document again rather than hearing "not modified".

    A document that is not a feed raises Rejected, after its bytes went to the dead-letter
    topic with the reason, its origin naming the feed (once per distinct document: the same
    broken document at the next poll is only reported). Not to the raw topic, where the
    worker read them on its own terms: it published a JSON document as an article.

    A state file written before ids carried a digest holds bare guids: such an entry is
    taken as already sent (its content then is unknown), and its id now is remembered in
    place of the guid, so a later correction is sent."""
    moved = fetched.moved_to if fetched.moved_to != location else None
    if fetched.data is None:
        if fetched.moved_to and moved != seen.location:
            seen.moved(location, moved)
            seen.save()
        return 0
    feed = f"feed:{location}"
    try:
        records = feed_records(fetched.data, fetched.content_type, fetched.url)
    except Rejected as exc:
        digest = hashlib.sha256(fetched.data).hexdigest()
        if digest != seen.unreadable:
            origin = {"producer": feed, "feed": location}
            sender.dead_letter(fetched.data, exc.reason.value, exc.detail, origin)
            sender.flush()
            seen.unreadable = digest
            seen.save()
        raise
    fresh = publication_order(new_records(records, seen))
    legacy = [
        record for record in records if record["id"] not in seen and _entry_key(record) in seen
    ]
    for record in fresh:
        sender.send(record, feed)
    sender.flush()
    seen.discard(_entry_key(record) for record in legacy)
    # What the document lists is the newest the state holds: an entry the feed keeps listing
    # (pinned, evergreen) is not dropped behind `limit` newer ones and sent again.
    listed = [record for record in records if record["id"] in seen]
    seen.add(record["id"] for record in [*listed, *legacy, *fresh])
    seen.etag, seen.modified, seen.unreadable = fetched.etag, fetched.modified, None
    seen.retry_at = None
    if fetched.moved_to:
        seen.moved(location, moved)
    seen.save()
    return len(fresh)


def feed_states(
    locations: Iterable[str],
    state_dir: Path,
    state: Path | None = None,
    *,
    retry_gone: bool = False,
    forget_redirects: bool = False,
) -> tuple[dict[str, FeedState], dict[str, str]]:
    """Each listed feed's state (its file in `state_dir`, named after the address, or `state`
    for a single feed), with what the operator asked cleared and saved: `retry_gone`, the
    `410 Gone` marks (polled again); `forget_redirects`, the permanent redirects remembered
    (fetched at the address listed again: the publisher's redirect was a mistake; one still
    in place is remembered again at the next poll). Returns the states and the redirects
    forgotten (address listed -> where it had moved)."""
    states = {
        location: FeedState(state or state_path(state_dir, location), listed=location)
        for location in locations
    }
    forgotten: dict[str, str] = {}
    for location, feed_state in states.items():
        changed = False
        if retry_gone and feed_state.gone_at is not None:
            feed_state.gone_at, changed = None, True
        if forget_redirects and feed_state.location is not None:
            forgotten[location] = feed_state.location
            feed_state.moved(None, None)
            changed = True
        if changed:
            feed_state.save()
    return states, forgotten


def poll_feed(location: str, sender: LetterSender, seen: FeedState) -> int:
    """Fetch a feed once (conditionally, with the validators of the last document sent) and
    send its new entries; returns how many were sent. A feed that moved permanently is
    fetched where it moved (`FeedState.location`)."""
    fetched = fetch(seen.location or location, seen.etag, seen.modified)
    return send_new(location, fetched, sender, seen)


@dataclass(slots=True)
class _Due:
    at: float = 0.0
    failures: int = 0


class PollSchedule:
    """When each feed is polled next: every `every` seconds after a poll that worked; after
    failures, `every` doubled per failure in a row up to `max_backoff` (a feed that is down
    is not hammered, one that recovers is back on its interval at once), or later if the
    server asked so (Retry-After)."""

    def __init__(self, feeds: Iterable[str], every: float, max_backoff: float = 3600.0) -> None:
        self.every = every
        self.max_backoff = max(max_backoff, every)
        self._due = {feed: _Due() for feed in feeds}

    def due(self, now: float) -> list[str]:
        """The feeds to poll now, in the order given."""
        return [feed for feed, due in self._due.items() if due.at <= now]

    def next_at(self) -> float:
        return min(due.at for due in self._due.values())

    def failures(self, feed: str) -> int:
        return self._due[feed].failures

    def succeeded(self, feed: str, now: float) -> float:
        """Record a poll that worked; returns when the feed is polled next."""
        due = self._due[feed]
        due.failures = 0
        due.at = now + self.every
        return due.at

    def hold(self, feed: str, until: float) -> None:
        """Not due before `until` (a wait the server asked for before a restart)."""
        due = self._due[feed]
        due.at = max(due.at, until)

    def started(self, feed: str) -> None:
        """A poll of the feed began: not due again until it ends (succeeded, failed...)."""
        self._due[feed].at = math.inf

    def stop(self, feed: str) -> None:
        """Never due again (a feed that is gone)."""
        self._due[feed].at = math.inf

    def postponed(self, feed: str, now: float) -> float:
        """Poll again after the usual interval, neither a success nor the feed's failure."""
        due = self._due[feed]
        due.at = now + self.every
        return due.at

    def failed(self, feed: str, now: float, retry_after: float | None = None) -> float:
        """Record a failed poll; returns when the feed is tried again."""
        due = self._due[feed]
        due.failures += 1
        wait = min(self.every * 2 ** min(due.failures - 1, 30), self.max_backoff)
        due.at = now + max(wait, retry_after or 0.0)
        return due.at


PollStatus = Literal["downloaded", "not_modified", "failed", "send_failed"]


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll of one feed did: its status (`failed`: the feed's fault, `send_failed`:
    the broker's), entries sent (None if it failed) or why it failed, when the feed is polled
    next and its failures in a row; `moved_to`: the address the feed moved to for good, at
    this poll (fetched there from now on); `gone`: it answered `410 Gone` and is polled no
    more (`next_at` is infinite)."""

    location: str
    status: PollStatus
    sent: int | None
    error: str | None
    next_at: float
    failures: int
    moved_to: str | None = None
    gone: bool = False

    @property
    def not_modified(self) -> bool:
        return self.status == "not_modified"


def state_path(folder: Path, location: str) -> Path:
    """Where a feed's state lives: one file per feed, named after a hash of its location."""
    digest = hashlib.sha1(location.encode(), usedforsecurity=False).hexdigest()[:16]
    return folder / f"{digest}.json"


class Poller:
    """Polls feeds as they fall due: downloads run side by side in `pool`, each sent (in the
    caller's thread) as soon as it is in, so a slow or dead server holds up no other feed's
    entries or schedule. A feed that fails (network, HTTP error, not a feed, too large, an
    entry the broker refuses for its size, or anything unforeseen) is reported and retried
    on the schedule's backoff; one the broker does not take for want of a broker is tried
    again at its usual interval. Nothing of a failed poll is saved but the server's
    Retry-After (`FeedState.retry_at`, on the `wall` clock): a feed that asked to be left
    alone is not polled before then by this poller nor by a restarted one (the next
    `--once` run too), where the wait was kept in memory alone; and a feed that answered
    `410 Gone` is polled no more (`FeedState.gone_at`), logged at error level: it was
    retried for ever at the longest backoff. A 404 is retried as any failure."""

    def __init__(
        self,
        states: dict[str, FeedState],
        schedule: PollSchedule,
        sender: LetterSender,
        pool: ThreadPoolExecutor,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.states = states
        self.schedule = schedule
        self.sender = sender
        self.pool = pool
        self.clock = clock
        self.wall = wall
        self._running: dict[Future[Fetched | Exception], str] = {}
        for location, state in states.items():
            if state.gone_at is not None:
                schedule.stop(location)
            elif state.retry_at is not None:
                wait = min(state.retry_at - wall(), MAX_RETRY_AFTER_SECONDS)
                if wait > 0:
                    schedule.hold(location, clock() + wait)

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def start_due(self) -> None:
        """Start downloading every feed that is due and not downloading already."""
        for location in self.schedule.due(self.clock()):
            self.schedule.started(location)
            self._running[self.pool.submit(self._download, location)] = location

    def step(self, timeout: float) -> list[PollOutcome]:
        """Start what is due, then wait up to `timeout` seconds for downloads to finish and
        send what they brought; returns the polls finished."""
        self.start_due()
        if not self._running:
            time.sleep(max(0.0, timeout))
            return []
        finished, _ = wait(self._running, timeout=max(0.0, timeout), return_when=FIRST_COMPLETED)
        return [self._finish(self._running.pop(future), future.result()) for future in finished]

    def drain(self) -> list[PollOutcome]:
        """Poll every feed that is due once, waiting for all of them."""
        self.start_due()
        outcomes = []
        for future in as_completed(list(self._running)):
            outcomes.append(self._finish(self._running.pop(future), future.result()))
        return outcomes

    def _download(self, location: str) -> Fetched | Exception:
        state = self.states[location]
        try:
            return fetch(state.location or location, state.etag, state.modified)
        except Exception as exc:  # reported by _finish; a poller must outlive any one feed
            return exc

    def _finish(self, location: str, fetched: Fetched | Exception) -> PollOutcome:
        state = self.states[location]
        where = f" (at {state.location}, where it moved)" if state.location else ""
        if isinstance(fetched, Exception):
            if getattr(fetched, "status", None) == 410:
                return self._gone(location, _describe(fetched) + where)
            retry_after = getattr(fetched, "retry_after", None)
            return self._failed(location, _describe(fetched) + where, retry_after)
        before = state.location
        try:
            sent = send_new(location, fetched, self.sender, state)
        except (SendFailed, KafkaError) as exc:
            if not broker_unavailable(exc):  # refused for its content (an entry too large)
                error = f"send failed: the broker refused an entry (too large, or invalid): {exc}"
                return self._failed(location, error)
            # The broker's trouble, not the feed's: tried again at its usual interval (a
            # broker outage must not push every feed to the longest backoff).
            at = self.schedule.postponed(location, self.clock())
            failures = self.schedule.failures(location)
            return PollOutcome(location, "send_failed", None, f"send failed: {exc}", at, failures)
        except Exception as exc:  # not a feed, or a bug: the poller outlives any one feed
            return self._failed(location, _describe(exc) + where)
        at = self.schedule.succeeded(location, self.clock())
        status: PollStatus = "not_modified" if fetched.data is None else "downloaded"
        moved = state.location if state.location != before else None
        if moved:
            log.warning("%s: moved permanently to %s, fetched there from now on", location, moved)
        return PollOutcome(location, status, sent, None, at, 0, moved or None)

    def _gone(self, location: str, error: str) -> PollOutcome:
        """A feed that answered `410 Gone`: a failure, and not polled again (the mark saved,
        so neither after a restart)."""
        self.schedule.failed(location, self.clock())
        self.schedule.stop(location)
        state = self.states[location]
        state.gone_at = self.wall()
        try:
            state.save()
        except OSError as exc:  # still left alone while this poller runs
            log.warning("%s: could not save that the feed is gone: %s", location, exc)
        log.error(
            "%s: %s: the feed is gone, no longer polled (remove it from the list, or "
            "`wirefeed feed --retry-gone` to poll it again)",
            location,
            error,
        )
        failures = self.schedule.failures(location)
        return PollOutcome(location, "failed", None, error, math.inf, failures, gone=True)

    def _failed(self, location: str, error: str, retry_after: float | None = None) -> PollOutcome:
        """The feed's own failure: backed off on the schedule; the server's Retry-After
        saved, to hold at a restart too."""
        at = self.schedule.failed(location, self.clock(), retry_after)
        if retry_after:
            state = self.states[location]
            state.retry_at = self.wall() + retry_after
            try:
                state.save()
            except OSError as exc:  # the wait is still kept while this poller runs
                log.warning("%s: could not save the server's Retry-After: %s", location, exc)
        return PollOutcome(location, "failed", None, error, at, self.schedule.failures(location))


def _describe(exc: Exception) -> str:
    """An error as a poll reports it: our own errors by their message, others with type."""
    return str(exc) if isinstance(exc, OSError | Rejected) else repr(exc)


def read_feed_list(path: Path) -> list[str]:
    """Feed locations from a file: one per line; blank lines and `#` comments skipped."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]
