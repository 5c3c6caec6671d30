"""Dedup: each kind of copy, the hard negatives, state in a JSON store, horizon and eviction."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from service.benchmarks.dedup import ArticleMaker
from service.evaluation.variants import VariantMaker
from service.models import Article
from service.pipeline.decide import Shards, label_records
from service.pipeline.dedup import DedupConfig, DedupIndex, longest_increasing
from service.pipeline.normalise import normalise_article
from service.producers.files import publication_order, read_path

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


class RecordingStore(dict[str, Any]):
    """A dict that keeps what was assigned, as a Faust table's changelog would."""

    def __init__(self) -> None:
        super().__init__()
        self.changelog: dict[str, bytes] = {}

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.changelog[key] = orjson.dumps(value)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.changelog.pop(key, None)


@pytest.fixture
def maker() -> ArticleMaker:
    return ArticleMaker(seed=5)


def record_of(article: Article) -> dict[str, Any]:
    return {"id": article.id, "title": article.headline, "text": article.body}


def decide(index: DedupIndex, article: Article, now: float = 0.0) -> Any:
    decision = index.find_duplicate(article, now)
    index.remember(article, decision, now)
    return decision


def test_unique_articles_are_not_duplicates(maker: ArticleMaker) -> None:
    index = DedupIndex({})
    for n in range(30):
        assert decide(index, maker.article(f"a{n}")).kind is None


def test_exact_resend_under_another_id(maker: ArticleMaker) -> None:
    index = DedupIndex({})
    original = maker.article("a")
    decide(index, original)
    decision = decide(index, dataclasses.replace(original, id="b", guid="b"), 10.0)
    assert (decision.kind, decision.duplicate_of) == ("exact", "a")
    assert decision.is_duplicate


def test_new_headline_same_body_is_a_near_copy(maker: ArticleMaker) -> None:
    index = DedupIndex({})
    original = maker.article("a")
    decide(index, original)
    copy = dataclasses.replace(original, id="b", guid="b", headline="Another headline")
    assert decide(index, copy).kind == "near_copy"


def test_retrieval_counts_candidates_and_comparisons(maker: ArticleMaker) -> None:
    index = DedupIndex({})
    for n in range(20):
        decide(index, maker.article(f"a{n}"))
    original = maker.article("b")
    decide(index, original)
    before = dataclasses.replace(index.counts)
    trimmed = original.body.rsplit("\n\n", 1)[0]
    assert decide(index, maker.article("c", body=trimmed)).duplicate_of == "b"
    assert index.counts.queries == before.queries + 1
    assert index.counts.verified - before.verified == 1
    assert index.counts.candidates - before.candidates >= 1


def test_version_supersedes_and_is_not_hidden(maker: ArticleMaker) -> None:
    index = DedupIndex({})
    original = maker.article("a")
    decide(index, original)
    update = dataclasses.replace(original, id="a-2", version=2, body=original.body + "\n\nUpdated.")
    decision = decide(index, update)
    assert (decision.kind, decision.duplicate_of) == ("version", "a")
    assert not decision.is_duplicate


@pytest.mark.parametrize(
    "edits",
    [("truncate",), ("trim", "typos"), ("reorder", "html"), ("mojibake", "rewrap"), ("credit",)],
)
def test_near_copies_through_normalisation(maker: ArticleMaker, edits: tuple[str, ...]) -> None:
    index = DedupIndex({})
    original = normalise_article({"id": "a", "title": "Title", "text": maker.text(10)})
    decide(index, original)
    variant = VariantMaker(seed=1).near_copy(record_of(original), edits)
    decision = decide(index, normalise_article(variant.record), 60.0)
    assert decision.duplicate_of == "a"
    assert decision.kind in ("near_copy", "exact")


def test_simulated_rewrite_is_linked(maker: ArticleMaker) -> None:
    index = DedupIndex({})
    original = normalise_article({"id": "a", "title": "Title", "text": maker.text(10)})
    decide(index, original)
    variant = VariantMaker(seed=2).rewrite(record_of(original))
    decision = decide(index, normalise_article(variant.record), 60.0)
    assert decision.duplicate_of == "a"


def seed_pair() -> tuple[Article, dict[str, Any]]:
    """Seed 004 and the record of 003, its translation round trip, with every figure changed:
    how another outlet's own write-up of the same report differs from a round trip."""
    records = {r["id"][:3]: r for r in read_path(SEEDS) if isinstance(r, dict)}
    original = normalise_article(records["004"])
    other = dict(records["003"], text=re.sub(r"\d+", lambda m: f"{m[0]}7", records["003"]["text"]))
    return original, other


def test_rewording_with_other_figures_is_not_a_rewrite() -> None:
    original, other = seed_pair()
    index = DedupIndex({})
    decide(index, original)
    decision = decide(index, normalise_article(other), 60.0)
    assert decision.kind is None


def test_entries_stored_without_figures_skip_the_figure_check() -> None:
    original, other = seed_pair()
    store: dict[str, Any] = {}
    decide(DedupIndex(store), original)
    key = "doc:" + original.id
    assert "n" in store[key]
    # An entry stored before figures were kept has no slots either (kept since the twelfth
    # session; the slot check, which sees the figures too, is then skipped as well).
    store[key] = {k: v for k, v in store[key].items() if k not in ("n", "c")}
    decision = DedupIndex(store).find_duplicate(normalise_article(other), 60.0)
    assert (decision.kind, decision.duplicate_of) == ("rewrite", original.id)


def test_copy_of_a_hidden_copy_links_to_the_first_seen(maker: ArticleMaker) -> None:
    index = DedupIndex({})
    original = maker.article("a")
    decide(index, original)
    copy = dataclasses.replace(original, id="b", guid="b", body=original.body + "\n\nAP")
    assert decide(index, copy).duplicate_of == "a"
    copy_of_copy = dataclasses.replace(copy, id="c", guid="c", headline="Other")
    assert decide(index, copy_of_copy).duplicate_of == "a"


def test_seeds_rewrites_linked_and_other_article_not() -> None:
    records = publication_order(read_path(SEEDS))
    labels = {
        line["id"][:3]: line
        for line in label_records([r for r in records if isinstance(r, dict)], Shards.in_memory())
    }
    # Publication order puts 004 before 003 and 000 before 001: the later one is the copy.
    for copy, original in (("003", "004"), ("001", "000")):
        assert labels[original]["duplicate_of"] is None
        assert (labels[copy]["duplicate_of"], labels[copy]["kind"]) == (
            labels[original]["id"],
            "rewrite",
        )
    assert labels["002"]["duplicate_of"] is None


def test_store_is_json_and_a_rebuilt_index_decides_the_same(maker: ArticleMaker) -> None:
    store = RecordingStore()
    index = DedupIndex(store)
    originals = [maker.article(f"a{n}") for n in range(20)]
    for n, article in enumerate(originals):
        decide(index, article, float(n))
    # Every value reached the changelog as assigned: nothing was changed in place afterwards.
    assert {k: orjson.dumps(v) for k, v in store.items()} == store.changelog
    restored = {k: orjson.loads(v) for k, v in store.changelog.items()}
    rebuilt = DedupIndex(restored)
    probes = [dataclasses.replace(a, id=f"p{n}", guid=f"p{n}") for n, a in enumerate(originals[:5])]
    probes.append(maker.article("fresh"))
    for probe in probes:
        assert rebuilt.find_duplicate(probe, 30.0) == index.find_duplicate(probe, 30.0)


def test_expired_articles_are_ignored_then_evicted(maker: ArticleMaker) -> None:
    store: dict[str, Any] = {}
    index = DedupIndex(store, DedupConfig(horizon_seconds=100.0))
    original = maker.article("a")
    decide(index, original, 0.0)
    copy = dataclasses.replace(original, id="b", guid="b", headline="Other")
    assert index.find_duplicate(copy, 50.0).duplicate_of == "a"
    assert index.find_duplicate(copy, 101.0).kind is None
    assert index.evict(101.0) == 1
    assert store == {}
    assert index.find_duplicate(copy, 101.0).kind is None


def test_longest_increasing() -> None:
    assert longest_increasing([3, 1, 2, 5, 4, 6]) == 4
    assert longest_increasing([]) == 0


CHINESE_REPORT = [
    "四川省甘孜州泸定县今天中午发生六点八级地震，震源深度十六公里。地震造成多座房屋倒塌，"
    "部分道路中断，通讯一度受到影响。",
    "当地政府已经启动一级应急响应，消防、武警和医疗救援队伍正在赶往灾区。截至下午五时，"
    "已确认二十一人遇难，多人受伤。",
    "气象部门提醒，未来三天灾区将有降雨，可能引发山体滑坡和泥石流等次生灾害，请群众注意"
    "安全，远离危险地带。",
    "专家表示，这次地震发生在鲜水河断裂带附近，该区域历史上曾多次发生强烈地震。余震仍在"
    "持续，最大余震为四点二级。",
]


def test_chinese_copies_are_linked_and_other_news_is_not() -> None:
    # Written without spaces: the copy checks must not depend on word boundaries.
    original = "\n\n".join(CHINESE_REPORT)
    records = [
        {"id": "zh-1", "title": "四川泸定发生六点八级地震", "text": original},
        {
            "id": "zh-2",
            "title": "泸定地震已致二十一人遇难",
            "text": "\n\n".join(CHINESE_REPORT[:3]),
        },
        {
            "id": "zh-3",
            "title": "四川地震",
            "text": original.replace("二十一人", "二十二人").replace("赶往", "奔赴"),
        },
        {
            "id": "zh-4",
            "title": "北京发布交通新规",
            "text": "北京市今天发布新的交通管理措施，从下月起工作日早晚高峰时段对部分车辆实施"
            "限行。市交通委表示，此举旨在缓解城市拥堵，改善空气质量。\n\n市民可以通过官方"
            "网站查询具体限行规定。",
        },
    ]
    out = {row["id"]: row for row in label_records(records, Shards.in_memory())}
    assert out["zh-2"]["duplicate_of"] == "zh-1"
    assert out["zh-3"]["duplicate_of"] == "zh-1"
    assert out["zh-4"]["duplicate_of"] is None
    assert out["zh-4"]["story"] != out["zh-1"]["story"]


_BRIDGE = (
    "The city council voted on Tuesday to reopen the harbour bridge after repairs that took"
    " eleven months and cost 40 million dollars, officials said."
)


def test_item_corrected_without_a_version_number_supersedes_the_first_text() -> None:
    # What the adapters send for an item without version numbers (plain RSS, NITF without
    # one): the same uri, and an id that differs because the content does.
    first = {"id": "urn:x#1a", "uri": "urn:x", "title": "Bridge reopens", "text": _BRIDGE}
    corrected = {**first, "id": "urn:x#2b", "text": _BRIDGE + " Correction: 41 million."}
    outputs = list(label_records([first, corrected], Shards.in_memory()))
    assert (outputs[1]["kind"], outputs[1]["supersedes"]) == ("version", "urn:x#1a")
    assert outputs[1]["duplicate_of"] is None
    assert outputs[1]["story"] == outputs[0]["story"]


def test_an_article_dated_far_ahead_does_not_move_the_offline_clock() -> None:
    # Taken as given, year 9999 would put every earlier article past the horizons.
    records = [
        {"id": "a", "title": "Bridge reopens", "text": _BRIDGE, "published": "2024-04-12T09:00Z"},
        {"id": "b", "title": "Cup final", "text": "Goals in the rain.", "published": "9999-01-01"},
        {"id": "c", "title": "Bridge reopens", "text": _BRIDGE, "published": "2024-04-12T11:00Z"},
    ]
    # The caller's wall clock bounds believable times (here: as if it were 2030).
    latest = datetime(2030, 1, 1, tzinfo=UTC).timestamp()
    outputs = list(label_records(records, Shards.in_memory(), latest=latest))
    assert (outputs[2]["duplicate_of"], outputs[2]["kind"]) == ("a", "exact")


def test_the_same_text_under_the_same_uri_and_another_id_is_a_resend() -> None:
    first = {"id": "urn:x#1a", "uri": "urn:x", "title": "Bridge reopens", "text": _BRIDGE}
    outputs = list(label_records([first, {**first, "id": "urn:x#1b"}], Shards.in_memory()))
    assert (outputs[1]["kind"], outputs[1]["duplicate_of"]) == ("exact", "urn:x#1a")


def _normalised(article: Article, **fields: Any) -> Article:
    """The article as the normaliser makes it from a record (fingerprint included)."""
    return normalise_article({**record_of(article), **fields})


def test_an_older_version_that_comes_late_is_hidden_under_the_current_one(
    maker: ArticleMaker,
) -> None:
    base = maker.article("a")
    versions = {
        n: _normalised(base, id=f"urn:a#{n}", uri="urn:a", version=n, text=base.body + " x" * n)
        for n in (1, 2, 3)
    }
    index = DedupIndex({})
    assert decide(index, versions[2]).kind is None
    late = decide(index, versions[1], 10.0)
    assert (late.kind, late.duplicate_of, late.is_duplicate) == ("superseded", "urn:a#2", True)
    # The current version is still the second: the third supersedes it, not the late first.
    assert (decide(index, versions[3], 20.0).kind, index.store["guid:urn:a"][0]) == (
        "version",
        "urn:a#3",
    )


def test_an_item_without_version_numbers_keeps_its_latest_text() -> None:
    # Ids differ by content, the number stays 1: the time each text was written orders them.
    first = {"id": "urn:x#1a", "uri": "urn:x", "title": "Bridge reopens", "text": _BRIDGE}
    first["versioncreated"] = "2024-04-12T09:00Z"
    corrected = {**first, "id": "urn:x#2b", "text": _BRIDGE + " Correction: 41 million."}
    corrected["versioncreated"] = "2024-04-12T10:00Z"
    outputs = list(label_records([corrected, first], Shards.in_memory()))
    assert (outputs[1]["kind"], outputs[1]["duplicate_of"]) == ("superseded", "urn:x#2b")
    assert outputs[1]["supersedes"] is None
    assert outputs[1]["story"] == outputs[0]["story"]


def test_a_resend_of_an_old_version_does_not_move_the_current_one(maker: ArticleMaker) -> None:
    base = maker.article("a")
    one = _normalised(base, id="a1", uri="urn:a", version=1)
    two = _normalised(base, id="a2", uri="urn:a", version=2, text=base.body + " Updated.")
    index = DedupIndex({})
    decide(index, one)
    assert decide(index, two).kind == "version"
    assert decide(index, dataclasses.replace(one, id="a3"), 1.0).kind == "superseded"
    resend = decide(index, dataclasses.replace(two, id="a4"), 2.0)
    assert (resend.kind, resend.duplicate_of) == ("exact", "a2")


def test_a_copy_of_a_copy_is_as_far_from_the_original_as_its_weaker_link(
    maker: ArticleMaker,
) -> None:
    original = _normalised(maker.article("a"))
    index = DedupIndex({})
    decide(index, original)
    copy = _normalised(original, id="b", text=original.body + "\n\nAP")
    near = decide(index, copy, 1.0)
    assert (near.kind, near.duplicate_of) == ("near_copy", "a")
    # An exact resend of the near copy: the same body as b, not as a.
    again = decide(index, dataclasses.replace(copy, id="c"), 2.0)
    assert (again.kind, again.duplicate_of) == ("near_copy", "a")
    assert again.score == near.score
    assert index.store["doc:c"]["dk"] == "near_copy"


def test_copies_outliving_their_original_take_over_from_it(maker: ArticleMaker) -> None:
    day = 24 * 3600.0
    original = _normalised(maker.article("a"))
    index = DedupIndex({}, DedupConfig(horizon_seconds=5 * day))
    decide(index, original, 0.0)
    resends = {name: dataclasses.replace(original, id=name) for name in "bcd"}
    assert decide(index, resends["b"], 3 * day).duplicate_of == "a"
    index.evict(6 * day)
    # a is past the horizon; b, its exact copy, is the first of the body still known.
    for name, at in (("c", 6 * day), ("d", 6.5 * day)):
        decision = decide(index, resends[name], at)
        assert (decision.kind, decision.duplicate_of) == ("exact", "b")


def test_a_correction_of_an_item_first_seen_as_a_copy_is_published(maker: ArticleMaker) -> None:
    # The item's first version is another outlet's text, hidden as a copy; its correction is
    # news, published as a version of it, not hidden as a copy of the other outlet's.
    base = maker.article("a")
    other = _normalised(base, id="other", uri="urn:other")
    first = _normalised(base, id="urn:a#1", uri="urn:a", version=1)
    second = _normalised(base, id="urn:a#2", uri="urn:a", version=2, text=base.body + " Fixed.")
    index = DedupIndex({})
    decide(index, other)
    assert decide(index, first, 1.0).kind == "exact"
    update = decide(index, second, 2.0)
    assert (update.kind, update.duplicate_of) == ("version", "urn:a#1")


def test_an_items_correction_is_published_when_an_outlets_copy_of_it_came_first() -> None:
    # A newsroom's day one: an outlet republished the wire's court story, then its
    # correction (six -> eight years: one figure, so a near copy of its own first copy),
    # both before the wire's own; the wire's correction, sent again under its id without a
    # version number, was hidden as a copy of the outlet's copy and never published.
    story = (
        "A Dutch court on Thursday sentenced four men to prison terms of between six and 12 "
        "years for the theft of diamonds worth 30 million euros from a security van at "
        "Amsterdam's Schiphol airport in 2023.\n\nThe Haarlem district court found that the "
        "men, aged between 29 and 41, had planned the robbery for months and used a stolen "
        "delivery truck to block the van on an airport service road.\n\nThe alleged "
        "ringleader, a 41-year-old man from Rotterdam, received the longest sentence."
    )
    corrected = story.replace("between six and 12", "between eight and 12")
    records = [
        {"id": "outlet-1", "title": "Four jailed for Schiphol heist", "text": story},
        {"id": "outlet-2", "title": "Four jailed for Schiphol heist", "text": corrected},
        {"id": "wire-1", "title": "Court jails four over Schiphol heist", "text": story},
        {
            "id": "wire-1",
            "title": "CORRECTED-Court jails four over Schiphol heist",
            "text": corrected,
        },
    ]
    outputs = list(label_records(records, Shards.in_memory()))
    assert outputs[2]["duplicate_of"] == "outlet-1"  # the wire's own first text: a copy
    assert (outputs[3]["kind"], outputs[3]["supersedes"]) == ("version", "wire-1")
    assert outputs[3]["duplicate_of"] is None
    assert outputs[3]["story"] == outputs[0]["story"]
    # The same text sent again under its id with only a new headline is no correction.
    again = {**records[2], "title": "Four men jailed over Schiphol diamond heist"}
    outputs = list(label_records([records[0], records[2], again], Shards.in_memory()))
    assert outputs[2]["kind"] != "version"
