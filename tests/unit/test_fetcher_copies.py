"""Fetch once, keep the first (issue 14, item 1): one story as an RSS item, a sitemap entry of the
same URL and a windows-1256 syndicated copy whose canonical link points to the first."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import httpx

from akhbar.messages import Copy
from fetcher.http import PoliteClient
from fetcher.poller import PollSummary, SourcePoller
from fetcher.settings import FetcherSettings
from fetcher.sources import Source
from fetcher.state import FetcherState

from .test_fetcher_limits import BASE, NOW, STORY, Sink, Site, _poller

STORY_2 = "وقال رئيس المجلس إن القانون سيدخل حيز التنفيذ مطلع العام المقبل بعد نشره في الجريدة الرسمية."


def _html(
    title: str, paragraphs: list[str], *, canonical: str | None = None, charset: str = "utf-8"
) -> bytes:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<html><head><meta charset="{charset}"><title>{title}</title>{link}</head>'
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode(charset)


def _sitemap(*paths: str) -> str:
    urls = "".join(f"<url><loc>{BASE}{p}</loc></url>" for p in paths)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def _source(name: str, kind: str, *paths: str) -> Source:
    return Source.model_validate(
        {
            "name": name,
            "kind": kind,
            "urls": [f"{BASE}{p}" for p in paths],
            "allow_private_addresses": True,
            "rate_limit_per_s": 100,
        }
    )


def _site() -> Site:
    site = Site()
    site.html("/2026/story.html", _html("البرلمان يقر قانون الانتخابات", [STORY, STORY_2]))
    site.rss("/feed.rss", "/2026/story.html?utm_source=rss")
    sitemap = _sitemap("/2026/story.html")
    site.routes["/sitemap.xml"] = lambda r: httpx.Response(
        200, text=sitemap, headers={"Content-Type": "application/xml"}
    )
    return site


def _ticking_poller(site: Site, sink: Sink, state: FetcherState) -> SourcePoller:
    """A poller whose clock moves a second per reading: each revision is later than the last."""
    settings = FetcherSettings(politeness_delay_s=0, max_retries=0)
    client = PoliteClient(PoliteClient.build_client(settings, transport=httpx.MockTransport(site)), settings)
    ticks = itertools.count()
    return SourcePoller(client, sink, sink, state, clock=lambda: NOW + timedelta(seconds=next(ticks)))


def _poll_together(poller: SourcePoller, *sources: Source) -> list[PollSummary]:
    async def both() -> list[PollSummary]:
        return list(await asyncio.gather(*(poller.poll(s) for s in sources)))

    return asyncio.run(both())


def test_a_url_listed_by_a_feed_and_a_sitemap_polled_at_once_is_fetched_and_published_once() -> None:
    site, sink, state = _site(), Sink(), FetcherState(":memory:")
    poller = _poller(site, sink, state)
    summaries = _poll_together(
        poller, _source("feed", "feed", "/feed.rss"), _source("map", "sitemap", "/sitemap.xml")
    )
    assert site.paths.count("/2026/story.html") == 1
    assert len(sink.articles) == 1 and sum(s.published for s in summaries) == 1
    assert sink.articles[0].first_seen_at == sink.articles[0].fetched_at
    assert (sink.articles[0].copies, sink.articles[0].copy_count) == ([], 0)


def test_one_source_listing_a_url_twice_under_tracking_variants_fetches_it_once() -> None:
    site, sink, state = _site(), Sink(), FetcherState(":memory:")
    site.rss("/feed.rss", "/2026/story.html?utm_source=rss", "/2026/story.html", "/2026/story.html#top")
    summary = asyncio.run(_poller(site, sink, state).poll(_source("feed", "feed", "/feed.rss")))
    assert site.paths.count("/2026/story.html") == 1 and summary.published == 1


def test_a_syndicated_copy_keeps_the_first_copys_provenance_and_is_listed_as_a_copy() -> None:
    site, sink, state = _site(), Sink(), FetcherState(":memory:")
    copy = _html(
        "البرلمان يقر قانون الانتخابات",
        [STORY, STORY_2],
        canonical=f"{BASE}/2026/story.html",
        charset="windows-1256",
    )
    site.routes["/syndicated/77.html"] = lambda r: httpx.Response(
        200, content=copy, headers={"Content-Type": "text/html; charset=windows-1256"}
    )
    site.rss("/syn.rss", "/syndicated/77.html")
    poller = _ticking_poller(site, sink, state)
    _poll_together(poller, _source("feed", "feed", "/feed.rss"), _source("map", "sitemap", "/sitemap.xml"))
    asyncio.run(poller.poll(_source("syn", "feed", "/syn.rss")))

    first, second = sink.articles
    assert first.id == second.id and first.content_hash == second.content_hash  # same article, same text
    assert (second.fetched_url, second.source) == (first.fetched_url, first.source)  # first seen is kept
    assert second.first_seen_at == first.fetched_at and second.revision > first.revision
    assert second.copies == [Copy(url=f"{BASE}/syndicated/77.html", source="syn", seen_at=second.fetched_at)]
    assert second.copy_count == 1

    # The copy is remembered: polled again, nothing is fetched or published.
    again = asyncio.run(poller.poll(_source("syn", "feed", "/syn.rss")))
    assert (again.published, again.unchanged) == (0, 1) and len(sink.articles) == 2


def test_a_copy_with_changed_content_is_a_new_revision_that_still_keeps_the_first_copy() -> None:
    site, sink, state = _site(), Sink(), FetcherState(":memory:")
    updated = STORY_2.replace("مطلع العام المقبل", "الشهر المقبل")
    site.html(
        "/mirror/story.html",
        _html("البرلمان يقر قانون الانتخابات", [STORY, updated], canonical=f"{BASE}/2026/story.html"),
    )
    site.rss("/mirror.rss", "/mirror/story.html")
    poller = _ticking_poller(site, sink, state)
    asyncio.run(poller.poll(_source("feed", "feed", "/feed.rss")))
    asyncio.run(poller.poll(_source("mirror", "feed", "/mirror.rss")))
    first, second = sink.articles
    assert (
        first.id == second.id and first.content_hash != second.content_hash and "الشهر المقبل" in second.body
    )
    assert (second.fetched_url, second.source, second.first_seen_at) == (
        first.fetched_url,
        "feed",
        first.fetched_at,
    )
    assert [c.url for c in second.copies] == [f"{BASE}/mirror/story.html"] and second.copy_count == 1


def test_state_files_from_before_record_their_earliest_url_as_the_first_copy(tmp_path: object) -> None:
    path = f"{tmp_path}/state.sqlite3"
    state = FetcherState(path)
    state.mark_published(f"{BASE}/a.html", "abcdefgh12", "h1", "old")
    state._db.execute("DELETE FROM articles")  # as written by a fetcher without the table
    state.close()
    reopened = FetcherState(path)
    first = reopened.first_copy("abcdefgh12")
    assert first is not None and (first.key, first.source, first.content_hash) == (
        f"{BASE}/a.html",
        "old",
        "h1",
    )
