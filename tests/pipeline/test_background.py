"""The language's background: word shares kept by hash, looked up as a dict would answer."""

from __future__ import annotations

import pytest
import wordfreq
from hypothesis import given
from hypothesis import strategies as st

from service.pipeline.background import ARTICLE_WORDS, WordShares, common_words

SHARES = st.sampled_from([0.001, 0.02, 0.5, 0.999, 1.0])


@given(st.dictionaries(st.text(min_size=1), SHARES), st.lists(st.text()))
def test_word_shares_answer_as_the_dict(shares: dict[str, float], others: list[str]) -> None:
    kept = WordShares(shares)
    words = [*shares, *others]
    assert kept.shares(words) == [shares.get(word) for word in words]
    assert len(kept) == len(shares)
    assert sorted(kept.values()) == sorted(shares.values())
    assert kept == WordShares(dict(reversed(shares.items())))


def test_a_word_not_listed_has_no_share() -> None:
    kept = WordShares({"the": 1.0, "tras": 0.08, "\ud800": 0.5})
    assert kept["tras"] == kept.get("tras") == 0.08
    assert kept.get("putin") is None
    assert kept.get("putin", 0.0) == 0.0
    assert "the" in kept
    assert "putin" not in kept
    assert "\ud800" in kept  # a stray surrogate is a word like any other
    with pytest.raises(KeyError):
        kept["putin"]
    assert not WordShares()
    assert WordShares().shares(["the"]) == [None]
    assert kept != WordShares({"the": 1.0})


def test_a_languages_list_keeps_each_words_share() -> None:
    english = common_words("en", 0.001)
    frequencies = wordfreq.get_frequency_dict("en", wordlist="small")
    words = ["the", "new", "council", "budget", "harbour"]
    assert english.shares(words) == [
        1.0 - (1.0 - frequencies[word]) ** ARTICLE_WORDS for word in words
    ]
    # Rarer than the floor, and figures (cues have their own weight), are not listed.
    assert english.shares(["zugspitze", "2024", "0"]) == [None, None, None]
    assert 10_000 < len(english) < 30_000


def test_words_of_one_hash_are_both_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two words of a list with one 64-bit hash (none in wordfreq's lists): neither takes a
    # share that may be the other's, and the list still loads.
    import numpy as np

    from service.pipeline import background

    keys = {"tras": 5, "tres": 5, "the": 9}
    monkeypatch.setattr(
        background, "_hashes", lambda words: np.array([keys[w] for w in words], dtype=np.uint64)
    )
    kept = WordShares({"tras": 0.08, "tres": 0.3, "the": 1.0})
    assert kept.shares(["tras", "tres", "the"]) == [None, None, 1.0]
    assert len(kept) == 1
