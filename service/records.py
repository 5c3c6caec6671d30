"""Wire records on the service's topics: JSON (orjson) with a schema version in every record.

Schemas (all times are epoch seconds, UTC):
- raw (`wire.raw`), written by producers: `{"id", "text" | "body_html", "title", "published",
  "source", "uri", "version", ...}`; anything else arrives here too and is dead-lettered.
- normalised (`wire.normalised`, key = shard): `{"schema", "article": Article, "received",
  "origin": {"topic", "partition", "offset"}}`; the article's `language` is of its shard, as
  routed (`route.Routes`; the shard is `route.shard_of`: `hr`, `sr` and `bs` are `sh`).
- articles (`wire.articles`, key = story id): unique articles and new versions:
  `{"schema", "id", "duplicate_of": null, "story", "kind": null | "version", "supersedes",
  "article", "received", "decided"}`.
- duplicates (`wire.duplicates`, key = original id): `{"schema", "id", "duplicate_of",
  "kind", "score", "evidence", "story", "headline", "source", "received", "decided"}`.
- stories (`wire.stories`, key = story id): `{"schema", "story", "event", "article_id",
  "duplicate_of", "score", "merged_from", "title", "time"}` (title: the headline of the
  story's first article); an editor's command adds `"command", "split_from", "moved_from",
  "articles"` (a split or a move: those articles and their copies now belong to `story`),
  with no article.
- commands (`wire.commands`), written by editors' tools: a StoryCommand `{"id", "action":
  "split" | "merge" | "move", "shard", "story", "articles", "stories", "title"}`; forwarded to
  `wire.normalised` (key = shard) as `{"schema", "command", "received", "origin"}`.
- dead letters (`wire.dlq`): `{"schema", "reason", "detail", "origin", "size", "sha256",
  "payload", "payload_encoding": "utf-8" | "base64", "truncated"}`.
"""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from service.models import SCHEMA_VERSION, Article, Correction, Decision, Rejected, RejectReason

# orjson writes values nested this many levels deep at most (a record itself is the first
# level), while it reads them four times as deep: a JSON document it read whole may be one
# it cannot write.
MAX_NESTING = 254
# What orjson's errors mean for a record's sender.
_UNWRITABLE = {
    "Recursion limit reached": f"nested more than {MAX_NESTING} levels deep",
    "Integer exceeds 64-bit range": "an integer outside the 64-bit range",
}


def encode(record: dict[str, Any]) -> bytes:
    return orjson.dumps({"schema": SCHEMA_VERSION, **record})


def raw_bytes(record: Mapping[str, Any]) -> bytes:
    """A raw record as the JSON the raw topic takes; Rejected (bad_format) when orjson cannot
    write it (nested too deep, an integer outside 64 bits). The readers refuse such a record
    with the others they refuse, and `RawProducer.send` dead-letters one that got past them:
    it raised, which stopped a replay or `label`, had the watcher retry its file at every poll
    and the endpoint answer 500."""
    try:
        return orjson.dumps(record)
    except orjson.JSONEncodeError as exc:
        why = _UNWRITABLE.get(str(exc), str(exc))
        raise Rejected(RejectReason.BAD_FORMAT, f"record not writable as JSON: {why}") from None


def decode(payload: bytes) -> dict[str, Any]:
    value = orjson.loads(payload)
    if not isinstance(value, dict):
        raise TypeError("record is not a JSON object")
    return value


def origin(topic: str, partition: int, offset: int) -> dict[str, Any]:
    return {"topic": topic, "partition": partition, "offset": offset}


def normalised_record(article: Article, received: float, where: dict[str, Any]) -> bytes:
    return encode({"article": article.to_dict(), "received": received, "origin": where})


def article_record(decision: Decision, received: float, decided: float) -> bytes:
    dedup = decision.dedup
    return encode(
        {
            "id": decision.article.id,
            "duplicate_of": None,
            "story": decision.story.story_id,
            "kind": dedup.kind,
            "supersedes": dedup.duplicate_of if dedup.kind == "version" else None,
            "article": decision.article.to_dict(),
            "received": received,
            "decided": decided,
        }
    )


def duplicate_record(decision: Decision, received: float, decided: float) -> bytes:
    article, dedup = decision.article, decision.dedup
    return encode(
        {
            "id": article.id,
            "duplicate_of": dedup.duplicate_of,
            "kind": dedup.kind,
            "score": dedup.score,
            "evidence": dedup.evidence,
            "story": decision.story.story_id,
            "headline": article.headline,
            "source": article.source,
            "received": received,
            "decided": decided,
        }
    )


def story_record(decision: Decision, time: float) -> bytes:
    story = decision.story
    return encode(
        {
            "story": story.story_id,
            "event": story.event,
            "article_id": decision.article.id,
            "duplicate_of": decision.dedup.duplicate_of if decision.dedup.is_duplicate else None,
            "score": story.score,
            "merged_from": list(story.merged_from),
            "title": story.title,
            "time": time,
        }
    )


def correction_record(correction: Correction, time: float) -> bytes:
    """The story event of an editor's command (no article of its own)."""
    return encode(
        {
            "story": correction.story_id,
            "event": correction.event,
            "article_id": None,
            "duplicate_of": None,
            "score": None,
            "merged_from": list(correction.merged_from),
            "title": correction.title,
            "time": time,
            "command": correction.command,
            "split_from": correction.split_from,
            "moved_from": list(correction.moved_from),
            "articles": list(correction.articles),
        }
    )


def dead_letter(
    payload: bytes | None, reason: str, detail: str, where: dict[str, Any], limit: int
) -> bytes:
    """A dead-letter record keeping the payload (or its first `limit` bytes), size and hash."""
    data = payload or b""
    head = data[:limit]
    try:
        text, encoding = head.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = "", "base64"
    # Bytes that are not UTF-8, and text that JSON escaping would blow up (a control
    # character takes 6 bytes), go as base64: a letter never outgrows 4/3 of its input.
    if encoding == "base64" or len(orjson.dumps(text)) > len(head) * 4 // 3 + 2:
        text, encoding = base64.b64encode(head).decode("ascii"), "base64"
    return encode(
        {
            "reason": reason,
            "detail": detail[:2000],
            "origin": where,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "payload": text,
            "payload_encoding": encoding,
            "truncated": len(data) > limit,
        }
    )


def after_events(outputs: Sequence[dict[str, Any]]) -> list[str]:
    """Each record's story once the whole stream's story events are applied, as a consumer
    of the story events sees it at the end: a merge folds stories (`merged_from`), an
    editor's split or move moves the articles it names, and their copies, to its story. Works on
    story events and on `wirefeed label` lines alike; a record without a story (a rejected
    input) is a story of its own.

    Events are ordered by their `time` (story events are keyed by story, so a consumer of
    several partitions reads them out of order), else by position (label lines)."""
    folded_into: dict[str, str] = {}
    # Article id -> (when, story) of each split or move that named it.
    moved: defaultdict[str, list[tuple[float, str]]] = defaultdict(list)
    for i, out in enumerate(outputs):
        for folded in out.get("merged_from") or ():
            folded_into[folded] = out["story"]
        if out.get("split_from") or out.get("moved_from"):
            for article_id in out.get("articles") or ():
                moved[article_id].append((out.get("time", i), out["story"]))
    stories: list[str] = []
    for i, out in enumerate(outputs):
        story = out.get("story") or f"rejected-{i}"
        # The latest split or move of the article (or of its original) made after its own
        # event.
        when = out.get("time", i)
        splits = [
            split
            for key in ("id", "article_id", "duplicate_of")
            if out.get(key)
            for split in moved.get(out[key], ())
            if split[0] >= when
        ]
        if splits:
            story = max(splits)[1]
        seen = {story}
        while story in folded_into and folded_into[story] not in seen:
            story = folded_into[story]
            seen.add(story)
        stories.append(story)
    return stories
