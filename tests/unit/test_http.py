"""PoliteClient against httpx.MockTransport (no network; the transport is injected)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from fetcher.guard import assert_public
from fetcher.http import FetchRefused, PoliteClient, RequestPolicy, SourceUnavailable
from fetcher.settings import FetcherSettings

PUBLIC = RequestPolicy()


async def _says_public(host: str, port: int) -> list[str]:
    """MockTransport hosts do not resolve: every name is a public address (the guard is tested apart)."""
    return ["93.184.215.14"]


def _client(handler, **overrides) -> PoliteClient:  # type: ignore[no-untyped-def]
    settings = FetcherSettings(**{"politeness_delay_s": 0, "max_retries": 3, **overrides})
    return PoliteClient(
        PoliteClient.build_client(settings, transport=httpx.MockTransport(handler)),
        settings,
        resolver=_says_public,
    )


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_conditional_get_sends_validators_and_reports_304() -> None:
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        seen.append(dict(request.headers))
        return httpx.Response(304)

    result = _run(
        _client(handler).get(
            "https://news.example.org/feed",
            PUBLIC,
            etag='"v1"',
            last_modified="Wed, 04 Feb 2026 09:00:00 GMT",
        )
    )
    assert result.not_modified
    assert seen[0]["if-none-match"] == '"v1"'
    assert seen[0]["if-modified-since"] == "Wed, 04 Feb 2026 09:00:00 GMT"
    assert seen[0]["user-agent"].startswith("AkhbarBot/")
    assert "contact:" in seen[0]["user-agent"]


def test_retry_after_on_429_is_respected_then_succeeds() -> None:
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        calls.append(time.monotonic())
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "1"})
        return httpx.Response(200, content="نص".encode(), headers={"ETag": '"e2"'})

    result = _run(_client(handler).get("https://news.example.org/a", PUBLIC))
    assert result.status == 200 and result.body == "نص".encode() and result.etag == '"e2"'
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 0.95


def test_5xx_is_retried_then_gives_up_as_transient() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        calls["n"] += 1
        return httpx.Response(502)

    with pytest.raises(SourceUnavailable, match="HTTP"):
        _run(_client(handler, max_retries=2).get("https://news.example.org/a", PUBLIC))
    assert calls["n"] == 3


def test_redirect_loop_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        target = "/b" if request.url.path == "/a" else "/a"
        return httpx.Response(302, headers={"Location": target})

    with pytest.raises(FetchRefused) as info:
        _run(_client(handler).get("https://news.example.org/a", PUBLIC))
    assert info.value.kind == "redirects"


def test_body_over_the_cap_is_refused_while_streaming() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(200, stream=httpx.ByteStream(b"x" * 5000))  # no Content-Length

    with pytest.raises(FetchRefused) as info:
        _run(_client(handler, max_body_bytes=4096).get("https://news.example.org/big", PUBLIC))
    assert info.value.kind == "too_large"


def test_robots_disallow_is_honoured() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nDisallow: /private/\n")
        return httpx.Response(200, text="ok")

    client = _client(handler)
    assert _run(client.get("https://news.example.org/public/a", PUBLIC)).status == 200
    with pytest.raises(FetchRefused) as info:
        _run(client.get("https://news.example.org/private/a", PUBLIC))
    assert info.value.kind == "robots"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
        "http://localhost/x",
        "file:///etc/passwd",
    ],
)
def test_ssrf_guard_refuses_non_public_targets(url: str) -> None:
    with pytest.raises(FetchRefused):
        _run(assert_public(url))


def test_ssrf_guard_allows_loopback_for_a_host_the_source_names() -> None:
    _run(assert_public("http://127.0.0.1:8080/x", private_hosts={"127.0.0.1"}))


def test_rebinding_to_a_private_address_is_refused_at_connect_time() -> None:
    """The lookup said public, the connection went to 127.0.0.1: the peer check refuses it."""
    from pathlib import Path

    from akhbar.devsite import DevSite

    settings = FetcherSettings(politeness_delay_s=0, max_retries=0)
    site_root = Path(__file__).resolve().parents[1] / "fixtures" / "e2e"
    with DevSite(site_root) as site:
        # The lookup says public; httpx's own connection goes to 127.0.0.1.
        client = PoliteClient(PoliteClient.build_client(settings), settings, resolver=_says_public)
        with pytest.raises(FetchRefused) as info:
            _run(client.get(f"{site.base}/news/2026/water-talks.html", RequestPolicy()))
        assert info.value.kind == "ssrf"
        assert "connected to non-public address 127.0.0.1" in str(info.value)
        allowed = _run(
            client.get(
                f"{site.base}/news/2026/water-talks.html",
                RequestPolicy(private_hosts=frozenset({"127.0.0.1"})),
            )
        )
        assert allowed.status == 200
