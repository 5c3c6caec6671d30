r"""Index units shared by dedup and the story stage: a `\w+` token is one unit, except in
scripts written without spaces between words."""

from __future__ import annotations

import re

# Scripts written without spaces between words (Thai, Lao, Myanmar, Khmer, kana, Han): a `\w+`
# run there is a whole clause, so such runs are read as overlapping character pairs, the
# usual dictionary-free indexing unit for them.
UNSPACED_RUN = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\U00020000-\U0002fa1f]+"
)


def words(token: str) -> list[str]:
    r"""A `\w+` token as index units: itself, or for unspaced scripts its character pairs
    (a lone character stays whole), with any spaced-script part (Latin, digits) kept whole."""
    if token.isascii() or not UNSPACED_RUN.search(token):
        return [token]
    units: list[str] = []
    start = 0
    for run in UNSPACED_RUN.finditer(token):
        if run.start() > start:
            units.append(token[start : run.start()])
        text = run.group()
        units.extend([text] if len(text) == 1 else [text[i : i + 2] for i in range(len(text) - 1)])
        start = run.end()
    if start < len(token):
        units.append(token[start:])
    return units
