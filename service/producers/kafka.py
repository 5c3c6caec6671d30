"""kafka-python plumbing for producers: topic creation and the raw-article producer."""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Any

import orjson
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from service.settings import Settings


def ensure_topics(settings: Settings) -> list[str]:
    """Create the service's topics, and its tables' compacted changelogs, that do not exist
    yet; returns the names created. Workers need the changelogs in their first metadata."""
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    compacted = {"cleanup.policy": "compact"}
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(name, partitions, 1)
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


def record_key(record: dict[str, Any] | bytes, feed: str | None = None) -> bytes | None:
    """The partition key: the feed the producer reads, else the article's source, else its
    uri or id. One feed's articles, and so every version of an item, share a partition and
    stay in the order they were sent."""
    if feed:
        return feed.encode()
    if isinstance(record, bytes):
        return None
    for field in ("source", "uri", "guid", "id"):
        value = record.get(field)
        if isinstance(value, str) and value:
            return value.encode()
    return None


class RawProducer:
    """Sends article records (dicts as JSON, or bytes as they are) to the raw topic."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        self.topic = settings.topics.raw
        self._producer = KafkaProducer(
            bootstrap_servers=settings.bootstrap_servers,
            acks="all",
            linger_ms=5,
            compression_type=None,
            max_request_size=max(settings.max_article_bytes * 4, 1024 * 1024),
            **options,
        )

    def send(self, record: dict[str, Any] | bytes, feed: str | None = None) -> None:
        value = record if isinstance(record, bytes) else orjson.dumps(record)
        self._producer.send(self.topic, key=record_key(record, feed), value=value)

    def flush(self) -> None:
        self._producer.flush()

    def __enter__(self) -> RawProducer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._producer.flush()
        self._producer.close()
