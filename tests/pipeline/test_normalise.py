"""Unit tests for the normalise stage: each repair on realistic text, and the five seeds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.models import Rejected, RejectReason
from service.pipeline.normalise import (
    article_to_record,
    detect_language,
    fingerprint,
    normalise_article,
)
from service.pipeline.structure import derive_headline, parse_date
from service.pipeline.text import html_to_text, join_lines, repair_text
from service.producers.formats import ninjs_record

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _seed(prefix: str) -> dict[str, str]:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return {"id": path.stem, "text": path.read_text(encoding="utf-8")}


def _day(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


# --- text repair


def test_repairs_utf8_read_as_cp1252() -> None:
    damaged = (
        "Champoux said Canada’s absence — at Friday’s meeting — was café talk.".encode().decode(
            "cp1252"
        )
    )
    assert "â€" in damaged
    assert (
        repair_text(damaged)
        == "Champoux said Canada's absence — at Friday's meeting — was café talk."
    )


def test_quotes_and_dashes_are_made_consistent() -> None:
    assert repair_text("“Yes,” she said – ‘no’ -- maybe - fine") == (
        "\"Yes,\" she said — 'no' — maybe — fine"
    )


def test_unicode_is_nfc_and_invisible_characters_go() -> None:
    assert repair_text("Cafe\u0301\u00ad \u200bs\ufeffoft") == "Café soft"


def test_entities_are_decoded_to_a_fixpoint_but_bare_ampersands_stay() -> None:
    assert repair_text("AT&T &amp;amp; R&D &eacute;t&#233;") == "AT&T & R&D été"


def test_escaped_ampersand_chains_in_any_spelling_are_one_ampersand() -> None:
    # A long chain used to cost one decoding round per level (500 KB: 14 s on the event loop).
    assert repair_text("R&amp;#38;AMP;amp;D &#x26;amp;lt;b&gt;") == "R&D <b>"
    chain = "&" + "amp;" * 5000 + "lt;"
    assert repair_text(f"a {chain} b") == "a < b"


def test_surrogate_escaped_bytes_are_decoded() -> None:
    raw = "café".encode("latin-1").decode("utf-8", errors="surrogateescape")
    assert repair_text(raw) == "café"


def test_html_becomes_paragraphs_with_captions_apart() -> None:
    text, captions = html_to_text(
        "<div><p>OTTAWA &mdash; First <b>para</b>.</p><figure><img src='x.jpg'>"
        "<figcaption>Anita Anand in Helsinki.</figcaption></figure><p>Second<br>line.</p>"
        "<script>var ad = 1;</script></div>"
    )
    assert [p.strip() for p in text.split("\n\n") if p.strip()] == [
        "OTTAWA — First para.",
        "Second",
        "line.",
    ]
    assert captions == ["Anita Anand in Helsinki."]


def test_loose_text_before_the_first_block_is_a_paragraph_of_its_own() -> None:
    text, _ = html_to_text("Shares of Apple &lt;AAPL.O&gt; rose.<p>Analysts were surprised.</p>")
    assert text.split() == [
        "Shares",
        "of",
        "Apple",
        "<AAPL.O>",
        "rose.",
        "Analysts",
        "were",
        "surprised.",
    ]
    assert "rose.\n\nAnalysts" in text


def test_html_in_the_text_field_and_body_html_are_both_read() -> None:
    from_text = normalise_article({"id": "a", "text": "<p>One sentence here.</p><p>Two.</p>"})
    from_html = normalise_article({"id": "a", "body_html": "<p>One sentence here.</p><p>Two.</p>"})
    assert from_text.body == from_html.body == "One sentence here.\n\nTwo."


def test_broken_lines_rejoin_but_paragraphs_and_subheadings_stay() -> None:
    lines = [
        "Canada and her allies discuss stable safety guarantees",
        "for Ukraine since July 2023.",
        "Champoux said the meeting was reserved for European leaders",
        ".",
        "No American soldiers in Ukraine",
        "The White House spokesman said so.",
    ]
    assert join_lines(lines) == [
        "Canada and her allies discuss stable safety guarantees for Ukraine since July 2023.",
        "Champoux said the meeting was reserved for European leaders.",
        "No American soldiers in Ukraine",
        "The White House spokesman said so.",
    ]


def test_hyphenated_line_break_keeps_the_word_together() -> None:
    assert join_lines(["a long-", "term deal."]) == ["a long-term deal."]


# --- structure


def test_dateline_with_region_and_agency() -> None:
    article = normalise_article(
        {"id": "a", "text": "HALIFAX, N.S. (AP) — Fishers returned to port on Monday.\n\nMore."}
    )
    assert article.located == "HALIFAX, N.S."
    assert article.body.startswith("Fishers returned")
    assert article.credit == "AP"


def test_capitalised_opening_word_before_a_lowercase_clause_is_not_a_dateline() -> None:
    article = normalise_article({"id": "a", "text": "NATO — the alliance — met on Monday."})
    assert article.located is None
    assert article.body == "NATO — the alliance — met on Monday."


def test_boilerplate_lines_in_several_languages_are_removed() -> None:
    text = (
        "Le premier ministre a parlé mardi.\nPublicité\nIl a ajouté un mot.\nAnzeige\n"
        "ADVERTISEMENT\nPublicidad\nStory continues below advertisement\nFin de l'article."
    )
    article = normalise_article({"id": "a", "title": "Titre", "text": text})
    assert article.body == (
        "Le premier ministre a parlé mardi.\n\nIl a ajouté un mot.\n\nFin de l'article."
    )


def test_boilerplate_inside_a_broken_sentence_does_not_break_it() -> None:
    article = normalise_article(
        {"id": "a", "title": "T", "text": "The minister said\nAdvertisement\nthat talks went well."}
    )
    assert article.body == "The minister said that talks went well."


def test_photo_captions_go_to_metadata() -> None:
    text = (
        "Leaders met on Monday in Washington to discuss the war.\n"
        "President Trump speaks in the Oval Office. (AP Photo/Evan Vucci)\n"
        "Carney spoke on Parliament Hill. THE CANADIAN PRESS/Sean Kilpatrick\n"
        "Crédit photo : Radio-Canada / Jean Tremblay\n"
        "The talks resume on Friday."
    )
    article = normalise_article({"id": "a", "title": "T", "text": text})
    assert article.body == (
        "Leaders met on Monday in Washington to discuss the war.\n\nThe talks resume on Friday."
    )
    assert len(article.captions) == 3


def test_leading_byline_and_metadata_line() -> None:
    text = "Published: Aug. 19, 2025 10:35 ET\nBy Sarah Ritchie, The Canadian Press\n\nText here."
    article = normalise_article({"id": "a", "title": "T", "text": text})
    assert article.body == "Text here."
    assert article.byline == "Sarah Ritchie"
    assert article.dates_in_text == ("2025-08-19",)
    assert article.firstcreated == _day("2025-08-19")


def test_headline_from_a_title_line_leaves_the_body() -> None:
    article = normalise_article(
        {"id": "a", "text": "Markets rally on rate hopes\n\nStocks rose on Tuesday. More followed."}
    )
    assert article.headline == "Markets rally on rate hopes"
    assert article.headline_derived
    assert article.body == "Stocks rose on Tuesday. More followed."


def test_derived_headline_is_the_first_sentence_without_full_stop() -> None:
    assert derive_headline("U.S. President Trump met Mr. Putin on Friday. Then more.") == (
        "U.S. President Trump met Mr. Putin on Friday"
    )
    assert derive_headline("word " * 60).endswith("…")


def test_given_title_repeated_at_the_top_of_the_body_is_dropped() -> None:
    article = normalise_article(
        {"id": "a", "title": "Talks  resume", "text": "Talks resume\n\nThe talks resumed today."}
    )
    assert (article.headline, article.body) == ("Talks resume", "The talks resumed today.")
    assert not article.headline_derived


@pytest.mark.parametrize("scale", [1, 1_000, 1_000_000])
def test_epoch_numbers_in_seconds_milliseconds_or_microseconds(scale: int) -> None:
    published = 1_712_912_400  # 2024-04-12 09:00 UTC
    article = normalise_article(
        {"id": "a", "title": "T", "text": "Body.", "published": published * scale}
    )
    assert article.versioncreated == published


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Aug. 19, 2025", "2025-08-19"),
        ("August 17, 2025", "2025-08-17"),
        ("le 19 août 2025", "2025-08-19"),
        ("17. August 2025", "2025-08-17"),
        ("17 de agosto de 2025", "2025-08-17"),
        ("2025-08-17", "2025-08-17"),
        ("Feb. 30, 2025", None),
        ("no date", None),
    ],
)
def test_parse_date(text: str, expected: str | None) -> None:
    assert parse_date(text) == expected


def test_french_credit_line() -> None:
    text = (
        "Le texte.\n\nCe texte a été publié pour la première fois par La Presse Canadienne "
        "le 19 août 2025."
    )
    article = normalise_article({"id": "a", "title": "T", "text": text})
    assert article.body == "Le texte."
    assert article.firstcreated == _day("2025-08-19")


# --- the five seeds


def test_seed_000_mojibake_credit_line_dateline() -> None:
    article = normalise_article(_seed("000"))
    assert article.located == "OTTAWA"
    assert article.firstcreated == _day("2025-08-19")
    assert article.credit is not None
    assert "This report by °µÍø½ûÇø was first published Aug. 19, 2025." in article.credit
    assert "With files from The Associated Press." in article.credit
    assert "first published" not in article.body
    assert "With files" not in article.body
    assert "°µ" not in article.body
    assert "Friday's meeting — which included" in article.body
    assert "he'll meet directly" in article.body
    assert article.body.startswith("Foreign Affairs Minister Anita Anand says")
    assert article.language == "en"


def test_seed_001_broken_lines_and_caption() -> None:
    article = normalise_article(_seed("001"))
    body = article.body
    assert "Stable safety guarantees for Ukraine since at least" in body
    assert "as a member. And this, despite" in body
    assert "reserved for European leaders.\n\nFen Hampson" in body
    assert (
        "absence remarkable of Canada was probably due to thespecial aversion of Mr. Trump" in body
    )
    assert "\n\nNo American soldiers in Ukraine\n\n" in body
    assert "Photo" not in body
    assert "The leaders gathered on Monday" not in body
    assert article.captions == (
        "The leaders gathered on Monday at the White House to talk about the war in Ukraine. "
        "Photo : Getty Images / ANDREW CABALLERO-REYNOLDS",
    )
    assert all("\n" not in p for p in article.paragraphs)
    assert article.firstcreated is None


def test_seed_002_headline_line_and_source_tag() -> None:
    article = normalise_article(_seed("002"))
    assert (
        article.headline
        == "Ukraine hopeful Canada will 'actively' be part of future security guarantee"
    )
    assert article.body.startswith('Ukraine would like to see Canada "actively participating"')
    assert article.body.endswith('but (actions are) another thing."')
    assert article.source == "globalnews"
    assert "“" not in article.body
    assert "’" not in article.body


def test_seed_003_credit_and_trailing_byline() -> None:
    article = normalise_article(_seed("003"))
    assert article.located is None  # "Ottawa-Ukraine" was mangled in translation
    assert article.byline == "Sara Richie"
    assert article.firstcreated == _day("2025-08-17")
    assert article.body.endswith('including the European Union," he said.')


def test_seed_004_metadata_line_dateline_credit_byline() -> None:
    article = normalise_article(_seed("004"))
    assert article.located == "OTTAWA"
    assert article.dates_in_text == ("2025-08-17",)
    assert article.firstcreated == _day("2025-08-17")
    assert article.byline == "Sarah Ritchie"
    assert article.body.startswith("Ukraine and its allies held a virtual meeting Sunday")
    assert "date 2025" not in article.body
    assert article.body.endswith('is ready to do its share," she said.')
    assert article.credit is not None
    assert "The Canadian Press" in article.credit.split("\n")


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seeds_are_idempotent(prefix: str) -> None:
    article = normalise_article(_seed(prefix))
    assert normalise_article(article_to_record(article)) == article


def test_seed_replay_order_follows_stated_dates() -> None:
    dates = {p: normalise_article(_seed(p)).firstcreated for p in ("000", "003", "004")}
    assert dates["004"] == dates["003"] < dates["000"]


# --- times, language, fingerprint, record fields


def test_published_time_wins_unless_the_text_says_an_earlier_day() -> None:
    text = "Body.\n\nThis report by The Canadian Press was first published Aug. 17, 2025."
    same_day = normalise_article(
        {"id": "a", "title": "T", "text": text, "published": "2025-08-17T14:03:00Z"}
    )
    assert same_day.firstcreated == same_day.versioncreated == _day("2025-08-17T14:03:00")
    update = normalise_article(
        {"id": "a", "title": "T", "text": text, "published": "2025-08-19T09:00:00+00:00"}
    )
    assert update.firstcreated == _day("2025-08-17")
    assert update.versioncreated == _day("2025-08-19T09:00:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Le premier ministre a rencontré les dirigeants européens mardi à Helsinki.", "fr"),
        (
            "Der Bundeskanzler traf sich am Dienstag mit den europäischen Regierungschefs.",
            "de",
        ),
        ("El primer ministro se reunió el martes con los líderes europeos en Helsinki.", "es"),
        ("Премьер-министр встретился во вторник с европейскими лидерами.", "ru"),
    ],
)
def test_language_is_detected(text: str, expected: str) -> None:
    assert normalise_article({"id": "a", "text": text, "language": "en"}).language == expected


@pytest.mark.parametrize("text", ["keith urban", "moto", "centrepoint winter white gala london"])
def test_a_few_words_do_not_overrule_the_declared_language(text: str) -> None:
    # The model guesses on a headline's worth of words (German, French, Portuguese here).
    assert normalise_article({"id": "a", "text": text, "language": "en"}).language == "en"


def test_language_hint_used_when_the_model_is_unsure() -> None:
    assert detect_language("12 34 56", "fr-CA") == "fr"
    assert detect_language("12 34 56") == "und"


def test_fingerprint_ignores_case_and_spacing_only() -> None:
    assert fingerprint("Hello  World\n\nAgain") == fingerprint("hello world again")
    assert fingerprint("Hello world") != fingerprint("Hello world!")


def test_ninjs_fields_from_the_record() -> None:
    article = normalise_article(
        {
            "id": "cp-1",
            "uri": "urn:cp:1",
            "version": 3,
            "urgency": 2,
            "pubstatus": "Withheld",
            "title": "Anand  in Finland",
            "text": "OTTAWA — Anand spoke.",
            "byline": "Sarah Ritchie",
            "source": "The Canadian Press",
            "unknown": {"ignored": True},
        }
    )
    assert (article.id, article.guid, article.version, article.urgency) == (
        "cp-1",
        "urn:cp:1",
        3,
        2,
    )
    assert (article.pubstatus, article.headline, article.byline) == (
        "withheld",
        "Anand in Finland",
        "Sarah Ritchie",
    )
    assert article.source == "The Canadian Press"


@pytest.mark.parametrize(("given", "read"), [("2", 2), (" 3 ", 3), ("007", 7), (4, 4)])
def test_a_version_of_digits_in_a_string_is_read_as_the_file_readers_read_it(
    given: object, read: int
) -> None:
    # ninjs writes `"version": "2"`: its file reader took it, a raw record with it was refused
    # as wrong_type.
    doc = {
        "uri": "urn:x",
        "version": given,
        "urgency": given,
        "headline": "Fire",
        "body_text": "A fire.",
    }
    record = {"id": "a", "text": "A fire.", "version": given, "urgency": given}
    from_file = normalise_article(ninjs_record(doc))
    article = normalise_article(record)
    assert (
        (article.version, article.urgency) == (from_file.version, from_file.urgency) == (read, read)
    )


def test_a_version_past_64_bits_in_a_string_is_refused_as_in_a_file() -> None:
    with pytest.raises(Rejected) as refused:
        normalise_article({"id": "a", "text": "A fire.", "version": str(2**64)})
    assert refused.value.reason == RejectReason.BAD_FORMAT


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"id": "a"}, RejectReason.MISSING_TEXT),
        ({"id": "a", "text": "   \n "}, RejectReason.MISSING_TEXT),
        ({"id": "a", "text": 5}, RejectReason.WRONG_TYPE),
        ({"id": "a", "text": "x", "title": ["t"]}, RejectReason.WRONG_TYPE),
        ({"id": "a", "text": "x", "version": "v2"}, RejectReason.WRONG_TYPE),
        ({"id": "a", "text": "x", "version": 2.0}, RejectReason.WRONG_TYPE),
        ({"id": "a", "text": "x", "version": True}, RejectReason.WRONG_TYPE),
        ({"id": "a", "text": "x", "published": [2025]}, RejectReason.WRONG_TYPE),
        ({"id": "a", "text": "x", "pubstatus": "maybe"}, RejectReason.BAD_FORMAT),
        (
            {"id": "a", "text": "Advertisement\n\u200b\nPublicité"},
            RejectReason.EMPTY_AFTER_CLEANING,
        ),
        (
            {"id": "a", "body_html": "<script>x()</script><p> </p>"},
            RejectReason.EMPTY_AFTER_CLEANING,
        ),
    ],
)
def test_rejections_say_why(record: dict[str, object], reason: RejectReason) -> None:
    with pytest.raises(Rejected) as caught:
        normalise_article(record)
    assert caught.value.reason == reason


def test_bytes_text_is_decoded() -> None:
    article = normalise_article({"id": "a", "text": "Caf\xe9 owners met.".encode("cp1252")})
    assert article.body == "Café owners met."


def test_the_link_travels_with_the_article_and_back() -> None:
    record = {"id": "x", "uri": "urn:x", "link": " https://example.org/x ", "text": "Some news."}
    article = normalise_article(record)
    assert (article.guid, article.link) == ("urn:x", "https://example.org/x")
    assert normalise_article(article_to_record(article)) == article
    with pytest.raises(Rejected) as refused:
        normalise_article({**record, "link": ["https://example.org/x"]})
    assert refused.value.reason == RejectReason.WRONG_TYPE
