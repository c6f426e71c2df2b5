"""The fetcher's HTTP boundary: polite, bounded, guarded GETs with httpx.

What a page request goes through, in order: SSRF guard on every hop (redirects
included), robots.txt (and its Crawl-delay), a per-host semaphore plus politeness
delay, a conditional GET (ETag / Last-Modified), a streamed body capped in size,
and retries with exponential backoff and jitter on 5xx / connection errors, with
``Retry-After`` honoured on 429/503. httpx errors are translated here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
import time
import urllib.robotparser
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
from prometheus_client import Counter

from akhbar.errors import PermanentError, TransientError
from fetcher.settings import FetcherSettings

log = logging.getLogger(__name__)

BYTES = Counter("akhbar_fetcher_bytes_total", "Response body bytes received")
REQUESTS = Counter("akhbar_fetcher_requests_total", "HTTP requests, by outcome", ["outcome"])


class FetchRefused(PermanentError):
    """We will not fetch this URL (SSRF guard, robots.txt, size cap, 4xx, redirect loop)."""

    def __init__(self, reason: str, *, url: str, kind: str) -> None:
        super().__init__(f"{reason} ({url})")
        self.reason, self.url, self.kind = reason, url, kind


class SourceUnavailable(TransientError):
    """The site failed after our retries (5xx, timeouts, connection errors)."""

    def __init__(self, reason: str, *, url: str, kind: str = "unavailable") -> None:
        super().__init__(f"{reason} ({url})")
        self.reason, self.url, self.kind = reason, url, kind


@dataclass(frozen=True)
class FetchResult:
    url: str
    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class RequestPolicy:
    """Per-request knobs taken from the source entry."""

    allow_private: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    min_interval_s: float = 0.0


_BLOCKED_NETS = [ipaddress.ip_network(n) for n in ("100.64.0.0/10", "169.254.0.0/16", "fd00:ec2::/32")]


def _is_private(addr: str) -> bool:
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or any(ip in net for net in _BLOCKED_NETS)
    )


async def assert_public(url: str, *, allow_private: bool) -> None:
    """Refuse URLs whose host resolves to loopback/private/link-local/metadata addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(f"scheme {parts.scheme!r} not allowed", url=url, kind="ssrf")
    if allow_private:
        return
    host = parts.hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise SourceUnavailable(f"cannot resolve {host}: {err}", url=url, kind="dns") from err
    bad = sorted({str(info[4][0]) for info in infos if _is_private(str(info[4][0]))})
    if bad:
        raise FetchRefused(
            f"host {host} resolves to non-public address {', '.join(bad)}", url=url, kind="ssrf"
        )


def _retry_after_s(value: str | None, cap_s: float) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(seconds, cap_s))


def _assert_public_peer(response: httpx.Response, *, url: str) -> None:
    """Check the address actually connected to, not only the one resolved before.

    Closes the DNS-rebinding window between :func:`assert_public`'s lookup and
    httpx's own: a host that answers public first and private second is refused
    before its response (redirect or body) is read. Transports that expose no
    socket (tests' MockTransport) are skipped.
    """
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if peer and _is_private(str(peer[0])):
        REQUESTS.labels("ssrf_refused").inc()
        raise FetchRefused(f"connected to non-public address {peer[0]}", url=url, kind="ssrf")


class HostGate:
    """At most N concurrent requests per host, and a minimum interval between two starts."""

    def __init__(self, concurrency: int, delay_s: float) -> None:
        self._concurrency, self._delay_s = concurrency, delay_s
        self._sems: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def acquire(self, host: str, min_interval_s: float = 0.0) -> asyncio.Semaphore:
        sem = self._sems.setdefault(host, asyncio.Semaphore(self._concurrency))
        await sem.acquire()
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start.get(host, now))
            self._next_start[host] = start + max(self._delay_s, min_interval_s)
        if start > now:
            await asyncio.sleep(start - now)
        return sem


class PoliteClient:
    """Wraps an injected ``httpx.AsyncClient`` (tests pass their own transport)."""

    def __init__(self, client: httpx.AsyncClient, settings: FetcherSettings) -> None:
        self._client = client
        self._settings = settings
        self._gate = HostGate(settings.per_host_concurrency, settings.politeness_delay_s)
        self._robots: dict[str, tuple[float, urllib.robotparser.RobotFileParser | None]] = {}

    @staticmethod
    def build_client(
        settings: FetcherSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            http2=True,
            follow_redirects=False,  # followed by hand: each hop passes the SSRF guard
            timeout=httpx.Timeout(settings.request_timeout_s, connect=settings.connect_timeout_s),
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
            headers={
                "User-Agent": settings.full_user_agent,
                "Accept-Language": "ar,en;q=0.5",
                "Accept-Encoding": "gzip, deflate, br",
            },
            transport=transport,
        )

    async def _robots_for(self, url: str, policy: RequestPolicy) -> urllib.robotparser.RobotFileParser | None:
        """The origin's robots.txt (cached for ``robots_ttl_s``); None means everything is allowed.

        As RFC 9309 says: a 4xx (or a robots.txt we refuse, e.g. too large) allows everything;
        a 5xx or an unreachable server disallows everything for now, so the page's fetch
        fails as transient and is tried again on the next poll (nothing is cached).
        """
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        cached = self._robots.get(origin)
        if cached is not None and time.monotonic() - cached[0] < self._settings.robots_ttl_s:
            return cached[1]
        parser: urllib.robotparser.RobotFileParser | None = None
        try:
            result = await self._get(f"{origin}/robots.txt", policy, conditional=None, check_robots=False)
            if result.status == 200:
                parser = urllib.robotparser.RobotFileParser()
                parser.parse(result.body.decode("utf-8", "replace").splitlines())
        except FetchRefused as err:
            log.info("no usable robots.txt; assuming allowed", extra={"origin": origin, "error": str(err)})
        except SourceUnavailable as err:
            raise SourceUnavailable(
                f"robots.txt unavailable ({err.reason}); not fetching until it answers",
                url=url,
                kind="robots",
            ) from err
        self._robots[origin] = (time.monotonic(), parser)
        return parser

    async def get(
        self,
        url: str,
        policy: RequestPolicy | None = None,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:
        policy = policy or RequestPolicy()
        return await self._get(url, policy, conditional=(etag, last_modified), check_robots=True)

    async def _get(
        self,
        url: str,
        policy: RequestPolicy,
        *,
        conditional: tuple[str | None, str | None] | None,
        check_robots: bool,
    ) -> FetchResult:
        await assert_public(url, allow_private=policy.allow_private)
        min_interval = policy.min_interval_s
        if check_robots:
            robots = await self._robots_for(url, policy)
            if robots is not None:
                if not robots.can_fetch(self._settings.user_agent.split("/")[0], url):
                    REQUESTS.labels("robots_disallowed").inc()
                    raise FetchRefused("disallowed by robots.txt", url=url, kind="robots")
                delay = robots.crawl_delay(self._settings.user_agent.split("/")[0])
                if delay:
                    min_interval = max(min_interval, float(delay))
        headers = dict(policy.headers)
        if conditional:
            if conditional[0]:
                headers["If-None-Match"] = conditional[0]
            if conditional[1]:
                headers["If-Modified-Since"] = conditional[1]
        host = urlsplit(url).hostname or ""
        attempt = 0
        while True:
            sem = await self._gate.acquire(host, min_interval)
            failure: SourceUnavailable | None = None
            try:
                async with asyncio.timeout(self._settings.total_timeout_s):
                    result, retry_after, status = await self._once(url, headers, policy)
            except TimeoutError as err:
                REQUESTS.labels("connection_error").inc()
                result, retry_after, status = None, None, None
                failure = SourceUnavailable(
                    f"no complete answer within {self._settings.total_timeout_s:g} s", url=url, kind="timeout"
                )
                failure.__cause__ = err
            except SourceUnavailable as err:
                result, retry_after, status, failure = None, None, None, err
            finally:
                sem.release()
            if result is not None:
                return result
            attempt += 1
            kind = "rate_limited" if status in (429, 503) else "http_5xx"
            if retry_after is not None and retry_after > self._settings.max_retry_after_s:
                REQUESTS.labels("gave_up").inc()
                raise SourceUnavailable(
                    f"HTTP {status} asks to retry after {retry_after:g} s; trying again next poll",
                    url=url,
                    kind=kind,
                )
            if attempt > self._settings.max_retries:
                REQUESTS.labels("gave_up").inc()
                if failure is not None:
                    raise failure
                raise SourceUnavailable(f"HTTP {status} after {attempt} attempts", url=url, kind=kind)
            backoff = min(60.0, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random())
            await asyncio.sleep(retry_after if retry_after is not None else backoff)

    async def _once(
        self, url: str, headers: dict[str, str], policy: RequestPolicy
    ) -> tuple[FetchResult | None, float | None, int]:
        """One logical GET; redirects are followed by hand so every hop passes the SSRF guard.

        Returns (result, Retry-After seconds, status); result is None for a retryable status.
        """
        current = url
        origin = urlsplit(url)[:2]
        visited: set[str] = set()
        for _ in range(self._settings.max_redirects + 1):
            if current in visited:
                REQUESTS.labels("redirect_loop").inc()
                raise FetchRefused("redirect loop", url=url, kind="redirects")
            visited.add(current)
            if current != url:
                await assert_public(current, allow_private=policy.allow_private)
                if urlsplit(current)[:2] != origin:
                    # The source's own headers (tokens, cookies) never travel to another origin.
                    headers = {k: v for k, v in headers.items() if k not in policy.headers}
            try:
                async with self._client.stream("GET", current, headers=headers) as response:
                    if not policy.allow_private:
                        _assert_public_peer(response, url=current)
                    if response.is_redirect and response.next_request is not None:
                        current = str(response.next_request.url)
                        continue
                    result, retry_after = await self._read(url, response)
                    return result, retry_after, response.status_code
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as err:
                REQUESTS.labels("connection_error").inc()
                raise SourceUnavailable(f"{type(err).__name__}: {err}", url=url, kind="connection") from err
        REQUESTS.labels("redirect_loop").inc()
        raise FetchRefused(f"more than {self._settings.max_redirects} redirects", url=url, kind="redirects")

    async def _read(self, url: str, response: httpx.Response) -> tuple[FetchResult | None, float | None]:
        if response.status_code in (429, 503) or response.status_code >= 500:
            REQUESTS.labels(f"http_{response.status_code}").inc()
            return None, _retry_after_s(response.headers.get("Retry-After"), cap_s=300.0)
        if response.status_code >= 400:
            REQUESTS.labels("http_4xx").inc()
            raise FetchRefused(f"HTTP {response.status_code}", url=url, kind="http_4xx")
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self._settings.max_body_bytes:
            REQUESTS.labels("too_large").inc()
            raise FetchRefused(
                f"body of {declared} bytes exceeds {self._settings.max_body_bytes}", url=url, kind="too_large"
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._settings.max_body_bytes:
                REQUESTS.labels("too_large").inc()
                raise FetchRefused(
                    f"body exceeds {self._settings.max_body_bytes} bytes", url=url, kind="too_large"
                )
            chunks.append(chunk)
        BYTES.inc(size)
        REQUESTS.labels("not_modified" if response.status_code == 304 else "ok").inc()
        return FetchResult(
            url=str(response.url),
            status=response.status_code,
            body=b"".join(chunks),
            content_type=response.headers.get("Content-Type"),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        ), None
