"""A large seed-like article stream with a controlled share of exact resends and near copies."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
_CONTENT_WORD = re.compile(r"\b[A-Za-z]{4,}\b")
# Originals get this share of their content words replaced, so two articles made from the same
# seed share few words and no run of five: distinct articles, not copies.
SUBSTITUTE_SHARE = 0.85
_SUFFIXES = ("", "s", "ed", "er", "ing", "ion", "al", "ist", "ity", "ment", "ness", "ward")
FEEDS = 8
RECENT_ORIGINALS = 500


@dataclass(frozen=True, slots=True)
class StreamItem:
    id: str
    payload: bytes
    kind: str  # "original" | "exact" | "near_copy": what the generator made, not a verdict


def _seed_paragraphs(folder: Path) -> list[list[str]]:
    seeds = []
    for path in sorted(folder.glob("*.txt")):
        paragraphs = [p.strip() for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]
        if paragraphs:
            seeds.append(paragraphs)
    if not seeds:
        raise ValueError(f"no .txt seeds in {folder}")
    return seeds


class StreamMaker:
    """Seeded: the same arguments give the same stream, byte for byte."""

    def __init__(self, seed: int = 7, folder: Path = SEEDS) -> None:
        self.random = random.Random(seed)
        self.seeds = _seed_paragraphs(folder)
        # Real English words from every seed, so language id and tokenising see wire copy.
        words = sorted({w.lower() for s in self.seeds for p in s for w in _CONTENT_WORD.findall(p)})
        # ...and English-looking derivations of them, so unrelated articles rarely share words
        # (the whole seed vocabulary is only ~1,500 words).
        self.vocabulary = [w + suffix for w in words for suffix in _SUFFIXES]

    def _original_text(self) -> str:
        rng = self.random
        paragraphs = list(rng.choice(self.seeds))
        head, rest = paragraphs[:1], paragraphs[1:]
        rng.shuffle(rest)
        # Seed-sized (3-7 KB): keep most paragraphs, sometimes add another seed's.
        keep = max(1, int(len(rest) * rng.uniform(0.75, 1.0)))
        body = head + rest[:keep]
        if rng.random() < 0.3:
            other = rng.choice(self.seeds)
            body += rng.sample(other[1:], min(3, len(other) - 1))
        mapping: dict[str, str] = {}

        def substitute(match: re.Match[str]) -> str:
            word = match.group(0)
            if rng.random() >= SUBSTITUTE_SHARE:
                return word
            new = mapping.get(word) or rng.choice(self.vocabulary)
            mapping.setdefault(word, new)
            return new.capitalize() if word[0].isupper() else new.lower()

        return "\n".join(_CONTENT_WORD.sub(substitute, p) for p in body)

    def _near_copy(self, text: str) -> str:
        """An edited copy: last paragraph cut, a few words changed, a credit line added."""
        rng = self.random
        paragraphs = text.split("\n")
        if len(paragraphs) > 4:
            paragraphs = paragraphs[:-1]
        words = paragraphs[-1].split(" ")
        for _ in range(3):
            words[rng.randrange(len(words))] = rng.choice(self.vocabulary)
        paragraphs[-1] = " ".join(words)
        return "\n".join([*paragraphs, "(The Canadian Press)"])

    def items(self, count: int, duplicate_share: float, prefix: str = "b") -> Iterator[StreamItem]:
        """`count` records; about `duplicate_share` of them are copies of a recent original,
        half exact resends (new id, same text), half near copies."""
        rng = self.random
        originals: list[tuple[str, str]] = []
        start = datetime(2025, 8, 1, tzinfo=UTC).timestamp()
        for number in range(count):
            article_id = f"{prefix}{number}"
            roll = rng.random()
            if originals and roll < duplicate_share:
                source_text, title = rng.choice(originals[-RECENT_ORIGINALS:])
                kind = "exact" if roll < duplicate_share / 2 else "near_copy"
                text = source_text if kind == "exact" else self._near_copy(source_text)
            else:
                kind, text = "original", self._original_text()
                title = " ".join(text.split(" ", 9)[:9])
                originals.append((text, title))
            published = datetime.fromtimestamp(start + number * 20, UTC).isoformat()
            record = {
                "id": article_id,
                "uri": f"urn:bench:{article_id}",
                "version": 1,
                "title": title,
                "text": text,
                "published": published,
                "source": f"bench-feed-{number % FEEDS}",
            }
            yield StreamItem(article_id, orjson.dumps(record), kind)


def make_stream(
    count: int, duplicate_share: float, seed: int = 7, prefix: str = "b"
) -> list[StreamItem]:
    return list(StreamMaker(seed).items(count, duplicate_share, prefix))
