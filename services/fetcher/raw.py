"""The one place a fetched page becomes a :class:`~akhbar.messages.RawArticle`.

The poller, the tests and the benchmarks build raw messages here, so what a test
asserts on is what the pipeline publishes. Dedup state is the caller's: it passes the
near-duplicate verdict in.
"""

from __future__ import annotations

from datetime import datetime

from akhbar.messages import RawArticle, article_id
from fetcher.dates import parse_date
from fetcher.dedup import content_hash, simhash64
from fetcher.extract import ExtractedArticle
from fetcher.feeds import Discovered
from fetcher.sources import Source
from fetcher.urls import canonicalize_url


def canonical_of(ex: ExtractedArticle, page_url: str) -> str:
    """The article's canonical URL: the page's canonical link resolved against the page's URL."""
    return canonicalize_url(ex.canonical_url, base=page_url) if ex.canonical_url else page_url


def body_fingerprint(ex: ExtractedArticle) -> tuple[str, int]:
    """What near-duplicate detection compares: the body's exact hash and its 64-bit simhash."""
    return content_hash(ex.text), simhash64(ex.text)


def build_raw_article(
    ex: ExtractedArticle,
    *,
    source: Source,
    link: Discovered,
    page_url: str,
    now: datetime,
    duplicate_of: str | None = None,
    simhash: int | None = None,
) -> RawArticle:
    """The raw message of one extracted page found through ``link`` of ``source``.

    ``page_url`` is the (canonicalised) link URL the page was requested at; ``fetched_url`` in the
    message is the link as the source listed it.

    Feed metadata fills what the page lacks (tags are merged, page first; the feed's date is used
    only when the page has none); the source's settings win for language and the aggregator flag.
    """
    canonical = canonical_of(ex, page_url)
    aid = article_id(canonical)
    published_at, date_source = ex.published_at, ex.date_source
    if published_at is None and link.published:
        published_at = parse_date(link.published, tz=source.timezone)
        date_source = "feed" if published_at is not None else None
    fingerprint = simhash if simhash is not None else simhash64(ex.text)
    return RawArticle(
        id=aid,
        url=canonical,
        fetched_url=link.url,
        source=source.name,
        title=ex.title,
        body=ex.text,
        paragraphs=list(ex.paragraphs),
        byline=ex.byline,
        published_at=published_at,
        date_source=date_source,
        updated_at=ex.updated_at,
        lead_image=ex.lead_image,
        tags=list(dict.fromkeys([*ex.tags, *link.tags])),
        section=ex.section,
        language_hint=source.language,
        is_aggregator=source.aggregator or ex.is_aggregator_page,
        provenance=ex.provenance,
        content_hash=content_hash(f"{ex.title}\n{ex.text}"),
        simhash=f"{fingerprint:016x}",
        duplicate_of=None if duplicate_of == aid else duplicate_of,
        fetched_at=now,
        revision=int(now.timestamp() * 1000),
    )
