"""The SSRF guard: which addresses a fetch may reach, checked on every hop and on the connected peer.

Two rules:

- link-local and cloud metadata addresses (169.254.0.0/16 with 169.254.169.254, fe80::/10,
  fd00:ec2::/32 with fd00:ec2::254, 100.100.100.200; also as IPv4-mapped or NAT64 IPv6) are
  never fetched, whoever asks: what they answer is credentials, not news;
- other non-public addresses (loopback, private, CGNAT, multicast, reserved) are refused unless
  the URL's host is in ``private_hosts``: the hosts a source with ``allow_private_addresses: true``
  names itself. A link its feed lists to another host gets the normal guard, so a feed cannot
  point the fetcher at another intranet host.

The lookup before connecting is repeated against the address actually connected to
(:func:`assert_public_peer`), which closes the DNS-rebinding window between our lookup and httpx's.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Collection
from urllib.parse import urlsplit

import httpx

from fetcher.errors import FetchRefused, SourceUnavailable

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``(host, port) -> addresses``; injected in tests, the system resolver otherwise."""

_NEVER = [
    ipaddress.ip_network(n)
    for n in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::/32", "100.100.100.200/32", "fd20:ce::254/128")
]
_NON_PUBLIC_EXTRA = [ipaddress.ip_network("100.64.0.0/10")]  # CGNAT: not is_private, not public either
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse(addr: str) -> Address:
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def never_fetched(addr: str) -> bool:
    """Link-local or cloud metadata: refused even for a source's own hosts."""
    ip = _parse(addr)
    return ip.is_link_local or any(ip in net for net in _NEVER)


def is_non_public(addr: str) -> bool:
    ip = _parse(addr)
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or any(ip in net for net in (*_NEVER, *_NON_PUBLIC_EXTRA))
    )


async def system_resolver(host: str, port: int) -> list[str]:
    """getaddrinfo on the loop's executor (an IP literal is answered without the network)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


async def assert_public(
    url: str, *, private_hosts: Collection[str] = frozenset(), resolve: Resolver = system_resolver
) -> None:
    """Refuse a URL whose host resolves to an address this fetch may not reach (see the module doc)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(f"scheme {parts.scheme!r} not allowed", url=url, kind="ssrf")
    host = _host(url)
    if not host:
        raise FetchRefused("URL names no host", url=url, kind="ssrf")
    try:
        addresses = await resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError) as err:
        raise SourceUnavailable(f"cannot resolve {host}: {err}", url=url, kind="dns") from err
    never = sorted({a for a in addresses if never_fetched(a)})
    if never:
        raise FetchRefused(
            f"host {host} resolves to link-local/metadata address {', '.join(never)} (never fetched)",
            url=url,
            kind="ssrf",
        )
    if host in private_hosts:
        return
    bad = sorted({a for a in addresses if is_non_public(a)})
    if bad:
        raise FetchRefused(
            f"host {host} resolves to non-public address {', '.join(bad)}", url=url, kind="ssrf"
        )


def assert_public_peer(response: httpx.Response, *, url: str, private_hosts: Collection[str]) -> None:
    """Check the address actually connected to, before the response (redirect or body) is read.

    Transports that expose no socket (tests' MockTransport) are skipped.
    """
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if not peer:
        return
    addr = str(peer[0])
    if never_fetched(addr):
        raise FetchRefused(
            f"connected to link-local/metadata address {addr} (never fetched)", url=url, kind="ssrf"
        )
    if _host(url) not in private_hosts and is_non_public(addr):
        raise FetchRefused(f"connected to non-public address {addr}", url=url, kind="ssrf")
