"""Dead letters: read them back, and send them to the topic they came from once fixed.

A dead letter keeps the input's bytes (all of them unless `dlq_payload_bytes` is set), its
key, the reason and where it was read. After the cause is fixed (a limit raised, a bug
corrected), `replay` sends each selected letter's bytes, unchanged and with the same key,
to its origin topic, so the worker decides it as if it had just arrived. A letter whose
payload was truncated cannot be replayed faithfully: it is counted and left alone, never
sent in part. So is a letter a producer's reader refused (`wirefeed watch` or `replay`: its
origin names the `file`; the push endpoint: its origin names the request's `content_type`;
`wirefeed feed`: its origin names the `feed`): its bytes are a document (NITF, ninjs, a line
of JSON Lines, a request body, a fetched document that is no feed) for that reader, not a
raw record, and the worker would read them on its own terms and might publish what the
reader refused (a ninjs document without a uri). Fix the file and drop it again, or replay
it, or push the body again: the reader decides it afresh. An editor's command refused
(`bad_command`) is left alone too: refused, it stays refused (the editor was told so), and
the editor sends a new command.
"""

from __future__ import annotations

import base64
import time
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from service.models import RejectReason
from service.records import decode
from service.settings import Settings

# Consumer group (after the app id) that remembers which letters `replay` has handled.
REPLAY_GROUP_SUFFIX = "-dlq-replay"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One record of the dead-letter topic, with the input's bytes restored."""

    partition: int
    offset: int
    key: bytes | None
    reason: str
    detail: str
    origin: dict[str, Any]
    size: int
    truncated: bool
    payload: bytes

    @classmethod
    def parse(cls, partition: int, offset: int, key: bytes | None, value: bytes) -> DeadLetter:
        record = decode(value)
        text = str(record.get("payload", ""))
        payload = (
            base64.b64decode(text)
            if record.get("payload_encoding") == "base64"
            else text.encode("utf-8")
        )
        return cls(
            partition=partition,
            offset=offset,
            key=key,
            reason=str(record.get("reason", "")),
            detail=str(record.get("detail", "")),
            origin=dict(record.get("origin") or {}),
            size=int(record.get("size", len(payload))),
            truncated=bool(record.get("truncated", False)),
            payload=payload,
        )


def read_dead_letters(
    settings: Settings, *, group: str | None = None, from_start: bool = True, timeout: float = 60.0
) -> tuple[KafkaConsumer, Iterator[DeadLetter]]:
    """A consumer of the dead-letter topic and the letters it holds up to its current end.
    With a `group`, reading starts where that group's last committed run stopped, unless
    `from_start`. The caller closes the consumer (and commits, for a group)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        # A committed offset that retention has since deleted is out of range: the read
        # restarts at the earliest letter kept (kafka-python's default, latest, skipped
        # every letter that survived).
        auto_offset_reset="earliest",
    )
    topic = settings.topics.dlq
    assigned = [
        TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
    ]
    consumer.assign(assigned)
    for partition in assigned:
        committed = None if group is None or from_start else consumer.committed(partition)
        if committed is None:
            consumer.seek_to_beginning(partition)
        else:
            consumer.seek(partition, committed)
    end = consumer.end_offsets(assigned)

    def letters() -> Iterator[DeadLetter]:
        deadline = time.monotonic() + timeout
        while any(consumer.position(p) < end[p] for p in assigned):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic} was not read to its end in {timeout:.0f} s")
            for partition, messages in consumer.poll(timeout_ms=500).items():
                for message in messages:
                    if message.offset < end[partition]:
                        yield DeadLetter.parse(
                            message.partition, message.offset, message.key, message.value
                        )
        # Letters that arrived meanwhile are the next run's: the position (what a group
        # commits) goes back to the end this run read to.
        for partition in assigned:
            if consumer.position(partition) > end[partition]:
                consumer.seek(partition, end[partition])

    return consumer, letters()


@dataclass(slots=True)
class ReplayReport:
    """What a replay did: letters sent back, and those left alone, by why."""

    sent: Counter[str] = field(default_factory=Counter)
    truncated: int = 0
    not_selected: int = 0
    unknown_origin: int = 0
    # Refused by a producer's reader (the origin names the file, the feed, or the push
    # request's content type): fixed by sending the document again.
    from_readers: int = 0
    # Editors' commands refused: a command refused stays refused (the worker remembers its
    # id), so sent back it would change nothing; the editor sends a new command.
    commands: int = 0

    @property
    def total_sent(self) -> int:
        return sum(self.sent.values())


@dataclass(slots=True)
class ReplayProgress:
    """What the replay group remembers of one partition: every letter below `offset` is
    handled, and a letter of reason R below `reasons[R]` too (the group's commit: the offset,
    with `reasons` as JSON in its metadata).

    Why not the plain offset: a run for some reasons must neither commit past the letters of
    the others (a later run for their reason would never see them) nor leave its own letters
    to be sent again by the next run (of its reasons, or of others with them). So the offset
    stops at the first letter no run has handled yet, and each reason run since then keeps
    its own offset. A reason never replayed holds the offset back, so later runs read again
    from its first letter (at worst the topic's retention), sending nothing twice."""

    offset: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, committed: OffsetAndMetadata | None) -> ReplayProgress:
        if committed is None or committed.offset is None or committed.offset < 0:
            return cls()
        try:
            stored = orjson.loads(committed.metadata or "{}")
        except orjson.JSONDecodeError:
            stored = {}
        # A commit without our metadata (written before it was kept) is a plain offset.
        reasons = {
            str(reason): offset
            for reason, offset in (stored if isinstance(stored, dict) else {}).items()
            if isinstance(offset, int) and offset > committed.offset
        }
        return cls(committed.offset, reasons)

    def handled(self, reason: str, offset: int) -> bool:
        return offset < max(self.offset, self.reasons.get(reason, 0))

    def commit(self) -> OffsetAndMetadata:
        reasons = {reason: at for reason, at in sorted(self.reasons.items()) if at > self.offset}
        return OffsetAndMetadata(self.offset, orjson.dumps(reasons).decode(), -1)


def refused_by_reader(origin: dict[str, Any]) -> bool:
    """Whether a letter's bytes are a document a producer's reader refused (a dropped or
    replayed file, a pushed request body, a fetched feed document), not a raw record the
    worker refused."""
    return bool(origin.get("file") or origin.get("feed")) or "content_type" in origin


def replay_dead_letters(
    settings: Settings,
    reasons: Collection[str] = (),
    *,
    everything: bool = False,
    dry_run: bool = False,
) -> ReplayReport:
    """Send dead letters (of `reasons`, or all) back to their origin topics, bytes and key
    unchanged; not those a producer's reader refused (counted in `from_readers`), nor editors'
    commands refused (`commands`: refused for good), nor those cut short. Each run handles
    the selected letters no run has handled yet (the consumer group's commit,
    `ReplayProgress`): a letter of reason R is sent by the first run that selects R after it
    arrived, whatever runs for other reasons came before, and by no later run; `everything`
    sends every selected letter again. A dry run counts the same letters and sends and
    commits nothing."""
    inputs = {settings.topics.raw, settings.topics.normalised, settings.topics.commands}
    report = ReplayReport()
    group = settings.app_id + REPLAY_GROUP_SUFFIX
    consumer, letters = read_dead_letters(settings, group=group, from_start=everything)
    producer = (
        None
        if dry_run
        else KafkaProducer(
            bootstrap_servers=settings.bootstrap_servers,
            acks="all",
            max_request_size=settings.max_record_bytes,
        )
    )
    sends = []
    progress = {
        partition: ReplayProgress.read(consumer.committed(partition, metadata=True))
        for partition in consumer.assignment()
    }
    # Per partition: the first letter of a reason not selected that no run has handled.
    pending: dict[int, int] = {}
    try:
        for letter in letters:
            topic = str(letter.origin.get("topic", ""))
            done = progress[TopicPartition(settings.topics.dlq, letter.partition)]
            if reasons and letter.reason not in reasons:
                if not done.handled(letter.reason, letter.offset):
                    report.not_selected += 1
                    pending.setdefault(letter.partition, letter.offset)
            elif done.handled(letter.reason, letter.offset) and not everything:
                continue  # sent (or left alone) by an earlier run of this reason
            elif letter.reason == RejectReason.BAD_COMMAND:
                report.commands += 1
            elif refused_by_reader(letter.origin):
                report.from_readers += 1
            elif letter.truncated:
                report.truncated += 1
            elif topic not in inputs:
                report.unknown_origin += 1
            else:
                report.sent[letter.reason] += 1
                if producer is not None:
                    sends.append(producer.send(topic, key=letter.key, value=letter.payload))
        if producer is not None:
            # Committed only once the broker has every record (a failed send raises here):
            # a run that fails is simply run again.
            producer.flush()
            for sent in sends:
                sent.get(timeout=30)
            consumer.commit(_advanced(consumer, progress, pending, reasons))
    finally:
        if producer is not None:
            producer.close()
        consumer.close()
    return report


def _advanced(
    consumer: KafkaConsumer,
    progress: dict[TopicPartition, ReplayProgress],
    pending: dict[int, int],
    reasons: Collection[str],
) -> dict[TopicPartition, OffsetAndMetadata]:
    """The commit after a run that read each partition to its position: the offset moves to
    the first letter still pending (else the end), and each selected reason to the end."""
    commits = {}
    for partition, done in progress.items():
        # Where this run stopped (a committed offset lost to retention restarted the read
        # at the earliest letter, so the position, not the old offset, is the floor).
        end = consumer.position(partition)
        offset = pending.get(partition.partition, end)
        handled = dict(done.reasons)
        handled.update(dict.fromkeys(reasons, end))
        commits[partition] = ReplayProgress(offset, handled).commit()
    return commits
