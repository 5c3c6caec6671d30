"""Editors' story commands: a split moves articles to a new story, a merge folds stories."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import orjson
import pytest

from service.models import Correction, Rejected, RejectReason, StoryCommand
from service.pipeline.cluster import (
    ARTICLE,
    COMMAND,
    MERGED,
    STORY,
    StoryConfig,
    StoryIndex,
)
from service.pipeline.decide import Pipeline, Shards, label_records
from service.records import after_events
from tests.pipeline.test_cluster import EN_BACKGROUND, LOOK_ALIKES, article

# Without the cue signal the two look-alike events (two coaches fired) form one story: the
# kind of mistake an editor corrects.
ONE_STORY = StoryConfig(cue_floor=0.0)
LATER = {
    "a3": "Tony DiLeo was named interim coach of the Philadelphia Sixers after the team fired "
    "Maurice Cheeks, and the Sixers said DiLeo would finish the season.",
    "b3": "Kaleb Canales was named interim coach of the Portland Trail Blazers after the team "
    "fired Nate McMillan, and the Blazers said Canales would finish the season.",
}


def _mixed() -> tuple[StoryIndex, str]:
    """An index whose one story holds both look-alike events, and that story's id."""
    index = StoryIndex({}, ONE_STORY)
    for i, text in enumerate(EN_BACKGROUND):
        index.assign_story(article(f"bg{i}", text), 0.0)
    stories = {index.assign_story(article(k, t), 10.0).story_id for k, t in LOOK_ALIKES.items()}
    assert len(stories) == 1
    return index, stories.pop()


def _split(story: str, *articles: str, command_id: str = "c1") -> StoryCommand:
    return StoryCommand.from_dict(
        {
            "id": command_id,
            "action": "split",
            "shard": "en",
            "story": story,
            "articles": list(articles),
            "title": "Blazers fire McMillan",
        }
    )


def _move(story: str, *articles: str, command_id: str = "v1") -> StoryCommand:
    return StoryCommand.from_dict(
        {"id": command_id, "action": "move", "shard": "en", "story": story, "articles": [*articles]}
    )


def _merge(story: str, *stories: str, command_id: str = "m1") -> StoryCommand:
    return StoryCommand.from_dict(
        {"id": command_id, "action": "merge", "shard": "en", "story": story, "stories": [*stories]}
    )


def refused_memo(refused: Rejected, command_id: str, now: float) -> dict[str, Any]:
    """The stories store's memo of a refused command."""
    memo = {"command": command_id, "rejected": refused.reason.value, "detail": refused.detail}
    return {COMMAND + command_id: {**memo, "t": now}}


def test_a_split_moves_articles_to_a_new_story_that_later_articles_join() -> None:
    index, mixed = _mixed()
    before = index.live
    done, _ = index.correct(_split(mixed, "b1", "b2"), 20.0)
    assert done.event == "split"
    assert done.split_from == mixed
    assert done.articles == ("b1", "b2")
    assert done.title == "Blazers fire McMillan"
    assert done.story_id != mixed
    assert index.live == before + 1
    assert index.store[STORY + mixed]["n"] == 2
    assert index.store[STORY + done.story_id]["n"] == 2
    assert index.store[ARTICLE + "b1"][0] == index.store[ARTICLE + "b2"][0] == done.story_id
    assert index.store[ARTICLE + "a1"][0] == mixed
    # The centroids now tell the two events apart: each later article joins its own.
    assert index.assign_story(article("b3", LATER["b3"]), 30.0).story_id == done.story_id
    assert index.assign_story(article("a3", LATER["a3"]), 30.0).story_id == mixed
    # A copy of a moved article follows it.
    assert index.follow(article("b1-copy", LOOK_ALIKES["b1"]), "b1", 40.0).story_id == (
        done.story_id
    )


def test_a_split_survives_a_restore_from_the_store() -> None:
    index, mixed = _mixed()
    done, _ = index.correct(_split(mixed, "b1", "b2"), 20.0)
    stored = orjson.loads(orjson.dumps(dict(index.store)))
    restored = StoryIndex(stored, ONE_STORY)
    assert restored.live == index.live
    assert restored.assign_story(article("b3", LATER["b3"]), 30.0).story_id == done.story_id


@pytest.mark.parametrize(
    ("story", "articles", "detail"),
    [
        ("st-unknown", ("b1",), "no live story"),
        (None, ("b1", "bg0"), "not in story"),
        (None, ("nowhere",), "no live article nowhere"),
        (None, ("a1", "a2", "b1", "b2"), "must leave"),
    ],
)
def test_a_split_that_cannot_apply_is_refused_and_changes_nothing(
    story: str | None, articles: tuple[str, ...], detail: str
) -> None:
    index, mixed = _mixed()
    index.follow(article("a1-copy", LOOK_ALIKES["a1"]), "a1", 15.0)
    before = copy.deepcopy(dict(index.store))
    with pytest.raises(Rejected) as refused:
        index.correct(_split(story or mixed, *articles), 20.0)
    assert refused.value.reason == RejectReason.BAD_COMMAND
    assert detail in refused.value.detail
    # Nothing but the memo of the refusal (the command id stays refused).
    assert dict(index.store) == {**before, **refused_memo(refused.value, "c1", 20.0)}


def test_a_split_moves_the_copies_of_its_articles() -> None:
    index, mixed = _mixed()
    index.follow(article("b1-copy", LOOK_ALIKES["b1"]), "b1", 15.0)
    index.follow(article("a1-copy", LOOK_ALIKES["a1"]), "a1", 15.0)
    assert index.store[STORY + mixed]["n"] == 6
    done, _ = index.correct(_split(mixed, "b1", "b2"), 20.0)
    assert index.store[ARTICLE + "b1-copy"][0] == done.story_id
    assert index.store[ARTICLE + "a1-copy"][0] == mixed
    assert (index.store[STORY + mixed]["n"], index.store[STORY + done.story_id]["n"]) == (3, 3)
    # Restored from the store, the index still knows the copies.
    restored = StoryIndex(copy.deepcopy(dict(index.store)), ONE_STORY)
    again, _ = restored.correct(_split(done.story_id, "b1", command_id="c2"), 30.0)
    assert restored.store[ARTICLE + "b1-copy"][0] == again.story_id
    # A story of one article and its copy cannot lose the article.
    alone = StoryIndex({})
    story = alone.assign_story(article("x", LOOK_ALIKES["a1"]), 0.0).story_id
    alone.follow(article("x-copy", LOOK_ALIKES["a1"]), "x", 1.0)
    with pytest.raises(Rejected, match="must leave"):
        alone.correct(_split(story, "x"), 2.0)


def test_the_old_story_forgets_what_the_moved_articles_brought() -> None:
    index, mixed = _mixed()
    done, _ = index.correct(_split(mixed, "b1", "b2"), 20.0)
    source = index.store[STORY + mixed]
    cues = {cue for member in source["m"] for cue in member}
    assert cues
    assert not cues & {"#blazers", "#mcmillan", "#canales", "#portland"}
    assert "#blazers" not in source["c"]
    # ... and is no longer looked up by the moved event's names.
    assert mixed not in index._postings.get("#mcmillan", [])
    assert done.story_id in index._postings["#mcmillan"]


def test_a_split_undone_by_a_merge_can_be_made_again() -> None:
    index, mixed = _mixed()
    done, _ = index.correct(_split(mixed, "b1", "b2"), 20.0)
    index.correct(_merge(mixed, done.story_id), 21.0)
    assert index.store[STORY + mixed]["n"] == 4
    redone, _ = index.correct(_split(mixed, "b1", "b2", command_id="c2"), 22.0)
    assert redone.story_id != done.story_id
    assert index.store[ARTICLE + "b1"][0] == redone.story_id


def test_the_same_split_twice_is_refused() -> None:
    index, mixed = _mixed()
    index.correct(_split(mixed, "b1"), 20.0)
    # b1 is no longer in the story it is named with.
    with pytest.raises(Rejected, match="not in story"):
        index.correct(_split(mixed, "b1", command_id="c2"), 21.0)


def test_a_merge_folds_stories_into_the_one_named() -> None:
    index = StoryIndex({})
    for i, text in enumerate(EN_BACKGROUND):
        index.assign_story(article(f"bg{i}", text), 0.0)
    story = {k: index.assign_story(article(k, t), 10.0).story_id for k, t in LOOK_ALIKES.items()}
    sixers, blazers = story["a1"], story["b1"]
    assert sixers != blazers
    before = index.live
    done, _ = index.correct(_merge(blazers, sixers), 20.0)
    # The editor chose the id that stays, whatever the sizes.
    assert done == Correction("m1", blazers, "merged", index.title(blazers), (sixers,))
    assert index.live == before - 1
    assert STORY + sixers not in index.store
    assert index.store[MERGED + sixers][0] == blazers
    assert index.store[STORY + blazers]["n"] == 4
    assert index.follow(article("a1-copy", LOOK_ALIKES["a1"]), "a1", 30.0).story_id == blazers
    # Merging a story into itself (or into the story it was folded into) is refused.
    with pytest.raises(Rejected, match="already"):
        index.correct(_merge(blazers, sixers, command_id="m2"), 21.0)


@pytest.mark.parametrize(
    ("command", "detail"),
    [
        ({"action": "rename"}, "'action' must be one of split, merge"),
        ({"action": "split", "shard": "en", "story": "s"}, "'id' must be"),
        ({"id": "c", "action": "split", "shard": "en", "story": "s"}, "a split needs"),
        ({"id": "c", "action": "merge", "shard": "en", "story": "s", "stories": "t"}, "a list"),
        ({"id": "c", "action": "merge", "story": "s", "stories": ["t"]}, "'shard' must be"),
        ([], "a JSON object"),
    ],
)
def test_a_malformed_command_says_what_is_wrong(command: Any, detail: str) -> None:
    with pytest.raises(Rejected) as refused:
        StoryCommand.from_dict(command)
    assert refused.value.reason == RejectReason.BAD_COMMAND
    assert detail in refused.value.detail


def test_a_commands_shard_is_read_as_the_shards_are_named() -> None:
    # Shards are lowercase language codes (`/stories` lists "en"); an editor typing "EN" means
    # that shard, not an empty one where the story is never found.
    for typed in ("EN", " en ", "En"):
        command = {"id": "c", "action": "merge", "shard": typed, "story": "s", "stories": ["t"]}
        assert StoryCommand.from_dict(command).shard == "en"
    # A code of a language folded with others names their shard: "hr" is where Croatian,
    # Serbian and Bosnian stories live ("sh"), and was a shard with no story.
    for typed, shard in (("hr", "sh"), ("SR", "sh"), ("ms", "id"), ("nb", "no")):
        command = {"id": "c", "action": "merge", "shard": typed, "story": "s", "stories": ["t"]}
        assert StoryCommand.from_dict(command).shard == shard


def test_a_command_delivered_twice_is_applied_once() -> None:
    pipeline = Pipeline({}, {}, {})
    index = pipeline.stories
    for key, text in LOOK_ALIKES.items():
        index.assign_story(article(key, text), 0.0)
    story = index.store[ARTICLE + "a1"][0]
    other = index.store[ARTICLE + "b1"][0]
    first, replay = pipeline.correct(_merge(story, other), 10.0)
    assert not replay
    state = copy.deepcopy(dict(index.store))
    again, replay = pipeline.correct(_merge(story, other), 11.0)
    assert replay
    assert again == first
    assert dict(index.store) == state


def test_a_refused_command_stays_refused_when_delivered_again() -> None:
    # Refused (b3 has not arrived): the editor is told so. Delivered again once b3 is in the
    # story (at least once: the worker stopped after the dead letter, before its offset was
    # committed), it must not apply after all, and says the same as the first time.
    index, mixed = _mixed()
    split = _split(mixed, "b3")
    with pytest.raises(Rejected) as refused:
        index.correct(split, 20.0)
    index.assign_story(article("b3", LATER["b3"]), 21.0)
    assert index.store[ARTICLE + "b3"][0] == mixed
    state = copy.deepcopy(dict(index.store))
    with pytest.raises(Rejected) as again:
        index.correct(split, 22.0)
    assert (refused.value.again, again.value.again) == (False, True)
    assert (again.value.reason, again.value.detail) == (
        RejectReason.BAD_COMMAND,
        "no live article b3",
    )
    assert dict(index.store) == state
    # The same change under a new id is a new command: it applies.
    done, replay = index.correct(_split(mixed, "b3", command_id="c2"), 23.0)
    assert (done.event, done.articles, replay) == ("split", ("b3",), False)


def test_a_refused_command_is_remembered_as_long_as_an_applied_one() -> None:
    index, mixed = _mixed()
    with pytest.raises(Rejected):
        index.correct(_split(mixed, "nowhere", command_id="refused"), 20.0)
    index.correct(_split(mixed, "b1", command_id="applied"), 20.0)
    memos = {COMMAND + "refused", COMMAND + "applied"}
    horizon = ONE_STORY.horizon_seconds
    # The same in a worker restarted from its tables (the memo's time read from the store).
    for stage in (index, StoryIndex(copy.deepcopy(dict(index.store)), ONE_STORY)):
        stage.evict(20.0 + horizon)
        assert memos <= stage.store.keys()
        stage.evict(20.0 + horizon + 1)
        assert not memos & stage.store.keys()


def test_label_applies_commands_and_the_final_stories_follow_them() -> None:
    shards = Shards(lambda _: Pipeline({}, {}, {}, _one_story_config()))
    records: list[dict[str, Any]] = [
        {"id": key, "text": text, "language": "en"} for key, text in LOOK_ALIKES.items()
    ]
    # An exact copy of b1 under another id: hidden as a copy, in b1's story.
    records.append({"id": "b1-again", "text": LOOK_ALIKES["b1"], "language": "en"})
    out = list(label_records(records, shards))
    assert out[-1]["duplicate_of"] == "b1"
    assert len({line["story"] for line in out}) == 1
    mixed = out[0]["story"]
    command = _split(mixed, "b1", "b2").to_dict()
    refused = {"command": {**command, "id": "c2", "articles": ["nowhere"]}}
    later = [{"id": "b3", "text": LATER["b3"], "language": "en"}]
    out += list(label_records([{"command": command}, refused, *later], shards))
    split, rejected, b3 = out[-3:]
    assert split["story_event"] == "split"
    assert split["split_from"] == mixed
    assert rejected["rejected"] == "bad_command"
    assert rejected["id"] == "c2"
    assert "no live article nowhere" in rejected["detail"]
    assert b3["story"] == split["story"]
    final = dict(zip([line.get("id") for line in out], after_events(out), strict=True))
    assert final["a1"] == final["a2"] == mixed
    assert final["b1"] == final["b2"] == final["b1-again"] == final["b3"] == split["story"]


def test_label_refuses_a_command_seen_again_as_it_did_the_first_time() -> None:
    shards = Shards(lambda _: Pipeline({}, {}, {}, _one_story_config()))
    records = [{"id": key, "text": text, "language": "en"} for key, text in LOOK_ALIKES.items()]
    mixed = next(label_records(records, shards))["story"]
    # Refused (b3 is not in yet); the same line again once b3 is in the story: refused again.
    command = {"command": _split(mixed, "b3").to_dict()}
    b3 = {"id": "b3", "text": LATER["b3"], "language": "en"}
    first, arrived, again = label_records([command, b3, command], shards)
    assert (first["rejected"], first["id"]) == ("bad_command", "c1")
    assert arrived["story"] == mixed
    assert again == first


def _one_story_config() -> Any:
    from service.pipeline.decide import PipelineConfig

    return PipelineConfig(story=ONE_STORY)


def test_final_stories_do_not_depend_on_the_order_events_are_read_in() -> None:
    # Story events are keyed by story: a consumer of several partitions reads them in any
    # order. Their times order them.
    events: list[dict[str, Any]] = [
        {"story": "S", "article_id": "a", "time": 1.0},
        {"story": "S", "article_id": "b", "time": 2.0},
        {"story": "S", "article_id": "b-copy", "duplicate_of": "b", "time": 3.0},
        {"story": "N", "article_id": None, "split_from": "S", "articles": ["b"], "time": 4.0},
        {"story": "N", "article_id": "b-copy2", "duplicate_of": "b", "time": 5.0},
        {"story": "T", "article_id": "c", "time": 6.0},
        {"story": "T", "article_id": None, "merged_from": ["N"], "time": 7.0},
        {"story": "U", "article_id": None, "split_from": "T", "articles": ["c"], "time": 8.0},
    ]
    expected = {"a": "S", "b": "T", "b-copy": "T", "b-copy2": "T", "c": "U"}
    for order in itertools.permutations(events):
        final = dict(zip([e["article_id"] for e in order], after_events(order), strict=True))
        del final[None]
        assert final == expected


def test_a_move_is_applied_in_time_order_too() -> None:
    events: list[dict[str, Any]] = [
        {"story": "S", "article_id": "a", "time": 1.0},
        {"story": "S", "article_id": "b", "time": 2.0},
        {"story": "T", "article_id": "c", "time": 3.0},
        {"story": "T", "article_id": None, "moved_from": ["S"], "articles": ["b"], "time": 4.0},
        {"story": "T", "article_id": "b-copy", "duplicate_of": "b", "time": 5.0},
        {"story": "S", "article_id": None, "moved_from": ["T"], "articles": ["b"], "time": 6.0},
    ]
    expected = {"a": "S", "b": "S", "b-copy": "S", "c": "T"}
    for order in itertools.permutations(events):
        final = dict(zip([e["article_id"] for e in order], after_events(order), strict=True))
        del final[None]
        assert final == expected


def test_commands_and_articles_do_not_share_names() -> None:
    shards = Shards.in_memory()
    first = {"id": "a1", "text": LOOK_ALIKES["a1"], "language": "en"}
    second = {"id": "b1", "text": LOOK_ALIKES["b1"], "language": "en"}
    out = list(label_records([first, second], shards))
    command = _merge(out[0]["story"], out[1]["story"], command_id="c1").to_dict()
    # An article whose id reads like a command's, and one with a "command" field of its own.
    lookalike = {"id": "command:c1", "text": LOOK_ALIKES["a2"], "language": "en"}
    field = {"id": "a3", "text": LATER["a3"], "language": "en", "command": "none"}
    out = list(label_records([{"command": command}, lookalike, field], shards))
    assert [line.get("story_event") for line in out] == ["merged", "updated", "updated"]
    assert [line.get("rejected") for line in out] == [None, None, None]


def test_a_copy_named_in_a_split_stands_for_its_original() -> None:
    # A copy's story is its original's: naming the copy moves the original and its copies.
    index, mixed = _mixed()
    index.follow(article("b1-copy", LOOK_ALIKES["b1"]), "b1", 15.0)
    index.follow(article("b1-copy2", LOOK_ALIKES["b1"]), "b1", 16.0)
    done, _ = index.correct(_split(mixed, "b1-copy", "b2"), 20.0)
    assert done.articles == ("b1", "b2")
    for moved in ("b1", "b1-copy", "b1-copy2", "b2"):
        assert index.store[ARTICLE + moved][0] == done.story_id
    assert index.store[STORY + done.story_id]["n"] == 4
    assert index.store[STORY + mixed]["n"] == 2


def test_a_move_puts_articles_and_their_copies_into_an_existing_story() -> None:
    index, mixed = _mixed()
    index.follow(article("b2-copy", LOOK_ALIKES["b2"]), "b2", 15.0)
    blazers, _ = index.correct(_split(mixed, "b1", command_id="c0"), 20.0)
    before = index.live
    done, replay = index.correct(_move(blazers.story_id, "b2"), 30.0)
    assert not replay
    assert done == Correction(
        "v1",
        blazers.story_id,
        "moved",
        index.title(blazers.story_id),
        articles=("b2",),
        moved_from=(mixed,),
    )
    assert index.live == before
    target = blazers.story_id
    assert index.store[ARTICLE + "b2"][0] == index.store[ARTICLE + "b2-copy"][0] == target
    assert (index.store[STORY + mixed]["n"], index.store[STORY + blazers.story_id]["n"]) == (2, 3)
    # The old story forgot the moved names, the new one is found by them.
    assert "#blazers" not in index.store[STORY + mixed]["c"]
    assert mixed not in index._postings.get("#mcmillan", [])
    # Later articles of each event join their own story, before and after a restore.
    restored = StoryIndex(copy.deepcopy(dict(index.store)), ONE_STORY)
    for state in (index, restored):
        assert state.assign_story(article("b3", LATER["b3"]), 40.0).story_id == blazers.story_id
        assert state.assign_story(article("a3", LATER["a3"]), 40.0).story_id == mixed
        assert state.follow(article("b2-copy2", LOOK_ALIKES["b2"]), "b2", 41.0).story_id == (
            blazers.story_id
        )


def test_a_move_takes_articles_from_several_stories() -> None:
    index = StoryIndex({})
    for i, text in enumerate(EN_BACKGROUND):
        index.assign_story(article(f"bg{i}", text), 0.0)
    story = {k: index.assign_story(article(k, t), 10.0).story_id for k, t in LOOK_ALIKES.items()}
    budget = index.store[ARTICLE + "bg1"][0]
    assert index.store[STORY + budget]["n"] == 1
    # The editor files one Sixers and one Blazers report under the budget story.
    done, _ = index.correct(_move(budget, "a2", "b2"), 20.0)
    assert set(done.moved_from) == {story["a1"], story["b1"]}
    assert index.store[STORY + budget]["n"] == 3
    assert index.store[STORY + story["a1"]]["n"] == index.store[STORY + story["b1"]]["n"] == 1
    assert index.store[ARTICLE + "a2"][0] == index.store[ARTICLE + "b2"][0] == budget


@pytest.mark.parametrize(
    ("story", "articles", "detail"),
    [
        ("st-unknown", ("b2",), "no live story"),
        ("blazers", ("b1",), "is in story"),
        ("blazers", ("b2", "nowhere"), "no live article nowhere"),
        # Moving every article of the mixed story would leave it empty: that is a merge.
        ("blazers", ("a1", "a2", "b2"), "merge it instead"),
    ],
)
def test_a_move_that_cannot_apply_is_refused_and_changes_nothing(
    story: str, articles: tuple[str, ...], detail: str
) -> None:
    index, mixed = _mixed()
    index.follow(article("b2-copy", LOOK_ALIKES["b2"]), "b2", 15.0)
    blazers, _ = index.correct(_split(mixed, "b1", command_id="c0"), 20.0)
    target = blazers.story_id if story == "blazers" else story
    before = copy.deepcopy(dict(index.store))
    postings = copy.deepcopy(index._postings)
    with pytest.raises(Rejected) as refused:
        index.correct(_move(target, *articles), 30.0)
    assert refused.value.reason == RejectReason.BAD_COMMAND
    assert detail in refused.value.detail
    assert dict(index.store) == {**before, **refused_memo(refused.value, "v1", 30.0)}
    assert index._postings == postings


def test_label_applies_a_move_and_the_final_stories_follow_it() -> None:
    shards = Shards(lambda _: Pipeline({}, {}, {}, _one_story_config()))
    texts = {**LOOK_ALIKES, **LATER, "b3-again": LATER["b3"]}
    records = [{"id": key, "text": text, "language": "en"} for key, text in texts.items()]
    out = list(label_records(records, shards))
    assert out[-1]["duplicate_of"] == "b3"
    mixed = out[0]["story"]
    assert {line["story"] for line in out} == {mixed}
    split = _split(mixed, "b1", command_id="c0").to_dict()
    out += list(label_records([{"command": split}], shards))
    blazers = out[-1]["story"]
    # The copy named stands for its original.
    move = _move(blazers, "b3-again").to_dict()
    out += list(label_records([{"command": move}], shards))
    assert out[-1]["story_event"] == "moved"
    assert out[-1]["story"] == blazers
    assert out[-1]["moved_from"] == [mixed]
    assert out[-1]["articles"] == ["b3"]
    final = dict(zip([line.get("id") for line in out], after_events(out), strict=True))
    assert final["a1"] == final["a2"] == final["a3"] == mixed
    assert final["b1"] == final["b2"] == final["b3"] == final["b3-again"] == blazers
