"""Discovery: article URLs (with feed-side metadata) from feeds and sitemaps.

Feeds are parsed by feedparser (RSS 0.9x/1.0(RDF)/2.0 and Atom, tolerant of the
small errors real feeds have); sitemaps by defusedxml. Every document is first
screened by defusedxml, so an entity-expansion bomb or external entity is refused
before any parser sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_et
import feedparser
from defusedxml import DefusedXmlException

from akhbar.errors import ExtractionError

_SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@dataclass(frozen=True)
class Discovered:
    """One link found in a feed or sitemap, with whatever metadata came with it."""

    url: str
    title: str | None = None
    published: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    is_sitemap: bool = False


def screen_xml(body: bytes, *, url: str) -> Element:
    """Parse with entity declarations, external entities and DTD fetching forbidden."""
    try:
        return safe_et.fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as err:
        raise ExtractionError(f"unsafe XML refused ({type(err).__name__})", url=url) from err
    except ParseError as err:
        raise ExtractionError(f"malformed XML: {err}", url=url) from err


@dataclass(frozen=True)
class FeedDocument:
    """A parsed feed: its items, and the WebSub hub and topic (``rel="self"``) it advertises."""

    items: list[Discovered]
    hub: str | None = None
    self_url: str | None = None


def parse_feed(body: bytes, *, url: str) -> list[Discovered]:
    return parse_feed_document(body, url=url).items


def parse_feed_document(body: bytes, *, url: str) -> FeedDocument:
    """Items plus the feed-level ``<link rel="hub">`` / ``rel="self"`` (Atom, or atom:link in RSS)."""
    screen_xml(body, url=url)
    parsed = feedparser.parse(
        body, sanitize_html=False, resolve_relative_uris=True, response_headers={"content-location": url}
    )
    if not parsed.entries and not parsed.get("version"):  # a recognised feed may be empty
        raise ExtractionError(f"not a feed: {parsed.get('bozo_exception')}", url=url)
    found: list[Discovered] = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        tags = tuple(t.get("term", "").strip() for t in entry.get("tags", []) if t.get("term", "").strip())
        found.append(
            Discovered(
                url=link,
                title=entry.get("title"),
                published=entry.get("published") or entry.get("updated"),
                tags=tags,
            )
        )
    hub = self_url = None
    for link in parsed.feed.get("links", []):
        rel, href = link.get("rel"), (link.get("href") or "").strip()
        if href and rel == "hub" and hub is None:
            hub = href
        elif href and rel == "self" and self_url is None:
            self_url = href
    return FeedDocument(found, hub, self_url)


def parse_sitemap(body: bytes, *, url: str) -> list[Discovered]:
    """URL sets (incl. Google-news sitemaps) and sitemap indexes (entries flagged ``is_sitemap``)."""
    root = screen_xml(body, url=url)
    found: list[Discovered] = []
    if root.tag == f"{_SM}sitemapindex":
        for sm in root.iter(f"{_SM}sitemap"):
            loc = (sm.findtext(f"{_SM}loc") or "").strip()
            if loc:
                found.append(Discovered(url=loc, published=sm.findtext(f"{_SM}lastmod"), is_sitemap=True))
        return found
    if root.tag != f"{_SM}urlset":
        raise ExtractionError(f"not a sitemap (root element {root.tag})", url=url)
    for item in root.iter(f"{_SM}url"):
        loc = (item.findtext(f"{_SM}loc") or "").strip()
        if not loc:
            continue
        news = item.find(f"{_NEWS}news")
        title = published = None
        tags: tuple[str, ...] = ()
        if news is not None:
            title = news.findtext(f"{_NEWS}title")
            published = news.findtext(f"{_NEWS}publication_date")
            keywords = news.findtext(f"{_NEWS}keywords") or ""
            tags = tuple(k.strip() for k in keywords.split(",") if k.strip())
        found.append(
            Discovered(url=loc, title=title, published=published or item.findtext(f"{_SM}lastmod"), tags=tags)
        )
    return found
