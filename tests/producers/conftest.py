"""A sender that records what producers send, in place of kafka-python; and a raw topic on
the real broker that refuses records over 2000 bytes (`strict_settings`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from service.producers import formats
from service.settings import Settings

# The broker refuses a record batch larger than this on the `strict_settings` raw topic,
# while the producer (max_request_size >= 1 MiB) lets it go: the refusal is the broker's.
STRICT_MAX_MESSAGE_BYTES = 2000


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any] | bytes, str | None]] = []
        # Dead letters written straight to the dead-letter topic: (payload, reason, origin).
        self.letters: list[tuple[bytes, str, dict[str, Any]]] = []
        self.flushed = 0

    def send(self, record: dict[str, Any] | bytes, feed: str | None = None) -> None:
        self.sent.append((record, feed))

    def dead_letter(
        self, payload: bytes, reason: str, detail: str, origin: dict[str, Any] | None = None
    ) -> None:
        self.letters.append((payload, reason, dict(origin or {})))

    def flush(self) -> None:
        self.flushed += 1

    @property
    def records(self) -> list[dict[str, Any] | bytes]:
        return [record for record, _ in self.sent]


@pytest.fixture
def sender() -> FakeSender:
    return FakeSender()


@pytest.fixture
def strict_settings(service_settings: Settings) -> Settings:
    """Settings whose raw topic, on the real broker, takes records of at most ~2000 bytes."""
    topic = f"{service_settings.topics.raw}.strict"
    admin = KafkaAdminClient(bootstrap_servers=service_settings.bootstrap_servers)
    try:
        admin.create_topics(
            [
                NewTopic(
                    topic, 1, 1, topic_configs={"max.message.bytes": str(STRICT_MAX_MESSAGE_BYTES)}
                )
            ]
        )
    finally:
        admin.close()
    topics = service_settings.topics.model_copy(update={"raw": topic})
    return service_settings.model_copy(update={"topics": topics})


# An XML payload on which the parser raises an error it was never meant to (a bug, not a
# rejection): one such input must fail only itself.
POISON_XML = b"<nitf><!-- the parser trips on this one --></nitf>"


def poisoned_parse_xml() -> Callable[[bytes], list[dict[str, Any]]]:
    """formats.parse_xml, except that it raises ValueError on POISON_XML."""
    real_parse_xml = formats.parse_xml

    def parse_xml(data: bytes) -> list[dict[str, Any]]:
        if data == POISON_XML:
            raise ValueError("invalid literal for int() with base 10: 'v2'")
        return real_parse_xml(data)

    return parse_xml
