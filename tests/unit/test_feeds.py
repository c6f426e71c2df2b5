from __future__ import annotations

import pytest

from akhbar.errors import ExtractionError
from fetcher.feeds import parse_feed, parse_sitemap

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>ت</title>
<item><title>خبر أول</title><link>https://n.example.org/1</link><pubDate>Wed, 04 Feb 2026 09:30:00 +0200</pubDate>
<category>سياسة</category><category>محلي</category></item>
<item><title>بلا رابط</title></item>
</channel></rss>""".encode()

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>ت</title><id>urn:x</id><updated>2026-02-04T09:00:00Z</updated>
<entry><title>خبر أتوم</title><link href="https://n.example.org/atom-1"/><id>urn:1</id>
<updated>2026-02-04T09:00:00Z</updated><category term="اقتصاد"/></entry></feed>""".encode()

RDF = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://n.example.org/"><title>ت</title><link>https://n.example.org/</link></channel>
<item rdf:about="https://n.example.org/rdf-1"><title>خبر RDF</title><link>https://n.example.org/rdf-1</link>
<dc:date>2026-02-04T09:00:00+02:00</dc:date><dc:subject>رياضة</dc:subject></item></rdf:RDF>""".encode()

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://n.example.org/sitemap-news.xml</loc><lastmod>2026-02-04</lastmod></sitemap>
<sitemap><loc>https://n.example.org/sitemap-2026-02.xml</loc></sitemap></sitemapindex>"""

NEWS = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://n.example.org/gn-1</loc><news:news><news:publication><news:name>ن</news:name>
<news:language>ar</news:language></news:publication><news:publication_date>2026-02-04T10:00:00+03:00</news:publication_date>
<news:title>عنوان الخبر</news:title><news:keywords>سياسة, الأردن</news:keywords></news:news></url>
<url><loc>https://n.example.org/plain</loc><lastmod>2026-02-03</lastmod></url></urlset>""".encode()

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title></channel></rss>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel><title>&x;</title></channel></rss>"""


def test_rss2_items_with_categories() -> None:
    items = parse_feed(RSS, url="https://n.example.org/rss")
    assert [(i.url, i.title, i.tags) for i in items] == [
        ("https://n.example.org/1", "خبر أول", ("سياسة", "محلي"))
    ]
    assert items[0].published == "Wed, 04 Feb 2026 09:30:00 +0200"


def test_atom_entries() -> None:
    (item,) = parse_feed(ATOM, url="https://n.example.org/atom")
    assert (item.url, item.title, item.tags) == ("https://n.example.org/atom-1", "خبر أتوم", ("اقتصاد",))


def test_rdf_items() -> None:
    (item,) = parse_feed(RDF, url="https://n.example.org/rdf")
    assert (item.url, item.title, item.tags) == ("https://n.example.org/rdf-1", "خبر RDF", ("رياضة",))


def test_sitemap_index_lists_child_sitemaps() -> None:
    items = parse_sitemap(INDEX, url="https://n.example.org/sitemap.xml")
    assert [(i.url, i.is_sitemap) for i in items] == [
        ("https://n.example.org/sitemap-news.xml", True),
        ("https://n.example.org/sitemap-2026-02.xml", True),
    ]


def test_google_news_sitemap_metadata() -> None:
    first, plain = parse_sitemap(NEWS, url="https://n.example.org/sitemap-news.xml")
    assert (first.url, first.title, first.published, first.tags) == (
        "https://n.example.org/gn-1",
        "عنوان الخبر",
        "2026-02-04T10:00:00+03:00",
        ("سياسة", "الأردن"),
    )
    assert (plain.url, plain.published, plain.title) == ("https://n.example.org/plain", "2026-02-03", None)


@pytest.mark.parametrize("body", [BOMB, EXTERNAL])
def test_entity_tricks_are_refused_before_parsing(body: bytes) -> None:
    with pytest.raises(ExtractionError, match="unsafe XML refused"):
        parse_feed(body, url="https://n.example.org/evil")


def test_malformed_xml_is_a_clear_error() -> None:
    with pytest.raises(ExtractionError, match="malformed XML"):
        parse_feed(b"<rss><channel><item></channel>", url="https://n.example.org/broken")
    with pytest.raises(ExtractionError, match="not a sitemap"):
        parse_sitemap(RSS, url="https://n.example.org/rss")
