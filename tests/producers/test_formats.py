from __future__ import annotations

import codecs
from typing import Any

import orjson
import pytest
from lxml import etree

from service.models import Rejected, RejectReason
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


@pytest.mark.parametrize("number", ["\u00b2", "\u0663", "1" * 5000, "2a", "", True])
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


def test_newsml_message_skips_items_without_text() -> None:
    [record] = parse_xml(NEWSML_MESSAGE_WITH_PICTURE)
    assert record["uri"] == "urn:newsml:example.org:20240412:dam"
    assert record["text"].startswith("Repairs to the river dam")
    pictures_only = NEWSML_MESSAGE_WITH_PICTURE.replace(b"inlineData", b"remoteContent")
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


def test_a_raw_record_with_id_or_text_is_not_ninjs() -> None:
    # ninjs has neither `id` nor `text`: a record with either is the raw schema, even
    # with ninjs-style keys the normaliser also reads (headline, body_text).
    raw = {"id": "a1", "uri": "u1", "headline": "H", "body_text": "Body."}
    assert records_from_json(raw) == [raw]
    raw = {"uri": "u1", "title": "T", "text": "Body.", "copyrightholder": "X"}
    assert records_from_json(raw) == [raw]
