"""Prometheus metrics and a health endpoint on one small HTTP server per service.

Healthy means making progress (as arroyo's Healthcheck step): the service reports
when it last polled and last committed, and /health turns 503 when the last poll
is older than ``stale_after_s``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest


class Heartbeat:
    """Timestamps of the last poll and last commit, read by /health."""

    def __init__(self, stale_after_s: float = 60.0) -> None:
        self.started = time.time()
        self.last_poll: float | None = None
        self.last_commit: float | None = None
        self.stale_after_s = stale_after_s
        self.detail: dict[str, Any] = {}

    def polled(self) -> None:
        self.last_poll = time.time()

    def committed(self) -> None:
        self.last_commit = time.time()

    def status(self) -> tuple[bool, dict[str, Any]]:
        now = time.time()
        since_poll = None if self.last_poll is None else round(now - self.last_poll, 3)
        since_commit = None if self.last_commit is None else round(now - self.last_commit, 3)
        starting = self.last_poll is None and now - self.started < self.stale_after_s
        healthy = starting or (since_poll is not None and since_poll < self.stale_after_s)
        body = {
            "status": "ok" if healthy else "stale",
            "seconds_since_poll": since_poll,
            "seconds_since_commit": since_commit,
            "uptime_seconds": round(now - self.started, 3),
            **self.detail,
        }
        return healthy, body


def server_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"


def serve_observability(
    host: str, port: int, health: Callable[[], tuple[bool, dict[str, Any]]]
) -> ThreadingHTTPServer:
    """Start /metrics and /health on a daemon thread; returns the server (``.server_address``)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/metrics"):
                payload = generate_latest(REGISTRY)
                self._reply(200, CONTENT_TYPE_LATEST, payload)
            elif self.path.startswith("/health"):
                ok, body = health()
                self._reply(
                    200 if ok else 503,
                    "application/json",
                    json.dumps(body, ensure_ascii=False).encode("utf-8"),
                )
            else:
                self._reply(404, "text/plain", b"not found\n")

        def _reply(self, code: int, ctype: str, payload: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="observability", daemon=True).start()
    return server
