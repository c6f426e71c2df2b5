"""The fetcher's limits (issue 12, items 1, 2, 4, 7) with in-memory sinks and httpx.MockTransport.

Size policy at the source, what a refused or failed send leaves behind (nothing marked seen),
timeouts counted per page and per source, the page budget, and health fed by send outcomes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from akhbar.errors import BrokerUnavailable
from akhbar.kafka import MessageTooLarge
from akhbar.limits import raw_article_budget
from akhbar.messages import DeadLetter, RawArticle, encode
from akhbar.observability import ServiceHealth, serve_observability, server_url
from fetcher.backoff import SourceBackoff
from fetcher.dedup import content_hash
from fetcher.extract import extract_article
from fetcher.http import HostGate, PoliteClient, RequestPolicy, SourceUnavailable
from fetcher.poller import PollSummary, SourcePoller
from fetcher.settings import FetcherSettings
from fetcher.sources import Source
from fetcher.state import FetcherState

from ..drip_site import DripSite

NOW = datetime(2026, 2, 4, 12, 0, tzinfo=UTC)
BASE = "http://127.0.0.1"
LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
STORY = (
    "أقر البرلمان مساء الثلاثاء قانون الانتخابات الجديد بأغلبية ثمانية وسبعين صوتاً، بعد جلسة مطولة "
    "استمرت أكثر من عشر ساعات. وينص القانون على اعتماد النظام النسبي في خمس عشرة دائرة انتخابية، "
    "وعلى خفض سن الاقتراع إلى ثمانية عشر عاماً، إضافة إلى تخصيص مقاعد للنساء في كل دائرة."
)


def _page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>".encode()


def _long_page(chars: int, seed: int = 7) -> bytes:
    """Random Arabic words (not repetitive: near-duplicate and compression play no part)."""
    rnd = random.Random(seed)
    paragraphs: list[str] = []
    total = 0
    while total < chars:
        words = ["".join(rnd.choice(LETTERS) for _ in range(rnd.randint(2, 8))) for _ in range(60)]
        paragraphs.append(" ".join(words) + ".")
        total += len(paragraphs[-1])
    return _page("خبر طويل جدا", paragraphs)


def _feed(*paths: str) -> str:
    items = "".join(f"<item><title>i</title><link>{BASE}{p}</link></item>" for p in paths)
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


class Sink:
    """In-memory broker for both topics; ``fail`` decides per article what the broker says."""

    def __init__(self) -> None:
        self.articles: list[RawArticle] = []
        self.letters: list[DeadLetter] = []
        self.fail: Callable[[RawArticle], Exception | None] = lambda article: None
        self.timeouts: list[float | None] = []  # per send: None = the publisher's own timeout

    async def publish(self, article: RawArticle, *, timeout_s: float | None = None) -> None:
        self.timeouts.append(timeout_s)
        error = self.fail(article)
        if error is not None:
            raise error
        self.articles.append(article)

    async def apublish(self, letter: DeadLetter) -> None:
        self.letters.append(letter)


Handler = Callable[[httpx.Request], httpx.Response]


class Site:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {"/robots.txt": lambda r: httpx.Response(404)}
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        route = self.routes.get(request.url.path)
        return route(request) if route else httpx.Response(404)

    def html(self, path: str, data: bytes) -> None:
        self.routes[path] = lambda r: httpx.Response(200, content=data, headers={"Content-Type": "text/html"})

    def rss(self, path: str, *links: str) -> None:
        text = _feed(*links)
        self.routes[path] = lambda r: httpx.Response(
            200, text=text, headers={"Content-Type": "application/rss+xml"}
        )


def _poller(site: Site, sink: Sink, state: FetcherState, **kwargs: Any) -> SourcePoller:
    settings = FetcherSettings(politeness_delay_s=0, max_retries=0)
    client = PoliteClient(PoliteClient.build_client(settings, transport=httpx.MockTransport(site)), settings)
    return SourcePoller(client, sink, sink, state, clock=lambda: NOW, **kwargs)


def _source(name: str, *paths: str) -> Source:
    return Source.model_validate(
        {
            "name": name,
            "kind": "feed",
            "urls": [f"{BASE}{p}" for p in paths],
            "allow_private_addresses": True,
            "rate_limit_per_s": 100,
        }
    )


def _poll(poller: SourcePoller, source: Source) -> PollSummary:
    return asyncio.run(poller.poll(source))


# --------------------------------------------------------------------------- 1. size policy


@pytest.mark.parametrize("chars", [400_000, 1_500_000])
def test_a_long_legal_page_is_published_truncated_and_flagged_never_refused(chars: int) -> None:
    data = _long_page(chars)
    full = extract_article(data, url=f"{BASE}/long.html", content_type="text/html", now=NOW)
    assert len(full.text) >= chars
    site, sink, state = Site(), Sink(), FetcherState(":memory:")
    site.html("/long.html", data)
    site.rss("/feed.rss", "/long.html")
    summary = _poll(_poller(site, sink, state), _source("long", "/feed.rss"))

    assert (summary.published, summary.truncated, summary.dead_lettered) == (1, 1, 0)
    [article] = sink.articles
    budget = raw_article_budget(FetcherSettings().max_message_bytes)
    assert article.truncated is True and article.original_body_chars == len(full.text)
    assert budget - 4096 < len(encode(article)) <= budget  # cut to the budget, not far below it
    assert full.text.startswith(article.body) and len(article.body) < len(full.text)
    assert list(article.paragraphs) == list(full.paragraphs[: len(article.paragraphs)])
    # Change detection still sees the whole page.
    assert article.content_hash == content_hash(f"{full.title}\n{full.text}")
    assert state.seen_hash(f"{BASE}/long.html") == article.content_hash


def test_a_short_page_is_not_flagged() -> None:
    site, sink, state = Site(), Sink(), FetcherState(":memory:")
    site.html("/a.html", _page("البرلمان يقر القانون", [STORY]))
    site.rss("/feed.rss", "/a.html")
    assert _poll(_poller(site, sink, state), _source("s", "/feed.rss")).truncated == 0
    [article] = sink.articles
    assert article.truncated is None and article.original_body_chars is None
    assert b"truncated" not in encode(article)


def test_a_large_rejected_body_is_dead_lettered_as_prefix_size_and_hash() -> None:
    """No ad-hoc cut: the letter names the whole body's size and SHA-256 and carries a prefix."""
    data = b"<html><body><script>" + b"x" * 1_200_000 + b"</script><p>short</p></body></html>"
    site, sink, state = Site(), Sink(), FetcherState(":memory:")
    site.html("/listing.html", data)
    site.rss("/feed.rss", "/listing.html")
    assert _poll(_poller(site, sink, state), _source("s", "/feed.rss")).dead_lettered == 1
    [letter] = sink.letters
    assert letter.error_class == "ExtractionError"
    assert (letter.original_size, letter.original_sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert letter.original_truncated is True and data.startswith(letter.original())
    assert len(encode(letter)) < FetcherSettings().max_message_bytes


# --------------------------------------------------------------------------- 2. what a failed send leaves


def test_an_article_the_broker_refuses_for_size_is_dead_lettered_and_others_flow() -> None:
    site, sink, state = Site(), Sink(), FetcherState(":memory:")
    big, small = _page("خبر أول", [STORY]), _page("خبر ثان", [STORY.replace("البرلمان", "المجلس")])
    site.html("/big.html", big)
    site.html("/small.html", small)
    site.html("/other.html", _page("خبر ثالث", [STORY.replace("الثلاثاء", "الأربعاء")]))
    site.rss("/a.rss", "/big.html", "/small.html")
    site.rss("/b.rss", "/other.html")
    refusal = MessageTooLarge("raw refused the message for its size: [Error 10] MessageSizeTooLargeError")
    sink.fail = lambda article: refusal if article.fetched_url.endswith("/big.html") else None
    poller = _poller(site, sink, state)

    a, b = _poll(poller, _source("a", "/a.rss")), _poll(poller, _source("b", "/b.rss"))

    assert [(s.published, s.dead_lettered) for s in (a, b)] == [(1, 1), (1, 0)]
    assert [x.fetched_url for x in sink.articles] == [f"{BASE}/small.html", f"{BASE}/other.html"]
    assert [(d.url, d.error_class, d.reason) for d in sink.letters] == [
        (f"{BASE}/big.html", "MessageTooLarge", f"a: {refusal}")
    ]
    assert sink.letters[0].original() == big
    assert state.seen_hash(f"{BASE}/big.html") is None  # refused: never marked seen
    assert state.rejection(f"{BASE}/big.html") == ("too_large", str(refusal))
    again = _poll(poller, _source("a", "/a.rss"))
    assert (again.skipped_rejected, again.unchanged, again.published) == (1, 1, 0)


def test_broker_unavailable_without_outbox_marks_nothing_and_readyz_tells_until_the_next_ack() -> None:
    site, sink, state = Site(), Sink(), FetcherState(":memory:")
    site.html("/a.html", _page("البرلمان يقر القانون", [STORY]))
    site.rss("/feed.rss", "/a.html")
    health = ServiceHealth("fetcher", consumer=False)
    health.set_connected(True)
    # no outbox: the poll stops and marks nothing (with one, see the outbox tests below)
    poller = _poller(site, sink, state, broker_status=health.set_connected, outbox_max_articles=0)
    server = serve_observability("127.0.0.1", 0, health)
    try:
        sink.fail = lambda article: BrokerUnavailable("send to raw not acknowledged within 30 s")
        with pytest.raises(BrokerUnavailable):
            _poll(poller, _source("s", "/feed.rss"))
        assert state.seen_count() == 0 and state.rejected_since(f"{BASE}/a.html") is None
        health.beat()
        assert _get(server_url(server) + "/livez")[0] == 200
        status, body = _get(server_url(server) + "/readyz")
        assert status == 503
        assert body["status"] == "not_ready" and body["service"] == "fetcher"
        assert body["reasons"] == ["kafka: send to raw not acknowledged within 30 s"]

        sink.fail = lambda article: None
        assert _poll(poller, _source("s", "/feed.rss")).published == 1
        assert state.seen_hash(f"{BASE}/a.html") == sink.articles[0].content_hash
        status, body = _get(server_url(server) + "/readyz")
        assert (status, body["status"], body["reasons"]) == (200, "ok", [])
    finally:
        server.shutdown()
        server.server_close()


def _stories(site: Site, n: int) -> list[str]:
    days = ["السبت", "الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس"]
    paths = [f"/n{i}.html" for i in range(n)]
    for i, path in enumerate(paths):
        text = STORY.replace("الثلاثاء", days[i % len(days)]).replace("ثمانية وسبعين", f"{70 + i}")
        site.html(
            path,
            _page(f"خبر رقم {i} عن {days[i % len(days)]}", [text, f"فقرة خاصة بالخبر {i}: {LETTERS[i:]}"]),
        )
    return paths


class Outage:
    """The broker of ``Sink``: away until ``back()``; counts the sends it refused."""

    def __init__(self, sink: Sink) -> None:
        self.refused = 0
        sink.fail = self._fail

    def _fail(self, article: RawArticle) -> Exception | None:
        self.refused += 1
        return BrokerUnavailable("send to raw not acknowledged within 30 s")

    @staticmethod
    def back(sink: Sink) -> None:
        sink.fail = lambda article: None


def test_articles_made_while_the_broker_is_away_wait_in_the_outbox_and_go_first_when_it_answers(
    tmp_path: Path,
) -> None:
    site, sink = Site(), Sink()
    state = FetcherState(tmp_path / "state.sqlite3")
    paths = _stories(site, 4)
    site.rss("/feed.rss", *paths[:3])
    outage = Outage(sink)
    poller = _poller(site, sink, state)

    down = _poll(poller, _source("s", "/feed.rss"))
    assert (down.queued, down.published, down.drained) == (3, 0, 0)
    assert outage.refused == 1  # once the broker failed a send, the rest go straight to the outbox
    assert state.outbox_count() == 3 and state.seen_count() == 0
    assert REGISTRY.get_sample_value("akhbar_fetcher_outbox_articles") == 3

    again = _poll(poller, _source("s", "/feed.rss"))  # still away: queued pages are not fetched again
    assert (again.queued, again.unchanged) == (0, 3)
    assert outage.refused == 2 and sink.timeouts == [None, 2.0]  # one short probe, then discovery
    assert all(site.paths.count(p) == 1 for p in paths[:3])

    # The feed scrolls on while the broker is away: the three are no longer listed.
    site.rss("/feed.rss", paths[3])
    Outage.back(sink)
    state.close()
    state = FetcherState(tmp_path / "state.sqlite3")  # and the fetcher restarted meanwhile
    up = _poll(_poller(site, sink, state), _source("s", "/feed.rss"))
    assert (up.drained, up.published, up.queued) == (3, 1, 0)
    assert [a.fetched_url for a in sink.articles] == [f"{BASE}{p}" for p in paths]  # made order kept
    assert state.outbox_count() == 0 and state.seen_count() == 4
    assert all(
        state.seen_hash(f"{BASE}{p}") == a.content_hash for p, a in zip(paths, sink.articles, strict=True)
    )
    assert REGISTRY.get_sample_value("akhbar_fetcher_outbox_articles") == 0


def test_a_full_outbox_stops_the_poll_and_what_did_not_fit_is_fetched_again() -> None:
    site, sink, state = Site(), Sink(), FetcherState(":memory:")
    paths = _stories(site, 3)
    site.rss("/feed.rss", *paths)
    Outage(sink)
    poller = _poller(site, sink, state, outbox_max_articles=2)
    with pytest.raises(BrokerUnavailable):
        _poll(poller, _source("s", "/feed.rss"))
    assert state.outbox_count() == 2 and state.seen_count() == 0
    assert not state.queued(f"{BASE}{paths[2]}")

    Outage.back(sink)
    up = _poll(poller, _source("s", "/feed.rss"))
    assert (up.drained, up.published, up.unchanged) == (2, 1, 2)
    assert [a.fetched_url for a in sink.articles] == [f"{BASE}{p}" for p in paths]
    assert site.paths.count(paths[2]) == 2 and site.paths.count(paths[0]) == 1


def test_livez_is_503_once_the_loop_stops_beating() -> None:
    now = {"t": 1000.0}
    health = ServiceHealth("fetcher", consumer=False, live_after_s=30, clock=lambda: now["t"])
    health.set_connected(True)
    health.beat()
    server = serve_observability("127.0.0.1", 0, health)
    try:
        now["t"] += 31
        status, body = _get(server_url(server) + "/livez")
        assert (status, body) == (503, {"status": "dead", "service": "fetcher", "seconds_since_beat": 31.0})
        status, body = _get(server_url(server) + "/readyz")
        assert status == 503 and body["reasons"] == ["loop not alive for 31.0 s"]
    finally:
        server.shutdown()
        server.server_close()


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


# --------------------------------------------------------------------------- 3. timeouts


def test_a_page_that_times_out_k_times_is_dead_lettered_and_set_aside() -> None:
    site, sink, state = Site(), Sink(), FetcherState(":memory:")

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    site.routes["/slow.html"] = slow
    site.rss("/feed.rss", "/slow.html")
    poller = _poller(site, sink, state, max_timeouts_per_url=3)
    src = _source("drip", "/feed.rss")
    before = REGISTRY.get_sample_value("akhbar_fetcher_timeouts_total", {"source": "drip"}) or 0.0

    first, second = _poll(poller, src), _poll(poller, src)
    assert [(s.timeouts, s.transient_errors, s.dead_lettered) for s in (first, second)] == [(1, 1, 0)] * 2
    assert state.timeout_count(f"{BASE}/slow.html") == 2 and sink.letters == []
    third = _poll(poller, src)
    assert (third.timeouts, third.transient_errors, third.dead_lettered) == (1, 0, 1)
    assert [(d.url, d.error_class, d.reason) for d in sink.letters] == [
        (f"{BASE}/slow.html", "RepeatedTimeouts", "drip: timed out 3 times; last: ReadTimeout: timed out")
    ]
    assert state.rejection(f"{BASE}/slow.html") == (
        "timeout",
        "timed out 3 times; last: ReadTimeout: timed out",
    )
    assert state.timeout_count(f"{BASE}/slow.html") == 0 and state.seen_count() == 0
    assert REGISTRY.get_sample_value("akhbar_fetcher_timeouts_total", {"source": "drip"}) == before + 3

    fetched = site.paths.count("/slow.html")
    assert _poll(poller, src).skipped_rejected == 1
    assert site.paths.count("/slow.html") == fetched  # not fetched again


def test_timeouts_must_be_consecutive() -> None:
    site, sink, state = Site(), Sink(), FetcherState(":memory:")
    answers = iter(["timeout", "timeout", "ok"])
    page = _page("البرلمان يقر القانون", [STORY])

    def flaky(request: httpx.Request) -> httpx.Response:
        if next(answers) == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, content=page, headers={"Content-Type": "text/html"})

    site.routes["/a.html"] = flaky
    site.rss("/feed.rss", "/a.html")
    poller = _poller(site, sink, state, max_timeouts_per_url=3)
    summaries = [_poll(poller, _source("s", "/feed.rss")) for _ in range(3)]
    assert [(s.timeouts, s.published) for s in summaries] == [(1, 0), (1, 0), (0, 1)]
    assert state.timeout_count(f"{BASE}/a.html") == 0 and sink.letters == []


def test_a_timing_out_source_is_backed_off_exponentially_and_capped() -> None:
    backoff = SourceBackoff(cap_s=3600)
    delays = [backoff.next_delay("slow", 300, timed_out=True) for _ in range(6)]
    assert delays == [300, 600, 1200, 2400, 3600, 3600]
    assert REGISTRY.get_sample_value("akhbar_fetcher_source_backoff_seconds", {"source": "slow"}) == 3600
    assert backoff.next_delay("slow", 300, timed_out=False) == 300 and backoff.streak("slow") == 0
    assert REGISTRY.get_sample_value("akhbar_fetcher_source_backoff_seconds", {"source": "slow"}) == 0
    assert backoff.next_delay("slow", 300, timed_out=True) == 300  # the streak starts again
    assert SourceBackoff(cap_s=60).next_delay("hourly", 3600, timed_out=True) == 3600  # never below interval


class _Drip(httpx.AsyncByteStream):
    """One byte every 50 ms, forever: each read is quick, the body never ends."""

    async def __aiter__(self) -> Any:
        while True:
            await asyncio.sleep(0.05)
            yield b"x"


def _mock_client(handler: Handler, **overrides: Any) -> PoliteClient:
    settings = FetcherSettings(**{"politeness_delay_s": 0, **overrides})
    return PoliteClient(PoliteClient.build_client(settings, transport=httpx.MockTransport(handler)), settings)


def _dripping(calls: list[float]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        calls.append(time.monotonic())
        return httpx.Response(200, stream=_Drip())

    return handler


def test_the_page_budget_cuts_a_dripping_body() -> None:
    calls: list[float] = []
    client = _mock_client(_dripping(calls), page_budget_s=1.0, total_timeout_s=60, max_retries=3)
    start = time.monotonic()
    with pytest.raises(SourceUnavailable) as info:
        asyncio.run(client.get(f"{BASE}/a", RequestPolicy(private_hosts=frozenset({"127.0.0.1"}))))
    assert 0.95 <= time.monotonic() - start < 1.5
    assert (info.value.kind, info.value.reason) == (
        "timeout",
        "no complete answer within the page budget of 1 s",
    )
    assert len(calls) == 1


def test_the_page_budget_covers_every_retry() -> None:
    calls: list[float] = []
    client = _mock_client(_dripping(calls), page_budget_s=1.5, total_timeout_s=0.3, max_retries=20)
    start = time.monotonic()
    with pytest.raises(SourceUnavailable) as info:
        asyncio.run(client.get(f"{BASE}/a", RequestPolicy(private_hosts=frozenset({"127.0.0.1"}))))
    assert time.monotonic() - start < 1.8  # 21 attempts of 0.3 s would take more than 6 s
    assert info.value.kind == "timeout" and 1 <= len(calls) < 6


def test_a_retry_after_beyond_the_page_budget_gives_up_at_once() -> None:
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        calls.append(time.monotonic())
        return httpx.Response(503, headers={"Retry-After": "5"})

    client = _mock_client(handler, page_budget_s=2, max_retries=3)
    start = time.monotonic()
    with pytest.raises(SourceUnavailable) as info:
        asyncio.run(client.get(f"{BASE}/a", RequestPolicy(private_hosts=frozenset({"127.0.0.1"}))))
    assert time.monotonic() - start < 0.5 and len(calls) == 1
    assert info.value.kind == "rate_limited"
    assert (
        info.value.reason == "HTTP 503; a retry in 5 s would overrun the page budget; trying again next poll"
    )


# --------------------------------------------------------------------------- a real 1 byte/s server


@pytest.fixture
def drip_site() -> Iterator[str]:
    """Loopback server: /feed.rss lists /slow.html, which sends one byte per second for 120 s."""
    with DripSite(seconds=120) as site:
        yield site.base


def test_a_one_byte_per_second_server_is_cut_at_the_page_budget(drip_site: str) -> None:
    settings = FetcherSettings(politeness_delay_s=0, max_retries=2, page_budget_s=2.0)
    client = PoliteClient(PoliteClient.build_client(settings), settings)
    sink, state = Sink(), FetcherState(":memory:")
    poller = SourcePoller(client, sink, sink, state, clock=lambda: NOW)
    src = Source.model_validate(
        {"name": "drip", "kind": "feed", "urls": [f"{drip_site}/feed.rss"], "allow_private_addresses": True}
    )
    start = time.monotonic()
    summary = asyncio.run(poller.poll(src))
    assert 1.9 <= time.monotonic() - start < 4.0
    assert (summary.timeouts, summary.transient_errors, summary.published) == (1, 1, 0)
    assert state.timeout_count(f"{drip_site}/slow.html") == 1


# --------------------------------------------------------------------------- cancellation (shutdown)


def test_a_cancelled_wait_for_a_host_slot_gives_the_slot_back() -> None:
    async def scenario() -> None:
        gate = HostGate(concurrency=1, delay_s=0.5)
        (await gate.acquire("h")).release()
        with pytest.raises(TimeoutError):  # waits out the politeness delay, cancelled meanwhile
            await asyncio.wait_for(gate.acquire("h"), 0.1)
        sem = await asyncio.wait_for(gate.acquire("h"), 3.0)  # would hang if the slot had leaked
        sem.release()

    asyncio.run(scenario())


def test_a_poll_cancelled_while_its_send_waits_for_the_ack_marks_nothing() -> None:
    site, state = Site(), FetcherState(":memory:")
    site.html("/a.html", _page("البرلمان يقر القانون", [STORY]))
    site.rss("/feed.rss", "/a.html")
    sending = asyncio.Event()

    class Hanging(Sink):
        async def publish(self, article: RawArticle, *, timeout_s: float | None = None) -> None:
            sending.set()
            await asyncio.Event().wait()  # the broker never answers

    async def scenario() -> None:
        task = asyncio.create_task(_poller(site, Hanging(), state).poll(_source("s", "/feed.rss")))
        await asyncio.wait_for(sending.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert state.seen_count() == 0 and state.rejected_since(f"{BASE}/a.html") is None
    assert state.last_poll("s") is None  # the poll did not complete


# --------------------------------------------------------------------------- feeds


def test_an_empty_feed_is_polled_without_a_letter() -> None:
    site, sink, state = Site(), Sink(), FetcherState(":memory:")
    site.rss("/feed.rss")  # a valid RSS channel with no items yet
    summary = _poll(_poller(site, sink, state), _source("new", "/feed.rss"))
    assert (summary.discovered, summary.dead_lettered, sink.letters) == (0, 0, [])


def test_a_broken_feed_is_dead_lettered_once_per_distinct_failure() -> None:
    site, sink, state = Site(), Sink(), FetcherState(":memory:")
    site.html("/feed.rss", b"<html><body>maintenance</body></html>")
    poller, source = _poller(site, sink, state), _source("broken", "/feed.rss")
    first, second = _poll(poller, source), _poll(poller, source)
    assert (first.dead_lettered, second.dead_lettered, second.skipped_rejected) == (1, 0, 1)
    assert [letter.url for letter in sink.letters] == [f"{BASE}/feed.rss"]
    assert sink.letters[0].reason.startswith("broken: not a feed")
    site.html("/feed.rss", b"<html><body>another error page</body></html>")  # a new failure: a new letter
    assert _poll(poller, source).dead_lettered == 1 and len(sink.letters) == 2
