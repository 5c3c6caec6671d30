"""The worker's metrics as configured: the source labels come from WIRE_METRIC_SOURCES."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.metrics import OTHER
from service.settings import Settings
from service.streams.app import Worker

AGENCIES = [f"Agency{i:02d}" for i in range(25)]


def test_the_worker_labels_every_source_of_wire_metric_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The review: with 25 sources, 5 of them (which ones depended on partition order) were
    # folded into "other", invisible to the silent-source alert; no setting could name them.
    monkeypatch.setenv("WIRE_METRIC_SOURCES", " , ".join(AGENCIES))
    settings = Settings(table_store="memory", worker_data_dir=tmp_path)
    worker = Worker(settings)
    assert [worker.metrics.source_label(name) for name in AGENCIES] == [
        name.lower() for name in AGENCIES
    ]
    assert worker.metrics.source_label("some-blog") == OTHER
    # Each listed source is watched from the start: one that never sends is seen to be silent.
    for name in AGENCIES:
        value = worker.registry.get_sample_value(
            "wirefeed_source_last_seen_timestamp_seconds", {"source": name.lower()}
        )
        assert value == 0, name
