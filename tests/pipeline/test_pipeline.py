"""The decide pipeline's state over time: what a restart keeps, and what eviction reads."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from service.benchmarks.dedup import ArticleMaker
from service.models import Article
from service.pipeline.cluster import WATERMARK
from service.pipeline.decide import Pipeline, PipelineConfig
from service.pipeline.normalise import normalise_article

HOUR = 3600.0
WORDS = ["harbour", "storm", "river", "council", "vote", "court", "fire", "rescue", "power"]


def _article(number: int) -> Article:
    """Reports of their own words, each sent three times (copies follow their original)."""
    report = number // 3
    rng = random.Random(report)
    suffix = "".join(chr(97 + int(digit)) for digit in str(report))
    text = " ".join(rng.choice(WORDS) + suffix for _ in range(90))
    return Article(
        id=f"a{number}",
        guid=f"a{number}",
        version=1,
        headline=f"Report {suffix}",
        body=f"{text}.",
        language="en",
        fingerprint=f"f{number}",
    )


class CountingStore(dict[str, Any]):
    """A dict that counts the values read from it (a disk-backed table decodes each)."""

    reads = 0

    def __getitem__(self, key: str) -> Any:
        self.reads += 1
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.reads += 1
        return super().get(key, default)

    def items(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        for key in list(self):
            yield key, self[key]


def _config() -> PipelineConfig:
    return PipelineConfig.with_horizons(6 * HOUR, 4 * HOUR)


def _stores() -> tuple[CountingStore, CountingStore, CountingStore]:
    return CountingStore(), CountingStore(), CountingStore()


def test_a_restarted_pipeline_forgets_what_was_written_before_the_restart() -> None:
    dedup, stories, decisions = _stores()
    first = Pipeline(dedup, stories, decisions, _config())
    for number in range(12):
        first.decide(_article(number), number * 60.0)
    assert dedup
    assert stories
    assert decisions
    # A restart: the tables come back (changelog or disk), the pipeline is made anew.
    restarted = Pipeline(dedup, stories, decisions, _config())
    assert restarted.evict(12 * HOUR) > 0
    assert dedup == {}
    assert set(stories) == {WATERMARK} or stories == {}
    assert decisions == {}


def test_eviction_does_not_read_live_entries() -> None:
    dedup, stories, decisions = _stores()
    pipeline = Pipeline(dedup, stories, decisions, _config())
    for number in range(30):
        pipeline.decide(_article(number), number * 60.0)
    for store in (dedup, stories, decisions):
        store.reads = 0
    assert pipeline.evict(31 * 60.0) == 0
    assert dedup.reads + stories.reads + decisions.reads == 0
    # Past the horizons everything goes, and only what goes is read.
    pipeline.evict(12 * HOUR)
    assert dedup == {}
    assert decisions == {}
    assert set(stories) <= {WATERMARK}


def test_eviction_after_the_emitted_mark_counts_from_the_mark() -> None:
    dedup, stories, decisions = _stores()
    pipeline = Pipeline(dedup, stories, decisions, _config())
    pipeline.decide(_article(0), 0.0)
    # Outputs acknowledged late (a replayed dead letter): the memo lives from then on.
    pipeline.mark_emitted("a0", decisions["a0"], 5 * HOUR)
    pipeline.evict(7 * HOUR)
    assert "a0" in decisions
    pipeline.evict(12 * HOUR)
    assert "a0" not in decisions


def test_outputs_taken_are_kept_until_the_article_is_published() -> None:
    dedup, stories, decisions = _stores()
    pipeline = Pipeline(dedup, stories, decisions, _config())
    decision, _ = pipeline.decide(_article(0), 0.0)
    # The broker took the story event and refused the article: the replay sends the rest.
    pipeline.mark_taken("a0", decisions["a0"], {"story"})
    assert decisions["a0"]["taken"] == ["story"]
    again, replay = pipeline.decide(_article(0), 60.0)
    assert replay
    assert again.story.story_id == decision.story.story_id
    pipeline.mark_emitted("a0", decisions["a0"], 60.0)
    assert decisions["a0"]["emitted"] is True
    assert "taken" not in decisions["a0"]


def _report(article_id: str, tail: str = "", seed: int = 3) -> Article:
    """A synthetic wire report, as the normaliser makes it; `tail` makes a near copy."""
    made = ArticleMaker(seed=seed).article("x")
    return normalise_article(
        {"id": article_id, "title": made.headline, "text": made.body + tail, "language": "en"}
    )


def test_a_copy_after_its_story_aged_out_keeps_the_original_s_story() -> None:
    # Dedup remembers for 6 hours, stories for 4: a copy at 5 hours is still a copy, and is
    # tagged with its original's story instead of opening one of hidden copies.
    pipeline = Pipeline({}, {}, {}, _config())
    first, _ = pipeline.decide(_report("a"), 0.0)
    copy, _ = pipeline.decide(_report("b", "\n\nAP"), 5 * HOUR)
    assert copy.dedup.duplicate_of == "a"
    assert (copy.story.story_id, copy.story.event) == (first.story.story_id, "updated")
    assert pipeline.stories.live == 0


def test_a_copy_after_its_original_s_link_aged_out_joins_the_live_story() -> None:
    pipeline = Pipeline({}, {}, {}, _config())
    first, _ = pipeline.decide(_report("a"), 0.0)
    # The story lives on past the original's own link: a copy made live again by an edit
    # stands in for a later article of the story (the index is given it directly).
    pipeline.stories.follow(_report("x"), "a", 3 * HOUR)
    copy, _ = pipeline.decide(_report("b", "\n\nAP"), 5 * HOUR)
    assert copy.dedup.duplicate_of == "a"
    assert copy.story.story_id == first.story.story_id
    assert pipeline.stories.store["story:" + first.story.story_id]["n"] == 3


def _item(article_id: str, version: int, text: str) -> Article:
    return normalise_article(
        {"id": article_id, "uri": "urn:item:1", "version": version, "text": text, "language": "en"}
    )


FLASH_TEXT = "BULLETIN -- Harbour bridge closed after ship strike"
WRITE_THROUGH = (
    "Engineers inspected the damaged span through the night while ferries carried "
    "commuters across the estuary, and the transport authority said repairs would take "
    "weeks once divers had surveyed the piers below the waterline."
)


def test_a_version_continues_its_item_s_story_whatever_its_words() -> None:
    # A one-line flash and its write-through share no word: placed by its words, the
    # write-through opened a story of its own (a review's case, twelfth session).
    pipeline = Pipeline({}, {}, {}, _config())
    flash, _ = pipeline.decide(_item("f1", 1, FLASH_TEXT), 0.0)
    later, _ = pipeline.decide(_item("f2", 2, WRITE_THROUGH), HOUR)
    assert (later.dedup.kind, later.dedup.duplicate_of) == ("version", "f1")
    assert (later.story.story_id, later.story.event) == (flash.story.story_id, "updated")
    assert pipeline.stories.store["story:" + flash.story.story_id]["n"] == 2


def test_a_version_after_its_item_s_story_aged_out_is_placed_by_its_words() -> None:
    # Dedup remembers for 6 hours, stories for 4: the item is known, its story is gone and
    # is not revived.
    pipeline = Pipeline({}, {}, {}, _config())
    flash, _ = pipeline.decide(_item("f1", 1, FLASH_TEXT), 0.0)
    later, _ = pipeline.decide(_item("f2", 2, WRITE_THROUGH), 5 * HOUR)
    assert later.dedup.kind == "version"
    assert later.story.event == "created"
    assert later.story.story_id != flash.story.story_id


def test_a_copy_sent_again_from_the_memo_keeps_its_evidence() -> None:
    pipeline = Pipeline({}, {}, {}, _config())
    pipeline.decide(_report("a"), 0.0)
    copy, _ = pipeline.decide(_report("b", "\n\nAP"), 60.0)
    assert copy.dedup.kind == "near_copy"
    assert copy.dedup.evidence
    again, replay = pipeline.decide(_report("b", "\n\nAP"), 120.0)
    assert replay
    assert again.dedup.evidence == copy.dedup.evidence
