"""Property tests for normalise: never crashes, idempotent, loses no body words."""

from __future__ import annotations

import os
import re
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from service.models import Article, Rejected, RejectReason
from service.pipeline.normalise import article_to_record, clean_text, normalise_article
from service.pipeline.structure import find_structure
from service.pipeline.text import as_markup, decode_bytes, repair_text

# WIREFEED_HYPOTHESIS_EXAMPLES=5000 for a longer search than the suite's.
SETTINGS = settings(
    max_examples=int(os.environ.get("WIREFEED_HYPOTHESIS_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_WORD = re.compile(r"\w+")

# Text that exercises the stage: words, capitals (datelines), sentence ends, line breaks,
# dashes and quotes, mojibake lead/continuation characters, boilerplate and credit phrases.
_PIECES = st.sampled_from(
    [
        "OTTAWA",
        "—",
        " - ",
        "–",
        "\n",
        "\n\n",
        "\r\n",
        ". ",
        ".",
        ",",
        '"',
        "“",
        "’",
        "Ã©",
        "â€™",
        "°µÍø½ûÇø",
        "Advertisement",
        "Photo : Getty Images / X",
        "(AP Photo/Evan Vucci)",
        "By Sarah Ritchie",
        "Sarah Ritchie, The Canadian Press",
        "— With files from The Associated Press",
        "This report by The Canadian Press was first published Aug. 19, 2025.",
        " date 2025-08-17 ",
        "globalnews",
        "&amp;",
        "<p>",
        "</p>",
        "&lt;p&gt;",
        "<hr>",
        "<td>",
        "<AAPL.O>",
        "--",
        "https://xn--e1a.org/a--b",
        "\u200f",
        "２",
        "\u00ad",
        "\u200b",
        "e\u0301",
    ]
)
_WORDS = st.from_regex(r"[A-Za-zÀ-ÿ]{1,9}", fullmatch=True)
dirty_text = st.lists(st.one_of(_PIECES, _WORDS, st.just(" ")), max_size=60).map("".join)
any_text = st.one_of(dirty_text, st.text(max_size=300))


def _outcome(record: dict[str, Any]) -> Article | Rejected:
    try:
        return normalise_article(record)
    except Rejected as exc:
        return exc


def _words(*texts: str) -> Counter[str]:
    return Counter(word.casefold() for text in texts for word in _WORD.findall(text))


@SETTINGS
@given(any_text, st.one_of(st.none(), any_text))
def test_normalise_returns_an_article_or_rejects_with_a_reason(
    text: str, title: str | None
) -> None:
    article = _outcome({"id": "x", "text": text, "title": title})
    if isinstance(article, Rejected):
        # Text that is there but empty once cleaned: never a type or format reason.
        assert article.detail
        assert article.reason in (RejectReason.MISSING_TEXT, RejectReason.EMPTY_AFTER_CLEANING)
        return
    assert article.body.strip()
    assert "\n\n\n" not in article.body
    assert article.headline == article.headline.strip()


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["text", "body_html"]))
def test_normalise_never_crashes_on_bytes(data: bytes, field: str) -> None:
    article = _outcome({"id": "x", field: data})
    if isinstance(article, Rejected):
        assert article.detail
        return
    assert article.body


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(
            ["id", "text", "title", "version", "published", "urgency", "language", "captions"]
        ),
        st.one_of(
            st.none(),
            st.integers(),
            st.floats(),
            st.text(max_size=20),
            st.binary(max_size=20),
            st.lists(st.text(max_size=5), max_size=2),
        ),
    )
)
def test_normalise_never_crashes_on_odd_field_types(record: dict[str, Any]) -> None:
    outcome = _outcome(record)
    # Odd types are named as such; a stage bug (internal_error) or a crash fails the test.
    assert isinstance(outcome, Article) or outcome.reason in (
        RejectReason.WRONG_TYPE,
        RejectReason.MISSING_TEXT,
        RejectReason.EMPTY_AFTER_CLEANING,
    )


@SETTINGS
@given(any_text, st.one_of(st.none(), st.text(max_size=40)), st.sampled_from([None, "fr", "en-CA"]))
def test_normalising_an_article_again_changes_nothing(
    text: str, title: str | None, language: str | None
) -> None:
    try:
        article = normalise_article({"id": "x", "text": text, "title": title, "language": language})
    except Rejected:
        return
    assert normalise_article(article_to_record(article)) == article


@SETTINGS
@given(dirty_text)
def test_repair_is_idempotent(text: str) -> None:
    once = repair_text(text)
    assert repair_text(once) == once


@SETTINGS
@given(any_text)
def test_no_body_word_is_lost_except_removed_boilerplate(text: str) -> None:
    # Repair changes characters (mojibake to letters), never whole words; what finds the
    # structure may only move words out of the body into what it removed.
    repaired = repair_text(text)
    found = find_structure(repaired)
    assert _words(repaired) - _words(*found.paragraphs, *found.removed) == Counter()


@SETTINGS
@given(any_text)
def test_body_is_the_cleaned_text(text: str) -> None:
    assume(as_markup(text) is None)
    try:
        article = normalise_article({"id": "x", "text": text})
    except Rejected:
        return
    assert article.body == "\n\n".join(clean_text(text, article.headline).paragraphs)


def test_decode_bytes_falls_back_to_windows_1252() -> None:
    assert decode_bytes(b"caf\xe9 \x93quoted\x94 \x81") == "café “quoted” \x81"
