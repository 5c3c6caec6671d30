"""Random streams of articles, copies and editors' commands: a restart anywhere changes no
decision, each story's clock is its articles', and what the pipeline reports for an article
seen again is what a consumer of the events holds."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.models import Rejected, StoryCommand
from service.pipeline.cluster import ARTICLE, STORY, StoryConfig, StoryIndex
from service.pipeline.decide import Pipeline, PipelineConfig
from service.pipeline.normalise import normalise_article
from service.records import after_events
from tests.pipeline.test_cluster_properties import NAMES, WORDS, _article

DAY = 24 * 3600.0

# Each step: what it is (0-5 an article, 6 a copy of an earlier one, 7 a split, 8 a move,
# 9 a merge), its words, days since the step before, and two picks (of articles, stories).
steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=9),
        st.lists(st.sampled_from(WORDS + NAMES), min_size=3, max_size=10),
        st.floats(min_value=0.0, max_value=0.6),
        st.integers(min_value=0, max_value=1000),
        st.integers(min_value=0, max_value=1000),
    ),
    min_size=1,
    max_size=30,
)
Step = tuple[int, list[str], float, int, int]


def _command(kind: int, n: int, index: StoryIndex, pick: int, other: int) -> StoryCommand | None:
    """A command on the live state, chosen by the picks (None when there is nothing to name)."""
    links = sorted(key[len(ARTICLE) :] for key in index.store if key.startswith(ARTICLE))
    stories = sorted(key[len(STORY) :] for key in index.store if key.startswith(STORY))
    if not links or not stories:
        return None
    named = links[pick % len(links)]
    if kind == 7:
        story = index.resolve(index.store[ARTICLE + named][0])
        fields: dict[str, Any] = {"action": "split", "story": story, "articles": [named]}
    elif kind == 8:
        fields = {"action": "move", "story": stories[other % len(stories)], "articles": [named]}
    else:
        if len(stories) < 2:
            return None
        first = stories[pick % len(stories)]
        rest = [story for story in stories if story != first]
        fields = {"action": "merge", "story": first, "stories": [rest[other % len(rest)]]}
    return StoryCommand.from_dict({"id": f"c{n}", "shard": "en", **fields})


# Stories and links last 2 days, decisions and copies 4: copies arrive after their original's
# link has gone. State past a horizon goes on every article (no once-a-minute cadence).
PIPELINE = dataclasses.replace(
    PipelineConfig.with_horizons(4 * DAY, 2 * DAY), evict_every_seconds=0.0
)


def _feed(
    stream: list[Step], restarts: set[int]
) -> tuple[list[dict[str, Any]], Pipeline, dict[str, dict[str, Any]]]:
    """What the pipeline said at each step, the pipeline at the end, and the records sent."""
    pipeline = Pipeline({}, {}, {}, PIPELINE)
    out: list[dict[str, Any]] = []
    records: dict[str, dict[str, Any]] = {}
    texts: list[str] = []
    now = 0.0
    for n, (kind, tokens, gap, pick, other) in enumerate(stream):
        if n in restarts:
            stores = (pipeline.dedup.store, pipeline.stories.store, pipeline.decisions)
            pipeline = Pipeline(*(copy.deepcopy(dict(s)) for s in stores), PIPELINE)
        now += gap * DAY
        if kind >= 7:
            command = _command(kind, n, pipeline.stories, pick, other)
            if command is None:
                continue
            try:
                correction, _ = pipeline.correct(command, now)
            except Rejected as exc:
                out.append({"command": command.id, "rejected": exc.detail})
                continue
            out.append(correction.to_dict())
            continue
        text = texts[pick % len(texts)] if kind == 6 and texts else " ".join(tokens) + "."
        texts.append(text)
        record = records[f"a{n}"] = {"id": f"a{n}", "text": "News. " + text, "language": "en"}
        decision, _ = pipeline.decide(normalise_article(record), now)
        out.append(decision.label())
    return out, pipeline, records


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.sets(st.integers(min_value=0, max_value=29), max_size=6))
def test_corrections_restarts_and_repeats_agree(stream: list[Step], restarts: set[int]) -> None:
    out, pipeline, records = _feed(stream, set())
    # A worker restarted from its tables decides as one that never stopped.
    assert _feed(stream, restarts)[0] == out
    # An article seen again (a redelivery, a repeated line) is reported in the story a
    # consumer of the events holds it in, while its decision is kept.
    final = dict(zip([line.get("id") for line in out], after_events(out), strict=True))
    for article_id, story in final.items():
        if article_id is None or article_id not in pipeline.decisions:
            continue
        again, replay = pipeline.decide(normalise_article(records[article_id]), 0.0)
        assert replay
        assert again.story.story_id == story, article_id


# Story index alone, every step evicting; member times are kept for more members than a
# stream holds, so each story's clock is exact.
INDEX = StoryConfig(horizon_seconds=2 * DAY, merge_floor=0.3)


def _index_run(
    stream: list[Step], restarts: set[int], config: StoryConfig
) -> tuple[list[Any], StoryIndex]:
    index = StoryIndex({}, config)
    out: list[Any] = []
    now = 0.0
    for n, (kind, tokens, gap, pick, other) in enumerate(stream):
        if n in restarts:
            index = StoryIndex(copy.deepcopy(dict(index.store)), config)
        now += gap * DAY
        if kind >= 7:
            command = _command(kind, n, index, pick, other)
            if command is not None:
                try:
                    out.append(index.correct(command, now)[0])
                except Rejected as exc:
                    out.append(exc.detail)
        else:
            links = sorted(key[len(ARTICLE) :] for key in index.store if key.startswith(ARTICLE))
            article = _article(n, tokens, now / DAY - gap)
            if kind == 6 and links:
                out.append(index.follow(article, links[pick % len(links)], now))
            else:
                out.append(index.assign_story(article, now))
        index.evict(now)
        # A live story's clock is its latest article's arrival (copies included): an
        # article moved out of it takes its time along.
        latest: dict[str, float] = {}
        for key, value in index.store.items():
            if key.startswith(ARTICLE):
                story = index.resolve(value[0])
                latest[story] = max(latest.get(story, 0.0), float(value[1]))
        for key, value in index.store.items():
            if key.startswith(STORY):
                assert value["t"] == latest[key[len(STORY) :]], key
    return out, index


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.sets(st.integers(min_value=0, max_value=29), max_size=6))
def test_an_index_with_commands_restarts_anywhere(stream: list[Step], restarts: set[int]) -> None:
    config = dataclasses.replace(INDEX, member_times=64)
    out, index = _index_run(stream, set(), config)
    again, restored = _index_run(stream, restarts, config)
    assert again == out
    assert restored.store == index.store
