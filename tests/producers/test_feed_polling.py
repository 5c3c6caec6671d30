"""Polling feeds over HTTP: conditional GETs, gzip, limits, broken documents, backoff, and
one poller watching several feeds (a local HTTP server; a recording sender in place of
kafka-python, whose side is tested in test_feeds.py against the real broker)."""

from __future__ import annotations

import gzip
import math
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError
from prometheus_client.parser import text_string_to_metric_families

from service.models import Rejected, RejectReason
from service.producers import feeds as feeds_module
from service.producers.dlq import refused_by_reader
from service.producers.feeds import (
    MAX_RETRY_AFTER_SECONDS,
    FeedState,
    FetchFailed,
    Poller,
    PollOutcome,
    PollSchedule,
    feed_records,
    feed_states,
    fetch,
    poll_feed,
    state_path,
)
from service.producers.kafka import SendFailed
from service.producers.replay import LetterSender
from service.settings import Settings
from tests.conftest import free_port, read_topics, settings_env
from tests.producers.conftest import FakeSender
from tests.producers.documents import ATOM, RSS


@dataclass
class Route:
    """What the server answers on one path, and what it was asked."""

    body: bytes = RSS
    etag: str | None = '"v1"'
    modified: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/rss+xml"
    gzip: bool = False
    # Seconds to wait before answering; a Content-Length this much larger than the body sent.
    delay: float = 0.0
    missing_bytes: int = 0
    # Seconds between the body's bytes, sent one at a time (a server trickling its answer).
    trickle: float = 0.0
    # Bytes sent as they are under Content-Encoding: gzip (instead of `body`).
    encoded: bytes | None = None
    # The Content-Encoding named when `gzip` or `encoded` is set.
    content_encoding: str = "gzip"
    requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def answered_304(self) -> int:
        return sum(1 for request in self.requests if request.get("status") == "304")


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                seen = {key.lower(): value for key, value in self.headers.items()}
                route.requests.append(seen)
                time.sleep(route.delay)
                if route.status != 200:
                    self.send_response(route.status)
                    for key, value in route.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                # RFC 9110: If-None-Match, when sent, decides alone.
                if "if-none-match" in seen:
                    fresh = seen["if-none-match"] == route.etag
                else:
                    fresh = bool(route.modified) and seen.get("if-modified-since") == route.modified
                if fresh:
                    seen["status"] = "304"
                    self.send_response(304)
                    self.end_headers()
                    return
                body = gzip.compress(route.body) if route.gzip else route.body
                if route.encoded is not None:
                    body = route.encoded
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                if route.gzip or route.encoded is not None:
                    self.send_header("Content-Encoding", route.content_encoding)
                if route.etag:
                    self.send_header("ETag", route.etag)
                if route.modified:
                    self.send_header("Last-Modified", route.modified)
                self.send_header("Content-Length", str(len(body) + route.missing_bytes))
                self.end_headers()
                if route.trickle:
                    try:
                        for byte in body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(route.trickle)
                    except OSError:  # the client gave up
                        return
                else:
                    self.wfile.write(body)
                if route.missing_bytes:
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}{path}"

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    running = FeedServer()
    yield running
    running.close()


def poll_round(
    states: dict[str, FeedState],
    schedule: PollSchedule,
    sender: LetterSender,
    now: float,
    pool: ThreadPoolExecutor,
) -> list[PollOutcome]:
    """Poll every feed due at `now` once, the schedule's clock stopped there; outcomes in
    the order the feeds were given."""
    poller = Poller(states, schedule, sender, pool, clock=lambda: now)
    order = {location: i for i, location in enumerate(states)}
    return sorted(poller.drain(), key=lambda outcome: order[outcome.location])


class RefusingSender(FakeSender):
    """The broker does not take the records (unreachable): flush raises, as RawProducer's
    does; `error` is what each record failed with."""

    def __init__(self, error: Exception | None = None) -> None:
        super().__init__()
        self.error = error or KafkaTimeoutError("Batch expired")

    def flush(self) -> None:
        raise SendFailed(len(self.sent), len(self.sent), self.error)


def test_an_unchanged_feed_is_not_downloaded_again(server: FeedServer, tmp_path: Path) -> None:
    route = server.routes["/rss"] = Route(modified="Tue, 02 Apr 2024 09:00:00 GMT")
    url = server.url("/rss")
    state = tmp_path / "feed.json"
    sender = FakeSender()
    assert poll_feed(url, sender, FeedState(state)) == 2
    assert "if-none-match" not in route.requests[0]
    # A restarted poller asks with the validators the first document came with.
    assert poll_feed(url, sender, FeedState(state)) == 0
    assert route.requests[1]["if-none-match"] == '"v1"'
    assert route.requests[1]["if-modified-since"] == "Tue, 02 Apr 2024 09:00:00 GMT"
    assert route.answered_304 == 1
    assert len(sender.records) == 2
    # A new document (new validator) is downloaded and its new entry sent.
    route.body = RSS.replace(b"gazette-1001", b"gazette-1003")
    route.etag = '"v2"'
    assert poll_feed(url, sender, FeedState(state)) == 1
    assert route.answered_304 == 1
    assert orjson.loads(state.read_bytes())["etag"] == '"v2"'


def test_validators_are_kept_only_once_the_broker_has_the_entries(
    server: FeedServer, tmp_path: Path
) -> None:
    route = server.routes["/rss"] = Route()
    url = server.url("/rss")
    state = tmp_path / "feed.json"
    with pytest.raises(SendFailed):
        poll_feed(url, RefusingSender(), FeedState(state))
    # Had the ETag been saved, the next poll would hear "not modified" and lose the entries.
    sender = FakeSender()
    assert poll_feed(url, sender, FeedState(state)) == 2
    assert "if-none-match" not in route.requests[1]
    assert route.answered_304 == 0


def test_gzip_is_accepted_and_a_bomb_refused(server: FeedServer) -> None:
    route = server.routes["/rss"] = Route(gzip=True)
    fetched = fetch(server.url("/rss"))
    assert fetched.data == RSS
    assert route.requests[0]["accept-encoding"] == "gzip"
    route.body = b"<rss>" + b" " * 5_000_000
    with pytest.raises(Rejected) as caught:
        fetch(server.url("/rss"), limit=1_000_000)
    assert caught.value.reason == RejectReason.TOO_LARGE
    route.gzip = False
    with pytest.raises(Rejected, match="over 1000000 bytes"):
        fetch(server.url("/rss"), limit=1_000_000)


def test_http_errors_carry_the_servers_retry_after(server: FeedServer) -> None:
    server.routes["/busy"] = Route(status=503, headers={"Retry-After": "120"})
    with pytest.raises(FetchFailed, match="HTTP 503") as caught:
        fetch(server.url("/busy"))
    assert caught.value.retry_after == 120.0
    with pytest.raises(FetchFailed, match="HTTP 404"):
        fetch(server.url("/nowhere"))
    with pytest.raises(FetchFailed) as refused:
        fetch("http://127.0.0.1:9/closed")
    assert refused.value.retry_after is None


@pytest.mark.parametrize(
    "broken",
    [
        b"<html><body>502 Bad Gateway</body></html>",
        orjson.dumps({"headline": "Not a feed", "body_text": "An API's answer.", "uri": None}),
    ],
    ids=["html-error-page", "json"],
)
def test_a_document_that_is_no_feed_is_a_dead_letter_once_never_raw(
    server: FeedServer, tmp_path: Path, broken: bytes
) -> None:
    # Its bytes went to wire.raw for the worker to read on its own terms: an error page was
    # dead-lettered as not_json, the poller's reason lost, and a JSON one published.
    route = server.routes["/rss"] = Route(body=broken, etag=None)
    url = server.url("/rss")
    state = tmp_path / "feed.json"
    sender = FakeSender()
    for _ in range(3):
        with pytest.raises(Rejected) as caught:
            poll_feed(url, sender, FeedState(state))
        assert caught.value.reason == RejectReason.BAD_FORMAT
    origin = {"producer": f"feed:{url}", "feed": url}
    assert sender.letters == [(broken, "bad_format", origin)]
    assert sender.details == [caught.value.detail]
    assert refused_by_reader(origin)  # `wirefeed dlq replay` leaves it alone
    assert sender.sent == []
    # Another broken document is another dead letter; a good one clears the mark.
    route.body = broken + b" "
    with pytest.raises(Rejected):
        poll_feed(url, sender, FeedState(state))
    assert len(sender.letters) == 2
    route.body = RSS
    assert poll_feed(url, sender, FeedState(state)) == 2
    route.body = broken
    with pytest.raises(Rejected):
        poll_feed(url, sender, FeedState(state))
    assert len(sender.letters) == 3
    assert len(sender.sent) == 2


def test_a_state_file_of_ids_alone_is_still_read(tmp_path: Path) -> None:
    state = tmp_path / "feed.json"
    state.write_bytes(orjson.dumps(["gazette-1001#abc"]))
    read = FeedState(state)
    assert "gazette-1001#abc" in read
    assert read.etag is None


def test_a_failing_feed_backs_off_and_recovers_at_once() -> None:
    schedule = PollSchedule(["a", "b"], every=300.0, max_backoff=1000.0)
    assert schedule.due(0.0) == ["a", "b"]
    assert schedule.succeeded("a", 0.0) == 300.0
    assert schedule.failed("b", 0.0) == 300.0
    assert schedule.failed("b", 300.0) == 300.0 + 600.0
    assert schedule.failed("b", 900.0) == 900.0 + 1000.0  # capped
    assert schedule.failed("b", 1900.0, retry_after=5000.0) == 6900.0  # the server's wish
    assert schedule.failures("b") == 4
    assert schedule.due(300.0) == ["a"]
    assert schedule.next_at() == 300.0
    assert schedule.succeeded("b", 6900.0) == 7200.0
    assert schedule.failures("b") == 0


def test_one_poller_watches_several_feeds_and_a_bad_one_stops_none(
    server: FeedServer, tmp_path: Path
) -> None:
    server.routes["/rss"] = Route()
    server.routes["/busy"] = Route(status=429, headers={"Retry-After": "900"})
    feeds = [server.url("/rss"), server.url("/busy"), str(tmp_path / "missing.xml")]
    atom = tmp_path / "science.xml"
    atom.write_bytes(ATOM)
    feeds.append(str(atom))
    states = {feed: FeedState(tmp_path / f"state-{n}.json") for n, feed in enumerate(feeds)}
    schedule = PollSchedule(feeds, every=300.0)
    sender = FakeSender()
    with ThreadPoolExecutor(4) as pool:
        outcomes = {o.location: o for o in poll_round(states, schedule, sender, 1000.0, pool)}
        assert outcomes[feeds[0]].sent == 2
        assert outcomes[feeds[3]].sent == 1
        assert outcomes[feeds[1]].sent is None
        assert "HTTP 429" in (outcomes[feeds[1]].error or "")
        assert outcomes[feeds[1]].next_at == 1900.0
        assert outcomes[feeds[2]].error is not None
        assert outcomes[feeds[2]].next_at == 1300.0
        assert [outcomes[feed].status for feed in feeds] == [
            "downloaded",
            "failed",
            "failed",
            "downloaded",
        ]
        assert {key for _, key in sender.sent} == {f"feed:{feeds[0]}", f"feed:{feeds[3]}"}
        # Next round: only what is due; the HTTP feed answers "not modified".
        again = poll_round(states, schedule, sender, 1300.0, pool)
        assert [(o.location, o.sent, o.not_modified) for o in again] == [
            (feeds[0], 0, True),
            (feeds[2], None, False),
            (feeds[3], 0, False),
        ]
        assert again[1].next_at == 1300.0 + 600.0
        assert [o.failures for o in again] == [0, 2, 0]
    assert len(sender.sent) == 3


def test_a_broker_that_refuses_does_not_back_the_feeds_off(
    server: FeedServer, tmp_path: Path
) -> None:
    server.routes["/rss"] = Route()
    feeds = [server.url("/rss"), server.url("/rss?again")]
    server.routes["/rss?again"] = Route()
    states = {feed: FeedState(tmp_path / f"state-{n}.json") for n, feed in enumerate(feeds)}
    schedule = PollSchedule(feeds, every=300.0)
    with ThreadPoolExecutor(2) as pool:
        for now in (0.0, 300.0, 600.0):
            outcomes = poll_round(states, schedule, RefusingSender(), now, pool)
            assert [o.next_at for o in outcomes] == [now + 300.0] * 2
            assert all("send failed" in (o.error or "") for o in outcomes)
            assert {(o.status, o.failures) for o in outcomes} == {("send_failed", 0)}
        # The broker back: the entries were never marked sent, so they go now.
        sender = FakeSender()
        outcomes = poll_round(states, schedule, sender, 900.0, pool)
    assert [o.sent for o in outcomes] == [2, 2]
    assert schedule.failures(feeds[0]) == 0


def test_an_entry_too_large_for_the_raw_topic_is_the_feeds_failure(
    server: FeedServer, tmp_path: Path
) -> None:
    server.routes["/rss"] = Route()
    url = server.url("/rss")
    states = {url: FeedState(tmp_path / "state.json")}
    schedule = PollSchedule([url], every=300.0)
    refusing = RefusingSender(MessageSizeTooLargeError("The message is 3000000 bytes"))
    with ThreadPoolExecutor(1) as pool:
        [first] = poll_round(states, schedule, refusing, 0.0, pool)
        [second] = poll_round(states, schedule, refusing, 300.0, pool)
    assert (first.status, first.failures, first.next_at) == ("failed", 1, 300.0)
    assert "too large" in (first.error or "")
    assert (second.failures, second.next_at) == (2, 900.0)  # backing off, and alerting


def test_a_permanent_redirect_is_remembered_and_the_feed_keeps_its_identity(
    server: FeedServer, tmp_path: Path
) -> None:
    # Every poll went through the redirect: a feed that moved for good (301, 308) was asked
    # at its old address for ever. Its state file, ids and key stay those of the address
    # listed; only where it is fetched changes.
    old = server.routes["/old"] = Route(status=301, headers={"Location": "/new"})
    new = server.routes["/new"] = Route()
    url, path = server.url("/old"), tmp_path / "state.json"
    sender = FakeSender()
    with ThreadPoolExecutor(1) as pool:
        states = {url: FeedState(path)}
        [first] = poll_round(states, PollSchedule([url], 300.0), sender, 0.0, pool)
        assert (first.status, first.sent, first.moved_to) == ("downloaded", 2, server.url("/new"))
        assert {key for _, key in sender.sent} == {f"feed:{url}"}
        # A restarted poller asks the new address alone, with the validators it gave.
        states = {url: FeedState(path)}
        [second] = poll_round(states, PollSchedule([url], 300.0), sender, 300.0, pool)
        assert (second.status, second.moved_to) == ("not_modified", None)
        assert (len(old.requests), len(new.requests), new.answered_304) == (1, 2, 1)
        stored = orjson.loads(path.read_bytes())
        assert stored["location"] == server.url("/new")
        assert len(stored["ids"]) == 2
        # A failure there says where the feed was asked.
        new.status = 404
        [third] = poll_round(states, PollSchedule([url], 300.0), sender, 600.0, pool)
        assert third.error == f"HTTP 404 Not Found (at {server.url('/new')}, where it moved)"


def test_a_remembered_redirect_is_forgotten_when_the_operator_says_so(
    server: FeedServer, tmp_path: Path
) -> None:
    # To go back to the address listed (the publisher's redirect was a mistake), the state
    # file had to be edited: `wirefeed feed --forget-redirects` forgets it, saved.
    old = server.routes["/old"] = Route(status=301, headers={"Location": "/new"})
    new = server.routes["/new"] = Route()
    url, folder = server.url("/old"), tmp_path / "feeds"
    states, forgotten = feed_states([url], folder)
    assert poll_feed(url, FakeSender(), states[url]) == 2
    assert (states[url].location, forgotten) == (server.url("/new"), {})
    old.status, old.headers = 200, {}  # the publisher undoes its redirect
    assert feed_states([url], folder)[0][url].location == server.url("/new")
    states, forgotten = feed_states([url], folder, forget_redirects=True)
    assert forgotten == {url: server.url("/new")}
    assert FeedState(state_path(folder, url), listed=url).location is None
    # Asked at the address listed again, with the ids and validators it had: nothing resent.
    sender = FakeSender()
    assert poll_feed(url, sender, states[url]) == 0
    assert (len(old.requests), len(new.requests), old.answered_304) == (2, 1, 1)
    assert feed_states([url], folder, forget_redirects=True)[1] == {}
    # A redirect still in place is remembered again at the next poll.
    old.status, old.headers = 308, {"Location": "/new"}
    assert poll_feed(url, sender, states[url]) == 0
    assert FeedState(state_path(folder, url), listed=url).location == server.url("/new")


def test_a_redirect_remembered_for_another_address_is_not_followed(
    server: FeedServer, tmp_path: Path
) -> None:
    # A state file per address listed: another address has a state of its own. One `--state`
    # file given another address than the one it moved from kept sending it to the old
    # address's new home; the list names where to go.
    server.routes["/old"] = Route(status=301, headers={"Location": "/new"})
    server.routes["/new"] = Route()
    other = server.routes["/other"] = Route(etag='"v2"')
    url, single = server.url("/old"), tmp_path / "one.json"
    states, _ = feed_states([url], tmp_path, single)
    assert poll_feed(url, FakeSender(), states[url]) == 2
    assert feed_states([url], tmp_path, single)[0][url].location == server.url("/new")
    elsewhere = server.url("/other")
    states, _ = feed_states([elsewhere], tmp_path, single)
    assert states[elsewhere].location is None
    assert poll_feed(elsewhere, FakeSender(), states[elsewhere]) == 0  # the same ids
    assert len(other.requests) == 1
    # A state saved before the address it moved from was kept: taken as the one listed's.
    stored = orjson.loads(single.read_bytes())
    stored.update(location=server.url("/new"), moved_from=None)
    single.write_bytes(orjson.dumps(stored))
    assert FeedState(single, listed=elsewhere).location == server.url("/new")


def test_what_a_server_said_of_another_address_is_not_taken_for_this_one(
    server: FeedServer, tmp_path: Path
) -> None:
    # A `--state` file given another address kept the first address's 410 Gone (the new one
    # was never polled), its Retry-After and its validators; the ids sent are kept.
    fresh = server.routes["/fresh"] = Route()
    gone, single = server.url("/gone"), tmp_path / "one.json"
    first = FeedState(single, listed=gone)
    first.gone_at, first.retry_at, first.etag = 1e9, 4e9, '"old"'
    first.add(["kept"])
    first.save()
    assert FeedState(single, listed=gone).gone_at == 1e9
    elsewhere = server.url("/fresh")
    state = FeedState(single, listed=elsewhere)
    assert (state.gone_at, state.retry_at, state.etag) == (None, None, None)
    assert "kept" in state
    assert poll_feed(elsewhere, FakeSender(), state) == 2
    assert len(fresh.requests) == 1
    state.save()
    assert orjson.loads(single.read_bytes())["listed"] == elsewhere


def test_a_temporary_redirect_is_followed_not_remembered(
    server: FeedServer, tmp_path: Path
) -> None:
    server.routes["/new"] = Route()
    server.routes["/moved"] = Route(status=308, headers={"Location": "/for-now"})
    server.routes["/for-now"] = Route(status=307, headers={"Location": "/new"})
    server.routes["/found"] = Route(status=302, headers={"Location": "/new"})
    for path in ("/moved", "/found"):
        state = FeedState(tmp_path / f"{path[1:]}.json")
        assert poll_feed(server.url(path), FakeSender(), state) == 2
        assert state.location is None, path  # a hop that is not for good: asked again


def test_a_redirect_to_another_scheme_is_refused(server: FeedServer) -> None:
    # urllib follows a redirect to ftp:// (and refuses file:, data:...).
    server.routes["/rss"] = Route(status=301, headers={"Location": "ftp://127.0.0.1:9/feed.xml"})
    with pytest.raises(FetchFailed, match=r"redirect to ftp://127\.0\.0\.1:9/feed\.xml refused"):
        fetch(server.url("/rss"))


def test_a_body_cut_short_is_a_failure_and_saves_nothing(
    server: FeedServer, tmp_path: Path
) -> None:
    route = server.routes["/rss"] = Route(missing_bytes=500)
    url = server.url("/rss")
    state = tmp_path / "feed.json"
    sender = FakeSender()
    with pytest.raises(FetchFailed, match="cut off"):
        poll_feed(url, sender, FeedState(state))
    assert not sender.sent
    assert not state.exists()
    route.missing_bytes = 0
    assert poll_feed(url, sender, FeedState(state)) == 2
    assert "if-none-match" not in route.requests[1]


def test_gzip_members_are_all_read_and_a_cut_stream_refused(server: FeedServer) -> None:
    route = server.routes["/rss"] = Route(etag=None)
    route.encoded = gzip.compress(RSS[:400]) + gzip.compress(RSS[400:])  # two members
    assert fetch(server.url("/rss")).data == RSS
    route.encoded = gzip.compress(RSS)[:-20]  # Content-Length agrees: only gzip can tell
    with pytest.raises(FetchFailed, match="cut short"):
        fetch(server.url("/rss"))


def test_x_gzip_and_deflate_bodies_are_decoded(server: FeedServer) -> None:
    # `x-gzip` (gzip's old name, RFC 9110 8.4.1.3) and `deflate` (zlib, or the raw deflate
    # some servers send) were read as they came: "not a feed", the compressed bytes sent on
    # to be dead-lettered.
    route = server.routes["/rss"] = Route(etag=None)
    url = server.url("/rss")
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    codings = {
        "x-gzip": gzip.compress(RSS),
        "X-GZIP": gzip.compress(RSS),
        "deflate": zlib.compress(RSS),
        "Deflate": raw.compress(RSS) + raw.flush(),
        "identity": RSS,
    }
    for coding, encoded in codings.items():
        route.content_encoding, route.encoded = coding, encoded
        assert poll_feed(url, FakeSender(), FeedState()) == 2, coding
    route.content_encoding = "deflate"
    route.encoded = zlib.compress(b"<rss>" + b" " * 5_000_000)
    with pytest.raises(Rejected) as caught:
        fetch(url, limit=1_000_000)
    assert caught.value.reason == RejectReason.TOO_LARGE
    route.encoded = zlib.compress(RSS)[:-20]
    with pytest.raises(FetchFailed, match="deflate stream cut short"):
        fetch(url)
    # A coding the poller cannot read fails the poll: the bytes are no broken document.
    route.content_encoding, route.encoded = "br", b"\x1b\x00\x00"
    sender = FakeSender()
    with pytest.raises(FetchFailed, match="unsupported Content-Encoding: br"):
        poll_feed(url, sender, FeedState())
    assert not sender.sent


def test_retry_after_is_read_and_bounded(server: FeedServer) -> None:
    cases = {
        "120": 120.0,
        "99999999999": MAX_RETRY_AFTER_SECONDS,
        "Fri, 31 Dec 9999 23:59:59 GMT": MAX_RETRY_AFTER_SECONDS,
        "Wed, 21 Oct 2015 07:28:00 GMT": 0.0,  # in the past: now
        "\u00b2": None,  # a superscript two passes str.isdigit()
        "soon": None,
    }
    for header, expected in cases.items():
        server.routes["/busy"] = Route(status=503, headers={"Retry-After": header})
        with pytest.raises(FetchFailed) as caught:
            fetch(server.url("/busy"))
        assert caught.value.retry_after == expected, header


def test_a_servers_retry_after_outlives_a_restart(server: FeedServer, tmp_path: Path) -> None:
    # A 429 asking for an hour: a restarted poller (a deploy, a crash loop, the next run of
    # `--once` from cron) polled the feed again at once, the wait kept in memory alone.
    route = server.routes["/busy"] = Route(status=429, headers={"Retry-After": "3600"})
    url = server.url("/busy")
    path = tmp_path / "state.json"

    def restarted(**clocks: Callable[[], float]) -> Poller:
        return Poller(
            {url: FeedState(path)}, PollSchedule([url], 300.0), FakeSender(), pool, **clocks
        )

    with ThreadPoolExecutor(1) as pool:
        [first] = restarted().drain()
        assert (first.status, len(route.requests)) == ("failed", 1)
        assert restarted().drain() == []  # still within the hour: left alone
        assert len(route.requests) == 1
        route.status = 200
        # An hour later (on the wall clock: the monotonic one restarts with the machine).
        [later] = restarted(wall=lambda: time.time() + 3601).drain()
        assert (later.status, later.sent, len(route.requests)) == ("downloaded", 2, 2)
    assert orjson.loads(path.read_bytes())["retry_at"] is None


def test_a_feed_that_is_gone_is_no_longer_polled(server: FeedServer, tmp_path: Path) -> None:
    # `410 Gone` was retried for ever, at the longest backoff, as any failure. A feed that
    # says it is gone is reported and left alone, by a restarted poller too, until its mark
    # is cleared (`wirefeed feed --retry-gone`); a 404 keeps being retried, backing off.
    gone = server.routes["/gone"] = Route(status=410)
    lost = server.routes["/lost"] = Route(status=404)
    feeds = [server.url("/gone"), server.url("/lost")]
    paths = [tmp_path / "gone.json", tmp_path / "lost.json"]

    def read() -> dict[str, FeedState]:
        return {feed: FeedState(path) for feed, path in zip(feeds, paths, strict=True)}

    states = read()
    schedule = PollSchedule(feeds, every=300.0, max_backoff=3600.0)
    sender = FakeSender()
    with ThreadPoolExecutor(2) as pool:
        first = poll_round(states, schedule, sender, 0.0, pool)
        assert [(o.status, o.gone, o.next_at) for o in first] == [
            ("failed", True, math.inf),
            ("failed", False, 300.0),
        ]
        assert first[0].error == "HTTP 410 Gone"
        for _ in range(6):
            poll_round(states, schedule, sender, schedule.next_at(), pool)
        assert (len(gone.requests), len(lost.requests)) == (1, 7)
        assert schedule.failures(feeds[1]) == 7
        assert isinstance(orjson.loads(paths[0].read_bytes())["gone_at"], float)
        assert not paths[1].exists()  # a failure saves nothing
        # A restarted poller leaves it alone too (a `--once` run from cron as well).
        restarted = Poller(read(), PollSchedule(feeds, 300.0), sender, pool)
        assert [o.location for o in restarted.drain()] == [feeds[1]]
        assert len(gone.requests) == 1
        # Its mark cleared, it is polled again.
        states = read()
        states[feeds[0]].gone_at = None
        gone.status = 200
        again = Poller(states, PollSchedule(feeds, 300.0), sender, pool).drain()
        assert {(o.location, o.status, o.sent) for o in again} == {
            (feeds[0], "downloaded", 2),
            (feeds[1], "failed", None),
        }
    assert len(sender.sent) == 2


def test_a_long_dead_feed_backs_off_without_overflow() -> None:
    schedule = PollSchedule(["a"], every=300.0, max_backoff=3600.0)
    at = 0.0
    for _ in range(2000):
        at = schedule.failed("a", at)
    assert schedule.failures("a") == 2000
    assert schedule.failed("a", 0.0) == 3600.0


def test_a_slow_server_holds_up_no_other_feed(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/slow"] = Route(delay=3.0)
    server.routes["/fast"] = Route(body=RSS.replace(b"gazette-", b"fast-"))
    feeds = [server.url("/slow"), server.url("/fast")]
    states = {feed: FeedState(tmp_path / f"state-{n}.json") for n, feed in enumerate(feeds)}
    schedule = PollSchedule(feeds, every=300.0)
    sender = FakeSender()
    with ThreadPoolExecutor(2) as pool:
        poller = Poller(states, schedule, sender, pool)
        started = time.monotonic()
        first = poller.step(timeout=2.0)
        assert [(o.location, o.sent) for o in first] == [(feeds[1], 2)]
        assert time.monotonic() - started < 2.5
        assert len(sender.sent) == 2  # the fast feed's entries went before the slow one ended
        assert poller.busy
        assert schedule.due(time.monotonic()) == []  # the slow feed is not started twice
        rest = poller.step(timeout=10.0)
    assert [(o.location, o.sent) for o in rest] == [(feeds[0], 2)]
    assert not poller.busy


def test_a_server_trickling_its_body_fails_at_the_download_deadline(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One byte every 20 ms, well within the socket timeout: each read waited for a whole
    # 256 KiB chunk (the body here, 20 s) before the deadline was looked at.
    server.routes["/rss"] = Route(trickle=0.02)
    monkeypatch.setattr(feeds_module, "_DOWNLOAD_SECONDS", 0.5)
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="download took over"):
        fetch(server.url("/rss"))
    assert time.monotonic() - started < 3


def test_a_name_lookup_that_hangs_fails_at_the_download_deadline(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # urllib resolves the host (getaddrinfo) before any socket exists, so neither the socket
    # timeout nor the download deadline covered it: a resolver that hung held a download
    # thread as long as it hung.
    real = socket.getaddrinfo
    release = threading.Event()
    hang = True

    def resolve(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "feeds.example":
            if hang:
                release.wait(10)
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    server.routes["/rss"] = Route()
    where = f"feeds.example:{server.http.server_address[1]}"
    url = f"http://{where}/rss"
    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(feeds_module, "_DOWNLOAD_SECONDS", 0.5)
    started = time.monotonic()
    try:
        with pytest.raises(FetchFailed, match=r"name lookup of feeds\.example"):
            fetch(url)
        assert time.monotonic() - started < 3
    finally:
        release.set()
    assert not server.routes["/rss"].requests
    # A lookup in time: the feed is read from the address found.
    hang = False
    assert fetch(url).data == RSS
    assert server.routes["/rss"].requests[0]["host"] == where


def test_a_server_trickling_its_headers_fails_at_the_download_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The deadline was looked at only between reads of the body: a server sending its status
    # line and headers a byte at a time (each within the socket timeout) held the download
    # thread as long as it liked, and a header block it cut short was read as an empty
    # document.
    listener = socket.create_server(("127.0.0.1", 0))

    def trickle() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            try:
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 40:
                    connection.sendall(bytes([byte]))
                    time.sleep(0.1)
            except OSError:  # the client gave up
                pass

    threading.Thread(target=trickle, daemon=True).start()
    monkeypatch.setattr(feeds_module, "_DOWNLOAD_SECONDS", 0.5)
    started = time.monotonic()
    with listener, pytest.raises(FetchFailed, match="download took over"):
        fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/rss")
    assert time.monotonic() - started < 2


def test_a_document_naming_a_local_file_is_not_read_from_disk(
    server: FeedServer, tmp_path: Path
) -> None:
    # feedparser.parse(bytes) opens bytes that name a file: a server answering with a path
    # had the poller read it (`/dev/zero`: until memory ran out) and publish a feed found there.
    local = tmp_path / "desk-only.xml"
    local.write_bytes(RSS)
    body = str(local).encode()
    server.routes["/rss"] = Route(body=body, content_type="text/plain", etag=None)
    url = server.url("/rss")
    sender = FakeSender()
    with pytest.raises(Rejected) as caught:
        poll_feed(url, sender, FeedState())
    assert caught.value.reason == RejectReason.BAD_FORMAT
    assert [payload for payload, _, _ in sender.letters] == [body]  # the answer itself
    assert sender.sent == []


RELATIVE = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette</title>
<item><title>Bridge reopens</title><link>/news/bridge</link>
<description>&lt;p&gt;See the &lt;a href="/maps/bridge"&gt;map&lt;/a&gt;.&lt;/p&gt;
</description></item>
<item><title>Library</title><link>/news/library</link><guid isPermaLink="false">lib-7</guid>
<description>Opens.</description></item></channel></rss>"""


def test_relative_links_are_read_against_the_feeds_address(server: FeedServer) -> None:
    # A link with no host was sent as it was: the guid-less entry's identity (`uri`) was
    # `/news/bridge`, any site's story of that path, and its link led nowhere.
    server.routes["/feeds/all.xml"] = Route(body=RELATIVE)
    url = server.url("/feeds/all.xml")
    sender = FakeSender()
    assert poll_feed(url, sender, FeedState()) == 2
    bridge, library = sorted(
        (record for record in sender.records if isinstance(record, dict)),
        key=lambda record: record["title"],
    )
    assert bridge["link"] == bridge["uri"] == server.url("/news/bridge")
    assert bridge["id"].startswith(server.url("/news/bridge#"))
    assert library["link"] == server.url("/news/library")
    # A guid that is no link stays as it is (and so the id of an entry with no relative
    # link in its body); the body's links are read as Atom's xml:base had them read.
    assert library["uri"] == "lib-7"
    assert library["id"] == feed_records(RELATIVE)[1]["id"]
    assert f'href="{server.url("/maps/bridge")}"' in bridge["body_html"]


def test_a_feed_with_an_impossible_date_is_read() -> None:
    broken = RSS.replace(b"<item>", b"<item><pubDate>Sat, 31 Feb 2024 09:30:00 CEST</pubDate>", 1)
    records = feed_records(broken)
    assert len(records) == 2


def test_a_malformed_location_fails_that_feed_only(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/rss"] = Route()
    feeds = ["http://127.0.0.1:80a/rss", server.url("/rss")]
    states = {feed: FeedState(tmp_path / f"state-{n}.json") for n, feed in enumerate(feeds)}
    with ThreadPoolExecutor(2) as pool:
        outcomes = poll_round(states, PollSchedule(feeds, 300.0), FakeSender(), 0.0, pool)
    assert [(o.status, o.sent) for o in outcomes] == [("failed", None), ("downloaded", 2)]


def _feed_command(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", "feed", *args],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.kafka
def test_the_feed_command_polls_several_feeds_through_the_broker(
    service_settings: Settings, server: FeedServer, tmp_path: Path
) -> None:
    server.routes["/rss"] = Route()
    listed = tmp_path / "feeds.txt"
    missing = tmp_path / "missing.xml"
    listed.write_text(f"# the desk's feeds\n{server.url('/rss')}\n\n{missing}  # gone\n")
    state = str(tmp_path / "state")
    first = _feed_command(service_settings, "--list", str(listed), "--once", "--state-dir", state)
    assert first.returncode == 1, first.stderr  # one feed failed
    assert f"{server.url('/rss')}: sent 2 new entries" in first.stdout
    assert f"{missing}: failed:" in first.stderr
    on_raw = read_topics(service_settings, [service_settings.topics.raw], 2, timeout=30)
    assert sorted(record["link"] for _, record in on_raw) == [
        "https://gazette.example/2024/04/cycle-lanes",
        "https://gazette.example/2024/04/library",
    ]
    second = _feed_command(service_settings, server.url("/rss"), "--once", "--state-dir", state)
    assert second.returncode == 0, second.stderr
    assert f"{server.url('/rss')}: not modified" in second.stdout
    assert len(read_topics(service_settings, [service_settings.topics.raw], 3, timeout=5)) == 2
    # A server's Retry-After holds the next `--once` run too (as from cron): reported, unpolled.
    busy = server.routes["/busy"] = Route(status=429, headers={"Retry-After": "3600"})
    third = _feed_command(service_settings, server.url("/busy"), "--once", "--state-dir", state)
    assert third.returncode == 1, third.stderr
    assert "HTTP 429" in third.stderr
    fourth = _feed_command(service_settings, server.url("/busy"), "--once", "--state-dir", state)
    assert fourth.returncode == 0, fourth.stderr
    assert f"{server.url('/busy')}: not polled before" in fourth.stdout
    assert len(busy.requests) == 1
    # A feed that is gone (410) is reported at every `--once` run, which exits 1, and asked
    # no more until `--retry-gone`.
    gone = server.routes["/gone"] = Route(status=410)
    for _ in range(2):
        run = _feed_command(service_settings, server.url("/gone"), "--once", "--state-dir", state)
        assert run.returncode == 1, run.stderr
        assert f"{server.url('/gone')}: gone (HTTP 410 Gone" in run.stderr
        assert "no longer polled" in run.stderr
    assert len(gone.requests) == 1
    gone.status = 200
    back = _feed_command(
        service_settings, server.url("/gone"), "--once", "--retry-gone", "--state-dir", state
    )
    assert back.returncode == 0, back.stderr
    assert f"{server.url('/gone')}: sent 2 new entries" in back.stdout
    gone.status = 410
    # A feed that moved for good is fetched where it moved, until `--forget-redirects`.
    moved = server.routes["/moved"] = Route(status=301, headers={"Location": "/rss"})
    run = _feed_command(service_settings, server.url("/moved"), "--once", "--state-dir", state)
    assert f"{server.url('/moved')}: moved permanently to {server.url('/rss')}" in run.stdout
    moved.status, moved.headers = 200, {}
    back = _feed_command(
        service_settings, server.url("/moved"), "--once", "--forget-redirects", "--state-dir", state
    )
    assert back.returncode == 0, back.stderr
    forgotten = f"permanent redirect to {server.url('/rss')} forgotten"
    assert f"{server.url('/moved')}: {forgotten}" in back.stdout
    assert f"{server.url('/moved')}: not modified" in back.stdout
    assert len(moved.requests) == 2

    # Running (not --once), the poller serves its metrics for Prometheus.
    port = free_port()
    poller = subprocess.Popen(
        [
            *(sys.executable, "-m", "service", "feed", "--list", str(listed)),
            *("--state-dir", state, "--every", "3600", "--metrics-port", str(port)),
            server.url("/gone"),
        ],
        env=settings_env(service_settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wanted = {
            ("wirefeed_feed_polls_total", server.url("/rss"), "not_modified"): 1.0,
            ("wirefeed_feed_polls_total", str(missing), "failed"): 1.0,
            ("wirefeed_feed_consecutive_failures", str(missing), ""): 1.0,
            ("wirefeed_feed_gone", server.url("/gone"), ""): 1.0,
            ("wirefeed_feed_gone", str(missing), ""): 0.0,
        }
        found: dict[tuple[str, str, str], float] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(found.get(k) != v for k, v in wanted.items()):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    text = r.read().decode()
            except OSError:
                time.sleep(0.5)
                continue
            found = {
                (sample.name, sample.labels["feed"], sample.labels.get("status", "")): sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples
                if "feed" in sample.labels
            }
            time.sleep(0.5)
        assert {k: found.get(k) for k in wanted} == wanted
        success = found[("wirefeed_feed_last_success_timestamp_seconds", server.url("/rss"), "")]
        assert success > time.time() - 120
        # Review: the poller set no broker gauge; it asks the broker every 10 s now.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            broker = {
                sample.name: sample.value
                for family in text_string_to_metric_families(r.read().decode())
                for sample in family.samples
                if sample.name.startswith("wirefeed_broker_")
            }
        assert broker["wirefeed_broker_unreachable"] == 0
        assert broker["wirefeed_broker_last_contact_timestamp_seconds"] > time.time() - 120
    finally:
        poller.terminate()
        poller.wait(timeout=30)


def test_the_charset_of_the_content_type_is_read(server: FeedServer, tmp_path: Path) -> None:
    # No encoding in the XML declaration: the HTTP charset says what the bytes are (RFC
    # 7303). Without it feedparser took windows-1251 Cyrillic for windows-1252 mojibake.
    document = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>ТАСС</title>'
        "<item><guid>t1</guid><title>Президент подписал закон</title>"
        "<description>Президент России подписал закон о бюджете.</description></item>"
        "</channel></rss>"
    ).encode("windows-1251")
    server.routes["/rss"] = Route(
        body=document, content_type="application/rss+xml; charset=windows-1251"
    )
    sender = FakeSender()
    assert poll_feed(server.url("/rss"), sender, FeedState(tmp_path / "seen.json")) == 1
    [record] = sender.records
    assert isinstance(record, dict)
    assert record["source"] == "ТАСС"
    assert record["title"] == "Президент подписал закон"
    assert record["body_html"] == "Президент России подписал закон о бюджете."
    # A UTF-8 feed served as text/xml without a charset (common) is still read as UTF-8.
    server.routes["/utf8"] = Route(
        body=document.decode("windows-1251").encode(), content_type="text/xml"
    )
    assert poll_feed(server.url("/utf8"), sender, FeedState(tmp_path / "utf8.json")) == 1
    assert isinstance(sender.records[1], dict)
    assert sender.records[1]["title"] == "Президент подписал закон"
