"""Article structure in repaired text: headline, dateline, byline, credits, captions, furniture."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from service.pipeline.text import (
    ABBREVIATIONS,
    CONTINUATION_START,
    SENTENCE_END,
    collapse_spaces,
    join_lines,
    split_blocks,
)
from service.pipeline.tokens import LETTER_OR_MARK

# --- Language tables. Structure is found from layout; only these words are language-specific.

# Whole lines that are page furniture, compared casefolded without surrounding punctuation.
_FURNITURE = frozenset(
    {
        "advertisement",
        "story continues below advertisement",
        "article continues below advertisement",
        "continue reading below",
        "share this article",
        "listen to this article",
        "publicité",
        "la suite après cette publicité",
        "anzeige",
        "werbung",
        "publicidad",
        "pubblicità",
        "advertentie",
        "reklama",
        "реклама",
        "-30-",
        "(end)",
        "###",
        # Chinese agencies' `(END)`.
        "（完）",
        "(完)",
    }
)
# Lines that open with words addressed to the reader.
_FURNITURE_PREFIX = re.compile(
    r"(?:read more|click here|sign up for|follow us on|lire aussi|à lire aussi"
    r"|suivez-nous|lesen sie auch|lea también|leer más|sigue leyendo)\b",
    re.IGNORECASE,
)
# Labels whose words also open ordinary sentences (`Related charges were filed`): furniture
# only in capitals or as a label, ending at a separator or at the end of the line.
_FURNITURE_LABEL = re.compile(r"(?:related|mehr zum thema)\b", re.IGNORECASE)
_LABEL_END = re.compile(
    r"(?:\s+(?:stories|story|articles?|coverage|content|links|news|videos?|reading))?"
    r"\s*(?:$|[:|\u00bb\u203a>\u2014\u2013-])",
    re.IGNORECASE,
)
# Caption and photo-credit labels: English, French, German, Spanish, Italian, Portuguese,
# Dutch; Russian and Ukrainian `Фото:`, Turkish `Fotoğraf:`, Polish `Zdjęcie:` and `Fot.` (a
# credit without a colon: `Fot. PAP/Albert Zawada`), Arabic `صورة:`, Hindi `फोटो:`. Left in the
# body, the line made a short resend another text than its source.
_CAPTION_PREFIX = re.compile(
    r"\(?(?:(?:photo credit|photos?|crédit photo|crédit|foto|fotos|bild|image|fotografía"
    r"|illustration|фото|fotoğraf|zdjęcie|صورة|फोटो)\s*:|fot\.)\s*\S",
    re.IGNORECASE,
)
# Credits that end a caption: `(AP Photo/Evan Vucci)`, `THE CANADIAN PRESS/Sean Kilpatrick`.
_PHOTO_CREDIT_END = re.compile(
    r"\((?:[^()]{0,40}\s)?(?:photo|foto|photograph)s?(?:\s+by\s|\s*/|\s*:)[^()]{1,80}\)$",
    re.IGNORECASE,
)
_AGENCY_CREDIT_END = re.compile(
    r"\b[A-Z]{2,}(?: [A-Z]{2,}){1,4}/ ?[A-Z][\w'.-]*(?: [A-Z][\w'.-]*){0,3}$"
)
_CREDIT_END_CHARS = 130
# What may follow a credit at the end of a body besides other credits, furniture and
# captions: a short line that is no sentence (`Sarah Ritchie, The Canadian Press`, a tag).
_TRAILER_CHARS = 80
# A rights notice ends a body too (`Copyright 2025 The Associated Press. All rights reserved.
# This material may not be published...`, `© dpa-infocom`, `(c) Agencia EFE`): in the run of
# lines that ends the body it is taken out into `rights`. Left in the body, the same notice at
# the end of two unrelated one-sentence flashes made the second a near copy of the first (its
# words were most of each text, and lifted both past the short-body rule).
_COPYRIGHT = re.compile(r"(?:\u00a9|\(c\)|copyright\b)", re.IGNORECASE)
# What takes a line out as a notice: `©` or `(c)` first, `Copyright` and a year, a sentence
# that reserves all rights (`Copyright law changes...` and `The firm said all rights reserved
# to it...` are the story's), or dpa's notice without its `©` (`dpa-infocom,
# dpa:250506-99-123456/2`: the document's id, which no sentence holds).
_RIGHTS_NOTICE = re.compile(
    r"(?:\u00a9|\(c\)|copyright\s*(?:\u00a9|\(c\))?\s*\d{4}\b)"
    r"|(?:dpa-infocom,?\s*)?dpa:\d{6}-\d{2}-\d{4,6}(?:/\d+)?\.?$"
    r"|(?:^|.*[.;]\s+)(?:all rights reserved|tous droits réservés|alle rechte vorbehalten"
    r"|todos los derechos reservados|tutti i diritti riservati|todos os direitos reservados"
    r"|alle rechten voorbehouden|wszelkie prawa zastrzeżone|tüm hakları saklıdır"
    r"|все права защищены)(?:[.!;]|$)",
    re.IGNORECASE,
)
_RIGHTS_CHARS = 400
# AFP's editors' initials signing a dispatch, a line of its own at the end of the body
# (`abc/def/ghi`, `burs-pcm/fio`): lower-case groups of two to five letters, slashed.
_INITIALS_SIGNATURE = re.compile(r"[a-z]{2,5}(?:-[a-z]{2,5})*(?:/[a-z]{2,5}(?:-[a-z]{2,5})*)+")
# `With files from The Associated Press`: the same words can open a sentence of the story
# (`With files from the raid, analysts...`), so these count only at the end of the body.
_CREDIT_FROM = re.compile(
    r"[\u2014\u2013-]?\s*(?:with (?:files|reporting|contributions) from"
    r"|avec (?:des )?informations (?:de|d')|mit material (?:von|der|des)"
    r"|con (?:información|informaciones) de|по материалам)\s*(?P<agency>.+?)\.?",
    re.IGNORECASE,
)
# `(Reporting by Jane Doe in Ottawa; Editing by John Smith)`, the agencies' staff credit: at
# the end of the body too, as a parenthesis can open a paragraph of the story.
_CREDIT_STAFF = re.compile(
    r"\((?:[^()]{0,40}\s)?(?:additional\s+)?(?:reporting|writing|editing|compiled|compiling)"
    r"\s+by\s[^()]{2,300}\)",
    re.IGNORECASE,
)
# The same credits without the parenthesis, and the desks' `Jane Doe contributed to this
# report.` (`... contributed reporting from Kyiv.`, `Additional reporting by Jane Doe.`): at the
# end of the body too, and only over names. A sentence of the story says the same with other
# words (`More than 200 scientists contributed to this report.`, `Additional reporting by
# local media suggested...`).
_CREDIT_CONTRIBUTED = re.compile(
    r"[\u2014\u2013-]?\s*(?P<names>[^()]{1,200}?)\s+(?:also\s+)?contributed\s+"
    r"(?:to\s+this\s+(?:report|article|story)"
    r"|(?:additional\s+)?(?:reporting|research)(?:\s+(?P<places>(?:from|in)\s+[^()]{1,200}?))?)"
    r"\.?"
)
_CREDIT_STAFF_BARE = re.compile(
    r"[\u2014\u2013-]?\s*(?:additional\s+)?(?:reporting|writing|editing|compiled|compiling)"
    r"\s+by\s+(?P<names>[^()]{1,300}?)\.?",
    re.IGNORECASE,
)
# Lower-case words a credit's names go with (`AP writers Jane Doe in Ottawa and ...`).
_CREDIT_WORDS = frozenset(
    {
        "also",
        "at",
        "by",
        "from",
        "in",
        "additional",
        "reporting",
        "writing",
        "editing",
        "research",
        "compiled",
        "compiling",
        "writer",
        "writers",
        "reporter",
        "reporters",
        "correspondent",
        "correspondents",
        "journalist",
        "journalists",
        "photographer",
        "photographers",
        "researcher",
        "researchers",
        "producer",
        "producers",
        "editor",
        "editors",
        "staff",
    }
)
# Capitalised words that open a sentence, not a name (`He contributed to this report.`).
_NOT_NAMES = frozenset(
    {
        "he",
        "she",
        "they",
        "we",
        "i",
        "it",
        "you",
        "his",
        "her",
        "their",
        "our",
        "its",
        "this",
        "that",
        "these",
        "those",
        "who",
        "both",
        "all",
        "many",
        "several",
        "some",
        "others",
        "everyone",
    }
)
# `This report by The Canadian Press was first published Aug. 19, 2025.` is never the story's
# own sentence: taken wherever it stands alone.
_CREDIT_PUBLISHED = re.compile(
    r"[\u2014\u2013-]?\s*(?:"
    r"this (?:report|article|story)(?: by| of| from)? (?P<agency>.+?) was (?:first )?published"
    r"(?: on)? (?P<date>.+?)"
    r"|ce (?:texte|reportage|article)(?: de (?P<agency2>.+?))? a été publié"
    r"(?: pour la première fois)?(?: par (?P<agency3>.+?))? le (?P<date2>.+?)"
    r")\.?",
    re.IGNORECASE,
)
_BYLINE_LEAD = re.compile(r"(?P<word>by|par|von|por|di|door)\s+(?P<name>.+)", re.IGNORECASE)
# English words no other byline language has. `Von`, `Di`, `Door`... before capitalised words
# over English text open a title-case headline (`Von Miller Signs With Bills`), not a German,
# Italian or Dutch byline.
_ENGLISH_WORDS = frozenset(
    {"the", "and", "of", "to", "was", "that", "for", "with", "said", "were", "from", "this"}
)
_ENGLISH_SAMPLE_WORDS = 60
_ENGLISH_MIN_SHARE = 0.1
_NAME_CONNECTORS = frozenset(
    {"and", "et", "und", "y", "e", "en", "de", "du", "da", "van", "von", "der", "la", "le", "the"}
)
_METADATA = re.compile(
    r"(?:date|dated|datum|fecha|published|updated|posted|publié le|mis à jour le"
    r"|veröffentlicht am|aktualisiert am|publicado el|actualizado el)\s*:?\s+",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"[T ,]*\d{1,2}[:h.]\d{2}(?::\d{2})?(?:\.\d+)?\s*(?:[ap]\.?m\.?)?"
    r"(?:\s*(?:Z|[+-]\d{2}:?\d{2}|[A-Z]{2,4}\b))?",
    re.IGNORECASE,
)
# Month names and abbreviations; Hindi's for Indian agencies' datelines (`मुंबई, 21 जुलाई`).
_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "jan january janv janvier januar ene enero gen gennaio janeiro янв января январь जनवरी",
        "feb february févr février februar febrero febbraio fevereiro фев февр февраля февраль"
        " फरवरी फ़रवरी",
        "mar march mars märz mär marzo março мар марта март मार्च",
        "apr april avr avril abr abril aprile апр апреля апрель अप्रैल",
        "may mai mayo mag maggio maio мая май मई",
        "jun june juin juni junio giu giugno junho июн июня июнь जून",
        "jul july juil juillet juli julio lug luglio julho июл июля июль जुलाई",
        "aug august août ago agosto авг августа август अगस्त",
        "sep sept set september septembre septiembre settembre setembro сен сент сентября сентябрь"
        " सितंबर सितम्बर",
        "oct october octobre okt oktober octubre ott ottobre outubro окт октября октябрь"
        " अक्टूबर अक्तूबर",
        "nov november novembre noviembre novembro ноя нояб ноября ноябрь नवंबर नवम्बर",
        "dec december déc décembre dez dezember dic diciembre dicembre dezembro"
        " дек декабря декабрь दिसंबर दिसम्बर",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number
_ISO_DATE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})")
_MONTH_DAY_YEAR = re.compile(
    r"(?P<month>[^\W\d_]{3,10})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})"
)
_DAY_MONTH_YEAR = re.compile(
    r"(?P<day>\d{1,2})(?:er|\.|º)?\s+(?:de\s+)?(?P<month>[^\W\d_]{3,10})\.?\s+(?:de\s+)?(?P<year>\d{4})"
)
# A dateline's date, day first, its year left out or not: `19 août`, `19. August`, `19 авг`,
# `6 मई` (a month of two letters; vowel signs in `जुलाई`).
_DAY_MONTH = re.compile(
    rf"(?P<day>\d{{1,2}})(?:er|\.|º)?\s+(?:de\s+)?(?P<month>[^\W\d_]{LETTER_OR_MARK}{{1,11}})\.?"
    r"(?:\s+(?:de\s+)?\d{4})?"
)
# A dateline's date in figures, day first: WAFA's `رام الله 6-5-2025 وفا-`.
_NUMERIC_DATE = re.compile(r"\d{1,2}[-./]\d{1,2}[-./](?:\d{4}|\d{2})")
# Words that label an item where a dateline stands (`BREAKING — Fire crews...`), compared
# casefolded: not places, and no words of the story.
_KICKERS = frozenset(
    {
        "breaking",
        "breaking news",
        "exclusive",
        "update",
        "updated",
        "updates",
        "live",
        "live updates",
        "watch",
        "analysis",
        "opinion",
        "editorial",
        "commentary",
        "explainer",
        "factbox",
        "fact check",
        "insight",
        "interview",
        "review",
        "preview",
        "profile",
        "obituary",
        "feature",
        "developing",
        "just in",
        "urgent",
        "alert",
        "flash",
        "bulletin",
        "advisory",
        "correction",
        "corrected",
        "refile",
        "video",
        "photos",
        "exclusif",
        "en direct",
        "direct",
        "analyse",
        "eilmeldung",
        "exklusiv",
        "última hora",
        "exclusiva",
        "análisis",
        "urgente",
        "срочно",
        "эксклюзив",
    }
)
# Acronyms of organisations that open a sentence where a dateline stands (`NATO — The alliance
# said...`), compared casefolded: not places. Two-letter words (`UN`, `EU`) and words without a
# vowel (`CNN`, `МВФ`) need no entry: no city dateline is one.
_ORGANISATIONS = frozenset(
    {
        "nato",
        "otan",
        "нато",
        "onu",
        "uno",
        "оон",
        "imf",
        "fmi",
        "iwf",
        "wto",
        "omc",
        "вто",
        "who",
        "oms",
        "воз",
        "opec",
        "opep",
        "опек",
        "osce",
        "osze",
        "ocse",
        "обсе",
        "oecd",
        "ocde",
        "iaea",
        "aiea",
        "магатэ",
        "unesco",
        "юнеско",
        "unicef",
        "unhcr",
        "unrwa",
        "acnur",
        "asean",
        "apec",
        "brics",
        "брикс",
        "efta",
        "nafta",
        "usmca",
        "mercosur",
        "ecb",
        "bce",
        "ezb",
        "ебрр",
        "ebrd",
        "berd",
        "fifa",
        "uefa",
        "ioc",
        "cio",
        "wada",
        "ama",
        "fao",
        "ilo",
        "oit",
        "icc",
        "cpi",
        "icj",
        "cij",
        "opcw",
        "oiac",
        "nasa",
        "esa",
        "fbi",
        "cia",
        "sec",
        "fda",
        "cdc",
        "epa",
        "faa",
        "fema",
        "idf",
        "hamas",
        "isis",
        "isil",
        "eiil",
        "игил",
        "interpol",
        "europol",
        "frontex",
        "afp",
        "upi",
        "efe",
        "ansa",
        "tass",
        "тасс",
        "риа",
    }
)
_VOWELS = frozenset("aeiouyаеёиоуыэюяіїєαεηιουω")
_DATELINE = re.compile(
    r"(?P<place>[^\W\d_]+(?:[ '.-]{1,2}[^\W\d_]+)*\.?)"
    r"(?:,\s*(?P<region>[^,()\u2014\u2013\n]{1,30}?))?"
    r"\s*(?:\((?P<agency>[^()\n]{1,30})\))?"
    r"\s*[\u2014\u2013-]+(?:\s+|$)"
)
# News agencies by the markers their datelines and credits carry, in each script they are
# written in; compared casefolded. After a place of any case or script, only one of these
# (`Ankara (dpa) -`, `أنقرة (رويترز) -`, `АНКАРА, 3 июня. /ТАСС/.`) makes a dateline, where a
# capitalised place takes any parenthesis: `Paris (France) - the city...` is the story's. Alone
# at the end of a body (`(PAP)`, `avec AFP`, `Fonte: ANSA`) one is a credit.
_AGENCIES: dict[str, tuple[str, ...]] = {
    "AFP": ("AFP", "أ ف ب", "أ.ف.ب", "ا ف ب", "АФП"),
    "AP": ("AP", "أ ب", "ا ب"),
    "Reuters": ("Reuters", "رويترز", "Рейтер", "Рейтерс"),
    "dpa": ("dpa", "dpa-AFX", "د ب أ", "د.ب.أ"),
    "EFE": ("EFE",),
    "Europa Press": ("Europa Press",),
    "ANSA": ("ANSA",),
    "AGI": ("AGI",),
    "Adnkronos": ("Adnkronos",),
    "Lusa": ("Lusa",),
    "APA": ("APA",),
    "Keystone-SDA": ("Keystone-SDA", "Keystone-ATS", "SDA", "ATS"),
    "Belga": ("Belga",),
    "ANP": ("ANP",),
    "PAP": ("PAP",),
    "ČTK": ("ČTK", "CTK"),
    "MTI": ("MTI",),
    "BTA": ("BTA", "БТА"),
    "TASS": ("TASS", "ТАСС", "ИТАР-ТАСС", "ITAR-TASS"),
    "RIA Novosti": ("RIA Novosti", "РИА Новости"),
    "Interfax": ("Interfax", "Интерфакс"),
    "Ukrinform": ("Ukrinform", "Укрінформ"),
    "UNIAN": ("UNIAN", "УНІАН"),
    "Anadolu": ("AA", "Anadolu", "Anadolu Ajansı", "الأناضول"),
    "IRNA": ("IRNA", "إرنا"),
    "MENA": ("MENA", "أ ش أ"),
    "WAM": ("WAM", "وام"),
    "SPA": ("SPA", "واس"),
    "QNA": ("QNA", "قنا"),
    "KUNA": ("KUNA", "كونا"),
    "SANA": ("SANA", "سانا"),
    "Petra": ("Petra", "بترا"),
    "Xinhua": ("Xinhua", "新华社", "新华网", "Синьхуа", "شينخوا"),
    "China News Service": ("China News Service", "中新社", "中新网"),
    "Kyodo": ("Kyodo", "共同社"),
    "Jiji": ("Jiji", "時事"),
    "Yonhap": ("Yonhap", "연합뉴스"),
    # PTI's Hindi service is Bhasha (`मुंबई, 21 जुलाई (भाषा)`), UNI's Varta.
    "PTI": ("PTI", "पीटीआई", "भाषा"),
    "ANI": ("ANI", "एएनआई"),
    "IANS": ("IANS", "आईएएनएस"),
    "UNI": ("UNI", "यूएनआई", "वार्ता"),
    "WAFA": ("WAFA", "وفا"),
    "Bloomberg": ("Bloomberg",),
    "Bernama": ("Bernama",),
    "Antara": ("Antara",),
}
_AGENCY_MARKERS = frozenset(
    " ".join(marker.casefold().split()) for markers in _AGENCIES.values() for marker in markers
)
_DASH = r"[\u2014\u2013-]+"
# A dateline whose place may be in any case or script, kept for an agency's marker: in
# parentheses before a dash (`Ankara (dpa) -`, EFE's `Ankara, 3 jun (EFE).-`, Europa Press's
# `MADRID, 3 (EUROPA PRESS)` ending its line) or a colon (ANI's `नई दिल्ली, 6 मई (एएनआई):`),
# or with nothing after it but after a date (`open`: Bhasha's `मुंबई, 21 जुलाई (भाषा)`, PTI's
# `NEW DELHI, May 6 (PTI)`), in slashes (`/ТАСС/.`) or bare after a date (`Москва. 3 июня.
# INTERFAX.RU -`, WAFA's `رام الله 6-5-2025 وفا-`, the date after a space); a region in
# parentheses may follow the place (`SOTCHI (Russie), 3 juin (AFP) -`). A place's letters may
# carry vowel signs (`दिल्ली`).
_PLACE_WORD = rf"[^\W\d_]{LETTER_OR_MARK}*"
_AGENCY_DATELINE = re.compile(
    rf"(?P<place>{_PLACE_WORD}(?:(?:[ '.-]{{1,2}}|/){_PLACE_WORD}){{0,5}})"
    r"(?:\s*\((?P<area>[^()\n]{1,30})\))?"
    r"(?:(?:\.?[,.]\s*|\s+(?=\d{1,2}[-./]\d))(?P<region>[^,()/\u2014\u2013\n]{1,30}?)\.?)?"
    r"\s*(?:\((?P<agency>[^()\n]{1,40})\)(?:\.?\s*(?:[\u2014\u2013-]+|:|$)|(?P<open>(?=\s)))"
    r"|/(?P<slashed>[^/\n]{1,40})/\.?"
    rf"|(?P<bare>[^\W\d_][\w-]{{1,20}}?)(?:\.[a-z]{{2,3}})?\s*{_DASH})"
    r"(?:\s+|$)",
    re.IGNORECASE,
)
# Chinese agencies' datelines: the marker, the place (none in `中新网5月6日电`), the date and
# 电 ("cable"), the reporters in brackets after it: `新华社广州3月18日电`, `中新社北京5月6日电
# （记者张伟）`.
_HAN_MARKERS = sorted(
    (
        marker
        for markers in _AGENCIES.values()
        for marker in markers
        if re.fullmatch("[\u4e00-\u9fff]+", marker)
    ),
    key=len,
    reverse=True,
)
_HAN_MARKER_STARTS = frozenset(marker[0] for marker in _HAN_MARKERS)
_HAN_DATELINE = re.compile(
    rf"(?P<agency>{'|'.join(map(re.escape, _HAN_MARKERS))})(?P<place>[\u4e00-\u9fff]{{0,12}}?)"
    r"\d{1,2}月\d{1,2}日电(?:\s*[（(]记者\s*(?P<reporters>[^（）()\n]{1,60})[）)])?\s*"
)
# An agency's marker after the dateline's dash (`МОСКВА, 3 июн — РИА Новости.`), and one
# before the dateline (ANSA's `(ANSA) - ROMA, 3 GIU -`).
_AGENCY_AFTER_DASH = re.compile(r"(?P<agency>[^\W\d_][^.()\n]{1,30}?)\.\s+")
_AGENCY_LEAD = re.compile(rf"\((?P<agency>[^()\n]{{1,40}})\)\s*{_DASH}\s+")
# An agency's marker closing the last sentence's paragraph: `... 1200 ratowników. (PAP)`.
_AGENCY_END = re.compile(r"(?<=[.!?\"'\u00bb\u201d])\s+\((?P<agency>[^()\n]{1,40})\)\.?$")
# Chinese agencies' `（完）` closing the last sentence's paragraph: `...报告。（完）`.
_END_MARK = re.compile(r"(?<=[\u3002\uff01\uff1f.!?\"'\u201d\u300d])\s*[（(]完[）)]$")
# A credit line of an agency's marker at the end of a body, in parentheses or with a credit's
# words: `(PAP)`, `avec AFP`, `(avec AFP)`, `AA muhabiri`, `Fonte: ANSA`, `Quelle: dpa`.
_CREDIT_AGENCY = re.compile(
    r"(?P<open>\()?[\u2014\u2013-]?\s*"
    r"(?:(?:mit material (?:von|der|des)|avec (?:des )?informations (?:de|d')"
    r"|con (?:información|informaciones) de|по материалам)\s*|(?:avec|with|mit|con|com)\s+"
    r"|(?:source|fonte|fuente|quelle|kaynak|źródło|zdroj|forrás|источник|джерело|المصدر)\s*:\s*)?"
    r"(?P<agency>[^()\n:]{2,40}?)(?:\s+muhabiri)?(?(open)\))\.?",
    re.IGNORECASE,
)
_CREDIT_AGENCY_OPENINGS = ("(", "avec ", "with ", "mit ", "con ", "com ", "по ")
# CJK writes no space after a sentence: its full-width stops end one wherever they stand.
_SENTENCE_BREAK = re.compile(
    r"[.!?\u2026\u0964\u061f\u06d4][\"')\u00bb]*(?=\s|$)"
    r"|[\u3002\uff01\uff1f][\"')\u00bb\u300d\u300f]*"
)
# Full stops (Latin, CJK, Devanagari, Urdu): a paragraph ending with one, closing quotes and
# brackets aside, is a sentence. A title ends without one, and may end with `?` or `!`.
_FULL_STOPS = (".", "\u3002", "\uff0e", "\u0964", "\u0965", "\u06d4")
_CLOSERS = "\"')]\u00bb\u300d\u300f"
_HEADLINE_MAX_CHARS = 160
_SHORT_LINE_CHARS = 200
_PLACE_MAX_CHARS = 40
_PLACE_MAX_WORDS = 4
# How far into a paragraph an agency's dateline ends at the most: place, region, date, marker.
_AGENCY_DATELINE_CHARS = 160
# Lower-case words inside place names: `Frankfurt am Main`, `Frankfurt nad Menem`, `Rio de
# Janeiro`, `Castellón de la Plana`.
_PLACE_PARTICLES = frozenset(
    {"am", "an", "der", "im", "ob", "nad", "pod", "na", "de", "del", "della", "di", "da", "do"}
    | {"dos", "das", "du", "des", "la", "le", "les", "el", "al", "sur", "upon", "on", "en", "y"}
)


@dataclass(slots=True)
class Structure:
    """What was found in one text: the body paragraphs and the metadata taken out of them."""

    paragraphs: list[str]
    headline: str | None = None
    located: str | None = None
    byline: str | None = None
    credits: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    # Copyright and rights notices that ended the body.
    rights: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    first_published: str | None = None
    # The date of a metadata line: the item's own date, where a credit line's
    # `first published` date is the date of the report it reproduces.
    metadata_date: str | None = None
    source_tag: str | None = None
    # Everything taken out of the body, verbatim: it proves no body words were lost.
    removed: list[str] = field(default_factory=list)


def parse_date(text: str) -> str | None:
    """The first calendar date in `text` (ISO, `Aug. 19, 2025`, `19 août 2025`...) as ISO."""
    for pattern in (_ISO_DATE, _MONTH_DAY_YEAR, _DAY_MONTH_YEAR):
        match = pattern.search(text)
        if match is None:
            continue
        month_text = match.group("month")
        month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.casefold())
        if month is None:
            continue
        try:
            return date(int(match.group("year")), month, int(match.group("day"))).isoformat()
        except ValueError:
            continue
    return None


def _is_name(text: str, max_words: int = 5) -> bool:
    words = text.replace(",", " ").split()
    return (
        0 < len(words) <= max_words
        and all(word[0].isupper() or word.casefold() in _NAME_CONNECTORS for word in words)
        and not text.endswith(SENTENCE_END[:4])
    )


def _furniture_key(line: str) -> str:
    return line.casefold().strip(" .:*\u2022|")


def _opens(line: str) -> bool:
    """Whether the line starts as a sentence or a label does: its first letter or digit is not
    lower-case. A lower-case start is the rest of a sentence broken across lines."""
    first = next((ch for ch in line if ch.isalnum()), "")
    return bool(first) and not first.islower()


def _is_furniture_phrase(line: str) -> bool:
    if _FURNITURE_PREFIX.match(line):
        return True
    label = _FURNITURE_LABEL.match(line)
    return label is not None and (
        label.group().isupper() or _LABEL_END.match(line, label.end()) is not None
    )


def _credit_names(text: str) -> bool:
    """Whether `text` is names with the words credits put around them: every other word
    capitalised (`al-Hashimi`, `d'Arcy` too), none of them a pronoun."""
    words = re.split(r"[\s,;&]+", text.strip(" ,;"))
    named = False
    for word in words:
        folded = word.casefold()
        if folded in _CREDIT_WORDS or folded in _NAME_CONNECTORS:
            continue
        if folded in _NOT_NAMES or not any(part[:1].isupper() for part in re.split(r"[-']", word)):
            return False
        named = True
    return named


def _is_contribution(line: str) -> bool:
    """Whether the line is a staff credit over names: `Jane Doe contributed to this report.`,
    `Additional reporting by Jane Doe.`."""
    match = _CREDIT_CONTRIBUTED.fullmatch(line) or _CREDIT_STAFF_BARE.fullmatch(line)
    return match is not None and all(_credit_names(part) for part in match.groups() if part)


def _is_agency(text: str | None) -> bool:
    """Whether `text` names news agencies by their markers (`dpa`, `AP/Reuters`, `ТАСС`)."""
    parts = re.split(r"\s*[/,;]\s*", text.strip()) if text else []
    return bool(parts) and all(_fold(part) in _AGENCY_MARKERS for part in parts)


def _agency_credit(line: str) -> str | None:
    """The credit of a line naming an agency alone (`(PAP)`, `avec AFP`, `Fonte: ANSA`), as
    written without its parentheses; None for any other line."""
    if len(line) > _TRAILER_CHARS:
        return None
    # The quick test first: most lines have none of a credit's openings, colon or suffix.
    folded = line.lstrip("\u2014\u2013- ").casefold()
    if not (
        folded.startswith(_CREDIT_AGENCY_OPENINGS) or ":" in folded or folded.endswith("muhabiri")
    ):
        return None
    match = _CREDIT_AGENCY.fullmatch(line)
    # A bare marker (`AP`, `Petra`) may be a signature or a name: only in parentheses or with
    # a credit's words.
    credit = line.lstrip("\u2014\u2013- ").rstrip(".")
    if match is None or match.group("agency") == credit or not _is_agency(match.group("agency")):
        return None
    return credit[1:-1] if credit.startswith("(") and credit.endswith(")") else credit


def _caption_credit(line: str) -> bool:
    return len(line) <= _SHORT_LINE_CHARS and _CAPTION_PREFIX.match(line) is not None


def _ends_with_photo_credit(line: str) -> bool:
    # Searching only the tail keeps this cheap on long paragraphs.
    start = max(0, len(line) - _CREDIT_END_CHARS)
    if line.endswith(")"):
        return _PHOTO_CREDIT_END.search(line, start) is not None
    return "/" in line and _AGENCY_CREDIT_END.search(line, start) is not None


def _is_trailer(line: str) -> bool:
    """Whether the line may stand in the run of lines that ends a body, after its last
    sentence: credits, furniture, captions, bylines, source tags."""
    if _furniture_key(line) in _FURNITURE or _agency_credit(line) is not None:
        return True
    if (len(line) <= _TRAILER_CHARS and not line.endswith(SENTENCE_END)) or (
        len(line) <= _SHORT_LINE_CHARS and _COPYRIGHT.match(line)
    ):
        return True
    if _is_rights_notice(line):
        return True
    return (
        _opens(line)
        and len(line) <= _SHORT_LINE_CHARS * 2
        and (
            _is_furniture_phrase(line)
            or _CREDIT_FROM.fullmatch(line) is not None
            or _CREDIT_STAFF.fullmatch(line) is not None
            or (len(line) <= _SHORT_LINE_CHARS and _is_contribution(line))
            or _CREDIT_PUBLISHED.fullmatch(line) is not None
            or _caption_credit(line)
            or _ends_with_photo_credit(line)
        )
    )


def _is_rights_notice(line: str) -> bool:
    """A copyright or rights notice (`_RIGHTS_NOTICE`)."""
    return len(line) <= _RIGHTS_CHARS and _RIGHTS_NOTICE.match(line) is not None


def _trailing_from(lines: list[str]) -> int:
    """Where the run of trailer lines at the end of `lines` starts: a credit counts only there."""
    start = len(lines)
    while start and _is_trailer(lines[start - 1]):
        start -= 1
    return start


def _take_line(line: str, found: Structure, *, alone: bool, at_end: bool) -> bool:
    """Whether a whole line is furniture, a credit or a caption; metadata goes into `found`.

    Only the unmistakable lines (`Advertisement`, a capitalised `Photo: ...`) are taken
    wherever they are. The phrases that can also be words of a sentence (`related`, `with
    files from`) count only on a line that is `alone`, a sentence or a label of its own rather
    than part of one broken across lines; credits only `at_end` of the body. Every line taken
    opens like a sentence: a lower-case one (`photos: were taken`) goes on with one.
    """
    if len(line) > _SHORT_LINE_CHARS * 2:
        return False
    # An agency's marker alone is no sentence's, whatever its case (`(dpa)`, `avec AFP`).
    agency = _agency_credit(line) if at_end and alone else None
    if agency is not None:
        found.credits.append(agency)
        found.removed.append(line)
        return True
    # A notice may open in lower case (`dpa-infocom GmbH, ... Alle Rechte vorbehalten.`).
    if at_end and alone and _is_rights_notice(line):
        found.rights.append(line)
        found.removed.append(line)
        return True
    if at_end and alone and _INITIALS_SIGNATURE.fullmatch(line):
        found.credits.append(line)
        found.removed.append(line)
        return True
    if line[:1].islower():
        return False
    if _furniture_key(line) in _FURNITURE:
        found.removed.append(line)
        return True
    if not _opens(line):
        return False
    # A capitalised `Photo: ...` line is a caption even where it breaks a sentence, as an
    # `Advertisement` line is furniture there: no sentence has it there.
    if not alone and not _caption_credit(line):
        return False
    short = len(line) <= _SHORT_LINE_CHARS
    if short and _is_furniture_phrase(line):
        found.removed.append(line)
        return True
    published = _CREDIT_PUBLISHED.fullmatch(line) if short else None
    if published is not None or (
        at_end
        and (
            (short and (_CREDIT_FROM.fullmatch(line) or _is_contribution(line)))
            or _CREDIT_STAFF.fullmatch(line)
        )
    ):
        found.credits.append(line.lstrip("\u2014\u2013- "))
        found.removed.append(line)
        stated = published.group("date") or published.group("date2") if published else None
        stated_date = parse_date(stated) if stated else None
        if stated_date is not None:
            found.first_published = found.first_published or stated_date
            _add(found.dates, stated_date)
        return True
    if _caption_credit(line) or _ends_with_photo_credit(line):
        found.captions.append(line)
        found.removed.append(line)
        return True
    return False


def _add(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def _remove_lines(
    lines: list[str], found: Structure, *, trailing_from: int, wrapped: bool
) -> list[str]:
    """Drop furniture, credit and caption lines. A photo credit line takes the caption line
    before it when that is one short sentence standing alone (the wire-photo layout).

    `wrapped` lines are the raw lines of one block, where a sentence may go on from one line
    to the next; otherwise they are paragraphs, each standing alone. Lines from
    `trailing_from` on end the body."""
    kept: list[str] = []
    follows_kept = False
    for index, line in enumerate(lines):
        alone = True
        if wrapped:
            following = lines[index + 1] if index + 1 < len(lines) else ""
            alone = (not kept or kept[-1].endswith(SENTENCE_END)) and not (
                following[:1].islower() or following.startswith(CONTINUATION_START)
            )
        before = len(found.captions)
        if not _take_line(line, found, alone=alone, at_end=index >= trailing_from):
            kept.append(line)
            follows_kept = True
            continue
        if follows_kept and len(found.captions) > before and _caption_credit(line):
            previous = kept[-1]
            alone = len(kept) == 1 or kept[-2].endswith(SENTENCE_END)
            if alone and len(previous) <= _SHORT_LINE_CHARS and previous.endswith(SENTENCE_END):
                kept.pop()
                found.captions[-1] = f"{previous} {line}"
                found.removed.append(previous)
        follows_kept = False
    return kept


def _remove_block_lines(blocks: list[list[str]], found: Structure) -> list[list[str]]:
    """`_remove_lines` on each block of raw lines, knowing which lines end the whole text."""
    trailing_from = _trailing_from([line for block in blocks for line in block])
    kept_blocks: list[list[str]] = []
    offset = 0
    for block in blocks:
        kept = _remove_lines(block, found, trailing_from=trailing_from - offset, wrapped=True)
        offset += len(block)
        if kept:
            kept_blocks.append(kept)
    return kept_blocks


def _take_metadata(paragraph: str, found: Structure) -> str:
    """A leading `date 2025-08-17` (or `Published: Aug. 19, 2025 10:30 ET`) comes off the
    paragraph; its date is kept."""
    match = _METADATA.match(paragraph)
    if match is None:
        return paragraph
    rest = paragraph[match.end() :]
    for pattern in (_ISO_DATE, _MONTH_DAY_YEAR, _DAY_MONTH_YEAR):
        date_match = pattern.match(rest)
        if date_match is None:
            continue
        stated = parse_date(date_match.group())
        if stated is None:
            return paragraph
        end = date_match.end()
        time_match = _TIME.match(rest, end)
        if time_match is not None:
            end = time_match.end()
        _add(found.dates, stated)
        found.metadata_date = found.metadata_date or stated
        found.removed.append(paragraph[: match.end() + end])
        return rest[end:].strip()
    return paragraph


def _is_day_month(text: str) -> bool:
    match = _DAY_MONTH.fullmatch(text.strip())
    return (
        match is not None
        and 1 <= int(match.group("day")) <= 31
        and match.group("month").casefold() in _MONTHS
    )


def _is_place(place: str) -> bool:
    """Whether a dateline's capitals name a place: not initials alone (`U.S. — China trade
    talks` is a compound, not a dateline), nor an organisation's acronym (`NATO — The
    alliance said...`)."""
    words = [word for word in re.split(r"[ .'-]+", place) if word]
    letters = "".join(words)
    return (
        len(place) <= _PLACE_MAX_CHARS
        and len(letters) >= 2
        and letters.isupper()
        and any(len(word) > 1 for word in words)
        and not (len(words) == 1 and _is_acronym(letters))
    )


def _is_acronym(word: str) -> bool:
    folded = word.casefold()
    if len(folded) <= 2 or folded in _ORGANISATIONS:
        return True
    # Accents off (`É` is a vowel), for the vowel test only.
    bare = unicodedata.normalize("NFD", folded)
    return not any(char in _VOWELS for char in bare)


def _is_place_any_case(place: str) -> bool:
    """Whether the words before an agency's marker may name a place written in any case or
    script (`Ankara`, `Frankfurt nad Menem`, `أنقرة`): a few words, each opening with a capital
    or a caseless letter but for the particles of place names (`Officials in Ankara` is no
    place)."""
    words = place.split()
    return (
        len(place) <= _PLACE_MAX_CHARS
        and len(words) <= _PLACE_MAX_WORDS
        and not place[0].islower()
        and all(not word[0].islower() or word in _PLACE_PARTICLES for word in words[1:])
        and _fold(place) not in _KICKERS
        and not (len(words) == 1 and place.isupper() and _is_acronym(place))
    )


def _is_dateline_region(region: str) -> bool:
    """A dateline's region or date: capitalised (`Ukraine`, `June 3`), day first (`3 jun`,
    `3 GIU`, `6 मई`), in figures (`6-5-2025`) or a bare day (Europa Press's `MADRID, 3
    (EUROPA PRESS)`)."""
    region = region.strip()
    if region.isdigit():
        return 1 <= int(region) <= 31
    first = region[:1]
    return (
        _is_day_month(region)
        or _NUMERIC_DATE.fullmatch(region) is not None
        or not (first.islower() or first.isdigit())
    )


def _take_agency_dateline(paragraph: str, found: Structure) -> str:
    """A dateline kept for an agency's marker, its place in any case or script."""
    # Most paragraphs have no parenthesis, slash or dash near their start: the quick test
    # spares them the pattern.
    head = paragraph[:_AGENCY_DATELINE_CHARS]
    if paragraph[:1].islower() or not any(mark in head for mark in "(/\u2014\u2013-"):
        return paragraph
    match = _AGENCY_DATELINE.match(paragraph)
    if match is None:
        return paragraph
    place, area, region, bare = match.group("place", "area", "region", "bare")
    agency = match.group("agency") or match.group("slashed") or bare
    rest = paragraph[match.end() :]
    dated = region is not None and any(ch.isdigit() for ch in region)
    if (
        not _is_agency(agency)
        or not _is_place_any_case(place)
        or (area is not None and area[:1].islower())
        or (region is not None and not _is_dateline_region(region))
        # A bare marker, or a marker with no dash or colon after it, only after a date:
        # `Москва. 3 июня. INTERFAX -`, `मुंबई, 21 जुलाई (भाषा)` (`Ankara (dpa) said...` is
        # the story's).
        or ((bare is not None or match.group("open") is not None) and not dated)
        or (rest and rest[0].islower())
    ):
        return paragraph
    named = area or (region if region and not dated else None)
    if found.located is None:
        found.located = f"{place}, {named.strip()}" if named else place
    _add(found.credits, agency.strip())
    found.removed.append(paragraph[: match.end()])
    return rest


def _take_agency_after_dash(rest: str, found: Structure) -> str:
    """RIA Novosti's marker after the dateline's dash: `МОСКВА, 3 июн — РИА Новости. ...`."""
    match = _AGENCY_AFTER_DASH.match(rest)
    if match is None or not _is_agency(match.group("agency")):
        return rest
    _add(found.credits, match.group("agency").strip())
    found.removed.append(match.group())
    return rest[match.end() :]


def _take_han_dateline(paragraph: str, found: Structure) -> str:
    """A Chinese agency's dateline (`新华社广州3月18日电`) and the reporters after it."""
    match = _HAN_DATELINE.match(paragraph)
    if match is None:
        return paragraph
    place, reporters = match.group("place", "reporters")
    if found.located is None and place:
        found.located = place
    if reporters:
        found.byline = found.byline or reporters.strip()
    _add(found.credits, match.group("agency"))
    found.removed.append(paragraph[: match.end()])
    return paragraph[match.end() :]


def _take_dateline(paragraph: str, found: Structure) -> str:
    if paragraph[:1] in _HAN_MARKER_STARTS:
        rest = _take_han_dateline(paragraph, found)
        if rest != paragraph:
            return rest
    # ANSA's `(ANSA) - ROMA, 3 GIU - ...`: the agency before the dateline.
    lead = _AGENCY_LEAD.match(paragraph)
    if lead is not None and _is_agency(lead.group("agency")):
        rest = paragraph[lead.end() :]
        if rest and not rest[0].islower():
            _add(found.credits, lead.group("agency").strip())
            found.removed.append(paragraph[: lead.end()])
            return rest
    match = _DATELINE.match(paragraph)
    if match is None:
        return _take_agency_dateline(paragraph, found)
    place, region, agency = match.group("place", "region", "agency")
    rest = paragraph[match.end() :]
    if (
        place[:1].isupper()
        and _fold(place.rstrip(".")) in _KICKERS
        and region is None
        and agency is None
    ):
        # `BREAKING — ...` labels the item, like furniture; a dateline may follow it.
        if not rest or rest[0].islower():
            return paragraph
        found.removed.append(paragraph[: match.end()])
        return rest
    # A region is capitalised (`N.S.`, `Aug 19`) or a day-first date (`19 août`).
    day_first = region is not None and _is_day_month(region)
    if (
        not _is_place(place)
        or (rest and rest[0].islower())
        or (region is not None and not (region[:1].isupper() or day_first))
    ):
        return _take_agency_dateline(paragraph, found)
    region_is_date = region is not None and any(ch.isdigit() for ch in region)
    if found.located is None:
        found.located = place if region is None or region_is_date else f"{place}, {region.strip()}"
    found.removed.append(paragraph[: match.end()])
    if agency:
        _add(found.credits, agency.strip())
        return rest
    return _take_agency_after_dash(rest, found)


def _reads_as_english(paragraphs: list[str]) -> bool:
    words = " ".join(paragraphs[:3]).casefold().split()[:_ENGLISH_SAMPLE_WORDS]
    english = sum(word.strip(".,;:!?\"'()") in _ENGLISH_WORDS for word in words)
    return english > 0 and english >= _ENGLISH_MIN_SHARE * len(words)


def _take_lead_byline(paragraph: str, found: Structure, following: list[str]) -> bool:
    """A leading `By Jane Smith` (`, The Canadian Press`); `following` is the text after it."""
    match = _BYLINE_LEAD.fullmatch(paragraph)
    if match is None or len(paragraph) > _SHORT_LINE_CHARS // 2:
        return False
    name, _, organisation = match.group("name").partition(", ")
    if not _is_name(name) or (organisation and not _is_name(organisation, 6)):
        return False
    # `Von der Leyen...`, `By The Numbers`: a name opens with a name, not a particle.
    if name.split()[0].casefold() in _NAME_CONNECTORS:
        return False
    if match.group("word").casefold() != "by" and _reads_as_english(following):
        return False
    found.byline = found.byline or name
    if organisation:
        _add(found.credits, organisation)
    found.removed.append(paragraph)
    return True


def _take_trailing(paragraphs: list[str], found: Structure) -> bool:
    """A last line `Sarah Ritchie, The Canadian Press` (byline, agency) or a lone source tag
    such as `globalnews` after a finished sentence, or an agency's marker closing the last
    sentence's paragraph (`... ratowników. (PAP)`), or a Chinese agency's `（完）` there."""
    if paragraphs and paragraphs[-1].endswith(("完）", "完)")):
        last = paragraphs[-1]
        match = _END_MARK.search(last)
        if match is not None:
            found.removed.append(match.group().strip())
            paragraphs[-1] = last[: match.start()]
            return True
    if paragraphs and paragraphs[-1].endswith((")", ").")):
        last = paragraphs[-1]
        match = _AGENCY_END.search(last, max(0, len(last) - _CREDIT_END_CHARS))
        if match is not None and _is_agency(match.group("agency")):
            found.credits.append(match.group("agency").strip())
            found.removed.append(match.group().strip())
            paragraphs[-1] = last[: match.start()]
            return True
    if len(paragraphs) < 2 or not paragraphs[-2].endswith(SENTENCE_END):
        return False
    last = paragraphs[-1]
    name, comma, organisation = last.partition(", ")
    if comma and _is_name(name, 4) and len(name.split()) >= 2 and _is_name(organisation, 6):
        found.byline = found.byline or name
        _add(found.credits, organisation)
    elif _is_tag(last):
        found.source_tag = found.source_tag or last
    else:
        return False
    found.removed.append(paragraphs.pop())
    return True


def _is_tag(line: str) -> bool:
    return line.isascii() and line.isalpha() and line.islower() and len(line) >= 4


def _take_tag_line(blocks: list[list[str]], found: Structure) -> None:
    """A source tag on the last line would otherwise be joined to the sentence before it,
    being lower-case; take it before lines are joined."""
    lines = [line for block in blocks[-2:] for line in block]
    if len(lines) >= 2 and _is_tag(lines[-1]) and lines[-2].endswith(SENTENCE_END):
        found.source_tag = found.source_tag or lines[-1]
        found.removed.append(blocks[-1].pop())
        if not blocks[-1]:
            blocks.pop()


def first_sentence(paragraph: str) -> str:
    """The paragraph's first sentence; abbreviations such as `U.S.` or `Mr.` do not end one."""
    for match in _SENTENCE_BREAK.finditer(paragraph):
        if paragraph[match.start()] == ".":
            word = paragraph[: match.start()].rsplit(" ", 1)[-1]
            if "." in word or len(word) <= 1 or word.casefold().strip("\"'(") in ABBREVIATIONS:
                continue
        return paragraph[: match.end()]
    return paragraph


def derive_headline(paragraph: str) -> str:
    """A headline from the opening paragraph: its first sentence, no full stop, not too long."""
    sentence = first_sentence(paragraph)
    if sentence.endswith(_FULL_STOPS) and not sentence.endswith(".."):
        sentence = sentence[:-1].rstrip() or sentence
    if len(sentence) > _HEADLINE_MAX_CHARS:
        cut = sentence[:_HEADLINE_MAX_CHARS].rsplit(" ", 1)[0]
        sentence = f"{cut}\u2026"
    return sentence


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _ends_with_full_stop(text: str) -> bool:
    return text.rstrip(_CLOSERS).endswith(_FULL_STOPS)


def _take_lead(paragraphs: list[str], found: Structure) -> bool:
    """One change at the top of the body: metadata, dateline, byline or a repeated headline."""
    if not paragraphs:
        return False
    first = paragraphs[0]
    rest = _take_metadata(first, found)
    if rest == first:
        rest = _take_dateline(first, found)
    if rest != first:
        if rest:
            paragraphs[0] = rest
        else:
            paragraphs.pop(0)
        return True
    if _take_lead_byline(first, found, paragraphs[1:]):
        paragraphs.pop(0)
        return True
    if found.headline is None:
        found.headline = derive_headline(first)
    # Only a title line repeats the headline: a first paragraph of one sentence ending with a
    # full stop, in any script (`。`, `।`, `."`), is the lede and stays.
    if (
        len(paragraphs) > 1
        and _fold(first) == _fold(found.headline)
        and not _ends_with_full_stop(first)
    ):
        found.removed.append(paragraphs.pop(0))
        return True
    return False


def find_structure(text: str, headline: str | None = None) -> Structure:
    """Paragraphs and metadata of repaired text. The result is a fixpoint: running this on
    its own paragraphs (with its headline) finds nothing more, so normalising is idempotent."""
    # Single-spaced as the paragraphs are: a headline repaired again can gain a no-break space.
    found = Structure(paragraphs=[], headline=collapse_spaces(headline) if headline else None)
    blocks = _remove_block_lines(split_blocks(text), found)
    _take_tag_line(blocks, found)
    paragraphs = [paragraph for block in blocks for paragraph in join_lines(block)]
    changed = True
    while changed:
        paragraphs = _remove_lines(
            paragraphs, found, trailing_from=_trailing_from(paragraphs), wrapped=False
        )
        changed = False
        while _take_trailing(paragraphs, found):
            changed = True
        while _take_lead(paragraphs, found):
            changed = True
    if found.headline is None and paragraphs:
        found.headline = derive_headline(paragraphs[0])
    found.paragraphs = paragraphs
    return found


def merge(given: Iterable[str], found: Iterable[str]) -> tuple[str, ...]:
    """Given values first, then found ones not already given, each once."""
    merged: list[str] = []
    for item in (*given, *found):
        item = collapse_spaces(item)
        if item and item not in merged:
            merged.append(item)
    return tuple(merged)
