"""HTTP push endpoint (aiohttp): POST /articles puts articles onto the raw topic; GET /health,
GET /metrics.

A request body is one of: a JSON object, a JSON array of objects, NDJSON, XML (NITF,
NewsML-G2 newsItem or newsMessage) or plain text (one article), chosen by Content-Type or,
when that says nothing useful, by the first character. ninjs objects are converted.

Text is decoded with the charset its Content-Type declares (UTF-8 when none, or the
UTF-16 or UTF-32 its NULs plainly show, `formats.sniff_codec`; XML's own
declaration when it has one and the Content-Type none), unless it starts with a byte order
mark (UTF-8, UTF-16 or UTF-32), which wins; utf-16 or utf-32 without a mark is read in the
byte order its text shows (`formats.reading_codec`). An unknown charset, or bytes not valid
in it, is malformed input.

All or nothing per request: 202 `{"accepted": n, "topic"}` once the broker has acknowledged
every record; 400 `{"error": reason, "detail", "dead_lettered"}` when any part is malformed
(or a parser fails on it: `internal_error`), and then nothing of it goes to the raw topic:
the body is a dead letter on wire.dlq with the endpoint's own reason, acknowledged before
the answer (`dead_lettered: true`). The worker never reads it: it would read the bytes on its
own terms, without the Content-Type, and publish a JSON article sent as XML that the client
was told was refused. 413 `too_large` when an article is larger than the raw topic takes
(likewise dead-lettered), or when the body is over `max_body_bytes` (below: not read,
nothing sent). 408 when the body is not in within `BODY_SECONDS`.
503 `unavailable` when the broker does not take (or refuses) any of the records, with
`Retry-After: 30` (UNAVAILABLE_RETRY_SECONDS): the request already waited
WIRE_PUSH_SEND_SECONDS for the broker, and a broker restart takes 20-30 s; one log line each,
not a traceback (an outage is an expected condition). While the last send found the broker
unreachable, `503 busy` asks for the same wait (its slots are held by requests waiting for
the broker, not by a burst), and GET /health says `broker_unreachable` (still 200: the process
is up, and a balancer that took it out of rotation would send it no request to find the
broker back by).
202 means "on wire.raw": the worker may still reject a record (e.g. `missing_text`).

Refused before the body is read (nothing read, sent or dead-lettered; JSON answers all):
401 without the token; 415 for a body declared as a picture, sound, video, font, model or
multipart upload; 413 `too_large` for a Content-Length over `max_body_bytes` (a body without
one is cut off there, with the same answer); 503 `busy` with Retry-After when
`max_in_flight` requests are already in progress: memory is bounded by the slots, and no
request queues behind others for a thread. Parsing and sending run on the endpoint's own
pool of `max_in_flight` threads: a large body or a slow broker does not hold up the loop.

A request sent with `Expect: 100-continue` (as curl sends large bodies) hears those
refusals before it sends its body, with `Connection: close` (the client keeps its body, so
the connection cannot carry another request); `100 Continue` only once it is admitted, its
slot taken from then on (a client that goes away without its body gives it back).
aiohttp's own expect handler said `100 Continue` to every request, so a client over the
limit uploaded its whole body to hear `503 busy` (the route's `expect_handler`, aiohttp's
counterpart of http.server's `handle_expect_100`).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from aiohttp import HttpVersion11, hdrs, web
from aiohttp.typedefs import Handler
from kafka.errors import KafkaError
from prometheus_client import CollectorRegistry, generate_latest

from service.contact import BrokerContact, utc
from service.metrics import PushMetrics
from service.models import Rejected, RejectReason
from service.producers.formats import content_charset, decode_text, parse_document
from service.producers.kafka import SendFailed, broker_unavailable, fits, record_key
from service.producers.replay import FlushingSender
from service.records import raw_bytes

log = logging.getLogger(__name__)


class PushSender(FlushingSender, Protocol):
    """Sends records to the raw topic, and inputs the endpoint rejected to the dead-letter
    topic (RawProducer; a fake in tests)."""

    def dead_letter(
        self, payload: bytes, reason: str, detail: str, origin: dict[str, Any] | None = None
    ) -> None: ...


class Slots:
    """Requests in progress, up to a limit; counted on the event loop alone (no lock)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the in-flight limit must be at least 1")
        self.limit = limit
        self.used = 0

    def take(self) -> bool:
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    def free(self) -> None:
        self.used -= 1


SENDER: web.AppKey[PushSender] = web.AppKey("sender", PushSender)
SLOTS: web.AppKey[Slots] = web.AppKey("slots", Slots)
CONTACT: web.AppKey[BrokerContact] = web.AppKey("contact", BrokerContact)
POOL: web.AppKey[ThreadPoolExecutor] = web.AppKey("pool", ThreadPoolExecutor)
MAX_BODY_BYTES: web.AppKey[int] = web.AppKey("max_body_bytes", int)
METRICS: web.AppKey[PushMetrics] = web.AppKey("metrics", PushMetrics)
OUTCOME: web.ResponseKey[str] = web.ResponseKey("outcome", str)
TOPIC: web.AppKey[str] = web.AppKey("topic", str)
FORWARD_REJECTS: web.AppKey[bool] = web.AppKey("forward_rejects", bool)
TOKEN: web.AppKey[str] = web.AppKey("token", str)
# Set on a request told `100 Continue` (its slot taken) until its handler takes the slot over.
ADMITTED: web.RequestKey[bool] = web.RequestKey("admitted", bool)
MAX_RECORD_BYTES: web.AppKey[int] = web.AppKey("max_record_bytes", int)
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
# Requests handled at once (WIRE_PUSH_MAX_IN_FLIGHT): each holds its body (up to
# max_body_bytes) and one of the endpoint's threads; further ones get a fast 503.
DEFAULT_MAX_IN_FLIGHT = 8
# What a 503 `busy` asks the client to wait: slots free as requests finish (in under a
# second normally, within WIRE_PUSH_SEND_SECONDS when the broker is slow).
BUSY_RETRY_SECONDS = 1
# What a 503 `unavailable` (and a `busy` while the broker is unreachable) asks the client to
# wait: a broker restart took 19-27 s to be ready; 1 s invited a loop of requests each holding
# a slot for WIRE_PUSH_SEND_SECONDS.
UNAVAILABLE_RETRY_SECONDS = 30
# Top-level media types that are never an article (415, the body unread).
NOT_ARTICLE_TYPES = frozenset({"image", "audio", "video", "font", "model", "multipart"})
# A client gets this long to send its body (a slow one would hold a connection and its
# buffer for ever).
BODY_SECONDS = 60.0


def read_body(
    data: bytes, content_type: str | None, max_record_bytes: int | None = None
) -> list[dict[str, Any]]:
    """The raw records of one request body, or Rejected with the reason (a parser's
    unexpected error too, as `internal_error`; an article over `max_record_bytes`, as it
    goes onto the raw topic, as `too_large`)."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    try:
        return _records(data, content_type, kind, max_record_bytes)
    except Rejected:
        raise
    except Exception as exc:  # a parser bug on this input: the client still gets a reason
        # The size check included: outside this guard, a record orjson could not write there
        # was answered 500, with no dead letter.
        log.exception("parsing a %s body failed", kind or "untyped")
        raise Rejected(
            RejectReason.INTERNAL_ERROR, f"parser failed: {type(exc).__name__}: {exc}"
        ) from exc


def _records(
    data: bytes, content_type: str | None, kind: str, max_record_bytes: int | None
) -> list[dict[str, Any]]:
    """`read_body`'s records, before its guard turns an unexpected error into a reason."""
    if kind == "text/plain" and data.strip():
        records = [{"text": decode_text(data, content_charset(content_type)), "format": "text"}]
    else:
        records = parse_document(data, content_type)
    if not records:
        raise Rejected(RejectReason.MISSING_TEXT, "no articles in the request")
    if max_record_bytes is not None:
        for n, record in enumerate(records):
            value = raw_bytes(record)
            if not fits(value, record_key(record), max_record_bytes):
                raise Rejected(
                    RejectReason.TOO_LARGE,
                    f"article {n} is {len(value)} bytes as a record; the raw topic takes "
                    f"{max_record_bytes}",
                )
    return records


def _send_all(sender: FlushingSender, records: list[dict[str, Any]]) -> None:
    for record in records:
        sender.send(record)
    sender.flush()


def _dead_letter(
    sender: PushSender, data: bytes, reason: str, detail: str, origin: dict[str, Any]
) -> None:
    sender.dead_letter(data, reason, detail, origin)
    sender.flush()


def _authorised(request: web.Request) -> bool:
    """Whether the request carries the endpoint's token (always, when it has none)."""
    token = request.app[TOKEN]
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def _refusal(request: web.Request) -> web.Response | None:
    """The answer to a request refused before its body is read (nothing of it is read, sent
    or dead-lettered: it is not input from a feed yet), or None."""
    if not _authorised(request):
        return _answer(
            "unauthorised",
            {"error": "unauthorised", "detail": "Authorization: Bearer <token> required"},
            401,
            headers={"WWW-Authenticate": 'Bearer realm="wirefeed"'},
        )
    kind = request.content_type.lower()
    if kind.split("/", 1)[0] in NOT_ARTICLE_TYPES:
        # Declared as a picture, a sound, a form upload...: sniffing could still find JSON
        # in it, but the client says it is something else.
        return _answer(
            "unsupported",
            {"error": "unsupported_media_type", "detail": f"{kind} is not an article format"},
            415,
        )
    length = request.content_length
    if length is not None and length > request.app[MAX_BODY_BYTES]:
        return _too_large(request)
    return None


def _too_large(request: web.Request) -> web.Response:
    limit = request.app[MAX_BODY_BYTES]
    return _answer(
        "too_large",
        {"error": "too_large", "detail": f"the body is over the {limit} bytes a request takes"},
        413,
    )


def _answer(
    outcome: str, body: dict[str, Any], status: int, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON answer, marked with its outcome for the metrics (PUSH_OUTCOMES)."""
    response = web.json_response(body, status=status, headers=headers)
    response[OUTCOME] = outcome
    return response


async def post_articles(request: web.Request) -> web.Response:
    started = time.monotonic()
    metrics = request.app.get(METRICS)
    response = await _answer_post(request, metrics)
    if metrics is not None:
        metrics.answered(response[OUTCOME], time.monotonic() - started)
    return response


def _admit(request: web.Request) -> web.Response | None:
    """Take a slot for the request; the `503 busy` answer when none is free."""
    slots = request.app[SLOTS]
    if not slots.take():
        # Every slot busy (a slow broker, a burst): a fast answer beats queueing the body in
        # memory behind requests that may each wait WIRE_PUSH_SEND_SECONDS.
        wait = UNAVAILABLE_RETRY_SECONDS if request.app[CONTACT].unreachable else BUSY_RETRY_SECONDS
        return _answer(
            "busy",
            {"error": "busy", "detail": f"{slots.limit} requests in progress; retry later"},
            503,
            headers={"Retry-After": str(wait)},
        )
    metrics = request.app.get(METRICS)
    if metrics is not None:
        metrics.in_flight.inc()
    return None


def _release(request: web.Request) -> None:
    request.app[SLOTS].free()
    metrics = request.app.get(METRICS)
    if metrics is not None:
        metrics.in_flight.dec()


async def _answer_post(request: web.Request, metrics: PushMetrics | None) -> web.Response:
    if request.get(ADMITTED):  # told `100 Continue`: checked, and its slot taken
        request[ADMITTED] = False  # the slot is this handler's to free now
    else:
        refusal = _refusal(request) or _admit(request)
        if refusal is not None:
            return refusal
    try:
        return await _take(request)
    finally:
        _release(request)


async def expect_continue(request: web.Request) -> web.Response | None:
    """The answer to `Expect: 100-continue` (aiohttp calls it before the handler, the body
    unread): the refusal the request would get (401, 415, 413, 503 busy), with `Connection:
    close`, as its final answer; else `100 Continue`, the request's slot taken until its
    handler ends (or, if it never runs, until the request does: a client gone before its
    body). aiohttp's default said `100 Continue` to any request. An HTTP/1.0 request's
    Expect is ignored (RFC 9110 10.1.1); another expectation is 417, as aiohttp answers."""
    if request.version != HttpVersion11:
        return None
    expect = request.headers.get(hdrs.EXPECT, "")
    if expect.lower() != "100-continue":
        raise web.HTTPExpectationFailed(text=f"Unknown Expect: {expect}")
    started = time.monotonic()
    refusal = _refusal(request) or _admit(request)
    if refusal is not None:
        # The client keeps its body: the connection cannot carry its next request.
        refusal.force_close()
        metrics = request.app.get(METRICS)
        if metrics is not None:
            metrics.answered(refusal[OUTCOME], time.monotonic() - started)
        return refusal
    request[ADMITTED] = True
    task = asyncio.current_task()
    if task is not None:

        def give_back(_: object) -> None:
            if request.get(ADMITTED):  # the handler never ran (the client went away)
                request[ADMITTED] = False
                _release(request)

        task.add_done_callback(give_back)
    await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    request.writer.output_size = 0  # the answer proper is still to come (as aiohttp does)
    return None


async def _take(request: web.Request) -> web.Response:
    """Read, parse and send one admitted request, on the endpoint's own threads (one per
    slot, so no request waits for a thread another holds)."""
    try:
        async with asyncio.timeout(BODY_SECONDS):
            data = await request.read()
    except TimeoutError:
        # Not input from a feed yet: nothing was read whole, so nothing is dead-lettered.
        return _answer(
            "timeout",
            {"error": "timeout", "detail": f"the body was not in within {BODY_SECONDS:.0f} s"},
            408,
        )
    except web.HTTPRequestEntityTooLarge:  # a body without a length, found over the limit
        return _too_large(request)
    sender = request.app[SENDER]
    loop = asyncio.get_running_loop()
    pool = request.app[POOL]
    content_type = request.headers.get("Content-Type")
    limit = request.app[MAX_RECORD_BYTES] or None
    try:
        records = await loop.run_in_executor(pool, read_body, data, content_type, limit)
    except Rejected as exc:
        lettered = False
        if data.strip() and request.app[FORWARD_REJECTS]:
            origin = {"producer": "push", "content_type": content_type}
            reason = exc.reason.value
            try:
                await loop.run_in_executor(
                    pool, _dead_letter, sender, data, reason, exc.detail, origin
                )
                lettered = True
            except Exception:  # the client's answer matters more than the dead letter
                log.exception("could not dead-letter a rejected request body")
        too_large = exc.reason is RejectReason.TOO_LARGE
        return _answer(
            "too_large" if too_large else "rejected",
            {"error": exc.reason.value, "detail": exc.detail, "dead_lettered": lettered},
            413 if too_large else 400,
        )
    contact = request.app[CONTACT]
    try:
        # kafka-python blocks (metadata, acks): keep it off the event loop.
        await loop.run_in_executor(pool, _send_all, sender, records)
    except Exception as exc:
        if not isinstance(exc, KafkaError | SendFailed):
            log.exception("sending %d records failed", len(records))  # not the broker's doing
        else:
            log.warning("sending %d records failed (503): %r", len(records), exc)
            if broker_unavailable(exc):
                contact.missed(exc)
        return _answer(
            "unavailable",
            {"error": "unavailable", "detail": f"broker did not take the records: {exc!r}"},
            503,
            headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)},
        )
    contact.reached()
    return _answer("accepted", {"accepted": len(records), "topic": request.app[TOPIC]}, 202)


async def health(request: web.Request) -> web.Response:
    """200 while the process serves; `broker_unreachable` (with since when) while the last
    send found the broker unreachable, `ok` otherwise (also before any send)."""
    since = request.app[CONTACT].unreachable_since
    if since is None:
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "broker_unreachable", "since": utc(since)})


def _metrics_page(registry: CollectorRegistry) -> Handler:
    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(registry), content_type="text/plain")

    return metrics


def make_app(
    sender: PushSender,
    topic: str,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    forward_rejects: bool = True,
    token: str | None = None,
    max_record_bytes: int = 0,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    metrics: PushMetrics | None = None,
    registry: CollectorRegistry | None = None,
    contact: BrokerContact | None = None,
) -> web.Application:
    """The endpoint's application; `sender` is a RawProducer, or a fake in tests. With a
    `token`, POST /articles needs `Authorization: Bearer <token>` (401 otherwise). With
    `max_record_bytes` (the raw topic's limit), a request holding a larger article is
    refused whole (413). At most `max_in_flight` requests are handled at once, each on a
    thread of the endpoint's own pool; more get 503 `busy` with Retry-After at once. With
    `metrics`, each POST's outcome and time are counted; with a `registry`, GET /metrics
    serves it (no token needed, as for /health). `contact` learns whether each send reached
    the broker (a fresh one by default)."""
    app = web.Application(client_max_size=max_body_bytes)
    app[SLOTS] = Slots(max_in_flight)
    app[CONTACT] = contact or BrokerContact()
    pool = ThreadPoolExecutor(max_in_flight, thread_name_prefix="push")
    app[POOL] = pool

    async def stop_pool(app: web.Application) -> None:
        # Requests were finished (or given up) by the server's own shutdown by now.
        pool.shutdown(wait=False, cancel_futures=True)

    app.on_cleanup.append(stop_pool)
    app[MAX_BODY_BYTES] = max_body_bytes
    app[MAX_RECORD_BYTES] = max_record_bytes
    app[SENDER] = sender
    app[TOPIC] = topic
    app[FORWARD_REJECTS] = forward_rejects
    app[TOKEN] = token or ""
    app.router.add_post("/articles", post_articles, expect_handler=expect_continue)
    app.router.add_get("/health", health)
    if metrics is not None:
        app[METRICS] = metrics
    if registry is not None:
        app.router.add_get("/metrics", _metrics_page(registry))
    return app
