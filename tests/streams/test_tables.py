"""Shard views over one table: keys behind their shard's prefix, read back per shard."""

from __future__ import annotations

from typing import Any

from service.streams.tables import ShardView, shard_entries


def test_shard_views_and_entries_agree() -> None:
    table: dict[str, Any] = {}
    english, french = ShardView(table, "en"), ShardView(table, "fr")
    # Article ids may be URLs: a key holds slashes of its own.
    english["article:https://example.org/a/1"] = ["st-1", 0.0]
    french["story:st-2"] = {"n": 1}
    assert dict(english) == {"article:https://example.org/a/1": ["st-1", 0.0]}
    assert list(french) == ["story:st-2"]
    assert sorted(shard_entries(table)) == [
        ("en", "article:https://example.org/a/1", ["st-1", 0.0]),
        ("fr", "story:st-2", {"n": 1}),
    ]
    assert list(shard_entries(table, "story:")) == [("fr", "story:st-2", {"n": 1})]
