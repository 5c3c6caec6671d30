"""`wirefeed bench dedup`: dedup cost per article with 1k, 10k and 100k articles in the index."""

from __future__ import annotations

import gc
import itertools
import random
import statistics
import time
import tracemalloc
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
import typer

from service.benchmarks import bench_app
from service.models import Article
from service.pipeline.dedup import DedupConfig, DedupIndex, extract_features
from service.pipeline.normalise import fingerprint

_SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "to",
    "vi",
    "dar",
    "pel",
    "gon",
    "tir",
    "ban",
    "ces",
)


def vocabulary(size: int, seed: int = 3) -> list[str]:
    """Pseudo-words, short ones first: drawn with Zipf weights they share function words the
    way real articles do."""
    rng = random.Random(seed)
    words: set[str] = {"the", "a", "of", "to", "in", "and", "said", "on", "for", "was", "with"}
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))))
    return sorted(words, key=lambda w: (len(w), w))


class ArticleMaker:
    """Synthetic articles: Zipf-distributed words, a few names and numbers per paragraph."""

    def __init__(self, seed: int, vocabulary_size: int = 30_000) -> None:
        self.random = random.Random(seed)
        self.words = vocabulary(vocabulary_size)
        self.cumulative = list(
            itertools.accumulate(1 / (rank + 1) for rank in range(len(self.words)))
        )

    def text(self, paragraphs: int = 8) -> str:
        out = []
        for _ in range(paragraphs):
            sentences = []
            for _ in range(self.random.randint(2, 3)):
                words = self.random.choices(
                    self.words, cum_weights=self.cumulative, k=self.random.randint(14, 26)
                )
                words[0] = words[0].capitalize()
                words[self.random.randrange(1, len(words))] = str(self.random.randint(2, 2000))
                words[self.random.randrange(1, len(words))] = self.random.choice(self.words).title()
                sentences.append(" ".join(words) + ".")
            out.append(" ".join(sentences))
        return "\n\n".join(out)

    def article(self, article_id: str, body: str | None = None, headline: str = "") -> Article:
        body = body or self.text()
        return Article(
            id=article_id,
            guid=article_id,
            version=1,
            headline=headline or body[:80],
            body=body,
            language="en",
            fingerprint=fingerprint(body),
        )


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measured batch. Besides the timings, the figures that show whether per-article
    work grows with the index: LSH candidates and full comparisons per query, and the garbage
    collector's work during the batch. `tokenise_us` times feature extraction of the same
    article right after its measured call: work that never touches the index, so a rise in it
    is the memory hierarchy (a larger heap and index evicting caches), not dedup work."""

    times: list[float]
    tokenise_us: float
    candidates: float
    verified: float
    gc_collections: int
    gc_ms: float
    memory: float
    store_bytes: float


class _CollectorWatch:
    """Counts cyclic garbage collections and their time while installed in gc.callbacks."""

    def __init__(self) -> None:
        self.collections = 0
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.collections += 1
            self.seconds += time.perf_counter() - self._started


def _measure(size: int, batch: int, seed: int) -> Measurement:
    maker = ArticleMaker(seed)
    store: dict[str, object] = {}
    # Half the measured batch re-publishes indexed articles (last paragraph cut), so the
    # figure includes verification, not only retrieval.
    sources = set(maker.random.sample(range(size), batch // 2))
    kept: list[str] = []
    tracemalloc.start()
    index = DedupIndex(store, DedupConfig())
    for n in range(size):
        article = maker.article(f"fill-{n}")
        index.remember(article, index.find_duplicate(article, float(n)), float(n))
        if n in sources:
            kept.append(article.body)
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    store_bytes = sum(len(orjson.dumps(v)) + len(k) for k, v in store.items())
    articles = [maker.article(f"new-{n}") for n in range(batch - len(kept))]
    articles += [
        maker.article(f"copy-{n}", body=body.rsplit("\n\n", 1)[0]) for n, body in enumerate(kept)
    ]
    maker.random.shuffle(articles)
    times = []
    tokenise = 0.0
    queries, candidates, verified = (
        index.counts.queries,
        index.counts.candidates,
        index.counts.verified,
    )
    watch = _CollectorWatch()
    gc.callbacks.append(watch)
    try:
        for n, article in enumerate(articles):
            now = float(size + n)
            started = time.perf_counter()
            index.remember(article, index.find_duplicate(article, now), now)
            ended = time.perf_counter()
            times.append((ended - started) * 1e6)
            extract_features(article.body, index.config.key_word_length)
            tokenise += time.perf_counter() - ended
    finally:
        gc.callbacks.remove(watch)
    queried = max(1, index.counts.queries - queries)
    return Measurement(
        times,
        tokenise / len(articles) * 1e6,
        (index.counts.candidates - candidates) / queried,
        (index.counts.verified - verified) / queried,
        watch.collections,
        watch.seconds * 1e3,
        memory / size,
        store_bytes / size,
    )


@bench_app.command("dedup")
def bench_dedup(
    sizes: Annotated[str, typer.Option(help="index sizes, comma-separated")] = "1000,10000,100000",
    batch: Annotated[int, typer.Option(help="articles decided per measurement")] = 1000,
    seed: Annotated[int, typer.Option(help="seed of the synthetic articles")] = 11,
) -> None:
    """Per-article find_duplicate + remember cost against a pre-filled index (one core):
    mean, median and 95th percentile of one measured batch; then, for the same batch, the
    time to tokenise each article again (no index work), LSH candidates and full comparisons
    per query, and garbage collections during the batch with their total time."""
    typer.echo(
        f"{'in index':>10}{'mean us':>9}{'p50 us':>8}{'p95 us':>8}{'tokenise us':>13}"
        f"{'candidates':>12}{'compared':>10}{'gc runs':>9}{'gc ms':>7}"
        f"{'memory B/article':>18}{'store B/article':>17}"
    )
    for size in (int(s) for s in sizes.split(",")):
        m = _measure(size, batch, seed)
        cuts = statistics.quantiles(m.times, n=20)
        typer.echo(
            f"{size:>10}{statistics.fmean(m.times):>9.1f}{cuts[9]:>8.1f}{cuts[18]:>8.1f}"
            f"{m.tokenise_us:>13.1f}{m.candidates:>12.2f}{m.verified:>10.2f}"
            f"{m.gc_collections:>9}{m.gc_ms:>7.1f}{m.memory:>18.0f}{m.store_bytes:>17.0f}"
        )
