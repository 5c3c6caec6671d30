"""The hindsight reference of `wirefeed eval stories-bound` (batch clustering, best cut)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from service.evaluation.bound import best_cut, representations, tfidf_similarity


def test_tfidf_similarity_is_cosine_over_kept_terms() -> None:
    counts = [
        {"storm": 2.0, "#oslo": 3.0, "the": 1.0},
        {"storm": 1.0, "#oslo": 3.0, "the": 1.0},
        {"election": 2.0, "#lima": 3.0, "the": 1.0},
    ]
    similarity = tfidf_similarity(counts, lambda term: True)
    assert similarity.shape == (3, 3)
    assert np.allclose(np.diag(similarity), 1.0, atol=1e-5)
    # "the" is in every document: no weight; the first two share everything else.
    assert similarity[0, 1] > 0.9
    assert similarity[0, 2] == pytest.approx(0.0, abs=1e-6)
    names = tfidf_similarity(counts, lambda term: term.startswith("#"))
    assert names[0, 1] == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("method", ["average", "complete", "ward"])
def test_best_cut_recovers_separable_groups(method: str) -> None:
    labels = ["a", "a", "a", "b", "b", "c"]
    similarity = np.full((6, 6), 0.05, dtype=np.float32)
    for i, left in enumerate(labels):
        for j, right in enumerate(labels):
            if left == right:
                similarity[i, j] = 0.8
    np.fill_diagonal(similarity, 1.0)
    scores, cut = best_cut(similarity, labels, method)
    assert scores["pairwise_f1"] == pytest.approx(1.0)
    # The cut is a distance: 1 - cosine, or for Ward sqrt(2 - 2 cosine) grown by merging.
    if method == "ward":
        assert math.sqrt(2 * 0.2) <= cut
    else:
        assert 0.2 <= 1 - cut <= 0.8


def test_best_cut_cannot_split_what_looks_the_same() -> None:
    # Two events whose articles are all equally similar: no cut separates them.
    labels = ["a", "a", "b", "b"]
    similarity = np.full((4, 4), 0.6, dtype=np.float32)
    np.fill_diagonal(similarity, 1.0)
    scores, _ = best_cut(similarity, labels, "average")
    assert scores["pairwise_f1"] < 1.0


def test_representations_are_the_combinations_reported() -> None:
    counts = [{"storm": 1.0, "#oslo": 3.0}, {"storm": 1.0, "#bergen": 3.0}, {"rain": 1.0}]
    combined = representations(counts)
    assert set(combined) == {"all terms", "words only", "cues only", "mean(words, cues)"}
    mean = combined["mean(words, cues)"]
    assert np.allclose(mean, (combined["words only"] + combined["cues only"]) / 2)


def test_lead_weight_counts_the_first_sentences_more() -> None:
    from service.models import Article
    from service.pipeline.cluster import StoryConfig, term_counts

    body = "Quake hits Lima. Rescue teams search rubble.\nSchools reopen in Cusco."
    story = Article(
        id="a", guid="a", version=1, headline="Quake", body=body, language="en", fingerprint="a"
    )
    plain = term_counts(story, StoryConfig())
    lead = term_counts(story, StoryConfig(lead_sentences=1, lead_weight=3.0))
    assert lead["lima"] == plain["lima"] * 3
    assert lead["rescue"] == plain["rescue"]
    assert lead["schools"] == plain["schools"]


def _storm_and_vote() -> list[dict[str, float]]:
    storm = {"storm": 1.0, "#oslo": 3.0, "flood": 1.0}
    vote = {"vote": 1.0, "#lima": 3.0, "ballot": 1.0}
    return [storm, dict(storm), vote, dict(vote), dict(vote), {"quake": 1.0}]


def test_a_refining_pass_moves_an_article_to_the_story_it_matches() -> None:
    from service.evaluation.bound import refine_hindsight, refine_pass, term_frequencies

    counts = _storm_and_vote()
    # The online stage put the first storm report with the vote (its own story not yet
    # there when it came); the quake is alone and alike to nothing.
    online = ["v", "s", "v", "v", "v", "q"]
    refined = refine_hindsight(counts, online)
    assert refined == ["s", "s", "v", "v", "v", "q"]
    # Nothing to move: a pass says so and changes nothing.
    tf = term_frequencies(counts)
    unit = tf.multiply(1.0 / np.sqrt(tf.multiply(tf).sum(axis=1))).tocsr()
    assert refine_pass(unit, refined) == 0
    assert refined == ["s", "s", "v", "v", "v", "q"]


def test_a_periodic_refinement_moves_an_article_once_its_story_is_there() -> None:
    from service.evaluation.bound import refine_periodically

    # Votes first, then a storm report put with them, then the storm's own story.
    storm_a, storm_b, vote_a, vote_b, vote_c, quake = _storm_and_vote()
    counts = [vote_a, vote_b, storm_a, storm_b, vote_c, quake]
    online = ["v", "v", "v", "s", "v", "q"]
    # Every 3 articles: the first pass (articles 1-3) has no storm story to move the report
    # to; the second moves it there.
    assert refine_periodically(counts, online, 3) == ["v", "v", "s", "s", "v", "q"]
