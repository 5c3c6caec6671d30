"""Wire formats to raw records: ninjs (JSON), NewsML-G2 and NITF (XML), sniffed by content.

Pure parsing, no Kafka: every function takes bytes or parsed values and returns raw-schema
dicts (`{"id", "uri", "version", "title", "text" | "body_html", "published", ...,
"format"}`) or raises `Rejected(BAD_FORMAT | NOT_JSON | NOT_AN_OBJECT | NOT_UTF8, detail)`.
Bodies stay markup (`body_html`): the worker's normaliser is the one place HTML becomes text.
"""

from __future__ import annotations

import codecs
import copy
import hashlib
import html
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.entities import html5
from typing import Any

import orjson
from lxml import etree

from service.models import Rejected, RejectReason
from service.pipeline.intake import record_integer
from service.records import raw_bytes

NEWSML_NS = "http://iptc.org/std/nar/2006-10-01/"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
BOM = b"\xef\xbb\xbf"
# Byte order marks of UTF-32 and UTF-16 (UTF-32's first: its little-endian mark starts with
# UTF-16's).
_WIDE = {
    codecs.BOM_UTF32_LE: "utf-32",
    codecs.BOM_UTF32_BE: "utf-32",
    codecs.BOM_UTF16_LE: "utf-16",
    codecs.BOM_UTF16_BE: "utf-16",
}
_WIDE_BOMS = tuple(_WIDE)

# Keys only a ninjs document has. Not firstcreated/versioncreated: plain raw records carry
# them too (the normaliser reads them, article_to_record writes firstcreated). Not `title`
# either: ninjs 1.2+ and 2.x have it (item metadata, not the headline).
_NINJS_KEYS = frozenset(
    {
        "headline",
        "headlines",
        "bodies",
        "by",
        "bylines",
        "body_text",
        "body_xhtml",
        "copyrightholder",
        "infosources",
        "altids",
    }
)
# Fields of the plain raw-record schema that no ninjs version has: ninjs_record would drop
# them (a record with an `id` or a `text` is the service's own schema).
_RAW_KEYS = frozenset({"id", "text"})
# ninjs 1.x bodies are `body_<format>` (the 1.0 schema's pattern; IPTC's 1.3 example has
# body_xhtml); body_text and body_html are read first, then these.
_NINJS_BODY = re.compile(r"body_[A-Za-z0-9_]+")
# NITF body tags that have an HTML counterpart the normaliser knows (blocks and captions).
_NITF_TAGS = {
    "hl1": "h1",
    "hl2": "h2",
    "block": "div",
    "media": "figure",
    "media-caption": "figcaption",
    "body.content": "div",
}
_DROPPED_NITF_TAGS = frozenset({"media-reference", "media-metadata", "media-producer"})
# NITF 3.1's docdata@management-status values that are ninjs pubstatus values too; the
# fourth, embargoed, is a usable item held until its release (as in NewsML-G2, whose
# embargo is not a status either).
_NITF_PUBSTATUSES = frozenset({"usable", "withheld", "canceled"})
# Natures (IPTC ninature) of NewsML-G2 items that are no article: such an item of a
# newsMessage without inline text (a photo sent with the story) is skipped, not refused.
_MEDIA_NATURES = frozenset({"picture", "graphic", "audio", "video"})


@dataclass(frozen=True, slots=True)
class RefusedItem:
    """A newsItem of a newsMessage that its parser refused, the message's other items going
    on: its place among them, why, and its own XML (a dead letter's payload)."""

    index: int
    error: Rejected
    data: bytes


def _parser(encoding: str | None = None) -> etree.XMLParser:
    # Hardened: nothing fetched, no DTD-declared entity expanded in text (it stays an entity
    # node). In attribute values libxml2 expands a document's own entities all the same (the
    # XML rules), but refuses external ones and a billion laughs (its amplification limit).
    return etree.XMLParser(
        encoding=encoding,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )


def _local(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    value = " ".join("".join(str(part) for part in element.itertext()).split())
    return value or None


def _child(element: etree._Element | None, *path: str) -> etree._Element | None:
    """The first descendant along `path` of local names, in any namespace."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if _local(c) == name), None)
    return element


def _find(element: etree._Element, name: str) -> etree._Element | None:
    return next((e for e in element.iter() if _local(e) == name), None)


def _iso_time(value: str | None) -> str | None:
    """A feed's timestamp as extended ISO-8601 (NITF writes the basic form, 20240101T1000Z)."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text  # kept as given: the normaliser treats an unreadable time as unknown
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat()


def copy_id(guid: str, version: int | None, *content: str | None) -> str:
    """The id of one copy of an item. Each version is its own copy: the worker takes a
    repeated id for a redelivery. An item without a version number (plain RSS, NITF without
    `du-key` version) is told apart by a digest of its content, so a corrected text under the
    same guid is a new copy (the decide stage takes it as the item's newer version), while
    the same text sent again keeps its id."""
    if version is not None:
        return f"{guid}#{version}"
    digest = hashlib.sha1(usedforsecurity=False)
    for part in content:
        digest.update((part or "").encode("utf-8", "surrogatepass") + b"\0")
    return f"{guid}#{digest.hexdigest()[:12]}"


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if value is not None and value != ""}


def _strip_by(byline: str | None) -> str | None:
    if byline is None:
        return None
    return re.sub(r"^by\s+", "", byline, flags=re.IGNORECASE) or None


# ---------------------------------------------------------------------------------- ninjs


def looks_like_ninjs(value: Mapping[str, Any]) -> bool:
    """ninjs names its schema, or has a `uri` and a key only ninjs has. A raw record (with
    an `id` or a `text`, which ninjs never has) is not ninjs even with a `uri` and a time:
    taking it for one loses its title, text and id."""
    schema = value.get("$schema")
    if isinstance(schema, str) and "ninjs" in schema:
        return True
    if any(key in value for key in _RAW_KEYS):
        return False
    return "uri" in value and any(key in value for key in _NINJS_KEYS)


def _given(value: Any) -> str | None:
    """A string field with something in it; None for a missing, blank or non-string one (an
    empty `headline` left in a ninjs 2.0 document must not hide its `headlines`)."""
    return value if isinstance(value, str) and value.strip() else None


def _ninjs_main(items: Any, key: str = "value") -> tuple[str | None, str | None]:
    """(value, contenttype) of a ninjs 2.x list's main entry: the first non-empty one whose
    role is main, else the first without a role, else the first non-empty one. Not the first
    with a role of main or none: one without a role listed first outranked the main one."""
    if not isinstance(items, list):
        return None, None
    entries = [item for item in items if isinstance(item, dict) and _given(item.get(key))]
    main = next((e for e in entries if "main" in _role_codes(e.get("role"))), None)
    unroled = next((e for e in entries if not _role_codes(e.get("role"))), None)
    chosen = main or unroled or next(iter(entries), None)
    if chosen is None:
        return None, None
    contenttype = chosen.get("contenttype")
    return chosen[key], contenttype if isinstance(contenttype, str) else None


def _role_codes(roles: Any) -> set[str]:
    """The codes of a space-separated list of roles, lower-cased: a plain code (ninjs's
    `main`), a QCode's (`hld:main`) or a URI's last segment (`.../headlinerole/main`)."""
    if not isinstance(roles, str):
        return set()
    codes = (role.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] for role in roles.split())
    return {code.lower() for code in codes if code}


def _ninjs_source(doc: Mapping[str, Any]) -> str | None:
    for key in ("copyrightholder", "source"):
        value = doc.get(key)
        if isinstance(value, str) and value.strip():
            return value
    sources = doc.get("infosources")
    if isinstance(sources, list):
        for source in sources:
            if isinstance(source, dict) and isinstance(source.get("name"), str):
                return str(source["name"])
    return None


def _ninjs_byline(doc: Mapping[str, Any]) -> str | None:
    """ninjs 1.x `byline`, 2.0 `by`, else the names in 2.x `bylines`."""
    for key in ("byline", "by"):
        byline = doc.get(key)
        if isinstance(byline, str) and byline.strip():
            return byline
    bylines = doc.get("bylines")
    if isinstance(bylines, list):
        names = [
            str(b.get("byline") or b.get("name"))
            for b in bylines
            if isinstance(b, dict) and isinstance(b.get("byline") or b.get("name"), str)
        ]
        return ", ".join(names) or None
    return None


def _ninjs_1_body(doc: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(html, text) from a ninjs 1.x `body_<format>`: body_xhtml (XHTML is HTML to the
    normaliser), else the first other one as text (the normaliser reads text that looks like
    markup as markup)."""
    xhtml = doc.get("body_xhtml")
    if isinstance(xhtml, str) and xhtml.strip():
        return xhtml, None
    for key, value in doc.items():
        if _NINJS_BODY.fullmatch(key) and isinstance(value, str) and value.strip():
            return (value, None) if "html" in key else (None, value)
    return None, None


def ninjs_record(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A ninjs 1.x or 2.x document to a raw record."""
    uri = doc.get("uri")
    if not isinstance(uri, str) or not uri.strip():
        raise Rejected(RejectReason.BAD_FORMAT, "ninjs document without a uri")
    version = record_integer(doc.get("version"), "ninjs version")
    # The first non-empty of 1.x `headline` and 2.x `headlines`, and likewise of the bodies.
    headline = _given(doc.get("headline")) or _ninjs_main(doc.get("headlines"))[0]
    text, html = _given(doc.get("body_text")), _given(doc.get("body_html"))
    if text is None and html is None:
        html, text = _ninjs_1_body(doc)
    if text is None and html is None:
        body, contenttype = _ninjs_main(doc.get("bodies"))
        if body is not None and contenttype is not None and "html" in contenttype:
            html = body
        else:
            text = body
    located = doc.get("located")
    return _compact(
        {
            "id": copy_id(uri, version, headline, text, html),
            "uri": uri,
            "version": version,
            "title": headline,
            "text": text,
            "body_html": html,
            "published": doc.get("versioncreated"),
            "firstcreated": doc.get("firstcreated"),
            "pubstatus": doc.get("pubstatus"),
            "urgency": record_integer(doc.get("urgency"), "ninjs urgency"),
            "byline": _ninjs_byline(doc),
            "located": located if isinstance(located, str) else None,
            "language": doc.get("language"),
            "source": _ninjs_source(doc),
            "format": "ninjs",
        }
    )


def json_record(value: dict[str, Any]) -> dict[str, Any]:
    """A JSON object as a raw record: ninjs converted, any other passed as it is (a raw record
    already); Rejected when it is not one (ninjs without a uri) or it could not be written to
    the raw topic (`records.raw_bytes`: orjson reads deeper nesting than it writes, and a
    record passes its fields through)."""
    record = ninjs_record(value) if looks_like_ninjs(value) else value
    raw_bytes(record)
    return record


def records_from_json(value: Any) -> list[dict[str, Any]]:
    """A parsed JSON document (object or array of objects) to raw records (`json_record`)."""
    items = value if isinstance(value, list) else [value]
    records = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            where = f"item {index}" if isinstance(value, list) else "document"
            raise Rejected(
                RejectReason.NOT_AN_OBJECT, f"{where} is {type(item).__name__}, not an object"
            )
        records.append(json_record(item))
    return records


def parse_json(data: bytes) -> list[dict[str, Any]]:
    """A JSON document in UTF-8, or in UTF-16 or UTF-32 after a byte order mark or by its
    NULs (`unlabelled_utf8`), to raw records."""
    return records_from_json(load_json(unlabelled_utf8(data)))


def load_json(data: bytes) -> Any:
    """The value of a JSON document in UTF-8; Rejected not_utf8 (with the offset of the first
    byte that is not UTF-8) or not_json. orjson's own error for bytes that are not UTF-8 says
    `surrogates not allowed` at char 0 whatever they hold (a Latin-1 file was refused as
    not_json so)."""
    try:
        return orjson.loads(_utf8(data))
    except orjson.JSONDecodeError as exc:
        raise Rejected(RejectReason.NOT_JSON, str(exc)) from None


def parse_ndjson(data: bytes) -> list[dict[str, Any]]:
    """JSON Lines (in UTF-8, or UTF-16 or UTF-32 as `parse_json` reads them): one object per
    non-blank line, a byte order mark at its start dropped (bodies concatenated from files
    of Windows editors carry one per line; a file drop reads them so, `files.read_json`)."""
    records = []
    for number, line in enumerate(unlabelled_utf8(data).splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(strip_bom(line))
        except orjson.JSONDecodeError as exc:
            raise Rejected(RejectReason.NOT_JSON, f"line {number}: {exc}") from None
        if not isinstance(value, dict):
            raise Rejected(RejectReason.NOT_AN_OBJECT, f"line {number} is not a JSON object")
        records.extend(records_from_json(value))
    return records


# ------------------------------------------------------------------------------------ XML


def _markup(element: etree._Element, tags: Mapping[str, str] | None = None) -> str:
    """The element's children as HTML without namespaces (NITF tags renamed by `tags`)."""
    tree = copy.deepcopy(element)
    # Comments, processing instructions and NITF media metadata carry no article text; the
    # text after each stays.
    dropped: list[Any] = [etree.Comment, etree.ProcessingInstruction, etree.Entity]
    if tags is not None:
        dropped += [f"{{*}}{name}" for name in _DROPPED_NITF_TAGS]
    _drop_keeping_tails(tree, dropped)
    for node in list(tree.iter()):
        name = _local(node)
        node.tag = (tags or {}).get(name, name)
        for attribute in list(node.attrib):
            del node.attrib[attribute]
    etree.cleanup_namespaces(tree)
    # The element's own text is joined as it is: escaped, or `<AAPL.O>` would become a tag.
    inner = [html.escape(tree.text or "", quote=False)]
    inner += [etree.tostring(child, method="html", encoding="unicode") for child in tree]
    return "".join(inner).strip()


def _drop_keeping_tails(root: etree._Element, selectors: list[Any]) -> None:
    """Removes the nodes below `root` matching `selectors` (tags, etree.Comment, ...) with
    what they contain, but not the text after each: it joins the text before the node. In
    one pass: appending each tail to that text instead copies it again per node, work
    quadratic in comments or entities (80,000 `&nbsp;` took 19 s)."""
    etree.strip_elements(root, *selectors, with_tail=False)


def _resolve_html_entities(root: etree._Element) -> None:
    """NITF with a DOCTYPE leaves `&nbsp;` `&mdash;` as entity nodes, which the markup and
    text drop, gluing words. HTML names become their characters, any other stays as its
    `&name;` text: a DTD's own entities are never expanded in text (billion laughs, XXE).
    The text is tree text: serialising escapes it."""
    for entity in list(root.iter(etree.Entity)):
        reference = entity.text or ""  # `&nbsp;`
        entity.tail = html5.get(reference.removeprefix("&"), reference) + (entity.tail or "")
    _drop_keeping_tails(root, [etree.Entity])


def parse_xml(
    data: bytes, encoding: str | None = None, refused: list[RefusedItem] | None = None
) -> list[dict[str, Any]]:
    """An NITF document, a NewsML-G2 newsItem or a newsMessage of newsItems to raw records.
    `encoding` (a transport's charset) overrides the document's own declaration. A newsItem
    of a message that its parser refuses goes to `refused` when given, the other items going
    on (a file's items, as a JSON array's); else it refuses the message (a pushed request is
    taken or refused whole)."""
    if not data.startswith(_WIDE_BOMS):  # the parser reads those marks itself
        # An XML declaration must come first: a body with leading blank lines is still XML.
        data = strip_bom(data).lstrip()
    try:
        root = etree.fromstring(data, _parser(encoding))
    except etree.XMLSyntaxError as exc:
        raise Rejected(RejectReason.BAD_FORMAT, f"not well-formed XML: {exc}") from None
    _resolve_html_entities(root)
    name, namespace = _local(root), etree.QName(root).namespace
    if name == "nitf":
        return [nitf_record(root)]
    if namespace == NEWSML_NS and name == "newsItem":
        return [newsml_record(root)]
    if namespace == NEWSML_NS and name == "newsMessage":
        return _message_records(root, refused)
    raise Rejected(
        RejectReason.BAD_FORMAT,
        f"XML root <{name}> (namespace {namespace or 'none'}) is not NITF or NewsML-G2 newsItem",
    )


def _message_records(
    message: etree._Element, refused: list[RefusedItem] | None
) -> list[dict[str, Any]]:
    """The records of a newsMessage's items but its media (`_is_media`). A text item without
    inline content is refused as a newsItem alone is, where it was skipped with the pictures
    without a trace; and an item without a guid refuses itself (into `refused`), where it
    refused the whole message, its good items too."""
    items = [
        (index, item)
        for index, item in enumerate(message.iter(f"{{{NEWSML_NS}}}newsItem"))
        if not _is_media(item)
    ]
    if not items:
        raise Rejected(
            RejectReason.BAD_FORMAT, "NewsML-G2 newsMessage without a newsItem with text"
        )
    records = []
    for index, item in items:
        try:
            records.append(newsml_record(item))
        except Rejected as exc:
            if refused is None:
                raise
            refused.append(RefusedItem(index, exc, etree.tostring(item, encoding="utf-8")))
    return records


def _is_media(item: etree._Element) -> bool:
    """A picture, graphic, audio or video item without inline text: no article."""
    nature = _qcode_tail(_child(item, "itemMeta", "itemClass")) or ""
    return nature.lower() in _MEDIA_NATURES and not _has_inline_body(item)


def is_wire_document(data: bytes) -> bool:
    """Whether bytes are a wire document whatever its reader said of them: a JSON value, or
    XML whose root is NITF or NewsML-G2. Not an HTML fragment (`<p>...</p>` is article
    text), nor text that starts with a bracket."""
    head = data.lstrip()[:1]
    try:
        if head in {b"{", b"["}:
            load_json(unlabelled_utf8(data))
            return True
        root = etree.fromstring(strip_bom(data).lstrip(), _parser())
    except (Rejected, etree.XMLSyntaxError, ValueError):
        return False
    return _local(root) == "nitf" or etree.QName(root).namespace == NEWSML_NS


def nitf_record(root: etree._Element) -> dict[str, Any]:
    head, body = _child(root, "head"), _child(root, "body")
    if body is None:
        raise Rejected(RejectReason.BAD_FORMAT, "NITF document without <body>")
    docdata = _child(head, "docdata")
    doc_id = _child(docdata, "doc-id")
    guid = doc_id.get("id-string") if doc_id is not None else None
    if not guid:
        raise Rejected(RejectReason.BAD_FORMAT, "NITF document without docdata/doc-id@id-string")
    du_key = _child(docdata, "du-key")
    version = (
        record_integer(du_key.get("version"), "NITF du-key version") if du_key is not None else None
    )
    body_head, content = _child(body, "body.head"), _child(body, "body.content")
    if content is None:
        raise Rejected(RejectReason.BAD_FORMAT, "NITF document without <body.content>")
    headline = _text(_child(body_head, "hedline", "hl1")) or _text(_child(head, "title"))
    dateline = _child(body_head, "dateline")
    located = _text(_find(dateline, "location")) if dateline is not None else None
    urgency = _child(docdata, "urgency")
    status = (docdata.get("management-status") or "").strip().lower() if docdata is not None else ""
    copyright_ = _child(docdata, "doc.copyright")
    source = _text(_child(body_head, "distributor")) or (
        copyright_.get("holder") if copyright_ is not None else None
    )
    # xml:lang holds inside its element unless an element inside gives another, so the one
    # nearest the text is the text's; then NITF's own baselang, then the head's (the
    # language of the metadata).
    language = (
        content.get(XML_LANG)
        or body.get(XML_LANG)
        or root.get(XML_LANG)
        or root.get("baselang")
        or (head.get(XML_LANG) if head is not None else None)
    )
    body_html = _markup(content, _NITF_TAGS)
    return _compact(
        {
            "id": copy_id(guid, version, headline, body_html),
            "uri": guid,
            "version": version,
            "title": headline,
            "body_html": body_html,
            "published": _iso_time(_nitf_published(head, docdata)),
            "pubstatus": status if status in _NITF_PUBSTATUSES else None,
            "urgency": record_integer(urgency.get("ed-urg"), "NITF urgency ed-urg")
            if urgency is not None
            else None,
            "byline": _strip_by(_text(_child(body_head, "byline"))),
            "located": located or _dateline_place(_text(dateline)),
            "language": language,
            "source": source,
            "format": "nitf",
        }
    )


def _nitf_published(head: etree._Element | None, docdata: etree._Element | None) -> str | None:
    """When this version was issued (date.issue: NITF's counterpart of versionCreated, which
    the other formats give as `published`), else when it may be released (date.release),
    else the publication's date (pubdata, as in the New York Times corpus). Not the release
    first: an embargoed item's correction keeps its release time, and the worker tells an
    unversioned item's versions apart by this time (a late original, superseded)."""
    dates = [
        (_child(docdata, "date.issue"), "norm"),
        (_child(docdata, "date.release"), "norm"),
        (_child(head, "pubdata"), "date.publication"),
    ]
    for element, attribute in dates:
        value = element.get(attribute) if element is not None else None
        if value and value.strip():
            return value
    return None


def _dateline_place(dateline: str | None) -> str | None:
    """`GENEVA, Jan 1 (Reuters) -` -> `GENEVA`; `WASHINGTON (AP) -` -> `WASHINGTON` (the
    credit is not part of the place)."""
    if not dateline:
        return None
    place = dateline.split(",", 1)[0].strip(" -\u2013\u2014")
    place = re.sub(r"\s*\([^()]*\)$", "", place).strip(" -\u2013\u2014")
    return place or None


def _qcode_tail(element: etree._Element | None) -> str | None:
    """The code of a G2 QCode property (`stat:usable` -> `usable`), given by its qcode or,
    as G2 allows instead, by its uri (`.../pubstatusg2/usable`)."""
    if element is None:
        return None
    qcode = (element.get("qcode") or "").strip()
    if qcode:
        return qcode.rsplit(":", 1)[-1] or None
    uri = (element.get("uri") or "").strip().rstrip("/")
    return uri.rsplit("/", 1)[-1] or None


def _roles(element: etree._Element) -> set[str]:
    """The codes of a G2 element's roles: its `role` QCodes and `roleuri` URIs."""
    return _role_codes(f"{element.get('role') or ''} {element.get('roleuri') or ''}")


def _newsml_headline(content_meta: etree._Element) -> str | None:
    """The main headline: the first non-empty one whose role is main (`hld:main`), else the
    first without a role, else the first. A G2 item may have several (a sub-headline,
    AP's `aprol:extendedHeadline`), in any order: the first was taken, a sub-headline too."""
    headlines = [
        (_roles(element), text)
        for element in content_meta
        if _local(element) == "headline" and (text := _text(element))
    ]
    main = next((text for roles, text in headlines if "main" in roles), None)
    unroled = next((text for roles, text in headlines if not roles), None)
    return main or unroled or next((text for _, text in headlines), None)


def _newsml_body(item: etree._Element) -> tuple[str | None, str | None]:
    """(html, text) of the first usable content in contentSet."""
    content_set = _child(item, "contentSet")
    if content_set is None:
        return None, None
    for content in content_set:
        name = _local(content)
        if name == "inlineXML":
            nitf = _find(content, "nitf")
            if nitf is not None:
                inner = _find(nitf, "body.content")
                if inner is not None:
                    return _markup(inner, _NITF_TAGS), None
            body = next((e for e in content.iter(f"{{{XHTML_NS}}}body")), None)
            if body is None:
                body = _find(content, "body")
            return _markup(body if body is not None else content), None
        if name == "inlineData":
            kind = content.get("contenttype") or "text/plain"
            # All of its text: `.text` ends at the first child node, and a comment or a
            # processing instruction is one (the rest of the article was lost). itertext
            # leaves their own text out and keeps the text around them.
            data = "".join(str(part) for part in content.itertext())
            return (data, None) if "html" in kind else (None, data)
    return None, None


def _has_inline_body(item: etree._Element) -> bool:
    html_body, text = _newsml_body(item)
    return bool((html_body or "").strip() or (text or "").strip())


def newsml_record(item: etree._Element) -> dict[str, Any]:
    guid = item.get("guid")
    if not guid:
        raise Rejected(RejectReason.BAD_FORMAT, "NewsML-G2 newsItem without a guid")
    version = record_integer(item.get("version"), f"NewsML-G2 newsItem {guid} version")
    item_meta, content_meta = _child(item, "itemMeta"), _child(item, "contentMeta")
    if content_meta is None:
        raise Rejected(RejectReason.BAD_FORMAT, f"NewsML-G2 newsItem {guid} without contentMeta")
    html, text = _newsml_body(item)
    if html is None and text is None:
        raise Rejected(RejectReason.BAD_FORMAT, f"NewsML-G2 newsItem {guid} without inline body")
    provider = _child(item_meta, "provider")
    holder = _child(item, "rightsInfo", "copyrightHolder")
    source = next(
        (
            value
            for value in (
                provider.get("literal") if provider is not None else None,
                _text(provider),
                holder.get("literal") if holder is not None else None,
                _text(holder),
            )
            if value
        ),
        None,
    )
    located = _text(_child(content_meta, "located", "name"))
    language = _child(content_meta, "language")
    urgency = _child(content_meta, "urgency")
    headline = _newsml_headline(content_meta)
    return _compact(
        {
            "id": copy_id(guid, version, headline, html, text),
            "uri": guid,
            "version": version,
            "title": headline,
            "body_html": html,
            "text": text,
            "published": _iso_time(_text(_child(item_meta, "versionCreated"))),
            "firstcreated": _iso_time(_text(_child(item_meta, "firstCreated"))),
            "pubstatus": _qcode_tail(_child(item_meta, "pubStatus")),
            "urgency": record_integer(_text(urgency), f"NewsML-G2 newsItem {guid} urgency"),
            "byline": _strip_by(_text(_child(content_meta, "by"))),
            "located": located or _dateline_place(_text(_child(content_meta, "dateline"))),
            "credit": _text(_child(content_meta, "creditline")),
            "language": (language.get("tag") if language is not None else None)
            or item.get(XML_LANG),
            "source": source,
            "format": "newsml",
        }
    )


# ------------------------------------------------------------------------------- sniffing

NDJSON_TYPES = ("ndjson", "jsonl", "json-seq", "jsonlines")


def parse_document(
    data: bytes, content_type: str | None = None, refused: list[RefusedItem] | None = None
) -> list[dict[str, Any]]:
    """Raw records from one payload: JSON (object or array), NDJSON or XML, chosen by the
    content type when it says, else by the first character. A payload in UTF-16 or UTF-32
    (with a byte order mark, or without one and no charset, in the order its NULs plainly
    show: `sniff_codec`), or in the charset the content type declares, is read as such: XML
    as it is (the mark or the charset tells the parser), JSON as UTF-8 text. `refused`: as
    `parse_xml` takes it."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    declared = _declared_codec(content_charset(content_type))
    codec = reading_codec(data, declared) if declared is not None else sniff_codec(data)
    data = strip_bom(data)
    if codec not in (None, "utf-8"):
        text = _decode(data, codec)
        if kind.endswith("xml") or (not kind.endswith("json") and text.lstrip()[:1] == "<"):
            # Given to the parser as the UTF-8 it is now: the charset of the transport (or
            # the byte order mark) overrides the document's declaration (RFC 7303).
            return parse_xml(text.encode("utf-8"), "utf-8", refused)
        data = text.encode("utf-8")
    head = data.lstrip()[:1]
    if not head:
        raise Rejected(RejectReason.MISSING_TEXT, "empty document")
    if any(t in kind for t in NDJSON_TYPES):
        return parse_ndjson(_utf8(data))
    if kind.endswith("xml") or (not kind.endswith("json") and head == b"<"):
        # `codec` is None or utf-8 here; a charset of utf-8 (or a UTF-8 mark) overrides the
        # declaration as any other does (RFC 7303): a UTF-8 body whose declaration still
        # names the legacy charset it was converted from is UTF-8.
        return parse_xml(data, codec, refused)
    _utf8(data)
    try:
        return parse_json(data)
    except Rejected:
        # A JSON parse error with several non-blank lines: NDJSON sent as plain JSON.
        if len([line for line in data.splitlines() if line.strip()]) > 1 and head == b"{":
            return parse_ndjson(data)
        raise


def _wide_codec(data: bytes) -> str | None:
    """utf-32 or utf-16 when the data starts with that encoding's byte order mark."""
    return next((codec for bom, codec in _WIDE.items() if data.startswith(bom)), None)


def _declared_codec(charset: str | None) -> str | None:
    """Python's codec for a declared charset (None when none is declared)."""
    if charset is None:
        return None
    codec = text_codec(charset)
    if codec is None:
        raise Rejected(RejectReason.BAD_FORMAT, f"unknown charset {charset!r}")
    return codec


def reading_codec(data: bytes, declared: str | None) -> str | None:
    """The codec to read `data` with: its byte order mark's, else the `declared` codec (in
    the byte order its text shows, for utf-16 and utf-32), else None (nothing says).

    A mark wins over a declared charset, as it does in browsers (WHATWG Encoding, "decode")
    and for XML (RFC 7303): a body that starts with one was written in that encoding
    whatever its label says, and none of the marks begins plausible text in another."""
    if data.startswith(BOM):
        return "utf-8"
    wide = _wide_codec(data)
    if wide is not None or declared not in ("utf-16", "utf-32"):
        return wide or declared
    return _unmarked_byte_order(data, declared)


def _unmarked_byte_order(data: bytes, codec: str) -> str:
    """utf-16 or utf-32 without a byte order mark as the `-be` or `-le` codec.

    Python reads an unmarked `utf-16` in the machine's order, little-endian on every server
    we run on; RFC 2781 (4.3) says big-endian. Neither is safe alone: what a newsroom gets
    unmarked is mostly little-endian (Windows and .NET's `Encoding.Unicode`, JavaScript
    strings; browsers take the label `utf-16` to mean UTF-16LE), yet big-endian senders
    follow the RFC. The text itself tells: news copy is full of ASCII (spaces, digits,
    punctuation, Latin letters), and each ASCII character's high byte is a NUL, first in
    its code unit in big-endian, last in little-endian (in UTF-32 the high byte is NUL for
    every character). The side with more NULs gives the order; text showing none, or as
    many on each side (a CJK text without a space or digit), is big-endian, as RFC 2781
    says."""
    first, last = _nul_sides(data, 2 if codec == "utf-16" else 4)
    return f"{codec}-le" if last > first else f"{codec}-be"


def _nul_sides(data: bytes, width: int) -> tuple[int, int]:
    """How many code units of `width` bytes have a NUL as their first and as their last
    byte."""
    return data[0::width].count(0), data[width - 1 :: width].count(0)


def sniff_codec(data: bytes) -> str | None:
    """The codec of bytes no charset is declared for (a file, an HTTP body without one): its
    byte order mark's, else UTF-32 or UTF-16 in the byte order their NUL bytes plainly show
    (`_unmarked_unicode`; a NUL is never in UTF-8 text), else None (UTF-8)."""
    marked = reading_codec(data, None)
    if marked is not None or b"\0" not in data:
        return marked
    return _unmarked_unicode(data)


# Bytes without a byte order mark are read as UTF-16 or UTF-32 only when this many of their
# code units, and at least this share, have a NUL on one side (ASCII's high byte: spaces and
# digits make more than this even in Cyrillic or Greek news copy) and the other side at most
# this share of that many (a CJK character such as U+4E00 has a NUL low byte). A stray NUL
# or two in UTF-8 (`Talks\0ended.` is three CJK characters and an `s` as UTF-16) and NUL
# padding (on both sides) show no encoding.
_NUL_MIN = 4
_NUL_SHARE = 1 / 16
_NUL_OTHER_SIDE = 1 / 8
_WHITESPACE_CONTROLS = frozenset("\t\n\v\f\r")


def _unmarked_unicode(data: bytes) -> str | None:
    """utf-32-le/-be or utf-16-le/-be for bytes without a byte order mark that plainly are
    in it, else None. The rule an HTTP body declared utf-16 is read by (`_unmarked_byte_order`:
    the NULs of ASCII's high bytes fall on one side of each code unit), made strict, as
    nothing declares the encoding: the NULs are many and on one side only, and the bytes
    read in that order are valid and plain text (`_plain_text`). UTF-32 is tried first:
    UTF-16 read as UTF-32 is not valid (code points past U+10FFFF)."""
    for codec, width in (("utf-32", 4), ("utf-16", 2)):
        if len(data) % width:
            continue
        first, last = _nul_sides(data, width)
        shown, other = max(first, last), min(first, last)
        few = shown < max(_NUL_MIN, len(data) // width * _NUL_SHARE)
        if few or other > shown * _NUL_OTHER_SIDE:
            continue
        candidate = f"{codec}-le" if last > first else f"{codec}-be"
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        if _plain_text(text):
            return candidate
    return None


def _plain_text(text: str) -> bool:
    """No control character (but whitespace), unassigned code point or private-use one: text
    read in its own encoding has none; bytes read in another are full of them."""
    return not any(
        unicodedata.category(char) in {"Cc", "Cn", "Co"} and char not in _WHITESPACE_CONTROLS
        for char in set(text)
    )


def decode_unlabelled(data: bytes) -> str:
    """Text no charset is declared for, in `sniff_codec`'s encoding; Rejected (not_utf8) when
    it is not UTF-8, nor UTF-16 or UTF-32 after a byte order mark or in an order its NULs
    plainly show. Bytes with NULs are never read as UTF-8: UTF-16 read so loses every
    character that is not ASCII (`It\u2019s` became `It s`)."""
    codec = sniff_codec(data)
    if codec is None and b"\0" in data:
        raise Rejected(
            RejectReason.NOT_UTF8,
            "NUL bytes, which UTF-8 text never has, in no UTF-16 or UTF-32 byte order",
        )
    return _decode(data, codec or "utf-8")


def unlabelled_utf8(data: bytes) -> bytes:
    """Bytes no charset is declared for (JSON's own rule, RFC 4627 3: its encoding is seen in
    the NULs of its ASCII), as UTF-8: decoded from the UTF-16 or UTF-32 `sniff_codec` finds,
    else as they are, without a UTF-8 byte order mark. orjson reads UTF-8 only: a file drop
    saved as "Unicode" failed as not_json, where the endpoint decodes a body after its mark."""
    codec = sniff_codec(data)
    if codec in (None, "utf-8"):
        return strip_bom(data)
    return _decode(data, codec).encode("utf-8")


def decode_text(data: bytes, charset: str | None) -> str:
    """Plain text in its byte order mark's encoding, else its declared charset, else UTF-8
    or the UTF-16 or UTF-32 its NULs show (`decode_unlabelled`); Rejected when the charset is
    unknown or the bytes are not valid in the encoding."""
    if charset is None:
        return decode_unlabelled(data)
    return _decode(data, reading_codec(data, _declared_codec(charset)) or "utf-8", charset)


def _decode(data: bytes, codec: str, name: str | None = None) -> str:
    """`data` as text in `codec` (`name`: the charset as declared), without a byte order
    mark; Rejected when the bytes are not valid in it."""
    try:
        # A byte order mark is not text (utf-8 keeps it; utf-16 and utf-32 consume theirs).
        return data.decode(codec).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        if codec == "utf-8":
            raise Rejected(RejectReason.NOT_UTF8, str(exc)) from None
        raise Rejected(RejectReason.BAD_FORMAT, f"not valid {name or codec}: {exc}") from None


def content_charset(content_type: str | None) -> str | None:
    """The `charset` parameter of a Content-Type, if it has one."""
    for parameter in (content_type or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').strip() or None
    return None


def text_codec(charset: str) -> str | None:
    """Python's name for a text encoding, None when it knows no such text encoding."""
    try:
        info = codecs.lookup(charset)
    except LookupError:
        return None
    # Codecs such as base64 or rot13 are not text encodings.
    return info.name if getattr(info, "_is_text_encoding", True) else None


def strip_bom(data: bytes) -> bytes:
    """Editors on Windows start UTF-8 files with a byte order mark; orjson refuses it and an
    XML declaration must come first."""
    return data.removeprefix(BOM)


def _utf8(data: bytes) -> bytes:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected(RejectReason.NOT_UTF8, str(exc)) from None
    return data
