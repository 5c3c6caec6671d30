"""`wirefeed bench dedup`: dedup cost per article with 1k, 10k and 100k articles in the index."""

from __future__ import annotations

import gc
import itertools
import os
import pickle
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
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


def _prepare(
    size: int, batch: int, seed: int
) -> tuple[dict[str, object], DedupIndex, list[Article], float]:
    """An index filled with `size` articles, the batch to measure against it, and the
    traced memory of the fill in bytes."""
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
    # The bodies kept for the batch's copies are the benchmark's, not the index's.
    memory = tracemalloc.get_traced_memory()[0] - sum(sys.getsizeof(body) for body in kept)
    memory -= sys.getsizeof(kept)
    tracemalloc.stop()
    articles = [maker.article(f"new-{n}") for n in range(batch - len(kept))]
    articles += [
        maker.article(f"copy-{n}", body=body.rsplit("\n\n", 1)[0]) for n, body in enumerate(kept)
    ]
    maker.random.shuffle(articles)
    return store, index, articles, memory


def _measure(size: int, batch: int, seed: int) -> Measurement:
    store, index, articles, memory = _prepare(size, batch, seed)
    store_bytes = sum(len(orjson.dumps(v)) + len(k) for k, v in store.items())
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
            extract_features(article.body, index.config.key_word_length, language=article.language)
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


# valgrind's closing summary: "==123== I   refs:      2,784,656,412" and
# "==123== LL misses:           388,020  (    187,214 rd +     200,806 wr)".
_CALLGRIND_TOTAL = re.compile(r"^==\d+== (I\s+refs|LL misses):\s+([\d,]+)", re.MULTILINE)


def callgrind_totals(report: str) -> dict[str, int]:
    """Instructions executed (`I refs`) and last-level cache misses from valgrind's summary."""
    return {
        " ".join(name.split()): int(count.replace(",", ""))
        for name, count in _CALLGRIND_TOTAL.findall(report)
    }


def counted_batch(state: str) -> None:
    """Inside valgrind (callgrind, instrumentation off): rebuild the index from the pickled
    store, then decide the batch with instrumentation on, so only the batch is counted."""
    with open(state, "rb") as source:
        # Our own file, written a moment ago by `instruction_counts` in a private temp dir.
        store, articles, size = pickle.load(source)  # noqa: S301
    index = DedupIndex(store, DedupConfig())
    control = [shutil.which("callgrind_control") or "callgrind_control"]
    subprocess.run([*control, "-i", "on", str(os.getpid())], check=True, capture_output=True)  # noqa: S603
    for n, article in enumerate(articles):
        now = float(size + n)
        index.remember(article, index.find_duplicate(article, now), now)
    subprocess.run([*control, "-i", "off", str(os.getpid())], check=True, capture_output=True)  # noqa: S603


def instruction_counts(size: int, batch: int, seed: int) -> tuple[float, float]:
    """Instructions and simulated last-level cache misses per article of the measured batch,
    counted by valgrind's callgrind (the index is rebuilt from the store in the counted
    process; the fill runs natively here)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise typer.BadParameter("--instructions needs valgrind (apt install valgrind)")
    store, _, articles, _ = _prepare(size, batch, seed)
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder) / "state.pkl"
        state.write_bytes(pickle.dumps((store, articles, size), protocol=5))
        code = f"from service.benchmarks.dedup import counted_batch; counted_batch({str(state)!r})"
        result = subprocess.run(  # noqa: S603
            [
                valgrind,
                "--tool=callgrind",
                "--instr-atstart=no",
                "--cache-sim=yes",
                f"--callgrind-out-file={folder}/callgrind.out",
                sys.executable,
                "-c",
                code,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    totals = callgrind_totals(result.stderr)
    return totals["I refs"] / len(articles), totals["LL misses"] / len(articles)


@bench_app.command("dedup")
def bench_dedup(
    sizes: Annotated[str, typer.Option(help="index sizes, comma-separated")] = "1000,10000,100000",
    batch: Annotated[int, typer.Option(help="articles decided per measurement")] = 1000,
    seed: Annotated[int, typer.Option(help="seed of the synthetic articles")] = 11,
    instructions: Annotated[
        bool,
        typer.Option(
            help="instead of timing: count instructions and simulated last-level cache misses"
            " per article with valgrind's callgrind (minutes per size)"
        ),
    ] = False,
) -> None:
    """Per-article find_duplicate + remember cost against a pre-filled index (one core):
    mean, median and 95th percentile of one measured batch; then, for the same batch, the
    time to tokenise each article again (no index work), LSH candidates and full comparisons
    per query, and garbage collections during the batch with their total time.
    `--instructions` counts the batch's work instead (valgrind), which the memory hierarchy
    does not blur."""
    if instructions:
        typer.echo(f"{'in index':>10}{'instructions/article':>22}{'LL misses/article':>19}")
        for size in (int(s) for s in sizes.split(",")):
            counted, misses = instruction_counts(size, batch, seed)
            typer.echo(f"{size:>10}{counted:>22,.0f}{misses:>19,.0f}")
        return
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
