"""`wirefeed bench normalise`: normalise throughput on one core over a seed-like dirty corpus."""

from __future__ import annotations

import html
import random
import textwrap
import time
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer

from service.benchmarks import bench_app
from service.models import Rejected
from service.pipeline.normalise import normalise_article

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
# Share of each kind of damage in the corpus: most wire copy arrives clean.
KINDS = {"clean": 0.5, "mojibake": 0.2, "html": 0.15, "wrapped": 0.15}


def _seed_texts(folder: Path) -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.txt"))]
    if not texts:
        raise typer.BadParameter(f"no .txt seeds in {folder}")
    return texts


def _variant(text: str, rng: random.Random) -> str:
    """A different article of the same shape: paragraphs reordered and some dropped, so no
    two corpus entries are byte-identical."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    head, rest = paragraphs[:1], paragraphs[1:]
    rng.shuffle(rest)
    keep = max(1, int(len(rest) * rng.uniform(0.7, 1.0)))
    return "\n".join(head + rest[:keep])


def _damage(text: str, kind: str) -> dict[str, Any]:
    if kind == "mojibake":
        return {"text": text.encode("utf-8").decode("cp1252", errors="replace")}
    if kind == "html":
        blocks = "".join(f"<p>{html.escape(p)}</p>\n" for p in text.split("\n") if p.strip())
        figure = "<figure><img src='a.jpg'><figcaption>Leaders meet.</figcaption></figure>"
        return {"body_html": f"<article>{figure}{blocks}<script>track()</script></article>"}
    if kind == "wrapped":
        return {"text": "\n\n".join(textwrap.fill(p, 70) for p in text.split("\n") if p.strip())}
    return {"text": text}


def build_corpus(size: int, seed: int, folder: Path = SEEDS) -> list[tuple[str, dict[str, Any]]]:
    """(kind, record) pairs: seed articles varied and damaged the way real feeds damage them."""
    rng = random.Random(seed)
    texts = _seed_texts(folder)
    kinds = list(KINDS)
    weights = list(KINDS.values())
    corpus = []
    for number in range(size):
        kind = rng.choices(kinds, weights)[0]
        record = _damage(_variant(rng.choice(texts), rng), kind)
        record.update(id=f"bench-{number}", source="bench", version=1)
        corpus.append((kind, record))
    return corpus


@bench_app.command("normalise")
def bench_normalise(
    articles: Annotated[int, typer.Option(help="corpus size")] = 3000,
    rounds: Annotated[int, typer.Option(help="timed passes over the corpus; the best counts")] = 3,
    seed: Annotated[int, typer.Option(help="random seed of the corpus")] = 7,
) -> None:
    """Articles per second through normalise_article, in this one process (one core)."""
    corpus = build_corpus(articles, seed)
    characters = sum(len(r.get("text") or r.get("body_html") or "") for _, r in corpus)
    normalise_article(corpus[0][1])  # loads the language model outside the timing
    best: dict[str, float] = {}
    counts: dict[str, int] = defaultdict(int)
    rejected = 0
    for _ in range(rounds):
        spent: dict[str, float] = defaultdict(float)
        counts.clear()
        rejected = 0
        for kind, record in corpus:
            started = time.perf_counter()
            try:
                normalise_article(record)
            except Rejected:
                rejected += 1
            spent[kind] += time.perf_counter() - started
            counts[kind] += 1
        spent["all"] = sum(spent.values())
        best = {k: min(v, best.get(k, v)) for k, v in spent.items()}
    counts["all"] = len(corpus)
    typer.echo(
        f"normalise: {len(corpus)} articles, {characters / len(corpus):.0f} chars on average, "
        f"best of {rounds} rounds, one process, {rejected} rejected"
    )
    for kind in [*KINDS, "all"]:
        if counts[kind]:
            per_article = best[kind] / counts[kind]
            typer.echo(
                f"  {kind:<9} {counts[kind]:>6} articles  {1 / per_article:>8.0f} articles/s"
                f"  {per_article * 1e6:>8.0f} us/article"
            )
