"""Small, realistic wire documents written for these tests (no agency's copy)."""

from __future__ import annotations

NITF = b"""<?xml version="1.0" encoding="UTF-8"?>
<nitf version="-//IPTC//DTD NITF 3.6//EN" xml:lang="en-GB">
  <head>
    <title>Harbour bridge reopens after repairs</title>
    <docdata>
      <doc-id id-string="EXN-2024-0412-0007"/>
      <urgency ed-urg="3"/>
      <date.issue norm="20240412T091500Z"/>
      <du-key version="2" key="bridge-reopens"/>
      <doc.copyright holder="Example News Agency"/>
    </docdata>
  </head>
  <body>
    <body.head>
      <hedline><hl1>Harbour bridge reopens after six weeks of repairs</hl1></hedline>
      <byline>By <person>Maria Lindqvist</person></byline>
      <distributor>Example News Agency</distributor>
      <dateline><location><city>Portsmouth</city></location>,
        <story.date norm="20240412T091500Z">April 12</story.date></dateline>
    </body.head>
    <body.content>
      <p>The harbour bridge reopened to traffic on Friday morning after six weeks of
      repairs to its steel deck, the city council said.</p>
      <hl2>Delays expected</hl2>
      <p>Engineers replaced 40 expansion joints and resurfaced both carriageways; the
      council warned of short delays while the last lane markings are painted.</p>
      <media media-type="image">
        <media-reference source="bridge.jpg" mime-type="image/jpeg"/>
        <media-caption>Traffic crosses the reopened bridge.</media-caption>
      </media>
      <block><p>About 30,000 vehicles a day used the bridge before it closed.</p></block>
    </body.content>
  </body>
</nitf>
"""

NEWSML_ITEM = """<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/"
          xmlns:h="http://www.w3.org/1999/xhtml"
          guid="urn:newsml:example.org:20240412:rail-strike" version="3"
          standard="NewsML-G2" standardversion="2.29" conformance="power" xml:lang="de">
  <catalogRef href="http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_38.xml"/>
  <rightsInfo>
    <copyrightHolder literal="Beispiel Presse"><name>Beispiel Presse</name></copyrightHolder>
  </rightsInfo>
  <itemMeta>
    <itemClass qcode="ninat:text"/>
    <provider literal="Beispiel Presse"/>
    <versionCreated>2024-04-12T10:05:00+02:00</versionCreated>
    <firstCreated>2024-04-12T08:30:00+02:00</firstCreated>
    <pubStatus qcode="stat:usable"/>
  </itemMeta>
  <contentMeta>
    <urgency>2</urgency>
    <located type="cptype:city"><name>Frankfurt</name></located>
    <creditline>Beispiel Presse/dpa</creditline>
    <headline>Bahnstreik legt Fernverkehr lahm</headline>
    <dateline>FRANKFURT, 12. April</dateline>
    <by>Von Jonas Keller</by>
    <language tag="de"/>
  </contentMeta>
  <contentSet>
    <inlineXML contenttype="application/xhtml+xml">
      <h:html><h:head><h:title>Bahnstreik</h:title></h:head>
        <h:body>
          <h:p>Ein Streik der Lokführer hat am Freitag große Teile des Fernverkehrs
          in Deutschland zum Stillstand gebracht.</h:p>
          <h:p>Die Gewerkschaft kündigte an, den Ausstand bis Sonntag fortzusetzen.</h:p>
        </h:body>
      </h:html>
    </inlineXML>
  </contentSet>
</newsItem>
""".encode()

NEWSML_MESSAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/">
  <header><sent>2024-04-12T10:06:00Z</sent></header>
  <itemSet>
    <newsItem guid="urn:newsml:example.org:20240412:storm" version="1" standard="NewsML-G2"
              standardversion="2.29">
      <itemMeta><itemClass qcode="ninat:text"/><provider literal="Example Wire"/>
        <versionCreated>2024-04-12T10:00:00Z</versionCreated></itemMeta>
      <contentMeta><headline>Storm closes ferry routes</headline></contentMeta>
      <contentSet>
        <inlineData contenttype="text/plain">Ferry operators cancelled all crossings
to the islands on Friday as winds reached 90 km/h.</inlineData>
      </contentSet>
    </newsItem>
    <newsItem guid="urn:newsml:example.org:20240412:storm-2" version="1"
              standard="NewsML-G2" standardversion="2.29">
      <itemMeta><itemClass qcode="ninat:text"/><provider literal="Example Wire"/></itemMeta>
      <contentMeta><headline>Ferries resume</headline></contentMeta>
      <contentSet>
        <inlineXML contenttype="application/nitf+xml">
          <nitf><body><body.content><p>Crossings resumed in the evening.</p></body.content>
          </body></nitf>
        </inlineXML>
      </contentSet>
    </newsItem>
  </itemSet>
</newsMessage>
"""

NINJS_1 = {
    "uri": "http://example.com/news/2024/04/12/museum-theft",
    "type": "text",
    "version": "2",
    "versioncreated": "2024-04-12T11:00:00Z",
    "firstcreated": "2024-04-12T09:00:00Z",
    "pubstatus": "usable",
    "urgency": 4,
    "language": "en",
    "headline": "Paintings stolen from city museum",
    "byline": "Ana Souza",
    "located": "Lisbon",
    "copyrightholder": "Example Press",
    "body_html": "<p>Three paintings were stolen from the city museum overnight.</p>",
}

NINJS_2 = {
    "$schema": "http://www.iptc.org/std/ninjs/ninjs-schema_2.1.json",
    "uri": "urn:example:ninjs2:quake",
    "version": "1",
    "versioncreated": "2024-04-12T12:00:00Z",
    "language": "ja",
    "headlines": [
        {"role": "sub", "value": "No tsunami warning"},
        {"role": "main", "value": "Strong quake shakes northern Japan"},
    ],
    "bodies": [
        {"role": "main", "contenttype": "text/plain", "value": "A strong earthquake shook..."}
    ],
    "bylines": [{"byline": "Kenji Sato"}, {"byline": "Emi Tanaka"}],
    "infosources": [{"name": "Example Wire Japan"}],
}

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
  <channel>
    <title>Example Gazette</title>
    <link>https://gazette.example/</link>
    <description>Local news</description>
    <language>en-us</language>
    <item>
      <title>Council approves new cycle lanes</title>
      <link>https://gazette.example/2024/04/cycle-lanes</link>
      <guid isPermaLink="false">gazette-1001</guid>
      <pubDate>Fri, 12 Apr 2024 08:00:00 GMT</pubDate>
      <description>Short summary.</description>
      <content:encoded><![CDATA[<p>The council approved 12 km of new cycle lanes.</p>]]>
      </content:encoded>
    </item>
    <item>
      <title>Library extends opening hours</title>
      <link>https://gazette.example/2024/04/library</link>
      <pubDate>Fri, 12 Apr 2024 09:30:00 +0200</pubDate>
      <description>&lt;p&gt;The central library will open until 10pm.&lt;/p&gt;</description>
    </item>
  </channel>
</rss>
"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Example Science Desk</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2024-04-12T10:00:00Z</updated>
  <entry>
    <title>Telescope spots distant galaxy</title>
    <link href="https://science.example/galaxy"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <updated>2024-04-12T10:00:00Z</updated>
    <published>2024-04-12T09:00:00Z</published>
    <author><name>Lena Ortiz</name></author>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Astronomers
      reported a galaxy seen 13 billion years ago.</p></div></content>
  </entry>
</feed>
"""

# A text item with its picture, as agencies send them: the picture has no inline body.
NEWSML_MESSAGE_WITH_PICTURE = b"""<?xml version="1.0" encoding="UTF-8"?>
<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/">
  <header><sent>2024-04-12T11:00:00Z</sent></header>
  <itemSet>
    <newsItem guid="urn:newsml:example.org:20240412:dam" version="1" standard="NewsML-G2"
              standardversion="2.29">
      <itemMeta><itemClass qcode="ninat:text"/><provider literal="Example Wire"/></itemMeta>
      <contentMeta><headline>Dam repairs finished early</headline></contentMeta>
      <contentSet>
        <inlineData contenttype="text/plain">Repairs to the river dam finished two weeks
ahead of schedule, the water authority said.</inlineData>
      </contentSet>
    </newsItem>
    <newsItem guid="urn:newsml:example.org:20240412:dam-photo" version="1"
              standard="NewsML-G2" standardversion="2.29">
      <itemMeta><itemClass qcode="ninat:picture"/><provider literal="Example Wire"/></itemMeta>
      <contentMeta><headline>The repaired dam</headline></contentMeta>
      <contentSet>
        <remoteContent href="https://wire.example/photos/dam.jpg" contenttype="image/jpeg"
                       width="1200" height="800"/>
      </contentSet>
    </newsItem>
  </itemSet>
</newsMessage>
"""
