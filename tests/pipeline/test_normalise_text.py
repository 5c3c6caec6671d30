"""Text repair, HTML and line joining on damaged real-world copy; fields and times."""

from __future__ import annotations

import pytest

from service.pipeline.normalise import normalise_article
from service.pipeline.text import repair_text

RUSSIAN = "Президент России заявил в Москве, что переговоры продолжатся на следующей неделе."
GREEK = "Ο πρωθυπουργός συναντήθηκε την Τρίτη με τους Ευρωπαίους ηγέτες στο Ελσίνκι."


# --- mojibake outside Latin-1


@pytest.mark.parametrize(
    ("clean", "codec", "language"),
    [(RUSSIAN, "sloppy-windows-1251", "ru"), (GREEK, "sloppy-windows-1253", "el")],
    ids=["cp1251", "cp1253"],
)
def test_utf8_read_as_a_cyrillic_or_greek_code_page_is_repaired(
    clean: str, codec: str, language: str
) -> None:
    damaged = clean.encode().decode(codec)
    article = normalise_article({"id": "a", "title": "T", "text": damaged})
    assert (article.body, article.language) == (clean, language)


def test_clean_cyrillic_with_guillemets_is_left_alone() -> None:
    text = "Агентство «ТАСС» сообщило, что встреча — в среду."
    assert repair_text(text) == text


# --- cp1252 punctuation read as Latin-1 (C1 controls)


@pytest.mark.parametrize(
    ("damaged", "repaired"),
    [
        ("It\x92s over", "It's over"),
        ("from 2010\x962012", "from 2010\u20132012"),
        ("\x93Yes,\x94 he said \x85", '"Yes," he said \u2026'),
        ("It&#146;s over", "It's over"),
    ],
)
def test_c1_controls_are_read_as_cp1252_punctuation(damaged: str, repaired: str) -> None:
    assert repair_text(damaged) == repaired


def test_c1_punctuation_repairs_alike_with_or_without_other_mojibake() -> None:
    # ftfy ran (and mapped C1 through cp1252) only when other mojibake let it in.
    alone = normalise_article({"id": "a", "text": "Police said it\x92s over in 2010\x962012."})
    mixed = normalise_article({"id": "a", "text": "Police said it\x92s over in 2010\x962012 Ã©."})
    assert alone.body == "Police said it's over in 2010\u20132012."
    assert mixed.body == alone.body[:-1] + " é."
