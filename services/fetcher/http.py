"""The fetcher's HTTP boundary: polite, bounded, guarded GETs with httpx.

What a page request goes through, in order: the SSRF guard (fetcher.guard) on every
hop (redirects included) and on the connected peer, robots.txt (and its Crawl-delay),
a per-host semaphore plus politeness delay, a conditional GET (ETag / Last-Modified),
a streamed body capped in size, and retries with exponential backoff and jitter on
5xx / connection errors, with ``Retry-After`` honoured on 429/503.

Time is bounded twice: each attempt by ``total_timeout_s``, and the whole page
(robots.txt, every attempt, retry waits and redirects) by ``page_budget_s``, so a
server dripping one byte per second holds a poll for at most the budget. Running out
of time is ``SourceUnavailable(kind="timeout")``, which the poller counts per URL and
per source. httpx errors are translated here.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import urllib.robotparser
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
from prometheus_client import Counter

from fetcher.errors import FetchRefused, SourceUnavailable
from fetcher.guard import Resolver, assert_public, assert_public_peer, system_resolver
from fetcher.settings import FetcherSettings

log = logging.getLogger(__name__)

BYTES = Counter("akhbar_fetcher_bytes_total", "Response body bytes received")
REQUESTS = Counter("akhbar_fetcher_requests_total", "HTTP requests, by outcome", ["outcome"])


@dataclass(frozen=True)
class FetchResult:
    url: str
    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    links: tuple[tuple[str, str], ...] = ()  # the HTTP Link header as (rel, url): WebSub's hub, self

    def link(self, rel: str) -> str | None:
        return next((url for r, url in self.links if r == rel), None)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class RequestPolicy:
    """Per-request knobs taken from the source entry.

    ``private_hosts``: hosts whose loopback/private addresses may be fetched (the hosts a source
    with ``allow_private_addresses`` names itself); link-local and metadata addresses never are.
    """

    private_hosts: frozenset[str] = frozenset()
    headers: dict[str, str] = field(default_factory=dict)
    min_interval_s: float = 0.0


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
            try:
                await asyncio.sleep(start - now)
            except BaseException:  # cancelled (page budget, shutdown): give the slot back
                sem.release()
                raise
        return sem


class PoliteClient:
    """Wraps an injected ``httpx.AsyncClient`` and resolver (tests pass a MockTransport and fake DNS)."""

    def __init__(
        self, client: httpx.AsyncClient, settings: FetcherSettings, *, resolver: Resolver | None = None
    ) -> None:
        self._client = client
        self._settings = settings
        self._resolve = resolver or system_resolver
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

    async def _robots_for(
        self, url: str, policy: RequestPolicy, deadline: float | None
    ) -> urllib.robotparser.RobotFileParser | None:
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
            result = await self._get(
                f"{origin}/robots.txt", policy, conditional=None, check_robots=False, deadline=deadline
            )
            if result.status == 200:
                parser = urllib.robotparser.RobotFileParser()
                parser.parse(result.body.decode("utf-8", "replace").splitlines())
        except FetchRefused as err:
            log.info("no usable robots.txt; assuming allowed", extra={"origin": origin, "error": str(err)})
        except SourceUnavailable as err:
            raise SourceUnavailable(
                f"robots.txt unavailable ({err.reason}); not fetching until it answers",
                url=url,
                kind="timeout" if err.timed_out else "robots",
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
        """One page, within ``page_budget_s`` all told (robots.txt, attempts, retry waits, redirects)."""
        policy = policy or RequestPolicy()
        budget = self._settings.page_budget_s
        try:
            async with asyncio.timeout(budget) as scope:
                return await self._get(
                    url,
                    policy,
                    conditional=(etag, last_modified),
                    check_robots=True,
                    deadline=scope.when(),
                )
        except TimeoutError as err:
            REQUESTS.labels("budget_spent").inc()
            raise SourceUnavailable(
                f"no complete answer within the page budget of {budget:g} s", url=url, kind="timeout"
            ) from err

    async def _get(
        self,
        url: str,
        policy: RequestPolicy,
        *,
        conditional: tuple[str | None, str | None] | None,
        check_robots: bool,
        deadline: float | None,
    ) -> FetchResult:
        await assert_public(url, private_hosts=policy.private_hosts, resolve=self._resolve)
        min_interval = policy.min_interval_s
        if check_robots:
            robots = await self._robots_for(url, policy, deadline)
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
            wait = retry_after if retry_after is not None else backoff
            if deadline is not None and asyncio.get_running_loop().time() + wait >= deadline:
                REQUESTS.labels("gave_up").inc()  # a retry would overrun the page budget
                if failure is not None:
                    raise failure
                raise SourceUnavailable(
                    f"HTTP {status}; a retry in {wait:g} s would overrun the page budget; "
                    "trying again next poll",
                    url=url,
                    kind=kind,
                )
            await asyncio.sleep(wait)

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
                await assert_public(current, private_hosts=policy.private_hosts, resolve=self._resolve)
                if urlsplit(current)[:2] != origin:
                    # The source's own headers (tokens, cookies) never travel to another origin.
                    headers = {k: v for k, v in headers.items() if k not in policy.headers}
            try:
                async with self._client.stream("GET", current, headers=headers) as response:
                    try:
                        assert_public_peer(response, url=current, private_hosts=policy.private_hosts)
                    except FetchRefused:
                        REQUESTS.labels("ssrf_refused").inc()
                        raise
                    if response.is_redirect and response.next_request is not None:
                        current = str(response.next_request.url)
                        continue
                    result, retry_after = await self._read(url, response)
                    return result, retry_after, response.status_code
            except httpx.TimeoutException as err:
                REQUESTS.labels("connection_error").inc()
                raise SourceUnavailable(f"{type(err).__name__}: {err}", url=url, kind="timeout") from err
            except (httpx.NetworkError, httpx.RemoteProtocolError) as err:
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
            links=_links(response),
        ), None

    async def post_form(
        self, url: str, data: dict[str, str], policy: RequestPolicy | None = None
    ) -> tuple[int, str]:
        """One form POST to an API endpoint (a WebSub hub): guarded like a GET, no robots, no retry.

        Returns (status, the first 1,000 characters of the answer); redirects are not followed (a
        hub that redirects a subscription is misconfigured). Network trouble is ``SourceUnavailable``.
        """
        policy = policy or RequestPolicy()
        await assert_public(url, private_hosts=policy.private_hosts, resolve=self._resolve)
        try:
            async with asyncio.timeout(self._settings.total_timeout_s):
                async with self._client.stream(
                    "POST", url, data=data, headers=dict(policy.headers)
                ) as response:
                    assert_public_peer(response, url=url, private_hosts=policy.private_hosts)
                    answer = b""
                    async for chunk in response.aiter_bytes():
                        answer += chunk
                        if len(answer) >= 4000:
                            break
                    return response.status_code, answer.decode("utf-8", "replace")[:1000]
        except (TimeoutError, httpx.TimeoutException) as err:
            raise SourceUnavailable(f"no answer from {url}", url=url, kind="timeout") from err
        except (httpx.NetworkError, httpx.RemoteProtocolError) as err:
            raise SourceUnavailable(f"{type(err).__name__}: {err}", url=url, kind="connection") from err


def _links(response: httpx.Response) -> tuple[tuple[str, str], ...]:
    """Every (rel, url) of the Link headers; httpx's ``response.links`` keeps one url per rel."""
    found: list[tuple[str, str]] = []
    for value in response.headers.get_list("Link"):
        for part in value.split(","):
            url, _, params = part.strip().partition(";")
            url = url.strip().strip("<>").strip()
            for param in params.split(";"):
                key, _, rel = param.strip().partition("=")
                if key.strip().lower() == "rel" and url:
                    found.extend((r, url) for r in rel.strip().strip('"').split())
    return tuple(found)
