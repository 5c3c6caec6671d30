from __future__ import annotations

from pathlib import Path

import pytest

from service.models import Rejected, RejectReason
from service.producers.feeds import SeenIds, feed_records, poll_feed
from tests.producers.conftest import FakeSender
from tests.producers.documents import ATOM, RSS


def test_rss_entries() -> None:
    first, second = feed_records(RSS)
    assert first["format"] == second["format"] == "rss"
    assert first["id"] == "gazette-1001"
    assert first["uri"] == "https://gazette.example/2024/04/cycle-lanes"
    assert first["title"] == "Council approves new cycle lanes"
    # content:encoded (the full text) wins over the description.
    assert first["body_html"] == "<p>The council approved 12 km of new cycle lanes.</p>"
    assert first["published"] == "2024-04-12T08:00:00+00:00"
    assert first["source"] == "Example Gazette"
    assert first["language"] == "en-us"
    # No guid: the link is the id; the offset is applied.
    assert second["id"] == "https://gazette.example/2024/04/library"
    assert second["published"] == "2024-04-12T07:30:00+00:00"
    assert second["body_html"] == "<p>The central library will open until 10pm.</p>"


def test_atom_entry() -> None:
    [entry] = feed_records(ATOM)
    assert entry["format"] == "atom"
    assert entry["id"] == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert entry["uri"] == "https://science.example/galaxy"
    assert entry["published"] == "2024-04-12T09:00:00+00:00"
    assert entry["byline"] == "Lena Ortiz"
    assert entry["source"] == "Example Science Desk"
    assert "13 billion years ago" in entry["body_html"]


def test_not_a_feed_is_rejected() -> None:
    with pytest.raises(Rejected) as caught:
        feed_records(b"this is not a feed at all")
    assert caught.value.reason == RejectReason.BAD_FORMAT


def test_polling_sends_each_entry_once_across_restarts(tmp_path: Path, sender: FakeSender) -> None:
    feed = tmp_path / "gazette.xml"
    feed.write_bytes(RSS)
    state = tmp_path / "state" / "seen.json"
    assert poll_feed(str(feed), sender, SeenIds(state)) == 2
    assert poll_feed(str(feed), sender, SeenIds(state)) == 0  # a restarted poller
    assert [r["id"] for r in sender.records if isinstance(r, dict)] == [
        "gazette-1001",
        "https://gazette.example/2024/04/library",
    ]
    assert {key for _, key in sender.sent} == {f"feed:{feed}"}
    assert sender.flushed == 2

    updated = RSS.replace(b"<item>", b"<item><guid>gazette-1002</guid>", 1).replace(
        b'<guid isPermaLink="false">gazette-1001</guid>', b""
    )
    feed.write_bytes(updated)
    assert poll_feed(str(feed), sender, SeenIds(state)) == 1
    assert sender.records[-1]["id"] == "gazette-1002"  # type: ignore[index]


def test_seen_ids_keep_the_newest() -> None:
    seen = SeenIds(limit=2)
    seen.add(["a", "b", "c"])
    assert "a" not in seen
    assert "b" in seen
    assert "c" in seen
