"""What an editor's correction leaves behind: late copies and articles seen again follow it,
an automatic merge does not undo it, and the story articles left forgets their clock."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from service.models import Article, StoryCommand
from service.pipeline.cluster import ARTICLE, STORY, StoryConfig, StoryIndex
from service.pipeline.decide import Pipeline, PipelineConfig, Shards, label_records
from service.pipeline.normalise import normalise_article
from service.records import after_events
from tests.pipeline.test_cluster import EN_BACKGROUND, LOOK_ALIKES, article
from tests.pipeline.test_corrections import LATER, ONE_STORY

DAY = 24 * 3600.0
# Story horizon 3 days, dedup horizon 5 days (the defaults): a copy arriving between the two
# finds its original's decision but no longer its original's story link.
MIXING = PipelineConfig(story=ONE_STORY)


def _command(action: str, story: str, command_id: str, **fields: Any) -> StoryCommand:
    return StoryCommand.from_dict(
        {"id": command_id, "action": action, "shard": "en", "story": story, **fields}
    )


class Feed:
    """One pipeline fed articles and commands at given times; keeps the output lines (with
    their time, as story events carry it)."""

    def __init__(self, config: PipelineConfig = MIXING) -> None:
        self.config = config
        self.pipeline = Pipeline({}, {}, {}, config)
        self.out: list[dict[str, Any]] = []

    def article(self, article_id: str, text: str, day: float) -> dict[str, Any]:
        record = {"id": article_id, "text": text, "language": "en"}
        decision, _ = self.pipeline.decide(normalise_article(record), day * DAY)
        line = {**decision.label(), "time": day * DAY}
        self.out.append(line)
        return line

    def command(self, command: StoryCommand, day: float) -> dict[str, Any]:
        correction, _ = self.pipeline.correct(command, day * DAY)
        line = {**correction.to_dict(), "time": day * DAY}
        self.out.append(line)
        return line

    def restart(self) -> None:
        """A worker restarted from its tables (changelog recovery)."""
        stores = (self.pipeline.dedup.store, self.pipeline.stories.store, self.pipeline.decisions)
        self.pipeline = Pipeline(*(copy.deepcopy(dict(store)) for store in stores), self.config)

    def final(self) -> dict[str, str]:
        """Each article's story as a consumer of the events holds it at the end."""
        return {
            line["id"]: story
            for line, story in zip(self.out, after_events(self.out), strict=True)
            if "id" in line
        }

    def story(self, story_id: str) -> dict[str, Any] | None:
        value: dict[str, Any] | None = self.pipeline.stories.store.get(STORY + story_id)
        return value


def _mixed_feed(blazers_later: bool = False) -> tuple[Feed, str]:
    """Both coach firings in one story: b1 on day 0, the rest on day 2 (b2 is a rewrite of
    b1, so a copy of it; b3, when asked for, a later report of the Blazers' event)."""
    feed = Feed()
    for i, text in enumerate(EN_BACKGROUND):
        feed.article(f"bg{i}", text, 0.0)
    feed.article("b1", LOOK_ALIKES["b1"], 0.0)
    feed.article("a1", LOOK_ALIKES["a1"], 0.1)
    feed.article("a2", LOOK_ALIKES["a2"], 2.0)
    assert feed.article("b2", LOOK_ALIKES["b2"], 2.0)["duplicate_of"] == "b1"
    if blazers_later:
        feed.article("b3", LATER["b3"], 2.0)
    stories = {line["story"] for line in feed.out[len(EN_BACKGROUND) :]}
    assert len(stories) == 1
    return feed, stories.pop()


# Defect 2: a copy arriving after its original's story link aged out.


@pytest.mark.parametrize("how", ["split", "move"])
@pytest.mark.parametrize("restart", [False, True])
def test_a_late_copy_gets_the_story_a_correction_put_its_original_in(
    how: str, restart: bool
) -> None:
    feed, mixed = _mixed_feed(blazers_later=how == "move")
    if how == "split":
        blazers = feed.command(_command("split", mixed, "c1", articles=["b1"]), 2.1)
    else:
        # b3 is split out first; then the editor moves b1 (and its copy b2) to it.
        blazers = feed.command(_command("split", mixed, "c0", articles=["b3"]), 2.05)
        feed.command(_command("move", blazers["story"], "c1", articles=["b1"]), 2.1)
    feed.article("a3", LATER["a3"], 2.5)  # the Sixers keep the mixed story live
    if restart:
        feed.restart()
    before = feed.story(blazers["story"])
    assert before is not None
    copy_line = feed.article("b1-resend", LOOK_ALIKES["b1"], 3.2)
    assert ARTICLE + "b1" not in feed.pipeline.stories.store  # b1's link had aged out
    assert copy_line["duplicate_of"] == "b1"
    assert copy_line["story"] == blazers["story"]
    assert copy_line["story_event"] == "updated"
    assert copy_line["story_title"] == blazers["story_title"]
    # The copy is in the story, and keeps it alive.
    after = feed.story(blazers["story"])
    assert after is not None
    assert (after["n"], after["t"]) == (before["n"] + 1, 3.2 * DAY)
    final = feed.final()
    assert final["b1"] == final["b1-resend"] == final["b2"] == blazers["story"]
    assert final["a1"] == final["a3"] == mixed


@pytest.mark.parametrize("restart", [False, True])
def test_a_late_copy_of_a_folded_storys_article_joins_the_survivor(restart: bool) -> None:
    feed = Feed(PipelineConfig())
    for i, text in enumerate(EN_BACKGROUND):
        feed.article(f"bg{i}", text, 0.0)
    sixers = feed.article("a1", LOOK_ALIKES["a1"], 0.0)["story"]
    blazers = feed.article("b1", LOOK_ALIKES["b1"], 0.0)["story"]
    assert sixers != blazers
    feed.command(_command("merge", blazers, "m1", stories=[sixers]), 0.1)
    feed.article("b2", LOOK_ALIKES["b2"], 1.5)
    feed.article("b3", LATER["b3"], 2.5)  # keeps the survivor live past the fold's horizon
    if restart:
        feed.restart()
    before = feed.story(blazers)
    assert before is not None
    line = feed.article("a1-resend", LOOK_ALIKES["a1"], 3.2)
    assert line["duplicate_of"] == "a1"
    assert line["story"] == blazers
    assert line["story_title"] == before["h"]
    after = feed.story(blazers)
    assert after is not None
    assert (after["n"], after["t"]) == (before["n"] + 1, 3.2 * DAY)
    final = feed.final()
    assert final["a1"] == final["a1-resend"] == final["b1"] == blazers


def test_a_late_copy_of_an_article_whose_story_aged_out_opens_nothing() -> None:
    feed = Feed()
    feed.article("b1", LOOK_ALIKES["b1"], 0.0)
    mixed = feed.article("a1", LOOK_ALIKES["a1"], 0.1)["story"]
    feed.article("a2", LOOK_ALIKES["a2"], 1.0)
    blazers = feed.command(_command("split", mixed, "c1", articles=["b1"]), 1.1)["story"]
    before = feed.story(mixed)
    # Day 3.2: the Blazers story (b1 alone, day 0) has aged out, the mixed one has not.
    line = feed.article("b1-resend", LOOK_ALIKES["b1"], 3.2)
    assert line["duplicate_of"] == "b1"
    assert line["story"] == blazers
    assert feed.story(blazers) is None
    assert feed.story(mixed) == before
    assert feed.pipeline.stories.live == 1


# Defect 7: an article seen again after a correction.


def test_an_article_seen_again_after_a_split_is_reported_in_its_current_story() -> None:
    shards = Shards(lambda _: Pipeline({}, {}, {}, MIXING))
    records = [{"id": key, "text": text, "language": "en"} for key, text in LOOK_ALIKES.items()]
    records.append({"id": "b1-copy", "text": LOOK_ALIKES["b1"], "language": "en"})
    records.append({"id": "a3", "text": LATER["a3"], "language": "en"})
    out = list(label_records(records, shards))
    mixed = out[0]["story"]
    assert {line["story"] for line in out} == {mixed}
    split = _command("split", mixed, "c1", articles=["b1"], title="Blazers fire McMillan")
    out += list(label_records([{"command": split.to_dict()}], shards))
    blazers = out[-1]["story"]
    # b1, its copy and a2 come again (a repeated input line, a redelivery).
    again = list(label_records([records[1], records[4], records[2]], shards))
    b1, b1_copy, a2 = again
    assert (b1["story"], b1_copy["story"], a2["story"]) == (blazers, blazers, mixed)
    assert b1["story_title"] == b1_copy["story_title"] == "Blazers fire McMillan"
    # It is a repeat in a story it did not open or merge into: an update of that story.
    assert b1["story_event"] == "updated"
    assert b1["merged_from"] == []
    assert b1_copy["duplicate_of"] == "b1"
    final = after_events(out + again)
    assert final[1] == final[-3] == final[-2] == blazers
    assert final[2] == final[-1] == mixed
    # a1 opened the mixed story; split out (with a2, its rewrite), it is seen again in its
    # new story, which it did not open.
    split = _command("split", mixed, "c2", articles=["a1"])
    out += again + list(label_records([{"command": split.to_dict()}], shards))
    sixers = out[-1]["story"]
    (a1,) = label_records([records[0]], shards)
    assert (a1["story"], a1["story_event"]) == (sixers, "updated")
    assert after_events([*out, a1])[-1] == after_events(out)[0] == sixers


def test_an_article_seen_again_after_its_link_aged_out_is_reported_where_it_was_moved() -> None:
    feed, mixed = _mixed_feed()
    blazers = feed.command(_command("split", mixed, "c1", articles=["b1"]), 2.1)
    feed.article("a3", LATER["a3"], 2.5)
    feed.article("a4", LATER["a3"] + " More soon.", 3.2)
    # Day 3.2: b1's link has aged out, its decision (kept the dedup horizon) has not.
    assert ARTICLE + "b1" not in feed.pipeline.stories.store
    decision, replay = feed.pipeline.decide(
        normalise_article({"id": "b1", "text": LOOK_ALIKES["b1"], "language": "en"}), 3.2 * DAY
    )
    assert replay
    assert decision.story.story_id == blazers["story"]


# Defect 5: the automatic merge and an editor's split.

# Two coach firings told together: it joins both halves of a split mixed story.
_BRIDGE = (
    "Two coaches fired: the Philadelphia Sixers fired head coach Maurice Cheeks and the "
    "Portland Trail Blazers fired head coach Nate McMillan after a poor start to the season; "
    "Tony DiLeo and Kaleb Canales take over as interim coach."
)
# Merges at a low bar: the two halves of the split read as one event.
EAGER = StoryConfig(cue_floor=0.0, merge_floor=0.2)


def _split_index() -> tuple[StoryIndex, str, str]:
    index = StoryIndex({}, EAGER)
    for i, text in enumerate(EN_BACKGROUND):
        index.assign_story(article(f"bg{i}", text), 0.0)
    stories = {index.assign_story(article(k, t), 10.0).story_id for k, t in LOOK_ALIKES.items()}
    assert len(stories) == 1
    mixed = stories.pop()
    done, _ = index.correct(_command("split", mixed, "c1", articles=["b1", "b2"]), 20.0)
    return index, mixed, done.story_id


@pytest.mark.parametrize("restart", [False, True])
def test_an_automatic_merge_does_not_fold_back_a_split(restart: bool) -> None:
    index, mixed, blazers = _split_index()
    if restart:
        index = StoryIndex(copy.deepcopy(dict(index.store)), EAGER)
    decision = index.assign_story(article("x", _BRIDGE), 30.0)
    assert decision.story_id in {mixed, blazers}
    assert decision.event == "updated"
    assert decision.merged_from == ()
    assert STORY + mixed in index.store
    assert STORY + blazers in index.store
    # Later articles of each event still join their own story.
    assert index.assign_story(article("b3", LATER["b3"]), 40.0).story_id == blazers
    assert index.assign_story(article("a3", LATER["a3"]), 40.0).story_id == mixed


def test_an_automatic_merge_does_not_undo_a_move() -> None:
    index, mixed, blazers = _split_index()
    # b2 goes back to the mixed story, then the editor moves it where it belongs.
    index.correct(_command("move", mixed, "v1", articles=["b2"]), 21.0)
    index.correct(_command("move", blazers, "v2", articles=["b2"]), 22.0)
    decision = index.assign_story(article("x", _BRIDGE), 30.0)
    assert decision.merged_from == ()
    assert STORY + mixed in index.store
    assert STORY + blazers in index.store


def test_an_editor_can_merge_what_was_split_and_split_it_again() -> None:
    index, mixed, blazers = _split_index()
    done, _ = index.correct(_command("merge", mixed, "m1", stories=[blazers]), 25.0)
    assert done.event == "merged"
    assert STORY + blazers not in index.store
    assert index.store[STORY + mixed]["n"] == 4
    again, _ = index.correct(_command("split", mixed, "c2", articles=["b1", "b2"]), 26.0)
    decision = index.assign_story(article("x", _BRIDGE), 30.0)
    assert decision.merged_from == ()
    assert {STORY + mixed, STORY + again.story_id} <= index.store.keys()


def test_stories_kept_apart_stay_apart_when_one_is_folded_into_another() -> None:
    index, mixed, blazers = _split_index()
    # The editor files the Blazers story under a third one: that one now holds what was
    # split from the mixed story.
    third = index.store[ARTICLE + "bg0"][0]
    index.correct(_command("merge", third, "m1", stories=[blazers]), 25.0)
    assert index.resolve(blazers) == third
    decision = index.assign_story(article("x", _BRIDGE), 30.0)
    assert decision.merged_from == ()
    assert {STORY + mixed, STORY + third} <= index.store.keys()


# Defect 8: the story articles left keeps their clock.


def _dated(article_id: str, text: str, day: float) -> Article:
    return dataclasses.replace(article(article_id, text), firstcreated=day * DAY)


@pytest.mark.parametrize("how", ["split", "move"])
def test_a_story_does_not_keep_the_clock_of_articles_moved_out(how: str) -> None:
    index = StoryIndex({}, ONE_STORY)
    other = index.assign_story(_dated("bg0", EN_BACKGROUND[0], 0.0), 0.0).story_id
    story = index.assign_story(_dated("a1", LOOK_ALIKES["a1"], 0.0), 0.0).story_id
    assert index.assign_story(_dated("a2", LOOK_ALIKES["a2"], 1.0), 1.0 * DAY).story_id == story
    index.assign_story(_dated("bg1", EN_BACKGROUND[1], 2.0), 2.0 * DAY)  # keeps `other` out
    if how == "split":
        index.correct(_command("split", story, "c", articles=["a2"]), 2.1 * DAY)
    else:
        index.correct(_command("move", other, "c", articles=["a2"]), 2.1 * DAY)
    left = index.store[STORY + story]
    # It holds a1 alone (arrived and published on day 0).
    assert (left["n"], left["t"], left["p"]) == (1, 0.0, 0.0)
    index.evict(3.5 * DAY)
    assert STORY + story not in index.store


def test_a_copy_that_stays_keeps_the_story_alive() -> None:
    index = StoryIndex({}, ONE_STORY)
    story = index.assign_story(_dated("a1", LOOK_ALIKES["a1"], 0.0), 0.0).story_id
    index.assign_story(_dated("a2", LOOK_ALIKES["a2"], 1.0), 1.0 * DAY)
    index.follow(_dated("a1-copy", LOOK_ALIKES["a1"], 0.0), "a1", 1.5 * DAY)
    index.correct(_command("split", story, "c", articles=["a2"]), 2.1 * DAY)
    assert index.store[STORY + story]["t"] == 1.5 * DAY
    index.evict(4.0 * DAY)
    assert STORY + story in index.store
