"""How far text features can go on ECB+: batch clustering with hindsight, an upper reference.

The online stage sees each article once, with the document frequencies known so far, and never
revisits a decision. This command gives the same features every advantage instead: document
frequencies over the whole set, every pairwise similarity at once, agglomerative clustering
(average and complete link) and the cut chosen on the answers themselves. What it reaches is
what lexical similarity of these features allows on the set, not a method we could deploy.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from service.evaluation import eval_app
from service.evaluation.stories import cluster_scores, ecbplus_documents, ecbplus_split
from service.models import Rejected
from service.pipeline.cluster import ENTITY, StoryConfig, sublinear_tf, term_counts
from service.pipeline.normalise import normalise_article

F32 = np.ndarray[Any, np.dtype[np.float32]]


def tfidf_similarity(counts: Sequence[dict[str, float]], keep: Callable[[str], bool]) -> F32:
    """Cosine similarities of sublinear tf x idf vectors (idf over these documents)."""
    kept = [{term: count for term, count in c.items() if keep(term)} for c in counts]
    docfreq = Counter(term for c in kept for term in c)
    column = {term: i for i, term in enumerate(docfreq)}
    matrix = np.zeros((len(kept), len(column)), dtype=np.float32)
    for row, c in enumerate(kept):
        for term, count in c.items():
            matrix[row, column[term]] = sublinear_tf(count) * math.log(len(kept) / docfreq[term])
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-12
    similarity: F32 = matrix @ matrix.T
    return similarity


def best_cut(
    similarity: F32, labels: Sequence[object], method: str
) -> tuple[dict[str, float], float]:
    """Agglomerative clustering on 1 - similarity; the cut with the best pairwise F1."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    distance = np.clip(1.0 - similarity, 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method=method)
    best: tuple[dict[str, float], float] | None = None
    for cut in np.arange(0.30, 1.0, 0.01):
        scores = cluster_scores(labels, list(fcluster(tree, cut, "distance")))
        if best is None or scores["pairwise_f1"] > best[0]["pairwise_f1"]:
            best = (scores, float(cut))
    assert best is not None
    return best


def representations(counts: Sequence[dict[str, float]]) -> dict[str, F32]:
    """The stage's features, combined the ways tried: all terms as one vector (as online),
    words and cues (names, numbers) as separate similarities, and their mean."""
    words = tfidf_similarity(counts, lambda term: not term.startswith(ENTITY))
    cues = tfidf_similarity(counts, lambda term: term.startswith(ENTITY))
    return {
        "all terms": tfidf_similarity(counts, lambda term: True),
        "words only": words,
        "cues only": cues,
        "mean(words, cues)": ((words + cues) / 2).astype(np.float32),
    }


@eval_app.command("stories-bound")
def stories_bound(
    data: Annotated[Path, typer.Option(help="the shared data folder")] = Path("../shared/data"),
    split: Annotated[str, typer.Option(help="ECB+ topics: dev (1-22), test or all")] = "all",
) -> None:
    """ECB+ pairwise F1 of batch clustering with hindsight over the story stage's features:
    an upper reference for what lexical similarity allows, beside the online figure."""
    records, labels = ecbplus_split(*ecbplus_documents(data / "ecbplus"), split)
    config = StoryConfig()
    counts: list[dict[str, float]] = []
    for record in records:
        try:
            counts.append(dict(term_counts(normalise_article(record), config)))
        except Rejected:
            counts.append({})
    typer.echo(f"ECB+ {split}: {len(records)} articles, {len(set(labels))} events")
    typer.echo(f"{'features':<20} {'link':<9} {'cut':>5} {'pP':>6} {'pR':>6} {'pF1':>6}")
    for name, similarity in representations(counts).items():
        for method in ("average", "complete"):
            scores, cut = best_cut(similarity, labels, method)
            typer.echo(
                f"{name:<20} {method:<9} {1 - cut:>5.2f} {scores['pairwise_p']:>6.3f}"
                f" {scores['pairwise_r']:>6.3f} {scores['pairwise_f1']:>6.3f}"
            )
    typer.echo("(cut: the similarity at which clusters stop merging, chosen on the answers)")
