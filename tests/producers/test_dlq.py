"""Dead letters read back: the input's bytes restored exactly, or marked as cut."""

from __future__ import annotations

import orjson
import pytest
from kafka import KafkaAdminClient, KafkaProducer, TopicPartition

from service.producers.dlq import DeadLetter, replay_dead_letters
from service.records import dead_letter, origin
from service.settings import Settings
from tests.conftest import read_topics

WHERE = origin("wire.raw", 2, 41)


def test_a_dead_letter_gives_back_the_input_bytes() -> None:
    payload = '{"id": "x", "text": "caf\\u00e9 ☕"}'.encode()
    letter = DeadLetter.parse(0, 7, b"feed-a", dead_letter(payload, "not_json", "why", WHERE, 1024))
    assert letter.payload == payload
    assert (letter.partition, letter.offset, letter.key) == (0, 7, b"feed-a")
    assert (letter.reason, letter.detail, letter.origin) == ("not_json", "why", WHERE)
    assert letter.size == len(payload)
    assert not letter.truncated


def test_bytes_that_are_not_utf8_come_back_through_base64() -> None:
    payload = b'{"id": "latin1", "text": "caf\xe9"}'
    letter = DeadLetter.parse(0, 0, None, dead_letter(payload, "not_utf8", "", WHERE, 1024))
    assert letter.payload == payload


def test_a_cut_payload_is_marked_so() -> None:
    payload = b"x" * 5000
    letter = DeadLetter.parse(0, 0, None, dead_letter(payload, "too_large", "", WHERE, 1000))
    assert letter.truncated
    assert letter.size == 5000
    assert letter.payload == payload[:1000]


def test_text_that_escaping_would_inflate_goes_as_base64() -> None:
    payload = b'{"id": "x", "text": "\x01\x02\x03 bell"}' * 100
    record = dead_letter(payload, "not_json", "why", WHERE, 1 << 20)
    assert len(record) < len(payload) * 4 // 3 + 1000
    letter = DeadLetter.parse(0, 0, None, record)
    assert letter.payload == payload
    assert not letter.truncated


def _letters(settings: Settings, *reasons: str) -> None:
    """One dead letter per reason on partition 0 of the dead-letter topic, in that order,
    each from the raw topic; its payload names its place (`<reason>-<n>`)."""
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    try:
        for n, reason in enumerate(reasons):
            payload = orjson.dumps({"id": f"{reason}-{n}", "text": "A story."})
            letter = dead_letter(payload, reason, "", origin(settings.topics.raw, 0, n), 1 << 20)
            producer.send(settings.topics.dlq, value=letter, key=b"k", partition=0).get(30)
    finally:
        producer.close()


def _replayed(settings: Settings, count: int) -> list[str]:
    """The ids of the records on the raw topic (the replayed letters), in order."""
    return [record["id"] for _, record in read_topics(settings, [settings.topics.raw], count)]


@pytest.mark.kafka
def test_a_replay_by_reason_skips_no_letter_of_another_reason(service_settings: Settings) -> None:
    # Letters of several reasons interleaved. A run for one reason used to commit the group
    # past the others' letters, so a later run for their reason never saw them.
    settings = service_settings
    _letters(settings, "too_large", "internal_error", "too_large", "not_json")
    first = replay_dead_letters(settings, ["too_large"])
    assert (dict(first.sent), first.not_selected) == ({"too_large": 2}, 2)
    second = replay_dead_letters(settings, ["internal_error"])
    assert (dict(second.sent), second.not_selected) == ({"internal_error": 1}, 1)
    # Each selection sends a letter once: a run again, for its reason or with others, sends
    # nothing it sent before (the too_large after internal_error-1 included).
    assert replay_dead_letters(settings, ["too_large"]).total_sent == 0
    assert replay_dead_letters(settings, ["internal_error", "too_large"]).total_sent == 0
    _letters(settings, "too_large")  # a new letter: the next run sends it alone
    third = replay_dead_letters(settings, ["too_large", "internal_error"])
    assert dict(third.sent) == {"too_large": 1}
    # A run of every reason sends what no run sent yet, and moves every reason on.
    rest = replay_dead_letters(settings)
    assert dict(rest.sent) == {"not_json": 1}
    assert replay_dead_letters(settings).total_sent == 0
    assert replay_dead_letters(settings, ["not_json"]).total_sent == 0
    assert _replayed(settings, 5) == [
        "too_large-0",
        "too_large-2",
        "internal_error-1",
        "too_large-0",  # the second batch of letters counts from 0 again
        "not_json-3",
    ]


@pytest.mark.kafka
def test_a_replay_whose_place_is_gone_starts_at_the_earliest_letter(
    service_settings: Settings,
) -> None:
    # The group's committed offset fell out of retention (letters deleted after it): the
    # run starts from the earliest letter still kept, not from the end (skipping them).
    settings = service_settings
    _letters(settings, "internal_error")
    assert replay_dead_letters(settings, ["internal_error"]).total_sent == 1  # commits 1
    _letters(settings, "internal_error", "internal_error", "internal_error")  # offsets 1-3
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    try:
        admin.delete_records({TopicPartition(settings.topics.dlq, 0): 3})  # retention's work
    finally:
        admin.close()
    report = replay_dead_letters(settings, ["internal_error"])
    assert dict(report.sent) == {"internal_error": 1}  # the letter at offset 3
