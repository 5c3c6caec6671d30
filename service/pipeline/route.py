"""Routing: the shard each article is decided in; shared by `wirefeed label` and the worker.

Articles that may be copies of each other or share a story must meet in one shard, whose
pipeline holds the state they are compared with. The shard is the article's language (the
codes of one language as one: `hr`, `sr` and `bs` meet in `sh`), with two corrections kept
in a store per feed (the raw record's partition key):

- every version and redelivery of an item (its guid) goes where the item's first copy went,
  so that it is linked to it and tagged with its story, whatever language the model finds in
  its new text;
- an item whose language is only the model's guess (none declared, and `und` or a few words:
  `normalise.language_guessed`) takes the language of its feed when the feed plainly carries
  one: at least LANGUAGE_SHARE of its last LANGUAGE_WINDOW items of a known language.

The store forgets an entry a horizon after it was last written (the decisions' horizon:
a redelivery must still find the shard its decision is in), at fixed points of the clock as
the pipeline does. Per article: one read and one small write (an item seen before), two
reads and one write (a new item; its feed's languages are written again when they change,
else once a minute).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import replace
from typing import Any

import orjson

from service.languages import shard_language
from service.models import Article
from service.pipeline.normalise import UNDETERMINED_LANGUAGE, language_guessed
from service.pipeline.stamps import Stamps, eviction_point

# A feed's language: that of at least this share of its last items of a known language...
LANGUAGE_SHARE = 0.9
LANGUAGE_WINDOW = 20
# ...once it has had this many (a feed's first items say little of it).
LANGUAGE_LEAST = 5


def shard_of(article: Article) -> str:
    """The shard of an article as routed: its language (a translation round trip comes back
    in the original language), folded with the codes of the same language (`hr`, `sr`, `bs`
    -> `sh`: `languages.shard_language`). Each shard has its own pipeline and state, in the
    worker and in `wirefeed label` alike."""
    return shard_language(article.language or UNDETERMINED_LANGUAGE)


def feed_language(languages: Sequence[str]) -> str | None:
    """The language a feed plainly carries, from its items' languages (oldest first), if
    any: that of at least LANGUAGE_SHARE of the last LANGUAGE_WINDOW, once there are
    LANGUAGE_LEAST."""
    recent = languages[-LANGUAGE_WINDOW:]
    if len(recent) < LANGUAGE_LEAST:
        return None
    language, count = Counter(recent).most_common(1)[0]
    return language if count >= LANGUAGE_SHARE * len(recent) else None


def _item_key(feed: str, guid: str) -> str:
    # JSON: a feed name or a guid may hold any separator.
    return orjson.dumps([feed, guid]).decode()


def _feed_key(feed: str) -> str:
    return orjson.dumps([feed]).decode()


class Routes:
    """The shard of each article, over a store: a dict offline, a Faust table in the worker
    (there, one Routes per wire.raw partition, whose feeds' entries all live in it).

    Entries: per (feed, guid), the shard the item went to; per feed, the languages of its
    last items (their first copies) of a known language. Each holds `t`, when last written.
    """

    def __init__(
        self,
        store: MutableMapping[str, Any],
        horizon_seconds: float,
        evict_every_seconds: float = 60.0,
    ) -> None:
        self.store = store
        self.horizon_seconds = horizon_seconds
        self.evict_every_seconds = evict_every_seconds
        self._stamps = Stamps()
        self._evicted_at: float | None = None
        self.rebuild()

    def rebuild(self) -> None:
        """Recreate the write times from the store (after it was restored)."""
        self._stamps.clear()
        for key, value in list(self.store.items()):
            self._stamps.set(key, float(value["t"]))

    def route(
        self, record: Mapping[str, Any], article: Article, feed: str | None, now: float
    ) -> Article:
        """The article as decided, at time `now`: its `language` is of its shard (`shard_of`).
        `record` is the input it was normalised from; `feed` the record's partition key (None:
        none, and nothing is remembered). An item seen before goes where its first copy went;
        a new one whose language is a guess takes its feed's language, if plain."""
        if feed is None:
            return article
        self._evict(now)
        item = _item_key(feed, article.guid)
        known = self._live(item, now)
        if known is not None:
            shard = str(known["shard"])
        else:
            shard = shard_of(article)
            key = _feed_key(feed)
            seen = self._live(key, now)
            languages = list(seen["languages"]) if seen is not None else []
            if language_guessed(record, article):
                shard = feed_language(languages) or shard
            else:
                languages = [*languages, shard][-LANGUAGE_WINDOW:]
                self._write(key, {"languages": languages}, now, seen)
        self._write(item, {"shard": shard}, now, known)
        # The article keeps the code it was declared with when that is its shard's (`hr` in
        # `sh`).
        return article if shard == shard_of(article) else replace(article, language=shard)

    def _live(self, key: str, now: float) -> Any:
        """An entry, unless it is past the horizon (gone, though not yet evicted)."""
        value = self.store.get(key)
        if value is None or now - float(value["t"]) > self.horizon_seconds:
            return None
        return value

    def _write(self, key: str, value: dict[str, Any], now: float, before: Any) -> None:
        """Write an entry, unless it would be as `before` was, written less than an
        eviction interval ago (a one-language feed's languages, an item's redelivery): a
        table write is a changelog record too. It then lasts a little less, by that much."""
        if (
            before is not None
            and now - float(before["t"]) < self.evict_every_seconds
            and all(before.get(name) == part for name, part in value.items())
        ):
            return
        stamp = max(now, self._stamps.get(key))
        # Assigned whole: a table changelogs assignments, not mutations.
        self.store[key] = {**value, "t": stamp}
        self._stamps.set(key, stamp)

    def _evict(self, now: float) -> None:
        """Forget entries past the horizon, as of the last fixed point of the clock (every
        `evict_every_seconds` from 0), as Pipeline.decide does."""
        point = eviction_point(now, self.evict_every_seconds, self._evicted_at)
        if point is None:
            return
        self._evicted_at = point
        for key in self._stamps.expired(point, self.horizon_seconds):
            if key in self.store:
                del self.store[key]
