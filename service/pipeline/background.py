"""A language's background: each word's share of articles, from its frequency in the language.

The story stage's IDF prior (`StoryConfig.common`): a shard's first articles tell "the" (in
every article: no weight) and "tras" (in some: a little) from a name. The words come from
wordfreq's lists, shipped in its package: nothing is fetched.

A list is kept compact, since a worker keeps one per language it has seen: the 64-bit hash
of each word (xxh3 of its UTF-8, sorted) and the index of its share among the list's few
hundred distinct ones (wordfreq stores frequencies in steps of a centibel): 10 B a word
instead of the 150 B of a dict entry, its string and its float. A term is looked up by its
hash: one not in the list could take a listed word's share only if their 64-bit hashes
collide (about 1e-15 a term). The shares returned are the floats computed from the
frequencies, so weights are what a dict of them would give.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import xxhash

# Words in an article of this many words, to turn a word's frequency in the language into the
# share of articles that hold it (a wire story runs 300-600 words).
ARTICLE_WORDS = 300

# A shard's language -> the wordfreq list of the same language under another code (Norwegian
# Bokmål; Serbo-Croatian, whose list is in Latin script; Tagalog as Filipino). wordfreq itself
# would answer any other code with its "nearest match" (Albanian with English, Kazakh with
# Russian), a list of another language's words.
WORDFREQ_CODES: Mapping[str, str] = MappingProxyType(
    {"no": "nb", "hr": "sh", "sr": "sh", "bs": "sh", "tl": "fil"}
)

_DIGIT = re.compile(r"\d")


# A word's key: xxh3 of its UTF-8 (a stray surrogate a word like any other). Not Python's own
# string hash, which is over the string's stored form: "数" (U+6570, two bytes) and "pe" (two
# one-byte characters, 0x70 0x65) have one hash.
_ENCODE = operator.methodcaller("encode", "utf-8", "surrogatepass")


def _hashes(words: Sequence[str]) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """Each word's key. Terms hold no spaces: joined, they are encoded at once (a word a call
    costs twice as much), unless one does."""
    encoded = " ".join(words).encode("utf-8", "surrogatepass").split(b" ")
    if len(encoded) != len(words):
        encoded = list(map(_ENCODE, words))
    return np.fromiter(map(xxhash.xxh3_64_intdigest, encoded), dtype=np.uint64, count=len(words))


class WordShares:
    """Words -> their share of articles, looked up by hash (see the module's docstring)."""

    __slots__ = ("_hashes", "_indexes", "_table")

    def __init__(self, shares: Mapping[str, float] | None = None) -> None:
        shares = shares or {}
        distinct = sorted(set(shares.values()))
        hashes = _hashes(list(shares))
        # Index 0 is "not listed".
        indexes = np.searchsorted(np.array(distinct, dtype=np.float64), list(shares.values())) + 1
        order = np.argsort(hashes, kind="stable")
        hashes, indexes = hashes[order], indexes[order]
        # Words of one list with one 64-bit hash (none in wordfreq's lists today): neither is
        # kept, so each has the floor's share instead of a share that may be the other's (and
        # a language's list never fails to load).
        unique = np.ones(len(hashes), dtype=bool)
        same = hashes[1:] == hashes[:-1]
        unique[1:] &= ~same
        unique[:-1] &= ~same
        self._hashes = hashes[unique]
        self._indexes = indexes[unique].astype(np.uint16)
        self._table: tuple[float | None, ...] = (None, *distinct)

    def shares(self, words: Sequence[str]) -> list[float | None]:
        """Each word's share of articles, None for a word not in the list."""
        if not words or not len(self._hashes):
            return [None] * len(words)
        wanted = _hashes(words)
        found = np.searchsorted(self._hashes, wanted)
        found[found == len(self._hashes)] = 0
        indexes = np.where(self._hashes[found] == wanted, self._indexes[found], 0)
        return list(map(self._table.__getitem__, indexes.tolist()))

    def get(self, word: str, default: float | None = None) -> float | None:
        share = self.shares([word])[0]
        return default if share is None else share

    def __getitem__(self, word: str) -> float:
        share = self.shares([word])[0]
        if share is None:
            raise KeyError(word)
        return share

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.shares([word])[0] is not None

    def __len__(self) -> int:
        return len(self._hashes)

    def values(self) -> list[float]:
        """The share of each word in the list (in no particular order)."""
        table = self._table
        return [
            share for share in map(table.__getitem__, self._indexes.tolist()) if share is not None
        ]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WordShares):
            return NotImplemented
        return (
            self._table == other._table
            and np.array_equal(self._hashes, other._hashes)
            and np.array_equal(self._indexes, other._indexes)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"WordShares({len(self)} words)"


NO_WORDS = WordShares()


@functools.cache
def common_words(language: str, above: float) -> WordShares:
    """The words of `language` found in more than `above` of articles, by their frequency in
    the language (wordfreq's word lists, in the package: nothing is fetched), with that share;
    empty for a language it has no list of (`und` among them)."""
    import wordfreq  # here: its import costs a command that never tags stories 0.2 s

    code = WORDFREQ_CODES.get(language, language)
    if code not in wordfreq.available_languages(wordlist="small"):
        return NO_WORDS
    frequencies = wordfreq.get_frequency_dict(code, wordlist="small")
    # wordfreq keeps every list it read (4-5 MB each): only the hashes of the 14,000-27,000
    # words in over a thousandth of articles are kept here.
    wordfreq.get_frequency_dict.cache_clear()
    wordfreq.get_frequency_list.cache_clear()
    shares = (
        (word, 1.0 - (1.0 - frequency) ** ARTICLE_WORDS) for word, frequency in frequencies.items()
    )
    # Figures have their own weight (cues): wordfreq folds every digit into 0.
    return WordShares(
        {word: share for word, share in shares if share > above and not _DIGIT.search(word)}
    )
