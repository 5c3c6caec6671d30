"""`wirefeed bench dedup`: dedup cost per article with 1k, 10k and 100k articles in the index."""

from __future__ import annotations

import itertools
import random
import statistics
import time
import tracemalloc
from typing import Annotated

import orjson
import typer

from service.benchmarks import bench_app
from service.models import Article
from service.pipeline.dedup import DedupConfig, DedupIndex
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


def _measure(size: int, batch: int, seed: int) -> tuple[list[float], float, float]:
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
    for n, article in enumerate(articles):
        now = float(size + n)
        started = time.perf_counter()
        index.remember(article, index.find_duplicate(article, now), now)
        times.append((time.perf_counter() - started) * 1e6)
    return times, memory / size, store_bytes / size


@bench_app.command("dedup")
def bench_dedup(
    sizes: Annotated[str, typer.Option(help="index sizes, comma-separated")] = "1000,10000,100000",
    batch: Annotated[int, typer.Option(help="articles decided per measurement")] = 1000,
    seed: Annotated[int, typer.Option(help="seed of the synthetic articles")] = 11,
) -> None:
    """Per-article find_duplicate + remember cost against a pre-filled index (one core):
    mean, median and 95th percentile of one measured batch."""
    typer.echo(
        f"{'in index':>10}{'mean us':>9}{'p50 us':>8}{'p95 us':>8}"
        f"{'memory B/article':>18}{'store B/article':>17}"
    )
    for size in (int(s) for s in sizes.split(",")):
        times, memory, store_bytes = _measure(size, batch, seed)
        p50, p95 = statistics.quantiles(times, n=20)[9], statistics.quantiles(times, n=20)[18]
        typer.echo(
            f"{size:>10}{statistics.fmean(times):>9.1f}{p50:>8.1f}{p95:>8.1f}"
            f"{memory:>18.0f}{store_bytes:>17.0f}"
        )
