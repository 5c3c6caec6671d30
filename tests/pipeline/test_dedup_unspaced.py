r"""Dedup on scripts written without spaces between words (Han, kana, Thai, Lao, Myanmar,
Khmer): the edits that make an English near copy (README, Dedup: a paragraph trimmed, a credit
or boilerplate line added, typos and copy edits, a new headline) make a near copy here too, and
an unrelated article of the same script, or another outlet's report of the same event, is no
copy. Han and kana are read as character pairs, Thai, Lao, Myanmar and Khmer as character
4-grams. The texts are written for this test."""

from __future__ import annotations

from typing import Any

import pytest

from service.models import Article
from service.pipeline.dedup import DedupIndex, extract_features
from service.pipeline.normalise import normalise_article

# Each: headline, three paragraphs of two sentences, a sentence to append, a few characters
# to change, another headline, and an unrelated article of the same script.
ARTICLES: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "新一代气象卫星成功发射",
        "sentences": [
            "国家航天局今天上午宣布，新一代气象卫星在酒泉卫星发射中心成功发射，卫星顺利进入预定轨道。",
            "这颗卫星将主要用于监测台风、暴雨和沙尘暴等灾害性天气，预计使用寿命为八年。",
            "项目负责人介绍，卫星搭载了十一台观测仪器，其中三台为首次在轨应用。",
            "与上一代卫星相比，新卫星的观测精度提高了一倍，数据传输速度也明显加快。",
            "下一步，科研人员将对卫星进行为期三个月的在轨测试，之后正式交付使用。",
            "有关部门表示，卫星数据将向周边国家和地区免费开放，共同提升防灾减灾能力。",
        ],
        "appended": "据悉，这是今年我国发射的第五颗气象类卫星。",
        "changes": [("八年", "十年"), ("十一台", "十二台"), ("顺利进入", "已经进入")],
        "other_title": "我国气象卫星发射升空",
        "unrelated": [
            "农业农村部发布数据显示，今年夏粮总产量再创历史新高，小麦平均亩产有所提高。",
            "专家认为，良种推广和机械化作业是增产的主要原因。",
            "多地农民表示，今年收购价格稳定，种粮收益比去年有所增加。",
            "下一阶段，各地将抓紧秋季作物的田间管理，防范高温干旱对玉米和水稻的影响。",
        ],
    },
    "ja": {
        "title": "台風10号、今夜九州南部に接近",
        "sentences": [
            "気象庁によりますと、大型で強い台風十号は今夜、九州南部に接近する見込みです。",
            "鹿児島県と宮崎県では、あすにかけて一時間に八十ミリの猛烈な雨が降るおそれがあります。",
            "航空各社はあわせて百二十便以上の欠航を決めており、新幹線も一部区間で運転を見合わせる予定です。",
            "自治体は早めの避難を呼びかけていて、すでに二千人あまりが避難所に身を寄せています。",
            "気象庁は、土砂災害や河川の氾濫に厳重に警戒するよう求めています。",
            "台風はその後、進路を東に変え、週末には四国地方に達するとみられます。",
        ],
        "appended": "最新の気象情報に注意してください。",
        "changes": [("今夜", "今晩"), ("八十ミリ", "九十ミリ"), ("百二十便", "百三十便")],
        "other_title": "大型台風が九州に接近、欠航相次ぐ",
        "unrelated": [
            "東京都は、来年度から都内の公立中学校で給食費を無償化する方針を固めました。",
            "対象となる生徒はおよそ二十万人で、必要な費用は年間で約二百億円に上る見通しです。",
            "都の担当者は、子育て世帯の経済的な負担を減らすことが目的だと説明しています。",
            "一方で、財源の確保をめぐっては都議会で議論が続く見込みです。",
        ],
    },
    "th": {
        "title": "น้ำท่วมฉับพลันเชียงใหม่",
        "sentences": [
            "เกิดน้ำท่วมฉับพลันในจังหวัดเชียงใหม่เมื่อคืนที่ผ่านมา หลังจากฝนตกหนักต่อเนื่องนานกว่าสิบชั่วโมง",
            "เจ้าหน้าที่ป้องกันและบรรเทาสาธารณภัยได้อพยพชาวบ้านกว่าสามร้อยครัวเรือนไปยังศูนย์พักพิงชั่วคราว",
            "ถนนหลายสายในเขตอำเภอเมืองถูกน้ำท่วมสูงจนรถยนต์ไม่สามารถสัญจรได้",
            "กรมอุตุนิยมวิทยาเตือนว่าพื้นที่ภาคเหนือจะยังคงมีฝนตกหนักถึงหนักมากในอีกสองวันข้างหน้า",
            "ผู้ว่าราชการจังหวัดกล่าวว่ายังไม่มีรายงานผู้เสียชีวิต แต่มีผู้ได้รับบาดเจ็บเล็กน้อยจำนวนหนึ่ง",
            "หน่วยงานท้องถิ่นได้ตั้งจุดแจกจ่ายน้ำดื่มและอาหารให้แก่ผู้ประสบภัยแล้ว",
        ],
        "appended": "ประชาชนสามารถติดตามข่าวสารได้จากศูนย์ข้อมูลของจังหวัด",
        "changes": [("สิบชั่วโมง", "สิบสองชั่วโมง"), ("สามร้อย", "สี่ร้อย"), ("รถยนต์", "รถ")],
        "other_title": "เชียงใหม่อพยพชาวบ้านหนีน้ำ",
        "unrelated": [
            "กระทรวงคมนาคมประกาศเปิดให้บริการรถไฟฟ้าสายใหม่ในกรุงเทพมหานครตั้งแต่ต้นเดือนหน้า",
            "ค่าโดยสารจะเริ่มต้นที่สิบหกบาทและสูงสุดไม่เกินสี่สิบห้าบาท",
            "ผู้บริหารโครงการคาดว่าจะมีผู้ใช้บริการวันละกว่าหนึ่งแสนคน",
            "รัฐบาลหวังว่าเส้นทางนี้จะช่วยลดปัญหาการจราจรติดขัดในใจกลางเมือง",
        ],
    },
}

EDITS = ("sentence_dropped", "sentence_appended", "characters_changed", "new_headline")
# A brief of three sentences and a story of six: with whole clauses as words, the brief's few
# clauses were under the shared-word floor whatever the edit (and the Thai brief with a
# sentence cut still was with `\w+` tokens, split at every vowel and tone mark: 10 shared).
LENGTHS = (3, 6)


def _join(sentences: list[str], language: str) -> str:
    """Paragraphs of two sentences; Thai puts a space between sentences, Chinese and Japanese
    nothing."""
    glue = " " if language == "th" else ""
    return "\n\n".join(glue.join(sentences[i : i + 2]) for i in range(0, len(sentences), 2))


def _article(article_id: str, title: str, text: str) -> Article:
    return normalise_article({"id": article_id, "title": title, "text": text})


def _original(language: str, length: int) -> Article:
    spec = ARTICLES[language]
    return _article(
        f"{language}-original", spec["title"], _join(spec["sentences"][:length], language)
    )


def _edited(language: str, edit: str, length: int) -> Article:
    spec = ARTICLES[language]
    sentences: list[str] = spec["sentences"][:length]
    title = spec["title"]
    if edit == "sentence_dropped":
        del sentences[length // 2]
    elif edit == "sentence_appended":
        sentences.append(spec["appended"])
    elif edit == "new_headline":
        title = spec["other_title"]
    text = _join(sentences, language)
    if edit == "characters_changed":
        for old, new in spec["changes"]:
            assert old in text
            text = text.replace(old, new, 1)
    return _article(f"{language}-{edit}", title, text)


def _unrelated(language: str, title: str) -> Article:
    return _article(f"{language}-other", title, _join(ARTICLES[language]["unrelated"], language))


def _decide(index: DedupIndex, article: Article, now: float) -> Any:
    decision = index.find_duplicate(article, now)
    index.remember(article, decision, now)
    return decision


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize("language", sorted(ARTICLES))
def test_an_edited_copy_in_an_unspaced_script_is_a_near_copy(
    language: str, edit: str, length: int
) -> None:
    index = DedupIndex({})
    original = _original(language, length)
    _decide(index, original, 0.0)
    decision = _decide(index, _edited(language, edit, length), 60.0)
    assert (decision.kind, decision.duplicate_of) == ("near_copy", original.id)


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("language", sorted(ARTICLES))
def test_an_unrelated_article_in_the_same_script_is_no_copy(language: str, length: int) -> None:
    index = DedupIndex({})
    _decide(index, _original(language, length), 0.0)
    unrelated = _unrelated(language, ARTICLES[language]["other_title"])
    assert _decide(index, unrelated, 60.0).kind is None


@pytest.mark.parametrize("language", sorted(ARTICLES))
def test_every_edited_copy_links_to_the_original_in_one_index(language: str) -> None:
    """All four copies and the unrelated article (under the original's headline) in one
    stream: each copy links to the original, the unrelated article to nothing."""
    index = DedupIndex({})
    original = _original(language, 6)
    _decide(index, original, 0.0)
    for n, edit in enumerate(EDITS, 1):
        decision = _decide(index, _edited(language, edit, 6), 60.0 * n)
        assert (decision.kind, decision.duplicate_of) == ("near_copy", original.id), edit
    unrelated = _unrelated(language, ARTICLES[language]["title"])
    assert _decide(index, unrelated, 600.0).kind is None


def test_a_clause_is_not_one_word() -> None:
    """One character changed in a clause changes a few of its character pairs, not the
    clause's only word: most content words stay shared."""
    text = _join(ARTICLES["zh"]["sentences"], "zh")
    new, old = extract_features(text.replace("八年", "十年", 1)), extract_features(text)
    shared = len(set(new.words.tolist()) & set(old.words.tolist()))
    assert len(old.words) > 100
    assert shared / len(old.words) > 0.95


# Another outlet's report of the Chiang Mai flood: the same place, figures and agencies, even a
# sentence end in common ("ยังไม่มีรายงานผู้เสียชีวิต"), in its own words.
SAME_EVENT_TH = [
    "ฝนที่ตกหนักตลอดทั้งคืนทำให้เกิดน้ำป่าไหลหลากเข้าท่วมหลายชุมชนในเชียงใหม่",
    "ชาวบ้านกว่าสามร้อยครัวเรือนต้องอพยพออกจากบ้านกลางดึก โดยมีทหารและอาสาสมัครช่วยขนย้ายสิ่งของ",
    "ระดับน้ำในแม่น้ำปิงเพิ่มสูงขึ้นอย่างรวดเร็ว และคาดว่าจะล้นตลิ่งในช่วงบ่ายวันนี้",
    "นายกเทศมนตรีนครเชียงใหม่ขอให้ประชาชนที่อาศัยอยู่ริมน้ำเก็บสิ่งของขึ้นที่สูง",
    "กรมอุตุนิยมวิทยาคาดว่าฝนจะยังตกหนักต่อไปอีกอย่างน้อยสองวัน",
    "ยังไม่มีรายงานผู้เสียชีวิตจากเหตุการณ์ครั้งนี้",
]


def test_another_report_of_the_same_thai_event_is_no_copy() -> None:
    """Its 4-grams share 25% of the shorter's and 20% of its shingles (a copy: 60% and
    40%)."""
    index = DedupIndex({})
    _decide(index, _original("th", 6), 0.0)
    other = _article(
        "th-same-event", "น้ำป่าทะลักเชียงใหม่ ชาวบ้านอพยพกลางดึก", _join(SAME_EVENT_TH, "th")
    )
    assert _decide(index, other, 60.0).kind is None


# Briefs of three sentences in the other scripts dedup reads as 4-grams. Split at every mark,
# as before, the Myanmar one left no content word at all and the Khmer one three.
BRIEFS = {
    "lo": [
        "ພິທີເປີດຂົວຂ້າມແມ່ນ້ຳຂອງແຫ່ງໃໝ່ ໄດ້ຈັດຂຶ້ນທີ່ແຂວງບໍລິຄຳໄຊໃນຕອນເຊົ້າວັນນີ້",
        "ຂົວດັ່ງກ່າວມີຄວາມຍາວໜຶ່ງພັນສອງຮ້ອຍແມັດ ແລະ ໃຊ້ເວລາກໍ່ສ້າງເກືອບສາມປີ",
        "ເຈົ້າໜ້າທີ່ຄາດວ່າຂົວຈະຊ່ວຍຫຼຸດເວລາເດີນທາງລົງເຄິ່ງໜຶ່ງ",
    ],
    "my": [
        "မန္တလေးမြို့တွင် ယမန်နေ့ညက မိုးသည်းထန်စွာ ရွာသွန်းခဲ့သဖြင့် လမ်းများ ရေလွှမ်းမိုးခဲ့သည်။",
        "အိမ်ခြေ နှစ်ရာကျော် ရေဘေးရှောင်စခန်းသို့ ပြောင်းရွှေ့ခဲ့ရသည်။",
        "မိုးလေဝသဌာနက နောက်ထပ် နှစ်ရက် မိုးဆက်ရွာမည်ဟု ခန့်မှန်းထားသည်။",
    ],
    "km": [
        "ភ្លៀងធ្លាក់ខ្លាំងកាលពីយប់មិញ បានធ្វើឱ្យទឹកជំនន់លិចផ្ទះប្រជាពលរដ្ឋជាច្រើននៅខេត្តបាត់ដំបង។",
        "អាជ្ញាធរបានជម្លៀសប្រជាជនជាងពីររយគ្រួសារទៅកាន់ទីទួលសុវត្ថិភាព។",
        "ក្រសួងធនធានទឹកព្យាករថាភ្លៀងនឹងបន្តធ្លាក់រយៈពេលពីរថ្ងៃទៀត។",
    ],
}


@pytest.mark.parametrize("language", sorted(BRIEFS))
def test_a_brief_with_a_sentence_cut_is_a_near_copy(language: str) -> None:
    first, middle, last = BRIEFS[language]
    index = DedupIndex({})
    original = _article(f"{language}-original", "", " ".join([first, middle, last]))
    _decide(index, original, 0.0)
    decision = _decide(index, _article(f"{language}-cut", "", f"{first} {last}"), 60.0)
    assert (decision.kind, decision.duplicate_of) == ("near_copy", original.id)


def test_a_thai_word_with_marks_is_no_figure() -> None:
    """`str.isalpha` is false for a 4-gram holding a vowel or tone mark: only the two
    figures count as such (Thai digits too)."""
    features = extract_features("มีผู้บาดเจ็บ 25 คน มากที่สุดตั้งแต่ปี ๒๕๖๗ ที่ผ่านมา")
    assert len(features.numbers) == 2


# One bot's template filled for three quakes (the review's converse case, in texts written for
# this test): the time, place, magnitude and depth sit in one clause with their figures.
QUAKE_BOTS = {
    "zh": (
        "{title}",
        "据自动测定结果，{day}日{time}在{place}发生{magnitude}级地震，震源深度{depth}公里，"
        "震中距最近城镇约{near}公里。\n\n"
        "地震发生后，当地政府已启动应急响应，组织人员排查受灾情况。"
        "此消息由自动速报系统生成，最终结果以正式测定为准。",
        [
            {
                "title": "甘肃天水发生4.3级地震",
                "day": "14",
                "time": "08时23分",
                "place": "甘肃天水市麦积区",
                "magnitude": "4.3",
                "depth": "12",
                "near": "18",
            },
            {
                "title": "西藏那曲发生5.6级地震",
                "day": "14",
                "time": "15时47分",
                "place": "西藏那曲市尼玛县",
                "magnitude": "5.6",
                "depth": "9",
                "near": "42",
            },
            {
                "title": "台湾花莲海域发生4.9级地震",
                "day": "15",
                "time": "02时06分",
                "place": "台湾花莲县海域",
                "magnitude": "4.9",
                "depth": "30",
                "near": "27",
            },
        ],
    ),
    "ja": (
        "{title}",
        "気象庁によりますと、{day}日午前{time}ごろ、{place}を震源とする地震があり、"
        "最大震度{intensity}の揺れを観測しました。震源の深さは{depth}キロ、"
        "地震の規模を示すマグニチュードは{magnitude}と推定されています。\n\n"
        "この地震による津波の心配はありません。"
        "気象庁は、揺れの強かった地域では今後の情報に注意するよう呼びかけています。",
        [
            {
                "title": "茨城県南部で震度3",
                "day": "3",
                "time": "6時12分",
                "place": "茨城県南部",
                "intensity": "3",
                "depth": "50",
                "magnitude": "4.1",
            },
            {
                "title": "釧路沖で震度4",
                "day": "3",
                "time": "9時40分",
                "place": "釧路沖",
                "intensity": "4",
                "depth": "70",
                "magnitude": "5.4",
            },
            {
                "title": "熊本県熊本地方で震度2",
                "day": "4",
                "time": "1時58分",
                "place": "熊本県熊本地方",
                "intensity": "2",
                "depth": "10",
                "magnitude": "3.2",
            },
        ],
    ),
    "th": (
        "{title}",
        "ระบบรายงานอัตโนมัติแจ้งว่า เมื่อวันที่ {day} เวลา {time} น. เกิดแผ่นดินไหวขนาด {magnitude} "
        "ที่{place} ความลึก {depth} กิโลเมตร\n\n"
        "เจ้าหน้าที่กำลังตรวจสอบความเสียหายในพื้นที่ใกล้เคียง "
        "ข้อความนี้สร้างโดยระบบรายงานแผ่นดินไหวอัตโนมัติ",
        [
            {
                "title": "แผ่นดินไหวที่เชียงราย",
                "day": "7",
                "time": "04.15",
                "magnitude": "3.8",
                "place": "อำเภอแม่สาย จังหวัดเชียงราย",
                "depth": "6",
            },
            {
                "title": "แผ่นดินไหวที่กาญจนบุรี",
                "day": "7",
                "time": "13.52",
                "magnitude": "4.6",
                "place": "อำเภอศรีสวัสดิ์ จังหวัดกาญจนบุรี",
                "depth": "11",
            },
            {
                "title": "แผ่นดินไหวที่ตาก",
                "day": "8",
                "time": "21.09",
                "magnitude": "2.9",
                "place": "อำเภอแม่สอด จังหวัดตาก",
                "depth": "4",
            },
        ],
    ),
}


# A line a resend adds.
QUAKE_LINES = {
    "zh": "更多信息请关注地震部门发布的后续通报。",
    "ja": "今後の情報に注意してください。",
    "th": "ประชาชนสามารถติดตามข้อมูลเพิ่มเติมได้จากกรมอุตุนิยมวิทยา",
}


@pytest.mark.parametrize("language", sorted(QUAKE_BOTS))
def test_a_quake_bot_s_reports_of_three_quakes_are_not_copies(language: str) -> None:
    """The figures inside a clause of pairs or 4-grams are figures of their own, each in its
    slot: as one word, the clause was one slot (one swap, let through), and the second and
    third quakes were near copies of the first. The same report sent again with a sentence
    appended is still a near copy."""
    title, body, fills = QUAKE_BOTS[language]
    index = DedupIndex({})
    quakes = [
        _article(f"{language}-quake-{i}", title.format(**fill), body.format(**fill))
        for i, fill in enumerate(fills)
    ]
    assert [_decide(index, quake, 60.0 * i).kind for i, quake in enumerate(quakes)] == [None] * 3
    resent = _article(
        f"{language}-resent", quakes[1].headline, f"{quakes[1].body}\n\n{QUAKE_LINES[language]}"
    )
    decision = _decide(index, resent, 600.0)
    assert (decision.kind, decision.duplicate_of) == ("near_copy", quakes[1].id)
