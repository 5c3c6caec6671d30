from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from service.models import Rejected, RejectReason
from service.pipeline.decide import PipelineConfig, Shards, label_records
from service.pipeline.dedup import DedupIndex
from service.pipeline.normalise import normalise_article
from service.producers.feeds import FeedState, feed_records, poll_feed
from service.producers.formats import copy_id
from service.producers.kafka import RawProducer, SendFailed
from service.settings import Settings
from tests.producers.conftest import FakeSender
from tests.producers.documents import ATOM, RSS


def test_rss_entries() -> None:
    first, second = feed_records(RSS)
    assert first["format"] == second["format"] == "rss"
    # guid + digest of title and body: a corrected entry is a new copy of the same item.
    assert first["id"] == copy_id(
        "gazette-1001",
        None,
        "Council approves new cycle lanes",
        "<p>The council approved 12 km of new cycle lanes.</p>",
        None,
    )
    assert first["id"].startswith("gazette-1001#")
    assert first["uri"] == "gazette-1001"  # the guid: the item's identity across versions
    assert first["link"] == "https://gazette.example/2024/04/cycle-lanes"
    assert first["title"] == "Council approves new cycle lanes"
    # content:encoded (the full text) wins over the description.
    assert first["body_html"] == "<p>The council approved 12 km of new cycle lanes.</p>"
    assert first["published"] == "2024-04-12T08:00:00+00:00"
    assert first["source"] == "Example Gazette"
    assert first["language"] == "en-us"
    # No guid: the link is the id; the offset is applied.
    assert second["id"].startswith("https://gazette.example/2024/04/library#")
    assert second["uri"] == second["link"] == "https://gazette.example/2024/04/library"
    assert second["published"] == "2024-04-12T07:30:00+00:00"
    assert second["body_html"] == "<p>The central library will open until 10pm.</p>"


def test_atom_entry() -> None:
    [entry] = feed_records(ATOM)
    assert entry["format"] == "atom"
    assert entry["id"].startswith("urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a#")
    assert entry["uri"] == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert entry["link"] == "https://science.example/galaxy"
    # `updated` is this version's time, `published` the item's first publication.
    assert entry["published"] == "2024-04-12T10:00:00+00:00"
    assert entry["firstcreated"] == "2024-04-12T09:00:00+00:00"
    assert entry["byline"] == "Lena Ortiz"
    assert entry["source"] == "Example Science Desk"
    assert "13 billion years ago" in entry["body_html"]


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("Fri, 12 Apr 2024 09:30:00 CEST", "2024-04-12T07:30:00+00:00"),  # feedparser: 09:30
        ("Fri, 12 Apr 2024 09:30:00 BST", "2024-04-12T08:30:00+00:00"),
        ("Fri, 12 Apr 2024 09:30:00 EDT", "2024-04-12T13:30:00+00:00"),
        ("Fri, 12 Apr 2024 09:30:00 +0200", "2024-04-12T07:30:00+00:00"),
        ("Fri, 12 Apr 2024 09:30:00", "2024-04-12T09:30:00+00:00"),  # feedparser: none
        ("Fri, 12 Apr 2024 09:30:00 QQT", None),  # an unknown zone: unknown, not UTC
        # Zones feedparser reads right but does not list: our override lost their time.
        ("Fri, 12 Apr 2024 09:30:00 UTC", "2024-04-12T09:30:00+00:00"),
        ("Fri, 12 Apr 2024 09:30:00 HST", "2024-04-12T19:30:00+00:00"),
        ("Fri, 12 Apr 2024 09:30:00 AKDT", "2024-04-12T17:30:00+00:00"),
        ("Fri, 12 Apr 2024 09:30:00 SAST", "2024-04-12T07:30:00+00:00"),
        ("Fri, 12 Apr 2024 09:30:00 WIB", "2024-04-12T02:30:00+00:00"),
        ("Fri, 12 Apr 2024 09:30:00 ACST", "2024-04-12T00:00:00+00:00"),  # +09:30
        ("Fri, 12 Apr 2024 09:30:00 IST", None),  # India, Ireland or Israel: unknown
    ],
)
def test_publication_times_in_named_zones(stamp: str, expected: str | None) -> None:
    feed = RSS.replace(b"Fri, 12 Apr 2024 08:00:00 GMT", stamp.encode())
    assert feed_records(feed)[0].get("published") == expected


def test_not_a_feed_is_rejected() -> None:
    with pytest.raises(Rejected) as caught:
        feed_records(b"this is not a feed at all")
    assert caught.value.reason == RejectReason.BAD_FORMAT


def test_polling_sends_each_entry_once_across_restarts(tmp_path: Path, sender: FakeSender) -> None:
    feed = tmp_path / "gazette.xml"
    feed.write_bytes(RSS)
    state = tmp_path / "state" / "seen.json"
    assert poll_feed(str(feed), sender, FeedState(state)) == 2
    assert poll_feed(str(feed), sender, FeedState(state)) == 0  # a restarted poller
    assert [r["link"] for r in sender.records if isinstance(r, dict)] == [
        "https://gazette.example/2024/04/library",  # 07:30, listed second: sent first
        "https://gazette.example/2024/04/cycle-lanes",
    ]
    assert {key for _, key in sender.sent} == {f"feed:{feed}"}
    assert sender.flushed == 2

    updated = RSS.replace(b"<item>", b"<item><guid>gazette-1002</guid>", 1).replace(
        b'<guid isPermaLink="false">gazette-1001</guid>', b""
    )
    feed.write_bytes(updated)
    assert poll_feed(str(feed), sender, FeedState(state)) == 1
    last = sender.records[-1]
    assert isinstance(last, dict)
    assert last["id"].startswith("gazette-1002#")


def _entries(*bodies: str) -> bytes:
    items = "".join(
        f"<item><title>Bridge reopens</title><guid>bridge-{n}</guid>"
        f"<link>https://gazette.example/bridge-{n}</link><description>{body}</description></item>"
        for n, body in enumerate(bodies)
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Gazette</title>"
        f"{items}</channel></rss>"
    ).encode()


def test_a_corrected_entry_is_sent_again_as_a_new_version(
    tmp_path: Path, sender: FakeSender
) -> None:
    feed = tmp_path / "gazette.xml"
    state = tmp_path / "seen.json"
    feed.write_bytes(_entries("The bridge reopened on Fridya."))
    assert poll_feed(str(feed), sender, FeedState(state)) == 1
    feed.write_bytes(_entries("The bridge reopened on Fridya."))
    assert poll_feed(str(feed), sender, FeedState(state)) == 0  # unchanged: not resent
    feed.write_bytes(_entries("The bridge reopened on Friday."))  # corrected, same guid
    assert poll_feed(str(feed), sender, FeedState(state)) == 1
    first, corrected = sender.records
    assert isinstance(first, dict)
    assert isinstance(corrected, dict)
    assert corrected["uri"] == first["uri"] == "bridge-0"
    assert corrected["id"] != first["id"]
    assert corrected["body_html"] == "The bridge reopened on Friday."
    feed.write_bytes(_entries("The bridge reopened on Friday."))
    assert poll_feed(str(feed), sender, FeedState(state)) == 0


def test_a_state_of_bare_guids_does_not_resend_the_backlog(
    tmp_path: Path, sender: FakeSender
) -> None:
    # Written before ids carried a digest of the entry: the entries are taken as sent...
    state = tmp_path / "seen.json"
    state.write_bytes(orjson.dumps(["bridge-0", "bridge-1"]))
    feed = tmp_path / "gazette.xml"
    feed.write_bytes(_entries("Reopened.", "Closed again."))
    assert poll_feed(str(feed), sender, FeedState(state)) == 0
    assert len(FeedState(state)) == 2
    assert "bridge-0" not in FeedState(state)
    # ... and a later correction is sent.
    feed.write_bytes(_entries("Reopened on Friday.", "Closed again."))
    assert poll_feed(str(feed), sender, FeedState(state)) == 1
    [corrected] = sender.records
    assert isinstance(corrected, dict)
    assert corrected["uri"] == "bridge-0"


@pytest.mark.kafka
def test_ids_are_not_saved_when_the_broker_refuses_a_record(
    strict_settings: Settings, tmp_path: Path
) -> None:
    feed = tmp_path / "gazette.xml"
    feed.write_bytes(_entries("Short.", "Long. " + "word " * 2000))  # over 2000 bytes
    state = tmp_path / "seen.json"
    with RawProducer(strict_settings) as producer:
        with pytest.raises(SendFailed, match="MessageSizeTooLarge"):
            poll_feed(str(feed), producer, FeedState(state))
        assert not state.exists()  # nothing remembered: the next poll sends both again
        assert len(FeedState(state)) == 0


def test_seen_ids_keep_the_newest() -> None:
    seen = FeedState(limit=2)
    seen.add(["a", "b", "c"])
    assert "a" not in seen
    assert "b" in seen
    assert "c" in seen


def _item(guid: str, link: str, title: str, body: str, date: str = "") -> str:
    stamp = f"<pubDate>{date}</pubDate>" if date else ""
    return (
        f'<item><guid isPermaLink="false">{guid}</guid><link>{link}</link><title>{title}</title>'
        f"<description>{body}</description>{stamp}</item>"
    )


def _rss(*items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>City live'
        f"</title><language>en</language>{''.join(items)}</channel></rss>"
    ).encode()


def _labels(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    config = PipelineConfig.with_horizons(7 * 86400, 7 * 86400)
    return list(label_records(records, Shards.in_memory(config)))


def test_uri_is_the_entry_guid_not_its_link() -> None:
    # A live blog: entries with their own guids share one link. The worker groups an item's
    # versions by uri, so with the link as uri each entry "superseded" the one before.
    live = "https://news.example/live/storm"
    records = feed_records(
        _rss(
            _item(
                "live-0930",
                live,
                "Storm: schools closed",
                "All schools in the district are closed today after the storm brought down "
                "power lines across the north of the city, the education office said.",
                "Tue, 05 Mar 2024 09:30:00 GMT",
            ),
            _item(
                "live-1015",
                live,
                "Storm: airport reopens",
                "The airport reopened its runway at ten o'clock and the first flights from the "
                "capital have landed, an airport spokeswoman told reporters at the terminal.",
                "Tue, 05 Mar 2024 10:15:00 GMT",
            ),
        )
    )
    assert sorted(record["uri"] for record in records) == ["live-0930", "live-1015"]
    assert {record["link"] for record in records} == {live}  # the link travels on its own
    assert [line["kind"] for line in _labels(records)] == [None, None]


def test_a_correction_whose_link_changed_is_a_version_of_its_guid() -> None:
    # The slug in the link follows the headline; the guid stays: the same item, corrected.
    body = (
        "The central bank raised its main interest rate by a quarter point on Tuesday, its "
        "third increase this year, citing persistent inflation in services and wages."
    )
    first = feed_records(
        _rss(_item("urn:uuid:42", "https://news.example/bank-raises-rates", "Bank raises", body))
    )
    fixed = feed_records(
        _rss(
            _item(
                "urn:uuid:42",
                "https://news.example/bank-raises-rates-third-time",
                "Bank raises rates for third time",
                body + " Corrects the governor's name to Maria Lopez.",
            )
        )
    )
    assert first[0]["uri"] == fixed[0]["uri"] == "urn:uuid:42"
    assert fixed[0]["link"] == "https://news.example/bank-raises-rates-third-time"
    original, correction = _labels([*first, *fixed])
    assert correction["kind"] == "version"
    assert correction["supersedes"] == original["id"]


def test_a_poll_sends_its_new_entries_oldest_first(tmp_path: Path, sender: FakeSender) -> None:
    # Feeds list newest first; the worker takes the first arrival as the original, so a
    # copy listed above its original in the same poll would become "the original".
    body = (
        "The central bank raised its main interest rate by a quarter point on Tuesday, its "
        "third increase this year, citing persistent inflation in services and wages."
    )
    feed = tmp_path / "wire.xml"
    feed.write_bytes(
        _rss(
            _item("undated-1", "https://x.example/u1", "Undated one", "First undated."),
            _item(
                "copy-2",
                "https://x.example/c",
                "Bank raises rates",
                body + " (Reprinted.)",
                "Tue, 05 Mar 2024 11:30:00 GMT",
            ),
            _item("undated-2", "https://x.example/u2", "Undated two", "Second undated."),
            _item(
                "orig-1",
                "https://x.example/o",
                "Bank raises rates",
                body,
                "Tue, 05 Mar 2024 11:00:00 +0200",
            ),
            _item(
                "mid-3",
                "https://x.example/m",
                "Other news",
                "Something else entirely.",
                "Tue, 05 Mar 2024 10:00:00 GMT",
            ),
        )
    )
    assert poll_feed(str(feed), sender, FeedState(tmp_path / "seen.json")) == 5
    sent = [record for record in sender.records if isinstance(record, dict)]
    # By publication time (orig-1's 11:00 +0200 is 09:00 UTC); the undated after the
    # dated, in feed order among themselves.
    assert [record["uri"] for record in sent] == [
        "orig-1",
        "mid-3",
        "copy-2",
        "undated-1",
        "undated-2",
    ]
    labels = {line["id"]: line for line in _labels([sent[0], sent[2]])}
    assert labels[sent[2]["id"]]["duplicate_of"] == sent[0]["id"]


def _atom_entry(updated: str, rate: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title><id>urn:f</id>
<updated>{updated}</updated>
<entry><id>urn:rates</id><title>Central bank raises rates</title>
<published>2024-04-12T09:00:00Z</published><updated>{updated}</updated>
<content type="text">The central bank raised its main rate to {rate} percent on Friday.</content>
</entry></feed>""".encode()


def test_a_late_atom_original_is_superseded_by_its_correction() -> None:
    """An Atom entry's `updated` is its last significant change (RFC 4287 4.2.15), the
    version's time; `published` is when the item first appeared, the same in every version.
    Read the other way, a correction and its original had the same time, and the original
    arriving late was taken for the newer version."""
    [original] = feed_records(_atom_entry("2024-04-12T09:00:00Z", "4.5"))
    [correction] = feed_records(_atom_entry("2024-04-12T10:30:00Z", "4.75"))
    first, second = normalise_article(original), normalise_article(correction)
    # Both know when the item was first published; each knows its own version's time.
    assert first.firstcreated == second.firstcreated == 1_712_912_400.0
    assert (first.versioncreated, second.versioncreated) == (1_712_912_400.0, 1_712_917_800.0)
    index = DedupIndex({})
    now = 1_712_920_000.0
    index.remember(second, index.find_duplicate(second, now), now)
    assert index.find_duplicate(first, now + 5).kind == "superseded"


def test_an_entry_without_updated_or_published_has_the_other_as_its_times() -> None:
    # RSS has only pubDate (feedparser's `published`); an Atom 0.3 entry or RSS with
    # dc:date only `updated`: that time is the version's, and the worker takes it as the
    # first publication's too. An `updated` before `published` (a feed's error) does not
    # date the version before the item appeared.
    rss = feed_records(RSS)[0]
    assert (rss["published"], rss.get("firstcreated")) == ("2024-04-12T08:00:00+00:00", None)
    only_updated = _atom_entry("2024-04-12T10:30:00Z", "4.75").replace(
        b"<published>2024-04-12T09:00:00Z</published>", b""
    )
    [entry] = feed_records(only_updated)
    assert (entry["published"], entry.get("firstcreated")) == ("2024-04-12T10:30:00+00:00", None)
    [backwards] = feed_records(_atom_entry("2024-04-12T08:00:00Z", "4.75"))
    assert backwards["published"] == backwards["firstcreated"] == "2024-04-12T09:00:00+00:00"


def test_an_atom_entry_has_its_own_language() -> None:
    # RFC 4287: xml:lang on an entry (or its content) is that entry's language; the feed's
    # is for the entries that state none. The worker keeps a declared language for a short
    # text, so a French feed's English entry was sharded as French.
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr"><title>Agence</title><id>urn:f</id>
<updated>2024-01-01T10:00:00Z</updated>
<entry xml:lang="en"><id>urn:e1</id><title>Parliament passes budget</title>
<updated>2024-01-01T10:00:00Z</updated><content type="text">Parliament passed it.</content></entry>
<entry><id>urn:e2</id><title>Le budget est adopt\xc3\xa9</title>
<updated>2024-01-01T10:00:00Z</updated><content type="text" xml:lang="de">Angenommen.</content>
</entry>
<entry><id>urn:e3</id><title>Le budget</title><updated>2024-01-01T10:00:00Z</updated>
<summary>Le Parlement a adopt\xc3\xa9 le budget.</summary></entry>
</feed>"""
    english, german, french = feed_records(atom)
    assert english["language"] == "en"
    assert normalise_article(english).language == "en"
    assert german["language"] == "de"  # the content's own, where the text is
    assert french["language"] == "fr"  # none of its own: the feed's
    # RSS has no per-item language: the channel's.
    assert {record["language"] for record in feed_records(RSS)} == {"en-us"}


@pytest.mark.parametrize(
    "stored",
    [b'{"ids": ["gazette-1001#ab', b"", b'"ids"', b'{"ids": 5}', b'{"ids": [1, 2]}', b"\xff\xfe"],
)
def test_a_corrupt_state_file_is_moved_aside_and_started_afresh(
    tmp_path: Path, sender: FakeSender, caplog: pytest.LogCaptureFixture, stored: bytes
) -> None:
    # A state file cut short (a full disk) or mangled raised in FeedState(), which
    # `wirefeed feed` builds for every feed before polling any: one bad file stopped all.
    feed = tmp_path / "gazette.xml"
    feed.write_bytes(RSS)
    state = tmp_path / "state" / "seen.json"
    state.parent.mkdir()
    state.write_bytes(stored)
    with caplog.at_level("WARNING"):
        seen = FeedState(state)
    assert len(seen) == 0
    assert (seen.etag, seen.modified, seen.unreadable) == (None, None, None)
    kept = state.with_name("seen.json.corrupt")
    assert kept.read_bytes() == stored  # kept for a look, out of the way
    assert not state.exists()
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert str(state) in warning.getMessage()
    assert "starting afresh" in warning.getMessage()
    # The feed is polled as new: its entries go again (the same ids: redeliveries to the
    # worker, not new articles), and a sound state is written.
    assert poll_feed(str(feed), sender, seen) == 2
    assert len(FeedState(state)) == 2


def test_an_entry_the_feed_keeps_listing_is_not_forgotten_and_resent(
    tmp_path: Path, sender: FakeSender
) -> None:
    # A pinned (evergreen) entry stays on a busy feed while newer ones come and go: the ids
    # were kept by when first seen, so it was dropped behind `limit` newer ones and resent.
    feed = tmp_path / "gazette.xml"
    state = tmp_path / "seen.json"
    pinned = _item("pinned", "https://gazette.example/guide", "Election guide", "How to vote.")
    for n in range(6):
        news = _item(f"n{n}", f"https://gazette.example/n{n}", f"Story {n}", f"Body {n}.")
        feed.write_bytes(_rss(news, pinned))
        assert poll_feed(str(feed), sender, FeedState(state, limit=3)) == (2 if n == 0 else 1)
    uris = [record["uri"] for record in sender.records if isinstance(record, dict)]
    assert uris.count("pinned") == 1
