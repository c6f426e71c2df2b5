"""SSRF scope (issue 12, item 8), without network: IP-literal hosts and httpx.MockTransport.

``allow_private_addresses`` covers only the hosts a source names itself; link-local and cloud
metadata addresses are never fetched, on the first hop, on redirects and on the connected peer.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from akhbar.messages import DeadLetter, RawArticle
from fetcher.guard import assert_public, assert_public_peer, is_non_public, never_fetched
from fetcher.http import FetchRefused, PoliteClient, RequestPolicy
from fetcher.poller import SourcePoller
from fetcher.settings import FetcherSettings
from fetcher.sources import Source
from fetcher.state import FetcherState

METADATA = [
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack
    "169.254.1.1",  # any link-local IPv4
    "fd00:ec2::254",  # AWS over IPv6
    "fe80::1",  # link-local IPv6
    "100.100.100.200",  # Alibaba Cloud
    "::ffff:169.254.169.254",  # IPv4-mapped
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
]


class _Sink:
    def __init__(self) -> None:
        self.articles: list[RawArticle] = []
        self.letters: list[DeadLetter] = []

    async def publish(self, article: RawArticle, *, timeout_s: float | None = None) -> None:
        self.articles.append(article)

    async def apublish(self, letter: DeadLetter) -> None:
        self.letters.append(letter)


def _literal(addr: str) -> str:
    return f"[{addr}]" if ":" in addr else addr


@pytest.mark.parametrize("addr", METADATA)
def test_metadata_and_link_local_are_refused_even_for_a_host_the_source_names(addr: str) -> None:
    url = f"http://{_literal(addr)}/latest/meta-data/"
    assert never_fetched(addr) and is_non_public(addr)
    with pytest.raises(FetchRefused) as info:
        asyncio.run(assert_public(url, private_hosts={addr}))
    assert info.value.kind == "ssrf"
    assert info.value.reason.endswith("(never fetched)")


def test_a_name_that_resolves_to_metadata_is_refused_for_an_allowed_host() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["10.0.0.5", "169.254.169.254"] if host == "metadata.internal" else []

    with pytest.raises(FetchRefused) as info:
        asyncio.run(
            assert_public("http://metadata.internal/x", private_hosts={"metadata.internal"}, resolve=resolver)
        )
    assert info.value.reason == (
        "host metadata.internal resolves to link-local/metadata address 169.254.169.254 (never fetched)"
    )
    # Private is fine for a named host; the same name is refused when the source does not name it.
    asyncio.run(assert_public("http://10.0.0.5/x", private_hosts={"10.0.0.5"}))
    with pytest.raises(FetchRefused, match=r"non-public address 10\.0\.0\.5"):
        asyncio.run(assert_public("http://10.0.0.5/x", private_hosts={"10.0.0.6"}))


class _Stream:
    def __init__(self, addr: str) -> None:
        self.addr = addr

    def get_extra_info(self, name: str) -> Any:
        return (self.addr, 80) if name == "server_addr" else None


def _response_from(addr: str) -> httpx.Response:
    return httpx.Response(200, extensions={"network_stream": _Stream(addr)})


def test_the_connected_peer_is_checked_for_metadata_even_for_an_allowed_host() -> None:
    # A named intranet host whose connection lands on the metadata address (DNS rebinding).
    with pytest.raises(FetchRefused) as info:
        assert_public_peer(
            _response_from("169.254.169.254"),
            url="http://intranet.example/x",
            private_hosts={"intranet.example"},
        )
    assert info.value.reason == "connected to link-local/metadata address 169.254.169.254 (never fetched)"
    assert_public_peer(
        _response_from("10.1.2.3"), url="http://intranet.example/x", private_hosts={"intranet.example"}
    )
    with pytest.raises(FetchRefused, match=r"connected to non-public address 10\.1\.2\.3"):
        assert_public_peer(
            _response_from("10.1.2.3"), url="http://other.example/x", private_hosts={"intranet.example"}
        )


def test_source_private_hosts_are_its_own_hosts_only_when_allowed() -> None:
    src = Source.model_validate(
        {
            "name": "intranet",
            "kind": "feed",
            "urls": ["http://127.0.0.1:8080/feed.rss", "http://[::1]:8080/b.rss", "http://Feeds.Example/c"],
            "allow_private_addresses": True,
        }
    )
    assert src.private_hosts == frozenset({"127.0.0.1", "::1", "feeds.example"})
    assert src.model_copy(update={"allow_private_addresses": False}).private_hosts == frozenset()


FEED = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
    "<item><title>a</title><link>http://127.0.0.2/x</link></item>"
    "<item><title>b</title><link>http://169.254.169.254/latest/meta-data</link></item>"
    "</channel></rss>"
)


def test_allow_private_does_not_extend_to_the_hosts_a_feed_links_to() -> None:
    """A feed on 127.0.0.1 (allowed) lists 127.0.0.2 and the metadata address: both refused as ssrf."""
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        if str(request.url) == "http://127.0.0.1/feed.rss":
            return httpx.Response(200, text=FEED, headers={"Content-Type": "application/rss+xml"})
        return httpx.Response(200, text="<p>secret</p>")

    settings = FetcherSettings(politeness_delay_s=0, max_retries=0)
    client = PoliteClient(
        PoliteClient.build_client(settings, transport=httpx.MockTransport(handler)), settings
    )
    sink, state = _Sink(), FetcherState(":memory:")
    poller = SourcePoller(client, sink, sink, state, clock=lambda: datetime(2026, 2, 4, tzinfo=UTC))
    src = Source.model_validate(
        {
            "name": "lan",
            "kind": "feed",
            "urls": ["http://127.0.0.1/feed.rss"],
            "allow_private_addresses": True,
            "rate_limit_per_s": 100,
        }
    )
    summary = asyncio.run(poller.poll(src))

    assert (summary.discovered, summary.published, summary.dead_lettered) == (2, 0, 2)
    assert requests == ["http://127.0.0.1/robots.txt", "http://127.0.0.1/feed.rss"]  # neither link fetched
    # Pages are fetched ahead concurrently (D7), so the two refusals may be letters in either order.
    assert sorted((d.url, d.error_class, d.reason) for d in sink.letters) == [
        (
            "http://127.0.0.2/x",
            "FetchRefused",
            "lan: host 127.0.0.2 resolves to non-public address 127.0.0.2",
        ),
        (
            "http://169.254.169.254/latest/meta-data",
            "FetchRefused",
            "lan: host 169.254.169.254 resolves to link-local/metadata address 169.254.169.254 (never fetched)",
        ),
    ]
    assert state.rejection("http://127.0.0.2/x") == (
        "ssrf",
        "host 127.0.0.2 resolves to non-public address 127.0.0.2",
    )
    assert state.rejection("http://169.254.169.254/latest/meta-data") is not None
    assert state.rejection("http://169.254.169.254/latest/meta-data")[0] == "ssrf"  # type: ignore[index]


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data", "link-local/metadata address 169.254.169.254"),
        ("http://127.0.0.2/x", "non-public address 127.0.0.2"),
    ],
)
def test_a_redirect_from_an_allowed_host_gets_the_guard_on_its_hop(location: str, reason: str) -> None:
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(302, headers={"Location": location})

    settings = FetcherSettings(politeness_delay_s=0, max_retries=0)
    client = PoliteClient(
        PoliteClient.build_client(settings, transport=httpx.MockTransport(handler)), settings
    )
    policy = RequestPolicy(private_hosts=frozenset({"127.0.0.1"}))
    with pytest.raises(FetchRefused) as info:
        asyncio.run(client.get("http://127.0.0.1/a", policy))
    assert info.value.kind == "ssrf" and reason in info.value.reason
    assert requests == ["http://127.0.0.1/robots.txt", "http://127.0.0.1/a"]
