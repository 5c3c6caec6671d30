r"""Index units shared by dedup and the story stage: a word (`find_words`) is one unit, except in
scripts written without spaces between words."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable


def _ranges(codes: Iterable[int]) -> str:
    """A regex class body of the characters `codes` (ascending; none special in a class), as
    ranges."""
    spans: list[list[int]] = []
    for code in codes:
        if spans and spans[-1][1] == code - 1:
            spans[-1][1] = code
        else:
            spans.append([code, code])
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in spans)


def _category_class(codes: Iterable[int], kinds: str = "M") -> str:
    """A regex class body of the characters among `codes` whose Unicode category starts with
    one of `kinds` (M: the combining marks Mn, Mc, Me), as ranges."""
    return _ranges(code for code in codes if unicodedata.category(chr(code))[0] in kinds)


# A word: a word character, then word characters or combining marks. Python's `\w` matches no
# combining mark (Unicode Mn/Mc/Me), so `\w+` breaks a word of an abugida (Devanagari, Bengali,
# Tamil, Myanmar, Khmer...) at every vowel sign and virama: "समाचार" into "सम", "च", "र", and
# unrelated Hindi reports share most of their "words" (before the eleventh session ten of them
# formed one story). Marks stay on the word they belong to. Two patterns, the same words: a
# class of marks beyond the Basic Multilingual Plane (Chakma, Sharada, Adlam...) makes every
# match test ~300 ranges (tokenising takes twice `\w+`'s time), one within it is a table
# lookup (as fast as `\w+`); the first is used only for text holding such characters. Within
# the BMP, `\w` is spelt out as its characters: a class of them is one table lookup per
# character, where `\w` asks Unicode's tables whether it is a letter, a decimal, a digit or a
# numeric (the same words in about half the instructions).
_BMP_MARKS = _category_class(range(0x300, 0x10000))
_ASTRAL_MARKS = _category_class(range(0x10000, 0x20000)) + _category_class(range(0xE0100, 0xE01F0))
_BMP_WORD_CHARS = _ranges(map(ord, re.findall(r"\w", "".join(map(chr, range(0x10000))))))
_WORD = re.compile(f"[{_BMP_WORD_CHARS}][{_BMP_WORD_CHARS}{_BMP_MARKS}]*")
_ASTRAL_WORD = re.compile(f"\\w[\\w{_BMP_MARKS}{_ASTRAL_MARKS}]*")


# A letter or a combining mark of the BMP, as a piece of a pattern: a name in an abugida is
# letters and vowel signs (`दिल्ली`; structure's datelines too).
LETTER_OR_MARK = f"(?:[^\\W\\d_]|[{_BMP_MARKS}])"
# A word of letters and combining marks only (no digit, no underscore).
_LETTERED = re.compile(f"{LETTER_OR_MARK}+")
_ASTRAL_LETTERED = re.compile(f"(?:[^\\W\\d_]|[{_BMP_MARKS}{_ASTRAL_MARKS}])+")


def lettered(word: str) -> bool:
    """Whether a word is letters and combining marks only: `str.isalpha` is false for a word
    with a vowel sign ("समाचार"), which dedup then took for a figure."""
    if word.isalpha():
        return True
    if word.isascii():
        return False
    pattern = _LETTERED if max(word) < "\U00010000" else _ASTRAL_LETTERED
    return pattern.fullmatch(word) is not None


# Where a sentence ends: a capital letter at a sentence's start says nothing about a name (the
# story stage's cues, dedup's slots).
SENTENCE_BREAK = re.compile(r"(?:[.!?;:\u3002\u061f\u0964]+[\"'\u201d\u2019)\]]*\s+|\n+)")
# One class first (a word's first character, or a stop or line break that may start a break),
# then the rest of what it started: the regex engine skips to a match through that class's
# table, where `word|break` tries both alternatives at every character (1.8x the instructions).
_STOPS = ".!?;:\u3002\u061f\u0964"
_WORD_OR_BREAK = re.compile(
    f"[{_BMP_WORD_CHARS}{_STOPS}\n](?:(?<=[{_BMP_WORD_CHARS}])[{_BMP_WORD_CHARS}{_BMP_MARKS}]*"
    f"|(?<=\n)\n*|[{_STOPS}]*[\"'\u201d\u2019)\\]]*\\s+)"
)
_ASTRAL_WORD_OR_BREAK = re.compile(f"{_ASTRAL_WORD.pattern}|{SENTENCE_BREAK.pattern}")
BREAK_STARTS = frozenset(".!?;:\u3002\u061f\u0964\n")


def _astral(text: str) -> bool:
    """Whether the text holds a character beyond the Basic Multilingual Plane: its UTF-16 form
    then takes more than two bytes a character (one C loop; `max(text)` compares every
    character as an object, 30 times the instructions)."""
    return not text.isascii() and len(text.encode("utf-16-le", "surrogatepass")) > 2 * len(text)


# ASCII text (most English copy) has no marks: its words are the runs of `\w`'s 63 ASCII
# characters, split in C (`str.translate` has a fast path for ASCII) in a third of the
# regex's instructions.
_ASCII_NON_WORD = str.maketrans(
    dict.fromkeys((chr(code) for code in range(128) if not re.match(r"\w", chr(code))), " ")
)


def find_words(text: str) -> list[str]:
    """The text's words, each with its combining marks."""
    if text.isascii():
        return text.translate(_ASCII_NON_WORD).split()
    return (_ASTRAL_WORD if _astral(text) else _WORD).findall(text)


def find_words_and_breaks(text: str) -> list[str]:
    """The text's words (`find_words`) and, between them, its sentence breaks (each starts
    with one of `BREAK_STARTS`, which no word does): one pass, where splitting at the breaks
    first took twice as long."""
    return (_ASTRAL_WORD_OR_BREAK if _astral(text) else _WORD_OR_BREAK).findall(text)


# Scripts written without spaces between words (Thai, Lao, Myanmar, Khmer, kana, Han): a `\w+`
# run there is a whole clause, so such runs are read as overlapping character pairs, the
# usual dictionary-free indexing unit for them.
UNSPACED_RUN = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\U00020000-\U0002fa1f]+"
)


# Thai, Lao, Myanmar and Khmer letters and marks, without their digits (a figure stays
# whole): the runs dedup reads as character 4-grams (see dedup).
SOUTHEAST_ASIAN_LETTERS = re.compile(
    "["
    + _category_class(
        itertools.chain(range(0xE00, 0xF00), range(0x1000, 0x10A0), range(0x1780, 0x1800)), "LM"
    )
    + "]+"
)


def grams(token: str, run: re.Pattern[str], size: int) -> list[str]:
    """A word's runs of `run` as overlapping `size`-character grams (a shorter run stays
    whole), with the rest of the word between them kept whole."""
    units: list[str] = []
    start = 0
    for found in run.finditer(token):
        if found.start() > start:
            units.append(token[start : found.start()])
        text = found.group()
        if len(text) <= size:
            units.append(text)
        else:
            units.extend([text[i : i + size] for i in range(len(text) - size + 1)])
        start = found.end()
    if start < len(token):
        units.append(token[start:])
    return units


def words(token: str) -> list[str]:
    r"""A word (`WORD`) as index units: itself, or for unspaced scripts its character pairs
    (a lone character stays whole), with any spaced-script part (Latin, digits) kept whole."""
    if token.isascii() or not UNSPACED_RUN.search(token):
        return [token]
    return grams(token, UNSPACED_RUN, 2)
