from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from service.producers.endpoint import make_app
from service.producers.kafka import RawProducer
from service.settings import Settings
from tests.conftest import read_topics
from tests.producers.conftest import FakeSender
from tests.producers.documents import NEWSML_ITEM, NINJS_1, NITF


@pytest.fixture
async def client(sender: FakeSender) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(make_app(sender, "wire.raw"), host="127.0.0.1")) as client:
        yield client


async def test_health(client: TestClient[Any, Any]) -> None:
    response = await client.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("body", "content_type", "count", "fmt"),
    [
        (orjson.dumps({"id": "a", "text": "Body."}), "application/json", 1, None),
        (orjson.dumps([NINJS_1, {"id": "b", "text": "B"}]), "application/json", 2, "ninjs"),
        (b'{"id": "c", "text": "C"}\n{"id": "d", "text": "D"}\n', "application/x-ndjson", 2, None),
        (NITF, "application/nitf+xml", 1, "nitf"),
        (NEWSML_ITEM, "application/octet-stream", 1, "newsml"),  # sniffed
        (b"GENEVA - Plain text article.", "text/plain", 1, "text"),
    ],
)
async def test_accepted_bodies(
    client: TestClient[Any, Any],
    sender: FakeSender,
    body: bytes,
    content_type: str,
    count: int,
    fmt: str | None,
) -> None:
    response = await client.post("/articles", data=body, headers={"Content-Type": content_type})
    assert response.status == 202
    assert await response.json() == {"accepted": count, "topic": "wire.raw"}
    assert len(sender.records) == count
    first = sender.records[0]
    assert isinstance(first, dict)
    assert first.get("format") == fmt
    assert sender.flushed == 1


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b'{"id": "a", "text": ', "application/json", "not_json"),
        (b'[{"id": "a", "text": "A"}, "oops"]', "application/json", "not_an_object"),
        (b'{"id": "a"}\nnot json\n', "application/x-ndjson", "not_json"),
        (b"<nitf><head></nitf>", "application/xml", "bad_format"),
        (b"<rss><channel/></rss>", "text/xml", "bad_format"),
    ],
)
async def test_malformed_bodies_get_400_and_a_dead_letter(
    client: TestClient[Any, Any], sender: FakeSender, body: bytes, content_type: str, reason: str
) -> None:
    response = await client.post("/articles", data=body, headers={"Content-Type": content_type})
    assert response.status == 400
    answer = await response.json()
    assert answer["error"] == reason
    assert answer["detail"]
    assert answer["dead_lettered"] is True
    # Nothing of it goes out as an article: only the body, as bytes, for the dead-letter topic.
    assert sender.records == [body]


async def test_empty_body_is_400_without_a_dead_letter(
    client: TestClient[Any, Any], sender: FakeSender
) -> None:
    response = await client.post("/articles", data=b"  ")
    assert response.status == 400
    assert (await response.json())["error"] == "missing_text"
    assert sender.records == []


async def test_broker_failure_is_503() -> None:
    class Down(FakeSender):
        def flush(self) -> None:
            raise TimeoutError("no broker")

    async with TestClient(TestServer(make_app(Down(), "wire.raw"), host="127.0.0.1")) as client:
        response = await client.post("/articles", json={"id": "a", "text": "A"})
        assert response.status == 503


@pytest.mark.kafka
async def test_nitf_pushed_over_http_reaches_the_raw_topic(service_settings: Settings) -> None:
    with RawProducer(service_settings) as producer:
        app = make_app(producer, service_settings.topics.raw)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            response = await client.post(
                "/articles", data=NITF, headers={"Content-Type": "application/nitf+xml"}
            )
            assert response.status == 202
    [(topic, record)] = read_topics(service_settings, [service_settings.topics.raw], 1)
    assert topic == service_settings.topics.raw
    assert record["format"] == "nitf"
    assert record["id"] == "EXN-2024-0412-0007#2"
    assert record["title"] == "Harbour bridge reopens after six weeks of repairs"
