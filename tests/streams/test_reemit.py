"""The worker's decide agent after an editor's correction (in-process: only the topics' sends
are replaced): an article seen again is published with its current story, and a late copy
follows the correction."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from service.models import StoryCommand
from service.pipeline.decide import Pipeline, PipelineConfig, Shards
from service.pipeline.normalise import normalise_article
from service.settings import Settings
from service.streams.app import Worker
from tests.pipeline.test_cluster import LOOK_ALIKES
from tests.pipeline.test_corrections import LATER, ONE_STORY

NOW = 1_750_000_000.0
DAY = 24 * 3600.0


class Topic:
    """A topic whose sends the broker takes; keeps (key, record) of each."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def send(self, key: bytes, value: bytes) -> asyncio.Future[Any]:
        self.sent.append((key.decode(), orjson.loads(value)))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


@pytest.fixture
def worker(tmp_path: Any) -> Worker:
    made = Worker(Settings(web_port=36098, worker_data_dir=tmp_path))
    config = PipelineConfig(story=ONE_STORY)
    made._pipelines = Shards(lambda _: Pipeline({}, {}, {}, config))
    for name in ("articles", "duplicates", "stories", "dlq"):
        setattr(made, name, Topic())
    return made


def _article(key: str, text: str) -> Any:
    return normalise_article({"id": key, "text": text, "language": "en"})


async def _decide(worker: Worker, key: str, text: str, at: float, publish: bool = True) -> None:
    sent, published = await worker._decide(_article(key, text), at)
    await asyncio.gather(*sent)
    if publish and published is not None:
        published([True] * len(sent))


async def _deliver(worker: Worker, command: dict[str, Any], at: float, publish: bool = True) -> int:
    """Hand a command to the decide agent; returns how many records it sent. `publish`: the
    worker records that the broker took them (else it stops before it does)."""
    message = SimpleNamespace(topic="wire.normalised", partition=0, offset=0, key=b"en", value=b"")
    sent, published = await worker._correct(
        SimpleNamespace(message=message),  # type: ignore[arg-type]
        StoryCommand.from_dict({"shard": "en", **command}),
        at,
    )
    await asyncio.gather(*sent)
    if publish and published is not None:
        published([True] * len(sent))
    return len(sent)


async def _correct(worker: Worker, command: dict[str, Any], at: float) -> dict[str, Any]:
    assert await _deliver(worker, command, at) == 1
    stories: Topic = worker.stories  # type: ignore[assignment]
    return stories.sent[-1][1]


async def test_a_late_copy_follows_a_split_the_worker_applied(worker: Worker) -> None:
    await _decide(worker, "b1", LOOK_ALIKES["b1"], NOW)
    await _decide(worker, "a1", LOOK_ALIKES["a1"], NOW + 0.1 * DAY)
    await _decide(worker, "a2", LOOK_ALIKES["a2"], NOW + 2.0 * DAY)
    # b3's outputs are acknowledged only after the command that follows it in its batch.
    sent, b3_published = await worker._decide(_article("b3", LATER["b3"]), NOW + 2.0 * DAY)
    stories: Topic = worker.stories  # type: ignore[assignment]
    mixed = stories.sent[0][1]["story"]
    split = await _correct(
        worker,
        {"id": "c1", "action": "split", "story": mixed, "articles": ["b1", "b3"]},
        NOW + 2.1 * DAY,
    )
    assert b3_published is not None
    b3_published([True] * len(sent))
    await _decide(worker, "a3", LATER["a3"], NOW + 2.5 * DAY)
    # Day 3.2: b1's story link has aged out; its copy still goes where the editor put it.
    await _decide(worker, "b1-resend", LOOK_ALIKES["b1"], NOW + 3.2 * DAY)
    duplicates: Topic = worker.duplicates  # type: ignore[assignment]
    key, record = duplicates.sent[-1]
    assert (key, record["id"], record["story"]) == ("b1", "b1-resend", split["story"])
    assert stories.sent[-1][1]["story"] == split["story"]
    # ... and so does one of b3, whose decision was marked published after the split.
    await _decide(worker, "b3-resend", LATER["b3"], NOW + 5.1 * DAY)
    assert duplicates.sent[-1][1]["story"] == split["story"]


async def test_an_article_seen_again_after_a_split_is_published_in_its_current_story(
    worker: Worker,
) -> None:
    for key in ("a1", "a2", "b2"):
        await _decide(worker, key, LOOK_ALIKES[key], NOW)
    # b1's outputs reach the broker, but the worker stops before it records that.
    await _decide(worker, "b1", LOOK_ALIKES["b1"], NOW, publish=False)
    stories: Topic = worker.stories  # type: ignore[assignment]
    duplicates: Topic = worker.duplicates  # type: ignore[assignment]
    mixed = stories.sent[0][1]["story"]
    assert {record["story"] for _, record in stories.sent} == {mixed}
    split = await _correct(
        worker, {"id": "c1", "action": "split", "story": mixed, "articles": ["b1"]}, NOW + 60
    )
    blazers = split["story"]
    # Redelivered (to a restarted worker: nothing in flight): published again, in the story
    # it is in now (keyed by it).
    worker._in_flight.clear()
    await _decide(worker, "b1", LOOK_ALIKES["b1"], NOW + 120)
    key, record = stories.sent[-1]
    assert (key, record["story"], record["article_id"]) == (blazers, blazers, "b1")
    assert record["event"] == "updated"
    # b1 came after b2, its rewrite: it is published as b2's copy (keyed by the original).
    key, record = duplicates.sent[-1]
    assert (key, record["story"], record["id"]) == ("b2", blazers, "b1")


async def test_a_refused_command_delivered_again_is_neither_applied_nor_refused_twice(
    worker: Worker,
) -> None:
    for key in ("a1", "a2", "b1", "b2"):
        await _decide(worker, key, LOOK_ALIKES[key], NOW)
    stories: Topic = worker.stories  # type: ignore[assignment]
    letters: Topic = worker.dlq  # type: ignore[assignment]
    mixed = stories.sent[0][1]["story"]
    # b3 is not in yet: both commands are refused, and the editor told so. c1's letter is
    # recorded as taken; the worker stops after c2's reached the broker, before recording it.
    c1 = {"id": "c1", "action": "split", "story": mixed, "articles": ["b3"]}
    c2 = {**c1, "id": "c2"}
    assert await _deliver(worker, c1, NOW + 60) == 1
    assert await _deliver(worker, c2, NOW + 60, publish=False) == 1
    await _decide(worker, "b3", LATER["b3"], NOW + 120)
    assert stories.sent[-1][1]["story"] == mixed
    events = len(stories.sent)
    # Both delivered again (to a restarted worker: nothing in flight), now that b3 is in the
    # story: neither is applied; c1 sends nothing, c2 the letter it sent before.
    worker._in_flight.clear()
    assert await _deliver(worker, c1, NOW + 180) == 0
    assert await _deliver(worker, c2, NOW + 180) == 1
    assert len(stories.sent) == events
    assert [record["reason"] for _, record in letters.sent] == ["bad_command"] * 3
    assert letters.sent[1][1] == letters.sent[2][1]
    assert "no live article b3" in letters.sent[2][1]["detail"]
    # ... and is counted once; c2 is now known published: seen again, it sends nothing.
    counted = worker.registry.get_sample_value(
        "wirefeed_articles_rejected_total", {"reason": "bad_command"}
    )
    assert counted == 2
    assert await _deliver(worker, c2, NOW + 240) == 0
