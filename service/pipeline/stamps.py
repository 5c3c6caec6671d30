"""When each key of a store was last written, kept in memory beside the store, and the
fixed points of the clock at which what is past its horizon is forgotten.

Eviction reads this map instead of scanning the store: with the worker's RocksDB tables a
scan reads and decodes every value from disk, inside the event loop, once a minute. The map
is filled from the store when an index is rebuilt and kept up to date by the index's own
writes; each entry costs about 100 bytes.
"""

from __future__ import annotations

import math


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


def eviction_point(now: float, every: float, last: float | None) -> float | None:
    """The point of the clock as of which state past its horizon is forgotten at `now`: the
    last multiple of `every` (from 0; `now` itself when `every` is 0), or None when state
    was already forgotten as of it (`last`). Fixed points make a store made anew from its
    table at any moment forget what one that never stopped forgets."""
    point = math.floor(now / every) * every if every > 0 else now
    return point if last is None or point > last else None
