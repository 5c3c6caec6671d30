"""Text repair, HTML and line joining on damaged real-world copy; fields and times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from service.models import Rejected, RejectReason
from service.pipeline.decide import Shards, label_records
from service.pipeline.normalise import article_to_record, normalise_article
from service.pipeline.text import html_to_text, join_lines, repair_text

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


ENGLISH_PUNCTUATION = "The mayor’s office said there was “no timetable” — a €5m repair, 3…"
FRENCH = "Incendie à Marseille : quatre blessés, dont un grièvement, à 5 h du matin."


@pytest.mark.parametrize(
    ("clean", "codec"),
    [
        (ENGLISH_PUNCTUATION, "sloppy-windows-1251"),  # вЂ™, вЂњ
        (ENGLISH_PUNCTUATION, "mac_roman"),  # ‚Äô, ‚Äú
        (FRENCH, "mac_roman"),  # √†, √©
    ],
    ids=["cp1251-punctuation", "macroman-punctuation", "macroman-letters"],
)
def test_utf8_punctuation_and_letters_read_as_cp1251_or_mac_roman_are_repaired(
    clean: str, codec: str
) -> None:
    damaged = clean.encode().decode(codec)
    assert damaged != clean
    assert repair_text(damaged) == repair_text(clean)


def test_clean_text_with_the_damaged_characters_is_left_alone() -> None:
    # `в` before `„` or `…`, `вё`, `«Ça`, `’à`, `√2`: what each code page's damage starts with.
    text = "Твёрдый знак, вёл, від, в „кавычках“ и в… «Газпроме»; « Ça », jusqu’à, √2, ¬ p."
    assert repair_text(text) == text.replace("„", '"').replace("“", '"').replace("’", "'")


def test_clean_cyrillic_with_guillemets_is_left_alone() -> None:
    text = "Агентство «ТАСС» сообщило, что встреча — в среду."
    assert repair_text(text) == text


# --- mojibake from the Central European code page (cp1250)

# Correct text in each language written with cp1250 (Romanian in both its cedilla and its
# comma-below spelling), some in capitals.
CENTRAL_EUROPEAN = [
    pytest.param(
        "Złoty umocnił się w piątek wobec euro, a Łódź i Gdańsk przyjęły rekord turystów.",
        id="pl",
    ),
    pytest.param(
        "Źródła w ministerstwie potwierdziły, że szczepionki dotarły do szpitali.", id="pl-2"
    ),
    pytest.param("Příliš žluťoučký kůň úpěl ďábelské ódy.", id="cs"),
    pytest.param(
        "Vláda v úterý schválila návrh rozpočtu. Inspekce ČŠI zveřejnila výroční zprávu.",
        id="cs-2",
    ),
    pytest.param("Poľsko a Slovensko podpísali dohodu. Ľudia v Žiline protestovali.", id="sk"),
    pytest.param("Győr és Pécs is új buszokat vásárol. ŐSZI ÜLÉSSZAK", id="hu"),
    pytest.param(
        "Bucureşti şi Braşov au primit fonduri. Ăştia sunt oamenii care au câştigat.",
        id="ro-cedilla",
    ),
    pytest.param("București și Brașov au primit fonduri europene marți.", id="ro-comma"),
    pytest.param("RĂŞINĂ ŞI PĂŞUNE. ROMÂNIA ÎN UNIUNEA EUROPEANĂ", id="ro-capitals"),
    pytest.param("Hrvatska vlada u četvrtak je usvojila proračun. Šibenik bilježi rast.", id="hr"),
    pytest.param("Đakovo i Čakovec dobili su nove vrtiće.", id="hr-2"),
]
# Short texts (a headline, a name) where the damage is all there is to go by.
CENTRAL_EUROPEAN_SHORT = [
    pytest.param(text, id=f"short-{name}")
    for text, name in (
        ("Złoty", "pl"),
        ("Kraków i Gdańsk", "pl-2"),
        ("Śląsk", "pl-3"),
        ("Ústí nad Labem", "cs"),
        ("Győr", "hu"),
        ("UNIUNEA EUROPEANĂ", "ro"),
    )
]
# Correct text that pairs letters as the damage does: Czech `ČŠI`, Romanian `Ăştia`, `PĂŞUNE`.
LOOKS_DAMAGED = [
    pytest.param(text, id=f"alike-{name}")
    for text, name in (("Ăştia sunt oamenii.", "ro"), ("PĂŞUNE", "ro-2"), ("ČŠI", "cs"))
]


@pytest.mark.parametrize("clean", CENTRAL_EUROPEAN + CENTRAL_EUROPEAN_SHORT)
def test_utf8_read_as_cp1250_is_repaired(clean: str) -> None:
    damaged = clean.encode().decode("sloppy-windows-1250")
    assert damaged != clean
    assert repair_text(damaged) == clean
    article = normalise_article({"id": "a", "title": damaged, "text": damaged})
    assert (article.headline, article.body) == (clean, clean)


@pytest.mark.parametrize("clean", CENTRAL_EUROPEAN + CENTRAL_EUROPEAN_SHORT + LOOKS_DAMAGED)
def test_correct_central_european_text_is_left_alone(clean: str) -> None:
    assert repair_text(clean) == clean
    assert normalise_article({"id": "a", "title": clean, "text": clean}).body == clean


# Western European text read as ISO-8859-2 (Latin-2) by a Central European system: undone as
# if read as cp1250 it became other letters (`blessÊs`, `Lokfßhrer`, `perchÊ`, `Tßrkiye`),
# since the two code pages put `Š`, `ź`... in other places.
LATIN_2_READ = [
    pytest.param("Quatre blessés, dont un grièvement, selon les pompiers.", id="latin-2-fr"),
    pytest.param("Der Lokführer wurde bei dem Unfall schwer verletzt.", id="latin-2-de"),
    pytest.param(
        "Il governo ha approvato la riforma, perché la crisi è più grave.", id="latin-2-it"
    ),
    pytest.param("Un niño resultó herido en Málaga después de la tormenta.", id="latin-2-es"),
    pytest.param("Türkiye'de enflasyon geçen ay yüzde 40'ın üzerine çıktı.", id="latin-2-tr"),
    pytest.param("Poľsko a Slovensko podpísali dohodu v Žiline.", id="latin-2-sk"),
    pytest.param("Bucureşti şi Braşov au primit fonduri.", id="latin-2-ro-cedilla"),
]


@pytest.mark.parametrize("clean", LATIN_2_READ + CENTRAL_EUROPEAN)
def test_utf8_read_as_iso_8859_2_is_repaired(clean: str) -> None:
    damaged = clean.encode().decode("iso-8859-2")
    assert damaged != clean
    assert repair_text(damaged) == clean


def test_a_copy_read_as_iso_8859_2_is_an_exact_copy() -> None:
    text = (
        "Un incendie s'est déclaré mercredi dans un immeuble de six étages, faisant quatre "
        "blessés, ont indiqué les pompiers.\n\nUne trentaine d'habitants ont été évacués."
    )
    title = "Incendie : quatre blessés, dont un grièvement"
    records = [
        {"id": "a", "title": title, "text": text, "language": "fr"},
        {
            "id": "b",
            "title": title.encode().decode("iso-8859-2"),
            "text": text.encode().decode("iso-8859-2"),
            "language": "fr",
        },
    ]
    out = list(label_records(records, Shards.in_memory()))
    assert (out[1]["duplicate_of"], out[1]["kind"], out[1]["headline"]) == ("a", "exact", title)


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


# --- marks and widths that differ between two outlets' copies of one text

ARABIC = "أعلنت وزارة الصحة تسجيل 300 إصابة جديدة في العاصمة يوم الثلاثاء."
HEBREW = "משרד הבריאות הודיע על 300 נדבקים חדשים בבירה ביום שלישי."
JAPANESE = "東京都は2025年8月19日、新たに300人の感染を確認したと発表した。"


def _marked(text: str) -> str:
    return text.replace("300", "\u200f300\u200e")


def _fullwidth(text: str) -> str:
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})


@pytest.mark.parametrize(
    ("clean", "variant"),
    [(ARABIC, _marked), (HEBREW, _marked), (JAPANESE, _fullwidth)],
    ids=["ar-rlm", "he-lrm", "ja-fullwidth-digits"],
)
def test_copies_differing_in_direction_marks_or_digit_width_are_exact_copies(
    clean: str, variant: Callable[[str], str]
) -> None:
    copy = variant(clean)
    assert copy != clean
    records = [
        {"id": "a", "title": "T", "text": clean, "published": "2025-08-19T10:00:00Z"},
        {"id": "b", "title": "T", "text": copy, "published": "2025-08-19T11:00:00Z"},
    ]
    out = list(label_records(records, Shards.in_memory()))
    assert (out[1]["duplicate_of"], out[1]["kind"]) == ("a", "exact")
    assert normalise_article(records[1]).body == clean


def test_fullwidth_punctuation_stays() -> None:
    assert repair_text("東京（共同）＝発表した！") == "東京（共同）＝発表した！"


# --- rejoining hard-wrapped lines

TOKYO = (
    "東京都は十九日、新型ウイルスの感染者が新たに三百人確認されたと発表した。"
    "都の担当者は外出の自粛を呼びかけた。専門家は今後一週間が重要だと指摘している。"
)


def _wrap(text: str, width: int) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


@pytest.mark.parametrize("width", range(8, 60))
def test_hard_wrapped_cjk_is_the_same_text_as_unwrapped(width: int) -> None:
    flat = normalise_article({"id": "a", "title": "T", "text": TOKYO})
    wrapped = normalise_article({"id": "a", "title": "T", "text": _wrap(TOKYO, width)})
    assert wrapped.fingerprint == flat.fingerprint
    assert "".join(wrapped.body.split()) == TOKYO
    # A line ending mid-sentence is never a paragraph end, nor glued with a space.
    assert all(p.endswith("。") for p in wrapped.body.split("\n\n")[:-1])
    assert " " not in wrapped.body


def test_hard_wrapped_cjk_copy_is_linked_as_exact() -> None:
    records = [
        {"id": "a", "title": "T", "text": TOKYO, "published": "2025-08-19T10:00:00Z"},
        {"id": "b", "title": "T", "text": _wrap(TOKYO, 20), "published": "2025-08-19T11:00:00Z"},
    ]
    out = list(label_records(records, Shards.in_memory()))
    assert (out[1]["duplicate_of"], out[1]["kind"]) == ("a", "exact")


@pytest.mark.parametrize(
    ("lines", "paragraphs"),
    [
        # German capitalises nouns: a short wrapped line before one is not a subheading,
        # since the next word would not have fitted on it.
        (
            ["Der Bundeskanzler traf sich am Dienstag mit", "Vertretern der Länder in Berlin."],
            ["Der Bundeskanzler traf sich am Dienstag mit Vertretern der Länder in Berlin."],
        ),
        # An abbreviation at the end of a line does not end the sentence.
        (
            ["Officials from the U.S.", "State Department met on Friday."],
            ["Officials from the U.S. State Department met on Friday."],
        ),
        (
            ["The talks were chaired by Dr.", "Jane Smith of the World Health Organization."],
            ["The talks were chaired by Dr. Jane Smith of the World Health Organization."],
        ),
        (
            ["Reid checked into a treatment center , her rep told People .", "`` We ..."],
            ["Reid checked into a treatment center , her rep told People .", "`` We ..."],
        ),
        # A short line whose next word would have fitted is still a subheading.
        (
            [
                "Die Regierung will die Steuern im kommenden Jahr senken,",
                "sagte der Minister am Dienstag in Berlin.",
                "Kritik der Opposition",
                "Die Opposition lehnt den Plan ab.",
            ],
            [
                "Die Regierung will die Steuern im kommenden Jahr senken, sagte der Minister "
                "am Dienstag in Berlin.",
                "Kritik der Opposition",
                "Die Opposition lehnt den Plan ab.",
            ],
        ),
        # Caseless scripts have no subheading tell: a short line is a wrapped one.
        (
            ["وقال المتحدث باسم الوزارة إن", "الوضع تحت السيطرة."],
            ["وقال المتحدث باسم الوزارة إن الوضع تحت السيطرة."],
        ),
    ],
    ids=[
        "de-short-line",
        "us-abbreviation",
        "dr-abbreviation",
        "tokenised-full-stop",
        "subheading",
        "arabic",
    ],
)
def test_wrapped_lines_rejoin(lines: list[str], paragraphs: list[str]) -> None:
    assert join_lines(lines) == paragraphs


@pytest.mark.parametrize(
    "sentences",
    [
        ["मुंबई में सोमवार को भारी बारिश हुई।", "कई स्कूल बंद रहे।"],
        ["सभा समाप्त हुई॥", "अगली बैठक मई में होगी।"],
        ["هل ستنخفض الأسعار؟", "قال الوزير إن الأمر غير واضح."],
        ["کراچی میں شدید بارش ہوئی۔", "کئی اسکول بند رہے۔"],
        ["Երևանում ուժեղ անձրև է գալիս։", "Դպրոցները փակ են։"],
        ["በአዲስ አበባ ከባድ ዝናብ ጣለ።", "ዝናቡ ነገ ይቆማል፧"],
        ["ရန်ကုန်တွင် မိုးသည်းထန်စွာ ရွာသည်။", "ကျောင်းများ ပိတ်ထားသည်။"],
        ["ភ្លៀងធ្លាក់ខ្លាំងនៅភ្នំពេញ។", "សាលារៀនត្រូវបានបិទ។"],
        ["東京で大雨が降った．", "学校は休校となった．"],
    ],
    ids=[
        "hindi",
        "double-danda",
        "arabic-question",
        "urdu",
        "armenian",
        "amharic",
        "myanmar",
        "khmer",
        "fullwidth-stop",
    ],
)
def test_a_line_ending_with_its_scripts_sentence_end_ends_the_paragraph(
    sentences: list[str],
) -> None:
    # Hindi paragraphs broken by single newlines were merged into one: `।` did not end a
    # sentence, so each line was taken for a wrapped one.
    assert join_lines(sentences) == sentences
    article = normalise_article({"id": "a", "title": "News", "text": "\n".join(sentences)})
    assert article.body == "\n\n".join(sentences)


# --- HTML: escaped, in the text field, blocks, figures, markup in one-line fields


def _body(**record: object) -> str:
    return normalise_article({"id": "a", "title": "T", **record}).body


@pytest.mark.parametrize(
    "escaped",
    [
        "&lt;p&gt;The minister resigned.&lt;/p&gt;&lt;p&gt;More details.&lt;/p&gt;",
        "&amp;lt;p&amp;gt;The minister resigned.&amp;lt;/p&amp;gt;&amp;lt;p&amp;gt;More details.",
    ],
    ids=["escaped", "escaped-twice"],
)
def test_escaped_html_is_read_as_html(escaped: str) -> None:
    # RSS descriptions often carry their markup escaped.
    article = normalise_article({"id": "a", "title": "T", "text": escaped})
    assert article.body == "The minister resigned.\n\nMore details."
    assert normalise_article(article_to_record(article)) == article


def test_escaped_html_in_body_html_is_read_as_html() -> None:
    body = _body(body_html="<p>&lt;p&gt;The minister resigned.&lt;/p&gt;</p>")
    assert body == "The minister resigned."


@pytest.mark.parametrize(
    ("markup", "paragraphs"),
    [
        (
            "<table><caption>Results</caption><tr><th>Name</th><th>Votes</th></tr>"
            "<tr><td>Smith</td><td>1,204</td></tr></table>",
            ["Results", "Name Votes", "Smith 1,204"],
        ),
        ("First part.<hr>Second part.", ["First part.", "Second part."]),
        (
            "<dl><dt>Turnout</dt><dd>64 per cent</dd></dl><address>Ottawa bureau</address>",
            ["Turnout", "64 per cent", "Ottawa bureau"],
        ),
        (
            "<p>He posted.</p><figure><blockquote>We will not back down.</blockquote>"
            "<figcaption>Post on X</figcaption></figure><p>More.</p>",
            ["He posted.", "We will not back down.", "More."],
        ),
        (
            "<figure><table><tr><td>Q1</td><td>4.2%</td></tr></table></figure>"
            "<figure><picture><source srcset='a.webp'><img src='a.jpg'></picture>"
            "<video>Your browser does not support video.</video></figure><p>Growth slowed.</p>",
            ["Q1 4.2%", "Growth slowed."],
        ),
    ],
    ids=["table", "hr", "dl-address", "figure-quote", "figure-table-media"],
)
def test_html_blocks_are_paragraphs_and_figures_keep_their_text(
    markup: str, paragraphs: list[str]
) -> None:
    text, _ = html_to_text(markup)
    assert [" ".join(p.split()) for p in text.split("\n\n") if p.strip()] == paragraphs


def test_figure_caption_goes_to_captions() -> None:
    article = normalise_article(
        {
            "id": "a",
            "title": "T",
            "body_html": "<p>He posted.</p><figure><blockquote>We will not back down."
            "</blockquote><figcaption>Post on X</figcaption></figure>",
        }
    )
    assert (article.body, article.captions) == (
        "He posted.\n\nWe will not back down.",
        ("Post on X",),
    )


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("<main>Para one.</main><main>Para two.</main>", "Para one.\n\nPara two."),
        ("Para one.<hr/>Para two.", "Para one.\n\nPara two."),
        # Reuters instrument codes are not tags: only markup is read as markup.
        (
            "Shares of Apple <AAPL.O> rose.<br>Brent <LCOc1> fell.",
            "Shares of Apple <AAPL.O> rose.\n\nBrent <LCOc1> fell.",
        ),
        ("Apple <AAPL.O> and Brent <LCOc1> fell.", "Apple <AAPL.O> and Brent <LCOc1> fell."),
    ],
    ids=["main", "hr", "ric-with-markup", "ric-alone"],
)
def test_markup_in_the_text_field(text: str, body: str) -> None:
    article = normalise_article({"id": "a", "title": "T", "text": text})
    assert article.body == body
    assert normalise_article(article_to_record(article)) == article


def test_headline_and_byline_lose_their_markup() -> None:
    article = normalise_article(
        {
            "id": "a",
            "title": "Fire at &lt;i&gt;Notre-Dame&lt;/i&gt; cathedral",
            "byline": '<a href="/js">Jane Smith</a>',
            "text": "Fire broke out.",
        }
    )
    assert (article.headline, article.byline) == ("Fire at Notre-Dame cathedral", "Jane Smith")
    plain = normalise_article(
        {"id": "b", "title": "Fire at Notre-Dame cathedral", "text": "Fire broke out."}
    )
    assert (article.headline, article.fingerprint) == (plain.headline, plain.fingerprint)


# --- times


CREDIT = "Officials met.\n\nThis report by The Canadian Press was first published Aug. 17, 2025."


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_a_stated_day_is_the_records_own_calendar_day() -> None:
    # 21:30 in Toronto on the 17th is the 18th in UTC, but the day the credit states.
    evening = normalise_article(
        {"id": "a", "title": "T", "text": CREDIT, "published": "2025-08-17T21:30:00-04:00"}
    )
    assert evening.firstcreated == evening.versioncreated == _at("2025-08-17T21:30:00-04:00")
    assert evening.time_basis == "record"


def test_an_earlier_stated_day_starts_in_the_records_own_zone() -> None:
    update = normalise_article(
        {"id": "a", "title": "T", "text": CREDIT, "published": "2025-08-19T09:00:00-04:00"}
    )
    assert (update.firstcreated, update.time_basis) == (_at("2025-08-17T00:00:00-04:00"), "credit")
    assert update.versioncreated == _at("2025-08-19T09:00:00-04:00")


@pytest.mark.parametrize("scale", [1, 1_000, 1_000_000, 1_000_000_000])
def test_epoch_numbers_up_to_nanoseconds(scale: int) -> None:
    published = 1_755_599_400  # 2025-08-19 10:30 UTC
    record = {"id": "a", "title": "T", "text": "Body.", "published": published * scale}
    assert normalise_article(record).versioncreated == published


@pytest.mark.parametrize(
    "published",
    ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1899-12-31", 1e300, -1e300, 7.3e18],
)
def test_times_outside_any_believable_range_are_unreadable(published: object) -> None:
    article = normalise_article({"id": "a", "title": "T", "text": "Body.", "published": published})
    assert (article.versioncreated, article.firstcreated) == (None, None)


@pytest.mark.parametrize(
    "zero",
    [
        0,
        0.0,
        -1,
        "1970-01-01T00:00:00Z",
        "1970-01-01T00:00:00.000+00:00",
        "1970-01-01",
        "1970-01-01T01:00:00+01:00",
        "1969-12-31T19:00:00",
        "1970-01-01T09:00:00",
    ],
)
def test_the_epoch_zero_time_in_any_zone_is_no_time(zero: object) -> None:
    # An unset time serialised (0 or -1, in whatever zone the producer wrote it) is a default,
    # as 0001-01-01 is: no time, not a publication in 1970 that reorders a replay.
    article = normalise_article({"id": "a", "title": "T", "text": "Body.", "published": zero})
    assert (article.versioncreated, article.firstcreated, article.time_basis) == (None, None, None)
    given = normalise_article(
        {"id": "a", "text": "Body.", "firstcreated": zero, "published": "2025-08-19T10:30:00Z"}
    )
    assert given.firstcreated == given.versioncreated == _at("2025-08-19T10:30:00+00:00")


def test_a_stated_epoch_zero_date_is_no_first_version() -> None:
    article = normalise_article(
        {"id": "a", "text": "Date: 1970-01-01\n\nBody.", "published": "2025-08-19T10:30:00Z"}
    )
    assert (article.firstcreated, article.time_basis) == (
        _at("2025-08-19T10:30:00+00:00"),
        "record",
    )


def test_times_just_past_the_epoch_zero_window_still_count() -> None:
    # 1970-01-02 is past every zone's rendering of the zero time: a (strange) real time.
    article = normalise_article(
        {"id": "a", "title": "T", "text": "Body.", "published": "1970-01-02T00:00:00Z"}
    )
    assert article.versioncreated == _at("1970-01-02T00:00:00+00:00")


# --- "--" and fields


@pytest.mark.parametrize(
    ("text", "repaired"),
    [
        ("Prices -- and rents -- rose.", "Prices \u2014 and rents \u2014 rose."),
        ("I was--", "I was\u2014"),
        ("a deal--finally", "a deal\u2014finally"),
        (
            "See https://xn--80ak6aa92e.com/live--blog, example.org/a--b or www.x--y.org.",
            None,
        ),
        ("Mail news--desk@example.org at xn--bcher-kva.example", None),
        ("Run wirefeed --help first.", None),
    ],
    ids=["spaced", "trailing", "between-words", "urls", "email-idn", "option"],
)
def test_double_hyphen_is_a_dash_except_in_addresses(text: str, repaired: str | None) -> None:
    assert repair_text(text) == (repaired or text)


def test_an_empty_field_does_not_hide_its_alias() -> None:
    article = normalise_article(
        {"id": "a", "text": "", "body": "Real body text.", "title": " ", "headline": "Real"}
    )
    assert (article.body, article.headline) == ("Real body text.", "Real")


@pytest.mark.parametrize(
    ("record", "named"),
    [
        ({"text": None, "body": 5}, "body"),
        ({"text": "Body.", "title": "", "headline": ["x"]}, "headline"),
        ({"text": "Body.", "published": "", "versioncreated": [1]}, "versioncreated"),
    ],
)
def test_a_wrong_type_names_the_field_that_has_it(record: dict[str, object], named: str) -> None:
    with pytest.raises(Rejected) as refused:
        normalise_article({"id": "a", **record})
    assert refused.value.reason == RejectReason.WRONG_TYPE
    assert refused.value.detail.startswith(f"{named} must be")
