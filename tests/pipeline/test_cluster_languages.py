"""Story cues in other languages: digit scripts."""

from __future__ import annotations

from typing import Any

import orjson

from service.models import Article
from service.pipeline.cluster import ENTITY, StoryConfig, ascii_digits, term_counts
from service.pipeline.decide import Shards, label_records


def article(body: str, language: str, headline: str = "") -> Article:
    return Article(
        id="a",
        guid="a",
        version=1,
        headline=headline,
        body=body,
        language=language,
        fingerprint="a",
        headline_derived=not headline,
    )


def cues(body: str, language: str = "en") -> set[str]:
    return {
        term for term in term_counts(article(body, language), StoryConfig()) if term[0] == ENTITY
    }


def test_digits_of_every_script_are_one_figure() -> None:
    assert ascii_digits("٤٥ مبنى، ۴۵، ४५, ৪৫ and 45") == "45 مبنى، 45، 45, 45 and 45"
    assert ascii_digits("plain") == "plain"
    # Arabic-Indic digits were cues of their own (#٤٥), sharing nothing with 45.
    assert (
        cues("انهار ٤٥ مبنى في ملاطية", "ar")
        == cues("انهار 45 مبنى في ملاطية", "ar")
        == {ENTITY + "45"}
    )


# Invented reports (the same event in several wordings, and a look-alike), as a language's
# outlets write them. Each tuple: id, headline, body, publication time.
REPORTS: dict[str, list[tuple[str, str, str, str]]] = {
    "ar": [
        (
            "E1a",
            "زلزال بقوة 6.1 درجات يقتل 14 شخصا في شرق تركيا",
            "أنقرة (رويترز) - ضرب زلزال بقوة 6.1 درجات ولاية ملاطية في شرق تركيا فجر الثلاثاء، "
            "ما أسفر عن مقتل 14 شخصا على الأقل وإصابة 230 آخرين، وفق ما أعلنت إدارة الكوارث "
            "والطوارئ التركية (آفاد).\n\nوانهار 45 مبنى في منطقتي يشيل يورت وباتال غازي، فيما "
            "تبحث فرق الإنقاذ عن ناجين تحت الأنقاض. ووقع الزلزال عند الساعة 4:17 على عمق 10 "
            "كيلومترات.",
            "04:40",
        ),
        (
            "E1b",
            "فرق الإنقاذ تبحث بين الأنقاض في ملاطية بعد الزلزال",
            "واصلت فرق الإنقاذ الثلاثاء البحث بين أنقاض ٤٥ مبنى منهارا في ملاطية، بعد زلزال بقوة "
            "٦٫١ درجات أودى بحياة ١٤ شخصا في شرق تركيا.\n\nوقالت آفاد إن ٢٣٠ شخصا أصيبوا، بينهم "
            "١٩ في حالة خطرة. وأمضى سكان باتال غازي الليل في الشوارع خوفا من الهزات الارتدادية.",
            "06:10",
        ),
    ],
}


def _stories(language: str) -> dict[str, str]:
    """Story of each report through `wirefeed label`'s code, the language declared."""
    records = [
        orjson.dumps(
            {
                "id": key,
                "title": headline,
                "text": body,
                "published": f"2025-06-03T{time}:00Z",
                "source": f"outlet-{key}",
                "language": language,
            }
        )
        for key, headline, body, time in REPORTS[language]
    ]
    out: list[dict[str, Any]] = list(label_records(records, Shards.in_memory(), 2e9))
    assert [line["language"] for line in out] == [language] * len(records)
    return {line["id"]: line["story"] for line in out}


def test_a_report_in_arabic_indic_digits_joins_its_event() -> None:
    story = _stories("ar")
    assert story["E1a"] == story["E1b"]
