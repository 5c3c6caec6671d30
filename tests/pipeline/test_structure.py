"""Unit tests for structure found in body text: what is taken out of the body, and what stays."""

from __future__ import annotations

import pytest

from service.models import Article
from service.pipeline.dedup import DedupIndex
from service.pipeline.normalise import article_to_record, normalise_article
from service.pipeline.structure import derive_headline, parse_date


def _article(text: str, title: str | None = "T") -> Article:
    article = normalise_article({"id": "a", "title": title, "text": text})
    assert normalise_article(article_to_record(article)) == article
    return article


# --- furniture, credit and caption phrases: only whole lines that stand alone


@pytest.mark.parametrize(
    "text",
    [
        "Police said the two deaths were\nrelated to the storm, officials said.",
        "El gobierno publicó el informe el lunes,\ncon información de los ministerios de Salud.",
        "Le ministère a publié un rapport\navec des informations de la police locale.",
        "The unit returned to base\nwith files from the raid, officials said on Tuesday.",
        "Reporters arrived in Gaza,\nwith reporting from inside the hospital, the agency said.",
        "Die Polizei sagte, die Täter seien\nmit Material von der Baustelle geflohen.",
        "The minister said she would\nsign up for the programme herself, aides said.",
        "Officials could not say how many\nphotos: were taken inside the building.",
    ],
)
def test_a_wrapped_sentence_is_never_cut_at_a_furniture_credit_or_caption_phrase(
    text: str,
) -> None:
    article = _article(text)
    assert article.body == " ".join(text.split())
    assert article.credit is None
    assert article.captions == ()


@pytest.mark.parametrize(
    "text",
    [
        "Related charges were filed against two men.\n\nThe trial opens in May.",
        "Two men were arrested.\nRelated charges were filed on Monday.\nThe trial opens in May.",
        "Mehr zum Thema sagte der Minister nichts.\n\nDie Sitzung endete am Abend.",
    ],
)
def test_a_sentence_opening_with_a_furniture_word_stays(text: str) -> None:
    article = _article(text)
    assert article.body == text.replace("\n\n", "\n").replace("\n", "\n\n")


def test_a_credit_phrase_opening_a_body_paragraph_stays() -> None:
    text = (
        "Troops raided the compound on Monday.\n\n"
        "With files from the raid, analysts traced the money to three banks.\n\n"
        "The bank declined to comment."
    )
    article = _article(text)
    assert article.body == text
    assert article.credit is None


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("Talks went well.\n\nRelated: Ottawa to host summit\n\nMore text.", "Talks went well."),
        ("Talks went well.\nREAD MORE: Ottawa to host summit\nMore text.", "Talks went well."),
        ("Talks went well.\nRead more\nMore text.", "Talks went well."),
        ("Talks went well.\nRelated coverage\nMore text.", "Talks went well."),
        ("Talks went well.\nRELATED COVERAGE Ottawa hosts summit\nMore text.", "Talks went well."),
        ("Talks went well.\n\nFollow us on social media. Sign up for our newsletter.", None),
        ("Talks went well.\nLire aussi : Le sommet d'Ottawa\nMore text.", "Talks went well."),
    ],
)
def test_furniture_lines_are_still_removed(text: str, body: str | None) -> None:
    article = _article(text)
    expected = "Talks went well." if body is None else f"{body}\n\nMore text."
    assert article.body == expected


@pytest.mark.parametrize(
    "ending",
    [
        "\n\nWith files from The Canadian Press",
        "\nWith files from The Canadian Press",
        "\n— With files from The Associated Press.\nThis report by The Canadian Press was first"
        " published Aug. 19, 2025.",
        "\n\nCon información de agencias.",
        "\n\nAvec des informations de l'AFP",
        "\n\nMit Material von dpa\n\nglobalnews",
    ],
)
def test_credit_lines_at_the_end_are_still_taken(ending: str) -> None:
    article = _article(f"Talks went well, officials said.{ending}")
    assert article.body == "Talks went well, officials said."
    assert article.credit is not None


def test_a_copyright_line_after_a_credit_ends_the_body_too() -> None:
    copyright_line = "Copyright 2025 The Canadian Press. All rights reserved."
    text = f"Talks went well.\n\nWith files from The Canadian Press\n\n{copyright_line}"
    article = _article(text)
    assert article.body == "Talks went well."
    assert article.credit == "With files from The Canadian Press"
    assert article.rights == copyright_line


# --- bylines: a name after `By`, `Von`, `Par`... in the language of the text


@pytest.mark.parametrize(
    ("text", "headline"),
    [
        (
            "Von der Leyen Visits Kyiv\n\nThe Commission president arrived by train on Friday.",
            "Von der Leyen Visits Kyiv",
        ),
        (
            "Di Maio Quits Government\n\nThe foreign minister resigned on Tuesday, aides said.",
            "Di Maio Quits Government",
        ),
        ("By The Numbers\n\nThe economy grew by 2 percent in the spring.", "By The Numbers"),
        (
            "Von Miller Signs With Bills\n\nThe linebacker agreed to a deal with the team.",
            "Von Miller Signs With Bills",
        ),
    ],
)
def test_a_title_case_headline_is_not_read_as_a_byline(text: str, headline: str) -> None:
    article = _article(text, title=None)
    assert (article.headline, article.byline) == (headline, None)
    assert article.body == text.split("\n\n")[1]


@pytest.mark.parametrize(
    ("text", "byline"),
    [
        ("By Jane Smith\n\nStocks rose on Tuesday as rate fears eased.", "Jane Smith"),
        ("BY JANE SMITH\n\nStocks rose on Tuesday as rate fears eased.", "JANE SMITH"),
        (
            "Von Hans Müller\n\nDie Regierung hat am Montag beschlossen, dass die Steuer sinkt.",
            "Hans Müller",
        ),
        (
            "Par Jean Dupont\n\nLe gouvernement a annoncé lundi que les impôts vont baisser.",
            "Jean Dupont",
        ),
        (
            "Di Mario Rossi\n\nIl governo ha deciso lunedì che le tasse saranno ridotte.",
            "Mario Rossi",
        ),
    ],
)
def test_bylines_are_still_taken(text: str, byline: str) -> None:
    article = _article(text, title="Title")
    assert article.byline == byline
    assert article.body == text.split("\n\n")[1]


# --- datelines


@pytest.mark.parametrize(
    ("text", "located", "body"),
    [
        ("BREAKING — Fire crews are battling a blaze.", None, "Fire crews are battling a blaze."),
        ("EXCLUSIVE - Apple plans to cut 2,000 jobs.", None, "Apple plans to cut 2,000 jobs."),
        ("BREAKING NEWS — LONDON — Fire crews arrived.", "LONDON", "Fire crews arrived."),
    ],
)
def test_a_kicker_is_no_dateline(text: str, located: str | None, body: str) -> None:
    article = _article(text)
    assert (article.located, article.body) == (located, body)


@pytest.mark.parametrize(
    "text",
    [
        "U.S. — China trade talks resumed on Monday in Geneva.",
        "U.K. — France talks on fishing rights resumed on Monday.",
    ],
)
def test_initials_before_a_dash_are_not_a_dateline(text: str) -> None:
    article = _article(text)
    assert article.located is None
    assert article.body == text


@pytest.mark.parametrize(
    "text",
    [
        "NATO — The alliance said on Monday it would send more troops.",
        "UN - The Security Council met on Tuesday.",
        "EU — Ministers agreed on a new sanctions package.",
        "IMF — The fund cut its growth forecast for the region.",
        "OPEC — Oil producers agreed to extend output cuts.",
        "FBI — Agents searched the house on Friday.",
        "CNN — The network said it would appeal.",
        "OTAN — L'Alliance a annoncé lundi l'envoi de troupes.",
        "ONU — El Consejo de Seguridad se reunió el martes.",
        "UNO — Der Sicherheitsrat tagte am Dienstag.",
        "НАТО — Альянс заявил в понедельник о новых учениях.",
        "МВФ — Фонд понизил прогноз роста.",
    ],
    ids=[
        "NATO",
        "UN",
        "EU",
        "IMF",
        "OPEC",
        "FBI",
        "CNN",
        "OTAN-fr",
        "ONU-es",
        "UNO-de",
        "ru",
        "ru-2",
    ],
)
def test_an_organisations_acronym_before_a_dash_is_not_a_dateline(text: str) -> None:
    article = _article(text)
    assert article.located is None
    # A spaced hyphen is a dash, as everywhere.
    assert article.body == text.replace(" - ", " \u2014 ")


@pytest.mark.parametrize(
    ("text", "located", "credit"),
    [
        ("KYIV, Ukraine (Reuters) — Russia launched drones overnight.", "KYIV, Ukraine", "Reuters"),
        ("PARIS — Le gouvernement a annoncé un plan.", "PARIS", None),
        ("ROME (AP) — The pope spoke on Sunday.", "ROME", "AP"),
        ("OSLO — Talks resumed on Monday.", "OSLO", None),
        ("LIMA, Peru — Protesters marched on Congress.", "LIMA, Peru", None),
        ("UFA, Russia — A drone hit a refinery.", "UFA, Russia", None),
        ("GAZA CITY — Strikes hit the north overnight.", "GAZA CITY", None),
        ("UNITED NATIONS (AP) — The Security Council voted.", "UNITED NATIONS", "AP"),
        ("BRUXELLES (AFP) - La Commission a proposé un plan.", "BRUXELLES", "AFP"),
        ("MÜNCHEN (dpa) - Die Polizei hat einen Mann festgenommen.", "MÜNCHEN", "dpa"),
        ("МОСКВА — Президент подписал указ.", "МОСКВА", None),
        ("ΑΘΗΝΑ — Η κυβέρνηση ανακοίνωσε νέα μέτρα.", "ΑΘΗΝΑ", None),
    ],
    ids=["en", "fr", "en-2", "en-3", "en-4", "en-5", "en-6", "en-7", "fr-2", "de", "ru", "el"],
)
def test_all_capital_city_datelines_are_still_places(
    text: str, located: str, credit: str | None
) -> None:
    article = _article(text)
    assert (article.located, article.credit) == (located, credit)
    assert article.body == text.split("— ", 1)[-1].split("- ", 1)[-1]


@pytest.mark.parametrize(
    ("text", "located", "credit", "body"),
    [
        (
            "PARIS, 19 août (Reuters) - Le gouvernement a annoncé lundi un plan.",
            "PARIS",
            "Reuters",
            "Le gouvernement a annoncé lundi un plan.",
        ),
        (
            "МОСКВА, 19 авг — Президент подписал указ о новых мерах.",
            "МОСКВА",
            None,
            "Президент подписал указ о новых мерах.",
        ),
        (
            "BERLIN, 19. August (dpa) - Der Kanzler hat am Montag gesprochen.",
            "BERLIN",
            "dpa",
            "Der Kanzler hat am Montag gesprochen.",
        ),
        (
            "MADRID, 19 de agosto de 2025 (EFE) - El Gobierno aprobó el plan.",
            "MADRID",
            "EFE",
            "El Gobierno aprobó el plan.",
        ),
        (
            "WASHINGTON, Aug 19 (Reuters) - The Senate voted on Monday.",
            "WASHINGTON",
            "Reuters",
            "The Senate voted on Monday.",
        ),
        (
            "ST. LOUIS (AP) — The river rose overnight.",
            "ST. LOUIS",
            "AP",
            "The river rose overnight.",
        ),
        (
            "WASHINGTON — The Senate voted on Monday.",
            "WASHINGTON",
            None,
            "The Senate voted on Monday.",
        ),
    ],
)
def test_datelines_day_first_dates_too(
    text: str, located: str, credit: str | None, body: str
) -> None:
    article = _article(text)
    assert (article.located, article.credit, article.body) == (located, credit, body)


def test_russian_month_names_are_dates() -> None:
    assert parse_date("19 августа 2025 года") == "2025-08-19"


# --- the lede of an untitled item


@pytest.mark.parametrize(
    ("text", "headline"),
    [
        (
            "東京株式市場で日経平均株価が大幅に下落した。\n\n市場関係者は金利への懸念を指摘した。",
            "東京株式市場で日経平均株価が大幅に下落した",
        ),
        ("上海股市周二大幅下跌。\n\n分析人士认为这与利率担忧有关。", "上海股市周二大幅下跌"),
        (
            "शेयर बाजार में मंगलवार को भारी गिरावट आई।\n\nविश्लेषकों ने ब्याज दरों की चिंता जताई।",
            "शेयर बाजार में मंगलवार को भारी गिरावट आई",
        ),
        ('"We will not back down."\n\nThe minister spoke on Monday.', '"We will not back down."'),
        (
            "Stocks fell sharply on Tuesday.\n\nAnalysts blamed rates.",
            "Stocks fell sharply on Tuesday",
        ),
    ],
)
def test_an_untitled_items_one_sentence_lede_stays_in_the_body(text: str, headline: str) -> None:
    untitled = _article(text, title=None)
    titled = _article(text, title="Markets")
    assert (untitled.headline, untitled.body) == (headline, text)
    assert untitled.fingerprint == titled.fingerprint


def test_a_title_line_of_an_untitled_item_still_leaves_the_body() -> None:
    article = _article("日経平均が急落\n\n東京株式市場で日経平均株価が大幅に下落した。", title=None)
    assert (article.headline, article.body) == (
        "日経平均が急落",
        "東京株式市場で日経平均株価が大幅に下落した。",
    )


def test_a_cjk_first_sentence_ends_at_its_full_stop() -> None:
    text = (
        "東京都は十九日、感染者が三百人確認されたと発表した。都の担当者は外出の自粛を呼びかけた。"
    )
    assert derive_headline(text) == "東京都は十九日、感染者が三百人確認されたと発表した"


def test_a_question_or_exclamation_standing_first_in_an_untitled_item_is_its_title() -> None:
    # Of the untitled ECB+ articles opening with a one-sentence paragraph ending in `?` or `!`,
    # all 14 open with their title (`A sanctuary for dissent in Greece ?`): headlines end so,
    # where they never end with a full stop.
    article = _article("Is this the end of the euro?\n\nAnalysts were divided.", title=None)
    assert (article.headline, article.body) == (
        "Is this the end of the euro?",
        "Analysts were divided.",
    )


def test_a_headline_repaired_twice_is_single_spaced() -> None:
    # Found by the idempotency property: a second repair made a no-break space of `Â` and a
    # line break in the derived headline, which normalising the output then collapsed.
    article = _article(f"{'OTTAWA' * 6}é°µÍø½ûÇøOTTAWAÂ\nOTTAWA", title=None)
    assert "\xa0" not in article.headline


@pytest.mark.parametrize(
    "ending",
    [
        "\n(Reporting by Jane Doe in Ottawa; Editing by John Smith)",
        "\n\n(Reporting by Jane Doe; Additional reporting by Tom Lee; Writing by Ann Bell)",
        "\n\n(AP reporting by Jane Miller; editing by Tom Rivera)\n\nglobalnews",
    ],
)
def test_staff_credit_lines_at_the_end_are_taken(ending: str) -> None:
    article = _article(f"Talks went well, officials said.{ending}")
    assert article.body == "Talks went well, officials said."
    assert article.credit is not None
    assert "by" in article.credit


def test_a_staff_credit_inside_the_body_stays() -> None:
    text = (
        "Talks went well.\n\n(Reporting by Jane Doe; Editing by John Smith)\n\nMore talks follow."
    )
    assert _article(text).body == text


@pytest.mark.parametrize(
    "credit",
    [
        "Jane Doe contributed to this report.",
        "Jane Doe and John Smith contributed to this report.",
        "Associated Press writer Jane Doe in Ottawa contributed to this report.",
        "AP writers Jane Doe in Ottawa and John Smith in London contributed to this report.",
        "The Associated Press contributed to this report.",
        "Reuters contributed to this article.",
        "— Jane Doe contributed to this report.",
        "Jane Doe contributed reporting.",
        "Jane Doe contributed reporting from Kyiv.",
        "Jane Doe contributed reporting from Washington, and John Smith from London.",
        "Jane Doe also contributed reporting.",
        "Additional reporting by Jane Doe.",
        "Additional reporting by Jane Doe in London",
        "Additional reporting by Jane Doe in London; Editing by John Smith",
    ],
)
def test_contribution_credits_at_the_end_are_taken(credit: str) -> None:
    for after in ("", "\n\nglobalnews"):
        article = _article(f"Talks went well, officials said.\n\n{credit}{after}")
        assert article.body == "Talks went well, officials said."
        assert article.credit == credit.lstrip("— ")


def test_a_copyright_line_after_a_contribution_credit_ends_the_body_too() -> None:
    copyright_line = "Copyright 2025 The Associated Press. All rights reserved."
    text = f"Talks went well.\n\nJane Doe contributed to this report.\n\n{copyright_line}"
    article = _article(text)
    assert article.body == "Talks went well."
    assert article.credit == "Jane Doe contributed to this report."
    assert article.rights == copyright_line


@pytest.mark.parametrize(
    "last",
    [
        "He contributed to this report's findings.",
        "He contributed to this report.",
        "She also contributed reporting.",
        "More than 200 scientists contributed to this report.",
        "The scientists contributed to this report.",
        "Several agencies contributed to this report.",
        "Smith contributed to this report, which the commission published in May.",
        "Additional reporting by the Guardian newspaper found more cases.",
        "Additional reporting by local media suggested the toll was higher.",
        "Reporting by the BBC showed that ministers knew.",
    ],
)
def test_a_sentence_of_the_story_like_a_contribution_credit_stays(last: str) -> None:
    text = f"Talks went well, officials said.\n\n{last}"
    article = _article(text)
    assert article.body == text
    assert article.credit is None


def test_a_contribution_credit_inside_the_body_stays() -> None:
    text = "Talks went well.\n\nJane Doe contributed to this report.\n\nMore talks follow."
    assert _article(text).body == text


def test_a_caption_line_breaking_a_sentence_is_still_taken() -> None:
    text = "The minister said\nPhoto : Getty Images / Jane Doe\nthat talks went well."
    article = _article(text)
    assert article.body == "The minister said that talks went well."
    assert article.captions == ("Photo : Getty Images / Jane Doe",)


# --- agencies' datelines and credits in other languages: kept for the agency's marker


_BODY = "Der Minister sprach am Dienstag."


@pytest.mark.parametrize(
    ("dateline", "located", "credit"),
    [
        ("Ankara (dpa) - ", "Ankara", "dpa"),
        ("Frankfurt/Main (dpa) - ", "Frankfurt/Main", "dpa"),
        ("Ankara (PAP) - ", "Ankara", "PAP"),
        ("Frankfurt nad Menem (PAP) - ", "Frankfurt nad Menem", "PAP"),
        ("Ankara, 3 jun (EFE).- ", "Ankara", "EFE"),
        ("Sochi (Rusia), 3 jun (EFE).- ", "Sochi, Rusia", "EFE"),
        ("АНКАРА, 3 июня. /ТАСС/. ", "АНКАРА", "ТАСС"),
        ("ФРАНКФУРТ-НА-МАЙНЕ, 3 июня. /ТАСС/. ", "ФРАНКФУРТ-НА-МАЙНЕ", "ТАСС"),
        ("أنقرة (رويترز) - ", "أنقرة", "رويترز"),
        ("SOTCHI (Russie), 3 juin (AFP) - ", "SOTCHI, Russie", "AFP"),
        ("ROMA, 3 GIU - ", "ROMA", None),
        ("(ANSA) - ROMA, 3 GIU - ", "ROMA", "ANSA"),
        ("Ankara (AA) - ", "Ankara", "AA"),
        ("MADRID, 3 (EUROPA PRESS) - ", "MADRID", "EUROPA PRESS"),
        ("MADRID, 3 (EUROPA PRESS)\n\n", "MADRID", "EUROPA PRESS"),
        ("Wien (APA) - ", "Wien", "APA"),
        ("Bern (Keystone-SDA) - ", "Bern", "Keystone-SDA"),
        ("МОСКВА, 3 июн — РИА Новости. ", "МОСКВА", "РИА Новости"),
        ("Москва. 3 июня. INTERFAX - ", "Москва", "INTERFAX"),
        ("Москва. 3 июня. INTERFAX.RU - ", "Москва", "INTERFAX"),
        ("MOSCOW. June 3 (Interfax) - ", "MOSCOW", "Interfax"),
        ("Kyiv, Ukraine (Reuters) - ", "Kyiv, Ukraine", "Reuters"),
        ("Washington (AP/Reuters) — ", "Washington", "AP/Reuters"),
        ("नई दिल्ली, 6 मई (एएनआई): ", "नई दिल्ली", "एएनआई"),
        ("मुंबई, 21 जुलाई (भाषा) ", "मुंबई", "भाषा"),
        ("NEW DELHI, May 6 (PTI) ", "NEW DELHI", "PTI"),
        ("New Delhi, May 6 (ANI): ", "New Delhi", "ANI"),
        ("رام الله 6-5-2025 وفا- ", "رام الله", "وفا"),
        ("(Bloomberg) -- ", None, "Bloomberg"),
        ("新华社广州3月18日电 ", "广州", "新华社"),
        ("中新网5月6日电 ", None, "中新网"),
    ],
    ids=[
        "dpa",
        "dpa-slash",
        "PAP",
        "PAP-particle",
        "EFE",
        "EFE-region",
        "TASS",
        "TASS-hyphen",
        "ar",
        "AFP-region",
        "ANSA",
        "ANSA-lead",
        "AA",
        "EuropaPress",
        "EuropaPress-line",
        "APA",
        "SDA",
        "RIA",
        "Interfax",
        "Interfax-ru",
        "Interfax-en",
        "Reuters",
        "two",
        "ANI-hi",
        "Bhasha",
        "PTI",
        "ANI-en",
        "WAFA",
        "Bloomberg",
        "Xinhua",
        "CNS-no-place",
    ],
)
def test_agency_datelines_in_any_case_or_script_are_taken(
    dateline: str, located: str | None, credit: str | None
) -> None:
    article = _article(f"{dateline}{_BODY}\n\nEr nannte keine Einzelheiten.")
    assert (article.located, article.credit) == (located, credit)
    assert article.body == f"{_BODY}\n\nEr nannte keine Einzelheiten."


@pytest.mark.parametrize(
    ("dateline", "located", "credit"),
    [
        ("ANKARA (AA) - ", "ANKARA", "AA"),
        ("BEIJING, June 3 (Xinhua) -- ", "BEIJING", "Xinhua"),
        ("SEOUL, June 3 (Yonhap) -- ", "SEOUL", "Yonhap"),
        ("TOKYO, June 3 (Kyodo) -- ", "TOKYO", "Kyodo"),
        ("MADRID, 3 Jun. (EUROPA PRESS) - ", "MADRID", "EUROPA PRESS"),
    ],
)
def test_capital_agency_datelines_are_still_taken(dateline: str, located: str, credit: str) -> None:
    article = _article(f"{dateline}{_BODY}")
    assert (article.located, article.credit, article.body) == (located, credit, _BODY)


def test_a_chinese_datelines_reporters_are_its_byline() -> None:
    article = _article(
        "新华社北京5月6日电（记者张伟）6日上午，一仓库发生火灾。\n\n暂无人员伤亡报告。"
    )
    assert (article.located, article.credit, article.byline) == ("北京", "新华社", "张伟")
    assert article.body == "6日上午，一仓库发生火灾。\n\n暂无人员伤亡报告。"


@pytest.mark.parametrize(
    "text",
    [
        "Paris (France) is the capital, officials said.",
        "Paris (France) — the city hosted the summit on Monday.",
        "Paris (France) - Le sommet s'est tenu lundi.",
        "Ankara (dpa) said the talks had failed.",
        "Berlin (AFP) ist die Hauptstadt.",
        "Turkey (AA) - a new law was passed on Monday.",
        "Die Polizei (Berlin) - so heißt es - hat ermittelt.",
        "The company told Reuters (Reuters) - no comment.",
        "Москва (Россия) — столица страны.",
        "Officials in Ankara (dpa) - ministers said - had met.",
        "Officials in Ankara (dpa) - Ministers had met.",
        "Die Regierung der Türkei und die Opposition (AA) - Einigung.",
        # A marker with no dash or colon after it is a dateline only after a date; a Chinese
        # agency's only before its date and 电.
        "Mumbai (PTI) reported the figures on Monday.",
        "Ankara, 3 June (dpa) said the talks had failed.",
        "नई दिल्ली (एएनआई) में बैठक हुई।",
        "新华社记者从北京报道，会议于6日举行。",
        "新华社3月18日发布了一份报告。",
    ],
)
def test_a_place_and_a_parenthesis_opening_the_body_stay(text: str) -> None:
    article = _article(f"{text}\n\nMore text.")
    assert (article.located, article.credit) == (None, None)
    assert article.body == f"{text}\n\nMore text.".replace(" - ", " \u2014 ")


@pytest.mark.parametrize(
    ("ending", "credit"),
    [
        ("\n\navec AFP", "avec AFP"),
        ("\n\n(avec AFP)", "avec AFP"),
        ("\n\nПо материалам ТАСС", "По материалам ТАСС"),
        ("\n\n(PAP)", "PAP"),
        (" (PAP)", "PAP"),
        ("\n\nAA muhabiri", "AA muhabiri"),
        ("\n\n(أ ف ب)", "أ ف ب"),
        (" (أ ف ب)", "أ ف ب"),
        ("\n\nmit Material von dpa", "mit Material von dpa"),
        ("\n\n(dpa)", "dpa"),
        (" (dpa)", "dpa"),
        ("\n\nCon información de EFE", "Con información de EFE"),
        ("\n\nFonte: ANSA", "Fonte: ANSA"),
        ("\n\nQuelle: dpa/AFP", "Quelle: dpa/AFP"),
    ],
)
def test_agency_credit_lines_in_other_languages_are_taken(ending: str, credit: str) -> None:
    for after in ("", "\n\nglobalnews"):
        article = _article(f"Talks went well, officials said.{ending}{after}")
        assert article.body == "Talks went well, officials said."
        assert article.credit == credit


@pytest.mark.parametrize(
    "text",
    [
        "Le ministre a signé un accord\navec AFP.",
        "Talks went well.\n\n(dpa)\n\nMore talks follow.",
        "Talks went well.\n\navec AFP\n\nMore talks follow.",
        "The figures were first reported by the agency (AFP).",
        "The figures came from the ministry.\n\n(Reuters Breakingviews)",
        "Talks went well.\n\nAvec les agences de presse",
        # Agencies' end lines inside the body, and what looks like them.
        "Talks went well.\n\nabc/def/ghi\n\nMore talks follow.",
        "The rate is quoted in km/h and mg/kg.",
        "Talks went well. See dpa:250506-99-123456/2 for the dispatch.",
        "他说：（完）这个字有多种意思。",
    ],
)
def test_a_sentence_naming_an_agency_stays(text: str) -> None:
    article = _article(text)
    assert article.body == text.replace("accord\navec", "accord avec")
    assert (article.credit, article.rights) == (None, None)


def test_a_copy_under_another_agencys_dateline_and_credit_is_an_exact_copy() -> None:
    body = (
        "Ein Erdbeben der Stärke 6,1 hat am Dienstag die Provinz Malatya erschüttert.\n\n"
        "Mindestens 14 Menschen kamen ums Leben, 230 wurden verletzt."
    )
    index = DedupIndex({})
    first = _article(f"Ankara (dpa) - {body}", "Erdbeben in der Türkei")
    index.remember(first, index.find_duplicate(first, 0.0), 0.0)
    for n, text in enumerate(
        (f"ANKARA (AA) - {body}\n\n(PAP)", f"Ankara, 3 jun (EFE).- {body}\n\nmit Material von dpa")
    ):
        copy = normalise_article({"id": f"c{n}", "title": "Erdbeben in der Türkei", "text": text})
        decision = index.find_duplicate(copy, 1.0)
        assert (decision.kind, decision.duplicate_of) == ("exact", "a")


@pytest.mark.parametrize("last", ["AP", "dpa", "Petra", "Reuters."])
def test_a_bare_agency_name_ending_the_body_stays(last: str) -> None:
    text = f"Talks went well, officials said.\n\n{last}"
    article = _article(text)
    assert (article.body, article.credit) == (text, None)


# --- rights notices: taken out of the body's end into `rights`

AP_RIGHTS = (
    "Copyright 2025 The Associated Press. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed without permission."
)


@pytest.mark.parametrize(
    "notice",
    [
        AP_RIGHTS,
        "\u00a92025 Bloomberg L.P.",
        "(c) Agencia EFE",
        "\u00a9 dpa-infocom, dpa:250506-99-123456/2",
        "dpa-infocom GmbH, Mittelweg 38, 20148 Hamburg. Alle Rechte vorbehalten. Die "
        "Weiterverbreitung ist nur mit ausdrücklicher Genehmigung gestattet.",
        "Tous droits réservés.",
        "Все права защищены.",
    ],
)
def test_a_rights_notice_at_the_end_is_taken_out_of_the_body(notice: str) -> None:
    article = _article(f"The Federal Reserve holds its rate steady.\n\n{notice}")
    assert article.body == "The Federal Reserve holds its rate steady."
    assert article.rights == notice


@pytest.mark.parametrize(
    "last",
    [
        "Copyright law changes take effect next year.",
        "The firm said all rights reserved to it would be enforced.",
        "The company said: all rights reserved.",
    ],
)
def test_a_sentence_of_the_story_about_rights_stays(last: str) -> None:
    text = f"Talks went well, officials said.\n\n{last}"
    article = _article(text)
    assert (article.body, article.rights) == (text, None)


def test_a_rights_notice_inside_the_body_stays() -> None:
    text = f"Talks went well.\n\n{AP_RIGHTS}\n\nThe next round is in May, officials said."
    assert _article(text).body == text


def test_two_flashes_with_one_rights_notice_are_not_copies() -> None:
    # The notice was most of each text: the second flash was hidden as a near copy.
    index = DedupIndex({})
    flashes = [
        ("Fed holds interest rates steady", "The Federal Reserve holds its rate at 4.25%."),
        ("Boeing CEO Kelly Ortberg to step down", "Boeing CEO Kelly Ortberg will step down."),
    ]
    for number, (title, text) in enumerate(flashes):
        record = {"id": f"f{number}", "title": title, "text": f"{text}\n\n{AP_RIGHTS}"}
        article = normalise_article(record)
        decision = index.find_duplicate(article, 60.0 * number)
        assert decision.kind is None
        index.remember(article, decision, 60.0 * number)


@pytest.mark.parametrize(
    ("body", "caption"),
    [
        ("Пожар произошел на складе, сообщили в МЧС.", "Фото: пожарные на месте происшествия."),
        ("Pożar wybuchł w hali w Pruszkowie.", "Fot. PAP/Albert Zawada"),
        ("Pożar wybuchł w hali w Pruszkowie.", "Zdjęcie: strażacy na miejscu."),
        ("Depoda yangın çıktı, itfaiye bildirdi.", "Fotoğraf: AA"),
        ("اندلع حريق في مستودع بالقاهرة.", "صورة: رجال الإطفاء في موقع الحريق"),
        ("गोदाम में आग लग गई, दमकल ने बताया।", "फोटो: घटनास्थल पर दमकलकर्मी"),
    ],
)
def test_caption_lines_in_other_languages_go_to_captions(body: str, caption: str) -> None:
    article = _article(f"{body}\n\n{caption}")
    assert (article.body, article.captions) == (body, (caption,))


def test_a_sentence_opening_with_a_photo_word_stays() -> None:
    text = "Пожар произошел на складе.\n\nФотограф снял момент обрушения крыши."
    assert _article(text).body == text


# --- agencies' lines ending the body: dpa's id, AFP's initials, `（完）`; a copy without them


@pytest.mark.parametrize(
    ("ending", "rights", "credit"),
    [
        ("\n\ndpa-infocom, dpa:250506-99-123456/2", "dpa-infocom, dpa:250506-99-123456/2", None),
        ("\n\ndpa:250506-99-123456/2", "dpa:250506-99-123456/2", None),
        ("\n\nabc/def/ghi", None, "abc/def/ghi"),
        ("\n\nburs-pcm/fio", None, "burs-pcm/fio"),
        ("\nsof-jmt/hdy", None, "sof-jmt/hdy"),
        ("\n\n（完）", None, None),
        ("（完）", None, None),
        ("\n(完)", None, None),
    ],
    ids=[
        "dpa-id",
        "dpa-id-bare",
        "AFP-initials",
        "AFP-initials-bureau",
        "AFP-initials-one-newline",
        "end-line",
        "end-after-the-sentence",
        "end-ascii",
    ],
)
def test_agency_lines_ending_the_body_are_taken(
    ending: str, rights: str | None, credit: str | None
) -> None:
    body = "Talks went well, officials said."
    article = _article(f"{body}{ending}")
    assert (article.body, article.rights, article.credit) == (body, rights, credit)


@pytest.mark.parametrize(
    ("original", "copy"),
    [
        (
            "Berlin (dpa) - Ein Feuer ist in einer Lagerhalle ausgebrochen.\n\nVerletzt wurde "
            "niemand.\n\ndpa-infocom, dpa:250506-99-123456/2",
            "Ein Feuer ist in einer Lagerhalle ausgebrochen.\n\nVerletzt wurde niemand.",
        ),
        (
            "Un incendie s'est déclaré lundi dans un entrepôt.\n\nAucun blessé.\n\nabc/def/ghi",
            "Un incendie s'est déclaré lundi dans un entrepôt.\n\nAucun blessé.",
        ),
        (
            "新华社广州3月18日电 记者从应急管理局获悉，一家化工企业发生爆炸事故。\n\n"
            "消防部门迅速赶赴现场处置。（完）",
            "记者从应急管理局获悉，一家化工企业发生爆炸事故。\n\n消防部门迅速赶赴现场处置。",
        ),
        (
            "मुंबई, 21 जुलाई (भाषा) मुंबई में भारी बारिश से जनजीवन अस्त-व्यस्त हो गया।",
            "मुंबई में भारी बारिश से जनजीवन अस्त-व्यस्त हो गया।",
        ),
        (
            "رام الله 6-5-2025 وفا- اندلع حريق في مستودع بمدينة رام الله.",
            "اندلع حريق في مستودع بمدينة رام الله.",
        ),
        (
            "(Bloomberg) -- Shares of the carmaker fell after it cut its forecast.\n\n"
            "\u00a92025 Bloomberg L.P.",
            "Shares of the carmaker fell after it cut its forecast.",
        ),
    ],
    ids=["dpa-id", "AFP-initials", "Xinhua", "Bhasha", "WAFA", "Bloomberg"],
)
def test_a_copy_without_the_agencys_lines_is_an_exact_copy(original: str, copy: str) -> None:
    index = DedupIndex({})
    first = normalise_article({"id": "a", "title": "T", "text": original})
    index.remember(first, index.find_duplicate(first, 0.0), 0.0)
    again = normalise_article({"id": "b", "title": "T", "text": copy})
    decision = index.find_duplicate(again, 1.0)
    assert (decision.kind, decision.duplicate_of) == ("exact", "a")
