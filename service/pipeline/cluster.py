"""Cluster: tag each article with a story, online, within a time horizon.

State is a key-value store (dict in tests, Faust table in production); values are JSON-able
and re-assigned, never mutated in place. Candidate stories come from an inverted index of
each story's strongest terms, so the cost per article does not grow with the number of stories.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import xxhash

from service.models import Article, StoryDecision

_WORD = re.compile(r"\w+", re.UNICODE)
STORY = "story:"
TERM = "term:"
ARTICLE = "article:"


@dataclass(frozen=True, slots=True)
class StoryConfig:
    horizon_seconds: float = 3 * 24 * 3600.0
    threshold: float = 0.3
    top_terms: int = 30
    max_candidates: int = 50
    min_token_length: int = 3


def story_id_for(article_id: str) -> str:
    """Stable story id: derived from the article that opened the story."""
    return "st-" + xxhash.xxh64_hexdigest(article_id.encode())[:12]


def term_vector(article: Article, config: StoryConfig) -> dict[str, float]:
    """Log-scaled term weights; headline terms count double."""
    counts: Counter[str] = Counter()
    for text, weight in ((article.headline, 2), (article.body, 1)):
        for token in _WORD.findall(text.lower()):
            if len(token) >= config.min_token_length:
                counts[token] += weight
    return {term: 1.0 + math.log(count) for term, count in counts.items()}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(weight * b.get(term, 0.0) for term, weight in a.items())
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


def _top(vector: dict[str, float], n: int) -> dict[str, float]:
    return dict(sorted(vector.items(), key=lambda item: (-item[1], item[0]))[:n])


class StoryIndex:
    """Online story assignment over a changelog-backed store."""

    def __init__(self, store: MutableMapping[str, Any], config: StoryConfig | None = None) -> None:
        self.store = store
        self.config = config or StoryConfig()

    def rebuild(self) -> None:
        """Nothing is cached outside the store."""

    def _candidates(self, vector: dict[str, float], now: float) -> list[str]:
        seen: Counter[str] = Counter()
        for term in _top(vector, self.config.top_terms):
            for story_id in self.store.get(TERM + term, ()):
                seen[story_id] += 1
        live = []
        for story_id, _ in seen.most_common(self.config.max_candidates):
            story = self.store.get(STORY + story_id)
            if story is not None and now - story["t"] <= self.config.horizon_seconds:
                live.append(story_id)
        return live

    def assign_story(self, article: Article, now: float) -> StoryDecision:
        """Join the most similar live story, or open a new one."""
        vector = term_vector(article, self.config)
        best: tuple[float, str] | None = None
        for story_id in self._candidates(vector, now):
            score = cosine(vector, self.store[STORY + story_id]["centroid"])
            if score >= self.config.threshold and (best is None or score > best[0]):
                best = (score, story_id)
        if best is None:
            story_id = story_id_for(article.id)
            self._update(story_id, vector, now, created=True)
            decision = StoryDecision(story_id, "created", 0.0)
        else:
            self._update(best[1], vector, now, created=False)
            decision = StoryDecision(best[1], "updated", best[0])
        self.store[ARTICLE + article.id] = decision.story_id
        return decision

    def follow(self, article: Article, original_id: str, now: float) -> StoryDecision:
        """A copy belongs to its original's story."""
        story_id = self.store.get(ARTICLE + original_id)
        if story_id is None:
            return self.assign_story(article, now)
        self.store[ARTICLE + article.id] = story_id
        story = self.store.get(STORY + story_id)
        if story is not None:
            self.store[STORY + story_id] = {**story, "t": max(story["t"], now), "n": story["n"] + 1}
        return StoryDecision(story_id, "updated", 1.0)

    def _update(self, story_id: str, vector: dict[str, float], now: float, *, created: bool) -> None:
        story = self.store.get(STORY + story_id)
        if story is None:
            centroid, n, old_top = vector, 1, {}
        else:
            n = story["n"] + 1
            merged = dict(story["centroid"])
            for term, weight in vector.items():
                merged[term] = merged.get(term, 0.0) + weight
            centroid = _top(merged, 400)
            old_top = _top(story["centroid"], self.config.top_terms)
        self.store[STORY + story_id] = {"centroid": centroid, "n": n, "t": now}
        for term in _top(centroid, self.config.top_terms):
            if term not in old_top:
                members = self.store.get(TERM + term, [])
                if story_id not in members:
                    self.store[TERM + term] = [*members, story_id][-self.config.max_candidates :]

    def evict(self, now: float) -> int:
        expired = [
            key
            for key, value in list(self.store.items())
            if key.startswith(STORY) and now - value["t"] > self.config.horizon_seconds
        ]
        for key in expired:
            del self.store[key]
        return len(expired)
