"""RawProducer against the real broker: a record the broker refuses surfaces at flush."""

from __future__ import annotations

import threading
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer
from kafka.errors import KafkaTimeoutError

from service.producers.dlq import DeadLetter
from service.producers.kafka import RawProducer, SendFailed
from service.settings import Settings
from tests.conftest import read_topics

pytestmark = pytest.mark.kafka

BIG = {"id": "big", "text": "x" * 10_000}  # over the strict topic's 2000 bytes
SMALL = {"id": "small", "text": "Fits."}


def _ids_on_raw(settings: Settings) -> list[str]:
    found = read_topics(settings, [settings.topics.raw], 1, timeout=20, settle=1.0)
    return [record["id"] for _, record in found]


def test_a_record_the_broker_refuses_fails_the_flush(strict_settings: Settings) -> None:
    with RawProducer(strict_settings) as producer:
        producer.send(BIG)
        with pytest.raises(SendFailed, match="MessageSizeTooLarge") as caught:
            producer.flush()
        assert (caught.value.failed, caught.value.total) == (1, 1)
        # Reported once: the next batch is judged on its own records.
        producer.send(SMALL)
        producer.flush()
    assert _ids_on_raw(strict_settings) == ["small"]


def test_a_refused_record_never_flushed_fails_on_close(strict_settings: Settings) -> None:
    # `wirefeed replay` sends without flushing: the closing flush must not hide a refusal.
    with pytest.raises(SendFailed), RawProducer(strict_settings) as producer:
        producer.send(BIG)


def test_each_thread_learns_of_its_own_records(strict_settings: Settings) -> None:
    outcome: list[BaseException | None] = []

    def other_request(producer: RawProducer) -> None:
        try:
            producer.send(SMALL)
            producer.flush()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    with RawProducer(strict_settings) as producer:
        producer.send(BIG)
        thread = threading.Thread(target=other_request, args=(producer,))
        thread.start()
        thread.join(60)
        assert outcome == [None]  # its record went through; the refusal is not its own
        with pytest.raises(SendFailed):
            producer.flush()


def test_a_record_too_large_for_the_raw_topic_becomes_a_dead_letter(
    service_settings: Settings,
) -> None:
    """Over the raw topic's limit a record cannot go there (no worker would see it): the
    producer puts it on the dead-letter topic, cut, with its reason; the rest flows."""
    settings = service_settings
    huge = {"id": "huge", "text": "x" * (settings.max_record_bytes + 1000)}
    with RawProducer(settings) as producer:
        producer.send(huge, feed="desk")
        producer.send(SMALL, feed="desk")
        producer.flush()
        assert producer.dead_lettered == 1
    assert _ids_on_raw(settings) == ["small"]
    consumer = KafkaConsumer(
        settings.topics.dlq,
        bootstrap_servers=settings.bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=20_000,
        fetch_max_bytes=settings.max_dead_letter_bytes,
        max_partition_fetch_bytes=settings.max_dead_letter_bytes,
    )
    try:
        message = next(iter(consumer))
    finally:
        consumer.close()
    letter = DeadLetter.parse(message.partition, message.offset, message.key, message.value)
    assert (letter.reason, letter.truncated, letter.key) == ("too_large", True, b"desk")
    assert letter.size == len(orjson.dumps(huge))
    assert letter.payload == orjson.dumps(huge)[: settings.dlq_payload_limit]
    assert letter.origin == {"topic": settings.topics.raw, "producer": "desk"}


def test_a_send_that_raises_leaves_nothing_for_the_next_flush(
    strict_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit of work (a request, a file) whose send raised has failed: what it sent before
    must not be reported against the next unit's flush."""
    with RawProducer(strict_settings) as producer:
        producer.send(BIG)  # refused by the broker, known only at a flush
        real_send = producer._producer.send

        def no_metadata(*args: Any, **kwargs: Any) -> Any:
            raise KafkaTimeoutError("Failed to update metadata after 60.0 secs.")

        monkeypatch.setattr(producer._producer, "send", no_metadata)
        with pytest.raises(KafkaTimeoutError):
            producer.send(SMALL)
        monkeypatch.setattr(producer._producer, "send", real_send)
        producer.send(SMALL)
        producer.flush()
    assert _ids_on_raw(strict_settings) == ["small"]
