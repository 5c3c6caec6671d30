"""Dedup: decide online whether an article copies one seen within the horizon, and how.

State is a key-value store (a dict in tests, a Faust table in production). Values are
JSON-able and always re-assigned, never mutated in place, so every change reaches the
changelog. The MinHash LSH index (rensa) is a cache derived from the store: `rebuild()`
recreates it after a restart or rebalance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from rensa import RMinHash, RMinHashLSH

from service.models import Article, DedupDecision

_WORD = re.compile(r"\w+", re.UNICODE)
DOC = "doc:"
FINGERPRINT = "fp:"
GUID = "guid:"


@dataclass(frozen=True, slots=True)
class DedupConfig:
    horizon_seconds: float = 5 * 24 * 3600.0
    num_perm: int = 128
    num_bands: int = 32
    lsh_threshold: float = 0.3
    seed: int = 1
    # Word-set Jaccard at or above which a candidate is a copy.
    duplicate_jaccard: float = 0.4
    # Shingle (5-word) Jaccard at or above which a copy is a near copy, not a rewrite.
    near_copy_shingles: float = 0.5


def content_words(text: str) -> list[str]:
    """Lower-cased word tokens (Unicode-aware, no language assumptions)."""
    return _WORD.findall(text.lower())


def shingles(words: list[str], size: int = 5) -> set[str]:
    return {" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))}


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


class DedupIndex:
    """Candidate retrieval and verification over a changelog-backed store."""

    def __init__(self, store: MutableMapping[str, Any], config: DedupConfig | None = None) -> None:
        self.store = store
        self.config = config or DedupConfig()
        self._lsh = RMinHashLSH(self.config.lsh_threshold, self.config.num_perm, self.config.num_bands)
        self._keys: dict[int, str] = {}
        self._ids: dict[str, int] = {}
        self.rebuild()

    def _minhash(self, words: Iterable[str]) -> RMinHash:
        minhash = RMinHash(num_perm=self.config.num_perm, seed=self.config.seed)
        minhash.update(list(set(words)))
        return minhash

    def _index(self, article_id: str, words: Iterable[str]) -> None:
        key = len(self._keys) + 1 if not self._keys else max(self._keys) + 1
        self._keys[key] = article_id
        self._ids[article_id] = key
        self._lsh.insert(key, self._minhash(words))

    def rebuild(self) -> None:
        """Recreate the in-memory LSH cache from the store."""
        self._lsh = RMinHashLSH(self.config.lsh_threshold, self.config.num_perm, self.config.num_bands)
        self._keys.clear()
        self._ids.clear()
        for key, value in list(self.store.items()):
            if key.startswith(DOC):
                self._index(key[len(DOC) :], value["words"])

    def find_duplicate(self, article: Article, now: float) -> DedupDecision:
        """The earliest live article this one copies, with the kind of copy; or unique."""
        previous = self.store.get(GUID + article.guid)
        if previous is not None and previous[0] != article.id and article.version > previous[1]:
            return DedupDecision("version", previous[0], 1.0)
        exact = self.store.get(FINGERPRINT + article.fingerprint)
        if exact is not None and exact != article.id and self._live(exact, now):
            return DedupDecision("exact", exact, 1.0)
        words = content_words(f"{article.headline}\n{article.body}")
        best: tuple[float, str] | None = None
        for key in self._lsh.query(self._minhash(words)):
            candidate_id = self._keys.get(key)
            if candidate_id is None or candidate_id == article.id or not self._live(candidate_id, now):
                continue
            doc = self.store[DOC + candidate_id]
            score = jaccard(words, doc["words"])
            if score >= self.config.duplicate_jaccard and (best is None or score > best[0]):
                best = (score, candidate_id)
        if best is None:
            return DedupDecision(None, None, 0.0)
        score, original = best
        body_words = content_words(article.body)
        original_body = self.store[DOC + original]["body_words"]
        shingle_score = jaccard(shingles(body_words), shingles(original_body))
        kind = "near_copy" if shingle_score >= self.config.near_copy_shingles else "rewrite"
        return DedupDecision(kind, original, score, {"shingle_jaccard": shingle_score})

    def _live(self, article_id: str, now: float) -> bool:
        doc = self.store.get(DOC + article_id)
        return doc is not None and now - doc["t"] <= self.config.horizon_seconds

    def remember(self, article: Article, decision: DedupDecision, now: float) -> None:
        """Record an article that is not a hidden copy, so later arrivals can match it."""
        self.store[GUID + article.guid] = [article.id, article.version]
        if decision.is_duplicate:
            return
        words = sorted(set(content_words(f"{article.headline}\n{article.body}")))
        self.store[DOC + article.id] = {
            "t": now,
            "words": words,
            "body_words": content_words(article.body),
        }
        self.store.setdefault(FINGERPRINT + article.fingerprint, article.id)
        self._index(article.id, words)

    def evict(self, now: float) -> int:
        """Forget articles older than the horizon; returns how many were removed."""
        expired = [
            key
            for key, value in list(self.store.items())
            if key.startswith(DOC) and now - value["t"] > self.config.horizon_seconds
        ]
        for key in expired:
            article_id = key[len(DOC) :]
            del self.store[key]
            index_key = self._ids.pop(article_id, None)
            if index_key is not None:
                self._keys.pop(index_key, None)
                self._lsh.remove(index_key)
        return len(expired)
