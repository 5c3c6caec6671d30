"""`wirefeed bench dedup`: the batch it measures and the reading of valgrind's summary."""

from __future__ import annotations

from service.benchmarks.dedup import _prepare, callgrind_totals

VALGRIND_SUMMARY = """\
==20379== Events    : Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
==20379== Collected : 2784656412 730705711 384048016 32547422 14022190 6621888 14179 173035 200806
==20379==
==20379== I   refs:      2,784,656,412
==20379== I1  misses:       32,547,422
==20379== LLi misses:           14,179
==20379== LLd misses:          373,841  (    173,035 rd +     200,806 wr)
==20379== LL refs:          53,191,500  ( 46,569,612 rd +   6,621,888 wr)
==20379== LL misses:           388,020  (    187,214 rd +     200,806 wr)
"""


def test_callgrind_totals_reads_instructions_and_last_level_misses() -> None:
    assert callgrind_totals(VALGRIND_SUMMARY) == {"I refs": 2_784_656_412, "LL misses": 388_020}
    assert callgrind_totals("no summary here") == {}


def test_prepared_batch_is_half_copies_of_indexed_articles() -> None:
    store, index, articles, memory = _prepare(200, 40, seed=5)
    assert len(articles) == 40
    assert memory > 0
    copies = [a for a in articles if a.id.startswith("copy-")]
    assert len(copies) == 20
    # Each copy is found as a duplicate of an article already in the index.
    for n, article in enumerate(copies):
        decision = index.find_duplicate(article, float(200 + n))
        assert decision.is_duplicate
        assert str(decision.duplicate_of).startswith("fill-")
    assert store
