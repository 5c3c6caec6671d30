"""How far text features can go on ECB+: batch clustering with hindsight, a reference.

The online stage sees each article once, with the document frequencies known so far, and never
revisits a decision. This command gives the same features every advantage instead: document
frequencies over the whole set, every pairwise similarity at once, agglomerative clustering
(average, complete and Ward linkage) and the cut chosen on the answers themselves. What it
reaches is what lexical similarity of these features allows on the set, not a method we
deploy. For Ward, which reaches the most on ECB+, it also shows whether the cut carries from
the dev topics to the test topics, and (`--ts`) what the same cut does to GoogleNews TS,
whose stories are several times larger.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import numpy as np
import typer

from service.evaluation import (
    ECBPLUS,
    ECBPLUS_CORPUS,
    GOOGLENEWS,
    GOOGLENEWS_SETS,
    DataOption,
    data_folder,
    eval_app,
    refuse,
)
from service.evaluation.stories import (
    cluster_scores,
    ecbplus_documents,
    ecbplus_split,
    googlenews_stream,
)
from service.models import Rejected
from service.pipeline.cluster import ENTITY, StoryConfig, sublinear_tf, term_counts
from service.pipeline.normalise import normalise_article

F32 = np.ndarray[Any, np.dtype[np.float32]]
METHODS = ("average", "complete", "ward")
# The lead (first sentences) weighted up: the variant that reaches the most with Ward.
LEAD = StoryConfig(lead_sentences=3, lead_weight=3.0)


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


def _tree(similarity: F32, method: str) -> Any:
    """Agglomerative tree: on 1 - cosine (average, complete) or, for Ward, on the Euclidean
    distance of the unit vectors, sqrt(2 - 2 cosine)."""
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform

    distance = np.clip(1.0 - similarity.astype(np.float64), 0.0, 2.0)
    if method == "ward":
        distance = np.sqrt(2.0 * distance)
    np.fill_diagonal(distance, 0.0)
    return linkage(squareform(distance, checks=False), method=method)


def _cuts(method: str) -> Any:
    return np.arange(0.5, 4.0, 0.02) if method == "ward" else np.arange(0.30, 1.0, 0.01)


def scores_at(tree: Any, labels: Sequence[object], cut: float) -> dict[str, float]:
    from scipy.cluster.hierarchy import fcluster

    return cluster_scores(labels, list(fcluster(tree, cut, "distance")))


def best_cut(
    similarity: F32, labels: Sequence[object], method: str
) -> tuple[dict[str, float], float]:
    """The cut (a distance in the method's units) with the best pairwise F1, and its scores."""
    tree = _tree(similarity, method)
    best: tuple[dict[str, float], float] | None = None
    for cut in _cuts(method):
        scores = scores_at(tree, labels, float(cut))
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


def article_counts(
    records: Sequence[dict[str, Any]], config: StoryConfig
) -> list[dict[str, float]]:
    counts: list[dict[str, float]] = []
    for record in records:
        try:
            counts.append(dict(term_counts(normalise_article(record), config)))
        except Rejected:
            counts.append({})
    return counts


def _cell(scores: dict[str, float], cut: float) -> str:
    return (
        f"{scores['pairwise_f1']:.3f} ({scores['pairwise_p']:.3f}/{scores['pairwise_r']:.3f})"
        f" @{cut:.2f}"
    )


@eval_app.command("stories-bound")
def stories_bound(
    data: DataOption = None,
    split: Annotated[str, typer.Option(help="ECB+ topics: dev (1-22), test or all")] = "all",
    ts: Annotated[
        bool, typer.Option(help="also apply Ward's ECB+ cut to GoogleNews TS (~3 GB, ~2 min)")
    ] = False,
) -> None:
    """ECB+ pairwise F1 of batch clustering with hindsight over the story stage's features:
    a reference for what lexical similarity allows, beside the online figure."""
    needed = [ECBPLUS_CORPUS, *([GOOGLENEWS_SETS["TS"]] if ts else [])]
    data = data_folder("stories-bound", data, needed)
    records, labels = ecbplus_split(*ecbplus_documents(data / ECBPLUS), split)
    if len(records) < 2:
        refuse("stories-bound", f"{data}: no ECB+ articles in {ECBPLUS_CORPUS} ({split})")
    typer.echo(f"ECB+ {split}: {len(records)} articles, {len(set(labels))} events")
    typer.echo("pairwise F1 (P/R) @cut, the cut chosen on the answers:")
    typer.echo(f"{'features':<26} " + " ".join(f"{method:<28}" for method in METHODS))
    rows = representations(article_counts(records, StoryConfig()))
    rows["all terms, lead x3"] = tfidf_similarity(article_counts(records, LEAD), lambda t: True)
    for name, similarity in rows.items():
        cells = [_cell(*best_cut(similarity, labels, method)) for method in METHODS]
        typer.echo(f"{name:<26} " + " ".join(f"{cell:<28}" for cell in cells))
    typer.echo(
        "(cut: a distance, 1 - cosine for average and complete link, sqrt(2 - 2 cosine) for Ward)"
    )
    if split != "all":
        return
    # Does Ward's cut carry over? Chosen on the dev topics, applied to the test topics.
    typer.echo("Ward, cut chosen on dev topics (1-22), applied to test topics (23-45):")
    ecb_cut = 0.0
    for name, config in (("all terms", StoryConfig()), ("all terms, lead x3", LEAD)):
        halves = {half: ecbplus_split(records, labels, half) for half in ("dev", "test")}
        trees = {
            half: _tree(tfidf_similarity(article_counts(r, config), lambda t: True), "ward")
            for half, (r, _) in halves.items()
        }
        dev_scores, dev_cut = max(
            (
                (scores_at(trees["dev"], halves["dev"][1], float(c)), float(c))
                for c in _cuts("ward")
            ),
            key=lambda item: item[0]["pairwise_f1"],
        )
        test_scores = scores_at(trees["test"], halves["test"][1], dev_cut)
        typer.echo(
            f"  {name:<24} dev {_cell(dev_scores, dev_cut)} -> test"
            f" {test_scores['pairwise_f1']:.3f} ({test_scores['pairwise_p']:.3f}"
            f"/{test_scores['pairwise_r']:.3f})"
        )
        ecb_cut = dev_cut
    if not ts:
        return
    ts_records, ts_labels = googlenews_stream(data / GOOGLENEWS, "TS")
    if len(ts_records) < 2:
        refuse("stories-bound", f"{data}: no articles in {GOOGLENEWS_SETS['TS']}")
    tree = _tree(tfidf_similarity(article_counts(ts_records, LEAD), lambda t: True), "ward")
    typer.echo(
        "Ward on GoogleNews TS, all terms, lead x3 (the online stage: `wirefeed eval stories`):"
    )
    for cut in sorted({round(ecb_cut, 2), 3.0, 4.0, 5.0}):
        scores = scores_at(tree, ts_labels, cut)
        mark = " (ECB+ dev cut)" if cut == round(ecb_cut, 2) else ""
        typer.echo(
            f"  cut {cut:.2f}: NMI {scores['nmi']:.3f} ARI {scores['ari']:.3f}"
            f" stories {int(scores['stories'])}/{int(scores['gold'])}{mark}"
        )
