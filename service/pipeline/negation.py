"""Polarity: where a text says "not" and the other says the same words without it."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from rensa import RMinHash

from service.pipeline.tokens import BREAK_STARTS

U32 = npt.NDArray[np.uint32]

# Words that negate a clause, as `find_words` reads them (lower case; "didn't" is "didn", "t";
# "n'a" is "n", "a"), per language. Only words that negate and little else: a language whose
# negation is a suffix (Turkish "-me", Japanese "-nai") is covered by its free words only, and
# CJK text, read as character pairs, not at all.
NEGATIONS: dict[str, frozenset[str]] = {
    "en": frozenset({"not", "no", "never", "t", "cannot", "nor", "neither"}),
    "fr": frozenset({"ne", "n", "pas", "jamais", "aucun", "aucune", "ni", "non"}),
    "de": frozenset(
        {"nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals"}
    ),
    "nl": frozenset({"niet", "geen", "nooit"}),
    "es": frozenset({"no", "nunca", "jamás", "ni", "tampoco"}),
    "pt": frozenset({"não", "nunca", "jamais", "nem"}),
    "it": frozenset({"non", "mai", "né"}),
    "ro": frozenset({"nu", "niciodată"}),
    "ca": frozenset({"no", "mai", "ni"}),
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
    "tr": frozenset({"değil", "yok", "hiç", "asla"}),
    "ar": frozenset({"لا", "لم", "لن", "ليس", "ليست", "ليسوا", "غير"}),
    "fa": frozenset({"نه", "هرگز"}),
    "he": frozenset({"לא", "אין", "אינו", "אינה", "מעולם"}),
    "hi": frozenset({"नहीं", "न", "मत"}),
    "id": frozenset({"tidak", "tak", "bukan", "belum", "tiada"}),
    "ms": frozenset({"tidak", "tak", "bukan", "belum", "tiada"}),
}


# Words either side of a negation, two each: a pair alone ("as to", "that their") is in many
# texts; four words in a row are in the other text when it says the same clause.
_SIDE = 2
# Odd multipliers mixing four consecutive word hashes into one (wraps mod 2**64).
_MIX = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93],
    dtype=np.uint64,
)


def _runs(hashes: npt.NDArray[np.uint64], starts: npt.NDArray[np.intp]) -> U32:
    """The 32-bit hashes of the runs of four words starting at `starts`."""
    mixed = np.zeros(len(starts), dtype=np.uint64)
    for offset, factor in enumerate(_MIX):
        mixed ^= hashes[starts + offset] * factor
    return np.unique((mixed >> np.uint64(32)).astype(np.uint32))


def polarity(tokens: list[str], language: str) -> tuple[U32, U32] | None:
    """A lead's runs of four words and its negated places, as 32-bit hashes (None: no negation
    words known for the language). `tokens` are words and sentence breaks
    (`find_words_and_breaks`). A negated place is the four words around a run of negation
    words, read as if the run were not there ("on Friday voted not to approve": "friday voted
    to approve"; "l'Assemblée ne l'a pas adopté le texte": "assemblée l a adopté" and "l a
    adopté le"): among the other text's runs, it is the same clause said without them."""
    negators = NEGATIONS.get(language)
    if negators is None:
        return None
    # One lower-casing call ("\0" is in no word); every break is one "\n".
    lowered = "\0".join(tokens).lower().split("\0") if tokens else []
    lowered = ["\n" if word[0] in BREAK_STARTS else word for word in lowered]
    negating = np.fromiter(map(negators.__contains__, lowered), np.bool_, len(lowered))
    edge = ["\n"] * _SIDE
    (hashes,) = RMinHash.hash_token_sets([[*edge, *lowered, *edge]])
    padded = np.array(hashes, dtype=np.uint64)
    size = 2 * _SIDE
    # The runs read past either end as breaks, as the negated places do.
    runs = _runs(padded, np.arange(len(padded) - size + 1))
    if not negating.any():
        return runs, np.zeros(0, dtype=np.uint32)
    # Each run of negation words leaves a gap in the words kept: the run's start, counted in
    # kept words; a gap's place starts `_SIDE` words before it, in the padded kept words.
    kept = np.concatenate((np.ones(_SIDE, np.bool_), ~negating, np.ones(_SIDE, np.bool_)))
    starts = np.flatnonzero(negating & ~np.concatenate(([False], negating[:-1])))
    # A run starts at a negation word: the words kept before it are the kept count there.
    gaps: npt.NDArray[np.intp] = np.cumsum(~negating, dtype=np.intp)[starts]
    return runs, _runs(padded[kept], gaps)


def flipped(new_pairs: U32, new_negated: U32, old_pairs: U32, old_negated: U32) -> int:
    """Places one text negates and the other says without the negation (both orders)."""
    return len(np.intersect1d(np.setdiff1d(new_negated, old_negated), old_pairs)) + len(
        np.intersect1d(np.setdiff1d(old_negated, new_negated), new_pairs)
    )
