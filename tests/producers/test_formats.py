from __future__ import annotations

import codecs
from datetime import datetime
from typing import Any

import orjson
import pytest
from lxml import etree

from service.models import Article, Rejected, RejectReason
from service.pipeline.dedup import DedupIndex
from service.pipeline.normalise import article_to_record, normalise_article
from service.producers import formats
from service.producers.formats import (
    looks_like_ninjs,
    parse_document,
    parse_json,
    parse_ndjson,
    parse_xml,
    records_from_json,
)
from tests.producers.documents import (
    NEWSML_ITEM,
    NEWSML_MESSAGE,
    NEWSML_MESSAGE_WITH_PICTURE,
    NINJS_1,
    NINJS_2,
    NITF,
)

BOM = b"\xef\xbb\xbf"


def _nitf(content: str, *, docdata: str = "", head: str = "", doctype: str = "") -> bytes:
    """A minimal NITF document around one body.content."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<nitf><head><docdata>'
        f'<doc-id id-string="x1"/>{docdata}</docdata></head><body><body.head>{head}'
        f"</body.head><body.content>{content}</body.content></body></nitf>"
    ).encode()


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


_PONT = "<p>Le pont du port a rouvert vendredi matin après six semaines de travaux.</p>"


def test_nitf_baselang_is_the_language_when_nothing_closer_gives_one() -> None:
    document = _nitf(_PONT).replace(b"<nitf>", b'<nitf baselang="fr-FR">')
    [record] = parse_xml(document)
    assert record["language"] == "fr-FR"
    assert normalise_article(record).language == "fr"
    # The head's xml:lang, the language of the metadata, when the document gives no other.
    [record] = parse_xml(_nitf(_PONT).replace(b"<head>", b'<head xml:lang="fr">'))
    assert record["language"] == "fr"


@pytest.mark.parametrize(
    ("nitf", "body", "content", "language"),
    [
        # xml:lang holds for what it is on and inside it, unless something inside says
        # otherwise: the language nearest the text is the text's.
        ('<nitf xml:lang="en">', "<body>", '<body.content xml:lang="fr">', "fr"),
        ('<nitf xml:lang="en">', '<body xml:lang="fr">', "<body.content>", "fr"),
        ('<nitf baselang="en" xml:lang="fr">', "<body>", "<body.content>", "fr"),
        ('<nitf baselang="de">', '<body xml:lang="fr">', "<body.content>", "fr"),
    ],
)
def test_nitf_language_nearest_the_text_wins(
    nitf: str, body: str, content: str, language: str
) -> None:
    document = (
        _nitf(_PONT)
        .replace(b"<nitf>", nitf.encode())
        .replace(b"<body>", body.encode())
        .replace(b"<body.content>", content.encode())
    )
    [record] = parse_xml(document)
    assert record["language"] == language


@pytest.mark.parametrize(
    ("docdata", "head", "published"),
    [
        ('<date.release norm="20240412T120000Z"/>', "", "2024-04-12T12:00:00+00:00"),
        ('<date.issue norm="20240412T091500Z"/>', "", "2024-04-12T09:15:00+00:00"),
        # The New York Times corpus dates its NITF only by the publication's date.
        (
            "",
            '<pubdata type="print" date.publication="20070101T000000"/>',
            "2007-01-01T00:00:00+00:00",
        ),
        # Embargoed: issued at 09:15 for release at noon. The issue is this version's time,
        # as versionCreated is in NewsML-G2 (a correction issued at 10:00 keeps the release).
        (
            '<date.issue norm="20240412T091500Z"/><date.release norm="20240412T120000+0200"/>',
            "",
            "2024-04-12T09:15:00+00:00",
        ),
        (
            '<date.issue norm=" "/><date.release norm="20240412T120000Z"/>',
            "",
            "2024-04-12T12:00:00+00:00",
        ),
    ],
)
def test_nitf_published_is_its_issue_else_its_release_or_publication(
    docdata: str, head: str, published: str
) -> None:
    document = _nitf(_PONT, docdata=docdata).replace(b"</docdata>", f"</docdata>{head}".encode())
    [record] = parse_xml(document)
    assert record["published"] == published
    assert normalise_article(record).versioncreated == datetime.fromisoformat(published).timestamp()


def test_an_embargoed_nitf_original_arriving_after_its_correction_is_superseded() -> None:
    """Without a du-key version, the worker orders an item's versions by their times: the
    correction's issue time, not the release time both share."""

    def version(issued: str, rate: str) -> Article:
        docdata = f'<date.issue norm="{issued}"/><date.release norm="20240412T120000Z"/>'
        text = f"<p>The central bank raised its main rate to {rate} percent on Friday.</p>"
        return normalise_article(parse_xml(_nitf(text, docdata=docdata))[0])

    original, correction = version("20240412T091500Z", "4.5"), version("20240412T100000Z", "4.75")
    index = DedupIndex({})
    now = 1_712_920_000.0
    index.remember(correction, index.find_duplicate(correction, now), now)
    assert index.find_duplicate(original, now + 5).kind == "superseded"


@pytest.mark.parametrize(
    ("status", "pubstatus"),
    [
        ("canceled", "canceled"),
        ("withheld", "withheld"),
        ("usable", "usable"),
        ("embargoed", "usable"),
    ],
)
def test_nitf_management_status_is_the_pubstatus(status: str, pubstatus: str) -> None:
    # NITF 3.1's docdata@management-status: a kill (canceled) must not go out as usable.
    # Embargoed is not a ninjs status: the item is usable, at its release.
    document = _nitf(_PONT).replace(
        b"<docdata>", f'<docdata management-status="{status}">'.encode()
    )
    [record] = parse_xml(document)
    assert normalise_article(record).pubstatus == pubstatus


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


@pytest.mark.parametrize(
    "status",
    [
        'qcode="stat:canceled"',
        # Any G2 QCode property may be given by its URI instead.
        'uri="http://cv.iptc.org/newscodes/pubstatusg2/canceled"',
    ],
)
def test_newsml_pub_status_by_qcode_or_uri(status: str) -> None:
    item = NEWSML_ITEM.replace(
        b'<pubStatus qcode="stat:usable"/>', f"<pubStatus {status}/>".encode()
    )
    [record] = parse_xml(item)
    assert record["pubstatus"] == "canceled"


_MAIN = "Bahnstreik legt Fernverkehr lahm"
_SUB = "Gewerkschaft will bis Sonntag streiken"


@pytest.mark.parametrize(
    "headlines",
    [
        # The sub-headline first: its role says it is not the main one.
        f'<headline role="hld:sub">{_SUB}</headline><headline role="hld:main">{_MAIN}</headline>',
        f'<headline role="hld:subhead">{_SUB}</headline><headline>{_MAIN}</headline>',
        f'<headline role="hld:sub">{_SUB}</headline><headline>{_MAIN}</headline>'
        f'<headline role="hld:main">{_MAIN}</headline>',
        # The role by its URI (roleuri), or among several roles.
        f'<headline roleuri="http://cv.iptc.org/newscodes/headlinerole/sub">{_SUB}</headline>'
        f'<headline roleuri="http://cv.iptc.org/newscodes/headlinerole/main">{_MAIN}</headline>',
        f'<headline role="hld:sub">{_SUB}</headline>'
        f'<headline role="x:web hld:main">{_MAIN}</headline>',
        # An explicit main one outranks one without a role (AP's extended headline has one).
        f'<headline>{_SUB}</headline><headline role="hld:main">{_MAIN}</headline>',
        f'<headline>{_MAIN}</headline><headline role="aprol:extendedHeadline">{_SUB}</headline>',
        # An empty main one hides nothing.
        f'<headline role="hld:main"> </headline><headline>{_MAIN}</headline>',
    ],
    ids=[
        "sub-then-main",
        "subhead-then-unroled",
        "main-outranks-unroled-later",
        "roleuri",
        "role-list",
        "main-outranks-unroled-first",
        "ap-extended",
        "empty-main",
    ],
)
def test_newsml_headline_is_the_main_one(headlines: str) -> None:
    item = NEWSML_ITEM.replace(f"<headline>{_MAIN}</headline>".encode(), headlines.encode())
    [record] = parse_xml(item)
    assert record["title"] == _MAIN


def test_newsml_headline_without_a_main_one_is_the_first() -> None:
    headlines = f'<headline role="hld:sub">{_SUB}</headline><headline role="x:web">X</headline>'
    item = NEWSML_ITEM.replace(f"<headline>{_MAIN}</headline>".encode(), headlines.encode())
    [record] = parse_xml(item)
    assert record["title"] == _SUB


def test_newsml_message_gives_every_item() -> None:
    records = parse_xml(NEWSML_MESSAGE)
    assert [r["uri"] for r in records] == [
        "urn:newsml:example.org:20240412:storm",
        "urn:newsml:example.org:20240412:storm-2",
    ]
    assert records[0]["text"].startswith("Ferry operators cancelled all crossings")
    assert records[1]["body_html"] == "<p>Crossings resumed in the evening.</p>"
    assert all(r["source"] == "Example Wire" for r in records)


def _inline_data(kind: str, data: str) -> bytes:
    """A NewsML-G2 newsItem whose body is one inlineData of `kind`."""
    return (
        f'<newsItem xmlns="{formats.NEWSML_NS}" guid="urn:c1"><contentMeta><headline>Budget'
        f'</headline></contentMeta><contentSet><inlineData contenttype="{kind}">{data}'
        "</inlineData></contentSet></newsItem>"
    ).encode()


@pytest.mark.parametrize(("kind", "field"), [("text/plain", "text"), ("text/html", "body_html")])
def test_newsml_inline_data_is_read_whole_around_comments_and_instructions(
    kind: str, field: str
) -> None:
    # Only the text before the first comment was read (`.text`): the body was "First
    # sentence." and the rest of the article was lost without a word.
    data = (
        "First sentence. <!-- desk: ok --> The council approved the budget."
        "<?desk hold?> Debate ran late.<!---->"
    )
    [record] = parse_xml(_inline_data(kind, data))
    assert record[field] == "First sentence.  The council approved the budget. Debate ran late."
    assert "desk" not in record[field]


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


_ZURICH = "<p>Zürich – the café’s “reopening”</p>"


def _declared(encoding: str) -> bytes:
    """The minimal NITF document as text declaring `encoding` (bytes of it as UTF-8)."""
    return _nitf(_ZURICH).replace(b'encoding="UTF-8"', f'encoding="{encoding}"'.encode())


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        # A byte order mark of UTF-16 (either order) or UTF-32, with or without a declaration.
        (_declared("UTF-16").decode().encode("utf-16"), None),
        (_nitf(_ZURICH).decode().split("?>", 1)[1].encode("utf-16"), "application/xml"),
        (codecs.BOM_UTF16_BE + _nitf(_ZURICH).decode().encode("utf-16-be"), None),
        (_nitf(_ZURICH).decode().encode("utf-32"), None),
        # The transport's charset, with no declaration, with the same one and with another
        # (the charset wins: RFC 7303), after blank lines.
        (_nitf(_ZURICH).decode().split("?>", 1)[1].encode("cp1252"), "text/xml; charset=cp1252"),
        (_declared("windows-1252").decode().encode("cp1252"), "application/xml"),
        (b"\n " + _nitf(_ZURICH).decode().encode("cp1252"), 'text/xml; charset="windows-1252"'),
        (_nitf(_ZURICH).decode().encode("utf-16-le"), "application/nitf+xml; charset=utf-16le"),
        # A charset of utf-8 wins too: a UTF-8 body whose declaration still names the legacy
        # charset it was converted from (windows-1252 read it as mojibake, others refused).
        (_declared("windows-1252"), "application/xml; charset=utf-8"),
        (_declared("ISO-8859-7"), "text/xml; charset=UTF-8"),
        (_declared("Shift_JIS"), "application/nitf+xml; charset=utf8"),
    ],
)
def test_xml_in_other_encodings_is_read_as_it_says(data: bytes, content_type: str | None) -> None:
    (record,) = parse_document(data, content_type)
    assert record["format"] == "nitf"
    assert "Zürich – the café’s “reopening”" in record["body_html"]


def test_json_in_utf16_or_a_declared_charset_is_read() -> None:
    record = {"id": "z", "text": "Zürich café"}
    assert parse_document(orjson.dumps(record).decode().encode("utf-16")) == [record]
    latin = orjson.dumps(record).decode().encode("latin-1")
    assert parse_document(latin, "application/json; charset=iso-8859-1") == [record]


_GENEVA = "GENEVA \u2014 Talks on the Zürich accord resume on Monday, 12 May."


@pytest.mark.parametrize("order", ["utf-16-be", "utf-16-le", "utf-32-be", "utf-32-le"])
def test_xml_and_json_in_utf16_without_a_mark_are_read(order: str) -> None:
    charset = order.rsplit("-", 1)[0]
    xml = _nitf(_ZURICH).decode().split("?>", 1)[1].encode(order)
    (record,) = parse_document(xml, f"application/nitf+xml; charset={charset}")
    assert "Zürich – the café’s “reopening”" in record["body_html"]
    raw = {"id": "z", "text": _GENEVA}
    json = orjson.dumps(raw).decode().encode(order)
    assert parse_document(json, f"application/json; charset={charset}") == [raw]


@pytest.mark.parametrize("order", ["utf-16-be", "utf-16-le", "utf-32-be", "utf-32-le"])
def test_documents_in_unicode_without_a_mark_or_charset_are_read_in_the_order_they_show(
    order: str,
) -> None:
    # Nothing declares the encoding: the NULs of the ASCII show it (JSON's own rule,
    # RFC 4627 3), where a big-endian document's first byte, a NUL, made it no XML and no
    # NDJSON.
    xml = _nitf(_ZURICH).decode().split("?>", 1)[1].encode(order)
    (record,) = parse_document(xml)
    assert "Zürich – the café’s “reopening”" in record["body_html"]
    first, second = {"id": "z", "text": _GENEVA}, {"id": "y", "text": "Talks end."}
    lines = "\n".join(orjson.dumps(raw).decode() for raw in (first, second))
    assert parse_document(lines.encode(order), "application/json") == [first, second]
    assert parse_json(orjson.dumps(first).decode().encode(order)) == [first]
    assert parse_ndjson(lines.encode(order)) == [first, second]


@pytest.mark.parametrize(
    ("data", "content_type", "detail"),
    [
        (b"<nitf/>", "application/xml; charset=klingon", "unknown charset 'klingon'"),
        (b"\xff\xfe<\x00n", None, "not valid utf-16"),
        # Without a charset or a declaration, XML is UTF-8.
        (_nitf(_ZURICH).decode().split("?>", 1)[1].encode("cp1252"), "text/xml", "not well"),
    ],
)
def test_xml_its_encoding_cannot_read_is_rejected(
    data: bytes, content_type: str | None, detail: str
) -> None:
    with pytest.raises(Rejected) as caught:
        parse_document(data, content_type)
    assert caught.value.reason == RejectReason.BAD_FORMAT
    assert detail in caught.value.detail


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


def test_raw_record_with_uri_and_time_is_not_ninjs() -> None:
    raw = {
        "id": "a1",
        "uri": "urn:x:a1",
        "title": "Bridge reopens",
        "text": "The bridge reopened.",
        "firstcreated": "2024-04-12T09:00:00Z",
    }
    assert parse_document(orjson.dumps(raw)) == [raw]
    article = normalise_article(raw)
    assert article.body == "The bridge reopened."
    # The service's own output reads back as the same article.
    again = article_to_record(article)
    assert records_from_json(again) == [again]
    assert normalise_article(again) == article


def test_ninjs_without_schema_is_still_ninjs() -> None:
    doc = {
        "uri": "urn:example:ninjs1:fire",
        "headline": "Warehouse fire contained",
        "body_text": "Firefighters contained the blaze by noon.",
        "versioncreated": "2024-04-12T12:00:00Z",
    }
    [record] = parse_document(orjson.dumps(doc))
    assert record["format"] == "ninjs"
    assert record["title"] == "Warehouse fire contained"
    assert record["text"] == "Firefighters contained the blaze by noon."
    assert record["published"] == "2024-04-12T12:00:00Z"


@pytest.mark.parametrize("number", ["\u00b2", "\u0663", "2a", "", True, 2.0])
def test_unreadable_version_and_urgency_are_unknown(number: object) -> None:
    [ninjs] = records_from_json(dict(NINJS_1, version=number, urgency=number))
    assert "version" not in ninjs
    assert "urgency" not in ninjs
    if isinstance(number, str):
        docdata = f'<urgency ed-urg="{number}"/><du-key version="{number}"/>'
        [nitf] = parse_xml(_nitf("<p>Text.</p>", docdata=docdata))
        assert "version" not in nitf
        assert "urgency" not in nitf
        newsml = NEWSML_ITEM.replace(b'version="3"', f'version="{number}"'.encode())
        [item] = parse_xml(newsml.replace(b"<urgency>2<", f"<urgency>{number}<".encode()))
        assert "version" not in item
        assert "urgency" not in item


def _with_numbers(version: str, urgency: str) -> dict[str, bytes]:
    """An NITF and a NewsML-G2 item with this version and urgency."""
    docdata = f'<urgency ed-urg="{urgency}"/><du-key version="{version}"/>'
    newsml = NEWSML_ITEM.replace(b'version="3"', f'version="{version}"'.encode())
    newsml = newsml.replace(b"<urgency>2<", f"<urgency>{urgency}<".encode())
    return {"nitf": _nitf("<p>Text.</p>", docdata=docdata), "newsml": newsml}


@pytest.mark.parametrize(
    "number",
    ["18446744073709551616", "9223372036854775808", "1" * 5000, 2**63],
    ids=["2**64", "2**63", "5000-digits", "json-2**63"],
)
@pytest.mark.parametrize("field", ["version", "urgency"])
def test_a_version_or_urgency_outside_64_bits_is_refused(number: object, field: str) -> None:
    # 2**64 was read as a number no record can hold: every producer crashed writing it.
    # (A 5000-digit one was unknown: int() refuses it; out of range all the same.)
    with pytest.raises(Rejected) as caught:
        records_from_json(dict(NINJS_1, **{field: number}))
    assert caught.value.reason == RejectReason.BAD_FORMAT
    assert caught.value.detail.startswith(f"ninjs {field} {str(number)[:20]}")
    assert caught.value.detail.endswith("is outside the 64-bit range")
    if isinstance(number, str):
        numbers = {"version": "1", "urgency": "1", field: number}
        for kind, document in _with_numbers(**numbers).items():
            with pytest.raises(Rejected, match="is outside the 64-bit range") as caught:
                parse_xml(document)
            assert caught.value.reason == RejectReason.BAD_FORMAT, kind
            assert field in caught.value.detail, kind


def test_a_version_or_urgency_within_64_bits_is_read() -> None:
    largest = str(2**63 - 1)
    for document in _with_numbers(largest, "0" * 5000 + "7").values():
        [record] = parse_xml(document)
        assert (record["version"], record["urgency"]) == (2**63 - 1, 7)
        orjson.dumps(record)


_NESTED_254 = "[" * 254 + "]" * 254


@pytest.mark.parametrize(
    ("document", "content_type"),
    [
        (f'{{"id": "d", "text": "Rain.", "meta": {_NESTED_254}}}', None),
        (
            f'[{{"id": "a", "text": "A."}}, {{"id": "d", "text": "Rain.", "m": {_NESTED_254}}}]',
            None,
        ),
        (
            f'{{"id": "a", "text": "A."}}\n{{"id": "d", "text": "R.", "m": {_NESTED_254}}}',
            "x-ndjson",
        ),
        (
            orjson.dumps(dict(NINJS_1, versioncreated="T")).decode().replace('"T"', _NESTED_254),
            None,
        ),
    ],
    ids=["object", "array-item", "ndjson-line", "ninjs-field"],
)
def test_a_record_nested_deeper_than_json_on_a_topic_may_be_is_refused(
    document: str, content_type: str | None
) -> None:
    # orjson reads JSON 1024 levels deep but writes 254, and a raw record passes its fields
    # through: such a record crashed every producer as it was sent.
    with pytest.raises(Rejected) as caught:
        parse_document(document.encode(), content_type and f"application/{content_type}")
    assert caught.value.reason == RejectReason.BAD_FORMAT
    assert caught.value.detail == "record not writable as JSON: nested more than 254 levels deep"


def test_a_record_nested_as_deep_as_json_on_a_topic_may_be_is_read() -> None:
    nested = "[" * 253 + "]" * 253
    [record] = parse_document(f'{{"id": "d", "text": "Rain.", "meta": {nested}}}'.encode())
    assert orjson.loads(orjson.dumps(record)) == record


def test_nitf_html_entities_under_a_doctype_are_characters() -> None:
    doctype = (
        '<!DOCTYPE nitf PUBLIC "-//IPTC//DTD NITF 3.6//EN" '
        '"http://www.iptc.org/std/NITF/3.6/specification/dtd/nitf-3-6.dtd">'
    )
    content = "<p>The bank cut rates by 0.25&nbsp;points &mdash; its first cut &wibble; yet.</p>"
    head = "<hedline><hl1>Rates&nbsp;cut</hl1></hedline>"
    [record] = parse_xml(_nitf(content, head=head, doctype=doctype))
    assert record["title"] == "Rates cut"
    assert record["body_html"] == (
        "<p>The bank cut rates by 0.25\u00a0points \u2014 its first cut &amp;wibble; yet.</p>"
    )
    assert normalise_article(record).paragraphs == [
        "The bank cut rates by 0.25 points \u2014 its first cut &wibble; yet."
    ]


def test_entities_declared_in_the_document_are_not_expanded() -> None:
    doctype = '<!DOCTYPE nitf [<!ENTITY secret "expanded"><!ENTITY nbsp "expanded">]>'
    [record] = parse_xml(_nitf("<p>a &secret; b&nbsp;c</p>", doctype=doctype))
    assert record["body_html"] == "<p>a &amp;secret; b\u00a0c</p>"


def test_entities_in_attribute_values() -> None:
    # libxml2 expands a document's own entities in attribute values (the XML rules), but
    # refuses external ones and a billion laughs.
    declared = '<!DOCTYPE nitf [<!ENTITY secret "expanded">]>'
    docdata = '<doc.copyright holder="&secret;"/>'
    [record] = parse_xml(_nitf("<p>a</p>", docdata=docdata, doctype=declared))
    assert record["source"] == "expanded"
    external = '<!DOCTYPE nitf [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    laughs = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    for doctype, name in [
        (external, "xxe"),
        (f'<!DOCTYPE nitf [<!ENTITY lol0 "lol">{laughs}]>', "lol9"),
    ]:
        with pytest.raises(Rejected) as caught:
            parse_xml(_nitf("<p>a</p>", docdata=f'<du-key version="&{name};"/>', doctype=doctype))
        assert caught.value.reason == RejectReason.BAD_FORMAT


def test_billion_laughs_is_rejected() -> None:
    laughs = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    doctype = f'<!DOCTYPE nitf [<!ENTITY lol0 "lol">{laughs}]>'
    with pytest.raises(Rejected) as caught:
        parse_xml(_nitf("<p>a &lol9; b</p>", doctype=doctype))
    assert caught.value.reason == RejectReason.BAD_FORMAT


def test_newsml_message_skips_its_pictures_without_text() -> None:
    [record] = parse_xml(NEWSML_MESSAGE_WITH_PICTURE)
    assert record["uri"] == "urn:newsml:example.org:20240412:dam"
    assert record["text"].startswith("Repairs to the river dam")
    pictures_only = NEWSML_MESSAGE_WITH_PICTURE.replace(b"ninat:text", b"ninat:graphic")
    pictures_only = pictures_only.replace(b"inlineData", b"remoteContent")
    with pytest.raises(Rejected) as caught:
        parse_xml(pictures_only)
    assert caught.value.reason == RejectReason.BAD_FORMAT
    assert "with text" in caught.value.detail


def test_loose_body_text_stays_text() -> None:
    content = (
        "Shares of Apple &lt;AAPL.O&gt; &amp; AT&amp;T rose 3%."
        "<p>Both beat forecasts.</p><media-reference/>Analysts &lt;b&gt;agreed&lt;/b&gt;."
    )
    [record] = parse_xml(_nitf(content))
    assert record["body_html"] == (
        "Shares of Apple &lt;AAPL.O&gt; &amp; AT&amp;T rose 3%."
        "<p>Both beat forecasts.</p>Analysts &lt;b&gt;agreed&lt;/b&gt;."
    )
    article = normalise_article(record)
    assert "Shares of Apple <AAPL.O> & AT&T rose 3%." in article.body
    # Markup escaped inside markup is read as markup: a body that kept `<b>agreed</b>` was
    # another body when normalised again (and lost `<AAPL.O>` then).
    assert "Analysts agreed." in article.body
    assert normalise_article(article_to_record(article)) == article


def test_leading_byte_order_mark_is_ignored() -> None:
    raw = {"id": "a1", "text": "Body."}
    assert parse_document(BOM + orjson.dumps(raw)) == [raw]
    assert parse_json(BOM + orjson.dumps(raw)) == [raw]
    assert parse_ndjson(BOM + orjson.dumps(raw) + b"\n" + orjson.dumps(raw)) == [raw, raw]
    # Bodies concatenated from Windows editors' files: a mark at each line's start.
    concatenated = BOM + orjson.dumps(raw) + b"\r\n" + BOM + orjson.dumps(raw)
    assert parse_ndjson(concatenated) == [raw, raw]
    assert parse_document(concatenated, "application/x-ndjson") == [raw, raw]
    assert parse_document(BOM + NITF)[0]["format"] == "nitf"
    assert parse_document(BOM + b"\n" + NEWSML_ITEM)[0]["format"] == "newsml"
    assert parse_xml(BOM + NITF)[0]["format"] == "nitf"


@pytest.mark.parametrize(
    ("dateline", "place"),
    [
        ("WASHINGTON (AP) &#8212;", "WASHINGTON"),
        ("WASHINGTON (AP) -", "WASHINGTON"),
        ("GENEVA, April 12 (Reuters) -", "GENEVA"),
        ("NEW YORK (Example Wire)", "NEW YORK"),
    ],
)
def test_dateline_place_drops_the_credit(dateline: str, place: str) -> None:
    [record] = parse_xml(_nitf("<p>Text.</p>", head=f"<dateline>{dateline}</dateline>"))
    assert record["located"] == place


NBSP_DOCTYPE = '<!DOCTYPE nitf PUBLIC "-//IPTC//DTD NITF 3.6//EN" "nitf-3-6.dtd">'


def test_dropped_nodes_keep_the_text_around_them() -> None:
    runs = "".join(f"w{n}&nbsp;<!-- c -->&mdash;<?pi x?>&wibble;<!---->." for n in range(500))
    content = f"<p>{runs}<media-reference/>end<media-metadata><!-- m -->x</media-metadata></p>"
    [record] = parse_xml(_nitf(content, doctype=NBSP_DOCTYPE))
    text = "".join(f"w{n}\u00a0\u2014&amp;wibble;." for n in range(500))
    assert record["body_html"] == f"<p>{text}end</p>"


def test_dropping_nodes_writes_each_text_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dropping an entity or a comment keeps the text after it. Appended to the text before
    it, that growing text was copied again for each node: quadratic work (80,000 `&nbsp;`
    took 19 s). Counted here as characters written to `.text` and `.tail`."""
    written = 0

    def counting(base: Any) -> Any:
        def get(attribute: str) -> Any:
            return lambda node: getattr(base, attribute).__get__(node)

        def put(attribute: str) -> Any:
            def write(node: Any, value: str | None) -> None:
                nonlocal written
                written += len(value or "")
                getattr(base, attribute).__set__(node, value)

            return write

        members = {a: property(get(a), put(a)) for a in ("text", "tail")}
        return type(f"Counting{base.__name__}", (base,), members)

    lookup = etree.ElementDefaultClassLookup(
        element=counting(etree.ElementBase),
        comment=counting(etree.CommentBase),
        pi=counting(etree.PIBase),
        entity=counting(etree.EntityBase),
    )
    hardened = formats._parser

    def parser(encoding: str | None = None) -> etree.XMLParser:
        made = hardened(encoding)
        made.set_element_class_lookup(lookup)
        return made

    monkeypatch.setattr(formats, "_parser", parser)
    document = _nitf("<p>" + "a&nbsp;<!---->" * 2000 + "</p>", doctype=NBSP_DOCTYPE)
    [record] = parse_xml(document)
    assert record["body_html"] == "<p>" + "a\u00a0" * 2000 + "</p>"
    assert written <= len(document)


def test_ninjs_with_a_title_is_still_ninjs() -> None:
    # `title` is ninjs 1.2+/2.x item metadata ("use headlines for publishable headlines"),
    # so it does not make a document a plain raw record.
    ninjs_2 = {
        "uri": "urn:newsml:dpa.com:20090101:190510-99-167362",
        "version": "2",
        "language": "de",
        "title": "Fussball-Derby-Faktencheck",
        "headlines": [{"role": "main", "value": "Faktencheck Derby-Elfmeter"}],
        "bodies": [{"role": "main", "contenttype": "text/html", "value": "<p>Favre tobte.</p>"}],
        "by": "Von Christian Hollmann, dpa",
    }
    ninjs_1 = {
        "uri": "urn:example:1",
        "version": "3",
        "title": "SLUG-budget",
        "headline": "Parliament passes the budget",
        "body_text": "The parliament passed the budget on Monday after a long debate.",
    }
    second, first = parse_document(orjson.dumps([ninjs_2, ninjs_1]), "application/json")
    assert second["format"] == first["format"] == "ninjs"
    assert second["id"] == "urn:newsml:dpa.com:20090101:190510-99-167362#2"
    assert second["title"] == "Faktencheck Derby-Elfmeter"  # the headline, not the title
    assert second["body_html"] == "<p>Favre tobte.</p>"
    assert second["byline"] == "Von Christian Hollmann, dpa"  # ninjs 2.0 `by`
    assert first["id"] == "urn:example:1#3"
    assert first["version"] == 3
    assert first["title"] == "Parliament passes the budget"
    assert normalise_article(first).headline == "Parliament passes the budget"
    assert normalise_article(second).byline == "Von Christian Hollmann, dpa"


def test_ninjs_1_bodies_by_format() -> None:
    # ninjs 1.x names bodies `body_<format>` (IPTC's own 1.3 example uses body_xhtml).
    doc = {
        "uri": "http://www.businesswire.com/news/home/20130515006361/en",
        "version": "1",
        "headline": "Dell Redefines Workstation Computing Boundaries",
        "body_xhtml": "<p>Dell today announced an expanded workstation portfolio.</p>",
    }
    [record] = parse_document(orjson.dumps(doc))
    assert record["format"] == "ninjs"
    assert record["body_html"] == doc["body_xhtml"]
    body = normalise_article(record).body
    assert body == "Dell today announced an expanded workstation portfolio."
    # body_text and body_html, where given, come first.
    [record] = parse_document(orjson.dumps(dict(doc, body_text="Plain text.")))
    assert record["text"] == "Plain text."
    assert "body_html" not in record
    # Another format: its text, which the normaliser reads as markup if it looks like it.
    other = {k: v for k, v in doc.items() if k != "body_xhtml"}
    [record] = parse_document(orjson.dumps(dict(other, body_richtext="Rich text.")))
    assert record["text"] == "Rich text."


_QUAKE = "Strong quake shakes northern Japan"


@pytest.mark.parametrize(
    "fields",
    [
        # ninjs 2.0 with an empty 1.x `headline` left in (or blank): the list is read.
        {"headline": "", "headlines": [{"role": "main", "value": _QUAKE}]},
        {"headline": "  ", "headlines": [{"value": _QUAKE}]},
        {"headline": None, "headlines": [{"role": "main", "value": _QUAKE}]},
        # Of the list, the main one, even after one without a role; an empty one hides none.
        {"headlines": [{"role": "sub", "value": "No tsunami"}, {"role": "main", "value": _QUAKE}]},
        {"headlines": [{"value": "No tsunami"}, {"role": "main", "value": _QUAKE}]},
        {"headlines": [{"role": "main", "value": ""}, {"value": _QUAKE}]},
        {"headlines": [{"role": "sub", "value": "No tsunami"}, {"value": _QUAKE}]},
        # A headline given is the headline.
        {"headline": _QUAKE, "headlines": [{"role": "main", "value": "Other"}]},
    ],
    ids=[
        "empty-headline",
        "blank-headline",
        "null-headline",
        "main-after-sub",
        "main-after-unroled",
        "empty-main",
        "unroled-after-sub",
        "headline-first",
    ],
)
def test_ninjs_headline_is_the_first_non_empty_main_one(fields: dict[str, Any]) -> None:
    doc = {"uri": "urn:example:quake", "body_text": "A strong earthquake shook Aomori."}
    [record] = records_from_json(doc | fields)
    assert record["title"] == _QUAKE
    assert normalise_article(record).headline == _QUAKE


def test_an_empty_ninjs_body_hides_no_other() -> None:
    # `body_text: ""` hid `bodies` (and the 1.x bodies) as `headline: ""` hid `headlines`:
    # the item had no text and the worker rejected it (missing_text).
    bodies = [{"role": "main", "contenttype": "text/html", "value": "<p>A quake.</p>"}]
    doc = {"uri": "urn:example:quake", "headline": _QUAKE, "body_text": "", "bodies": bodies}
    [record] = records_from_json(doc)
    assert record["body_html"] == "<p>A quake.</p>"
    [record] = records_from_json(doc | {"body_html": " ", "body_xhtml": "<p>Shook.</p>"})
    assert record["body_html"] == "<p>Shook.</p>"
    assert normalise_article(record).body == "Shook."


def test_a_raw_record_with_id_or_text_is_not_ninjs() -> None:
    # ninjs has neither `id` nor `text`: a record with either is the raw schema, even
    # with ninjs-style keys the normaliser also reads (headline, body_text).
    raw = {"id": "a1", "uri": "u1", "headline": "H", "body_text": "Body."}
    assert records_from_json(raw) == [raw]
    raw = {"uri": "u1", "title": "T", "text": "Body.", "copyrightholder": "X"}
    assert records_from_json(raw) == [raw]
