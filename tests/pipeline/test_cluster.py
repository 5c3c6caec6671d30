"""Story clustering: seeds, languages, time, store discipline and the evaluation metrics."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import orjson
import pytest

from service.evaluation.stories import cluster_scores, ecbplus_split
from service.models import Article, StoryDecision
from service.pipeline.cluster import (
    ENTITY,
    MERGED,
    STORY,
    StoryConfig,
    StoryIndex,
    common_words,
    idf,
    join_threshold,
    term_counts,
)
from service.pipeline.decide import Shards, label_records
from service.pipeline.normalise import normalise_article
from service.pipeline.route import shard_of
from service.pipeline.tokens import words
from service.producers.files import publication_order, read_path
from tests.conftest import QUAKE_REPORTS

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
DAY = 24 * 3600.0


def article(article_id: str, body: str, headline: str = "", language: str = "en") -> Article:
    return Article(
        id=article_id,
        guid=article_id,
        version=1,
        headline=headline or body.split(".")[0],
        body=body,
        language=language,
        fingerprint=article_id,
        headline_derived=not headline,
    )


class RecordingStore(dict[str, Any]):
    """A dict that remembers which keys were assigned, as a Faust table would changelog them."""

    def __init__(self) -> None:
        super().__init__()
        self.assigned: set[str] = set()

    def __setitem__(self, key: str, value: Any) -> None:
        self.assigned.add(key)
        super().__setitem__(key, value)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed articles not present")
def test_seeds_form_two_stories_through_label() -> None:
    records = publication_order(read_path(SEEDS))
    out = {line["id"][:3]: line for line in label_records(records, Shards.in_memory())}
    assert out["000"]["story"] == out["001"]["story"] == out["002"]["story"]
    assert out["003"]["story"] == out["004"]["story"]
    assert out["000"]["story"] != out["004"]["story"]


def test_tokens_are_unicode_words_with_entity_and_number_cues() -> None:
    config = StoryConfig()
    french = term_counts(article("fr", "Le président Macron a visité Marseille en 2024."), config)
    assert {"président", "macron", "marseille", "2024"} <= set(french)
    assert {ENTITY + "macron", ENTITY + "marseille", ENTITY + "2024"} <= set(french)
    # The first word of a sentence is capitalised anyway: no entity cue.
    assert ENTITY + "le" not in french
    german = term_counts(
        article("de", "Die Bundesregierung in Berlin beschloss Maßnahmen."), config
    )
    assert {"bundesregierung", "berlin", "maßnahmen"} <= set(german)
    russian = term_counts(article("ru", "Президент Путин встретился с Трампом на Аляске."), config)
    assert {"путин", "трампом", "аляске"} <= set(russian)
    assert ENTITY + "путин" in russian
    arabic = term_counts(
        article("ar", "التقى الرئيس ترامب بالرئيس بوتين في ألاسكا عام 2025."), config
    )
    assert {"ترامب", "بوتين", "ألاسكا", ENTITY + "2025"} <= set(arabic)
    # Arabic script has no case: no entity cues from capitals, none invented.
    assert [t for t in arabic if t.startswith(ENTITY)] == [ENTITY + "2025"]


LANGUAGE_STORIES = {
    "fr": (
        [
            "Un incendie a ravagé la cathédrale de Rouen dans la nuit. Les pompiers de Rouen ont "
            "lutté contre les flammes pendant six heures pour sauver la flèche de la cathédrale.",
            "La flèche de la cathédrale de Rouen a résisté à l'incendie, selon les pompiers. "
            "Le préfet de Seine-Maritime a salué le travail des pompiers toute la nuit.",
        ],
        [
            "Le Parlement a adopté la réforme des retraites après un vote serré à l'Assemblée. "
            "Le gouvernement de Paris défend un âge de départ porté à 64 ans.",
            "Les syndicats appellent à manifester contre la réforme des retraites adoptée par "
            "l'Assemblée. Le recul de l'âge de départ à 64 ans reste contesté.",
        ],
    ),
    "ru": (
        [
            "Наводнение в Краснодарском крае затопило сотни домов. Спасатели эвакуировали жителей "
            "из затопленных домов в Краснодарском крае.",
            "Уровень воды после наводнения в Краснодарском крае начал снижаться. Спасатели "
            "продолжают помогать жителям затопленных домов.",
        ],
        [
            "Центральный банк повысил ключевую ставку до 16 процентов. Банк объяснил решение "
            "ростом инфляции.",
            "Решение Центрального банка поднять ключевую ставку до 16 процентов удивило "
            "аналитиков. Инфляция остаётся высокой.",
        ],
    ),
    "ar": (
        [
            "ضرب زلزال قوي مدينة أغادير في المغرب وتسبب في انهيار مبان. فرق الإنقاذ تبحث عن "
            "ناجين تحت أنقاض المباني في أغادير.",
            "ارتفع عدد ضحايا الزلزال في أغادير. فرق الإنقاذ تواصل البحث عن ناجين تحت الأنقاض "
            "في المغرب.",
        ],
        [
            "أعلنت وزارة المالية عن ميزانية جديدة لعام 2026 تتضمن زيادة الإنفاق على التعليم "
            "والصحة.",
            "ناقش البرلمان ميزانية عام 2026 التي قدمتها وزارة المالية مع زيادة الإنفاق على "
            "التعليم.",
        ],
    ),
    # Written without spaces between words: indexed as character pairs.
    "zh": (
        [
            "四川省发生六级地震，多座房屋倒塌。救援人员正在四川灾区搜救被困群众。",
            "四川地震灾区的救援工作仍在继续，救援人员从倒塌房屋中救出多名被困群众。",
        ],
        [
            "中国人民银行宣布下调存款准备金率，以支持经济增长。",
            "央行下调存款准备金率后，分析人士认为此举将为经济增长提供支持。",
        ],
    ),
    "ja": (
        [
            "北海道で大雪が降り、札幌市内の交通機関に大きな乱れが出ています。",
            "札幌市の大雪の影響で、北海道の交通機関は二日目も乱れが続いています。",
        ],
        [
            "日本銀行は金融政策決定会合で政策金利の引き上げを決めました。",
            "日銀の政策金利引き上げを受けて、市場では円相場が大きく動きました。",
        ],
    ),
}


# Unrelated news seen earlier by the shard: it is what teaches the index the language's
# function words (document frequency), instead of any stop list.
BACKGROUND = {
    "fr": [
        "Le club de football de Lyon a gagné le match de la coupe contre Nantes.",
        "La ville de Lille ouvre un nouveau musée pour les enfants et les familles.",
        "Les prix de l'essence ont baissé en juin selon les chiffres de l'Insee.",
        "Le festival de musique de la ville attire des milliers de visiteurs.",
    ],
    "ru": [
        "Футбольный клуб выиграл матч в Москве со счётом два один.",
        "В городе открылся новый музей для детей и их родителей.",
        "Цены на бензин снизились в июне по данным статистики.",
        "Музыкальный фестиваль в городе собрал тысячи зрителей.",
    ],
    "zh": [
        "北京足球队在主场比赛中战胜了上海队。",
        "这座城市为孩子和家庭开设了一座新的博物馆。",
        "根据统计数据，六月份汽油价格有所下降。",
        "城市音乐节吸引了来自各地的数千名游客。",
    ],
    "ja": [
        "東京のサッカーチームが試合に勝ちました。",
        "市内に子どもと家族のための新しい博物館が開館しました。",
        "統計によると、六月のガソリン価格は下がりました。",
        "音楽祭には各地から数千人の観客が集まりました。",
    ],
    "ar": [
        "فاز فريق كرة القدم في المباراة على ملعب المدينة أمام الجمهور.",
        "افتتحت المدينة متحفا جديدا للأطفال والعائلات في وسط المدينة.",
        "انخفضت أسعار البنزين في شهر يونيو حسب الأرقام الرسمية.",
        "جذب مهرجان الموسيقى في المدينة آلاف الزوار من كل مكان.",
    ],
}


def test_unspaced_scripts_are_read_as_character_pairs() -> None:
    assert words("地震灾区") == ["地震", "震灾", "灾区"]
    assert words("iPhone手机2025年") == ["iPhone", "手机", "2025", "年"]
    assert words("กรุงเทพ") == ["กร", "รุ", "ุง", "งเ", "เท", "ทพ"]
    assert words("Zürich") == ["Zürich"]
    assert words("中") == ["中"]
    # Turkish capital dotted I: "İstanbul" is the same term as "istanbul".
    config = StoryConfig()
    assert "istanbul" in term_counts(article("tr", "İstanbul'da yağmur. istanbul"), config)


@pytest.mark.parametrize("language", sorted(LANGUAGE_STORIES))
def test_stories_form_within_a_language(language: str) -> None:
    first, second = LANGUAGE_STORIES[language]
    index = StoryIndex({})
    for i, text in enumerate(BACKGROUND[language]):
        index.assign_story(article(f"bg{i}", text, language=language), 0.0)
    ordered = [("a1", first[0]), ("b1", second[0]), ("a2", first[1]), ("b2", second[1])]
    story = {
        key: index.assign_story(article(key, text, language=language), 0.0) for key, text in ordered
    }
    assert story["a1"].story_id == story["a2"].story_id
    assert story["b1"].story_id == story["b2"].story_id
    assert story["a1"].story_id != story["b1"].story_id
    assert story["a2"].event == "updated"


def test_duplicate_follows_its_original() -> None:
    index = StoryIndex({})
    original = index.assign_story(
        article("o", "Floods hit the river town of Passau overnight."), 0.0
    )
    copy_ = index.follow(article("c", "Floods hit Passau."), "o", 10.0)
    assert copy_.story_id == original.story_id
    assert copy_.event == "updated"
    # The story is named after the article that opened it, for every later member too.
    assert original.title == copy_.title == "Floods hit the river town of Passau overnight"
    # An unknown original: the copy is clustered on its own merits.
    assert (
        index.follow(article("x", "Nothing alike here at all."), "missing", 10.0).event == "created"
    )


def test_time_gap_separates_and_horizon_expires() -> None:
    config = StoryConfig(horizon_seconds=3 * DAY)
    index = StoryIndex({}, config)
    text = "Storm Ciaran batters Cornwall and Devon with winds of 100 mph, cutting power."
    first = index.assign_story(article("s1", text), 0.0)
    assert (
        index.assign_story(article("s2", text + " Trains halted."), 3600.0).story_id
        == first.story_id
    )
    # The same words two days later score a quarter: a new story unless nearly identical.
    later = index.assign_story(
        article("s3", "Storm batters Cornwall again, new power cuts."), 2 * DAY
    )
    assert later.story_id != first.story_id
    assert index.evict(10 * DAY) == 2
    assert not any(key.startswith(STORY) for key in index.store)


def test_store_values_are_json_and_always_reassigned() -> None:
    store = RecordingStore()
    index = StoryIndex(store)
    texts = [
        "Wildfires near Athens force thousands to evacuate as winds spread the flames.",
        "Thousands evacuate Athens suburbs as wildfires spread with strong winds.",
        "The central bank of Norway raised interest rates by 25 basis points.",
    ]
    for i, text in enumerate(texts):
        before = copy.deepcopy(dict(store))
        store.assigned.clear()
        index.assign_story(article(f"w{i}", text), float(i))
        changed = {k for k, v in store.items() if before.get(k) != v}
        assert changed <= store.assigned
        orjson.dumps(dict(store))
    # A fresh index over the same store (a restart) carries on the same stories.
    restarted = StoryIndex(store)
    restarted.rebuild()
    again = restarted.assign_story(article("w9", texts[0] + " Firefighters"), 3.0)
    assert again.story_id == store["article:w0"][0]


def test_look_ups_read_bounded_postings() -> None:
    config = StoryConfig(postings=4)
    index = StoryIndex({}, config)
    for i in range(20):
        index.assign_story(
            article(f"p{i}", f"common words plus unique{i} marker{i} tokens{i}"), 0.0
        )
    postings = index._postings
    assert postings
    # A look-up reads the latest `postings` stories of each of its terms, however many
    # stories hold them (the lists keep them all, so that one leaving lets the next in).
    assert max(len(members) for members in postings.values()) > 4
    read = index.postings_read
    index.assign_story(article("probe", "common words plus unique3 marker7 tokens11"), 0.0)
    assert 0 < index.postings_read - read <= 4 * config.query_terms
    # The index is a cache: rebuilt from the store it lists the same stories in the same order.
    rebuilt = StoryIndex(dict(index.store), config)
    assert rebuilt._postings == index._postings


def test_join_threshold_rises_with_length() -> None:
    config = StoryConfig()
    assert join_threshold(5, config) == config.threshold
    assert join_threshold(10_000, config) == config.long_threshold
    assert config.threshold < join_threshold(80, config) < config.long_threshold


def test_cluster_scores() -> None:
    perfect = cluster_scores(["a", "a", "b", "b"], [1, 1, 2, 2])
    assert perfect["nmi"] == pytest.approx(1.0)
    assert perfect["ari"] == pytest.approx(1.0)
    assert perfect["pairwise_f1"] == pytest.approx(1.0)
    assert perfect["bcubed_f1"] == pytest.approx(1.0)
    merged = cluster_scores(["a", "a", "b", "b"], [1, 1, 1, 1])
    assert merged["pairwise_p"] == pytest.approx(2 / 6)
    assert merged["nmi"] == pytest.approx(0.0)


def test_live_story_count_follows_creation_and_eviction() -> None:
    config = StoryConfig(horizon_seconds=100.0)
    index = StoryIndex({}, config)
    index.assign_story(article("l1", "volcano erupts near the island village tonight"), 0.0)
    index.assign_story(article("l2", "parliament passes the budget after long debate"), 50.0)
    assert index.live == 2
    assert StoryIndex(dict(index.store), config).live == 2
    index.evict(120.0)
    assert index.live == 1


# Two look-alike events (ECB+'s hard case): the same vocabulary, other names.
LOOK_ALIKES = {
    "a1": "The Philadelphia Sixers fired head coach Maurice Cheeks on Saturday after a poor "
    "start to the season. Assistant Tony DiLeo will take over as interim coach, the team said.",
    "b1": "The Portland Trail Blazers fired head coach Nate McMillan on Thursday after a poor "
    "start to the season. Assistant Kaleb Canales will take over as interim coach, the team said.",
    "a2": "Maurice Cheeks was fired as head coach of the Philadelphia Sixers after a poor start "
    "to the season, and Tony DiLeo takes over as interim coach.",
    "b2": "Nate McMillan was fired as head coach of the Portland Trail Blazers after a poor start "
    "to the season, and Kaleb Canales takes over as interim coach.",
}
EN_BACKGROUND = [
    "The city council approved a new budget for schools and roads on Tuesday.",
    "Heavy rain flooded several streets in the north of the country overnight.",
    "The central bank left interest rates unchanged, citing steady inflation.",
    "A new museum of modern art opened its doors to the public this weekend.",
]


def _look_alike_stories(config: StoryConfig, lower: bool = False) -> dict[str, str]:
    index = StoryIndex({}, config)
    for i, text in enumerate(EN_BACKGROUND):
        index.assign_story(article(f"bg{i}", text), 0.0)
    return {
        key: index.assign_story(article(key, text.lower() if lower else text), 0.0).story_id
        for key, text in LOOK_ALIKES.items()
    }


def test_look_alike_events_need_their_names_to_agree() -> None:
    story = _look_alike_stories(StoryConfig())
    assert story["a1"] == story["a2"]
    assert story["b1"] == story["b2"]
    assert story["a1"] != story["b1"]
    # On the cosine alone the second event joins the first: the cue signal is what splits.
    merged = _look_alike_stories(StoryConfig(cue_floor=0.0))
    assert len(set(merged.values())) == 1


def test_text_without_cues_is_judged_on_the_cosine_alone() -> None:
    # Lowercased text (as in GoogleNews) has no name cues: same-event articles still join.
    story = _look_alike_stories(StoryConfig(), lower=True)
    assert story["a1"] == story["a2"]
    assert story["b1"] == story["b2"]


SIDE_THREAD = [
    "Storm Ciaran battered Cornwall and Devon overnight with winds of 100 mph, the Met Office "
    "said, cutting power to thousands of homes.",
    "The Met Office kept its red warning for Cornwall and Devon as Storm Ciaran brought winds "
    "of 100 mph and cut power to homes.",
    "As Storm Ciaran battered Cornwall, lifeboat crews at Plymouth led by Sarah Jones rescued "
    "two fishermen whose boat sank in the storm winds, the Met Office said.",
    # Only the side thread's names: too few of the centroid's, all of the third member's.
    "Lifeboat crews under Sarah Jones brought two fishermen ashore at Plymouth after their "
    "boat sank in the storm winds.",
]


@pytest.mark.parametrize(("member_floor", "joins"), [(0.7, True), (2.0, False)])
def test_a_side_thread_joins_through_its_member(member_floor: float, joins: bool) -> None:
    store = RecordingStore()
    config = StoryConfig(member_floor=member_floor)
    index = StoryIndex(store, config)
    for i, text in enumerate(EN_BACKGROUND):
        index.assign_story(article(f"bg{i}", text), 0.0)
    story = [
        index.assign_story(article(f"s{i}", t), 0.0).story_id for i, t in enumerate(SIDE_THREAD)
    ]
    assert story[0] == story[1] == story[2]
    assert (story[3] == story[0]) is joins
    # The member memory is bounded and JSON, like the rest of the story value.
    assert all(
        len(value["m"]) <= config.members for k, value in store.items() if k.startswith(STORY)
    )
    orjson.dumps(dict(store))


def test_ecbplus_split_keeps_dev_and_test_topics_apart() -> None:
    records = [{"id": name} for name in ("1_1ecb", "22_3ecbplus", "23_1ecb", "45_2ecbplus")]
    labels: list[object] = ["1_ecb", "22_ecbplus", "23_ecb", "45_ecbplus"]
    assert [r["id"] for r in ecbplus_split(records, labels, "dev")[0]] == ["1_1ecb", "22_3ecbplus"]
    assert ecbplus_split(records, labels, "test")[1] == ["23_ecb", "45_ecbplus"]
    assert ecbplus_split(records, labels, "all") == (records, labels)


def _dated(article_id: str, body: str, day: float) -> Article:
    return dataclasses.replace(article(article_id, body), firstcreated=day * DAY)


_QUAKE = (
    "A magnitude 6.1 earthquake struck near Cascadia Bay early on Tuesday, damaging the old "
    "harbour wall and cutting power to thousands of homes, the Cascadia Bay fire service said."
)


def _bridged(config: StoryConfig) -> tuple[StoryIndex, list[StoryDecision]]:
    """One event opened twice: a report published on day 0 arrives after one of day 4 (four
    days apart, its score is a sixteenth), then a day-2 report reaches both stories."""
    index = StoryIndex({}, config)
    decisions = [
        index.assign_story(_dated("day4", _QUAKE + " Aftershocks followed.", 4), 4 * DAY),
        index.assign_story(_dated("day0", _QUAKE + " Schools closed.", 0), 4 * DAY),
        index.assign_story(_dated("day2", _QUAKE + " Repairs began.", 2), 4 * DAY),
    ]
    return index, decisions


def test_an_event_opened_twice_is_merged_explicitly() -> None:
    index, (first, second, bridge) = _bridged(StoryConfig())
    assert first.event == second.event == "created"
    assert first.story_id != second.story_id
    assert bridge.event == "merged"
    assert {bridge.story_id, *bridge.merged_from} == {first.story_id, second.story_id}
    # The surviving story keeps its own name.
    assert bridge.title == (first if bridge.story_id == first.story_id else second).title
    (folded,) = bridge.merged_from
    assert index.live == 1
    assert STORY + folded not in index.store
    assert index.resolve(folded) == bridge.story_id
    # A copy of an article of the folded story follows it to the surviving story.
    copy_ = index.follow(_dated("copy", _QUAKE, 0), "day0", 4 * DAY)
    assert copy_.story_id == bridge.story_id
    # A worker that restores the store (changelog recovery) sees the same stories.
    restored = StoryIndex(copy.deepcopy(index.store))
    assert restored.live == 1 == sum(1 for key in restored.store if key.startswith(STORY))
    later = restored.assign_story(_dated("day3", _QUAKE + " Ferries resumed.", 3), 4 * DAY)
    assert later.story_id == bridge.story_id
    # The merge record goes with the horizon, as the article links do.
    index.evict(10 * DAY)
    assert not any(key.startswith(MERGED) for key in index.store)


def test_without_the_merge_the_event_stays_split() -> None:
    index, (_, _, bridge) = _bridged(StoryConfig(merge_floor=1.01))
    assert bridge.event == "updated"
    assert bridge.merged_from == ()
    assert index.live == 2


def test_stories_whose_names_disagree_are_not_merged() -> None:
    # Two look-alike events told in the same words with other names: an article naming both
    # reaches both stories, and their centroids alone would pass the merge floor, but their
    # cues (who, where) disagree, so they stay apart.
    shared = (
        "the coach was fired on monday after a losing run of eleven games, the club said. "
        "the owner thanked the coach for his work and said a search for a successor would "
        "begin at once, with the assistant in charge until then. players were told in the "
        "morning and training went ahead as planned in the afternoon."
    )
    index = StoryIndex({})
    first = index.assign_story(article("a", f"Lakers fire coach Dan Morrow. {shared}"), 0.0)
    second = index.assign_story(article("b", f"Sixers fire coach Ed Quill. {shared}"), 0.0)
    assert first.story_id != second.story_id
    both = index.assign_story(
        article("c", f"Lakers and Sixers fire coaches Dan Morrow and Ed Quill. {shared}"), 0.0
    )
    assert both.merged_from == ()
    assert index.live == 2


def test_label_output_names_the_folded_stories() -> None:
    from service.records import after_events

    records = QUAKE_REPORTS
    shards = Shards.in_memory()
    out = list(label_records(records, shards))
    assert [line["duplicate_of"] for line in out] == [None, None, None]
    assert [line["story_event"] for line in out] == ["created", "created", "merged"]
    assert out[2]["merged_from"] == [out[1]["story"]] or out[2]["merged_from"] == [out[0]["story"]]
    assert out[0]["merged_from"] == []
    final = after_events(out)
    assert len(set(final)) == 1
    assert final[2] == out[2]["story"]
    # Redelivered after a restart, the bridging article gets the same decision back.
    bridging = normalise_article(records[2])
    replayed, is_replay = shards(shard_of(bridging)).decide(bridging, 10 * DAY)
    assert is_replay
    assert list(replayed.story.merged_from) == out[2]["merged_from"]
    assert replayed.story.title == out[2]["story_title"] != ""


def test_latest_stories_lists_the_newest_first() -> None:
    from service.pipeline.cluster import latest_stories

    index = StoryIndex({})
    index.assign_story(article("a", "Floods hit Passau and the Danube rises."), 10.0)
    index.assign_story(article("b", "Parliament passes the budget after a long night."), 20.0)
    index.assign_story(article("c", "Floods hit Passau and the Danube rises again."), 30.0)
    entries = [("en", key, value) for key, value in index.store.items()]
    listed = latest_stories(entries, 10)
    assert [entry["title"] for entry in listed] == [
        "Floods hit Passau and the Danube rises",
        "Parliament passes the budget after a long night",
    ]
    assert [entry["articles"] for entry in listed] == [2, 1]
    assert {entry["shard"] for entry in listed} == {"en"}
    assert latest_stories(entries, 1) == listed[:1]
    assert len(latest_stories(entries, 10)) == 2 == index.live


# One-line reports of unrelated events, the first a shard of that language ever sees: they
# share only the language's common words ("the", "a", "new"; "un", "nouveau", "après"; "un
# nuevo ... tras"). (German capitalises its nouns: cues that disagree already keep such
# reports apart.) Spanish, Italian and Portuguese joined the budget and the coach while only
# the words in over a tenth of articles had their share: "tras" (0.08), "dopo", "após" had
# the prior of a name.
FIRST_OF_A_SHARD = {
    "en": [
        "The city council approved a new budget for the harbour district after a long debate.",
        "Firefighters rescued two hikers stranded on the mountain ridge as a storm swept the "
        "valley.",
        "The national football team named a new coach on Monday after a disappointing campaign.",
        "Heavy rain flooded roads across the northern province, and officials closed schools.",
    ],
    "fr": [
        "Le conseil municipal a adopté un nouveau budget pour le port après un long débat.",
        "Les pompiers ont secouru deux randonneurs bloqués sur la crête pendant la tempête.",
        "L'équipe nationale a nommé un nouvel entraîneur après une saison décevante.",
        "De fortes pluies ont inondé les routes du nord et les écoles sont restées fermées.",
    ],
    "es": [
        "El ayuntamiento aprobó un nuevo presupuesto para el puerto tras un largo debate.",
        "Los bomberos rescataron a dos excursionistas atrapados en la montaña durante la tormenta.",
        "La selección nacional nombró un nuevo entrenador el lunes tras una campaña decepcionante.",
        "Las fuertes lluvias inundaron las carreteras del norte y las autoridades cerraron las "
        "escuelas.",
    ],
    "it": [
        "Il consiglio comunale ha approvato un nuovo bilancio per il porto dopo un lungo "
        "dibattito.",
        "I vigili del fuoco hanno soccorso due escursionisti bloccati in montagna durante la "
        "tempesta.",
        "La nazionale ha nominato un nuovo allenatore lunedì dopo una stagione deludente.",
        "Le forti piogge hanno allagato le strade del nord e le autorità hanno chiuso le scuole.",
    ],
    "pt": [
        "A câmara municipal aprovou um novo orçamento para o porto após um longo debate.",
        "Os bombeiros resgataram dois caminhantes presos na montanha durante a tempestade.",
        "A seleção nacional anunciou um novo treinador na segunda-feira após uma campanha "
        "decepcionante.",
        "Chuvas fortes inundaram as estradas do norte e as autoridades fecharam as escolas.",
    ],
}


@pytest.mark.parametrize("language", sorted(FIRST_OF_A_SHARD))
def test_a_new_shard_joins_no_reports_on_the_languages_common_words(language: str) -> None:
    def stories(config: StoryConfig) -> set[str]:
        index = StoryIndex({}, config)
        reports = FIRST_OF_A_SHARD[language]
        return {
            index.assign_story(article(f"r{n}", text, language=language), 60.0 * n).story_id
            for n, text in enumerate(reports)
        }

    assert len(stories(StoryConfig().for_language(language))) == len(FIRST_OF_A_SHARD[language])
    # What the shard's prior does: without the language's common words, some join.
    assert len(stories(StoryConfig())) < len(FIRST_OF_A_SHARD[language])


def test_a_new_shard_still_joins_reports_of_one_event() -> None:
    index = StoryIndex({}, StoryConfig().for_language("en"))
    reports = [
        "Firefighters rescued two hikers stranded on the Zugspitze ridge as a storm swept the "
        "valley.",
        "The city council approved a new budget for the harbour district after a long debate.",
        "Two hikers stranded on the Zugspitze were rescued by firefighters during the storm.",
    ]
    story = [
        index.assign_story(article(f"r{n}", text), 60.0 * n).story_id
        for n, text in enumerate(reports)
    ]
    assert story[0] == story[2] != story[1]


def test_a_language_without_a_word_list_borrows_none() -> None:
    # wordfreq answers Albanian with English's list and Kazakh with Russian's ("nearest
    # match"); a shard takes only its own language's, under its code there.
    assert not common_words("sq", 0.1)
    assert len(common_words("kk", 0.1)) == len(common_words("und", 0.1)) == 0
    assert common_words("no", 0.1)["og"] > 0.9  # Norwegian: wordfreq's Bokmål
    assert common_words("hr", 0.1)["je"] > 0.9  # Croatian: wordfreq's Serbo-Croatian


@pytest.mark.parametrize("docs", [0, 1, 5, 50, 5000])
def test_a_common_word_never_weighs_more_than_a_name_seen_as_often(docs: int) -> None:
    config = StoryConfig().for_language("en")
    shares = sorted(set(config.common.values()))
    for docfreq in sorted({0, min(1, docs), docs // 2, docs}):
        name = idf(docfreq, docs, config)
        assert all(idf(docfreq, docs, config, share) <= name for share in shares)
    # ... and "the", in every article so far, weighs nothing from a shard's first article on
    # (a name in every one of a few still weighs something).
    assert idf(docs, docs, config, config.common["the"]) < 0.01
    assert docs > 50 or idf(docs, docs, config) > 0.05
