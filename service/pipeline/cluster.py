"""Cluster: tag each article with a story, online, from text, entities, numbers and time."""

# Design, in short (README has the figures):
# - An article becomes a sparse vector: sublinear term frequency x online IDF over Unicode
#   word tokens (character pairs in scripts written without spaces), headline counted twice,
#   plus "#"-prefixed features for entity cues (capitalised tokens inside a sentence, where
#   the script has case) and numbers (digits of any script, a decimal as one). Nothing is
#   English-specific: stop words are simply terms whose learned document frequency gives
#   them no weight (until a shard has counted enough articles, the prior takes each word's
#   share of articles from its frequency in the language), and what a language's writing
#   does to names (case endings, capitalised nouns) is a small table of cue rules keyed by
#   the shard's language. Each counted article's distinct terms live in the store (one value
#   per article, not one per term, to keep changelog traffic small); the DF counts are a
#   cache derived from them, and they leave the counts when the article passes the horizon.
# - A story is the sum of its members' unit vectors (pruned to its strongest terms) with its
#   squared norm, so cosine(article, story) needs only the article's terms.
# - Candidates come from an inverted index term -> the stories holding that term among their
#   strongest, by latest arrival; a look-up reads only the most recent of each list, and
#   candidates are capped, so its cost does not grow with the stories. The lists themselves
#   are whole: when a story leaves a term, the one a cut would have dropped is there (as in an
#   index rebuilt from the store).
# - Joining takes two signals: the centroid cosine above a length-dependent threshold and,
#   where both sides carry cues, enough agreement on the cues alone (who, where, how many)
#   with the centroid or with one of the story's latest members.
#   Text without case (Arabic, CJK, lowercased feeds) has only its numbers as cues; text
#   with neither is judged on the cosine alone.
# - Time: a story's score halves every `half_life_seconds` since its last article, and
#   stories older than the horizon are not candidates (evict() forgets them).
# - Merges: a story can be opened twice for one event (the second article arrived before
#   the first story had the words they share). When a later article joins both and the two
#   stories' centroids and cues agree, the smaller story is folded into the larger one, whose
#   id stays; the decision says so ("merged", with the folded ids), so consumers re-point
#   the folded story's articles. Ids never change silently, and the stage never splits on
#   its own: no measure found tells a mixed story from a pure one (README).
# - Editors' commands (correct()): a split moves named articles into a new story, its
#   centroid rebuilt from their stored terms and taken out of the old one; a merge folds
#   named stories into one whose id the editor chose. Each is one explicit event.
from __future__ import annotations

import bisect
import heapq
import math
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import xxhash

from service.models import (
    Article,
    Correction,
    Rejected,
    RejectReason,
    StoryCommand,
    StoryDecision,
    StoryEventKind,
)
from service.pipeline.background import NO_WORDS, WordShares, common_words
from service.pipeline.stamps import Stamps
from service.pipeline.tokens import SENTENCE_BREAK, UNSPACED_RUN, find_words, words

# A digit of another script (Arabic-Indic ٤٥, Persian ۴۵, Devanagari ४५...): `\d` is any
# Unicode decimal digit.
_OTHER_DIGIT = re.compile(r"[^\D0-9]")
_DIGIT = re.compile(r"\d")
# A number with a decimal point or comma and two decimals (2.25, 2,25, Arabic 2٫25): one
# number, not two (its parts made 2.25 % and 4.25 % share the cue 25). Not a group of three
# digits (1.200 is a thousand and two hundred in half the world), nor part of a longer run of
# groups (a date, 3.06.2025).
_DECIMAL = re.compile(r"(?<![\d.,])(\d+)[.,\u066b](\d{2})(?!\d|[.,]\d)")
# What any decimal has: a cheap test before the costlier look for one.
_DECIMAL_MARK = re.compile(r"\d[.,\u066b]\d")

STORY = "story:"
TERMS = "terms:"
ARTICLE = "article:"
MERGED = "merged:"
# An editor's command applied (what it did) or refused (why), and whether its event or dead
# letter is published.
COMMAND = "command:"
WATERMARK = "published-watermark"
# A publication time further ahead of arrival than this is a feed's clock error.
FUTURE_SLACK_SECONDS = 3600.0
ENTITY = "#"
# A story's title (the headline of its first article) is kept to this many characters.
TITLE_CHARS = 160


@dataclass(frozen=True, slots=True)
class CueRules:
    """How a language's writing shapes the names the cues are made of (CUE_RULES)."""

    # Name cues are matched on their first `prefix` characters (0: the whole word): where names
    # take case endings, one name is several words (Путин, Путина, Путину).
    prefix: int = 0
    # Whether one of a story's latest members can vouch for an article whose cues disagree
    # with the centroid's (`member_floor`).
    members: bool = True


# Name cues take the first 5 characters of the word (truncation, the usual dictionary-free stem
# for such languages; endings are 1-3 letters: путин-а, putin-owi, putin-in).
_CASE_ENDINGS = CueRules(prefix=5)
# A capital marks every noun, so a member's strongest "names" are mostly the topic's nouns
# (Prozent, Inflation, Leitzins), which a look-alike shares: only the centroid's cues, summed
# over the story's articles, judge.
_NOUNS_CAPITALISED = CueRules(members=False)

# Cue rules by the shard's language (ISO 639-1): one entry per property of the writing, for
# every language that has it; any other language keeps the defaults (those of English, French,
# Spanish, Turkish, whose suffixed names are split off at the apostrophe: Erdoğan'ın).
CUE_RULES: Mapping[str, CueRules] = MappingProxyType(
    {
        # Slavic languages with noun case: names decline (Путина, Путину; Putina, Putinowi).
        # `sh`: the shard of Croatian, Serbian and Bosnian (`languages.shard_language`).
        **dict.fromkeys(
            ("ru", "uk", "be", "pl", "cs", "sk", "sl", "hr", "sr", "bs", "sh"), _CASE_ENDINGS
        ),
        # Baltic languages: names decline (Putinas, Putino; Putins, Putina).
        **dict.fromkeys(("lt", "lv"), _CASE_ENDINGS),
        # Finnish, Estonian, Hungarian: case suffixes join the name (Putinin, Putiniga, Putyinnal).
        **dict.fromkeys(("fi", "et", "hu"), _CASE_ENDINGS),
        # German and Luxembourgish capitalise every noun.
        **dict.fromkeys(("de", "lb"), _NOUNS_CAPITALISED),
    }
)


@dataclass(frozen=True, slots=True)
class StoryConfig:
    horizon_seconds: float = 3 * 24 * 3600.0
    # A story's similarity halves for every this long since its latest article.
    half_life_seconds: float = 24 * 3600.0
    # Cosine (after time decay) at or above which an article joins a story. Long texts share
    # more incidental vocabulary, so the bar rises (in log of distinct terms) from
    # `threshold` at `short_terms` to `long_threshold` at `long_terms`.
    threshold: float = 0.1
    long_threshold: float = 0.22
    short_terms: int = 30
    long_terms: int = 200
    # IDF prior of a shard whose language has no word list (`und` among them): as if
    # `prior_docs` earlier articles each held a term with `prior_share` probability; it keeps
    # the first articles of a stream from weighing every word they do not share as a rare
    # name. It fades as real counts grow.
    prior_docs: float = 3.0
    prior_share: float = 0.1
    # A shard whose language has a word list (`common`, from `common_words`) takes instead
    # each word's share of articles from its frequency in the language, as if from
    # `background_docs` earlier articles; a word not in the list, or in under
    # `background_floor` of articles (names, numbers, cues), has that floor. A shard's first
    # articles then tell "the" (no weight), "new" and "tras" (some) from a name (the most);
    # with one prior for every word not among the commonest, one-line reports of a budget and
    # a coach joined on a new Spanish shard through "nuevo" and "tras". The background stays
    # as a smoothing: a word common in the language weighs a little less than a name the
    # shard has seen as often.
    background_docs: float = 100.0
    background_floor: float = 0.001
    common: WordShares = field(default_factory=lambda: NO_WORDS)
    # Extra weight of an entity or number cue relative to a plain word.
    entity_weight: float = 3.0
    # Second signal: when both the article and the story carry cues (names where the script
    # has case, numbers everywhere), the cosine over the cues alone must reach this too.
    # Look-alike events (another pirate attack, another coach fired) share the vocabulary
    # more than the names and figures.
    cue_floor: float = 0.3
    # ... or the article's cues must match those of one of the story's latest `members`
    # members (each kept as its `member_cues` strongest cues) at this cosine: a centroid
    # blurs the names of a story's side threads, its members do not.
    member_floor: float = 0.7
    member_cues: int = 6
    members: int = 4
    # Arrival and publication times of a story's latest `member_times` members (copies
    # included), so that a story articles are moved out of takes the clock of those it keeps.
    member_times: int = 8
    headline_weight: int = 2
    # Weight of the body's first `lead_sentences` sentences (the lead says what happened).
    # Off: online it moved ECB+ by under 0.01; `wirefeed eval stories-bound` uses it.
    lead_sentences: int = 0
    lead_weight: float = 1.0
    # Strongest terms of the article used to look up candidate stories.
    query_terms: int = 24
    # Strongest terms of a story listed in the inverted index.
    index_terms: int = 24
    # Most recent stories read per term in a look-up: bounds its cost.
    postings: int = 32
    max_candidates: int = 24
    # Terms kept per article vector and per story centroid (the store's value size).
    article_terms: int = 150
    story_terms: int = 300
    # Fold two live stories into one when an article joins both and their centroids reach
    # this cosine (and their cues `cue_floor`); one event opened twice is found this way.
    merge_floor: float = 0.55
    # What the shard's language makes of names (CUE_RULES; set by `for_language`).
    cues: CueRules = CueRules()

    def for_language(self, language: str) -> StoryConfig:
        """This configuration with the cue rules and common words of a shard of that
        language."""
        return replace(
            self,
            cues=CUE_RULES.get(language, self.cues),
            common=common_words(language, self.background_floor),
        )


def latest_stories(entries: Iterable[tuple[str, str, Any]], limit: int) -> list[dict[str, Any]]:
    """The `limit` most recently updated stories among (shard, key, value) store entries:
    id, shard, title, articles and latest arrival."""
    found = [
        {
            "story": key[len(STORY) :],
            "shard": shard,
            "title": value.get("h", ""),
            "articles": value.get("n", 0),
            "last_seen": value.get("t"),
        }
        for shard, key, value in entries
        if key.startswith(STORY)
    ]
    return heapq.nlargest(limit, found, key=lambda story: story["last_seen"] or 0.0)


def story_id_for(article_id: str) -> str:
    """Stable story id: derived from the article that opened the story."""
    return "st-" + xxhash.xxh64_hexdigest(article_id.encode())[:12]


def _units(sentence: str, special: bool) -> list[str]:
    """A sentence's index units; `special` when the text holds an unspaced script or a
    Turkish capital dotted I (the common case skips both checks per token)."""
    tokens = find_words(sentence)
    if not special:
        return tokens
    # Turkish capital dotted I lowercases to i + combining dot: the same word as "i...".
    return [unit.replace("\u0130", "I") for token in tokens for unit in words(token)]


def ascii_digits(text: str) -> str:
    """The text with every decimal digit as an ASCII one: one figure is one word and one cue
    whatever the script of its digits (٤٥ and 45)."""
    if text.isascii():
        return text
    return _OTHER_DIGIT.sub(lambda digit: str(unicodedata.digit(digit.group())), text)


def _add_tokens(
    counts: defaultdict[str, float],
    text: str,
    weight: float,
    entity_weight: float,
    prefix: int = 0,
) -> None:
    special = not text.isascii() and ("\u0130" in text or UNSPACED_RUN.search(text) is not None)
    for sentence in SENTENCE_BREAK.split(text):
        # A decimal is one cue; its parts are none in its sentence.
        parts: set[str] = set()
        if entity_weight and _DECIMAL_MARK.search(sentence):
            for whole, fraction in _DECIMAL.findall(sentence):
                whole, fraction = ascii_digits(whole), ascii_digits(fraction)
                counts[f"{ENTITY}{whole}.{fraction}"] += weight * entity_weight
                parts.update((whole, fraction))
        for position, token in enumerate(_units(sentence, special)):
            if token.isdigit():
                # Folded token by token: scanning every text for other digits costs more.
                number = token if token.isascii() else ascii_digits(token)
                counts[number] += weight
                if entity_weight and len(number) > 1 and number not in parts:
                    counts[ENTITY + number] += weight * entity_weight
                continue
            lowered = token.lower()
            counts[lowered] += weight
            if entity_weight and position > 0 and token[0].isupper():
                counts[ENTITY + (lowered[:prefix] if prefix else lowered)] += weight * entity_weight


def term_counts(article: Article, config: StoryConfig) -> defaultdict[str, float]:
    """Weighted token counts of headline and body, with entity and number cues."""
    counts: defaultdict[str, float] = defaultdict(float)
    # A derived headline is the body's first lines: it is already counted once.
    extra = config.headline_weight - 1 if article.headline_derived else config.headline_weight
    prefix = config.cues.prefix
    _add_tokens(counts, article.headline, extra, config.entity_weight, prefix)
    body = article.body
    if config.lead_sentences:
        sentences = SENTENCE_BREAK.split(body)
        lead = "\n".join(sentences[: config.lead_sentences])
        _add_tokens(counts, lead, config.lead_weight, config.entity_weight, prefix)
        body = "\n".join(sentences[config.lead_sentences :])
    _add_tokens(counts, body, 1, config.entity_weight, prefix)
    return counts


def idf(docfreq: int, docs: int, config: StoryConfig, share: float | None = None) -> float:
    """Inverse document frequency with a prior; near zero for terms in almost every article.
    `share`: the term's share of articles in the shard's language, if its word list has it.
    With a word list every term has the background prior (the floor share if not listed);
    without one, the flat prior of `prior_docs` articles."""
    if config.common:
        background = config.background_docs
        prior_share = config.background_floor if share is None else share
        weight = math.log((docs + background) / (docfreq + background * prior_share))
    else:
        prior = config.prior_docs
        weight = math.log((docs + prior) / (docfreq + prior * config.prior_share))
    return max(0.0, weight)


def join_threshold(distinct_terms: int, config: StoryConfig) -> float:
    """The similarity an article of this many distinct terms needs to join a story."""
    low, high = math.log(config.short_terms), math.log(config.long_terms)
    share = (math.log(max(distinct_terms, 1)) - low) / (high - low)
    share = min(1.0, max(0.0, share))
    return config.threshold + share * (config.long_threshold - config.threshold)


def sublinear_tf(count: float) -> float:
    """1 + log(count): a term's tenth mention adds far less than its second."""
    return 1.0 + math.log(count) if count >= 1 else count


def weigh(
    counts: defaultdict[str, float], docfreqs: Iterable[int], docs: int, config: StoryConfig
) -> dict[str, float]:
    """Unit-length vector of sublinear tf x idf, keeping the strongest terms."""
    shares = config.common.shares(list(counts))
    weights = {
        term: sublinear_tf(count) * idf(docfreq, docs, config, share)
        for (term, count), docfreq, share in zip(counts.items(), docfreqs, shares, strict=True)
    }
    top = heapq.nlargest(config.article_terms, weights.items(), key=lambda item: item[1])
    norm = math.sqrt(sum(weight * weight for _, weight in top))
    if not norm:
        return {}
    # Interned: every story holding a term shares one string instead of one per article.
    return {sys.intern(term): weight / norm for term, weight in top if weight > 0}


def _cue_norm(vector: dict[str, float]) -> float:
    """Squared norm of the vector's entity and number cues."""
    return sum(weight * weight for term, weight in vector.items() if term.startswith(ENTITY))


def _member_cues(vector: dict[str, float], n: int) -> dict[str, float]:
    """A member's `n` strongest cues, unit length: what the story remembers of it."""
    cues = heapq.nlargest(
        n, ((weight, term) for term, weight in vector.items() if term.startswith(ENTITY))
    )
    norm = math.sqrt(sum(weight * weight for weight, _ in cues)) or 1.0
    return {term: round(weight / norm, 3) for weight, term in cues}


def _cue_match(vector: dict[str, float], member: dict[str, float]) -> float:
    """Cosine between a member's strongest cues and the article's weights on those terms."""
    dot = sum(weight * vector.get(term, 0.0) for term, weight in member.items())
    norm = math.sqrt(sum(vector.get(term, 0.0) ** 2 for term in member))
    return dot / norm if norm else 0.0


def _term_list(stored: str | list[str]) -> list[str]:
    """An article's counted terms as stored: tokens never hold spaces, so one joined string."""
    if isinstance(stored, str):
        return stored.split(" ") if stored else []
    return stored


def _dot(vector: dict[str, float], other: dict[str, float]) -> tuple[float, float]:
    """Dot product of two sparse vectors, and its part over cues."""
    dot = 0.0
    cues = 0.0
    # Only shared terms count; the key-set intersection finds them in C. Sorted: a set's order
    # follows the process's hash seed, and the sum must not.
    for term in sorted(vector.keys() & other.keys()):
        product = vector[term] * other[term]
        dot += product
        if term[0] == ENTITY:
            cues += product
    return dot, cues


def _summed(centroid: dict[str, float], other: dict[str, float], keep: int) -> dict[str, float]:
    """Sum of two sparse vectors, pruned to its `keep` strongest terms and rounded (the value
    goes to the changelog on every update; 4 digits are plenty)."""
    summed = dict(centroid)
    for term, weight in other.items():
        summed[term] = summed.get(term, 0.0) + weight
    top = heapq.nlargest(keep, summed.items(), key=lambda item: item[1])
    return {term: round(weight, 4) for term, weight in top}


def _shaped(centroid: dict[str, float]) -> dict[str, Any]:
    """A story's centroid (c) with its squared norm (q) and that of its cues (g)."""
    return {
        "c": centroid,
        "q": sum(weight * weight for weight in centroid.values()),
        "g": round(_cue_norm(centroid), 6),
    }


def _latest(*times: float | None) -> float | None:
    known = [time for time in times if time is not None]
    return max(known) if known else None


def _strongest(vector: dict[str, float], n: int) -> list[str]:
    return [term for term, _ in heapq.nlargest(n, vector.items(), key=lambda item: item[1])]


def _member_key(article_id: str) -> int:
    """A member's key in its story's times: a 32-bit hash of its id (a few bytes, where ids
    can be long URIs; told apart among a story's listed members)."""
    return xxhash.xxh32_intdigest(article_id.encode())


def _times(story: dict[str, Any]) -> tuple[list[list[Any]], list[Any] | None]:
    """A story's latest members' [key, arrival, publication] and [latest arrival, latest
    publication] of the members before them (None: none). A value written before members'
    times were kept stands for its members with its own clock."""
    if "r" in story:
        return [list(entry) for entry in story["r"]], story.get("o")
    return [], [story["t"], story.get("p")]


def _timed(recent: list[list[Any]], older: list[Any] | None, keep: int) -> dict[str, Any]:
    """Member times as stored: the `keep` latest arrivals listed (`r`, oldest first), those
    before them as their latest arrival and publication (`o`, absent when none)."""
    ordered = sorted(recent, key=lambda entry: float(entry[1]))
    cut = max(0, len(ordered) - keep)
    for _, arrival, published in ordered[:cut]:
        older = (
            [max(older[0], arrival), _latest(older[1], published)]
            if older
            else [arrival, published]
        )
    return {"r": ordered[cut:], **({"o": older} if older is not None else {})}


def _apart_field(ids: Iterable[str]) -> dict[str, list[str]]:
    """A story value's `x` (stories kept apart from it): absent when there are none."""
    kept = sorted(set(ids))
    return {"x": kept} if kept else {}


def _set_apart(story: dict[str, Any], ids: Iterable[str]) -> dict[str, Any]:
    value = {key: item for key, item in story.items() if key != "x"}
    return {**value, **_apart_field(ids)}


class StoryIndex:
    """Online story assignment over a changelog-backed store.

    Keys: `terms:<id>` ([time, distinct terms] of each counted article), `story:<id>`
    ({c: centroid, q: squared norm, g: squared norm of its cues, m: latest members' strongest
    cues, n: articles, t: latest arrival, p: latest publication, h: title, r: the latest
    members' [key, arrival, publication], o: [latest arrival, latest publication] of the members
    before them, and x: the live stories an editor's split or move, or a template's reports
    of other events, set apart from it, when there are any}),
    `term:<term>` (recent story ids), `article:<id>` ([story id, time], and the original's id
    for a copy), `merged:<id>` ([id of the story it was folded into, time, and how long it is
    kept past the horizon when the decisions outlive the stories]), `command:<id>`
    (an editor's command applied: its event, or refused: `rejected` and `detail`; its time and
    whether its event or dead letter is published) and the
    publication watermark. Document frequencies and the copies of each original are caches
    rebuilt from `terms:` and `article:` entries.
    """

    def __init__(
        self,
        store: MutableMapping[str, Any],
        config: StoryConfig | None = None,
        folds_seconds: float | None = None,
    ) -> None:
        self.store = store
        self.config = config or StoryConfig()
        # How long a `merged:` record is kept, when longer than the horizon: as long as the
        # decisions a late copy or a repeat reads the story of its original from (Pipeline).
        self._folds_extra = max(0.0, (folds_seconds or 0.0) - self.config.horizon_seconds)
        self._docfreq: Counter[str] = Counter()
        self._docs = 0
        # Term -> every story ranking it among its strongest, in order of (time, id).
        self._postings: dict[str, list[str]] = {}
        # Story -> the time it is listed at and the terms it is listed under.
        self._listed: dict[str, tuple[float, tuple[str, ...]]] = {}
        # Original id -> ids of its copies (a split moves them with it).
        self._copies: defaultdict[str, set[str]] = defaultdict(set)
        self.live = 0
        # Work done so far (bench figures): postings entries read, candidate stories scored.
        self.postings_read = 0
        self.stories_scored = 0
        self._stamps = Stamps()
        self.rebuild()

    def rebuild(self) -> None:
        """Recompute the caches from the store: document frequencies from the counted
        articles, and the inverted index from the live stories (oldest first, so each term
        lists the latest last)."""
        self._docfreq.clear()
        self._docs = 0
        self._postings.clear()
        self._listed.clear()
        self._copies.clear()
        self.live = 0
        self._stamps.clear()
        stories: list[tuple[float, str, dict[str, float]]] = []
        for key, value in list(self.store.items()):
            stamp = _stamp(key, value)
            if stamp is not None:
                self._stamps.set(key, stamp)
            if key.startswith(TERMS):
                self._count(_term_list(value[1]), 1)
            elif key.startswith(ARTICLE) and len(value) > 2:
                self._copies[value[2]].add(key[len(ARTICLE) :])
            elif key.startswith(STORY):
                self.live += 1
                stories.append((value["t"], key[len(STORY) :], value["c"]))
        # As _post for each story in turn, oldest first (each story once: nothing to drop).
        postings: defaultdict[str, list[str]] = defaultdict(list)
        for stamp, story_id, centroid in sorted(stories):
            top = tuple(_strongest(centroid, self.config.index_terms))
            self._listed[story_id] = (float(stamp), top)
            for term in top:
                postings[term].append(story_id)
        self._postings.update(postings)

    def _write(self, key: str, value: Any, stamp: float) -> None:
        """Store an entry the horizon applies to, with the time it counts from."""
        self.store[key] = value
        self._stamps.set(key, stamp)

    def _within(self, key: str, now: float) -> Any:
        """A stored entry's value, or None once it is past the horizon at `now`: eviction
        runs at its own pace (once a minute), and what it has not yet deleted is gone all
        the same (neither revived, joined nor named by a command)."""
        value = self.store.get(key)
        if value is None:
            return None
        stamp = _stamp(key, value)
        if stamp is not None and now - stamp > self.config.horizon_seconds:
            return None
        return value

    def _order(self, story_id: str) -> tuple[float, str]:
        """Where a story stands in a posting list: the time it is listed at, then its id."""
        return self._listed[story_id][0], story_id

    def _post(self, term: str, story_id: str) -> None:
        """List the story under the term, in order of (latest arrival, id): the order
        rebuild() gives, so a restarted worker finds the same candidates as the one that ran
        live. Every story holding the term stays listed (a look-up reads the latest
        `postings`), so when one leaves the list, the next is there, as after a rebuild. A
        story is listed at its arrival time when first posted; when that time changes it is
        listed again under all its terms (_repost)."""
        listed = self._listed.get(story_id)
        if listed is None:
            listed = (self._stamps.get(STORY + story_id), ())
        stamp, terms = listed
        if term in terms:
            return
        self._listed[story_id] = (stamp, (*terms, term))
        members = self._postings.setdefault(term, [])
        if not members or self._order(members[-1]) < (stamp, story_id):
            members.append(story_id)  # the usual case: the story just arrived
        else:
            bisect.insort(members, story_id, key=self._order)

    def _repost(self, story_id: str, centroid: dict[str, float]) -> None:
        """After a story's value is written: leave the terms no longer among its strongest
        (all of them when its arrival time moved), and take its place, by its arrival time,
        under those that are (the listing records the terms it ranked by)."""
        top = _strongest(centroid, self.config.index_terms)
        listed = self._listed.get(story_id)
        if listed is not None:
            stamp, terms = listed
            if stamp != self._stamps.get(STORY + story_id):
                self._unpost_terms(story_id, terms)
            else:
                self._unpost_terms(story_id, set(terms).difference(top))
        for term in top:
            self._post(term, story_id)

    def _count(self, terms: Iterable[str], step: int) -> None:
        self._docs += step
        if step > 0:
            self._docfreq.update(terms)
            return
        for term in terms:
            self._docfreq[term] += step
            if self._docfreq[term] <= 0:
                del self._docfreq[term]

    def vectorise(
        self, article: Article, *, count: bool, now: float = 0.0
    ) -> tuple[dict[str, float], int]:
        """The article's unit vector under the current IDF and its number of distinct words;
        `count` adds the article to the document frequencies first (recorded at `now`)."""
        counts = term_counts(article, self.config)
        if count and TERMS + article.id not in self.store:
            terms = list(counts)
            # One string, not a list of strings: ~6x less memory in an in-memory table.
            self._write(TERMS + article.id, [now, " ".join(terms)], now)
            self._count(terms, 1)
        docfreqs = [self._docfreq.get(term, 0) for term in counts]
        words = sum(1 for term in counts if not term.startswith(ENTITY))
        return weigh(counts, docfreqs, self._docs, self.config), words

    def _candidates(self, vector: dict[str, float]) -> list[str]:
        votes: defaultdict[str, float] = defaultdict(float)
        latest = self.config.postings
        for term in _strongest(vector, self.config.query_terms):
            # The latest stories listed under the term: a look-up's cost stays bounded.
            posted = self._postings.get(term, [])[-latest:]
            self.postings_read += len(posted)
            for story_id in posted:
                votes[story_id] += vector[term]
        best = heapq.nlargest(self.config.max_candidates, votes.items(), key=lambda item: item[1])
        return [story_id for story_id, _ in best]

    def _score(
        self,
        vector: dict[str, float],
        cues: float,
        story: dict[str, Any],
        now: float,
        published: float | None,
    ) -> float:
        """Decayed centroid cosine; zero when both sides carry cues and the article's agree
        neither with the story's nor with any of its latest members'."""
        dot, shared_cues = _dot(vector, story["c"])
        if dot <= 0.0:
            return 0.0
        story_cues = float(story.get("g", 0.0))
        if (
            cues
            and story_cues
            and shared_cues / math.sqrt(cues * story_cues) < self.config.cue_floor
            and not (
                self.config.cues.members
                and any(
                    _cue_match(vector, member) >= self.config.member_floor
                    for member in story.get("m", ())
                )
            )
        ):
            return 0.0
        # Age is the larger of the arrival gap and the publication gap: an archive replayed
        # in one burst arrives together, yet stories two days apart stay two days apart.
        age = max(0.0, now - story["t"])
        story_published = story.get("p")
        if published is not None and story_published is not None:
            age = max(age, abs(published - story_published))
        decay: float = 0.5 ** (age / self.config.half_life_seconds)
        return dot / math.sqrt(float(story["q"])) * decay

    def published_time(self, article: Article, now: float) -> float | None:
        """When the article was published: its own time, else the latest publication time
        seen so far (an undated article is taken to be as recent as the newest dated one).
        Keeps that watermark up to date."""
        watermark: float | None = self.store.get(WATERMARK)
        published = article.firstcreated
        if published is None or published > now + FUTURE_SLACK_SECONDS:
            return watermark
        if watermark is None or published > watermark:
            self.store[WATERMARK] = published
        return published

    def assign_story(
        self,
        article: Article,
        now: float,
        after: str | None = None,
        story_hint: str | None = None,
        apart: Iterable[str] = (),
    ) -> StoryDecision:
        """Join the most similar live story, or open a new one. A version (`after`: the
        item's version it supersedes; `story_hint`: the story that version's decision names)
        joins the live story its predecessor is in, whatever its words: a one-line flash and
        its full write-through are one item, so one story. Else it is placed by its words,
        in none of the stories `apart` (those of articles written from the same template that
        tell other events: dedup's `other_events`), and its story is kept apart from them: a
        later article that joins both does not fold them into one."""
        published = self.published_time(article, now)
        vector, terms = self.vectorise(article, count=True, now=now)
        if after is not None:
            continued = self._story_of(after, now, story_hint)
            if continued is not None:
                story_id, current = continued
                title = current.get("h", "")
                self._add(story_id, current, vector, now, published, title, article.id)
                self._write(ARTICLE + article.id, [story_id, now], now)
                return StoryDecision(story_id, "updated", 1.0, title=title)
        cues = _cue_norm(vector)
        threshold = join_threshold(terms, self.config)
        joined: list[tuple[float, str, dict[str, Any]]] = []
        barred = {
            story_id
            for story_id in map(self.resolve, apart)
            if self._within(STORY + story_id, now) is not None
        }
        for story_id in self._candidates(vector):
            story = self.store.get(STORY + story_id)
            if (
                story is None
                or now - story["t"] > self.config.horizon_seconds
                or story_id in barred
            ):
                continue
            self.stories_scored += 1
            score = self._score(vector, cues, story, now, published)
            if score >= threshold:
                joined.append((score, story_id, story))
        if not joined:
            story_id = story_id_for(article.id)
            title = article.headline[:TITLE_CHARS]
            self._add(story_id, None, vector, now, published, title, article.id, barred)
            decision = StoryDecision(story_id, "created", 0.0, title=title)
        else:
            score, story_id, story = max(joined, key=lambda item: item[0])
            story_id, story, folded = self._merge(story_id, story, joined, now)
            title = story.get("h", "")
            self._add(story_id, story, vector, now, published, title, article.id, barred)
            event: StoryEventKind = "merged" if folded else "updated"
            decision = StoryDecision(story_id, event, score, folded, title)
        self._write(ARTICLE + article.id, [decision.story_id, now], now)
        return decision

    def _merge(
        self,
        best_id: str,
        best: dict[str, Any],
        joined: list[tuple[float, str, dict[str, Any]]],
        now: float,
    ) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        """Fold the other joined stories that agree with the best one into a single story;
        the story with the most articles (then the best match) keeps its id. Returns the
        surviving id, its folded value and the ids folded into it."""
        group = [(best_id, best)]
        for _, story_id, story in joined:
            # Never two stories set apart (an editor's split or move, a template's other events).
            if (
                story_id != best_id
                and self._agree(best, story)
                and not any(self._kept_apart(story_id, story, *member) for member in group)
            ):
                group.append((story_id, story))
        if len(group) == 1:
            return best_id, best, ()
        survivor_id, survivor = max(group, key=lambda item: item[1]["n"])
        others = [(story_id, story) for story_id, story in group if story_id != survivor_id]
        return (
            survivor_id,
            self._fold_into(survivor_id, survivor, others, now),
            tuple(story_id for story_id, _ in others),
        )

    def _fold_into(
        self,
        survivor_id: str,
        survivor: dict[str, Any],
        others: list[tuple[str, dict[str, Any]]],
        now: float,
    ) -> dict[str, Any]:
        """Fold the other stories into the survivor: their ids now stand for it (`merged:`)
        and leave the index. Returns the survivor's new value (the caller stores it)."""
        for story_id, story in others:
            survivor = self._fold(survivor, story)
            del self.store[STORY + story_id]
            self._stamps.discard(STORY + story_id)
            extra = self._folds_extra
            fold = [survivor_id, now, extra] if extra else [survivor_id, now]
            self._write(MERGED + story_id, fold, now + extra)
            self.live -= 1
        self._unpost({story_id for story_id, _ in others})
        # The folded stories' terms may now be among the survivor's strongest (the caller
        # stores the survivor, then posts it again at its new time).
        self._repost(survivor_id, survivor["c"])
        # What each was kept apart from, the survivor is (an editor's merge of two stories
        # set apart ends that).
        return _set_apart(survivor, self._apart(survivor_id, survivor.get("x", ())))

    def _timed(self, story: dict[str, Any] | None, members: list[list[Any]]) -> dict[str, Any]:
        """A story's member times with these members' added (`r`, `o`)."""
        recent, older = _times(story) if story else ([], None)
        return _timed(recent + members, older, self.config.member_times)

    def _kept_apart(
        self, story_id: str, story: dict[str, Any], other_id: str, other: dict[str, Any]
    ) -> bool:
        """Whether an editor's split or move set the two stories apart (ids resolved: the
        story a set-apart one was folded into since is kept apart as well)."""
        return any(self.resolve(named) == other_id for named in story.get("x", ())) or any(
            self.resolve(named) == story_id for named in other.get("x", ())
        )

    def _apart(self, story_id: str, named: Iterable[str], new: Iterable[str] = ()) -> list[str]:
        """The stories to keep apart from one: those named that are still live, as their
        ids resolve now, and the `new` ones."""
        kept = {resolved for resolved in map(self.resolve, named) if STORY + resolved in self.store}
        kept.update(new)
        kept.discard(story_id)
        return sorted(kept)

    def _agree(self, story: dict[str, Any], other: dict[str, Any]) -> bool:
        """Whether two stories read as one: centroid cosine at `merge_floor` and, when both
        carry cues, cue cosine at `cue_floor`."""
        dot, shared_cues = _dot(story["c"], other["c"])
        if dot <= 0.0 or dot < self.config.merge_floor * math.sqrt(
            float(story["q"]) * float(other["q"])
        ):
            return False
        cues = float(story.get("g", 0.0)) * float(other.get("g", 0.0))
        return not cues or shared_cues >= self.config.cue_floor * math.sqrt(cues)

    def _fold(self, story: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
        """One story from two: summed centroids (pruned), counts and latest times."""
        centroid = _summed(story["c"], other["c"], self.config.story_terms)
        recent, older = _times(story)
        other_recent, other_older = _times(other)
        if other_older is not None:
            older = (
                [max(older[0], other_older[0]), _latest(older[1], other_older[1])]
                if older
                else other_older
            )
        return {
            **_shaped(centroid),
            "n": story["n"] + other["n"],
            "t": max(story["t"], other["t"]),
            "p": _latest(story.get("p"), other.get("p")),
            "m": [*other.get("m", ()), *story.get("m", ())][-self.config.members :],
            "h": story.get("h", ""),
            **_timed(recent + other_recent, older, self.config.member_times),
            **_apart_field([*story.get("x", ()), *other.get("x", ())]),
        }

    def resolve(self, story_id: str) -> str:
        """The story an id stands for now: itself, or the story it was folded into."""
        seen = {story_id}
        while (folded := self.store.get(MERGED + story_id)) is not None and folded[0] not in seen:
            story_id = folded[0]
            seen.add(story_id)
        return story_id

    def title(self, story_id: str) -> str:
        """The story's title: the headline of its first article ("" once it has expired)."""
        story = self.store.get(STORY + self.resolve(story_id))
        return str(story.get("h", "")) if story else ""

    def _story_of(
        self, article_id: str, now: float, story_hint: str | None
    ) -> tuple[str, dict[str, Any]] | None:
        """The live story an article is in (through its link, else `story_hint`, the story
        its decision names), as its id resolves now; None once that has aged out."""
        known = self._within(ARTICLE + article_id, now)
        named = known[0] if known is not None else story_hint
        if named is None:
            return None
        story_id = self.resolve(named)
        story = self._within(STORY + story_id, now)
        return None if story is None else (story_id, story)

    def follow(
        self, article: Article, original_id: str, now: float, story_hint: str | None = None
    ) -> StoryDecision:
        """A copy belongs to its original's story; it keeps the story alive but adds no terms.
        `story_hint` is the story the original was tagged with, for when its link here has
        passed the horizon (a copy kept by dedup's longer one): the copy gets that story, and
        joins it if it is still live. Without either, the copy is placed as an article. A
        link or story past the horizon counts as gone, evicted yet or not."""
        known = self._within(ARTICLE + original_id, now)
        if known is None:
            if story_hint is None:
                return self.assign_story(article, now)
            story_id = self.resolve(story_hint)
            if self._within(STORY + story_id, now) is None:
                # The story has aged out: the copy is tagged with it and opens nothing.
                return StoryDecision(story_id, "updated", 1.0)
            known = [story_id, now]
        story_id = self.resolve(known[0])
        self._write(ARTICLE + article.id, [story_id, now, original_id], now)
        self._copies[original_id].add(article.id)
        story = self._within(STORY + story_id, now)
        if story is None:
            return StoryDecision(story_id, "updated", 1.0)
        latest = max(story["t"], now)
        member = [_member_key(article.id), now, None]
        value = {**story, "t": latest, "n": story["n"] + 1, **self._timed(story, [member])}
        self._write(STORY + story_id, value, latest)
        if latest != story["t"]:
            self._repost(story_id, story["c"])
        return StoryDecision(story_id, "updated", 1.0, title=story.get("h", ""))

    def correct(self, command: StoryCommand, now: float) -> tuple[Correction, bool]:
        """Apply an editor's command: split articles out of a story into a new one, or fold
        stories into one; returns what it did and whether the command was applied before
        (then nothing changes again). Raises Rejected (bad_command) when it cannot apply;
        then nothing has changed but the memo of the refusal: the id stays refused as long as
        an applied one is remembered (seen again, the same Rejected, `again`), even once the
        state would let it apply, since its dead letter told the editor it was not."""
        known = self.store.get(COMMAND + command.id)
        if known is not None and "rejected" in known:
            raise Rejected(RejectReason(known["rejected"]), known["detail"], again=True)
        if known is not None:
            return Correction.from_dict(known), True
        try:
            if command.action == "split":
                correction = self._split(command, now)
            elif command.action == "move":
                correction = self._move(command, now)
            else:
                correction = self._merge_stories(command, now)
        except Rejected as exc:
            refused = {"command": command.id, "rejected": exc.reason.value, "detail": exc.detail}
            self._write(COMMAND + command.id, {**refused, "t": now}, now)
            raise
        self._write(COMMAND + command.id, {**correction.to_dict(), "t": now}, now)
        return correction, False

    def copies(self, original_id: str) -> list[str]:
        """The copies linked to an original (their links may since have aged out)."""
        return sorted(self._copies.get(original_id, ()))

    def command_published(self, command_id: str) -> bool:
        """Whether the event of an applied command, or the dead letter of a refused one, is
        known to be on the broker."""
        return bool((self.store.get(COMMAND + command_id) or {}).get("emitted"))

    def mark_command_published(self, command_id: str) -> None:
        """Record that the broker took the command's event (or dead letter): a redelivery
        publishes nothing."""
        memo = self.store.get(COMMAND + command_id)
        if memo is not None:
            self.store[COMMAND + command_id] = {**memo, "emitted": True}

    def _live_story(self, story_id: str, now: float) -> dict[str, Any]:
        """The story's value; refused (bad_command) when there is none within the horizon."""
        story: dict[str, Any] | None = self._within(STORY + story_id, now)
        if story is None:
            raise Rejected(RejectReason.BAD_COMMAND, f"no live story {story_id}")
        return story

    def _merge_stories(self, command: StoryCommand, now: float) -> Correction:
        """Fold the command's stories into its `story`, whose id stays."""
        survivor_id = self.resolve(command.story)
        survivor = self._live_story(survivor_id, now)
        others: dict[str, dict[str, Any]] = {}
        for named in command.stories:
            story_id = self.resolve(named)
            if story_id != survivor_id:
                others[story_id] = self._live_story(story_id, now)
        if not others:
            raise Rejected(
                RejectReason.BAD_COMMAND, f"{', '.join(command.stories)}: already {survivor_id}"
            )
        survivor = self._fold_into(survivor_id, survivor, list(others.items()), now)
        self._write(STORY + survivor_id, survivor, survivor["t"])
        self._repost(survivor_id, survivor["c"])
        return Correction(
            command.id, survivor_id, "merged", survivor.get("h", ""), merged_from=tuple(others)
        )

    def _links(
        self, named: Iterable[str], now: float
    ) -> dict[str, tuple[str, dict[str, list[Any]]]]:
        """The articles a command moves, by the story each is in now: {named original: (its
        story, {its link and its copies' links})}. A copy named stands for its original (a
        copy's story is its original's) while the original is within the horizon."""
        moving: dict[str, tuple[str, dict[str, list[Any]]]] = {}
        for article_id in named:
            known = self._within(ARTICLE + article_id, now)
            if known is None:
                raise Rejected(RejectReason.BAD_COMMAND, f"no live article {article_id}")
            if len(known) > 2 and (original := self._within(ARTICLE + known[2], now)) is not None:
                article_id, known = known[2], original
            story_id = self.resolve(known[0])
            links = {article_id: known}
            for copy_id in sorted(self._copies.get(article_id, ())):
                copied = self._within(ARTICLE + copy_id, now)
                if copied is not None and self.resolve(copied[0]) == story_id:
                    links[copy_id] = copied
            moving[article_id] = (story_id, links)
        return moving

    def _leaving(self, source_id: str, count: int, now: float) -> dict[str, Any]:
        """The live story that `count` articles (copies included) are to leave; refused when
        none would stay (a merge does that)."""
        source = self._live_story(source_id, now)
        if count >= source["n"]:
            raise Rejected(
                RejectReason.BAD_COMMAND,
                f"a command must leave story {source_id} an article: it has {source['n']}, "
                f"the command moves {count} (copies included); merge it instead",
            )
        return source

    def _take_out(
        self,
        source_id: str,
        article_ids: list[str],
        links: dict[str, list[Any]],
        apart: str,
        now: float,
    ) -> tuple[dict[str, float], list[dict[str, float]], list[list[Any]]]:
        """Take articles (with their copies: `links`) out of a live story: its centroid loses
        their vectors, rebuilt from their stored terms under the current IDF (the store keeps
        no weights, so both centroids afterwards are estimates), its member cues and index
        entries lose what they brought, its clock is that of the members it keeps; it is kept
        apart from the story `apart` they go to. Returns their summed vector, member cues and
        member times."""
        source = self._leaving(source_id, len(links), now)
        moved: dict[str, float] = {}
        members: list[dict[str, float]] = []
        moved_terms: list[set[str]] = []
        for article_id in article_ids:
            vector = self._stored_vector(article_id)
            if vector:
                moved = _summed(moved, vector, self.config.story_terms)
                members.append(_member_cues(vector, self.config.member_cues))
                moved_terms.append(set(_term_list(self.store[TERMS + article_id][1])))
        rest = {
            term: round(weight - moved.get(term, 0.0), 4)
            for term, weight in source["c"].items()
            if weight - moved.get(term, 0.0) > 1e-4
        }
        # The old story forgets the moved articles' cues (a member is the article's strongest
        # cues, all among its terms) and is no longer looked up by the terms it lost.
        kept = [
            member
            for member in source.get("m", ())
            if not (member and any(member.keys() <= terms for terms in moved_terms))
        ]
        # Their times leave with them: the story's clock is that of the members it keeps
        # (exact unless all its listed members leave and one before them does too).
        recent, older = _times(source)
        keys = {_member_key(article_id): link for article_id, link in links.items()}
        leaving = {entry[0]: entry for entry in recent if entry[0] in keys}
        staying = [entry for entry in recent if entry[0] not in keys]
        arrivals = [entry[1] for entry in staying] + ([older[0]] if older else [])
        clock = {
            "t": max(arrivals, default=source["t"]),
            "p": _latest(*(entry[2] for entry in staying), older[1] if older else None),
        }
        count = len(links)
        source = {**source, **_shaped(rest), "n": source["n"] - count, "m": kept}
        if arrivals:
            source.update(clock)
        source.update(_timed(staying, older, self.config.member_times))
        source = _set_apart(source, self._apart(source_id, source.get("x", ()), [apart]))
        self._write(STORY + source_id, source, source["t"])
        self._repost(source_id, rest)
        # A member not listed (older than those listed) arrived when its link says; its
        # publication time is not kept.
        times = [leaving.get(key, [key, float(link[1]), None]) for key, link in keys.items()]
        return moved, members, times

    def _relink(self, story_id: str, links: dict[str, list[Any]]) -> None:
        for article_id, link in links.items():
            self._write(ARTICLE + article_id, [story_id, *link[1:]], float(link[1]))

    def _split(self, command: StoryCommand, now: float) -> Correction:
        """Move the command's articles, and their copies, out of its story into a new one."""
        source_id = self.resolve(command.story)
        source = self._live_story(source_id, now)
        moving = self._links(command.articles, now)
        links: dict[str, list[Any]] = {}
        for article_id, (story_id, group) in moving.items():
            if story_id != source_id:
                raise Rejected(
                    RejectReason.BAD_COMMAND, f"article {article_id} is not in story {source_id}"
                )
            links.update(group)
        new_id = story_id_for(f"{source_id}/{command.id}")
        if STORY + new_id in self.store or MERGED + new_id in self.store:
            raise Rejected(RejectReason.BAD_COMMAND, f"story {new_id} exists")
        title = command.title or str(source.get("h", ""))
        moved, members, times = self._take_out(source_id, list(moving), links, new_id, now)
        latest = max(float(link[1]) for link in links.values())
        story = {
            **_shaped(moved),
            "n": len(links),
            "t": latest,
            # Known for the members the old story listed (its latest).
            "p": _latest(*(entry[2] for entry in times)),
            **_timed(times, None, self.config.member_times),
            "m": members[-self.config.members :],
            "h": title[:TITLE_CHARS],
            # An automatic merge must not fold it back (README).
            "x": [source_id],
        }
        self._write(STORY + new_id, story, latest)
        self.live += 1
        self._relink(new_id, links)
        for term in _strongest(moved, self.config.index_terms):
            self._post(term, new_id)
        return Correction(
            command.id,
            new_id,
            "split",
            story["h"],
            split_from=source_id,
            articles=tuple(moving),
        )

    def _move(self, command: StoryCommand, now: float) -> Correction:
        """Move the command's articles, and their copies, from the stories they are in into
        an existing story (the editor's "this belongs there")."""
        target_id = self.resolve(command.story)
        self._live_story(target_id, now)
        moving = self._links(command.articles, now)
        by_source: defaultdict[str, list[str]] = defaultdict(list)
        counts: Counter[str] = Counter()
        links: dict[str, list[Any]] = {}
        source_links: defaultdict[str, dict[str, list[Any]]] = defaultdict(dict)
        for article_id, (story_id, group) in moving.items():
            if story_id == target_id:
                raise Rejected(
                    RejectReason.BAD_COMMAND, f"article {article_id} is in story {target_id}"
                )
            by_source[story_id].append(article_id)
            counts[story_id] += len(group)
            links.update(group)
            source_links[story_id].update(group)
        # Checked for every source before any changes, so a refused move changes nothing.
        for source_id, count in counts.items():
            self._leaving(source_id, count, now)
        moved: dict[str, float] = {}
        members: list[dict[str, float]] = []
        times: list[list[Any]] = []
        for source_id, article_ids in by_source.items():
            vector, cues, their_times = self._take_out(
                source_id, article_ids, source_links[source_id], target_id, now
            )
            moved = _summed(moved, vector, self.config.story_terms)
            members.extend(cues)
            times.extend(their_times)
        target = self._live_story(target_id, now)
        centroid = _summed(target["c"], moved, self.config.story_terms)
        latest = max([float(target["t"]), *(float(link[1]) for link in links.values())])
        target = {
            **target,
            **_shaped(centroid),
            "n": target["n"] + len(links),
            "t": latest,
            "p": _latest(target.get("p"), *(entry[2] for entry in times)),
            "m": [*target.get("m", ()), *members][-self.config.members :],
            **self._timed(target, times),
        }
        target = _set_apart(target, self._apart(target_id, target.get("x", ()), by_source))
        self._write(STORY + target_id, target, latest)
        self._relink(target_id, links)
        self._repost(target_id, centroid)
        return Correction(
            command.id,
            target_id,
            "moved",
            str(target.get("h", "")),
            moved_from=tuple(by_source),
            articles=tuple(moving),
        )

    def _stored_vector(self, article_id: str) -> dict[str, float]:
        """An article's vector rebuilt from its stored distinct terms (each counted once,
        cues at their weight); empty for a copy (it added no terms) or one past the horizon."""
        stored = self.store.get(TERMS + article_id)
        if stored is None:
            return {}
        terms = _term_list(stored[1])
        counts: defaultdict[str, float] = defaultdict(float)
        for term in terms:
            counts[term] = self.config.entity_weight if term.startswith(ENTITY) else 1.0
        docfreqs = [self._docfreq.get(term, 0) for term in counts]
        return weigh(counts, docfreqs, self._docs, self.config)

    def _add(
        self,
        story_id: str,
        story: dict[str, Any] | None,
        vector: dict[str, float],
        now: float,
        published: float | None,
        title: str,
        article_id: str,
        apart: Iterable[str] = (),
    ) -> None:
        """Add an article's vector and clock to a story (None: open it), kept apart from the
        live stories `apart` as well as from those it was."""
        if story is None:
            centroid, n, t = vector, 1, now
            latest = published
            self.live += 1
        else:
            centroid = _summed(story["c"], vector, self.config.story_terms)
            n, t = story["n"] + 1, max(story["t"], now)
            latest = _latest(story.get("p"), published)
        members: list[dict[str, float]] = story.get("m", []) if story else []
        # m: the latest members' strongest cues; t: latest arrival (the horizon's clock);
        # p: latest publication time known.
        story_value = {
            **_shaped(centroid),
            "n": n,
            "t": t,
            "p": latest,
            "m": [*members, _member_cues(vector, self.config.member_cues)][-self.config.members :],
            "h": title,
            **self._timed(story, [[_member_key(article_id), now, published]]),
            **_apart_field([*(story.get("x", ()) if story else ()), *apart]),
        }
        self._write(STORY + story_id, story_value, t)
        self._repost(story_id, centroid)

    def evict(self, now: float) -> int:
        """Forget stories (and article links) past the horizon; returns how many stories went."""
        gone: set[str] = set()
        for key in self._stamps.expired(now, self.config.horizon_seconds):
            if key not in self.store:
                continue
            if key.startswith(TERMS):  # the only value eviction needs
                self._count(_term_list(self.store[key][1]), -1)
            elif key.startswith(STORY):
                gone.add(key[len(STORY) :])
            elif key.startswith(ARTICLE):
                # Its copies came later and go later: each is checked when a split looks.
                self._copies.pop(key[len(ARTICLE) :], None)
            del self.store[key]
        self.live -= len(gone)
        self._unpost(gone)
        return len(gone)

    def _unpost_terms(self, story_id: str, terms: Iterable[str]) -> None:
        """Take one story out of these terms' postings (found by where it is listed)."""
        listed = self._listed.get(story_id)
        if listed is None:
            return
        stamp, held = listed
        leaving = set(terms)
        for term in leaving.intersection(held):
            members = self._postings[term]
            at = bisect.bisect_left(members, (stamp, story_id), key=self._order)
            if at < len(members) and members[at] == story_id:
                del members[at]
            if not members:
                del self._postings[term]
        kept = tuple(term for term in held if term not in leaving)
        if kept:
            self._listed[story_id] = (stamp, kept)
        else:
            del self._listed[story_id]

    def _unpost(self, gone: set[str]) -> None:
        """Take stories that no longer exist out of the inverted index (they would hold
        candidate places, and an index rebuilt from the store would not list them)."""
        for story_id in sorted(gone):
            listed = self._listed.get(story_id)
            if listed is not None:
                self._unpost_terms(story_id, listed[1])


def _stamp(key: str, value: Any) -> float | None:
    """When a stored entry was written, as the horizon counts (None: a key it leaves alone)."""
    if key.startswith(STORY):
        return float(value["t"])
    if key.startswith(MERGED):
        # Kept past the horizon by its third field, when there is one.
        return float(value[1]) + (float(value[2]) if len(value) > 2 else 0.0)
    if key.startswith(ARTICLE):
        return float(value[1])
    if key.startswith(COMMAND):
        return float(value["t"])
    if key.startswith(TERMS):
        return float(value[0])
    return None
