"""RawProducer against the real broker: a record the broker refuses surfaces at flush."""

from __future__ import annotations

import threading

import pytest

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
