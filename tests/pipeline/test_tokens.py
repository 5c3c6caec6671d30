"""Words of scripts with combining marks (Devanagari, Bengali, Tamil, Myanmar, Arabic
vowel points...) stay whole: Python's `\\w` matches no combining mark, so `\\w+` broke them at
every vowel sign and virama."""

from __future__ import annotations

import pytest

from service.pipeline.decide import Shards, label_records
from service.pipeline.dedup import extract_features
from service.pipeline.tokens import SOUTHEAST_ASIAN_LETTERS, find_words, grams, lettered

HINDI = [
    "दिल्ली में आज तापमान पैंतालीस डिग्री के पार पहुंच गया और मौसम विभाग ने लू की चेतावनी जारी की।",
    "शेयर बाजार में सेंसेक्स पांच सौ अंक चढ़कर बंद हुआ, बैंकिंग कंपनियों के शेयरों में तेजी रही।",
    "भारतीय क्रिकेट टीम ने ऑस्ट्रेलिया को छह विकेट से हराकर श्रृंखला में बढ़त बना ली।",
    "उत्तराखंड में भूकंप के झटके महसूस किए गए, किसी के हताहत होने की खबर नहीं है।",
    "चुनाव आयोग ने पांच राज्यों में विधानसभा चुनाव की तारीखों का ऐलान कर दिया।",
    "पटना स्टेशन के पास एक ट्रेन पटरी से उतर गई, दस यात्री घायल हुए।",
]


@pytest.mark.parametrize(
    "text",
    [
        "समाचार दिल्ली",  # Hindi: vowel signs, virama
        "সংবাদ কলকাতা",  # Bengali
        "செய்திகள் சென்னை",  # Tamil
        "వార్తలు హైదరాబాద్",  # Telugu
        "မြန်မာ",  # Myanmar
        "كَتَبَ الطَّالِبُ",  # Arabic with vowel points
        "שָׁלוֹם",  # Hebrew with points
        "\U0001110c\U0001110b\U00011134\U0001111f\U00011133\U00011126",  # Chakma (beyond the BMP)
    ],
)
def test_a_word_keeps_its_combining_marks(text: str) -> None:
    assert find_words(text) == text.split()


def test_latin_words_are_read_as_before() -> None:
    text = "Café naïve x_y 42 l'été, Zürich—São Paulo"
    assert find_words(text) == [
        "Café",
        "naïve",
        "x_y",
        "42",
        "l",
        "été",
        "Zürich",
        "São",
        "Paulo",
    ]


def test_thai_runs_as_4_grams_with_their_marks_and_figures_apart() -> None:
    """What dedup reads for Thai, Lao, Myanmar and Khmer: a run of letters and marks as its
    4-grams, a shorter one whole, and digits (Thai ones too) or Latin between runs whole."""
    assert grams("น้ำท่วม", SOUTHEAST_ASIAN_LETTERS, 4) == ["น้ำท", "้ำท่", "ำท่ว", "ท่วม"]
    assert grams("ปี๒๕๖๗covidระบาด", SOUTHEAST_ASIAN_LETTERS, 4) == [
        "ปี",
        "๒๕๖๗covid",
        "ระบา",
        "ะบาด",
    ]


def test_two_unrelated_hindi_reports_open_two_stories() -> None:
    records = [{"id": f"hi{n}", "text": text, "language": "hi"} for n, text in enumerate(HINDI[:2])]
    out = list(label_records(records, Shards.in_memory()))
    assert out[0]["story"] != out[1]["story"]


def test_a_hindi_copy_with_a_sentence_dropped_is_a_near_copy() -> None:
    full = " ".join(HINDI)
    cut = " ".join(HINDI[:3] + HINDI[4:])
    records = [
        {"id": "full", "text": full, "language": "hi"},
        {"id": "cut", "text": cut, "language": "hi"},
    ]
    out = list(label_records(records, Shards.in_memory()))
    assert (out[1]["kind"], out[1]["duplicate_of"]) == ("near_copy", "full")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("समाचार", True),
        ("செய்திகள்", True),
        ("café", True),
        ("news", True),
        ("2024", False),
        ("१९९९", False),
        ("covid19", False),
        ("foo_bar", False),
    ],
)
def test_a_word_of_letters_and_marks_is_lettered(word: str, expected: bool) -> None:
    assert lettered(word) is expected


def test_a_hindi_word_with_a_vowel_sign_is_no_figure() -> None:
    # `str.isalpha` is false for "समाचार": every such word was a figure (and a content and key
    # word whatever its length), so the rewrite check's figures were ordinary words.
    features = extract_features(HINDI[0] + " 2024")
    assert features.numbers.size == 1
    assert features.keys.sum() < len(features.words)
