"""PoliteClient behaviours added with the fetcher issue (MockTransport, no network)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from fetcher.http import FetchRefused, PoliteClient, RequestPolicy, SourceUnavailable
from fetcher.settings import FetcherSettings

PUBLIC = RequestPolicy()


async def _says_public(host: str, port: int) -> list[str]:
    """MockTransport hosts do not resolve: every name is a public address."""
    return ["93.184.215.14"]


def _client(handler: Any, **overrides: Any) -> PoliteClient:
    settings = FetcherSettings(**{"politeness_delay_s": 0, "max_retries": 1, **overrides})
    return PoliteClient(
        PoliteClient.build_client(settings, transport=httpx.MockTransport(handler)),
        settings,
        resolver=_says_public,
    )


def test_robots_5xx_is_transient_and_not_cached() -> None:
    calls = {"robots": 0, "page": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            calls["robots"] += 1
            return httpx.Response(503 if calls["robots"] <= 2 else 404)
        calls["page"] += 1
        return httpx.Response(200, text="ok")

    client = _client(handler, max_retries=1)
    with pytest.raises(SourceUnavailable) as info:
        asyncio.run(client.get("https://n.example.org/a", PUBLIC))
    assert info.value.kind == "robots" and calls["page"] == 0
    assert asyncio.run(client.get("https://n.example.org/a", PUBLIC)).status == 200  # asked again, now 404
    assert calls == {"robots": 3, "page": 1}


def test_long_retry_after_gives_up_at_once_as_rate_limited() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        calls["n"] += 1
        return httpx.Response(429, headers={"Retry-After": "3600"})

    start = time.monotonic()
    with pytest.raises(SourceUnavailable) as info:
        asyncio.run(_client(handler, max_retries=3).get("https://n.example.org/a", PUBLIC))
    assert info.value.kind == "rate_limited" and calls["n"] == 1
    assert time.monotonic() - start < 2


class _Drip(httpx.AsyncByteStream):
    """One byte every 50 ms for 5 s: each read is fast, the whole body is not."""

    async def __aiter__(self) -> Any:
        for _ in range(100):
            await asyncio.sleep(0.05)
            yield b"x"


def test_total_timeout_covers_a_dripping_body() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(200, stream=_Drip())

    client = _client(handler, total_timeout_s=0.5, max_retries=0)
    with pytest.raises(SourceUnavailable) as info:
        asyncio.run(client.get("https://n.example.org/a", PUBLIC))
    assert info.value.kind == "timeout"


def test_source_headers_do_not_follow_a_cross_origin_redirect() -> None:
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        seen[request.url.host] = request.headers.get("x-token")
        if request.url.host == "n.example.org":
            return httpx.Response(302, headers={"Location": "https://cdn.example.net/a"})
        return httpx.Response(200, text="ok")

    policy = RequestPolicy(headers={"X-Token": "secret"})
    assert asyncio.run(_client(handler).get("https://n.example.org/a", policy)).status == 200
    assert seen == {"n.example.org": "secret", "cdn.example.net": None}


def test_4xx_is_refused_not_retried() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        calls["n"] += 1
        return httpx.Response(410)

    with pytest.raises(FetchRefused) as info:
        asyncio.run(_client(handler, max_retries=3).get("https://n.example.org/gone", PUBLIC))
    assert (info.value.kind, info.value.reason, calls["n"]) == ("http_4xx", "HTTP 410", 1)


def test_brotli_and_gzip_bodies_are_decoded() -> None:
    import gzip

    import brotli

    text = "خبر عاجل".encode()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        assert "br" in request.headers["accept-encoding"] and "gzip" in request.headers["accept-encoding"]
        if request.url.path == "/br":
            return httpx.Response(200, content=brotli.compress(text), headers={"Content-Encoding": "br"})
        return httpx.Response(200, content=gzip.compress(text), headers={"Content-Encoding": "gzip"})

    client = _client(handler)
    assert asyncio.run(client.get("https://n.example.org/br", PUBLIC)).body == text
    assert asyncio.run(client.get("https://n.example.org/gz", PUBLIC)).body == text


def test_client_speaks_http2_and_http1_and_names_a_contact() -> None:
    settings = FetcherSettings(contact="ops@akhbar.invalid")
    client = PoliteClient.build_client(settings)
    try:
        pool = client._transport._pool  # type: ignore[attr-defined]
        assert pool._http2 is True and pool._http1 is True  # ALPN picks h2 on TLS, else HTTP/1.1
        assert client.headers["user-agent"] == f"{settings.user_agent} contact:ops@akhbar.invalid"
        assert client.follow_redirects is False  # every hop goes through the SSRF guard by hand
    finally:
        asyncio.run(client.aclose())
