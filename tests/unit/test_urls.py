"""fetcher.urls: one canonical spelling per article."""

from __future__ import annotations

import pytest

from fetcher.urls import canonicalize_url, is_same_article_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://WWW.Example.COM:443/news/123/?utm_source=x&b=2&a=1#top",
            "https://example.com/news/123?a=1&b=2",
        ),
        ("http://example.com:80/a/./b/../c//d/", "http://example.com/a/c/d"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        (
            "https://example.com/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&utm_medium=5&id=7",
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?z=1&a=2&a=1&empty=", "https://example.com/a?a=1&a=2&empty=&z=1"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/?", "https://example.com/"),
        # AMP and mobile variants
        ("https://m.example.com/news/123/amp", "https://example.com/news/123"),
        ("https://amp.example.com/amp/news/123", "https://example.com/news/123"),
        ("https://mobile.example.com/news/123/amp/", "https://example.com/news/123"),
        ("https://example.com/news/123?amp=1", "https://example.com/news/123"),
        ("https://example.com/news/123?outputType=amp", "https://example.com/news/123"),
        ("https://example.com/story.amp.html", "https://example.com/story.html"),
        ("https://amp.dev/x", "https://amp.dev/x"),
        ("https://m.co/x", "https://m.co/x"),
        # Arabic slugs: raw and percent-encoded (any case) are the same URL
        (
            "https://example.com/أخبار/سياسة?q=مصر",
            "https://example.com/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/"
            "%D8%B3%D9%8A%D8%A7%D8%B3%D8%A9?q=%D9%85%D8%B5%D8%B1",
        ),
        (
            "https://example.com/%d8%a3%d8%ae%d8%a8%d8%a7%d8%b1/%D8%B3%D9%8A%D8%A7%D8%B3%D8%A9?q=%D9%85%D8%B5%D8%B1",
            "https://example.com/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/%D8%B3%D9%8A%D8%A7%D8%B3%D8%A9?q=%D9%85%D8%B5%D8%B1",
        ),
        ("http://127.0.0.1:8000/news/a.html?utm_source=rss", "http://127.0.0.1:8000/news/a.html"),
    ],
)
def test_canonicalize(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


def test_relative_against_base() -> None:
    assert (
        canonicalize_url("/news/x.html", base="http://127.0.0.1:9/agg/y.html")
        == "http://127.0.0.1:9/news/x.html"
    )
    assert (
        canonicalize_url("x.html", base="https://www.example.com/a/b.html") == "https://example.com/a/x.html"
    )


def test_idempotent() -> None:
    for url in ("https://m.example.com/أ/b/?utm_source=1&b=2#f", "http://example.com:80/a/amp"):
        once = canonicalize_url(url)
        assert canonicalize_url(once) == once


@pytest.mark.parametrize(
    "url", ["mailto:a@b.c", "/relative/only", "ftp://example.com/x", "javascript:void(0)"]
)
def test_rejects_non_http(url: str) -> None:
    with pytest.raises(ValueError):
        canonicalize_url(url)


def test_same_article() -> None:
    assert is_same_article_url("https://www.example.com/a/", "https://m.example.com/a/amp?utm_source=tw")
    assert not is_same_article_url("https://example.com/a", "https://example.com/b")
    assert not is_same_article_url("not a url", "https://example.com/b")
