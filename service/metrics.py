"""Every wirefeed metric, created against a registry the caller passes in, and a reader of them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, TypedDict, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from service.models import DUPLICATE_KINDS, RejectReason

PREFIX: Final = "wirefeed"
# Faust's own sensors go on the same registry under their own prefix, so that no name of
# theirs (e.g. `<app id>_total_events`) can collide with ours when the app id is "wirefeed".
FAUST_PREFIX: Final = "faust"

OTHER: Final = "other"
UNKNOWN: Final = "unknown"
STAGES: Final = ("normalise", "dedup", "cluster")
# The worker's agents (service/streams/app.py).
AGENTS: Final = ("normalise", "decide", "commands")
STORY_EVENTS: Final = ("created", "updated", "merged", "split", "moved")
FORMATS: Final = ("text", "json", "ninjs", "rss", "atom", "nitf", "newsml", OTHER)
REJECT_REASONS: Final = (*(reason.value for reason in RejectReason), OTHER)
# When no allow-list is given, the first sources seen get their own label, up to this many.
DEFAULT_MAX_SOURCES: Final = 20

STAGE_BUCKETS: Final = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
)  # fmt: skip
# Up to a day: sub-second when the worker keeps up, hours when it works off a backlog
# (a worker down overnight); a top bucket of 300 s read every such p95 as 300.
END_TO_END_BUCKETS: Final = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
    600.0, 1800.0, 3600.0, 7200.0, 21600.0, 86400.0,
)  # fmt: skip
# Wire latency is the article's own timestamp to ingest: minutes for live copy, days for
# a late correction or an archive replay.
WIRE_BUCKETS: Final = (
    1.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0, 43200.0,
    86400.0, 172800.0, 345600.0, 604800.0, 1209600.0,
)  # fmt: skip


# A (topic, partition) key: a plain tuple, or Faust's TP named tuple.
TopicPartition = TypeVar("TopicPartition", bound=tuple[str, int])


def _name(short: str) -> str:
    return f"{PREFIX}_{short}"


class Metrics:
    """The service's metrics. Label values are checked or folded into small fixed sets:
    code-chosen labels (stage, kind, event) must be known, data-chosen ones (source, format,
    reason) fall back to "other" so that no feed can grow the number of series."""

    def __init__(
        self,
        registry: CollectorRegistry,
        sources: Sequence[str] = (),
        *,
        max_sources: int = DEFAULT_MAX_SOURCES,
    ) -> None:
        self._allowed_sources = frozenset(_clean(s) for s in sources if _clean(s))
        self._max_sources = max_sources
        self._seen_sources: set[str] = set()
        self._last_seen: dict[str, float] = {}
        self._lag_partitions: set[tuple[str, int]] = set()

        self.articles_received = Counter(
            _name("articles_received"),
            "Raw records received, by source and input format.",
            ["source", "format"],
            registry=registry,
        )
        self.received_bytes = Counter(
            _name("received_bytes"),
            "Bytes of raw records received, by source and input format.",
            ["source", "format"],
            registry=registry,
        )
        self.articles_rejected = Counter(
            _name("articles_rejected"),
            "Records that could not become articles (sent to the dead-letter topic), by reason.",
            ["reason"],
            registry=registry,
        )
        self.articles_unique = Counter(
            _name("articles_unique"),
            "Articles decided to be unique.",
            registry=registry,
        )
        self.duplicates = Counter(
            _name("duplicates"),
            "Articles decided to be a copy of an earlier one, by kind.",
            ["kind"],
            registry=registry,
        )
        self.story_events = Counter(
            _name("story_events"),
            "Story events, by kind (created, updated, merged, split, moved).",
            ["event"],
            registry=registry,
        )
        self.live_stories = Gauge(
            _name("live_stories"),
            "Stories still inside the story horizon.",
            registry=registry,
        )
        self.stage_duration = Histogram(
            _name("stage_duration_seconds"),
            "Time spent in one pipeline stage for one article.",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=registry,
        )
        self.end_to_end_latency = Histogram(
            _name("end_to_end_latency_seconds"),
            "Broker timestamp of the raw record to the decision being produced.",
            buckets=END_TO_END_BUCKETS,
            registry=registry,
        )
        self.wire_latency = Histogram(
            _name("wire_latency_seconds"),
            "The article's own publication time to its ingest.",
            buckets=WIRE_BUCKETS,
            registry=registry,
        )
        self.consumer_lag = Gauge(
            _name("consumer_lag_messages"),
            "Messages between the committed offset and the end of a topic partition.",
            ["topic", "partition"],
            registry=registry,
        )
        self.outputs_retrying = Gauge(
            _name("outputs_retrying_events"),
            "Events whose outputs were not acknowledged for want of a broker, processed again"
            " every 5 s until it takes them (their agent waits meanwhile), by agent.",
            ["agent"],
            registry=registry,
        )
        self.outputs_retrying_since = Gauge(
            _name("outputs_retrying_since_timestamp_seconds"),
            "Unix time the outputs now processed again were first sent (0: none), by agent.",
            ["agent"],
            registry=registry,
        )
        self.source_last_seen = Gauge(
            _name("source_last_seen_timestamp_seconds"),
            "Unix time of the latest article received from a source.",
            ["source"],
            registry=registry,
        )
        # Known label values start at zero, so rates and ratios exist before the first event.
        for reason in REJECT_REASONS:
            self.articles_rejected.labels(reason=reason)
        # A listed source is expected: exported from the start as never seen (0), so that
        # one silent since before this worker started is seen to be.
        for source in sorted(self._allowed_sources):
            self.source_last_seen.labels(source=source).set(0)
        for kind in DUPLICATE_KINDS:
            self.duplicates.labels(kind=kind)
        for agent in AGENTS:
            self.retrying(agent, 0, None)
        for event in STORY_EVENTS:
            self.story_events.labels(event=event)

    def source_label(self, source: str | None) -> str:
        """The label value for a feed's source: itself if allowed, else "other"."""
        value = _clean(source)
        if not value:
            return UNKNOWN
        if self._allowed_sources:
            return value if value in self._allowed_sources else OTHER
        if value in self._seen_sources:
            return value
        if len(self._seen_sources) < self._max_sources:
            self._seen_sources.add(value)
            return value
        return OTHER

    def received(self, source: str | None, fmt: str | None, nbytes: int) -> None:
        """A raw record arrived."""
        labels = {"source": self.source_label(source), "format": _format_label(fmt)}
        self.articles_received.labels(**labels).inc()
        self.received_bytes.labels(**labels).inc(max(nbytes, 0))

    def rejected(self, reason: str) -> None:
        """A record was dead-lettered; `reason` is a RejectReason value."""
        self.articles_rejected.labels(reason=_reason_label(reason)).inc()

    def decided(self, kind: str | None) -> None:
        """Dedup's outcome for one article: None means unique, else the duplicate kind."""
        if kind is None:
            self.articles_unique.inc()
            return
        if kind not in DUPLICATE_KINDS:
            raise ValueError(f"unknown duplicate kind {kind!r}; expected one of {DUPLICATE_KINDS}")
        self.duplicates.labels(kind=kind).inc()

    def story_event(self, event: str) -> None:
        """A story was created, updated, merged, split or given articles (moved)."""
        if event not in STORY_EVENTS:
            raise ValueError(f"unknown story event {event!r}; expected one of {STORY_EVENTS}")
        self.story_events.labels(event=event).inc()

    def set_live_stories(self, n: int) -> None:
        self.live_stories.set(n)

    def observe_stage(self, stage: str, seconds: float) -> None:
        """Time one stage took for one article."""
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; expected one of {STAGES}")
        self.stage_duration.labels(stage=stage).observe(max(seconds, 0.0))

    def observe_end_to_end(self, seconds: float) -> None:
        # Clocks of broker and worker can disagree a little; a negative time is zero.
        self.end_to_end_latency.observe(max(seconds, 0.0))

    def observe_wire_latency(self, seconds: float) -> None:
        # Articles dated in the future (bad feed clocks) count as on time.
        self.wire_latency.observe(max(seconds, 0.0))

    def retrying(self, agent: str, events: int, since: float | None) -> None:
        """`events` of an agent wait for the broker to take their outputs, sent first at
        `since` (None with 0 events: none wait)."""
        if agent not in AGENTS:
            raise ValueError(f"unknown agent {agent!r}; expected one of {AGENTS}")
        self.outputs_retrying.labels(agent=agent).set(events)
        self.outputs_retrying_since.labels(agent=agent).set(since or 0)

    def set_lag(self, topic: str, partition: int, lag: int) -> None:
        """Consumer lag of one assigned topic partition (topics come from settings: few)."""
        self.consumer_lag.labels(topic=topic, partition=str(partition)).set(max(lag, 0))
        self._lag_partitions.add((topic, partition))

    def forget_partition(self, topic: str, partition: int) -> None:
        """Drop a partition's lag series after it was revoked in a rebalance."""
        self._lag_partitions.discard((topic, partition))
        try:
            self.consumer_lag.remove(topic, str(partition))
        except KeyError:
            return

    def record_lags(
        self,
        end_offsets: Mapping[TopicPartition, int],
        committed_offsets: Mapping[TopicPartition, int],
    ) -> None:
        """Lag of every partition whose end and committed offsets are both known, keyed by
        (topic, partition) - Faust's monitor keeps both maps keyed by TP, such a tuple.
        Partitions no longer listed (revoked) lose their series."""
        current: set[tuple[str, int]] = set()
        for key, end in end_offsets.items():
            topic, partition = key
            committed = committed_offsets.get(key)
            if committed is not None:
                self.set_lag(topic, partition, end - committed)
                current.add((topic, partition))
        for topic, partition in self._lag_partitions - current:
            self.forget_partition(topic, partition)

    def source_seen(self, source: str | None, unix_time: float) -> None:
        """An article from `source` arrived at `unix_time`; the gauge only moves forward,
        since partitions are consumed in no common order."""
        label = self.source_label(source)
        if unix_time > self._last_seen.get(label, -math.inf):
            self._last_seen[label] = unix_time
            self.source_last_seen.labels(source=label).set(unix_time)


class BrokerMetrics:
    """Whether this process reaches the broker (service/contact.py): the worker asks it for
    metadata every few seconds, the push endpoint finds out at each send. On the registry of
    the process that served them; a broker outage showed in no metric (counters froze, the
    lag gauge kept its last value) until an alert 15-25 minutes later."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.unreachable = Gauge(
            _name("broker_unreachable"),
            "1 while the latest attempt to reach the broker failed, 0 once it answers (and"
            " before any attempt).",
            registry=registry,
        )
        self.last_contact = Gauge(
            _name("broker_last_contact_timestamp_seconds"),
            "Unix time of the broker's latest answer to this process (0: none yet).",
            registry=registry,
        )

    def reached(self, now: float) -> None:
        self.unreachable.set(0)
        self.last_contact.set(now)

    def missed(self) -> None:
        self.unreachable.set(1)


# What one poll of a feed came to (service/producers/feeds.py, PollOutcome.status).
FEED_POLL_STATUSES: Final = ("downloaded", "not_modified", "failed", "send_failed")


class FeedMetrics:
    """The feed poller's metrics (`wirefeed feed --metrics-port`), on its own registry: the
    poller is a process of its own. The `feed` label is the feed's location, from the
    operator's list, so its values are bounded by that list."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.polls = Counter(
            _name("feed_polls"),
            "Polls of a feed, by status (downloaded, not_modified, failed: the feed's fault,"
            " send_failed: the broker did not take its records).",
            ["feed", "status"],
            registry=registry,
        )
        self.entries_sent = Counter(
            _name("feed_entries_sent"),
            "New feed entries the broker acknowledged.",
            ["feed"],
            registry=registry,
        )
        self.failures = Gauge(
            _name("feed_consecutive_failures"),
            "Failed polls of a feed in a row (0 after a poll that worked).",
            ["feed"],
            registry=registry,
        )
        self.last_success = Gauge(
            _name("feed_last_success_timestamp_seconds"),
            "Unix time of the feed's latest poll that worked (0: none yet).",
            ["feed"],
            registry=registry,
        )
        self.gone = Gauge(
            _name("feed_gone"),
            "1: the feed answered 410 Gone and is polled no more (until"
            " `wirefeed feed --retry-gone`).",
            ["feed"],
            registry=registry,
        )

    def watch(self, feed: str) -> None:
        """Start a feed's series at zero, so a feed that never works is visible too."""
        for status in FEED_POLL_STATUSES:
            self.polls.labels(feed=feed, status=status)
        self.entries_sent.labels(feed=feed)
        self.failures.labels(feed=feed).set(0)
        self.last_success.labels(feed=feed).set(0)
        self.gone.labels(feed=feed).set(0)

    def went(self, feed: str) -> None:
        """The feed is gone (410): polled no more."""
        self.gone.labels(feed=feed).set(1)

    def polled(self, feed: str, status: str, sent: int, failures: int, now: float) -> None:
        """One poll's outcome; `failures` is the feed's count of failures in a row after it."""
        if status not in FEED_POLL_STATUSES:
            raise ValueError(
                f"unknown poll status {status!r}; expected one of {FEED_POLL_STATUSES}"
            )
        self.polls.labels(feed=feed, status=status).inc()
        self.entries_sent.labels(feed=feed).inc(sent)
        self.failures.labels(feed=feed).set(failures)
        if status in ("downloaded", "not_modified"):
            self.last_success.labels(feed=feed).set(now)


def _reason_label(reason: str) -> str:
    """A reject reason as a label: one of REJECT_REASONS, else `other` (a small fixed set)."""
    value = str(reason)  # a RejectReason is a StrEnum: str() is its value
    return value if value in REJECT_REASONS else OTHER


class ProducerMetrics:
    """Dead letters an ingest process (`serve`, `watch`, `feed`) writes to the dead-letter
    topic itself: inputs the push endpoint refused, records too large for the raw topic. The
    worker never sees them, so its own reject counter does not either. Served by the
    process that writes them, on its own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.dead_letters = Counter(
            _name("producer_dead_letters"),
            "Inputs this ingest process put on the dead-letter topic itself, by reason.",
            ["reason"],
            registry=registry,
        )
        for reason in REJECT_REASONS:
            self.dead_letters.labels(reason=reason)

    def dead_lettered(self, reason: str) -> None:
        """One dead letter written; `reason` is a RejectReason value."""
        self.dead_letters.labels(reason=_reason_label(reason)).inc()


# How the push endpoint answered a POST (service/producers/endpoint.py): 202, 400, 413, 415,
# 401, 408, 503 for want of a slot, 503 for want of a broker.
PUSH_OUTCOMES: Final = (
    "accepted", "rejected", "too_large", "unsupported", "unauthorised", "timeout", "busy",
    "unavailable",
)  # fmt: skip
PUSH_BUCKETS: Final = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0,
)  # fmt: skip


class PushMetrics:
    """The HTTP push endpoint's metrics (`wirefeed serve`, GET /metrics on its port)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            _name("push_requests"),
            "POST /articles requests answered, by outcome (accepted, rejected: malformed,"
            " too_large, unsupported: media type, unauthorised, timeout: body not in,"
            " busy: every slot taken, unavailable: the broker did not take the records).",
            ["outcome"],
            registry=registry,
        )
        self.in_flight = Gauge(
            _name("push_requests_in_flight"),
            "POST /articles requests being handled (WIRE_PUSH_MAX_IN_FLIGHT at most).",
            registry=registry,
        )
        self.duration = Histogram(
            _name("push_request_duration_seconds"),
            "Time from a POST /articles request's headers to its answer.",
            buckets=PUSH_BUCKETS,
            registry=registry,
        )
        for outcome in PUSH_OUTCOMES:
            self.requests.labels(outcome=outcome)

    def answered(self, outcome: str, seconds: float) -> None:
        if outcome not in PUSH_OUTCOMES:
            raise ValueError(f"unknown push outcome {outcome!r}; expected one of {PUSH_OUTCOMES}")
        self.requests.labels(outcome=outcome).inc()
        self.duration.observe(max(seconds, 0.0))


# What one poll of the drop folder did with a file (service/producers/watch.py, WatchResult).
WATCH_OUTCOMES: Final = ("done", "failed", "kept", "vanished")


class WatchMetrics:
    """The drop-folder watcher's metrics (`wirefeed watch --metrics-port`)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.files = Counter(
            _name("watch_files"),
            "Files a poll of the drop folder handled, by outcome (done: sent, failed: moved"
            " to failed/, kept: the broker did not take them, tried again and counted again"
            " next poll, vanished: deleted or renamed away meanwhile).",
            ["outcome"],
            registry=registry,
        )
        self.last_success = Gauge(
            _name("watch_last_success_timestamp_seconds"),
            "Unix time of the end of the latest poll that read the folder and kept no file"
            " back (0: none yet).",
            registry=registry,
        )
        for outcome in WATCH_OUTCOMES:
            self.files.labels(outcome=outcome)
        self.last_success.set(0)

    def polled(self, outcomes: Mapping[str, int], now: float) -> None:
        """One poll that read the folder: how many files came to each outcome."""
        for outcome, count in outcomes.items():
            if outcome not in WATCH_OUTCOMES:
                raise ValueError(
                    f"unknown watch outcome {outcome!r}; expected one of {WATCH_OUTCOMES}"
                )
            self.files.labels(outcome=outcome).inc(count)
        if not outcomes.get("kept"):
            self.last_success.set(now)


def _clean(value: str | None) -> str:
    return (value or "").strip().lower()


def _format_label(fmt: str | None) -> str:
    value = _clean(fmt)
    if value == "jsonl":
        return "json"
    return value if value in FORMATS else OTHER


class Summary(TypedDict):
    """Headline numbers read back from the metrics (what the demo prints)."""

    received: int
    received_bytes: int
    rejected: int
    rejected_by_reason: dict[str, int]
    decided: int
    unique: int
    duplicates: int
    duplicates_by_kind: dict[str, int]
    duplicate_ratio: float
    stories_created: int
    stories_updated: int
    stories_merged: int
    live_stories: int


def summary(registry: CollectorRegistry) -> Summary:
    """Current totals from a registry holding `Metrics`."""
    return _summarise(registry.collect())


def summary_from_exposition(text: str) -> Summary:
    """Current totals from a /metrics response body (the text exposition format)."""
    return _summarise(text_string_to_metric_families(text))


def _summarise(families: Iterable[Metric]) -> Summary:
    totals: dict[str, float] = {}
    by_label: dict[tuple[str, str], dict[str, float]] = {}
    for family in families:
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
            for label, value in sample.labels.items():
                bucket = by_label.setdefault((sample.name, label), {})
                bucket[value] = bucket.get(value, 0.0) + sample.value

    def total(short: str) -> int:
        return int(totals.get(_name(short), 0.0))

    def split(short: str, label: str) -> dict[str, int]:
        found = by_label.get((_name(short), label), {})
        return {key: int(value) for key, value in sorted(found.items())}

    unique = total("articles_unique_total")
    duplicates = total("duplicates_total")
    decided = unique + duplicates
    events = split("story_events_total", "event")
    return Summary(
        received=total("articles_received_total"),
        received_bytes=total("received_bytes_total"),
        rejected=total("articles_rejected_total"),
        rejected_by_reason=split("articles_rejected_total", "reason"),
        decided=decided,
        unique=unique,
        duplicates=duplicates,
        duplicates_by_kind=split("duplicates_total", "kind"),
        duplicate_ratio=duplicates / decided if decided else 0.0,
        stories_created=events.get("created", 0),
        stories_updated=events.get("updated", 0),
        stories_merged=events.get("merged", 0),
        live_stories=total("live_stories"),
    )
