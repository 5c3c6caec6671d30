"""How far text features can go on ECB+: batch clustering with hindsight, a reference.

The online stage sees each article once, with the document frequencies known so far, and never
revisits a decision. This command gives the same features every advantage instead: document
frequencies over the whole set, every pairwise similarity at once, agglomerative clustering
(average, complete and Ward linkage) and the cut chosen on the answers themselves. What it
reaches is what lexical similarity of these features allows on the set, not a method we
deploy. For Ward, which reaches the most on ECB+, it also shows whether the cut carries from
the dev topics to the test topics, and (`--ts`) what the same cut does to GoogleNews TS,
whose stories are several times larger. Last, what revisiting the online stage's decisions
would give: k-means passes from its stories, periodically over the articles so far, or with
hindsight (README, "Refining the stories afterwards").
"""

from __future__ import annotations

import math
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
    ecbplus_stream,
    googlenews_stream,
    label_stream,
)
from service.models import Rejected
from service.pipeline.cluster import ENTITY, StoryConfig, sublinear_tf, term_counts
from service.pipeline.normalise import normalise_article
from service.records import after_events

F32 = np.ndarray[Any, np.dtype[np.float32]]
METHODS = ("average", "complete", "ward")
# The lead (first sentences) weighted up: the variant that reaches the most with Ward.
LEAD = StoryConfig(lead_sentences=3, lead_weight=3.0)
# Articles between two passes of the periodic refinement.
REFINE_EVERY = 100


def tfidf_rows(counts: Sequence[dict[str, float]], keep: Callable[[str], bool]) -> Any:
    """Sublinear tf x idf vectors (idf over these documents) of the kept terms, as unit rows
    of a sparse matrix."""
    kept = [{term: count for term, count in c.items() if keep(term)} for c in counts]
    tf = term_frequencies(kept)
    docfreq = np.asarray((tf > 0).sum(axis=0)).ravel()
    return _unit_rows(tf, np.log(len(kept) / np.maximum(docfreq, 1)))


def tfidf_similarity(counts: Sequence[dict[str, float]], keep: Callable[[str], bool]) -> F32:
    """Cosine similarities of sublinear tf x idf vectors (idf over these documents)."""
    matrix = tfidf_rows(counts, keep)
    similarity: F32 = (matrix @ matrix.T).toarray().astype(np.float32)
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


def term_frequencies(counts: Sequence[dict[str, float]]) -> Any:
    """The articles' sublinear term frequencies as a sparse matrix (a row per article)."""
    from scipy.sparse import csr_matrix

    column: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    for row, c in enumerate(counts):
        for term, count in c.items():
            rows.append(row)
            columns.append(column.setdefault(term, len(column)))
            values.append(sublinear_tf(count))
    return csr_matrix((values, (rows, columns)), shape=(len(counts), len(column)))


def _unit_rows(tf: Any, weights: Any) -> Any:
    """tf x idf rows scaled to unit length."""
    from scipy.sparse import diags

    matrix = tf @ diags(weights)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return diags(1.0 / np.maximum(norms, 1e-12)) @ matrix


def refine_pass(matrix: Any, stories: list[str]) -> int:
    """One k-means pass over given stories, in article order: each article (a unit row) moves
    to the story whose centroid is the most similar to it, its own story's taken without it,
    and the stories' sums follow each move at once (moves made all at once had two lone
    articles alike to each other's story swap places, again at every pass). Returns how many
    moved (`stories` is changed in place)."""
    matrix = matrix.tocsr()
    ids = sorted(set(stories))
    index = {story: i for i, story in enumerate(ids)}
    own = [index[story] for story in stories]
    sums = np.zeros((len(ids), matrix.shape[1]))
    for article, story in enumerate(own):
        row = matrix.getrow(article)
        sums[story, row.indices] += row.data
    norms_squared = (sums * sums).sum(axis=1)
    moved = 0
    for article in range(len(stories)):
        row = matrix.getrow(article)
        dots = sums[:, row.indices] @ row.data
        similarity = dots / np.sqrt(np.maximum(norms_squared, 1e-24))
        # Its own story without it: |s - a| = sqrt(|s|^2 - 2 s.a + 1), s.a - 1 the dot.
        home = own[article]
        rest = norms_squared[home] - 2.0 * dots[home] + 1.0
        similarity[home] = (dots[home] - 1.0) / math.sqrt(rest) if rest > 1e-9 else 0.0
        best = int(similarity.argmax())
        # Strictly better only: an article alike to nothing stays where it is.
        if similarity[best] <= similarity[home]:
            continue
        for story, sign in ((home, -1.0), (best, 1.0)):
            sums[story, row.indices] += sign * row.data
            norms_squared[story] = float(sums[story] @ sums[story])
        own[article] = best
        stories[article] = ids[best]
        moved += 1
    return moved


def refine_hindsight(counts: Sequence[dict[str, float]], stories: Sequence[str]) -> list[str]:
    """k-means passes (until none moves, at most 10) from the given stories, with document
    frequencies over the whole set."""
    matrix = tfidf_rows(counts, lambda term: True)
    refined = list(stories)
    for _ in range(10):
        if not refine_pass(matrix, refined):
            break
    return refined


def refine_periodically(
    counts: Sequence[dict[str, float]], stories: Sequence[str], every: int
) -> list[str]:
    """As a periodic job could, online: every `every` articles, one k-means pass over the
    articles so far (newcomers with the story they were given), with the document
    frequencies known so far and the stage's prior (not the language's common words; no
    horizon: ECB+ has no times)."""
    config = StoryConfig()
    tf = term_frequencies(counts)
    present = (tf > 0).astype(np.float64).tocsr()
    refined: list[str] = []
    for end in range(every, len(stories) + every, every):
        end = min(end, len(stories))
        refined += stories[len(refined) : end]
        docfreq = np.asarray(present[:end].sum(axis=0)).ravel()
        prior = config.prior_docs
        weights = np.log((end + prior) / (docfreq + prior * config.prior_share))
        refine_pass(_unit_rows(tf[:end], np.maximum(weights, 0.0)), refined)
    return refined


def _refinements(
    name: str,
    counts: Sequence[dict[str, float]],
    labels: Sequence[object],
    online: Sequence[str],
    every: int,
) -> str:
    cells = []
    for scores in (
        cluster_scores(labels, online),
        cluster_scores(labels, refine_periodically(counts, online, every)),
        cluster_scores(labels, refine_hindsight(counts, online)),
    ):
        cells.append(
            f"pF1 {scores['pairwise_f1']:.3f} ({scores['pairwise_p']:.3f}/"
            f"{scores['pairwise_r']:.3f}) NMI {scores['nmi']:.3f} ARI {scores['ari']:.3f}"
            f" [{int(scores['stories'])}]"
        )
    return f"  {name:<14} " + " -> ".join(cells)


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
    typer.echo(
        f"Refining the online stories (`wirefeed label`, after merges) by k-means passes: online"
        f" -> every {REFINE_EVERY} articles one pass, frequencies so far -> hindsight [stories]:"
    )
    for order, seed in (("file order", None), ("shuffled", 1)):
        streamed, streamed_labels = ecbplus_stream(records, labels, seed)
        online = after_events(label_stream(streamed))
        counts = article_counts(streamed, StoryConfig())
        typer.echo(_refinements(order, counts, streamed_labels, online, REFINE_EVERY))
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
    ts_online = after_events(label_stream(ts_records))
    typer.echo("Refining the online stories on GoogleNews TS (as above):")
    ts_counts = article_counts(ts_records, StoryConfig())
    typer.echo(_refinements("TS", ts_counts, ts_labels, ts_online, REFINE_EVERY))
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
