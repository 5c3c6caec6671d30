"""The watcher's and feed poller's broker probe: the broker gauges the worker and the push
endpoint set, from a process that may have nothing to send for hours."""

from __future__ import annotations

import threading

import pytest
from kafka.errors import NodeNotReadyError
from prometheus_client import CollectorRegistry

from service.contact import BrokerContact
from service.metrics import BrokerMetrics
from service.producers.kafka import BrokerProbe


class Admin:
    """kafka-python's admin client as the probe uses it."""

    def __init__(self) -> None:
        self.down = False
        self.asked = threading.Event()
        self.closed = False

    def describe_cluster(self) -> dict[str, object]:
        self.asked.set()
        if self.down:
            raise NodeNotReadyError("No node_id provided")
        return {"cluster_id": "c"}

    def close(self) -> None:
        self.closed = True


def test_the_probe_sets_the_broker_gauges_as_the_broker_answers_or_not(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Review: `wirefeed watch` and `wirefeed feed` served metrics without the broker gauges
    (WirefeedBrokerUnreachable): an idle watcher never said the broker was gone."""
    registry = CollectorRegistry()
    clock = iter(float(t) for t in range(1000, 2000, 10))
    contact = BrokerContact(BrokerMetrics(registry), clock=lambda: next(clock))
    admin = Admin()
    made: list[Admin] = []

    def connect() -> Admin:
        if admin.down and not made:
            raise NodeNotReadyError("bootstrap")  # a broker away as the probe starts
        made.append(admin)
        return admin

    def sample(name: str) -> float | None:
        return registry.get_sample_value(f"wirefeed_broker_{name}")

    probe = BrokerProbe(contact, connect)
    admin.down = True
    probe.probe()  # no client yet: made at the first probe the broker answers
    assert (sample("unreachable"), sample("last_contact_timestamp_seconds")) == (1, 0)
    admin.down = False
    probe.probe()
    assert (sample("unreachable"), sample("last_contact_timestamp_seconds")) == (0, 1010)
    admin.down = True
    probe.probe()
    probe.probe()
    assert (sample("unreachable"), sample("last_contact_timestamp_seconds")) == (1, 1010)
    admin.down = False
    probe.probe()
    assert (sample("unreachable"), sample("last_contact_timestamp_seconds")) == (0, 1030)
    assert len(made) == 1  # one client, kept through the outage
    lines = [r.getMessage() for r in caplog.records if r.name == "service.contact"]
    assert [line.split(" since ")[0] for line in lines] == [
        "broker unreachable",
        "broker reachable again after 10 s (unreachable",
        "broker unreachable",
        "broker reachable again after 10 s (unreachable",
    ]


def test_the_probe_runs_in_a_thread_of_its_own_until_stopped() -> None:
    registry = CollectorRegistry()
    admin = Admin()
    with BrokerProbe(BrokerContact(BrokerMetrics(registry)), lambda: admin, every=0.01):
        assert admin.asked.wait(5)
    assert admin.closed
    assert registry.get_sample_value("wirefeed_broker_last_contact_timestamp_seconds")
