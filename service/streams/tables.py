"""Faust tables seen by the pipeline as plain mappings, one key prefix per shard."""

from __future__ import annotations

from collections.abc import Callable, Collection, ItemsView, Iterator, Mapping, MutableMapping
from typing import Any

from aiokafka.partitioner import DefaultPartitioner

# Between a shard's name (a language) and the pipeline's own key.
SEPARATOR = "/"


def shard_entries(table: Mapping[str, Any], kind: str = "") -> Iterator[tuple[str, str, Any]]:
    """A table's entries as (shard, the pipeline's key, value), for the pipeline keys that
    start with `kind`: the keys are listed first and only those values read (with the
    RocksDB store, reading a value means reading and decoding it from disk)."""
    for key in list(table.keys()):
        shard, _, local = key.partition(SEPARATOR)
        if local.startswith(kind):
            value = table.get(key)
            if value is not None:
                yield shard, local, value


def shard_partition(shard: str, partitions: int) -> int:
    """The partition of the normalised topic a shard's records go to, hence its tables'
    changelog partition: the producer's own partitioner over the shard's key."""
    return int(DefaultPartitioner()(shard.encode(), list(range(partitions)), []))


def held_here(actives: Collection[int], partitions: int) -> Callable[[str], bool]:
    """Whether a shard is one of the active partitions given. The in-memory table store
    keeps standby partitions (and those revoked) in the same mapping as the active ones,
    so a listing of its keys must be told which shards are this worker's."""
    mine = frozenset(actives)
    return lambda shard: shard_partition(shard, partitions) in mine


def shard_keys(table: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """A table's keys as (shard, the pipeline's key); no value is read."""
    for key in list(table.keys()):
        shard, _, local = key.partition(SEPARATOR)
        yield shard, local


class ShardView(MutableMapping[str, Any]):
    """The part of a table that belongs to one shard (a language), as a MutableMapping.

    Every key of a shard is written while processing that shard's events, so it lives in
    the changelog partition of that shard and moves with it on a rebalance.
    """

    def __init__(self, table: MutableMapping[str, Any], shard: str) -> None:
        self._table = table
        self._prefix = shard + SEPARATOR

    def __getitem__(self, key: str) -> Any:
        return self._table[self._prefix + key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._table[self._prefix + key] = value

    def __delitem__(self, key: str) -> None:
        del self._table[self._prefix + key]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (self._prefix + key) in self._table

    def get(self, key: str, default: Any = None) -> Any:
        value = self._table.get(self._prefix + key)
        return default if value is None else value

    def __iter__(self) -> Iterator[str]:
        size = len(self._prefix)
        return (key[size:] for key in list(self._table.keys()) if key.startswith(self._prefix))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def items(self) -> ItemsView[str, Any]:
        return _ShardItems(self)


class _ShardItems(ItemsView[str, Any]):
    """A shard's entries in one pass over the table (rather than its keys, then a lookup per
    key: with the RocksDB store each lookup searches the partitions' databases)."""

    _mapping: ShardView

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        view = self._mapping
        size = len(view._prefix)
        for key, value in view._table.items():
            if key.startswith(view._prefix):
                yield key[size:], value
