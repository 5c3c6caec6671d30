"""kafka-python plumbing for producers: topic creation and the raw-article producer."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from kafka import KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.producer.future import FutureRecordMetadata

from service.contact import CONTACT_EVERY_SECONDS, BrokerContact
from service.models import Rejected, RejectReason
from service.pipeline.intake import partition_key
from service.records import dead_letter, raw_bytes
from service.settings import ARRIVAL_STAMPED, Settings

log = logging.getLogger(__name__)


def ensure_topics(settings: Settings) -> list[str]:
    """Create the service's topics, and its tables' compacted changelogs, that do not exist
    yet; returns the names created. Workers need the changelogs in their first metadata."""
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    # Each topic takes the largest record a producer may send (the broker's default is ~1 MB).
    limit = {"max.message.bytes": str(settings.max_record_bytes)}
    compacted = {"cleanup.policy": "compact", **limit}
    topics = settings.topics
    letters = {"max.message.bytes": str(settings.max_dead_letter_bytes)}
    inputs = topics.inputs()

    def config(name: str) -> dict[str, str]:
        if name == topics.dlq:
            return letters
        return {**limit, **ARRIVAL_STAMPED} if name in inputs else limit

    try:
        existing = set(admin.list_topics())
        _stamp_arrival(admin, sorted(inputs & existing))
        wanted = [
            NewTopic(name, partitions, 1, topic_configs=config(name))
            for name, partitions in settings.topics.all_topics().items()
            if name not in existing
        ] + [
            NewTopic(name, partitions, 1, topic_configs=compacted)
            for name, partitions in settings.changelog_topics().items()
            if name not in existing
        ]
        if wanted:
            # Another process may create them first: the outcome we want all the same.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(wanted)
        return [topic.name for topic in wanted]
    finally:
        admin.close()


class BrokerProbe:
    """Asks the broker for its cluster metadata every `every` seconds, from a daemon thread
    of its own, and tells `contact` whether it answered, as the worker does. The watcher and
    the feed poller send only when they have something: they set no broker gauge, and an
    idle one never found the broker gone. `connect` makes the admin client (kafka-python's
    `KafkaAdminClient`, once: it reconnects by itself after an outage); a broker away as it
    is made is a miss too. Used as a context manager: started on entry, stopped on exit."""

    def __init__(
        self,
        contact: BrokerContact,
        connect: Callable[[], Any],
        *,
        every: float = CONTACT_EVERY_SECONDS,
    ) -> None:
        self._contact = contact
        self._connect = connect
        self._every = every
        self._admin: Any = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="broker-probe", daemon=True)

    @classmethod
    def of(cls, settings: Settings, contact: BrokerContact) -> BrokerProbe:
        """A probe of the settings' broker, waiting for it as long as the worker's does."""
        wait_ms = int(CONTACT_EVERY_SECONDS * 1000)

        def connect() -> KafkaAdminClient:
            return KafkaAdminClient(
                bootstrap_servers=settings.bootstrap_servers,
                client_id="wirefeed-probe",
                request_timeout_ms=wait_ms,
                bootstrap_timeout_ms=wait_ms,
            )

        return cls(contact, connect)

    def probe(self) -> None:
        """Ask once; the contact learns the outcome."""
        try:
            if self._admin is None:
                self._admin = self._connect()
            self._admin.describe_cluster()
        except Exception as exc:  # kafka-python's KafkaError, or a socket's OSError
            self._contact.missed(exc)
        else:
            self._contact.reached()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.probe()
            self._stop.wait(self._every)

    def __enter__(self) -> BrokerProbe:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(CONTACT_EVERY_SECONDS)
        if self._admin is not None:
            with contextlib.suppress(Exception):
                self._admin.close()


def _stamp_arrival(admin: KafkaAdminClient, names: list[str]) -> None:
    """Have the broker stamp existing input topics' records with their arrival (topics made
    before the service asked for it), changing no other setting of theirs."""
    if not names:
        return
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, name, dict(ARRIVAL_STAMPED)) for name in names
    ]
    admin.alter_configs(resources, incremental=True)


def record_key(record: dict[str, Any] | bytes, feed: str | None = None) -> bytes | None:
    """The partition key (`intake.partition_key`), as bytes."""
    key = partition_key(record, feed)
    return None if key is None else key.encode()


def _unwritable(record: dict[str, Any]) -> bytes:
    """What a dead letter keeps of a record orjson cannot write: the record as Python writes
    it (there is no JSON of it), else, nested too deep for that too, its top-level fields with
    their lists and objects left out."""
    try:
        return repr(record).encode("utf-8", "backslashreplace")
    except RecursionError:
        shallow = {k: "..." if isinstance(v, dict | list) else v for k, v in record.items()}
        return repr(shallow).encode("utf-8", "backslashreplace")


class SendFailed(RuntimeError):
    """The broker did not take every record sent since the last flush (it refused some, or
    they timed out). Nothing of that batch may be acknowledged as delivered."""

    def __init__(self, failed: int, total: int, first: BaseException) -> None:
        super().__init__(
            f"the broker did not take {failed} of {total} records: {type(first).__name__}: {first}"
        )
        self.failed = failed
        self.total = total
        self.first = first


def broker_unavailable(exc: BaseException) -> bool:
    """Whether a send failed for want of a broker (worth waiting for: kafka-python marks such
    errors retriable), rather than because the broker refused these records (too large...)."""
    cause = exc.first if isinstance(exc, SendFailed) else exc
    return bool(getattr(cause, "retriable", False))


# What a record batch adds to a record's key and value (the v2 batch header is 61 bytes, the
# record's own header at most ~25): a record within `max_record_bytes` less this always fits.
RECORD_OVERHEAD_BYTES = 128


def fits(value: bytes, key: bytes | None, max_record_bytes: int) -> bool:
    """Whether a record goes onto a topic whose records may be `max_record_bytes` long."""
    return len(value) + len(key or b"") + RECORD_OVERHEAD_BYTES <= max_record_bytes


# Waiting for one record's outcome after flush (it is normally already known by then).
_RESULT_TIMEOUT_SECONDS = 60.0
# Every this many unflushed records, those already delivered are let go.
_PRUNE_AT = 10_000


@dataclasses.dataclass(slots=True)
class _Batch:
    """What one thread sent since its last flush: how many, and the outcomes not yet known
    to be successes."""

    sent: int = 0
    futures: list[FutureRecordMetadata] = dataclasses.field(default_factory=list)


class RawProducer:
    """Sends article records (dicts as JSON, or bytes as they are) to the raw topic.

    `flush()` returns only once the broker has every record this thread sent since its last
    flush, and raises SendFailed when it refused or lost any of them: kafka-python's own
    flush also returns for records that failed. Records are tracked per thread, so callers
    sharing one producer from several threads (the HTTP endpoint) each learn of their own.

    A record too large for the raw topic cannot go there, and no worker would see it: it
    goes to the dead-letter topic instead, as a letter with reason `too_large` keeping its
    first `dlq_payload_limit` bytes (`truncated`), and counts as delivered once the broker
    has the letter. So does a record orjson cannot write (`records.raw_bytes`; the readers
    refuse such records, this is the last resort), as `bad_format`, keeping its Python repr.
    `dead_letter()` puts any other input the caller rejected there too.
    A send that raises (no broker metadata in time) drops what the thread sent since its
    last flush from its batch: the caller learns of it from the exception, and the next
    flush is judged on its own records.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        topic: str | None = None,
        on_dead_letter: Callable[[str], None] | None = None,
        **options: Any,
    ) -> None:
        # Another input topic may be named (editors' commands go the same way).
        self.topic = topic or settings.topics.raw
        # Told each dead letter's reason (the process's metrics count them: no worker does).
        self._on_dead_letter = on_dead_letter
        self.dlq_topic = settings.topics.dlq
        self.max_record_bytes = settings.max_record_bytes
        self._letter_bytes = settings.dlq_payload_limit
        self._local = threading.local()
        # How many inputs went to the dead-letter topic (too large for the raw one, or
        # rejected by the caller).
        self.dead_lettered = 0
        config: dict[str, Any] = {
            "bootstrap_servers": settings.bootstrap_servers,
            "acks": "all",
            "linger_ms": 5,
            "compression_type": None,
            # Raw records are held to `max_record_bytes` here; a dead letter may be larger.
            "max_request_size": settings.max_dead_letter_bytes,
            # kafka-python's idempotent producer (its default) turns any record the broker
            # refuses (e.g. MessageSizeTooLarge) into a fatal state: every later record fails
            # too, and a long-running endpoint or watcher could send nothing more. Without it
            # a refusal fails only its own records; one request in flight keeps a feed's
            # order across retries, and a record retried twice is a redelivery the worker
            # recognises by its id.
            "enable_idempotence": False,
            "max_in_flight_requests_per_connection": 1,
        }
        self._producer = KafkaProducer(**(config | options))

    def send(self, record: dict[str, Any] | bytes, feed: str | None = None) -> None:
        key = record_key(record, feed)
        if isinstance(record, bytes):
            value = record
        else:
            try:
                value = raw_bytes(record)
            except Rejected as exc:
                # The readers refuse such a record; one that got past them is a dead letter
                # too, not an error that stops a replay or has the watcher retry its file for
                # ever.
                where = {"topic": self.topic, "producer": feed}
                self._send_letter(_unwritable(record), key, exc.reason.value, exc.detail, where)
                return
        if fits(value, key, self.max_record_bytes):
            self._track(lambda: self._producer.send(self.topic, key=key, value=value))
            return
        detail = (
            f"a record of {len(value)} bytes, over the {self.max_record_bytes} the raw topic "
            "takes (WIRE_MAX_ARTICLE_BYTES x 4); not sent to it"
        )
        where = {"topic": self.topic, "producer": feed}
        self._send_letter(value, key, RejectReason.TOO_LARGE.value, detail, where)

    def dead_letter(
        self, payload: bytes, reason: str, detail: str, origin: dict[str, Any] | None = None
    ) -> None:
        """Put an input this producer rejected itself on the dead-letter topic, with its
        reason (a RejectReason value), not on the raw topic: a worker would read the bytes
        again on its own terms and might take what was refused. `origin` says where it came
        from (its `topic` is where `wirefeed dlq replay` sends it back, the raw topic by
        default). Delivered, like a record, once `flush()` returns."""
        where = {"topic": self.topic, **(origin or {})}
        self._send_letter(payload, record_key(payload), reason, detail, where)

    def _send_letter(
        self, value: bytes, key: bytes | None, reason: str, detail: str, where: dict[str, Any]
    ) -> None:
        log.warning(
            "dead letter %s from %s: %s", reason, where.get("producer") or "a producer", detail
        )
        letter = dead_letter(value, reason, detail, where, self._letter_bytes)
        self._track(lambda: self._producer.send(self.dlq_topic, key=key, value=letter))
        self.dead_lettered += 1
        if self._on_dead_letter is not None:
            self._on_dead_letter(reason)

    def _track(self, send: Callable[[], FutureRecordMetadata]) -> None:
        """Send one record and add its outcome to this thread's batch."""
        try:
            future = send()
        except Exception:
            self._local.batch = _Batch()
            raise
        batch = self._batch()
        batch.sent += 1
        batch.futures.append(future)
        if batch.sent % _PRUNE_AT == 0:  # a long replay flushes only at the end
            batch.futures = [f for f in batch.futures if not f.succeeded()]

    def _batch(self) -> _Batch:
        batch: _Batch | None = getattr(self._local, "batch", None)
        if batch is None:
            batch = self._local.batch = _Batch()
        return batch

    def flush(self) -> None:
        """Wait until the broker has this thread's records; SendFailed if it refused any."""
        batch = self._batch()
        self._local.batch = _Batch()
        try:
            self._producer.flush()
        except KafkaError:
            # kafka-python's flush gives up on a batch it split after a MessageSizeTooLarge
            # ("Future not done") although its records are still on their way: each
            # record's own future, below, is what counts.
            log.debug("kafka-python's flush failed; waiting on each record", exc_info=True)
        deadline = time.monotonic() + _RESULT_TIMEOUT_SECONDS
        failures: list[BaseException] = []
        for future in batch.futures:
            try:
                future.get(timeout=max(0.0, deadline - time.monotonic()))
            except Exception as exc:  # the record's own error, or a timeout waiting for it
                failures.append(exc)
        if failures:
            raise SendFailed(len(failures), batch.sent, failures[0])

    def __enter__(self) -> RawProducer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                self.flush()  # records sent but never flushed (a replay) must not fail silently
            else:  # already failing: deliver what can be, without hiding the first error
                with contextlib.suppress(KafkaError):
                    self._producer.flush()
        finally:
            self._producer.close()
