"""When each key of a store was last written, kept in memory beside the store.

Eviction reads this map instead of scanning the store: with the worker's RocksDB tables a
scan reads and decodes every value from disk, inside the event loop, once a minute. The map
is filled from the store when an index is rebuilt and kept up to date by the index's own
writes; each entry costs about 100 bytes.
"""

from __future__ import annotations


class Stamps:
    def __init__(self) -> None:
        self._at: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._at)

    def set(self, key: str, stamp: float) -> None:
        self._at[key] = stamp

    def get(self, key: str, default: float = float("-inf")) -> float:
        return self._at.get(key, default)

    def discard(self, key: str) -> None:
        self._at.pop(key, None)

    def clear(self) -> None:
        self._at.clear()

    def expired(self, now: float, horizon: float) -> list[str]:
        """Keys last written more than `horizon` seconds before `now`, taken out of the map."""
        gone = [key for key, stamp in self._at.items() if now - stamp > horizon]
        for key in gone:
            del self._at[key]
        return gone
