"""The local broker's pid file: only our broker process is ever signalled."""

from __future__ import annotations

import subprocess
from pathlib import Path

from service.localbroker import broker_pid, new_cluster_id, stop_broker
from service.settings import Settings


def test_a_stale_pid_file_naming_another_process_is_not_ours(tmp_path: Path) -> None:
    # After a reboot the pid in the file can belong to anything.
    settings = Settings(kafka_data_dir=tmp_path)
    other = subprocess.Popen(["sleep", "30"])
    try:
        (tmp_path / "broker.pid").write_text(str(other.pid))
        assert broker_pid(settings) is None
        assert stop_broker(settings, timeout=1.0) is False
        assert other.poll() is None  # still running: not signalled
    finally:
        other.kill()
        other.wait()


def test_cluster_ids_never_look_like_an_option() -> None:
    # One in 64 random ids started with "-" and the storage tool refused to format.
    ids = [new_cluster_id() for _ in range(3000)]
    assert not [cluster_id for cluster_id in ids if cluster_id.startswith("-")]
    assert len(set(ids)) == len(ids)
    assert all(len(cluster_id) == 22 for cluster_id in ids)
