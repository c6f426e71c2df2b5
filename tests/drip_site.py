"""A loopback site whose only article drips one byte per second (shared by unit and integration tests).

``/feed.rss`` lists ``/slow.html``; that page sends a byte per second for ``seconds`` seconds: the
issue's slow-drip server, which held a fetcher for minutes and made SIGTERM wait.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class DripSite:
    """``with DripSite() as site: … site.base …``; ``started`` / ``hung_up`` tell the test what happened."""

    def __init__(self, seconds: int = 300) -> None:
        self.started = threading.Event()  # the slow page's first byte went out
        self.hung_up = threading.Event()  # the client closed the slow connection
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                if self.path == "/feed.rss":
                    data = (
                        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
                        f"<item><title>i</title><link>{site.base}/slow.html</link></item></channel></rss>"
                    ).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if self.path != "/slow.html":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                try:
                    for _ in range(seconds):
                        self.wfile.write(b"<")
                        self.wfile.flush()
                        site.started.set()
                        time.sleep(1.0)
                except OSError:
                    site.hung_up.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> DripSite:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
