"""extract_article on the fixture site, field by field against tests/fixtures/gold.json."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from akhbar.errors import ExtractionError
from akhbar.messages import article_id
from fetcher.extract import ExtractedArticle, extract_article
from fetcher.feeds import Discovered
from fetcher.raw import build_raw_article
from fetcher.sources import Source, SourceKind

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BASE = "http://fixture.invalid"
GOLD: dict[str, Any] = json.loads((FIXTURES / "gold.json").read_text(encoding="utf-8"))
NOW = datetime.fromisoformat(GOLD["now"])


def load(path: str) -> bytes:
    return (FIXTURES / "site" / path).read_bytes().replace(b"{base}", BASE.encode())


def extract(page: dict[str, Any], **overrides: Any) -> ExtractedArticle:
    kwargs: dict[str, Any] = {
        "url": f"{BASE}/{page['path']}",
        "content_type": page.get("content_type"),
        "site_timezone": page.get("site_timezone", "UTC"),
        "now": NOW,
    }
    kwargs.update(overrides)
    return extract_article(load(page["path"]), **kwargs)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _expand(value: str | None) -> str | None:
    return value.replace("{base}", BASE) if value is not None else None


@pytest.mark.parametrize("page", GOLD["pages"], ids=[p["path"] for p in GOLD["pages"]])
def test_fields_match_gold(page: dict[str, Any]) -> None:
    article = extract(page)

    assert article.title == page["title"]
    assert list(article.paragraphs) == page["paragraphs"]
    assert article.text == "\n\n".join(page["paragraphs"])
    assert _iso(article.published_at) == page["published_at"]
    assert article.date_source == page["date_source"]
    assert _iso(article.updated_at) == page["updated_at"]
    assert article.byline == page["byline"]
    assert list(article.tags) == page["tags"]
    assert article.section == page["section"]
    assert article.canonical_url == _expand(page["canonical_url"])
    assert article.lead_image == _expand(page["lead_image"])
    assert article.charset == page["charset"]
    assert article.language_hint == page["language_hint"]
    assert article.is_aggregator_page is page["is_aggregator_page"]
    if page["provenance"] is None:
        assert article.provenance is None
    else:
        assert article.provenance is not None
        assert article.provenance.original_source == page["provenance"]["original_source"]
        assert article.provenance.original_title == page["provenance"]["original_title"]
        assert _iso(article.provenance.original_date) == page["provenance"]["original_date"]


def test_aggregator_body_has_no_attribution_disclaimer_or_tag_line() -> None:
    page = next(p for p in GOLD["pages"] if p["path"] == "agg/news-88231.html")
    article = extract(page)
    assert "نشر أولاً" not in article.text
    assert "لا يتحمل" not in article.text
    assert "سياسة سياسة" not in article.text
    assert article.tags == ("سياسة",)


def test_boilerplate_blocks_are_dropped() -> None:
    page = next(p for p in GOLD["pages"] if p["path"] == "daily/politics/elections-law.html")
    text = extract(page).text
    for junk in ("اقرأ أيضا", "شارك", "تابعونا", "الأكثر قراءة", "أخبار ذات صلة", "عاجل", "الوسوم"):
        assert junk not in text


def test_relative_date_needs_now() -> None:
    page = next(p for p in GOLD["pages"] if p["path"] == "live/storm-warning.html")
    article = extract(page, now=None)
    assert article.published_at is None
    assert article.date_source is None


@pytest.mark.parametrize("case", GOLD["errors"], ids=[e["path"] for e in GOLD["errors"]])
def test_non_articles_raise(case: dict[str, Any]) -> None:
    with pytest.raises(ExtractionError) as err:
        extract_article(load(case["path"]), url=f"{BASE}/{case['path']}", content_type=case["content_type"])
    assert case["reason"] in err.value.reason
    assert err.value.url == f"{BASE}/{case['path']}"


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", "text/html", "empty body"),
        (b"  \n ", None, "empty body"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", None, "not HTML (binary content)"),
        (b"<html><body><p>x</p></body></html>", "image/jpeg", "not HTML (content-type image/jpeg)"),
        (b'{"title": "json"}', "application/json", "not HTML (content-type application/json)"),
        ("نص عادي بلا أي وسم".encode(), None, "not HTML (no markup)"),
    ],
)
def test_bad_bodies_raise_with_reason(body: bytes, content_type: str | None, reason: str) -> None:
    with pytest.raises(ExtractionError) as err:
        extract_article(body, url="http://x.invalid/a", content_type=content_type)
    assert err.value.reason == reason


def test_the_raw_message_of_an_aggregator_page() -> None:
    """The builder the poller publishes through: page fields, feed fallbacks, the source's settings."""
    page = next(p for p in GOLD["pages"] if p["path"] == "agg/news-88231.html")
    article = extract(page)
    source = Source(
        name="fixture-aggregator", kind=SourceKind.FEED, urls=[f"{BASE}/feed.xml"], aggregator=True
    )
    link = Discovered(url=f"{BASE}/agg/news-88231.html?utm_source=rss", tags=("عاجل", *article.tags[:1]))
    raw = build_raw_article(
        article, source=source, link=link, page_url=f"{BASE}/agg/news-88231.html", now=NOW
    )
    assert raw.id == article_id(f"{BASE}/agg/news-88231.html")
    assert raw.url == f"{BASE}/agg/news-88231.html"
    assert raw.fetched_url == link.url  # as the source listed it
    assert raw.source == "fixture-aggregator"
    assert raw.is_aggregator is True
    assert raw.provenance is not None and raw.provenance.original_source == "الجريدة اليومية"
    assert raw.body == article.text and raw.paragraphs == list(article.paragraphs)
    assert raw.tags == list(dict.fromkeys([*article.tags, "عاجل"]))  # page tags first, feed's added once
    assert raw.fetched_at == NOW and raw.revision == int(NOW.timestamp() * 1000)
    assert raw.duplicate_of is None and raw.simhash is not None and len(raw.simhash) == 16


def test_the_feed_date_fills_a_page_without_one() -> None:
    page = next(p for p in GOLD["pages"] if p["path"] == "agg/news-88231.html")
    article = dataclasses.replace(extract(page), published_at=None, date_source=None)
    source = Source(name="s", kind=SourceKind.FEED, urls=[f"{BASE}/feed.xml"], timezone="Asia/Beirut")
    link = Discovered(url=f"{BASE}/agg/news-88231.html", published="2026-03-05 10:00")
    raw = build_raw_article(article, source=source, link=link, page_url=link.url, now=NOW)
    assert raw.date_source == "feed"
    assert raw.published_at == datetime(2026, 3, 5, 8, 0, tzinfo=UTC)  # Beirut is UTC+2 in March
    assert raw.language_hint == source.language and raw.is_aggregator is True  # the page says so


def test_extraction_is_deterministic() -> None:
    page = GOLD["pages"][0]
    assert extract(page) == extract(page)
