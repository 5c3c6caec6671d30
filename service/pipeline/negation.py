"""Polarity: the same sentence negated in one text and said without the negation in another."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from rensa import RMinHash

from service.pipeline.tokens import BREAK_STARTS, lettered

U32 = npt.NDArray[np.uint32]

# Words that negate a clause, as `find_words` reads them (lower case; "didn't" is "didn", "t";
# "n'a" is "n", "a"), per language. Only words that negate and little else: a language whose
# negation is a suffix (Turkish "-me", Japanese "-nai") is covered by its free words only, and
# CJK text, read as character pairs, not at all.
NEGATIONS: dict[str, frozenset[str]] = {
    "en": frozenset({"not", "never", "t", "cannot"}),
    "fr": frozenset({"ne", "n", "pas", "jamais"}),
    "de": frozenset(
        {"nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals"}
    ),
    "nl": frozenset({"niet", "geen", "nooit"}),
    "es": frozenset({"no", "nunca", "jamás"}),
    "pt": frozenset({"não", "nunca", "jamais"}),
    "it": frozenset({"non", "mai"}),
    "ro": frozenset({"nu", "niciodată"}),
    "ca": frozenset({"no", "mai"}),
    "ru": frozenset({"не", "нет", "ни", "никогда"}),
    "uk": frozenset({"не", "ні", "ніколи"}),
    "bg": frozenset({"не", "няма", "никога"}),
    "pl": frozenset({"nie", "nigdy", "żaden", "żadna", "żadne"}),
    "cs": frozenset({"ne", "nikdy"}),
    "sk": frozenset({"nie", "nikdy"}),
    "hr": frozenset({"ne", "nije", "nisu", "nikad", "nikada"}),
    "sr": frozenset({"ne", "nije", "nisu", "nikad", "nikada", "не", "није", "нису", "никад"}),
    "bs": frozenset({"ne", "nije", "nisu", "nikad", "nikada"}),
    "sl": frozenset({"ne", "ni", "nikoli"}),
    "hu": frozenset({"nem", "nincs", "nincsenek", "soha", "sem"}),
    "sv": frozenset({"inte", "ej", "aldrig", "ingen", "inget", "inga"}),
    "no": frozenset({"ikke", "aldri", "ingen", "intet"}),
    "nb": frozenset({"ikke", "aldri", "ingen", "intet"}),
    "da": frozenset({"ikke", "aldrig", "ingen", "intet"}),
    "fi": frozenset({"ei", "eivät", "en", "et", "emme", "ette"}),
    "el": frozenset({"δεν", "μην", "όχι", "ούτε", "ποτέ"}),
    "tr": frozenset({"değil", "yok"}),
    "ar": frozenset({"لا", "لم", "لن", "ليس", "ليست", "ليسوا", "غير"}),
    "fa": frozenset({"نه", "هرگز"}),
    "he": frozenset({"לא", "אין", "אינו", "אינה", "מעולם"}),
    "hi": frozenset({"नहीं", "न", "मत"}),
    "id": frozenset({"tidak", "tak", "bukan", "belum", "tiada"}),
    "ms": frozenset({"tidak", "tak", "bukan", "belum", "tiada"}),
}


# A sentence is compared when this many of its words are not negation words: "No." or "Not
# yet." alone tell nothing.
_MIN_WORDS = 3


def polarity(tokens: list[str], language: str) -> U32 | None:
    """A lead's sentences read without their negation words, as 32-bit hashes whose lowest
    bit says whether the sentence negated (None: no negation words known for the language).
    `tokens` are words and sentence breaks (`find_words_and_breaks`). A negation word
    followed by a figure or a sentence's end is none ("No 10 Downing Street", "résolution
    n°2728"). The same sentence negated in one text and not in the other is the opposite
    said; a negation moved within its sentence ("no ha llegado nunca", "nunca ha llegado"),
    or kept while an interjection before it goes ("No, I will not resign"), is not."""
    negators = NEGATIONS.get(language)
    if negators is None:
        return None
    # One lower-casing call ("\0" is in no word).
    lowered = "\0".join(tokens).lower().split("\0") if tokens else []
    sentences: list[str] = []
    negated: list[bool] = []
    kept: list[str] = []
    negating = False
    for index, word in enumerate([*lowered, "\n"]):
        if word[0] in BREAK_STARTS:
            if len(kept) >= _MIN_WORDS:
                sentences.append(" ".join(kept))
                negated.append(negating)
            kept, negating = [], False
        elif word in negators and lettered(lowered[index + 1] if index + 1 < len(lowered) else ""):
            negating = True
        else:
            kept.append(word)
    if not sentences:
        return np.zeros(0, dtype=np.uint32)
    (hashes,) = RMinHash.hash_token_sets([sentences])
    high = (np.array(hashes, dtype=np.uint64) >> np.uint64(32)).astype(np.uint32)
    return np.unique((high & np.uint32(0xFFFFFFFE)) | np.array(negated, dtype=np.uint32))


def flipped(new: U32, old: U32) -> int:
    """Sentences one text negates and the other says without the negation."""
    new_negated, new_plain = new[(new & 1) == 1] >> 1, new[(new & 1) == 0] >> 1
    old_negated, old_plain = old[(old & 1) == 1] >> 1, old[(old & 1) == 0] >> 1
    return len(np.intersect1d(new_negated, old_plain)) + len(np.intersect1d(new_plain, old_negated))
