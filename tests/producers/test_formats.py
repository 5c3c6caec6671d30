from __future__ import annotations

import orjson
import pytest

from service.models import Rejected, RejectReason
from service.pipeline.normalise import normalise_article
from service.producers.formats import (
    looks_like_ninjs,
    parse_document,
    parse_ndjson,
    parse_xml,
    records_from_json,
)
from tests.producers.documents import NEWSML_ITEM, NEWSML_MESSAGE, NINJS_1, NINJS_2, NITF


def test_nitf_fields() -> None:
    [record] = parse_xml(NITF)
    assert record["format"] == "nitf"
    assert record["uri"] == "EXN-2024-0412-0007"
    assert record["version"] == 2
    assert record["id"] == "EXN-2024-0412-0007#2"
    assert record["title"] == "Harbour bridge reopens after six weeks of repairs"
    assert record["byline"] == "Maria Lindqvist"
    assert record["located"] == "Portsmouth"
    assert record["published"] == "2024-04-12T09:15:00+00:00"
    assert record["urgency"] == 3
    assert record["source"] == "Example News Agency"
    assert record["language"] == "en-GB"
    assert "media-reference" not in record["body_html"]
    assert "<h2>Delays expected</h2>" in record["body_html"]


def test_nitf_record_normalises_to_the_article() -> None:
    article = normalise_article(parse_xml(NITF)[0])
    assert article.guid == "EXN-2024-0412-0007"
    assert article.version == 2
    assert article.headline == "Harbour bridge reopens after six weeks of repairs"
    assert article.located == "Portsmouth"
    assert article.language == "en"
    assert article.captions == ("Traffic crosses the reopened bridge.",)
    assert article.paragraphs[0].startswith("The harbour bridge reopened to traffic")
    assert "About 30,000 vehicles a day" in article.paragraphs[-1]


def test_newsml_item_fields() -> None:
    [record] = parse_xml(NEWSML_ITEM)
    assert record["format"] == "newsml"
    assert record["uri"] == "urn:newsml:example.org:20240412:rail-strike"
    assert record["id"] == "urn:newsml:example.org:20240412:rail-strike#3"
    assert record["version"] == 3
    assert record["title"] == "Bahnstreik legt Fernverkehr lahm"
    assert record["published"] == "2024-04-12T10:05:00+02:00"
    assert record["firstcreated"] == "2024-04-12T08:30:00+02:00"
    assert record["pubstatus"] == "usable"
    assert record["urgency"] == 2
    assert record["located"] == "Frankfurt"
    assert record["credit"] == "Beispiel Presse/dpa"
    assert record["source"] == "Beispiel Presse"
    assert record["language"] == "de"
    # The XHTML body loses its namespace prefixes and its <head>.
    assert record["body_html"].startswith("<p>Ein Streik der Lokführer")
    assert "h:" not in record["body_html"]
    assert "<title>" not in record["body_html"]
    article = normalise_article(record)
    assert article.language == "de"
    assert len(article.paragraphs) == 2


def test_newsml_message_gives_every_item() -> None:
    records = parse_xml(NEWSML_MESSAGE)
    assert [r["uri"] for r in records] == [
        "urn:newsml:example.org:20240412:storm",
        "urn:newsml:example.org:20240412:storm-2",
    ]
    assert records[0]["text"].startswith("Ferry operators cancelled all crossings")
    assert records[1]["body_html"] == "<p>Crossings resumed in the evening.</p>"
    assert all(r["source"] == "Example Wire" for r in records)


def test_ninjs_1_and_2() -> None:
    first, second = records_from_json([NINJS_1, NINJS_2])
    assert first["format"] == second["format"] == "ninjs"
    assert first["version"] == 2
    assert first["id"] == f"{NINJS_1['uri']}#2"
    assert first["title"] == "Paintings stolen from city museum"
    assert first["body_html"] == NINJS_1["body_html"]
    assert first["source"] == "Example Press"
    assert first["located"] == "Lisbon"
    assert first["firstcreated"] == "2024-04-12T09:00:00Z"
    assert second["title"] == "Strong quake shakes northern Japan"  # the main headline
    assert second["text"] == "A strong earthquake shook..."
    assert second["byline"] == "Kenji Sato, Emi Tanaka"
    assert second["source"] == "Example Wire Japan"


def test_versions_of_one_item_are_distinct_copies() -> None:
    v1 = records_from_json(dict(NINJS_1, version="1"))[0]
    v2 = records_from_json(NINJS_1)[0]
    assert v1["uri"] == v2["uri"]
    assert v1["id"] != v2["id"]


def test_plain_raw_records_pass_unchanged() -> None:
    raw = {"id": "a1", "title": "T", "text": "Body.", "uri": "u1"}
    assert not looks_like_ninjs(raw)
    assert records_from_json(raw) == [raw]


def test_sniffing_by_content_and_type() -> None:
    assert parse_document(NITF)[0]["format"] == "nitf"
    assert parse_document(b"  " + NEWSML_ITEM)[0]["format"] == "newsml"
    assert parse_document(orjson.dumps(NINJS_2), "application/json")[0]["format"] == "ninjs"
    ndjson = orjson.dumps(NINJS_1) + b"\n" + orjson.dumps({"id": "x", "text": "t"}) + b"\n"
    assert [r.get("format") for r in parse_document(ndjson)] == ["ninjs", None]
    assert len(parse_document(ndjson, "application/x-ndjson")) == 2


@pytest.mark.parametrize(
    ("data", "reason", "detail"),
    [
        (b"<nitf><head></nitf>", RejectReason.BAD_FORMAT, "not well-formed"),
        (b"<html><body><p>hi</p></body></html>", RejectReason.BAD_FORMAT, "<html>"),
        (b"<nitf><head/><body><body.content/></body></nitf>", RejectReason.BAD_FORMAT, "doc-id"),
        (
            b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/"><contentMeta/></newsItem>',
            RejectReason.BAD_FORMAT,
            "without a guid",
        ),
        (
            b'<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><itemSet/></newsMessage>',
            RejectReason.BAD_FORMAT,
            "without a newsItem",
        ),
        (b'{"id": 1,', RejectReason.NOT_JSON, ""),
        (b'[{"id": "a", "text": "b"}, 3]', RejectReason.NOT_AN_OBJECT, "item 1"),
        (b'{"$schema": "ninjs-schema_2.1.json"}', RejectReason.BAD_FORMAT, "uri"),
        (b"   ", RejectReason.MISSING_TEXT, "empty"),
        (b'{"text": "caf\xe9"}', RejectReason.NOT_UTF8, ""),
    ],
)
def test_malformed_documents_are_rejected(data: bytes, reason: RejectReason, detail: str) -> None:
    with pytest.raises(Rejected) as caught:
        parse_document(data)
    assert caught.value.reason == reason
    assert detail in caught.value.detail


def test_bad_ndjson_line_is_named() -> None:
    with pytest.raises(Rejected, match="line 2"):
        parse_ndjson(b'{"id": "a"}\n{"id": \n')


def test_external_entities_are_not_resolved() -> None:
    document = (
        b'<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<nitf><head><docdata><doc-id id-string="x1"/></docdata></head>'
        b"<body><body.content><p>before &xxe; after</p></body.content></body></nitf>"
    )
    [record] = parse_xml(document)
    assert "root:" not in record["body_html"]
    assert "before" in record["body_html"]
