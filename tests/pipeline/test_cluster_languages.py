"""Story cues in other languages: digit scripts, decimals, case endings, capitalised nouns."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
import pytest

from service.models import Article
from service.pipeline.cluster import ENTITY, CueRules, StoryConfig, ascii_digits, term_counts
from service.pipeline.decide import PipelineConfig, Shards, label_records


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
    config = StoryConfig().for_language(language)
    return {term for term in term_counts(article(body, language), config) if term[0] == ENTITY}


def test_digits_of_every_script_are_one_figure() -> None:
    assert ascii_digits("٤٥ مبنى، ۴۵، ४५, ৪৫ and 45") == "45 مبنى، 45، 45, 45 and 45"
    assert ascii_digits("plain") == "plain"
    # Arabic-Indic digits were cues of their own (#٤٥), sharing nothing with 45.
    assert (
        cues("انهار ٤٥ مبنى في ملاطية", "ar")
        == cues("انهار 45 مبنى في ملاطية", "ar")
        == {ENTITY + "45"}
    )


def test_a_decimal_is_one_cue() -> None:
    # Its parts made 2.25 % and 4.25 % share the cue 25.
    assert cues("The bank cut its rate to 2.25 percent.") == {ENTITY + "2.25"}
    assert cues("La banque a abaissé son taux à 2,25 %.", "fr") == {ENTITY + "2.25"}
    assert cues("The Fed held its rate at 4.25 percent.") == {ENTITY + "fed", ENTITY + "4.25"}
    # Its parts are no cues in its sentence (25 basis points to 2.25 %), elsewhere they are.
    assert cues("Rates rose to 12.25 percent, 25 more. Then 25 again.") == {
        ENTITY + "12.25",
        ENTITY + "25",
    }
    assert cues("Rates rose to 12.25 percent and 25 more.") == {ENTITY + "12.25"}
    assert cues("قال إن الفائدة ٢٫٢٥ في المئة", "ar") == {ENTITY + "2.25"}
    # Three digits after the mark are a thousands group; a date is no decimal; one decimal
    # gave no shared cue (single digits are none) and stays as it was.
    assert cues("Some 1,200 rescuers, 1.200 in German.") == {ENTITY + "200", ENTITY + "german"}
    assert cues("Sent on 3.06.2025 at 6.1 magnitude.") == {ENTITY + "06", ENTITY + "2025"}


def test_case_endings_match_on_a_prefix_where_names_decline() -> None:
    forms = ("Путин", "Путина", "Путину", "Путиным")
    assert {frozenset(cues(f"Встреча Эрдогана и {form}.", "ru")) for form in forms} == {
        frozenset({ENTITY + "эрдог", ENTITY + "путин"})
    }
    assert cues("Erdogan powiedział Putinowi.", "pl") == {ENTITY + "putin"}
    # Whole words elsewhere: English, and Turkish (the apostrophe splits the suffix off).
    assert cues("Erdogan met Putin's envoy.") == {ENTITY + "putin"}
    assert cues("Erdoğan, Putin'in davetini kabul etti.", "tr") == {ENTITY + "putin"}
    # The plain words keep their whole form.
    config = StoryConfig().for_language("ru")
    assert "путина" in term_counts(article("Встреча Путина.", "ru"), config)


def test_rules_come_from_the_shard_language() -> None:
    assert replace(StoryConfig().for_language("en"), common=StoryConfig().common) == StoryConfig()
    assert StoryConfig().for_language("und") == StoryConfig()
    assert StoryConfig().for_language("en").common["the"] > 0.99
    # Each shard has its own language's shares: German "und" is in most German articles,
    # and in few English ones.
    assert StoryConfig().for_language("de").common["und"] > 0.9
    assert StoryConfig().for_language("en").common.get("und", 0.0) < 0.01
    assert StoryConfig().for_language("ru").cues == CueRules(prefix=5)
    assert StoryConfig().for_language("de").cues == CueRules(members=False)
    shards = Shards.in_memory(PipelineConfig.with_horizons(3600.0, 3600.0))
    assert shards("pl").stories.config.cues.prefix == 5
    assert shards("pl").stories.config.horizon_seconds == 3600.0
    english = shards("en").stories.config
    assert replace(english, common=StoryConfig().common) == StoryConfig(horizon_seconds=3600.0)
    assert english.common == StoryConfig().for_language("en").common


# Invented reports (the same event in several wordings, and a look-alike), as a language's
# outlets write them. Each tuple: id, headline, body, publication time.
REPORTS: dict[str, list[tuple[str, str, str, str]]] = {
    "ru": [
        (
            "E2a",
            "Путин и Эрдоган встретились в Сочи и намерены довести товарооборот до $100 млрд",
            "СОЧИ, 3 июня. /ТАСС/. Президент России Владимир Путин принял во вторник в Сочи "
            "президента Турции Реджепа Тайипа Эрдогана. Лидеры обсудили черноморскую зерновую "
            "сделку и создание газового хаба в Турции.\n\nПосле четырехчасовых переговоров "
            "стороны заявили, что хотят увеличить годовой товарооборот до 100 млрд долларов. "
            "Путин сказал, что Россия готова поставлять больше газа по газопроводу «Турецкий "
            "поток».\n\nЭрдоган выразил надежду, что зерновой коридор возобновит работу «в "
            "ближайшие недели».",
            "05:00",
        ),
        (
            "E2b",
            "Эрдоган призвал Путина возобновить зерновой коридор",
            "Президент Турции Реджеп Тайип Эрдоган во вторник призвал Владимира Путина возродить "
            "черноморский зерновой коридор в ходе их встречи на российском курорте Сочи.\n\n"
            "Эрдоган заявил Путину, что Турция может стать хабом для поставок российского газа в "
            "Европу. По данным Кремля, лидеры также обсудили строительство АЭС «Аккую», которую "
            "«Росатом» возводит в Турции.\n\nТоварооборот между Россией и Турцией в прошлом году "
            "достиг 57 млрд долларов.",
            "06:30",
        ),
        (
            "L2",
            "Путин и Лукашенко обсудили в Минске цены на газ",
            "Президент России Владимир Путин во вторник встретился в Минске с президентом "
            "Белоруссии Александром Лукашенко, чтобы обсудить цены на газ и Союзное государство "
            "двух стран.\n\nПосле трехчасовых переговоров Лукашенко заявил, что Белоруссия хочет "
            "увеличить товарооборот с Россией до 50 млрд долларов. Путин сказал, что Россия "
            "продолжит поставлять газ со скидкой.",
            "06:50",
        ),
        (
            "E2c",
            "В Кремле назвали переговоры Путина и Эрдогана конструктивными",
            "Пресс-секретарь президента России Дмитрий Песков назвал «конструктивными и "
            "содержательными» переговоры Владимира Путина с Реджепом Тайипом Эрдоганом, "
            "прошедшие во вторник в Сочи.\n\nПо словам Пескова, президенты договорились о цели в "
            "100 млрд долларов годового товарооборота, обсудили зерновую сделку и поставки газа. "
            "Путин принял приглашение посетить Турцию в следующем году.",
            "08:20",
        ),
    ],
    "pl": [
        (
            "E1a",
            "Trzęsienie ziemi o sile 6,1 zabiło 14 osób na wschodzie Turcji",
            "Ankara (PAP) - Trzęsienie ziemi o magnitudzie 6,1 nawiedziło we wtorek nad ranem "
            "prowincję Malatya na wschodzie Turcji. Zginęło co najmniej 14 osób, a 230 zostało "
            "rannych - poinformowała agencja ds. sytuacji kryzysowych AFAD.\n\nW dystryktach "
            "Yesilyurt i Battalgazi zawaliło się 45 budynków, ratownicy przeszukują gruzy w "
            "poszukiwaniu ocalałych.",
            "04:40",
        ),
        (
            "E2a",
            "Putin i Erdogan spotkali się w Soczi. Chcą 100 mld dolarów obrotów handlowych",
            "Soczi (PAP) - Prezydent Rosji Władimir Putin przyjął we wtorek w Soczi prezydenta "
            "Turcji Recepa Tayyipa Erdogana. Rozmowy dotyczyły czarnomorskiej umowy zbożowej i "
            "planowanego hubu gazowego w Turcji.\n\nPo czterech godzinach rozmów obaj przywódcy "
            "oświadczyli, że chcą zwiększyć roczne obroty handlowe do 100 mld dolarów. Putin "
            "powiedział, że Rosja jest gotowa dostarczać więcej gazu gazociągiem TurkStream.\n\n"
            'Erdogan wyraził nadzieję, że korytarz zbożowy zostanie ponownie otwarty "w '
            'najbliższych tygodniach".',
            "05:00",
        ),
        (
            "E2b",
            "Erdogan namawia Putina do wznowienia korytarza zbożowego",
            "Prezydent Turcji Recep Tayyip Erdogan wezwał we wtorek Władimira Putina do "
            "przywrócenia czarnomorskiego korytarza zbożowego podczas ich spotkania w rosyjskim "
            "kurorcie Soczi.\n\nErdogan powiedział Putinowi, że Turcja może stać się hubem dla "
            "rosyjskiego gazu do Europy. Według Kremla obaj rozmawiali też o elektrowni jądrowej "
            "Akkuyu, którą Rosatom buduje w Turcji.\n\nObroty handlowe między Rosją a Turcją "
            "wyniosły w ubiegłym roku 57 mld dolarów.",
            "06:30",
        ),
        (
            "L2",
            "Putin i Łukaszenka rozmawiali w Mińsku o cenach gazu",
            "Prezydent Rosji Władimir Putin spotkał się we wtorek w Mińsku z białoruskim "
            "przywódcą Aleksandrem Łukaszenką, by omówić ceny gazu i państwo związkowe obu "
            "krajów.\n\nPo trzech godzinach rozmów Łukaszenka powiedział, że Białoruś chce "
            "zwiększyć obroty handlowe z Rosją do 50 mld dolarów. Putin zapewnił, że Rosja nadal "
            "będzie dostarczać gaz po obniżonej cenie.",
            "06:50",
        ),
        (
            "E2c",
            "Kreml: rozmowy Putina z Erdoganem były konstruktywne",
            "Rzecznik Kremla Dmitrij Pieskow określił wtorkowe rozmowy Władimira Putina z "
            'Recepem Tayyipem Erdoganem w Soczi jako "konstruktywne i merytoryczne".\n\nObaj '
            "prezydenci uzgodnili cel 100 mld dolarów rocznych obrotów handlowych, rozmawiali o "
            "umowie zbożowej i dostawach gazu - powiedział Pieskow. Putin przyjął zaproszenie do "
            "odwiedzenia Turcji w przyszłym roku.",
            "08:20",
        ),
    ],
    "de": [
        (
            "E3a",
            "EZB senkt Leitzins auf 2,25 Prozent – Inflation lässt nach",
            "Frankfurt/Main (dpa) - Die Europäische Zentralbank hat ihren Einlagenzins am "
            "Dienstag um 0,25 Prozentpunkte auf 2,25 Prozent gesenkt, die siebte Zinssenkung "
            "binnen eines Jahres. Die Inflation im Euroraum war im Mai auf 1,9 Prozent gesunken."
            "\n\nEZB-Präsidentin Christine Lagarde sagte, die Notenbank sei „gut aufgestellt“, "
            "legte sich aber nicht auf weitere Senkungen fest. Die EZB erwartet für dieses Jahr "
            "ein Wachstum von 0,9 Prozent.\n\nDer EZB-Rat traf die Entscheidung einstimmig.",
            "05:40",
        ),
        (
            "E3b",
            "Lagarde deutet nach siebter Zinssenkung Pause an",
            "Christine Lagarde hat am Dienstag angedeutet, dass die Europäische Zentralbank ihre "
            "Zinssenkungen beenden könnte, nachdem sie den Einlagenzins auf 2,25 Prozent gesenkt "
            "hatte.\n\nBei einer Teuerung von 1,9 Prozent im Euroraum, unter dem Ziel von 2 "
            "Prozent, „nähern wir uns dem Ende eines geldpolitischen Zyklus“, sagte Lagarde auf "
            "einer Pressekonferenz in Frankfurt. Volkswirte erwarten bei der Juli-Sitzung keinen "
            "Zinsschritt.",
            "07:10",
        ),
        (
            "L3",
            "Fed lässt Leitzins unverändert – Powell wartet auf Zollfolgen",
            "Die US-Notenbank Federal Reserve hat ihren Leitzins am Dienstag unverändert in der "
            "Spanne von 4,25 bis 4,5 Prozent belassen. Fed-Chef Jerome Powell sagte, die "
            "Notenbank könne abwarten, wie sich die Zölle auf die Inflation auswirkten.\n\nDie "
            "Fed rechnet in diesem Jahr mit einer Inflation von 3,0 Prozent und einem Wachstum "
            "von 1,4 Prozent. An den Märkten werden bis Jahresende zwei Zinssenkungen erwartet.",
            "08:40",
        ),
    ],
    "tr": [
        (
            "E3a",
            "ECB faizleri yüzde 2,25'e indirdi",
            "FRANKFURT (AA) - Avrupa Merkez Bankası (ECB), mevduat faizini salı günü 0,25 puan "
            "indirerek yüzde 2,25'e çekti. Bu, bir yıl içindeki yedinci indirim oldu. Avro "
            "Bölgesi'nde enflasyon mayısta yüzde 1,9'a gerilemişti.\n\nECB Başkanı Christine "
            'Lagarde, bankanın "iyi bir konumda" olduğunu söyledi ancak yeni indirimler için '
            "taahhütte bulunmadı. ECB, bu yıl için yüzde 0,9 büyüme öngörüyor.\n\nKarar, Yönetim "
            "Konseyi'nde oy birliğiyle alındı.",
            "05:40",
        ),
        (
            "E3b",
            "Lagarde, yedinci faiz indiriminin ardından ara sinyali verdi",
            "Christine Lagarde, Avrupa Merkez Bankası'nın mevduat faizini %2,25'e düşürmesinin "
            "ardından salı günü faiz indirimlerine ara verilebileceğinin sinyalini verdi.\n\nAvro "
            "Bölgesi'nde enflasyonun %1,9 ile %2 hedefinin altında olduğunu hatırlatan Lagarde, "
            'Frankfurt\'taki basın toplantısında "Para politikası döngüsünün sonuna yaklaşıyoruz" '
            "dedi. Ekonomistler temmuz toplantısında değişiklik beklemiyor.",
            "07:10",
        ),
        (
            "L3",
            "Fed faizi sabit tuttu, Powell gümrük vergilerinin etkisini bekliyor",
            "ABD Merkez Bankası (Fed), politika faizini salı günü yüzde 4,25-4,5 aralığında sabit "
            "tuttu. Fed Başkanı Jerome Powell, gümrük vergilerinin enflasyona etkisini görmek "
            "için bekleyebileceklerini söyledi.\n\nFed, bu yıl yüzde 3,0 enflasyon ve yüzde 1,4 "
            "büyüme öngörüyor. Piyasalar yıl sonuna kadar iki indirim bekliyor.",
            "08:40",
        ),
        (
            "E3c",
            "Avro Bölgesi'nde krediler yeniden ucuzluyor",
            "ECB'nin politika faizini salı günü çeyrek puan düşürerek yüzde 2,25 ile 2022'den bu "
            "yana en düşük seviyeye çekmesinin ardından Avro Bölgesi'nde borçlanma yeniden "
            "ucuzladı.\n\nAvro, dolar karşısında yüzde 0,4 değer kaybederek 1,1370'e geriledi. "
            "Christine Lagarde başkanlığındaki ECB, enflasyonun bu yıl yüzde 2,0, 2026'da ise "
            "yüzde 1,6 olmasını bekliyor.",
            "09:00",
        ),
    ],
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


@pytest.mark.parametrize("language", ["ru", "pl"])
def test_one_event_is_one_story_whatever_case_its_names_take(language: str) -> None:
    # Путина, Путину, Путиным: whole words, the cues disagreed and the event opened 2-3 stories.
    story = _stories(language)
    assert story["E2a"] == story["E2b"] == story["E2c"]
    assert story["L2"] != story["E2a"]


def test_a_look_alike_stays_apart_where_every_noun_is_capitalised() -> None:
    # The Fed's report matched a member of the ECB story on Prozent, Inflation, Leitzins...
    story = _stories("de")
    assert story["E3a"] == story["E3b"]
    assert story["L3"] != story["E3a"]


def test_a_report_in_arabic_indic_digits_joins_its_event() -> None:
    story = _stories("ar")
    assert story["E1a"] == story["E1b"]


def test_a_rate_with_decimals_is_one_figure_in_the_stories() -> None:
    # 2,25 % was the cue 25 (as were 0,25 points and the Fed's 4,25 %): the third report of
    # the ECB's cut opened a story of its own.
    story = _stories("tr")
    assert story["E3a"] == story["E3b"] == story["E3c"]
    assert story["L3"] != story["E3a"]
