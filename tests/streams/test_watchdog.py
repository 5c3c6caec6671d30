"""The watchdog that ends a worker still up after its app crashed (review: a worker parked in
mode's Worker.stop_and_shutdown after a producer-buffer crash, /metrics answering, nothing
processed, SIGTERM ignored)."""

from __future__ import annotations

import pytest

from service.streams.watchdog import HUNG_EXIT_STATUS, watch_crash


class App:
    def __init__(self, crashed_from: int) -> None:
        self.checks = 0
        self.crashed_from = crashed_from

    @property
    def crashed(self) -> bool:
        self.checks += 1
        return self.checks >= self.crashed_from


class Ended(Exception):
    pass


def test_a_worker_crashed_and_still_up_after_the_grace_is_ended() -> None:
    app = App(crashed_from=3)  # fine for two checks, then crashed for good
    now = [0.0]
    ended: list[int] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    def end(status: int) -> None:
        ended.append(status)
        raise Ended

    with pytest.raises(Ended):
        watch_crash(app, grace=60.0, every=5.0, clock=lambda: now[0], sleep=sleep, end=end)
    assert ended == [HUNG_EXIT_STATUS]
    # Crashed at the third check (15 s), ended at the first check 60 s after it.
    assert now[0] == 75.0


def test_a_running_worker_is_left_alone() -> None:
    app = App(crashed_from=10**9)
    sleeps = 0

    def sleep(seconds: float) -> None:
        nonlocal sleeps
        sleeps += 1
        if sleeps > 1000:
            raise Ended

    def end(status: int) -> None:
        raise AssertionError(f"ended with {status}")

    with pytest.raises(Ended):
        watch_crash(app, sleep=sleep, end=end)
