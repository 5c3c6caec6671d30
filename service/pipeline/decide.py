"""Decide: dedup then story assignment for one article; shared by `wirefeed label` and agents."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

import xxhash

from service.models import (
    Article,
    Correction,
    Decision,
    DedupDecision,
    Rejected,
    RejectReason,
    StoryCommand,
    StoryDecision,
)
from service.pipeline.cluster import ARTICLE, StoryConfig, StoryIndex
from service.pipeline.dedup import DedupConfig, DedupIndex
from service.pipeline.intake import parse_record, partition_key
from service.pipeline.normalise import normalise_article
from service.pipeline.route import Routes, shard_of
from service.pipeline.stamps import Stamps, eviction_point


def event_time(article: Article, received: float, latest: float | None = None) -> float:
    """Offline stand-in for an arrival time: the time of the article's version (the record's
    own publication time, else a date its text states), else the latest arrival so far. (In
    the worker, arrival is the broker's timestamp.) Not its first publication: a copy sent
    today of an item first published last year arrives today. A time after `latest` is a
    clock error and counts as no time: taken as given, one such article would move the clock
    past every horizon and the state would be forgotten."""
    published = article.versioncreated
    if published is None or (latest is not None and published > latest):
        return received
    return published


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    dedup: DedupConfig = field(default_factory=DedupConfig)
    story: StoryConfig = field(default_factory=StoryConfig)
    # How often, in the pipeline's clock, state older than the horizons is forgotten: at each
    # multiple of this (0: at every article).
    evict_every_seconds: float = 60.0

    @classmethod
    def with_horizons(cls, dedup_seconds: float, story_seconds: float) -> PipelineConfig:
        return cls(
            DedupConfig(horizon_seconds=dedup_seconds), StoryConfig(horizon_seconds=story_seconds)
        )

    @property
    def horizon_seconds(self) -> float:
        """How long decisions (and the routes to them) are kept: the longer horizon."""
        return max(self.dedup.horizon_seconds, self.story.horizon_seconds)

    def routes(self, store: MutableMapping[str, Any]) -> Routes:
        """Routes over `store`, kept as long as the decisions they lead to."""
        return Routes(store, self.horizon_seconds, self.evict_every_seconds)

    def for_shard(self, shard: str) -> PipelineConfig:
        """This configuration for a shard (a language): its cue rules (cluster.CUE_RULES)."""
        return replace(self, story=self.story.for_language(shard))


def sent_as(article: Article) -> str:
    """What tells a redelivery from another item sent under the same id: a hash of its
    version, status, headline and body (a decision keeps it). A kill notice (`canceled`) or a
    new headline under a known id is not a redelivery either."""
    what = f"{article.version}\n{article.pubstatus}\n{article.headline}\n{article.fingerprint}"
    return xxhash.xxh64_hexdigest(what.encode())


class Shards:
    """One pipeline per shard, made on the shard's first article, from `make(shard)`; and,
    offline, the routes that choose the shard (the worker keeps its own: Worker._routes)."""

    def __init__(self, make: Callable[[str], Pipeline], routes: Routes | None = None) -> None:
        self._make = make
        self._pipelines: dict[str, Pipeline] = {}
        self.routes = routes or PipelineConfig().routes({})

    @classmethod
    def in_memory(cls, config: PipelineConfig | None = None) -> Shards:
        """Shards over plain dicts (`wirefeed label`, evaluations, tests)."""
        made = config or PipelineConfig()
        return cls(lambda shard: Pipeline({}, {}, {}, made.for_shard(shard)), made.routes({}))

    def __call__(self, shard: str) -> Pipeline:
        pipeline = self._pipelines.get(shard)
        if pipeline is None:
            pipeline = self._pipelines[shard] = self._make(shard)
        return pipeline

    def made(self) -> dict[str, Pipeline]:
        """The pipelines made so far, by shard."""
        return dict(self._pipelines)

    def clear(self) -> None:
        """Forget the pipelines (their caches are rebuilt from the stores when next made)."""
        self._pipelines.clear()


class Pipeline:
    """The decision stages over three stores: dedup index, story index, decisions made.

    Deciding is idempotent per article id: an article seen again (a redelivery after a
    restart) gets the decision already made, flagged as a replay, and changes no state.
    """

    def __init__(
        self,
        dedup_store: MutableMapping[str, Any],
        story_store: MutableMapping[str, Any],
        decisions: MutableMapping[str, Any],
        config: PipelineConfig | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.config = config or PipelineConfig()
        # An injected monotonic clock, when the caller wants stage timings (the worker does).
        self._clock = clock or (lambda: 0.0)
        self.timings: dict[str, float] = {}
        self._evicted_at: float | None = None
        self.dedup = DedupIndex(dedup_store, self.config.dedup)
        # A fold's record lasts as long as the decisions do: the story of a late copy's
        # original, or of an article seen again, is read from its decision through it.
        self.stories = StoryIndex(story_store, self.config.story, self.config.horizon_seconds)
        self.decisions = decisions
        self._decided = Stamps()
        self._stamp_decisions()

    def rebuild(self) -> None:
        """Recreate derived caches after the stores were restored."""
        self.dedup.rebuild()
        self.stories.rebuild()
        self._stamp_decisions()

    def _stamp_decisions(self) -> None:
        self._decided.clear()
        for key, memo in list(self.decisions.items()):
            self._decided.set(key, float(memo["t"]))

    def decide(self, article: Article, now: float) -> tuple[Decision, bool]:
        """Decide one article at time `now`; returns the decision and whether it is a replay.

        The same id with the same text is a redelivery (its decision again, a replay). The
        same id with another text is not: a producer sent a new version of the item under its
        id (a CMS pushing raw records with or without a higher `version`). Dropped as a
        redelivery, the update would be lost; it is decided as an article of its own,
        `<id>#<hash>` (its decision's article carries that id; `sent_as`), and the guid (the
        id, when the record has no uri) makes it a version of the first. Decisions stored
        before the eleventh session keep no hash: an id of theirs is taken as a redelivery."""
        known = self.decisions.get(article.id)
        sent = sent_as(article)
        if known is not None and known.get("sent", sent) != sent:
            article = replace(article, id=f"{article.id}#{sent[:12]}")
            known = self.decisions.get(article.id)
        if known is not None:
            return self._restore(article, known), True
        # State past the horizons goes at fixed points of the clock (every
        # `evict_every_seconds` from 0), as of that point, offline and in the worker alike:
        # a pipeline made anew from the tables at any moment then forgets what one that never
        # stopped forgets (the stages also treat what is past a horizon as gone before it is
        # evicted).
        point = eviction_point(now, self.config.evict_every_seconds, self._evicted_at)
        if point is not None:
            self._evicted_at = point
            self.evict(point)
        started = self._clock()
        dedup = self.dedup.find_duplicate(article, now)
        self.dedup.remember(article, dedup, now)
        deduped = self._clock()
        if dedup.is_duplicate and dedup.duplicate_of is not None:
            # The original's decision outlives its story link (the dedup horizon is the
            # longer): a late copy still gets the story its original is in, as tagged or as
            # an editor's split or move put it (`moved_to`); follow() resolves folds.
            original = self.decisions.get(dedup.duplicate_of)
            story = self.stories.follow(
                article, dedup.duplicate_of, now, _story_in(original) if original else None
            )
        elif dedup.kind == "version" and dedup.duplicate_of is not None:
            # A version continues its item's story (an editor's move of the item included).
            previous = self.decisions.get(dedup.duplicate_of)
            story = self.stories.assign_story(
                article, now, dedup.duplicate_of, _story_in(previous) if previous else None
            )
        else:
            # Not the stories of articles written alike that tell other events (a template's).
            others = [self.decisions.get(other_id) for other_id in dedup.other_events]
            apart = [_story_in(other) for other in others if other is not None]
            story = self.stories.assign_story(article, now, apart=apart)
        self.timings = {"dedup": deduped - started, "cluster": self._clock() - deduped}
        decision = Decision(article, dedup, story)
        memo: dict[str, Any] = {
            "kind": dedup.kind,
            "duplicate_of": dedup.duplicate_of,
            "score": dedup.score,
            "story": story.story_id,
            "story_event": story.event,
            "story_score": story.score,
            "t": now,
            "sent": sent,
        }
        if story.merged_from:
            memo["merged_from"] = list(story.merged_from)
        if dedup.evidence:
            # A record sent again from the memo (a replayed dead letter) says why, as the
            # first did.
            memo["evidence"] = dedup.evidence
        # Assigned once, complete: a table changelogs assignments, not mutations.
        self.decisions[article.id] = memo
        self._decided.set(article.id, now)
        return decision, False

    def correct(self, command: StoryCommand, now: float) -> tuple[Correction, bool]:
        """Apply an editor's story command at time `now`; returns what it did and whether it
        is a replay (a command id already applied: nothing changes again). Raises Rejected
        when it cannot apply, and for a command id refused before (`again`: it stays refused).

        The decisions of the articles a split or move names, and of their copies, record the
        story their links now point to (`moved_to`): a decision outlives its story link, and
        a late copy or a repeat reads it. Done on a replay too (it rewrites nothing then,
        unless a crash came between the command and these writes)."""
        correction, replay = self.stories.correct(command, now)
        for original in correction.articles:
            for article_id in (original, *self.stories.copies(original)):
                link = self.stories.store.get(ARTICLE + article_id)
                memo = self.decisions.get(article_id)
                if link is not None and memo is not None and _story_in(memo) != link[0]:
                    self.decisions[article_id] = {**memo, "moved_to": link[0]}
        return correction, replay

    def mark_emitted(self, article_id: str, memo: Mapping[str, Any], now: float) -> None:
        """Record that the broker took an article's outputs: a redelivery publishes nothing."""
        # The memo as stored now: a command applied meanwhile may have moved the article.
        memo = self.decisions.get(article_id) or memo
        kept = {key: value for key, value in memo.items() if key != "taken"}
        self.decisions[article_id] = {**kept, "emitted": True, "t": now}
        self._decided.set(article_id, now)

    def mark_taken(self, article_id: str, memo: Mapping[str, Any], outputs: Iterable[str]) -> None:
        """Record which of an article's outputs the broker took before refusing another: its
        replayed dead letter sends only the rest."""
        memo = self.decisions.get(article_id) or memo
        self.decisions[article_id] = {**memo, "taken": sorted(outputs)}

    def _restore(self, article: Article, known: dict[str, Any]) -> Decision:
        """The decision of an article seen again, in the story it is in now: its link's (an
        editor's split or move rewrites it), else its decision's, through any fold since."""
        link = self.stories.store.get(ARTICLE + article.id)
        story_id = self.stories.resolve(link[0] if link is not None else _story_in(known))
        event, merged_from = known["story_event"], tuple(known.get("merged_from", ()))
        if story_id != self.stories.resolve(known["story"]):
            # Moved by an editor since: a repeat in a story it neither opened nor folded
            # anything into (the folds it made went to the story it left).
            event, merged_from = "updated", ()
        elif event == "created" and story_id != known["story"]:
            event = "updated"  # its story was folded into this one
        return Decision(
            article,
            DedupDecision(
                known["kind"], known["duplicate_of"], known["score"], known.get("evidence", {})
            ),
            StoryDecision(
                story_id,
                event,
                known["story_score"],
                merged_from,
                # Not kept in the memo: the story still holds it.
                self.stories.title(story_id),
            ),
        )

    def evict(self, now: float) -> int:
        """Forget what is older than the horizons; returns how many entries went."""
        expired = self._decided.expired(now, self.config.horizon_seconds)
        for key in expired:
            if key in self.decisions:
                del self.decisions[key]
        return len(expired) + self.dedup.evict(now) + self.stories.evict(now)


def _story_in(memo: Mapping[str, Any]) -> str:
    """The story a decision says its article is in: as tagged, or where an editor's split or
    move put it (a fold may have made it another since: StoryIndex.resolve)."""
    return str(memo.get("moved_to", memo["story"]))


def label_records(
    records: Iterable[Mapping[str, Any] | bytes | Rejected],
    shards: Shards,
    max_bytes: int | None = None,
    latest: float | None = None,
    feed: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Decide records in order, one output per input; rejects say why instead of a story.
    A record `{"command": {...}}` is an editor's story command (see StoryCommand); its output
    is the story event it makes.
    A record may be a raw line (bytes: read as the worker reads wire.raw, `max_bytes` at
    most); each article goes to its shard's pipeline, routed as the worker routes it
    (`shards.routes`; `feed`: the feed every record came from, as a producer keys it, else
    each record's own partition key), and an input a stage fails on is rejected as
    `internal_error` (the worker dead-letters it) without stopping the rest.

    Time comes from the articles: each is placed at the time of its version (`event_time`),
    or at the latest time seen so far when it has none or when its time is after `latest`
    (the caller's wall clock with some slack: nothing is published in the future).
    A Rejected among the records is an input its producer's reader refused: answered as
    rejected, in its place.
    """
    now = 0.0
    for record in records:
        raw: Mapping[str, Any] = {}
        try:
            if isinstance(record, Rejected):
                raise record
            raw = (
                parse_record(record, max_bytes=max_bytes or len(record))
                if isinstance(record, bytes)
                else record
            )
            if raw.keys() == {"command"}:  # an editor's command, applied at the latest time
                command = StoryCommand.from_dict(raw["command"])
                correction, _ = shards(command.shard).correct(command, now)
                yield correction.to_dict()
                continue
            article = normalise_article(raw)
            decided_at = max(now, event_time(article, now, latest))
            article = shards.routes.route(raw, article, partition_key(raw, feed), decided_at)
            decision, _ = shards(shard_of(article)).decide(article, decided_at)
        except Rejected as exc:
            yield _rejected(raw, exc.reason.value, exc.detail)
            continue
        except Exception as exc:  # a bug must not stop the rest: as the worker does
            yield _rejected(raw, RejectReason.INTERNAL_ERROR.value, repr(exc))
            continue
        now = decided_at
        yield decision.label()


def _rejected(record: Mapping[str, Any], reason: str, detail: str) -> dict[str, Any]:
    command = record.get("command") if record.keys() == {"command"} else None
    return {
        "id": command.get("id") if isinstance(command, dict) else record.get("id"),
        "duplicate_of": None,
        "story": None,
        "rejected": reason,
        "detail": detail,
    }
