"""Text repair: bytes and encoding damage, HTML, Unicode form, quotes, dashes and broken lines."""

from __future__ import annotations

import html
import re
import unicodedata

import ftfy
import ftfy.bad_codecs  # registers the sloppy-windows-1252 codec that decode_bytes uses
import ftfy.fixes
from lxml.html import defs as html_defs
from selectolax.lexbor import LexborHTMLParser

# UTF-8 read as a single-byte code page leaves a lead byte followed by a continuation byte
# (80-BF) decoded in that code page: for Latin-1 and cp1252 any lead (C2-F4) as a Latin-1
# letter before a C1 control, cp1252 punctuation or Latin-1 symbol; for cp1251 and cp1253
# the leads of Cyrillic (D0, D1) and Greek (CE, CF), which decode to letters of those scripts;
# for cp1250 and ISO-8859-2 the leads of the Central European letters (C3, C4, C5; C8 for
# Romanian ș ț), which decode to `Ă Ä Ĺ Č` (`ZĹ‚oty`, `KrakĂłw`); punctuation read as cp1251
# and Mac Roman, and Latin-1 letters read as Mac Roman (below). Testing for such a pair costs
# microseconds; ftfy costs milliseconds even on clean text, so it only runs on a hit.
_CONTINUATION_BYTES = bytes(range(0x80, 0xC0))


def _decoded(data: bytes, *codecs: str) -> str:
    return "".join(sorted({char for codec in codecs for char in data.decode(codec)}))


def _lead_then_continuation(leads: bytes, *codecs: str) -> re.Pattern[str]:
    lead, follow = _decoded(leads, *codecs), _decoded(_CONTINUATION_BYTES, *codecs)
    return re.compile(f"[{re.escape(lead)}][{re.escape(follow)}]")


_LATIN_MOJIBAKE = _lead_then_continuation(
    bytes(range(0xC2, 0xF5)), "latin-1", "sloppy-windows-1252"
)
_CP1250 = "sloppy-windows-1250"
_CP1250_LEADS = b"\xc3\xc4\xc5\xc8"
# ISO-8859-2 holds the letters of cp1250 at A0-FF, some in other places; its 80-9F are C1
# controls (`BucureĹ\x9fti`), which cp1250 has not.
_CENTRAL_EUROPEAN_CODECS = (_CP1250, "iso-8859-2")
_CP1250_PAIR = _lead_then_continuation(_CP1250_LEADS, *_CENTRAL_EUROPEAN_CODECS)
_NON_ASCII = re.compile("[^\x00-\x7f]")
# German writes `ß` only after a long vowel or a diphthong, which ends with one of these.
_VOWELS_BEFORE_SHARP_S = frozenset("aeiouyäöü")
_CP1251 = "sloppy-windows-1251"
_MACROMAN = "mac_roman"
# Punctuation, currency and letterlike symbols (U+2000-21BF: ’ “ ” – — … € ™ №) are E2 80-86
# and a continuation in UTF-8: read as cp1251, `вЂ™` (English copy through a Russian-locale
# system), as Mac Roman `‚Äô`. The lead alone, `в`, is a common Cyrillic letter and `‚` a
# quote, so the three characters are the test.
_PUNCTUATION_SECOND = bytes(range(0x80, 0x87))


def _punctuation_read_as(codec: str) -> re.Pattern[str]:
    lead = re.escape(b"\xe2".decode(codec))
    second = re.escape(_decoded(_PUNCTUATION_SECOND, codec))
    return re.compile(f"{lead}[{second}][{re.escape(_decoded(_CONTINUATION_BYTES, codec))}]")


# Few leads each: `in` finds one far faster than a regex scans for the pair, and most text
# has none. Mac Roman (UTF-8 read by an old Mac system: `bless√©s`, `¬†`): the leads of the
# Latin-1 letters and symbols (C2, C3), which decode to `¬ √`; other leads decode there to
# punctuation that correct text puts before a letter (`’à`, `«Ça`).
_SCRIPT_MOJIBAKE = (
    *(
        (_decoded(leads, codec), _lead_then_continuation(leads, codec))
        for leads, codec in (
            (b"\xd0\xd1", _CP1251),
            (b"\xce\xcf", "sloppy-windows-1253"),
            (b"\xc2\xc3", _MACROMAN),
        )
    ),
    (_decoded(_CP1250_LEADS, _CP1250), _CP1250_PAIR),
    *((b"\xe2".decode(codec), _punctuation_read_as(codec)) for codec in (_CP1251, _MACROMAN)),
)


def _has_mojibake(text: str) -> bool:
    if text.isascii():
        return False
    return _LATIN_MOJIBAKE.search(text) is not None or any(
        any(lead in text for lead in leads) and pair.search(text) is not None
        for leads, pair in _SCRIPT_MOJIBAKE
    )


def _undo_cp1250(text: str) -> str:
    """UTF-8 read as cp1250 or ISO-8859-2, decoded again as UTF-8, where ftfy's heuristic
    sees no damage (`KrakĂłw`, `proraÄŤun`, `ĹšlÄ…sk`: it only looks for pairs that read as
    unlikely punctuation). `Ă Ä Ĺ Č` are letters of these languages, and a correct text can
    pair them as the damage does (Czech `ČŠI`, Romanian `Ăştia`), so it takes the whole text
    encoding to the code page and decoding as UTF-8 without error, and one pair no correct
    text writes.

    The two code pages hold the same letters, some in other places (`Š` is 8A in cp1250, A9 in
    ISO-8859-2), so text damaged through one often decodes through the other too, into other
    letters: French `blessĂŠs` (ISO-8859-2) undone as cp1250 was `blessÊs`, German `LokfĂźhrer`
    was `Lokfßhrer`, and the wrong letter left no damage to see. Of the two decodes, the one
    with fewer letters no correct text writes is taken; cp1250, the commoner, on a tie."""
    if not any(_damaged_pair(text, match.start()) for match in _CP1250_PAIR.finditer(text)):
        return text
    decoded: list[str] = []
    for codec in _CENTRAL_EUROPEAN_CODECS:
        try:
            decoded.append(text.encode(codec).decode("utf-8"))
        except UnicodeError:
            continue
    # min() keeps the first of equals: cp1250 on a tie.
    return min(decoded, key=_odd_letters) if decoded else text


def _odd_letters(text: str) -> int:
    """How many letters sit where correct text puts none: a capital after a lower-case
    letter (`blessÊs`), or `ß` after anything but a vowel (`Lokfßhrer`; German writes it only
    after a long vowel or a diphthong). Letters in the wrong place are the one trace that a
    decode through the wrong code page leaves."""
    odd = 0
    for match in _NON_ASCII.finditer(text):
        start = match.start()
        char, before = match.group(), text[start - 1 : start]
        if char == "\u00df":
            odd += before.casefold() not in _VOWELS_BEFORE_SHARP_S
        else:
            odd += char.isupper() and before.islower()
    return odd


def _damaged_pair(text: str, start: int) -> bool:
    """Whether the cp1250 pair at `start` is one no correct text writes: its second character
    a symbol or a control (`Ĺ‚`, `Ä…`), or the pair a capital inside a lower-case word
    (`KrakĂłw`, `ĹĽe`: after a lower-case letter, or two capitals before one)."""
    follow = text[start + 1]
    before, after = text[start - 1 : start], text[start + 2 : start + 3]
    return not follow.isalpha() or before.islower() or (follow.isupper() and after.islower())


_FTFY_CONFIG = ftfy.TextFixerConfig(
    # Entities are decoded by unescape_entities to a fixpoint; ftfy's one-shot unescape would
    # make normalising twice differ from normalising once.
    unescape_html=False,
    # Fullwidth punctuation is normal in CJK text; ftfy would only touch it on mojibake hits
    # (fullwidth letters and digits are narrowed on every text, below).
    fix_character_width=False,
    explain=False,
)
_SURROGATE = re.compile("[\ud800-\udfff]")
# Controls, zero-width space, word joiner, BOM, soft hyphen and the bidirectional marks and
# embeddings carry no text: one outlet's copy with RLM around its figures was another text
# than its source's. ZWJ and ZWNJ stay: they shape Persian, Indic scripts and emoji.
_INVISIBLE_CHARS = (
    "\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u061c\u200b\u200e\u200f\u202a-\u202e\u2060"
    "\u2066-\u2069\ufeff"
)
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
# Fullwidth digits and Latin letters (`２０２５年`, `ＮＨＫ`) are a house style of some CJK
# outlets, ASCII of others: the same report must be the same text. Fullwidth punctuation
# stays; it is the norm in CJK text.
_FULLWIDTH_CHARS = "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"
_FULLWIDTH_ALPHANUMERIC = re.compile(f"[{_FULLWIDTH_CHARS}]+")
# One scan finds work for either (each scan costs as much as the rest of a round on clean
# text).
_INVISIBLE_OR_FULLWIDTH = re.compile(f"[{_INVISIBLE_CHARS}{_FULLWIDTH_CHARS}]")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# A chain of escaped ampersands (`&amp;amp;amp;`, in any spelling) is one ampersand: collapsed
# in one pass, else each decoding round peels one level off and a long chain costs n rounds.
_AMPERSANDS = re.compile(r"&(?:(?:amp|AMP|#0*38|#[xX]0*26);)+")
# Every element name HTML has had (lxml's table) and the HTML5 ones that table lacks.
_HTML_ELEMENTS = frozenset(html_defs.tags) | {"main", "picture", "template", "dialog", "data"}
_HTML_TAG = re.compile(
    rf"<(?:/?(?:{'|'.join(sorted(_HTML_ELEMENTS, key=len, reverse=True))})(?=[\s/>])[^<>]*|!--)>",
    re.IGNORECASE,
)
# What an HTML parser reads as a start or end tag.
_TAG_START = re.compile(r"</?([A-Za-z][^\s/>]*)")
_WORD_RUN = re.compile(r"\S+")
_TYPOGRAPHY = re.compile("[\u02bc\u2010\u2011\u2015\u2018-\u201f\ufb00-\ufb06]| [-\u2013] |--")
# ftfy's own uncurl_quotes mapping, applied to every text so that texts ftfy fixed and texts
# it never saw end up with the same quotes; spaced hyphens and en dashes become em dashes.
_REPLACEMENTS = (
    ("\u2018", "'"),
    ("\u2019", "'"),
    ("\u201a", "'"),
    ("\u201b", "'"),
    ("\u02bc", "'"),
    ("\u201c", '"'),
    ("\u201d", '"'),
    ("\u201e", '"'),
    ("\u201f", '"'),
    ("\u2010", "-"),
    ("\u2011", "-"),
    ("\u2015", "\u2014"),
    (" - ", " \u2014 "),
    (" \u2013 ", " \u2014 "),
    ("\ufb00", "ff"),
    ("\ufb01", "fi"),
    ("\ufb02", "fl"),
    ("\ufb03", "ffi"),
    ("\ufb04", "ffl"),
    ("\ufb05", "st"),
    ("\ufb06", "st"),
)
_BLOCK_TAGS = (
    "address,article,aside,blockquote,br,caption,center,dd,details,dialog,div,dl,dt,fieldset,"
    "figure,footer,h1,h2,h3,h4,h5,h6,header,hgroup,hr,legend,li,main,ol,p,pre,section,summary,"
    "table,tbody,tfoot,thead,tr,ul"
)
# A table row is a paragraph; its cells are words of it.
_CELL_TAGS = "td,th"
# Scripts, navigation and media: no article text (a video's text is its fallback notice).
_DROPPED_TAGS = (
    "script,style,noscript,template,iframe,object,embed,svg,canvas,video,audio,picture,map,"
    "nav,button,form,head"
)
_CAPTION_TAGS = "figcaption"
# A line ending like this ends a sentence (or a quotation, list item or CJK sentence). The
# full stops and question marks of other scripts (Unicode's sentence terminals of the scripts
# news is written in) too: without them a Hindi, Arabic, Armenian or Amharic line that ended
# a sentence was taken for a wrapped one and the paragraphs after it were merged into it.
SENTENCE_END = (
    ".",
    "!",
    "?",
    "\u2026",
    ":",
    ";",
    '"',
    "'",
    "\u00bb",
    ")",
    "]",
    "\u3002",
    "\uff01",
    "\uff1f",
    "\u300d",
    # Devanagari danda and double danda (Hindi, Marathi, Nepali; Bengali writes them too).
    "\u0964",
    "\u0965",
    # Arabic question mark, Urdu full stop, Armenian full stop.
    "\u061f",
    "\u06d4",
    "\u0589",
    # Ethiopic full stop, question mark and paragraph separator (Amharic, Tigrinya).
    "\u1362",
    "\u1367",
    "\u1368",
    # Myanmar section, Khmer khan and bariyoosan, Mongolian full stop.
    "\u104b",
    "\u17d4",
    "\u17d5",
    "\u1803",
    # Fullwidth and halfwidth full stops (CJK), doubled marks (‼ ⁇ ⁈ ⁉).
    "\uff0e",
    "\uff61",
    "\u203c",
    "\u2047",
    "\u2048",
    "\u2049",
)
CONTINUATION_START = (",", ".", ";", ":", "!", "?", ")", "]", "\u00bb", "\u3001", "\u3002")
# Bounds the repair loop; real text settles in two rounds.
_MAX_REPAIR_ROUNDS = 4
# A subheading line is no longer than this (and see _is_heading).
_HEADING_MAX_CHARS = 48
# Scripts written without spaces between words (Chinese, Japanese kana, their punctuation and
# fullwidth forms): a line break or paragraph break between two of their characters is not a
# space in the text.
UNSPACED = (
    "\u3000-\u303f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\uff00-\uffef\U00020000-\U0003134f"
)
_UNSPACED_CHAR = re.compile(f"[{UNSPACED}]")
# Words whose full stop is not a sentence end (here, and in structure.first_sentence).
ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "mt",
        "ft",
        "gen",
        "adm",
        "sen",
        "rep",
        "gov",
        "col",
        "lt",
        "sgt",
        "capt",
        "prof",
        "jr",
        "sr",
        "inc",
        "corp",
        "ltd",
        "co",
        "no",
        "vs",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mme",
        "mlle",
        "mm",
        "ste",
        "hr",
        "fr",
        "nr",
    ]
)


def decode_bytes(data: bytes) -> str:
    """UTF-8 if it is; otherwise Windows-1252 (the usual culprit), which never fails."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("sloppy-windows-1252")


def _replace_surrogates(text: str) -> str:
    try:
        # Text read with errors="surrogateescape" carries its undecodable bytes this way.
        return decode_bytes(text.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)


def unescape_entities(text: str) -> str:
    """Decode character references until none is left (`&amp;amp;` too), so a second pass
    finds nothing to do. Only complete references with `;` count: `AT&T` stays."""
    text = _AMPERSANDS.sub("&", text)
    while "&" in text:
        decoded = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
        if decoded == text:
            break
        text = decoded
    return text


def _repair_once(text: str) -> str:
    if _SURROGATE.search(text):
        text = _replace_surrogates(text)
    if _has_mojibake(text):
        # cp1250 first: ftfy declines much of that damage, and straightens the quotes of what
        # it declines (`EUROPEANÄ‚` -> `EUROPEANÄ'`), which puts it beyond repair.
        text = _undo_cp1250(text)
        if _has_mojibake(text):
            text = ftfy.fix_text(text, _FTFY_CONFIG)
    if "&" in text:
        text = unescape_entities(text)
    if _INVISIBLE_OR_FULLWIDTH.search(text):
        # cp1252 punctuation read as Latin-1 arrives as C1 controls (`It\x92s`); ftfy maps
        # them only when it runs, so on their own they were deleted as invisible.
        text = _INVISIBLE.sub("", ftfy.fixes.fix_c1_controls(text))
        text = _FULLWIDTH_ALPHANUMERIC.sub(_narrow, text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if _TYPOGRAPHY.search(text):
        for old, new in _REPLACEMENTS:
            if old in text:
                text = text.replace(old, new)
        if "--" in text:
            text = _WORD_RUN.sub(_typewriter_dashes, text)
    return text


def _typewriter_dashes(match: re.Match[str]) -> str:
    """`--` is a typewriter em dash, except in an address (an IDN domain's `xn--`, a URL or
    path, an e-mail address) or an option (`--help`), where it is two hyphens."""
    token = match.group()
    if "--" not in token or "/" in token or "@" in token:
        return token
    folded = token.casefold()
    option = token.startswith("--") and token[2:3].isalpha()
    if option or "xn--" in folded or folded.startswith("www."):
        return token
    return token.replace("--", "\u2014")


def repair_text(text: str) -> str:
    """Encoding damage, invisible characters, entities, Unicode NFC, consistent quotes and dashes.

    One step can expose work for another (a decoded entity that is mojibake, a soft hyphen
    that hid it from ftfy), so the steps repeat until nothing changes. Line structure is
    kept: paragraphs are found later from it.
    """
    for _ in range(_MAX_REPAIR_ROUNDS):
        repaired = _repair_once(text)
        if repaired == text:
            break
        text = repaired
    return text


def _narrow(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", match.group())


def looks_like_html(text: str) -> bool:
    """Whether plain-text input is really markup (some feeds put HTML in their text field)."""
    return "<" in text and _HTML_TAG.search(text) is not None


def as_markup(text: str) -> str | None:
    """The markup that plain text really is, or None: markup as such, or sent with its
    entities escaped (`&lt;p&gt;`, common in RSS descriptions). A `<` that opens no HTML
    element (`Apple <AAPL.O>`, a Reuters instrument code) is escaped so it stays text."""
    if not looks_like_html(text):
        if "&" not in text:
            return None
        text = unescape_entities(text)
        if not looks_like_html(text):
            return None

    def escape(match: re.Match[str]) -> str:
        name = match.group(1).casefold()
        # Custom (`amp-img`) and namespaced (`o:p`) elements are markup too.
        if name in _HTML_ELEMENTS or "-" in name or ":" in name:
            return match.group()
        return f"&lt;{match.group()[1:]}"

    return _TAG_START.sub(escape, text)


def html_to_text(markup: str) -> tuple[str, list[str]]:
    """Markup to plain text with a blank line between blocks, and the figure captions apart.
    A figure's other content (a quotation, a table) is text of the body."""
    tree = LexborHTMLParser(markup)
    captions = [
        " ".join(node.text(deep=True).split()) for node in tree.css(_CAPTION_TAGS) if node.text()
    ]
    for node in tree.css(f"{_DROPPED_TAGS},{_CAPTION_TAGS}"):
        node.decompose()
    # A break on both sides: text before a block's opening tag (a body's loose first line)
    # is a paragraph of its own too.
    for node in tree.css(_BLOCK_TAGS):
        node.insert_before("\n\n")
        node.insert_after("\n\n")
    for node in tree.css(_CELL_TAGS):
        node.insert_before(" ")
        node.insert_after(" ")
    root = tree.body or tree.root
    text = root.text(deep=True) if root is not None else ""
    return text, [caption for caption in captions if caption]


def collapse_spaces(line: str) -> str:
    return " ".join(line.split())


def ends_with_abbreviation(text: str) -> bool:
    """Whether a final full stop belongs to its word (`U.S.`, `Mr.`, an initial) rather than
    ending a sentence."""
    if not text.endswith("."):
        return False
    word = text[:-1].rsplit(" ", 1)[-1].casefold().strip("\"'(")
    # A lone full stop (tokenised text: `People .`), an ellipsis or `..` ends a sentence.
    if not word or word.endswith("."):
        return False
    return "." in word or (len(word) == 1 and word.isalpha()) or word in ABBREVIATIONS


def _caseless(text: str, *, last: bool = False) -> bool:
    """Whether the first (or last) letter of `text` is of a script without case (CJK,
    Arabic, Hebrew, Thai...)."""
    letter = next((char for char in (reversed(text) if last else text) if char.isalpha()), "")
    return letter.lower() == letter.upper() != ""


def _is_heading(line: str, following: str, width: int) -> bool:
    """A short unpunctuated line before a line that does not start in lower case, that the
    next word would have fitted on: hard-wrapped copy breaks a line only where the next word
    does not fit, so a short line before a capital (a German noun, a name) that it would
    have fitted is a subheading. Scripts without case give no such sign: a short line in
    them is a wrapped one."""
    return (
        len(line) <= _HEADING_MAX_CHARS
        and not line.endswith(SENTENCE_END)
        and not _caseless(line, last=True)
        and not _caseless(following)
        and len(line) + 1 + len(following.split(" ", 1)[0]) <= width
    )


def _glue(current: str, line: str) -> str:
    hyphenated = current.endswith("-") and current[-2:-1].isalpha()
    if line.startswith(CONTINUATION_START) or hyphenated:
        return ""
    # Every character of the scripts in UNSPACED is past U+2FFF: most lines stop there.
    end, start = current[-1], line[0]
    unspaced = (
        min(end, start) > "\u2fff" and _UNSPACED_CHAR.match(end) and _UNSPACED_CHAR.match(start)
    )
    return "" if unspaced else " "


def join_lines(lines: list[str]) -> list[str]:
    """Rejoin one block's lines into paragraphs: a line continues the previous one unless
    the previous ended a sentence (and this one does not obviously continue it) or was a
    subheading."""
    paragraphs: list[str] = []
    current = ""
    current_is_one_line = True
    # The block's longest line shows the width hard-wrapped copy was wrapped at.
    width = max(map(len, lines), default=0)
    for line in lines:
        if not current:
            current, current_is_one_line = line, True
            continue
        if line[0].islower() or line.startswith(CONTINUATION_START):
            breaks = False
        elif current.endswith(SENTENCE_END):
            breaks = not ends_with_abbreviation(current)
        else:
            breaks = current_is_one_line and _is_heading(current, line, width)
        if not breaks:
            current = f"{current}{_glue(current, line)}{line}"
            current_is_one_line = False
        else:
            paragraphs.append(current)
            current, current_is_one_line = line, True
    if current:
        paragraphs.append(current)
    return paragraphs


def split_blocks(text: str) -> list[list[str]]:
    """Blocks of non-empty lines (spaces collapsed), split at blank lines."""
    blocks: list[list[str]] = []
    block: list[str] = []
    for raw in text.splitlines():
        line = collapse_spaces(raw)
        if line:
            block.append(line)
        elif block:
            blocks.append(block)
            block = []
    if block:
        blocks.append(block)
    return blocks
