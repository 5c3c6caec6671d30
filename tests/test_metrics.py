"""Unit tests for service/metrics.py: each call moves its metric, on a fresh registry."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from service.metrics import (
    OTHER,
    PUSH_OUTCOMES,
    REJECT_REASONS,
    UNKNOWN,
    WATCH_OUTCOMES,
    FeedMetrics,
    Metrics,
    ProducerMetrics,
    PushMetrics,
    WatchMetrics,
    summary,
    summary_from_exposition,
)
from service.models import DUPLICATE_KINDS, RejectReason
from service.settings import Settings


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    found = registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


def test_received_counts_articles_and_bytes_per_source_and_format(
    registry: CollectorRegistry,
) -> None:
    metrics = Metrics(registry, sources=["AP", "afp"])
    metrics.received("ap", "json", 100)
    metrics.received(" AP ", "json", 50)
    metrics.received("afp", "text", 7)
    labels = {"source": "ap", "format": "json"}
    assert value(registry, "wirefeed_articles_received_total", **labels) == 2
    assert value(registry, "wirefeed_received_bytes_total", **labels) == 150
    assert value(registry, "wirefeed_received_bytes_total", source="afp", format="text") == 7


def test_sources_outside_the_allow_list_fold_into_other(registry: CollectorRegistry) -> None:
    metrics = Metrics(registry, sources=["ap"])
    for source in ("reuters", "some-blog", "x" * 200):
        metrics.received(source, "json", 1)
    metrics.received(None, "json", 1)
    assert value(registry, "wirefeed_articles_received_total", source=OTHER, format="json") == 3
    assert value(registry, "wirefeed_articles_received_total", source=UNKNOWN, format="json") == 1


def test_listed_sources_are_exported_as_never_seen_until_they_are(
    registry: CollectorRegistry,
) -> None:
    metrics = Metrics(registry, sources=["AP", "afp"])
    name = "wirefeed_source_last_seen_timestamp_seconds"
    assert registry.get_sample_value(name, {"source": "ap"}) == 0
    assert registry.get_sample_value(name, {"source": "afp"}) == 0
    metrics.source_seen("AP", 1_700_000_000.0)
    assert registry.get_sample_value(name, {"source": "ap"}) == 1_700_000_000.0
    assert registry.get_sample_value(name, {"source": OTHER}) is None


def test_metric_sources_are_read_from_a_comma_separated_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIRE_METRIC_SOURCES", "AP, afp ,,Reuters")
    assert Settings().metric_sources == ("AP", "afp", "Reuters")
    monkeypatch.setenv("WIRE_METRIC_SOURCES", "")
    assert Settings().metric_sources == ()
    monkeypatch.delenv("WIRE_METRIC_SOURCES")
    assert Settings().metric_sources == ()


def test_without_an_allow_list_the_source_label_set_is_capped(registry: CollectorRegistry) -> None:
    metrics = Metrics(registry, max_sources=3)
    labels = [metrics.source_label(f"feed{i}") for i in range(10)]
    assert labels[:3] == ["feed0", "feed1", "feed2"]
    assert set(labels[3:]) == {OTHER}
    assert metrics.source_label("feed1") == "feed1"


def test_unknown_formats_fold_into_other(registry: CollectorRegistry) -> None:
    metrics = Metrics(registry, sources=["ap"])
    metrics.received("ap", "jsonl", 1)
    metrics.received("ap", "weird/format", 1)
    metrics.received("ap", None, 1)
    assert value(registry, "wirefeed_articles_received_total", source="ap", format="json") == 1
    assert value(registry, "wirefeed_articles_received_total", source="ap", format=OTHER) == 2


def test_rejects_by_reason_start_at_zero_and_fold_unknown_reasons(
    registry: CollectorRegistry,
) -> None:
    metrics = Metrics(registry)
    for reason in REJECT_REASONS:
        labels = {"reason": reason}
        assert registry.get_sample_value("wirefeed_articles_rejected_total", labels) == 0
    metrics.rejected(RejectReason.NOT_JSON)
    metrics.rejected("not_json")
    metrics.rejected("something new")
    assert value(registry, "wirefeed_articles_rejected_total", reason="not_json") == 2
    assert value(registry, "wirefeed_articles_rejected_total", reason=OTHER) == 1


def test_every_reject_reason_is_a_label_value() -> None:
    assert {reason.value for reason in RejectReason} <= set(REJECT_REASONS)


def test_decided_counts_unique_and_duplicates_by_kind(registry: CollectorRegistry) -> None:
    metrics = Metrics(registry)
    for kind in (None, None, "exact", "version", "near_copy", "rewrite", "exact"):
        metrics.decided(kind)
    assert value(registry, "wirefeed_articles_unique_total") == 2
    assert value(registry, "wirefeed_duplicates_total", kind="exact") == 2
    for kind in ("version", "near_copy", "rewrite"):
        assert value(registry, "wirefeed_duplicates_total", kind=kind) == 1
    with pytest.raises(ValueError, match="duplicate kind"):
        metrics.decided("article-123")


def test_end_to_end_latency_is_measured_up_to_a_day(registry: CollectorRegistry) -> None:
    # The review: the top bucket was 300 s, so with every article an hour late the p95 read
    # 300. A backlog (a worker down for hours, a replay) must show as what it is.
    metrics = Metrics(registry)
    for _ in range(10):
        metrics.observe_end_to_end(3000.0)
    name = "wirefeed_end_to_end_latency_seconds_bucket"
    assert value(registry, name, le="1800.0") == 0
    assert value(registry, name, le="3600.0") == 10
    bounds = [
        float(sample.labels["le"])
        for family in registry.collect()
        for sample in family.samples
        if sample.name == name
    ]
    assert max(b for b in bounds if b != float("inf")) >= 86400.0


def test_story_events_and_live_stories(registry: CollectorRegistry) -> None:
    metrics = Metrics(registry)
    for event in ("created", "created", "updated", "merged"):
        metrics.story_event(event)
    metrics.set_live_stories(5)
    metrics.set_live_stories(4)
    assert value(registry, "wirefeed_story_events_total", event="created") == 2
    assert value(registry, "wirefeed_story_events_total", event="merged") == 1
    assert value(registry, "wirefeed_live_stories") == 4
    with pytest.raises(ValueError, match="story event"):
        metrics.story_event("deleted")


def test_latency_histograms_observe_seconds(registry: CollectorRegistry) -> None:
    metrics = Metrics(registry)
    metrics.observe_stage("normalise", 0.002)
    metrics.observe_stage("dedup", 0.004)
    metrics.observe_stage("cluster", 0.003)
    metrics.observe_end_to_end(0.2)
    metrics.observe_end_to_end(-0.01)  # broker clock slightly ahead of ours
    metrics.observe_wire_latency(3 * 86400.0)  # a late correction: days old
    stage = "wirefeed_stage_duration_seconds"
    assert value(registry, f"{stage}_count", stage="dedup") == 1
    assert value(registry, f"{stage}_sum", stage="dedup") == pytest.approx(0.004)
    assert value(registry, f"{stage}_bucket", stage="normalise", le="0.0025") == 1
    e2e = "wirefeed_end_to_end_latency_seconds"
    assert value(registry, f"{e2e}_count") == 2
    assert value(registry, f"{e2e}_sum") == pytest.approx(0.2)
    assert value(registry, f"{e2e}_bucket", le="0.005") == 1
    wire = "wirefeed_wire_latency_seconds"
    assert value(registry, f"{wire}_bucket", le="172800.0") == 0
    assert value(registry, f"{wire}_bucket", le="345600.0") == 1
    with pytest.raises(ValueError, match="stage"):
        metrics.observe_stage("publish", 0.1)


def test_lag_per_topic_partition_and_forgetting_a_partition(registry: CollectorRegistry) -> None:
    metrics = Metrics(registry)
    metrics.set_lag("wire.raw", 0, 12)
    metrics.set_lag("wire.raw", 1, 3)
    metrics.set_lag("wire.raw", 1, -1)  # end offset read before the commit: no lag
    name = "wirefeed_consumer_lag_messages"
    assert value(registry, name, topic="wire.raw", partition="0") == 12
    assert value(registry, name, topic="wire.raw", partition="1") == 0
    metrics.forget_partition("wire.raw", 0)
    metrics.forget_partition("wire.raw", 7)
    assert registry.get_sample_value(name, {"topic": "wire.raw", "partition": "0"}) is None


def test_record_lags_from_offset_maps_drops_revoked_partitions(
    registry: CollectorRegistry,
) -> None:
    metrics = Metrics(registry)
    name = "wirefeed_consumer_lag_messages"
    metrics.record_lags({("wire.raw", 0): 100, ("wire.raw", 1): 50}, {("wire.raw", 0): 90})
    assert value(registry, name, topic="wire.raw", partition="0") == 10
    assert registry.get_sample_value(name, {"topic": "wire.raw", "partition": "1"}) is None
    metrics.record_lags({("wire.raw", 1): 50}, {("wire.raw", 1): 20})
    assert value(registry, name, topic="wire.raw", partition="1") == 30
    assert registry.get_sample_value(name, {"topic": "wire.raw", "partition": "0"}) is None


def test_source_last_seen_only_moves_forward(registry: CollectorRegistry) -> None:
    metrics = Metrics(registry, sources=["ap"])
    metrics.source_seen("ap", 1_700_000_100.0)
    metrics.source_seen("ap", 1_700_000_000.0)  # an older partition caught up later
    metrics.source_seen("elsewhere", 1_700_000_050.0)
    name = "wirefeed_source_last_seen_timestamp_seconds"
    assert value(registry, name, source="ap") == 1_700_000_100.0
    assert value(registry, name, source=OTHER) == 1_700_000_050.0


def test_feed_polls_by_status_failures_in_a_row_and_last_success(
    registry: CollectorRegistry,
) -> None:
    metrics = FeedMetrics(registry)
    feed = "https://gazette.example/rss"
    metrics.watch(feed)
    # A watched feed that never worked is visible: series at zero, last success 0 ("never").
    assert (
        registry.get_sample_value("wirefeed_feed_polls_total", {"feed": feed, "status": "failed"})
        == 0
    )
    assert (
        registry.get_sample_value("wirefeed_feed_last_success_timestamp_seconds", {"feed": feed})
        == 0
    )
    metrics.polled(feed, "downloaded", 3, 0, 1_700_000_000.0)
    metrics.polled(feed, "failed", 0, 1, 1_700_000_300.0)
    metrics.polled(feed, "failed", 0, 2, 1_700_000_900.0)
    assert value(registry, "wirefeed_feed_polls_total", feed=feed, status="failed") == 2
    assert value(registry, "wirefeed_feed_entries_sent_total", feed=feed) == 3
    assert value(registry, "wirefeed_feed_consecutive_failures", feed=feed) == 2
    last = "wirefeed_feed_last_success_timestamp_seconds"
    assert value(registry, last, feed=feed) == 1_700_000_000.0
    metrics.polled(feed, "not_modified", 0, 0, 1_700_001_000.0)
    assert value(registry, "wirefeed_feed_consecutive_failures", feed=feed) == 0
    assert value(registry, last, feed=feed) == 1_700_001_000.0
    with pytest.raises(ValueError, match="unknown poll status"):
        metrics.polled(feed, "timeout", 0, 0, 0.0)


def test_two_registries_do_not_share_metrics() -> None:
    first, second = CollectorRegistry(), CollectorRegistry()
    Metrics(first).decided(None)
    Metrics(second)
    assert value(first, "wirefeed_articles_unique_total") == 1
    assert value(second, "wirefeed_articles_unique_total") == 0


def feed(metrics: Metrics) -> None:
    for _ in range(3):
        metrics.received("ap", "json", 10)
    metrics.received("ap", "text", 5)
    metrics.rejected("too_large")
    for kind in (None, None, "exact", "near_copy"):
        metrics.decided(kind)
    for event in ("created", "created", "updated"):
        metrics.story_event(event)
    metrics.set_live_stories(2)


def test_summary_reads_headline_numbers(registry: CollectorRegistry) -> None:
    feed(Metrics(registry, sources=["ap"]))
    result = summary(registry)
    assert result["received"] == 4
    assert result["received_bytes"] == 35
    assert result["rejected"] == 1
    assert result["rejected_by_reason"]["too_large"] == 1
    assert result["rejected_by_reason"]["not_json"] == 0
    assert result["unique"] == 2
    assert result["duplicates"] == 2
    assert result["decided"] == 4
    assert result["duplicates_by_kind"] == dict.fromkeys(sorted(DUPLICATE_KINDS), 0) | {
        "exact": 1,
        "near_copy": 1,
    }
    assert result["duplicate_ratio"] == 0.5
    assert (result["stories_created"], result["stories_updated"], result["stories_merged"]) == (
        2,
        1,
        0,
    )
    assert result["live_stories"] == 2


def test_summary_of_an_empty_registry_is_zero(registry: CollectorRegistry) -> None:
    Metrics(registry)
    result = summary(registry)
    assert result["received"] == 0
    assert result["duplicate_ratio"] == 0.0


def test_text_exposition_parses_and_agrees_with_the_registry(registry: CollectorRegistry) -> None:
    metrics = Metrics(registry, sources=["ap"])
    feed(metrics)
    metrics.observe_end_to_end(0.05)
    text = generate_latest(registry).decode()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert families["wirefeed_articles_received"].type == "counter"
    assert families["wirefeed_end_to_end_latency_seconds"].type == "histogram"
    assert families["wirefeed_live_stories"].type == "gauge"
    assert all(name.startswith("wirefeed_") for name in families)
    assert summary_from_exposition(text) == summary(registry)


def test_producer_dead_letters_by_reason_start_at_zero(registry: CollectorRegistry) -> None:
    metrics = ProducerMetrics(registry)
    name = "wirefeed_producer_dead_letters_total"
    assert all(value(registry, name, reason=reason) == 0 for reason in REJECT_REASONS)
    assert registry.get_sample_value(name, {"reason": "too_large"}) == 0
    metrics.dead_lettered(RejectReason.TOO_LARGE)
    metrics.dead_lettered("not_json")
    metrics.dead_lettered("something new")
    assert value(registry, name, reason="too_large") == 1
    assert value(registry, name, reason="not_json") == 1
    assert value(registry, name, reason=OTHER) == 1


def test_push_requests_by_outcome_in_flight_and_duration(registry: CollectorRegistry) -> None:
    metrics = PushMetrics(registry)
    name = "wirefeed_push_requests_total"
    assert all(registry.get_sample_value(name, {"outcome": o}) == 0 for o in PUSH_OUTCOMES)
    metrics.answered("accepted", 0.02)
    metrics.answered("busy", 0.001)
    metrics.in_flight.inc()
    assert value(registry, name, outcome="accepted") == 1
    assert value(registry, name, outcome="busy") == 1
    assert value(registry, "wirefeed_push_requests_in_flight") == 1
    assert value(registry, "wirefeed_push_request_duration_seconds_count") == 2
    with pytest.raises(ValueError, match="unknown push outcome"):
        metrics.answered("teapot", 0.0)


def test_watch_files_by_outcome_and_last_success_only_when_nothing_is_kept(
    registry: CollectorRegistry,
) -> None:
    metrics = WatchMetrics(registry)
    name = "wirefeed_watch_files_total"
    assert all(registry.get_sample_value(name, {"outcome": o}) == 0 for o in WATCH_OUTCOMES)
    last = "wirefeed_watch_last_success_timestamp_seconds"
    assert registry.get_sample_value(last) == 0  # exported before the first poll
    metrics.polled({"done": 2, "failed": 1, "kept": 0, "vanished": 0}, 100.0)
    metrics.polled({"done": 1, "kept": 3}, 200.0)  # the broker did not take some
    assert value(registry, name, outcome="done") == 3
    assert value(registry, name, outcome="kept") == 3
    assert value(registry, last) == 100.0
    metrics.polled({}, 300.0)  # an empty folder is drained too
    assert value(registry, last) == 300.0
