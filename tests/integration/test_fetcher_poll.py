"""The fetcher's poller end to end: a real HTTP server on 127.0.0.1, a real Kafka, exact messages.

Every test serves pages of the fixture site (tests/fixtures/site, expected fields in
tests/fixtures/gold.json) from its own small threaded server, whose routes can misbehave
on purpose (304, 429, redirect loops, 50 MB bodies, entity bombs, robots.txt), polls
sources with ``SourcePoller`` and reads back exactly what reached the article topic
and the dead-letter topic (one pair of fresh topics per test).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient

from akhbar.kafka import DeadLetterPublisher, ensure_topics, make_producer
from akhbar.messages import DeadLetter, RawArticle, article_id, encode
from fetcher.dedup import content_hash, simhash64
from fetcher.http import PoliteClient
from fetcher.poller import PollSummary, SourcePoller
from fetcher.publish import ArticlePublisher
from fetcher.settings import FetcherSettings
from fetcher.sources import Source
from fetcher.state import FetcherState

pytestmark = pytest.mark.kafka

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOLD: dict[str, Any] = json.loads((FIXTURES / "gold.json").read_text(encoding="utf-8"))
PAGES: dict[str, dict[str, Any]] = {p["path"]: p for p in GOLD["pages"]}
NOW = datetime.fromisoformat(GOLD["now"])

# --------------------------------------------------------------------------- a misbehaving site


Route = Callable[["_Handler"], None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection; bodies may end at close
    site: Site

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = self.site.routes.get(path)
        if route is None:
            self.reply(404, b"not found", "text/plain")
            return
        route(self)

    def reply(self, status: int, body: bytes, ctype: str | None, **headers: str) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Site:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]

    def page(self, path: str, *, ctype: str | None = None) -> None:
        """Serve a fixture page under its own path, with the content type gold.json gives it."""
        data = (FIXTURES / "site" / path).read_bytes()
        content_type = ctype if ctype is not None else PAGES[path]["content_type"]
        self.routes["/" + path] = lambda h: h.reply(200, self.fill(data), content_type)

    def xml(self, path: str, text: str, *, etag: str | None = None) -> None:
        """An XML document; with ``etag``, a matching If-None-Match gets 304."""
        data = text.encode("utf-8")

        def route(h: _Handler) -> None:
            if etag and h.headers.get("If-None-Match") == etag:
                h.reply(304, b"", None, ETag=etag)
            elif etag:
                h.reply(200, self.fill(data), "application/xml; charset=utf-8", ETag=etag)
            else:
                h.reply(200, self.fill(data), "application/xml; charset=utf-8")

        self.routes[path] = route

    def fill(self, data: bytes) -> bytes:
        return data.replace(b"{base}", self.base.encode("ascii"))


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site()
    handler = type("Handler", (_Handler,), {"site": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    state.routes["/robots.txt"] = lambda h: h.reply(
        200, b"User-agent: *\nDisallow: /private/\n", "text/plain; charset=utf-8"
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------- Kafka plumbing


@dataclass
class Pipe:
    """A poller wired to fresh topics; ``restart()`` reopens state as a new process would."""

    settings: FetcherSettings
    state_path: Path
    bootstrap: str
    topic: str
    dlq_topic: str
    producer: Any = None
    state: FetcherState | None = None
    poller: SourcePoller | None = None

    def start(self) -> Pipe:
        self.producer = self.producer or make_producer(
            self.settings, client_id="test-fetcher", bootstrap_servers=self.bootstrap.split(",")
        )
        self.state = FetcherState(self.state_path)
        client = PoliteClient(PoliteClient.build_client(self.settings), self.settings)
        self.poller = SourcePoller(
            client,
            ArticlePublisher(self.producer, self.topic),
            DeadLetterPublisher(self.producer, self.dlq_topic),
            self.state,
            clock=lambda: NOW,
        )
        return self

    def restart(self) -> Pipe:
        assert self.state is not None
        self.state.close()
        return self.start()

    def poll(self, source: Source) -> PollSummary:
        assert self.poller is not None
        return asyncio.run(self.poller.poll(source))

    def articles(self, expected: int) -> list[dict[str, Any]]:
        return [json.loads(v) for v in _read(self.bootstrap, self.topic, expected)]

    def dead_letters(self, expected: int) -> list[DeadLetter]:
        return [DeadLetter.model_validate_json(v) for v in _read(self.bootstrap, self.dlq_topic, expected)]


def _read(bootstrap: str, topic: str, expected: int, settle_s: float = 1.5) -> list[bytes]:
    """Every message in ``topic``: waits for ``expected`` of them, then a little longer for extras."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap.split(","),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    values: list[bytes] = []
    deadline = time.monotonic() + 30
    settled_at: float | None = None
    try:
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=300).values():
                values.extend(r.value for r in records)
            if len(values) >= expected:
                settled_at = settled_at or time.monotonic()
                if time.monotonic() - settled_at >= settle_s:
                    break
    finally:
        consumer.close()
    return values


@pytest.fixture
def pipe(kafka_bootstrap: str, unique_name: str, tmp_path: Path) -> Iterator[Pipe]:
    settings = FetcherSettings(
        politeness_delay_s=0, max_retries=2, request_timeout_s=10, total_timeout_s=30, topic_partitions=1
    )
    topic, dlq = f"{unique_name}.raw", f"{unique_name}.dlq"
    ensure_topics(settings.model_copy(update={"kafka_bootstrap_servers": kafka_bootstrap}), [topic, dlq])
    p = Pipe(settings, tmp_path / "fetcher.sqlite3", kafka_bootstrap, topic, dlq).start()
    yield p
    if p.state is not None:
        p.state.close()
    p.producer.close(timeout=10)
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap.split(","))
    try:
        admin.delete_topics([topic, dlq])
    finally:
        admin.close()


def source(name: str, kind: str, *urls: str, **extra: Any) -> Source:
    return Source.model_validate(
        {
            "name": name,
            "kind": kind,
            "urls": list(urls),
            "allow_private_addresses": True,
            "rate_limit_per_s": 100,
            **extra,
        }
    )


def expected(
    site: Site,
    path: str,
    source_name: str,
    fetched_url: str,
    *,
    link_tags: tuple[str, ...] = (),
    duplicate_of: str | None = None,
    aggregator: bool = False,
) -> dict[str, Any]:
    """The message for a fixture page, from gold.json (fields written for the extractor's tests)."""
    gold = PAGES[path]

    def fill(value: str | None) -> str | None:
        return value.replace("{base}", site.base) if value is not None else None

    canonical = fill(gold["canonical_url"])
    assert canonical is not None
    body = "\n\n".join(gold["paragraphs"])
    message = RawArticle(
        id=article_id(canonical),
        url=canonical,
        fetched_url=fetched_url,
        source=source_name,
        title=gold["title"],
        body=body,
        paragraphs=gold["paragraphs"],
        byline=gold["byline"],
        published_at=gold["published_at"],
        date_source=gold["date_source"],
        updated_at=gold["updated_at"],
        lead_image=fill(gold["lead_image"]),
        tags=list(dict.fromkeys([*gold["tags"], *link_tags])),
        section=gold["section"],
        language_hint="ar",
        is_aggregator=aggregator or gold["is_aggregator_page"],
        provenance=gold["provenance"],
        content_hash=content_hash(f"{gold['title']}\n{body}"),
        simhash=f"{simhash64(body):016x}",
        duplicate_of=duplicate_of,
        first_seen_at=NOW,  # every fetch here is the article's first copy (copies: none)
        fetched_at=NOW,
        revision=int(NOW.timestamp() * 1000),
    )
    return json.loads(encode(message))


def by_id(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in messages}


# --------------------------------------------------------------------------- feeds of every kind

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>الجريدة اليومية</title><link>{base}/</link>
<item><title>البرلمان يقر قانون الانتخابات</title>
<link>{base}/daily/politics/elections-law.html?utm_source=rss&amp;utm_medium=feed</link>
<category>سياسة</category><category>البرلمان</category></item>
<item><title>عاصفة</title><link>{base}/live/storm-warning.html</link></item>
<item><title>الفائدة</title><link>{base}/legacy/finance.html</link></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>بوابة النيل</title><id>urn:nile</id>
<updated>2026-02-04T21:00:00Z</updated>
<entry><title>نهائي الكأس</title><id>urn:nile:1</id><updated>2026-02-04T21:00:00Z</updated>
<link rel="alternate" type="text/html" href="{base}/eg/sports-cup-final.html"/></entry></feed>"""

RDF = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="{base}/"><title>صحيفة</title><link>{base}/</link></channel>
<item rdf:about="{base}/legacy/culture.html"><title>معرض الكتاب</title>
<link>{base}/legacy/culture.html</link></item>
<item rdf:about="{base}/sa/ramadan-preparations.html"><title>رمضان</title>
<link>{base}/sa/ramadan-preparations.html</link></item>
</rdf:RDF>"""

SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/dz/water-project.html</loc><lastmod>2026-02-04</lastmod></url></urlset>"""

NEWS_SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{base}/iq/dam-rehabilitation.html</loc><news:news>
<news:publication><news:name>بغداد</news:name><news:language>ar</news:language></news:publication>
<news:publication_date>2025-07-04T09:15:00+03:00</news:publication_date><news:title>سد</news:title>
<news:keywords>سدود, الموارد المائية</news:keywords></news:news></url></urlset>"""

SITEMAP_INDEX = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{base}/gulf/sitemap-news.xml</loc></sitemap></sitemapindex>"""

GULF_NEWS = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/gulf/airport-traffic.html</loc></url></urlset>"""


def test_every_feed_kind_publishes_exactly_the_gold_articles(site: Site, pipe: Pipe) -> None:
    for path in PAGES:
        site.page(path)
    site.xml("/feeds/rss.xml", RSS)
    site.xml("/feeds/atom.xml", ATOM)
    site.xml("/feeds/rdf.xml", RDF)
    site.xml("/dz/sitemap.xml", SITEMAP)
    site.xml("/iq/sitemap-news.xml", NEWS_SITEMAP)
    site.xml("/gulf/sitemap-index.xml", SITEMAP_INDEX)
    site.xml("/gulf/sitemap-news.xml", GULF_NEWS)
    b = site.base
    sources = [
        source("beirut-rss", "feed", f"{b}/feeds/rss.xml", timezone="Asia/Beirut"),
        source("nile-atom", "feed", f"{b}/feeds/atom.xml", timezone="Africa/Cairo"),
        source("riyadh-rdf", "feed", f"{b}/feeds/rdf.xml", timezone="Asia/Riyadh"),
        source("algiers-sitemap", "sitemap", f"{b}/dz/sitemap.xml", timezone="Africa/Algiers"),
        source("baghdad-news", "news_sitemap", f"{b}/iq/sitemap-news.xml", timezone="Asia/Baghdad"),
        source("dubai-index", "sitemap_index", f"{b}/gulf/sitemap-index.xml", timezone="Asia/Dubai"),
    ]
    summaries = [pipe.poll(s) for s in sources]

    assert [(s.source, s.discovered, s.published, s.dead_lettered) for s in summaries] == [
        ("beirut-rss", 3, 3, 0),
        ("nile-atom", 1, 1, 0),
        ("riyadh-rdf", 2, 2, 0),
        ("algiers-sitemap", 1, 1, 0),
        ("baghdad-news", 1, 1, 0),
        ("dubai-index", 1, 1, 0),
    ]
    want = [
        expected(
            site,
            "daily/politics/elections-law.html",
            "beirut-rss",
            f"{b}/daily/politics/elections-law.html?utm_source=rss&utm_medium=feed",
            link_tags=("سياسة", "البرلمان"),
        ),
        expected(site, "live/storm-warning.html", "beirut-rss", f"{b}/live/storm-warning.html"),
        expected(site, "legacy/finance.html", "beirut-rss", f"{b}/legacy/finance.html"),  # windows-1256
        expected(site, "eg/sports-cup-final.html", "nile-atom", f"{b}/eg/sports-cup-final.html"),
        expected(site, "legacy/culture.html", "riyadh-rdf", f"{b}/legacy/culture.html"),  # ISO-8859-6
        expected(site, "sa/ramadan-preparations.html", "riyadh-rdf", f"{b}/sa/ramadan-preparations.html"),
        expected(site, "dz/water-project.html", "algiers-sitemap", f"{b}/dz/water-project.html"),
        expected(
            site,
            "iq/dam-rehabilitation.html",
            "baghdad-news",
            f"{b}/iq/dam-rehabilitation.html",
            link_tags=("سدود", "الموارد المائية"),
        ),
        expected(site, "gulf/airport-traffic.html", "dubai-index", f"{b}/gulf/airport-traffic.html"),
    ]
    got = pipe.articles(len(want))
    assert len(got) == len(want)
    assert by_id(got) == by_id(want)
    assert pipe.dead_letters(0) == []
    # Requests carried our User-Agent with a contact, and robots.txt was asked once per origin.
    assert site.paths().count("/robots.txt") == 1
    assert all(
        h["user-agent"].startswith("AkhbarBot/") and "contact:" in h["user-agent"] for _, h in site.requests
    )


# --------------------------------------------------------------------------- duplicates and restarts


def _one_item_feed(url: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>x</title><link>{url}</link></item></channel></rss>"
    )


def test_duplicates_across_sources_stay_first_seen_across_restarts(site: Site, pipe: Pipe) -> None:
    for path in (
        "daily/politics/elections-law.html",
        "wire/elections-law-2026-02-04.html",
        "agg/news-88231.html",
    ):
        site.page(path)
    b = site.base
    site.xml("/daily.rss", _one_item_feed("{base}/daily/politics/elections-law.html"))
    site.xml("/wire.rss", _one_item_feed("{base}/wire/elections-law-2026-02-04.html"))
    site.xml("/agg.rss", _one_item_feed("{base}/agg/news-88231.html"))
    daily = source("daily", "feed", f"{b}/daily.rss", timezone="Asia/Beirut")
    wire = source("wire", "feed", f"{b}/wire.rss", timezone="Asia/Beirut")
    agg = source("agg", "feed", f"{b}/agg.rss", timezone="Asia/Beirut", aggregator=True)

    assert pipe.poll(daily).published == 1
    pipe.restart()  # a new process: the index of fingerprints comes back from the state file
    assert (pipe.poll(wire).duplicates, pipe.poll(agg).duplicates) == (1, 1)
    pipe.restart()
    assert [pipe.poll(s).published for s in (daily, wire, agg)] == [0, 0, 0]  # all seen: nothing again

    first = article_id(f"{b}/daily/politics/elections-law.html")
    want = [
        expected(
            site, "daily/politics/elections-law.html", "daily", f"{b}/daily/politics/elections-law.html"
        ),
        expected(
            site,
            "wire/elections-law-2026-02-04.html",
            "wire",
            f"{b}/wire/elections-law-2026-02-04.html",
            duplicate_of=first,
        ),
        expected(
            site,
            "agg/news-88231.html",
            "agg",
            f"{b}/agg/news-88231.html",
            duplicate_of=first,
            aggregator=True,
        ),
    ]
    got = pipe.articles(3)
    assert got == want  # one partition: in publication order
    assert got[2]["provenance"] == {
        "original_source": "الجريدة اليومية",
        "original_title": "البرلمان يقر قانون الانتخابات الجديد بعد جلسة مطولة",
        "original_date": "2026-02-04T09:20:00+02:00",
    }
    assert "لا يتحمل" not in got[2]["body"] and "نشر أولاً" not in got[2]["body"]


def test_feed_304_and_article_sources_publish_only_changes(site: Site, pipe: Pipe) -> None:
    site.page("dz/water-project.html")
    site.xml("/feed.rss", _one_item_feed("{base}/dz/water-project.html"), etag='"feed-v1"')
    feed = source("dz", "feed", f"{site.base}/feed.rss", timezone="Africa/Algiers")
    assert pipe.poll(feed).published == 1
    second = pipe.poll(feed)
    assert (second.feed_not_modified, second.published, second.discovered) == (1, 0, 0)
    feed_requests = [h for p, h in site.requests if p == "/feed.rss"]
    assert "if-none-match" not in feed_requests[0] and feed_requests[1]["if-none-match"] == '"feed-v1"'

    # An article-kind source re-fetches its page each poll and publishes only when the content changed.
    page = (FIXTURES / "site" / "eg/sports-cup-final.html").read_bytes()
    current = {"body": page}
    site.routes["/eg/sports-cup-final.html"] = lambda h: h.reply(200, site.fill(current["body"]), "text/html")
    article = source("cup", "article", f"{site.base}/eg/sports-cup-final.html", timezone="Africa/Cairo")
    assert pipe.poll(article).published == 1
    again = pipe.poll(article)
    assert (again.published, again.unchanged) == (0, 1)
    current["body"] = page.replace("بهدفين دون رد".encode(), "بثلاثة أهداف دون رد".encode())
    assert pipe.poll(article).published == 1

    got = pipe.articles(3)
    assert [m["source"] for m in got] == ["dz", "cup", "cup"]
    assert got[1]["id"] == got[2]["id"] and got[1]["content_hash"] != got[2]["content_hash"]
    assert "بثلاثة أهداف دون رد" in got[2]["body"] and "بثلاثة أهداف دون رد" not in got[1]["body"]
    assert got[1] == expected(
        site, "eg/sports-cup-final.html", "cup", f"{site.base}/eg/sports-cup-final.html"
    )


# --------------------------------------------------------------------------- hostile sites

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title></channel></rss>"""
MALFORMED = "<rss><channel><item><link>https://example.org/x</link></channel></rss>"


def test_429_with_retry_after_is_waited_out_then_published(site: Site, pipe: Pipe) -> None:
    page = (FIXTURES / "site" / "dz/water-project.html").read_bytes()
    calls: list[float] = []

    def flaky(h: _Handler) -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            h.reply(429, b"slow down", "text/plain", Retry_After="1")
        else:
            h.reply(200, site.fill(page), "text/html")

    site.routes["/dz/water-project.html"] = flaky
    site.xml("/feed.rss", _one_item_feed("{base}/dz/water-project.html"))
    summary = pipe.poll(source("dz", "feed", f"{site.base}/feed.rss", timezone="Africa/Algiers"))
    assert (summary.published, summary.transient_errors, summary.dead_lettered) == (1, 0, 0)
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.95
    assert pipe.articles(1) == [
        expected(site, "dz/water-project.html", "dz", f"{site.base}/dz/water-project.html")
    ]


def _localhost_addresses() -> str:
    infos = socket.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM)
    return ", ".join(sorted({str(info[4][0]) for info in infos}))


def test_hostile_inputs_become_exact_dead_letters_and_are_not_retried(site: Site, pipe: Pipe) -> None:
    b = site.base
    sent = {"bytes": 0}

    def huge(h: _Handler) -> None:
        # 50 MB, no Content-Length: the cap must stop reading while streaming.
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.end_headers()
        chunk = b"<p>" + b"x" * 65_530 + b"</p>"
        try:
            for _ in range(50 * 1024 * 1024 // len(chunk)):
                h.wfile.write(chunk)
                sent["bytes"] += len(chunk)
        except OSError:
            pass  # the client hung up, as it should

    site.routes["/huge.html"] = huge
    site.routes["/loop/a"] = lambda h: h.reply(302, b"", None, Location="/loop/b")
    site.routes["/loop/b"] = lambda h: h.reply(302, b"", None, Location="/loop/a")
    site.routes["/private/secret.html"] = lambda h: h.reply(200, b"<p>never</p>", "text/html")
    site.page("tag/politics.html", ctype="text/html; charset=utf-8")  # a listing: too little text
    site.xml("/bomb.xml", BOMB)
    site.xml("/malformed.xml", MALFORMED)
    site.xml(
        "/pages.rss",
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        + "".join(
            f"<item><title>i</title><link>{{base}}{p}</link></item>"
            for p in ("/huge.html", "/loop/a", "/private/secret.html", "/tag/politics.html")
        )
        + "</channel></rss>",
    )

    sources = [
        source("pages", "feed", f"{b}/pages.rss"),
        source("bomb", "feed", f"{b}/bomb.xml"),
        source("malformed", "feed", f"{b}/malformed.xml"),
        source("ssrf", "feed", f"{b}/feed.rss", "http://localhost/feed.rss", allow_private_addresses=False),
    ]
    tracemalloc.start()
    try:
        summaries = [pipe.poll(s) for s in sources]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(s.source, s.published, s.dead_lettered) for s in summaries] == [
        ("pages", 0, 4),
        ("bomb", 0, 1),
        ("malformed", 0, 1),
        ("ssrf", 0, 2),
    ]
    assert sent["bytes"] < 50 * 1024 * 1024 and peak < 40 * 1024 * 1024  # streamed, never buffered whole
    assert "/private/secret.html" not in site.paths()  # robots.txt said no
    assert "/feed.rss" not in site.paths()  # the SSRF guard refused before connecting

    letters = {(d.url, d.error_class, d.reason) for d in pipe.dead_letters(8)}
    assert letters == {
        (f"{b}/huge.html", "FetchRefused", "pages: body exceeds 5242880 bytes"),
        (f"{b}/loop/a", "FetchRefused", "pages: redirect loop"),
        (f"{b}/private/secret.html", "FetchRefused", "pages: disallowed by robots.txt"),
        (f"{b}/tag/politics.html", "ExtractionError", "pages: too little article text (0 < 150 chars)"),
        (f"{b}/bomb.xml", "ExtractionError", "bomb: unsafe XML refused (EntitiesForbidden)"),
        (
            f"{b}/malformed.xml",
            "ExtractionError",
            "malformed: malformed XML: mismatched tag: line 1, column 56",
        ),
        (
            f"{b}/feed.rss",
            "FetchRefused",
            "ssrf: host 127.0.0.1 resolves to non-public address 127.0.0.1",
        ),
        (
            "http://localhost/feed.rss",
            "FetchRefused",
            f"ssrf: host localhost resolves to non-public address {_localhost_addresses()}",
        ),
    }
    for letter in pipe.dead_letters(8):
        assert letter.stage.value == "fetcher" and letter.original_key == letter.url
        if letter.url == f"{b}/bomb.xml":
            assert letter.original() == site.fill(BOMB.encode())
        if letter.url == f"{b}/tag/politics.html":
            assert letter.original() == site.fill((FIXTURES / "site/tag/politics.html").read_bytes())

    # The next poll does not fetch or dead-letter the rejected pages again.
    before = len(site.requests)
    again = pipe.poll(sources[0])
    assert (again.skipped_rejected, again.dead_lettered) == (4, 0)
    assert site.paths()[before:] == ["/pages.rss"]
    assert len(pipe.dead_letters(8)) == 8
