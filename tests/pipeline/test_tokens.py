"""Words of scripts with combining marks (Devanagari, Bengali, Tamil, Myanmar, Arabic
vowel points...) stay whole: Python's `\\w` matches no combining mark, so `\\w+` broke them at
every vowel sign and virama."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from service.pipeline.decide import Shards, label_records
from service.pipeline.dedup import _lead_end, _words_and_lead, extract_features, plain_text
from service.pipeline.tokens import (
    SENTENCE_BREAK,
    SOUTHEAST_ASIAN_LETTERS,
    find_words,
    find_words_and_breaks,
    grams,
    lettered,
)

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


def _marks(codes: range) -> str:
    return "".join(chr(code) for code in codes if unicodedata.category(chr(code))[0] == "M")


# What the words and breaks are, in the plain spelling that the tokenising patterns speed up.
_MARKS = _marks(range(0x300, 0x20000)) + _marks(range(0xE0100, 0xE01F0))
_PLAIN_WORD = re.compile(f"\\w[\\w{_MARKS}]*")
_PLAIN_WORD_OR_BREAK = re.compile(f"{_PLAIN_WORD.pattern}|{SENTENCE_BREAK.pattern}")


@pytest.mark.parametrize("characters", ["ascii", "bmp", "astral"])
def test_words_and_breaks_are_the_plain_patterns_on_every_character(characters: str) -> None:
    """Every ASCII character (300 times each), or every BMP character (and some beyond it)
    between spaces, stops, quotes and line breaks, in random order: the same words and breaks
    as `\\w[\\w marks]*|break`."""
    rng = random.Random(7)
    chosen = [chr(code) for code in range(0x80 if characters == "ascii" else 0x10000)] * (
        300 if characters == "ascii" else 1
    )
    if characters == "astral":
        chosen += [chr(code) for code in range(0x11100, 0x11150)] + ["\U0001e900"] * 50
    if characters != "ascii":
        chosen += list(" . . ! ? ; : \u3002 \u0964 \u061f \n \n\n \" ' \u201d ) ]") * 2000
    rng.shuffle(chosen)
    text = "".join(chosen)
    assert find_words(text) == _PLAIN_WORD.findall(text)
    assert find_words_and_breaks(text) == _PLAIN_WORD_OR_BREAK.findall(text)


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


_CLASSES = re.compile(f"(\\w)|([{_MARKS}])|(\\s)|([.!?;:\u3002\u061f\u0964\"'\u201d\u2019)\\]])")


def _classes(character: str) -> tuple[object, ...]:
    found = _CLASSES.fullmatch(character)
    groups = found.groups() if found else ()
    return (*(group is not None for group in groups), character.isalpha(), character < "\U00010000")


def test_lowering_keeps_every_character_in_its_classes() -> None:
    """What lets dedup lower-case the lead's words instead of reading the lower-cased text
    again: every character but "İ" (two) and "Σ" (by context) lowers to one of the same
    classes (word, mark, space, stop or quote, letter, plane)."""
    changed = [chr(code) for code in range(0x110000) if chr(code).lower() != chr(code)]
    assert [c for c in changed if len(c.lower()) != 1] == ["\u0130"]
    assert [c for c in changed if c != "\u0130" and _classes(c) != _classes(c.lower())] == []


@pytest.mark.parametrize(
    "body",
    [
        "Warren Buffett said on Monday. The 12 FOMC members met in Omaha.\nMr. Smith left.",
        "ΟΔΟΣ'Α ΣΕΙΣΜΟΣ στην Αθήνα. Ο ΚΟΣΜΟΣ 12.",  # "Σ" lowers by what follows it
        "İstanbul'da İzmir 7,4 deprem. İİ",  # "İ" lowers to two characters
        "<p>Fire in <b>Lille</b> kills 3.</p> AT&amp;T &eacute;t&eacute;",  # markup, entities
        "AT&T and S&P 500 rose 12 points. Warren said so.",  # "&" but no entity
        "Warren " * 300,  # no break before the cap: a word cut there
        ("Name " * 299) + "\n" + ("Other 12 " * 100),
        "x" * 1499 + ". Warren" + " 12" * 100,
        "北京时间 Xinhua 12. 東京で地震。 กรุงเทพมหานคร 25 คน",
        "\U0001110c\U0001110b\U00011134 Adlam \U0001e900\U0001e922 12. Ǆ ǅ Ꭰ",
        "",
    ],
)
def test_words_and_lead_as_read_apart(body: str) -> None:
    """One pass gives the words of the plain text and the lead's words and breaks as two did."""
    lead = find_words_and_breaks(body[: _lead_end(body)])
    text = plain_text(body)
    assert _words_and_lead(body) == (find_words(text), text, lead)
