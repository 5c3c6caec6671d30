"""A sender that records what producers send, in place of kafka-python."""

from __future__ import annotations

from typing import Any

import pytest


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any] | bytes, str | None]] = []
        self.flushed = 0

    def send(self, record: dict[str, Any] | bytes, feed: str | None = None) -> None:
        self.sent.append((record, feed))

    def flush(self) -> None:
        self.flushed += 1

    @property
    def records(self) -> list[dict[str, Any] | bytes]:
        return [record for record, _ in self.sent]


@pytest.fixture
def sender() -> FakeSender:
    return FakeSender()
