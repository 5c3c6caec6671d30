"""Dead letters read back: the input's bytes restored exactly, or marked as cut."""

from __future__ import annotations

from service.producers.dlq import DeadLetter
from service.records import dead_letter, origin

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
