"""A loopback news site whose RSS feed gains articles at a steady rate, plus hostile endpoints.

``/feed.rss``            the newest ``window`` released articles, newest first
``/feed/<k>-of-<m>.rss`` the same, of the articles ``i`` with ``i % m == k`` only (one feed per
                         source when several fetchers share the sources: tests/faults/scale)
``/a/<n>.html``          article ``n`` (404 before its release time)
``/big/<chars>.html``    a legal page of that many characters of Arabic prose
``/hub``                 with ``hub=True``: a WebSub hub (tests/faults/hub.py) the feeds advertise
``/hostile/...``         entity bomb feed, redirect loop, 100 MB page, slow drip, a feed linking
                         private and metadata addresses, pages with a lying or unknown charset
"""

from __future__ import annotations

import contextlib
import html
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .hub import Hub
from .texts import Story, long_arabic, story

_PAGE = """<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head><meta charset="{charset}"><title>{title} | شبكة الاختبار</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published}">
<meta property="article:section" content="{section}"></head>
<body><header><nav><a href="/">الرئيسية</a> <a href="/politics">سياسة</a></nav></header>
<article><h1>{title}</h1>
{paragraphs}
</article><footer><p>جميع الحقوق محفوظة لشبكة الاختبار</p></footer></body></html>
"""

BOMB_FEED = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title>
<link>http://127.0.0.1/never</link></item></channel></rss>
"""

# Link-local / metadata and another host's private address: never fetched (issue 12 item 8).
# The path is harmless on purpose: should the guard fail, nothing secret is asked for.
PRIVATE_LINKS = (
    "http://169.254.169.254/akhbar-fault-suite-probe.html",
    "http://10.255.255.1/akhbar-fault-suite-probe.html",
)


def page_html(s: Story, *, published: str, charset: str = "utf-8") -> str:
    paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in s.paragraphs)
    return _PAGE.format(
        charset=charset,
        title=html.escape(s.title),
        published=published,
        section=s.section,
        paragraphs=paragraphs,
    )


def _item(base: str, path: str, title: str, released: float) -> str:
    return (
        f"<item><title>{html.escape(title)}</title><link>{base}{path}</link>"
        f"<pubDate>{formatdate(released)}</pubDate><category>أخبار</category></item>"
    )


def _feed(base: str, items: list[str], *, hub: str | None = None, self_url: str | None = None) -> bytes:
    links = f'<atom:link rel="hub" href="{hub}"/><atom:link rel="self" href="{self_url}"/>' if hub else ""
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f"<title>شبكة الاختبار</title><link>{base}/</link><description>بث متواصل</description>"
        f"<language>ar</language>{links}"
    )
    return (head + "".join(items) + "</channel></rss>\n").encode("utf-8")


class StreamSite:
    """``with StreamSite(n=200, rate=10) as site: site.begin(); ...; site.offered_paths()``."""

    def __init__(
        self, n: int, rate_per_s: float, *, seed: int = 0, window: int = 500, hub: bool = False
    ) -> None:
        self.n, self.rate, self.seed, self.window = n, rate_per_s, seed, window
        self.hub = Hub(self) if hub else None
        self.t0: float | None = None
        self.requests: list[str] = []
        self.extra_feed_paths: list[tuple[str, str]] = []  # (path, title) listed in /feed.rss as well
        self._lock = threading.Lock()
        self._big_cache: dict[int, bytes] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with site._lock:
                    site.requests.append(self.path)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    site._route(self)

            def do_POST(self) -> None:
                with site._lock:
                    site.requests.append("POST " + self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode("utf-8")))
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    if self.path == "/hub" and site.hub is not None:
                        code, text = site.hub.request(form)
                        site._send(self, code, "text/plain", text.encode())
                    else:
                        site._send(self, 404, "text/plain", b"not found\n")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="faults-site", daemon=True)

    # -- the schedule -------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def begin(self) -> None:
        """Start releasing articles now (0, 1, 2, … at ``rate`` per second)."""
        self.t0 = time.time()

    def released(self) -> int:
        if self.t0 is None:
            return 0
        return min(self.n, int((time.time() - self.t0) * self.rate) + 1)

    def done_releasing(self) -> bool:
        return self.released() >= self.n

    def release_time(self, i: int) -> float:
        return (self.t0 or time.time()) + i / self.rate

    def article_path(self, i: int) -> str:
        return f"/a/{i:05d}.html"

    def offered_paths(self) -> list[str]:
        return [self.article_path(i) for i in range(self.released())]

    # -- serving ------------------------------------------------------------------------
    def _send(self, h: BaseHTTPRequestHandler, code: int, ctype: str, body: bytes, **headers: str) -> None:
        h.send_response(code)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            h.send_header(k.replace("_", "-"), v)
        h.end_headers()
        h.wfile.write(body)

    def _route(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {
            "/feed.rss": self._feed,
            "/hostile/bomb.rss": lambda h: self._send(h, 200, "application/rss+xml", BOMB_FEED),
            "/hostile/private.rss": self._private_feed,
            "/hostile/redirect-loop.html": lambda h: self._send(
                h, 302, "text/html", b"", Location=f"{self.base}/hostile/redirect-loop.html"
            ),
            "/hostile/huge.html": self._huge,
            "/hostile/drip.html": self._drip,
            "/hostile/charset-lying.html": self._charset_lying,
            "/hostile/charset-unknown.html": self._charset_unknown,
        }
        if path in routes:
            routes[path](h)
        elif path.startswith("/feed/") and path.endswith(".rss") and "-of-" in path:
            part, _, parts = path[6:-4].partition("-of-")
            self._feed(h, int(part), int(parts))
        elif path.startswith("/a/") and path.endswith(".html"):
            self._article(h, int(path[3:-5]))
        elif path.startswith("/big/") and path.endswith(".html"):
            self._big(h, int(path[5:-5]))
        else:
            self._send(h, 404, "text/plain", b"not found\n")

    def feed_path(self, part: int, parts: int) -> str:
        return f"/feed/{part}-of-{parts}.rss"

    def _feed(self, h: BaseHTTPRequestHandler, part: int = 0, parts: int = 1) -> None:
        path = self.feed_path(part, parts) if parts > 1 else "/feed.rss"
        body = self.feed_body(path)
        assert body is not None
        links = {}
        if self.hub is not None:
            links["Link"] = f'<{self.base}/hub>; rel="hub", <{self.base}{path}>; rel="self"'
        self._send(h, 200, "application/rss+xml; charset=utf-8", body, **links)

    def feed_body(self, path: str, indexes: Iterable[int] | None = None) -> bytes | None:
        """The feed at ``path``: its newest ``window`` items, or only ``indexes`` (None if none is in it)."""
        part, parts = 0, 1
        if path.startswith("/feed/") and "-of-" in path:
            first, _, second = path[6:-4].partition("-of-")
            part, parts = int(first), int(second)
        pushed = indexes is not None
        if indexes is None:
            count = self.released()
            indexes = range(count - 1, max(-1, count - 1 - self.window), -1)
        items = [
            _item(self.base, self.article_path(i), story(i, seed=self.seed).title, self.release_time(i))
            for i in indexes
            if i % parts == part
        ]
        if pushed and not items:
            return None
        if not pushed and parts == 1:
            items += [_item(self.base, p, t, time.time()) for p, t in self.extra_feed_paths]
        hub = f"{self.base}/hub" if self.hub is not None else None
        return _feed(self.base, items, hub=hub, self_url=f"{self.base}{path}")

    def _article(self, h: BaseHTTPRequestHandler, i: int) -> None:
        if i >= self.released():
            self._send(h, 404, "text/plain", b"not yet\n")
            return
        published = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(self.release_time(i)))
        body = page_html(story(i, seed=self.seed), published=published).encode("utf-8")
        self._send(h, 200, "text/html; charset=utf-8", body)

    def _big(self, h: BaseHTTPRequestHandler, chars: int) -> None:
        if chars not in self._big_cache:
            paragraphs = long_arabic(chars, seed=chars)
            s = Story(
                title=f"تقرير مطول عن الموازنة العامة في {chars} حرف",
                paragraphs=paragraphs,
                section="اقتصاد",
            )
            self._big_cache[chars] = page_html(s, published="2026-02-04T09:30:00+02:00").encode("utf-8")
        self._send(h, 200, "text/html; charset=utf-8", self._big_cache[chars])

    def _private_feed(self, h: BaseHTTPRequestHandler) -> None:
        items = [_item("", link, "رابط داخلي", time.time()) for link in PRIVATE_LINKS]
        self._send(h, 200, "application/rss+xml; charset=utf-8", _feed(self.base, items))

    def _huge(self, h: BaseHTTPRequestHandler) -> None:
        """100 MB of HTML, chunked, no Content-Length: the fetcher must cut it at its body cap."""
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        chunk = ("<p>" + "كلمة " * 13_000 + "</p>\n").encode("utf-8")  # ~130 KB
        for _ in range(100 * 1024 * 1024 // len(chunk) + 1):
            h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        h.wfile.write(b"0\r\n\r\n")

    def _drip(self, h: BaseHTTPRequestHandler) -> None:
        """One byte per second, for ten minutes: cut by the fetcher's total-time budget."""
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", "600")
        h.end_headers()
        h.wfile.flush()
        for byte in iter_drip(600):
            h.wfile.write(byte)
            h.wfile.flush()
            time.sleep(1.0)

    def _charset_lying(self, h: BaseHTTPRequestHandler) -> None:
        """Says ISO-8859-1 in the header and UTF-8 in <meta>, is really windows-1256."""
        s = story(90_001, seed=self.seed)
        body = page_html(s, published="2026-02-04T09:30:00+02:00", charset="utf-8").encode("cp1256")
        self._send(h, 200, "text/html; charset=iso-8859-1", body)

    def _charset_unknown(self, h: BaseHTTPRequestHandler) -> None:
        """A charset label no codec knows; the bytes are UTF-8."""
        s = story(90_002, seed=self.seed)
        body = page_html(s, published="2026-02-04T09:30:00+02:00", charset="x-akhbar-bogus").encode()
        self._send(h, 200, "text/html; charset=x-akhbar-bogus", body)

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> StreamSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.hub is not None:
            self.hub.stop()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StreamSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def iter_drip(n: int) -> Iterator[bytes]:
    text = ("<html><body>" + "ا" * n).encode("utf-8")
    for i in range(n):
        yield text[i : i + 1]
