"""Language codes: which codes name one language, sharded and compared as one."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Codes of one language: Serbo-Croatian's standards (`hr`, `sr`, `bs`, and `sh`, which the
# model answers too), Indonesian and Malay, Norwegian's written standards. Agencies exchange
# copy under their own tag, and the model cannot tell these apart: the same text tagged `hr`
# by one agency and `sr` by another went to two shards and was neither linked nor put in one
# story. Each folds to one key, the shard's (`route.shard_of`) and the one languages are
# compared by; an article keeps the code it was declared with. The key is the code most of
# such copy was sharded under before (`id`, `no`: those shards keep their state), or the
# language's own (`sh`, as wordfreq names it).
_ONE_LANGUAGE: Mapping[str, str] = MappingProxyType(
    {"hr": "sh", "sr": "sh", "bs": "sh", "ms": "id", "nb": "no", "nn": "no"}
)


def shard_language(code: str) -> str:
    """The key a language code is sharded and compared by: the code, or that of the language
    it is one with (`hr`, `sr`, `bs` -> `sh`; `ms` -> `id`; `nb`, `nn` -> `no`)."""
    return _ONE_LANGUAGE.get(code, code)
