"""The service's topics on the real broker: the input topics stamp each record with its
arrival, whatever its producer says, including topics made before the service asked."""

from __future__ import annotations

import time
import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic

from service.producers.kafka import ensure_topics
from service.settings import Settings, TopicSettings

pytestmark = pytest.mark.kafka

SIX_DAYS_MS = 6 * 24 * 3600 * 1000
LOG_APPEND_TIME = 1


def _fresh(broker: Settings) -> Settings:
    run = uuid.uuid4().hex[:8]
    return broker.model_copy(
        update={
            "app_id": f"wirefeed-topics-{run}",
            "topics": TopicSettings(raw=f"t{run}.raw", commands=f"t{run}.commands"),
        }
    )


def _topic_config(settings: Settings, name: str) -> dict[str, str]:
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    try:
        described = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name)], config_filter="all"
        )
    finally:
        admin.close()
    entries = described["topic"][name]
    return {key: entry["value"] for key, entry in entries.items()}


def _read_back(settings: Settings, topic: str) -> tuple[int, int]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=None,
        consumer_timeout_ms=10_000,
    )
    try:
        message = next(iter(consumer))
    finally:
        consumer.close()
    return message.timestamp, message.timestamp_type


@pytest.mark.parametrize("which", ["raw", "commands"])
def test_a_back_dated_record_arrives_stamped_with_its_arrival(broker: Settings, which: str) -> None:
    settings = _fresh(broker)
    ensure_topics(settings)
    topic = getattr(settings.topics, which)
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    before = int(time.time() * 1000)
    producer.send(topic, value=b"{}", timestamp_ms=before - SIX_DAYS_MS).get(timeout=30)
    producer.close()
    stamp, kind = _read_back(settings, topic)
    assert kind == LOG_APPEND_TIME
    assert before - 60_000 <= stamp <= int(time.time() * 1000) + 60_000


def test_an_input_topic_made_before_is_made_to_stamp_arrival_keeping_its_settings(
    broker: Settings,
) -> None:
    settings = _fresh(broker)
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    try:
        admin.create_topics(
            [NewTopic(settings.topics.raw, 2, 1, topic_configs={"retention.ms": "123456789"})]
        )
    finally:
        admin.close()
    assert _topic_config(settings, settings.topics.raw)["message.timestamp.type"] == "CreateTime"

    created = ensure_topics(settings)

    assert settings.topics.raw not in created
    config = _topic_config(settings, settings.topics.raw)
    assert config["message.timestamp.type"] == "LogAppendTime"
    assert config["retention.ms"] == "123456789"
    assert _topic_config(settings, settings.topics.articles)["message.timestamp.type"] == (
        "CreateTime"
    )
