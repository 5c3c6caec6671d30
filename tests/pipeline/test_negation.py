"""Polarity: the same sentence negated in one text and said plainly in the other."""

from __future__ import annotations

import pytest

from service.pipeline.negation import NEGATIONS, flipped, polarity
from service.pipeline.tokens import find_words_and_breaks


def _flips(first: str, second: str, language: str) -> int:
    one = polarity(find_words_and_breaks(first), language)
    other = polarity(find_words_and_breaks(second), language)
    assert one is not None
    assert other is not None
    return flipped(one, other)


@pytest.mark.parametrize(
    ("said", "denied", "language"),
    [
        ("The court on Monday upheld the ban.", "The court on Monday never upheld the ban.", "en"),
        ("L'Assemblée l'a adopté le texte.", "L'Assemblée ne l'a pas adopté le texte.", "fr"),
        ("Der Rat hat das Gesetz gebilligt.", "Der Rat hat das Gesetz nicht gebilligt.", "de"),
        ("Сейм в пятницу принял закон.", "Сейм в пятницу не принял закон.", "ru"),
        ("البرلمان وافق على القانون اليوم.", "البرلمان لم وافق على القانون اليوم.", "ar"),
        ("सरकार ने प्रस्ताव को मंजूरी दी है।", "सरकार ने प्रस्ताव को मंजूरी नहीं दी है।", "hi"),
    ],
)
def test_a_negation_added_or_taken_away_is_a_flip_either_way(
    said: str, denied: str, language: str
) -> None:
    assert _flips(said, denied, language) >= 1
    assert _flips(denied, said, language) >= 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("The bank did not change its rate.", "The bank did not change its rate."),
        ("The bank did not change its rate.", "The bank didn't change its rate."),
        # The clause is not in the other text at all: nothing to contradict.
        ("The bank did not change its rate.", "The minister spoke on Tuesday."),
        # Two words alike elsewhere are not the sentence ("as to" in both).
        ("It is not clear as to why.", "Questions as to the cost remain."),
        # A negation moved within its sentence, an interjection dropped.
        ("El tren no ha llegado nunca.", "El tren nunca ha llegado."),
        ("No, I will not resign today.", "I will not resign today."),
        # A negation word before a figure is a number: No 10, n°2728.
        ("He spoke outside No 10 Downing Street.", "He spoke outside 10 Downing Street."),
    ],
)
def test_the_same_negation_or_another_clause_is_no_flip(first: str, second: str) -> None:
    language = "es" if first.startswith("El") else "en"
    assert _flips(first, second, language) == 0


def test_a_language_without_a_list_has_no_negated_places() -> None:
    assert "zh" not in NEGATIONS
    assert polarity(find_words_and_breaks("他没有去。"), "zh") is None
