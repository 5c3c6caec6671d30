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
