"""The story horizon holds whatever the eviction cadence: what is past it is neither revived,
joined nor named by a command, and a pipeline rebuilt from the tables at any moment decides as
one that never stopped."""

from __future__ import annotations

import copy
import dataclasses
import random
from typing import Any

import pytest

from service.models import Article, Rejected, RejectReason, StoryCommand
from service.pipeline.cluster import STORY
from service.pipeline.decide import Pipeline, PipelineConfig
from service.pipeline.normalise import normalise_article
from tests.pipeline.test_cluster import EN_BACKGROUND, LOOK_ALIKES
from tests.pipeline.test_corrections import LATER, refused_memo

HORIZON = 3 * 24 * 3600.0  # the default story horizon
OTHER = "Farmers in the valley expect a record harvest of apples this autumn."
# A further Blazers report (b2 is a rewrite of b1: a copy, which moves with it).
BLAZERS = (
    "Portland Trail Blazers general manager Neil Olshey said firing Nate McMillan was hard, "
    "and that Kaleb Canales will coach the Blazers until a permanent coach is found."
)


def _article(article_id: str, text: str) -> Article:
    return normalise_article({"id": article_id, "text": text, "language": "en"})


def _opened_at_zero() -> tuple[Pipeline, str, str]:
    """A pipeline whose two look-alike stories were last touched at 0, with an unrelated
    article just before the horizon (its minute's eviction then finds nothing to forget)."""
    pipeline = Pipeline({}, {}, {})
    for number, text in enumerate(EN_BACKGROUND):
        pipeline.decide(_article(f"bg{number}", text), 0.0)
    texts = {**LOOK_ALIKES, "b0": BLAZERS}
    stories = {
        key: pipeline.decide(_article(key, texts[key]), 0.0)[0].story.story_id
        for key in ("b1", "b2", "b0", "a1", "a2")
    }
    blazers, sixers = stories["b1"], stories["a1"]
    assert blazers == stories["b2"] == stories["b0"] != sixers == stories["a2"]
    pipeline.decide(_article("other", OTHER), HORIZON - 20)
    return pipeline, blazers, sixers


def _tail() -> list[tuple[Article, float]]:
    return [
        (_article("b1-again", LOOK_ALIKES["b1"]), HORIZON + 30),
        (_article("b3", LATER["b3"]), HORIZON + 40),
    ]


def _outcome(pipeline: Pipeline, article: Article, now: float) -> tuple[Any, ...]:
    decision, _ = pipeline.decide(article, now)
    return (
        decision.dedup.kind,
        decision.dedup.duplicate_of,
        decision.story.story_id,
        decision.story.event,
    )


def test_a_copy_past_the_horizon_revives_no_story_and_nothing_joins_it() -> None:
    pipeline, blazers, _ = _opened_at_zero()
    (again, again_at), (b3, b3_at) = _tail()
    # The copy is still a copy (dedup remembers longer) and is tagged with its original's
    # story, which it does not bring back: the story was last touched a horizon ago.
    copy_decision, _ = pipeline.decide(again, again_at)
    assert copy_decision.dedup.duplicate_of == "b1"
    assert copy_decision.story.story_id == blazers
    story = pipeline.stories.store.get(STORY + blazers)
    assert story is None or story["t"] == 0.0
    # A later report of the same event opens a story: the old one is past the horizon.
    later, _ = pipeline.decide(b3, b3_at)
    assert later.story.story_id != blazers
    assert later.story.event == "created"


def _restarted(pipeline: Pipeline) -> Pipeline:
    """A pipeline made anew from copies of the tables (a worker restarted from its changelog)."""
    stores = copy.deepcopy(
        (dict(pipeline.dedup.store), dict(pipeline.stories.store), dict(pipeline.decisions))
    )
    return Pipeline(*stores, pipeline.config)


def test_a_pipeline_rebuilt_past_the_horizon_decides_as_one_that_never_stopped() -> None:
    live, _, _ = _opened_at_zero()
    restarted = _restarted(live)
    for article, now in _tail():
        assert _outcome(restarted, article, now) == _outcome(live, article, now), article.id


def _stream(horizon: float) -> list[tuple[Article, float]]:
    """Reports of their own words, each sent again (as it was, or with a line added) around
    the time its story passes the horizon, at odd seconds: copies and later reports that come
    just before or just after it."""
    rng = random.Random(5)
    words = ["harbour", "storm", "river", "council", "vote", "court", "fire", "rescue"]
    stream: list[tuple[Article, float]] = []
    for report in range(16):
        suffix = "".join(chr(97 + int(digit)) for digit in str(report))
        body = " ".join(rng.choice(words) + suffix for _ in range(60)) + "."
        now = rng.uniform(0, 2 * horizon)
        for send in range(3):
            text = body + (f" Update {send}." if send and rng.random() < 0.5 else "")
            record = {"id": f"r{report}-{send}", "title": f"Report {suffix}", "text": text}
            stream.append((normalise_article({**record, "language": "en"}), now))
            now += rng.uniform(0.97, 1.15) * horizon
    return sorted(stream, key=lambda item: item[1])


@pytest.mark.parametrize("every", [60.0, 3600.0])
def test_a_restart_at_any_moment_changes_no_decision(every: float) -> None:
    # Whatever the eviction cadence (an hour leaves state past the horizon stored longer).
    config = dataclasses.replace(
        PipelineConfig.with_horizons(24 * 3600.0, 4 * 3600.0), evict_every_seconds=every
    )
    stream = _stream(config.story.horizon_seconds)
    live = Pipeline({}, {}, {}, config)
    expected = [_outcome(live, article, now) for article, now in stream]
    assert any(kind is not None for kind, *_ in expected)  # copies among them
    for restart in range(1, len(stream)):
        pipeline = Pipeline({}, {}, {}, config)
        for article, now in stream[:restart]:
            pipeline.decide(article, now)
        pipeline = _restarted(pipeline)
        got = [_outcome(pipeline, article, now) for article, now in stream[restart:]]
        assert got == expected[restart:], restart


def _command(**fields: Any) -> StoryCommand:
    return StoryCommand.from_dict({"id": "c1", "shard": "en", **fields})


@pytest.mark.parametrize("action", ["merge", "split", "move"])
def test_a_command_naming_what_is_past_the_horizon_is_refused(action: str) -> None:
    pipeline, blazers, sixers = _opened_at_zero()
    fields: dict[str, Any] = {
        "merge": {"action": "merge", "story": blazers, "stories": [sixers]},
        "split": {"action": "split", "story": blazers, "articles": ["b1"]},
        "move": {"action": "move", "story": sixers, "articles": ["b1"]},
    }[action]
    before = copy.deepcopy(dict(pipeline.stories.store))
    with pytest.raises(Rejected) as refused:
        pipeline.correct(_command(**fields), HORIZON + 30)
    assert refused.value.reason == RejectReason.BAD_COMMAND
    assert dict(pipeline.stories.store) == {
        **before,
        **refused_memo(refused.value, "c1", HORIZON + 30),
    }
