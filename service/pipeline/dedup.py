"""Dedup: decide online whether an article copies one seen within the horizon, and how."""

from __future__ import annotations

import array
import base64
import bisect
import functools
import html
import operator
import re
import unicodedata
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import xxhash
from rensa import RMinHash, RMinHashLSH

from service.models import Article, DedupDecision, DuplicateKind
from service.pipeline.negation import flipped, polarity
from service.pipeline.numberwords import THRESHOLDS, with_digits
from service.pipeline.stamps import Stamps
from service.pipeline.tokens import (
    BREAK_STARTS,
    SOUTHEAST_ASIAN_LETTERS,
    find_words,
    find_words_and_breaks,
    grams,
    lettered,
    words,
)

# Store layout (a dict in tests, a Faust table in production). Values are JSON-able and
# always re-assigned, never mutated in place, so every change reaches the changelog. The LSH
# indexes and the digest cache are derived from the store: `rebuild()` recreates them.
DOC = "doc:"
FINGERPRINT = "fp:"
GUID = "guid:"

# Han and kana runs are read as the story stage's character pairs (a run is a clause, one
# "word" otherwise). Thai, Lao, Myanmar and Khmer runs are read as character 4-grams: pairs of
# an alphabet of ~70 letters and marks are shared by unrelated articles (pair Jaccard 0.43
# between 1,500-character pseudo-Thai articles, 0.57 at 4,000), which made 912 of 1,000
# indexed articles LSH candidates of every query, all compared (204 ms per article); 4-grams
# are shared about as little as Han pairs (mean Jaccard 0.05-0.12 against 0.03-0.06, at most
# 0.18: under the digest estimate's 0.2, so chance candidates are dropped before comparison).
# `\w+` tokens, split at every vowel and tone mark, were too few: a brief with a sentence
# cut shared 10 of them, under `min_shared_words`.
_SOUTHEAST_ASIAN = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
_GRAM = 4
_HAN_KANA_RANGES = (
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FA1F),
)
_HAN_KANA = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in _HAN_KANA_RANGES) + "]")
# Either: one search of a text that has neither (most), not two.
_SPLIT_SCRIPTS = re.compile(f"[{_SOUTHEAST_ASIAN.pattern[1:-1]}{_HAN_KANA.pattern[1:-1]}]")
# Content words: four letters or more, or anything with a digit. Short function words are
# what unrelated articles share most, and what a translation round trip changes most.
_CONTENT_LENGTH = 4
_TAG = re.compile(r"<[^<>]{0,300}>")
_SHINGLE = 5
# Odd multipliers mixing five consecutive token hashes into one shingle hash (wraps mod 2**64).
_MIX = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
    ],
    dtype=np.uint64,
)
# Shingle hashes are kept at a rate of 1 in 2**_SAMPLE_BITS when there are many: the sample's
# overlap estimates the whole's, at a quarter of the changelog bytes.
_SAMPLE_BITS = 2
_SAMPLE_ABOVE = 120

_ALIGN_TOLERANCE = 0.1

U32 = npt.NDArray[np.uint32]


@dataclass(frozen=True, slots=True)
class DedupConfig:
    horizon_seconds: float = 5 * 24 * 3600.0
    # Whole-text index: bands of four rows. 256 permutations in 64 bands find a pair at
    # Jaccard 0.48 (seed round trip 000/001 on key words) with probability 0.97; 128 in 32
    # bands only 0.83, and missed it.
    num_perm: int = 256
    num_bands: int = 64
    seed: int = 1
    # Leading distinct content words indexed on their own, so a truncated copy is still found.
    # Fewer, longer bands make chance lead matches rarer but miss trimmed leads (measured).
    lead_words: int = 40
    lead_perm: int = 128
    lead_bands: int = 32
    # The whole-text index hashes only rarer-looking words: six letters or more, or with a
    # digit. Words every article uses ("said", "that", "with", "from") are what unrelated
    # articles share; hashing them made chance candidates grow with the index (measured:
    # 23 per query at 100k on ECB+ cross-topic pairs with all content words, 3 without them;
    # rewrites' and near copies' Jaccard is the same either way). Fewer than
    # `min_key_words` of them: all content words are hashed.
    key_word_length: int = 6
    min_key_words: int = 8
    # Cheap filter on LSH candidates: estimated Jaccard of the whole or of the lead.
    min_estimate: float = 0.2
    min_lead_estimate: float = 0.4
    # Verbatim overlap: share of the shorter text's 5-word shingles found in the other.
    near_copy_shingles: float = 0.4
    # Shared content words (of the shorter) for a near copy: guards against a shared quote.
    near_copy_containment: float = 0.6
    # A rewrite keeps the words that carry facts, in their places, not the wording.
    rewrite_jaccard: float = 0.35
    rewrite_aligned: float = 0.48
    rewrite_length_ratio: float = 0.5
    rewrite_shared_words: int = 15
    # A translation round trip keeps every figure (times, counts, ages, scores); two outlets'
    # own write-ups of one event pick different ones. With enough figures to judge, a rewrite
    # must share most of them. Dev split: same-event pairs of distinct articles never reach
    # 0.8 (max 0.75), generated rewrites and the seed round trips sit at 1.0.
    rewrite_numbers: float = 0.8
    rewrite_min_numbers: int = 4
    min_shared_words: int = 12
    # A copy tells the same event: it puts no other name or figure where the other has one
    # (a slot: the words either side of a run of names and figures in a sentence). Reports
    # written from one template (quakes, results, earnings, forecasts) and a changed toll or
    # correction do; copies do not, beyond typos and web pages' own date stamps. Up to
    # `max_swaps` (and `swap_share` of the shared slots) are let through; a rewrite's
    # names may be spelt anew by a translation, so only its figures count.
    max_swaps: int = 1
    swap_share: float = 0.1
    # Written alike (a near copy's wording), yet another event, which the story stage keeps
    # apart: its names and figures differ from the other's in this many slots or more, names
    # and figures both among them. A template's next report swaps the place, company or day
    # and its readings in 3-8 slots (review, invented tests); a toll raised only figures; a
    # web copy of one event in ECB+ its own date line and one chance name, 1-2 slots.
    other_event_slots: int = 3
    # Written alike, and each headline's subject (`subject_swapped`) sits where the other text
    # has another name: the strike at the next airport, the warning for the next district
    # (review: shingles 0.92-0.95; one swapped slot passed as a typo). Not a near copy; nor a
    # rewrite when this much of the wording is the other's: a rewrite may spell names anew
    # (simulated rewrites with mangled names, shingles >= 0.4: 1-2 per split and seed lost
    # at the near-copy bar, none at 0.7).
    template_shingles: float = 0.7
    # One of the two leads (first `lead_check` distinct content words) is in the other: briefs
    # that share only their background paragraphs lead with their own news. Past
    # `lead_exempt_shared` shared words, the shared text is more than background.
    lead_check: int = 20
    min_lead: float = 0.5
    lead_exempt_shared: int = 100
    # Under headlines that do not agree, an agency's background (five or six paragraphs, ~100
    # shared words: a depot struck, then a camp shelled) is not yet more than background; a
    # copy that put an editor's note, a credit or a local paragraph on top under its own
    # headline shares twice that (review: 206-223, shingles 0.93-0.94; the reports of other
    # events 105-123).
    lead_exempt_retitled: int = 200
    # A body of fewer distinct content words (a flash: "This is a breaking news update...")
    # does not tell the event: the headlines must share half the shorter one's words.
    short_body_words: int = 20
    min_headline_share: float = 0.5


@dataclass(frozen=True, slots=True)
class Features:
    """What dedup compares: distinct content-word hashes in order of first use, shingles, and
    the distinct tokens with a digit (figures), and which words are key words (long or with a
    digit). `numbers` and `keys` are None in entries stored before they were kept: the figure
    check is then skipped and all words are key words. `slots` (each a slot's hash in the
    high 16 bits, a cue's in the low ones) and `headline` (its content words) are None in
    entries stored before the twelfth session: those checks are then skipped. `subject` (the
    names of the headline that the body names too, as the slots' cue hashes) is None in
    entries stored before the thirteenth: such an entry is told no other event."""

    words: U32
    shingles: U32
    sampled: bool
    numbers: U32 | None
    keys: npt.NDArray[np.bool_] | None
    slots: U32 | None = None
    headline: U32 | None = None
    subject: U32 | None = None
    polarity: U32 | None = None

    def to_store(self, now: float) -> dict[str, Any]:
        value = {
            "t": now,
            "w": _pack(self.words),
            "s": _pack(self.shingles),
            "r": int(self.sampled),
        }
        if self.numbers is not None:
            value["n"] = _pack(self.numbers)
        if self.keys is not None:
            value["k"] = base64.b64encode(np.packbits(self.keys).tobytes()).decode()
        if self.slots is not None:
            value["c"] = _pack(self.slots)
        if self.headline is not None:
            value["h"] = _pack(self.headline)
        if self.subject is not None:
            value["e"] = _pack(self.subject)
        if self.polarity is not None:
            value["g"] = _pack(self.polarity)
        return value

    @classmethod
    def from_store(cls, value: dict[str, Any]) -> Features:
        words = _unpack(value["w"])
        numbers, keys = value.get("n"), value.get("k")
        slots, headline, subject = value.get("c"), value.get("h"), value.get("e")
        polarity = value.get("g")
        return cls(
            words,
            _unpack(value["s"]),
            bool(value["r"]),
            None if numbers is None else _unpack(numbers),
            None
            if keys is None
            else np.unpackbits(np.frombuffer(base64.b64decode(keys), dtype=np.uint8))[
                : len(words)
            ].astype(np.bool_),
            None if slots is None else _unpack(slots),
            None if headline is None else _unpack(headline),
            None if subject is None else _unpack(subject),
            None if polarity is None else _unpack(polarity),
        )

    def key_words(self, minimum: int) -> U32:
        if self.keys is None or int(self.keys.sum()) < minimum:
            return self.words
        chosen: U32 = self.words[self.keys]
        return chosen


def _pack(hashes: U32) -> str:
    return base64.b64encode(hashes.astype("<u4").tobytes()).decode()


def _unpack(text: str) -> U32:
    return np.frombuffer(base64.b64decode(text), dtype="<u4").astype(np.uint32)


def _digest(minhash: RMinHash) -> U32:
    # Through a C array: numpy's conversion of a list of Python ints inspects each one.
    return np.frombuffer(array.array("I", minhash.digest()), dtype=np.uint32)


def _grow(matrix: U32, rows: int) -> U32:
    grown = np.zeros((rows, matrix.shape[1]), dtype=np.uint32)
    grown[: len(matrix)] = matrix
    return grown


def plain_text(body: str) -> str:
    """Lower-cased text without markup: a copy wrapped in HTML compares as its words."""
    return _unmarked(body.lower())


def _unmarked(text: str) -> str:
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return text


# Which code points up to U+1800 (past Khmer, where all above are clipped) are Thai, Lao,
# Myanmar or Khmer letters or marks.
_LETTERS = np.array(
    [SOUTHEAST_ASIAN_LETTERS.match(chr(code)) is not None for code in range(0x1801)],
    dtype=np.bool_,
)

Masks = npt.NDArray[np.bool_] | None


def _units(tokens: list[str], text: str) -> tuple[list[str], Masks]:
    r"""The text's words (`tokens`, its `find_words`) as units: a word with Han or kana becomes
    the story stage's units (character pairs), one in Thai, Lao, Myanmar or Khmer its character
    4-grams. With a mask of which units are pairs or 4-grams; None: no word was split."""
    if text.isascii() or _SPLIT_SCRIPTS.search(text) is None:
        return tokens, None
    southeast = _SOUTHEAST_ASIAN.search(text) is not None
    units = _split(tokens, southeast)
    # A pair starts with its run's first character; a spaced part of a token never does.
    first = np.fromiter(map(ord, (unit[0] for unit in units)), dtype=np.int32, count=len(units))
    paired = np.zeros(len(units), dtype=np.bool_)
    for low, high in _HAN_KANA_RANGES:
        paired |= (first >= low) & (first <= high)
    if not southeast:
        return units, paired
    # Likewise a 4-gram or a shorter run of letters; its digits are a part apart.
    letters = _LETTERS[np.minimum(first, len(_LETTERS) - 1)]
    lengths = np.fromiter(map(len, units), dtype=np.int32, count=len(units))
    return units, paired | (letters & (lengths == _GRAM))


def _split(tokens: list[str], southeast: bool) -> list[str]:
    """Each word with Han or kana as its character pairs, each one in Thai, Lao, Myanmar or
    Khmer (`southeast`) as its 4-grams; the rest of such a word (a digit run, Latin) whole."""
    return [
        unit
        for token in tokens
        for unit in (
            words(token)
            if _HAN_KANA.search(token)
            else grams(token, SOUTHEAST_ASIAN_LETTERS, _GRAM)
            if southeast and _SOUTHEAST_ASIAN.search(token)
            else (token,)
        )
    ]


def _slot_words(tokens: list[str], text: str) -> list[str]:
    """The words the slots read (`_slots`): in a text with Han, kana, Thai, Lao, Myanmar or
    Khmer, the units `_split` makes. A run of those scripts holds a clause with its figures
    ("5月2日11时05分在四川宜宾市珙县发生4", "6级地震"): as one word each, a quake's time, place
    and magnitude were one run in one slot, and three quakes of one bot a copy of the first.
    Split, a digit run is a figure of its own between the pairs either side ("发生", "4",
    "6", "级地": the decimal mark ends a word, so "4.6" is one run of two figures)."""
    if text.isascii() or _SPLIT_SCRIPTS.search(text) is None:
        return tokens
    return _split(tokens, _SOUTHEAST_ASIAN.search(text) is not None)


# Combining marks left by NFKD (accents, the breve of ğ, the cedilla of ç).
_MARKS = frozenset(
    chr(code) for code in range(0x300, 0x370) if unicodedata.category(chr(code)) == "Mn"
)
# Vowels of the Latin, Cyrillic and Greek alphabets (`y` too: Kyiv, Kiev; Türkiye, Turkey), read
# without their accents: outlets spell a name with or without them (Erdoğan, Erdogan; São Paulo,
# Sao Paulo; Gdańsk, Gdansk), and the vowels a transliteration changes (Беларуси, Белоруссии).
_VOWELS = frozenset("aeiouyаеёиоуыэюяіїєўαεηιουω")
# Slots are read in a text's first characters (its lead and what follows: ~250 words).
_SLOT_CHARS = 1500
_BREAK_CODES = np.array(sorted(map(ord, BREAK_STARTS)), dtype=np.uint32)


def _lead_end(body: str) -> int:
    """Where the text read for slots ends: the lead tells the event (who, where, how many); a
    cut at a line break or sentence end, so no word is cut in two, or at the cap without one."""
    if len(body) <= _SLOT_CHARS:
        return len(body)
    end = max(body.rfind("\n", 0, _SLOT_CHARS), body.rfind(". ", 0, _SLOT_CHARS))
    return end if end > 0 else _SLOT_CHARS


def _words_and_lead(body: str) -> tuple[list[str], str, list[str]]:
    """The words (`find_words`) of the body's `plain_text`, that text, and the words and sentence
    breaks of its lead as written (`_slots` reads their case). One regex pass over the body:
    its words are the lead's ones lower-cased, then the rest's. The plain text's words are
    read again where that is cheaper (ASCII: split in C) or where they would differ: markup
    or an entity taken out, a word cut at the lead's end, or lower-casing that is not one
    character for one ("İ" is two, "Σ" depends on the next letter; every other character
    lowers to one of its own classes: word, mark, break)."""
    lowered = body.lower()
    text = _unmarked(lowered)
    end = _lead_end(body)
    lead = find_words_and_breaks(body[:end])
    if (
        text.isascii()
        or text != lowered
        or len(lowered) != len(body)
        or "\u03a3" in body
        or (end < len(body) and body[end] not in "\n.")
    ):
        return find_words(text), text, lead
    cased = [token for token in lead if token[0] not in BREAK_STARTS]
    # One lower-casing call ("\0" is in no word); the rest is read in the lower-cased text.
    words = "\0".join(cased).lower().split("\0") if cased else []
    return words + find_words(lowered[end:]), text, lead


@functools.lru_cache(maxsize=1 << 16)
def _name(token: str) -> str:
    """A name read as its set of consonants, accents left out: a typo (a letter doubled, two
    swapped, a vowel changed) or a spelling (advisers, advisors; Kyiv, Kiev; Erdoğan, Erdogan)
    is the same name."""
    letters = unicodedata.normalize("NFKD", token.lower())
    return "".join(sorted(set(letters) - _VOWELS - _MARKS))


def _slots(tokens: list[str]) -> U32:
    """Where the text puts its names and figures, from its lead's words and sentence breaks
    (`find_words_and_breaks`): per run of them in a sentence (a name is a capitalised word that
    does not start the sentence, a figure a word with a digit), the 16-bit hash of the words
    either side (the slot) with the 16-bit hash of each name (`_name`) and one of all the
    run's figures (lowest bit set: "0.52" is one entry, another than "0.27"; "Reggie Bush" and
    "Bush" share one)."""
    count = len(tokens)
    if not count:
        return np.zeros(0, dtype=np.uint32)
    # Flags from each token's first character, in C loops (`map`), not a Python one per word.
    firsts = "".join(map(operator.itemgetter(0), tokens))
    lowered = firsts.lower()
    if len(lowered) != count:  # a capital that lowercases to two characters
        lowered = "".join(first.lower()[0] for first in firsts)
    codes = np.frombuffer(firsts.encode("utf-32-le"), dtype=np.uint32)
    is_break = (codes[:, np.newaxis] == _BREAK_CODES).any(axis=1)
    alphabetic = np.fromiter(map(str.isalpha, tokens), dtype=np.bool_, count=count)
    for index in np.flatnonzero(~alphabetic & ~is_break):
        alphabetic[index] = lettered(tokens[index])  # a word with a vowel sign is no figure
    capital = codes != np.frombuffer(lowered.encode("utf-32-le"), dtype=np.uint32)
    starts = np.concatenate(([True], is_break[:-1]))
    cues = np.flatnonzero(~is_break & (~alphabetic | (capital & ~starts)))
    if not len(cues):
        return np.zeros(0, dtype=np.uint32)
    # Runs of consecutive cues: (first, last) positions; each entry's slot and cue as text,
    # hashed together in one call.
    cut = np.flatnonzero(np.diff(cues) != 1) + 1
    slots: list[str] = []
    values: list[str] = []
    figures: list[int] = []
    lettered_tokens = alphabetic.tolist()
    for first, last in zip(
        cues[np.concatenate(([0], cut))].tolist(),
        cues[np.concatenate((cut - 1, [len(cues) - 1]))].tolist(),
        strict=True,
    ):
        before = tokens[first - 1] if first else "\n"
        after = tokens[last + 1] if last + 1 < count else "\n"
        slot = " ".join(
            (
                "^" if before[0] in BREAK_STARTS else before.lower(),
                "$" if after[0] in BREAK_STARTS else after.lower(),
            )
        )
        run = tokens[first : last + 1]
        letters = lettered_tokens[first : last + 1]
        names = [_name(token) for token, alpha in zip(run, letters, strict=True) if alpha]
        slots.extend([slot] * len(names))
        values.extend(names)
        if len(names) < len(run):
            slots.append(slot)
            figure = [token for token, alpha in zip(run, letters, strict=True) if not alpha]
            values.append(" ".join(token.lower() for token in figure))
            figures.append(len(values) - 1)
    slot_hashes, value_hashes = RMinHash.hash_token_sets([slots, values])
    high = np.uint64(48)
    slot_part = (np.array(slot_hashes, dtype=np.uint64) >> high).astype(np.uint32) << 16
    value_part = (np.array(value_hashes, dtype=np.uint64) >> high).astype(np.uint32) & 0xFFFE
    value_part[figures] |= 1
    return np.unique(slot_part | value_part)


def _swaps(new: U32, old: U32, figures: int) -> tuple[int, U32]:
    """How many slots both texts fill with names (`figures` 0) or figures (1), and those of
    them where the two hold nothing in common (the slots' 16-bit hashes)."""
    new, old = new[(new & 1) == figures], old[(old & 1) == figures]
    shared = np.intersect1d(new >> 16, old >> 16)
    agreeing = np.intersect1d(new, old, assume_unique=True) >> 16
    return len(shared), np.setdiff1d(shared, agreeing)


def _lead_with_digits(body: str, lead: list[str], language: str) -> list[str]:
    """The lead's words and breaks (`_words_and_lead`) with its numbers written as words read
    in digits (`numberwords`), for the slots only: "killing three and injuring 12" and
    "killing seven and injuring 19" then swap two slots, as the same texts in digits do, and
    a copy writing "3" where the other wrote "three" fills its slot alike. The words, the
    shingles and the fingerprint stay the text's own."""
    cased = [token for token in lead if token[0] not in BREAK_STARTS]
    if not cased:
        return lead
    converted = with_digits(body[: _lead_end(body)], "\0".join(cased).lower().split("\0"), language)
    return lead if converted is None else find_words_and_breaks(converted)


def extract_features(
    body: str, key_word_length: int = 6, headline: str = "", language: str = ""
) -> Features:
    """One regex pass for the words and the slots (`_words_and_lead`), one hashing call in
    rensa for the words. `language` (the article's): numbers written as words count as
    figures in the slots where text2num reads the language (`numberwords`)."""
    tokens, text, lead = _words_and_lead(body)
    if language in THRESHOLDS:
        lead = _lead_with_digits(body, lead, language)
    words, paired = _units(tokens, text)
    if headline:
        title_text = plain_text(headline)
        heading = _units(find_words(title_text), title_text)[0]
    else:
        heading = []
    (tokens, heading_tokens) = RMinHash.hash_token_sets([words, heading])
    count = len(words)
    lengths = np.fromiter(map(len, words), dtype=np.int32, count=count)
    alphabetic = np.fromiter(map(str.isalpha, words), dtype=np.bool_, count=count)
    for index in np.flatnonzero(~alphabetic):
        # A word with a combining mark is no figure (a Thai gram, a Devanagari word...).
        alphabetic[index] = lettered(words[index])
    hashes = np.array(tokens, dtype=np.uint64)
    high = (hashes >> np.uint64(32)).astype(np.uint32)
    is_content = (lengths >= _CONTENT_LENGTH) | ~alphabetic
    is_key = (lengths >= key_word_length) | ~alphabetic
    if paired is not None:
        # A character pair or 4-gram carries no length to judge it by: every one is a content
        # word and a key word (the whole-text index would otherwise see none of them).
        is_content |= paired
        is_key |= paired
    content = high[is_content]
    is_key = is_key[is_content]
    numbers = np.unique(high[~alphabetic])
    _, first = np.unique(content, return_index=True)
    first.sort()
    distinct = content[first]
    if len(hashes) >= _SHINGLE:
        span = len(hashes) - _SHINGLE + 1
        mixed = hashes[:span] * _MIX[0]
        for offset in range(1, _SHINGLE):
            mixed ^= hashes[offset : offset + span] * _MIX[offset]
    else:
        mixed = hashes * _MIX[0]
    shingles = np.unique((mixed >> np.uint64(32)).astype(np.uint32))
    sampled = len(shingles) > _SAMPLE_ABOVE
    if sampled:
        shingles = _subsample(shingles)
    heading_hashes = np.array(heading_tokens, dtype=np.uint64) >> np.uint64(32)
    heading_lengths = np.fromiter(map(len, heading), dtype=np.int32, count=len(heading))
    title = np.unique(heading_hashes[heading_lengths >= _CONTENT_LENGTH].astype(np.uint32))
    slots = _slots(lead if paired is None else _slot_words(lead, text))
    return Features(
        distinct,
        shingles,
        sampled,
        numbers,
        is_key[first],
        slots,
        title,
        _subject(headline, slots),
        polarity(lead, language),
    )


def _names(slots: U32) -> U32:
    """The names (cue hashes) a text's slots hold, figures left out."""
    return np.unique(slots[(slots & 1) == 0] & 0xFFFF)


def _subject(headline: str, slots: U32) -> U32:
    """What the headline names (a capitalised word that does not start it, hashed as a slot's
    name) and the body names too: the place, company or race the report is about."""
    heading = _slot_words(find_words_and_breaks(headline[: _lead_end(headline)]), headline)
    return np.intersect1d(_names(_slots(heading)), _names(slots))


def _subsample(shingles: U32) -> U32:
    kept: U32 = shingles[(shingles & np.uint32((1 << _SAMPLE_BITS) - 1)) == 0]
    return kept


def longest_increasing(sequence: list[int]) -> int:
    """Length of the longest increasing subsequence (patience sorting, n log n)."""
    tails: list[int] = []
    for value in sequence:
        place = bisect.bisect_left(tails, value)
        if place == len(tails):
            tails.append(value)
        else:
            tails[place] = value
    return len(tails)


def compare(new: Features, old: Features, lead_check: int = 20) -> dict[str, float]:
    """The verification signals between two articles."""
    shared, new_at, old_at = np.intersect1d(
        new.words, old.words, assume_unique=True, return_indices=True
    )
    count = len(shared)
    smaller = max(1, min(len(new.words), len(old.words)))
    larger = max(1, len(new.words), len(old.words))
    # Order of the shared words in the old article, read in the new one's order: a copy or a
    # rewrite keeps it, another article on the same story does not.
    order = longest_increasing(old_at[np.argsort(new_at)].tolist()) / count if count else 0.0
    # Shared words at about the same relative place in both: a rewrite keeps its sentences
    # where they were; another article on the story uses the same names anywhere.
    drift = np.abs(new_at / max(1, len(new.words)) - old_at / max(1, len(old.words)))
    aligned = int((drift <= _ALIGN_TOLERANCE).sum()) / smaller
    new_sh, old_sh = new.shingles, old.shingles
    if new.sampled != old.sampled:
        new_sh, old_sh = (
            (new_sh, _subsample(old_sh)) if new.sampled else (_subsample(new_sh), old_sh)
        )
    shingle_shared = len(np.intersect1d(new_sh, old_sh, assume_unique=True))
    number_union = number_share = 0.0
    if new.numbers is not None and old.numbers is not None:
        common = len(np.intersect1d(new.numbers, old.numbers, assume_unique=True))
        number_union = float(len(new.numbers) + len(old.numbers) - common)
        number_share = common / number_union if number_union else 0.0
    # Either lead found in the other text (a truncated copy keeps the lead; a localised one
    # keeps the original's inside its own).
    lead = max(
        float(np.isin(new.words[:lead_check], old.words).mean()) if len(new.words) else 1.0,
        float(np.isin(old.words[:lead_check], new.words).mean()) if len(old.words) else 1.0,
    )
    slots = swaps = figure_swaps = 0
    if new.slots is not None and old.slots is not None:
        name_slots, name_swaps = _swaps(new.slots, old.slots, 0)
        figure_slots, figure_swapped = _swaps(new.slots, old.slots, 1)
        figure_swaps = len(figure_swapped)
        slots, swaps = name_slots + figure_slots, len(name_swaps) + figure_swaps
    return {
        "shared": float(count),
        "jaccard": count / max(1, len(new.words) + len(old.words) - count),
        "containment": count / smaller,
        "order": order,
        "aligned": aligned,
        "shingles": shingle_shared / max(1, min(len(new_sh), len(old_sh))),
        "length_ratio": smaller / larger,
        "numbers": number_share,
        "number_union": number_union,
        "smaller": float(min(len(new.words), len(old.words))),
        "lead": lead,
        "slots": float(slots),
        "swaps": float(swaps),
        "figure_swaps": float(figure_swaps),
        "headline": headline_share(new, old),
        "subject_swapped": float(subject_swapped(new, old)),
        "negations": float(
            flipped(new.polarity, old.polarity)
            if new.polarity is not None and old.polarity is not None
            else 0
        ),
    }


def headline_share(new: Features, old: Features) -> float:
    """Share of the shorter headline's content words in the other (1.0 when either is not
    known or has none)."""
    if new.headline is None or old.headline is None:
        return 1.0
    titles = min(len(new.headline), len(old.headline))
    if not titles:
        return 1.0
    return len(np.intersect1d(new.headline, old.headline, assume_unique=True)) / titles


def subjects_apart(new: Features, old: Features) -> bool:
    """Each headline names something (`Features.subject`) the other text does not name: the
    two are about another place, company or race (entries without them: not known, False)."""
    return (
        new.slots is not None
        and old.slots is not None
        and new.subject is not None
        and old.subject is not None
        and len(np.setdiff1d(new.subject, _names(old.slots))) > 0
        and len(np.setdiff1d(old.subject, _names(new.slots))) > 0
    )


def _subject_placed(subject: U32, slots: U32, other: U32) -> bool:
    """A name of the subject the other text does not name sits in a slot the other fills."""
    names = slots[(slots & 1) == 0]
    placed = names[np.isin(names & 0xFFFF, np.setdiff1d(subject, _names(other)))] >> 16
    return len(np.intersect1d(placed, other >> 16)) > 0


def subject_swapped(new: Features, old: Features) -> bool:
    """The headlines are about other things (`subjects_apart`), and one text puts its
    subject where the other puts another name: a template's report for the next airport,
    region or district, which one swapped slot (a typo's allowance) would let through."""
    if (
        new.slots is None
        or old.slots is None
        or new.subject is None
        or old.subject is None
        or not subjects_apart(new, old)
    ):
        return False
    return _subject_placed(new.subject, new.slots, old.slots) or _subject_placed(
        old.subject, old.slots, new.slots
    )


def content_key(article: Article, short: bool = False) -> str:
    """Exact-copy key: the body fingerprint; the headline is compared on a hit. A `short`
    body (too few words to tell an event: a flash's "This is a breaking news update...")
    is keyed with its headline."""
    if short:
        text = f"{' '.join(article.headline.lower().split())}\n{article.fingerprint}"
        return FINGERPRINT + xxhash.xxh3_128_hexdigest(text.encode())
    return FINGERPRINT + article.fingerprint


def _headline_hash(article: Article) -> str:
    return xxhash.xxh3_64_hexdigest(" ".join(article.headline.lower().split()).encode())


@dataclass(slots=True)
class RetrievalCounts:
    """Running totals of candidate retrieval: LSH candidates (both indexes) and those left by
    the digest estimate for full comparison, over the articles that reached the LSH query."""

    queries: int = 0
    candidates: int = 0
    verified: int = 0


class _Sketch:
    """An article's two MinHashes (for the LSH indexes) and their digests (for the matrices)."""

    __slots__ = ("full", "full_digest", "lead", "lead_digest")

    def __init__(self, full: RMinHash, lead: RMinHash) -> None:
        self.full, self.lead = full, lead
        self.full_digest, self.lead_digest = _digest(full), _digest(lead)


class DedupIndex:
    """Candidate retrieval (rensa MinHash LSH) and verification over a changelog-backed store."""

    def __init__(self, store: MutableMapping[str, Any], config: DedupConfig | None = None) -> None:
        self.store = store
        self.config = config or DedupConfig()
        self._full = RMinHashLSH(0.5, self.config.num_perm, self.config.num_bands)
        self._lead = RMinHashLSH(0.5, self.config.lead_perm, self.config.lead_bands)
        # LSH keys are rows of two digest matrices (whole text, lead), reused once freed: one
        # contiguous block instead of two arrays per article, gathered in one step per query.
        self._ids: dict[int, str] = {}
        self._keys: dict[str, int] = {}
        self._free: list[int] = []
        self._full_digests: U32 = np.zeros((0, self.config.num_perm), dtype=np.uint32)
        self._lead_digests: U32 = np.zeros((0, self.config.lead_perm), dtype=np.uint32)
        # find_duplicate's features and MinHashes, reused by the remember call that follows.
        self._last: tuple[str, str, Features] | None = None
        self._last_sketch: tuple[Features, _Sketch] | None = None
        self.counts = RetrievalCounts()
        self._stamps = Stamps()
        self.rebuild()

    def _minhash(self, words: U32, num_perm: int) -> RMinHash:
        minhash = RMinHash(num_perm=num_perm, seed=self.config.seed)
        minhash.update(words.astype("<u4").view("S4").tolist())
        return minhash

    def _sketch(self, features: Features) -> _Sketch:
        last = self._last_sketch
        if last is not None and last[0] is features:
            return last[1]
        sketch = _Sketch(
            self._minhash(features.key_words(self.config.min_key_words), self.config.num_perm),
            self._minhash(features.words[: self.config.lead_words], self.config.lead_perm),
        )
        self._last_sketch = (features, sketch)
        return sketch

    def _index(self, article_id: str, features: Features) -> None:
        sketch = self._sketch(features)
        if not self._free:
            rows = len(self._full_digests)
            grown = max(1024, 2 * rows)
            self._full_digests = _grow(self._full_digests, grown)
            self._lead_digests = _grow(self._lead_digests, grown)
            self._free = list(range(grown - 1, rows - 1, -1))
        key = self._free.pop()
        self._ids[key] = article_id
        self._keys[article_id] = key
        self._full_digests[key] = sketch.full_digest
        self._lead_digests[key] = sketch.lead_digest
        self._full.insert(key, sketch.full)
        self._lead.insert(key, sketch.lead)

    def _unindex(self, article_id: str) -> None:
        key = self._keys.pop(article_id, None)
        if key is not None:
            del self._ids[key]
            self._free.append(key)
            self._full.remove(key)
            self._lead.remove(key)

    def rebuild(self) -> None:
        """Recreate the in-memory LSH indexes and digest cache from the store."""
        self._full = RMinHashLSH(0.5, self.config.num_perm, self.config.num_bands)
        self._lead = RMinHashLSH(0.5, self.config.lead_perm, self.config.lead_bands)
        self._ids.clear()
        self._keys.clear()
        self._free = []
        self._full_digests = self._full_digests[:0]
        self._lead_digests = self._lead_digests[:0]
        self._stamps.clear()
        for key, value in list(self.store.items()):
            stamp = _stamp(key, value)
            if stamp is not None:
                self._stamps.set(key, stamp)
            if key.startswith(DOC):
                self._index(key[len(DOC) :], Features.from_store(value))

    def _live(self, entry_time: float, now: float) -> bool:
        return now - entry_time <= self.config.horizon_seconds

    def find_duplicate(self, article: Article, now: float) -> DedupDecision:
        """The live article this one copies, with the kind of copy; or unique."""
        previous = self.store.get(GUID + article.guid)
        if previous is not None and (previous[0] == article.id or not self._live(previous[2], now)):
            previous = None
        if previous is not None:
            if article.version > previous[1]:
                return DedupDecision("version", previous[0], 1.0)
            # An older version that comes after a newer one (feeds resend, outlets lag): the
            # current version stands, and this one is hidden as a copy of it.
            if article.version < previous[1] or _earlier(article, previous):
                return DedupDecision("superseded", previous[0], 1.0)
            # Another status at the same number (a kill notice, an embargo lifted, the text
            # unchanged) is the item's news: its body alone would make it an exact copy.
            if len(previous) > 4 and previous[4] != article.pubstatus:
                return DedupDecision("version", previous[0], 1.0)
            # Another text at the same number (an item sent without version numbers and
            # corrected) is the item's news, even when an outlet's copy of the new text came
            # first: its body alone would make it a copy of that copy, and the correction
            # would never be published. (An entry written before the body was kept, [:5],
            # is judged below, after the body.)
            if (
                article.version == previous[1]
                and len(previous) > 5
                and previous[5] != article.fingerprint
            ):
                return DedupDecision("version", previous[0], 1.0)
        features = self._features(article)
        short = len(features.words) < self.config.short_body_words
        # A body too short to tell an event (a flash's "This is a breaking news update...")
        # is an exact copy with its headline, a near copy under a headline that agrees.
        for key in (
            (content_key(article, short=True), content_key(article))
            if short
            else (content_key(article),)
        ):
            exact = self.store.get(key)
            if exact is None or not self._live(exact[1], now):
                continue
            # The first article seen with this body, else the latest (past the horizon, the
            # first is forgotten while its copies still arrive).
            holder = next(
                (
                    held
                    for held in exact[:1] + exact[3:4]
                    if held != article.id and self._doc_live(held, now)
                ),
                None,
            )
            if holder is None:
                continue
            if exact[2] == _headline_hash(article):
                return self._to_original(DedupDecision("exact", holder, 1.0), now)
            if not short or self._headlines_agree(features, holder):
                return self._to_original(
                    DedupDecision("near_copy", holder, 1.0, {"shingles": 1.0}), now
                )
        # Another text under the guid at the same number: an item sent without version
        # numbers (plain RSS, NITF without one) and corrected.
        if previous is not None and article.version == previous[1]:
            return DedupDecision("version", previous[0], 1.0)
        return self._find_similar(article, self._features(article), now)

    def _headlines_agree(self, features: Features, other_id: str) -> bool:
        other = Features.from_store(self.store[DOC + other_id])
        return headline_share(features, other) >= self.config.min_headline_share

    def _doc_live(self, article_id: str, now: float) -> bool:
        doc = self.store.get(DOC + article_id)
        return doc is not None and self._live(doc["t"], now)

    def _to_original(self, decision: DedupDecision, now: float) -> DedupDecision:
        """A copy of a hidden copy is a copy of that one's original while the original is
        within the horizon: the kind is the weaker of the two links (an exact resend of a
        rewrite is a rewrite of the original) and the score the lower."""
        matched = decision.duplicate_of
        doc = self.store.get(DOC + matched) if matched is not None else None
        original = doc.get("o") if doc is not None else None
        if doc is None or original is None or not self._doc_live(original, now):
            return decision
        kinds: list[DuplicateKind] = [k for k in (decision.kind, doc.get("dk")) if k]
        kind = max(kinds, key=_WEAKNESS.__getitem__, default=None)
        return DedupDecision(
            kind, original, min(decision.score, doc.get("ds", 1.0)), decision.evidence
        )

    def _features(self, article: Article) -> Features:
        last = self._last
        if last is not None and last[0] == article.id and last[1] is article.body:
            return last[2]
        features = extract_features(
            article.body, self.config.key_word_length, article.headline, article.language
        )
        self._last = (article.id, article.body, features)
        return features

    def _candidates(self, features: Features) -> list[int]:
        sketch = self._sketch(features)
        keys = list(set(self._full.query(sketch.full)) | set(self._lead.query(sketch.lead)))
        self.counts.queries += 1
        if not keys:
            return []
        rows = np.array(keys, dtype=np.intp)
        estimate = (self._full_digests[rows] == sketch.full_digest).mean(axis=1)
        lead_estimate = (self._lead_digests[rows] == sketch.lead_digest).mean(axis=1)
        keep = (estimate >= self.config.min_estimate) | (
            lead_estimate >= self.config.min_lead_estimate
        )
        kept: list[int] = rows[keep].tolist()
        self.counts.candidates += len(keys)
        self.counts.verified += len(kept)
        return kept

    def _find_similar(self, article: Article, features: Features, now: float) -> DedupDecision:
        best: tuple[float, float, str, DuplicateKind, dict[str, float]] | None = None
        others: list[str] = []
        for key in self._candidates(features):
            candidate_id = self._ids[key]
            doc = self.store.get(DOC + candidate_id)
            if candidate_id == article.id or doc is None or not self._live(doc["t"], now):
                continue
            other = Features.from_store(doc)
            signals = compare(features, other, self.config.lead_check)
            kind = self.classify(signals)
            if kind is None:
                if self.other_event(signals, features, other):
                    others.append(candidate_id)
                continue
            score = signals["shingles"] if kind == "near_copy" else signals["jaccard"]
            # The strongest evidence wins; between equals, the first one seen.
            rank = (1.0 if kind == "near_copy" else 0.0) + score
            if best is None or rank > best[0] or (rank == best[0] and doc["t"] < best[1]):
                best = (rank, doc["t"], candidate_id, kind, signals)
        if best is None:
            return DedupDecision(None, None, 0.0, other_events=tuple(sorted(others)))
        _, _, candidate_id, kind, signals = best
        score = signals["shingles"] if kind == "near_copy" else signals["jaccard"]
        return self._to_original(DedupDecision(kind, candidate_id, score, signals), now)

    def classify(self, signals: dict[str, float]) -> DuplicateKind | None:
        """Near copy, rewrite, or not a copy, from the verification signals."""
        config = self.config
        if (
            signals["shared"] < config.min_shared_words
            or not self._same_event(signals)
            or signals.get("negations", 0.0)
        ):
            return None
        if (
            signals["shingles"] >= config.near_copy_shingles
            and signals["containment"] >= config.near_copy_containment
            and self._same_facts(signals, "swaps")
            and not signals.get("subject_swapped", 0.0)
        ):
            return "near_copy"
        if (
            signals["shared"] >= config.rewrite_shared_words
            and signals["jaccard"] >= config.rewrite_jaccard
            and signals["aligned"] >= config.rewrite_aligned
            and signals["length_ratio"] >= config.rewrite_length_ratio
            and (
                signals["number_union"] < config.rewrite_min_numbers
                or signals["numbers"] >= config.rewrite_numbers
            )
            and self._same_facts(signals, "figure_swaps")
            and not (
                signals.get("subject_swapped", 0.0)
                and signals["shingles"] >= config.template_shingles
            )
        ):
            return "rewrite"
        return None

    def other_event(self, signals: dict[str, float], new: Features, old: Features) -> bool:
        """Written alike yet telling another event (quakes in two places, two companies'
        results): other names and other figures in the same places, and each headline names
        something the other text does not. A report of one event keeps what its headline is
        about (the county of a revised quake, the race of an election whose lead changed,
        the place of a toll raised) while names in its body change."""
        config = self.config
        if (
            signals["shingles"] < config.near_copy_shingles
            or signals["containment"] < config.near_copy_containment
            or not subjects_apart(new, old)
            or new.slots is None
            or old.slots is None
        ):
            return False
        _, names = _swaps(new.slots, old.slots, 0)
        _, figures = _swaps(new.slots, old.slots, 1)
        return (
            len(names) > 0
            and len(figures) > 0
            and len(np.union1d(names, figures)) >= config.other_event_slots
        )

    def _same_event(self, signals: dict[str, float]) -> bool:
        """What any copy shares with its original beyond wording: a lead, and for a body too
        short to tell an event, the headline (signals of older entries default to agreeing)."""
        config = self.config
        headline = signals.get("headline", 1.0) >= config.min_headline_share
        background = signals["shared"] < (
            config.lead_exempt_shared if headline else config.lead_exempt_retitled
        )
        if background and signals.get("lead", 1.0) < config.min_lead:
            return False
        return (
            signals.get("smaller", config.short_body_words) >= config.short_body_words or headline
        )

    def _same_facts(self, signals: dict[str, float], swaps: str) -> bool:
        """No other name or figure in the other's place, beyond a typo or a date stamp."""
        allowed = max(self.config.max_swaps, self.config.swap_share * signals.get("slots", 0.0))
        return signals.get(swaps, 0.0) <= allowed

    def remember(self, article: Article, decision: DedupDecision, now: float) -> None:
        """Record an article so later arrivals can match it. A hidden copy is kept too, with
        its original and how it copies it: a copy of a copy (a truncated re-publication)
        links to the first seen."""
        current = self.store.get(GUID + article.guid)
        if (
            not decision.is_duplicate
            or current is None
            or not self._live(current[2], now)
            or current[0] == article.id
        ):
            # A hidden copy (a resend, an older version come late) never moves the item's
            # current version; the first version seen of an item is its current one even
            # when hidden (its correction is then published as a version of it).
            self.store[GUID + article.guid] = [
                article.id,
                article.version,
                now,
                article.versioncreated,
                article.pubstatus,
                article.fingerprint,
            ]
            self._stamps.set(GUID + article.guid, now)
        features = self._features(article)
        doc = features.to_store(now)
        if decision.is_duplicate:
            # "dk", "ds": how it copies the original (kind, score); "k" is the key-word mask.
            doc |= {"o": decision.duplicate_of, "dk": decision.kind, "ds": decision.score}
        else:
            doc["o"] = None
        self.store[DOC + article.id] = doc
        self._stamps.set(DOC + article.id, now)
        # [first holder of the body, when last seen, its headline, latest holder]: the
        # latest takes over when the first passes the horizon.
        # A short body is also kept under its headline (`find_duplicate`).
        short = len(features.words) < self.config.short_body_words
        for fingerprint_key in (content_key(article), content_key(article, short=True))[
            : 1 + short
        ]:
            known = self.store.get(fingerprint_key)
            if known is not None and self._live(known[1], now) and self._doc_live(known[0], now):
                value = [known[0], now, known[2], article.id]
            else:
                value = [article.id, now, _headline_hash(article), article.id]
            self.store[fingerprint_key] = value
            self._stamps.set(fingerprint_key, now)
        self._unindex(article.id)
        self._index(article.id, features)

    def evict(self, now: float) -> int:
        """Forget articles older than the horizon (what is old is read from memory; the store
        is only written)."""
        expired = 0
        for key in self._stamps.expired(now, self.config.horizon_seconds):
            if key in self.store:
                del self.store[key]
            if key.startswith(DOC):
                self._unindex(key[len(DOC) :])
                expired += 1
        return expired


# How far a kind of copy is from its original: following a chain, the weaker link wins.
_WEAKNESS: dict[DuplicateKind, int] = {
    "exact": 0,
    "near_copy": 1,
    "rewrite": 2,
    "superseded": 3,
}


def _earlier(article: Article, current: list[Any]) -> bool:
    """Whether an article at the current version's number was written before it (an item
    without version numbers, its correction already here): only when both carry the time."""
    written = current[3] if len(current) > 3 else None
    return (
        article.versioncreated is not None
        and written is not None
        and article.versioncreated < written
    )


def _stamp(key: str, value: Any) -> float | None:
    """When a stored entry was written (None: a key eviction leaves alone)."""
    if key.startswith(DOC):
        return float(value["t"])
    if key.startswith(GUID):
        return float(value[2])
    if key.startswith(FINGERPRINT):
        return float(value[1])
    return None
