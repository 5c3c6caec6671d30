"""Story index invariants over random streams: merges, eviction and restores keep it whole."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.models import Article
from service.pipeline.cluster import ARTICLE, MERGED, STORY, StoryConfig, StoryIndex

DAY = 24 * 3600.0
# A small vocabulary, names included, so random articles often share stories and merges.
WORDS = ["quake", "harbour", "power", "storm", "river", "vote", "court", "fire", "rescue"]
NAMES = ["Lima", "Oslo", "Kyiv", "Perth", "Dakar"]

articles = st.lists(
    st.tuples(
        st.lists(st.sampled_from(WORDS + NAMES), min_size=3, max_size=12),
        st.floats(min_value=0.0, max_value=0.4),  # days since the previous arrival
        st.floats(min_value=0.0, max_value=1.5),  # days from publication to arrival
    ),
    min_size=1,
    max_size=40,
)


def _article(number: int, tokens: list[str], day: float) -> Article:
    body = "News. " + " ".join(tokens) + "."
    return Article(
        id=f"a{number}",
        guid=f"a{number}",
        version=1,
        headline=" ".join(tokens[:3]),
        body=body,
        language="en",
        fingerprint=f"a{number}",
        firstcreated=day * DAY,
    )


def _run(stream: list[tuple[list[str], float, float]]) -> tuple[StoryIndex, list[str]]:
    index = StoryIndex({}, StoryConfig(horizon_seconds=2 * DAY, merge_floor=0.3))
    stories = []
    now = 0.0
    for number, (tokens, gap, age) in enumerate(stream):
        now += gap * DAY
        article = _article(number, tokens, now / DAY - age)
        stories.append(index.assign_story(article, now).story_id)
        index.evict(now)
        # Nothing outlives the horizon: links and fold records go with their stories.
        for key, value in index.store.items():
            if key.startswith((ARTICLE, MERGED)):
                assert now - value[1] <= 2 * DAY
    return index, stories


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(articles)
def test_index_stays_whole(stream: list[tuple[list[str], float, float]]) -> None:
    index, stories = _run(stream)
    store = index.store
    live = {key[len(STORY) :] for key in store if key.startswith(STORY)}
    assert index.live == len(live)
    # A folded id points at another id, and following the records never loops: each chain
    # ends at an id that was not folded.
    folded = {k[len(MERGED) :]: v[0] for k, v in store.items() if k.startswith(MERGED)}
    for start in folded:
        seen, current = {start}, folded[start]
        while current in folded:
            assert current not in seen
            seen.add(current)
            current = folded[current]
    # Every kept article link leads to a live story (a link is never newer than its story,
    # nor than the record of the story's fold), so a copy always finds where to follow.
    # The inverted index lists live stories only (folded and expired ones are taken out).
    assert {m for members in index._postings.values() for m in members} <= live
    links = [value[0] for key, value in store.items() if key.startswith(ARTICLE)]
    assert {index.resolve(story_id) for story_id in links} <= live
    # Decisions depend on the stream only: the same stream gives the same stories.
    assert _run(stream)[1] == stories
    # A restored store (changelog recovery) rebuilds the same caches.
    restored = StoryIndex(copy.deepcopy(store), index.config)
    assert restored.live == index.live
    assert dict(restored._docfreq) == dict(index._docfreq)
    # ... the inverted index included, in order: a restarted worker finds the same candidates.
    assert restored._postings == index._postings


# Tight caps, so that terms leave a story's strongest and lists fill: what a restart must
# rebuild exactly as the live index kept it.
TIGHT = StoryConfig(
    horizon_seconds=2 * DAY,
    merge_floor=0.3,
    index_terms=3,
    query_terms=3,
    postings=2,
    max_candidates=2,
    story_terms=6,
)


def _decide_all(
    stream: list[tuple[list[str], float, float]],
    restarts: list[int] | tuple[()] = (),
    *,
    check_index: bool = False,
) -> list[str]:
    index = StoryIndex({}, TIGHT)
    stories = []
    now = 0.0
    for number, (tokens, gap, age) in enumerate(stream):
        if number in restarts:
            index = StoryIndex(copy.deepcopy(index.store), TIGHT)
        now += gap * DAY
        article = _article(number, tokens, now / DAY - age)
        if number % 5 == 4:  # a copy of the article before: it keeps that story alive
            stories.append(index.follow(article, f"a{number - 1}", now).story_id)
        else:
            stories.append(index.assign_story(article, now).story_id)
        index.evict(now)
        if check_index:
            # After every article the live inverted index is the one a restore rebuilds,
            # also once a story has left a term whose list was full (the story the cap had
            # cut from it is listed again, as a rebuild lists it).
            restored = StoryIndex(copy.deepcopy(index.store), TIGHT)
            assert restored._postings == index._postings, number
    return stories


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(articles, st.lists(st.integers(min_value=0, max_value=39), max_size=8))
def test_a_restart_anywhere_changes_no_decision(
    stream: list[tuple[list[str], float, float]], restarts: list[int]
) -> None:
    # A worker restarted from its tables (changelog recovery) decides as if it had never
    # stopped: its index is the live one at every point, and so are its decisions.
    assert _decide_all(stream, restarts) == _decide_all(stream, check_index=True)
