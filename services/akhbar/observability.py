"""Health that tells the truth, and Prometheus metrics, on one small HTTP server per service.

The same three endpoints on every service:

- ``/livez``  200 while the service's loop is alive (it called :meth:`ServiceHealth.beat`
  within ``live_after_s``); a supervisor restarts the process on 503;
- ``/readyz`` 200 only when the service is live, connected to its broker, has partitions
  assigned (consumers), is not held by the dead-letter brake, and is making progress
  whenever there is lag (as arroyo's Healthcheck step: healthy means progressing);
  503 with the reason otherwise. ``/health`` is the same answer, kept for older probes;
- ``/metrics`` Prometheus exposition, including ``akhbar_consumer_lag`` per partition.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest

CONSUMER_LAG = Gauge(
    "akhbar_consumer_lag",
    "Messages behind the end of each assigned partition (high watermark minus position)",
    ["service", "topic", "partition"],
)
READY = Gauge("akhbar_ready", "1 while /readyz answers 200", ["service"])


class ServiceHealth:
    """What /livez and /readyz answer, fed by the service's own loop (thread-safe reads)."""

    def __init__(
        self,
        service: str,
        *,
        consumer: bool,
        live_after_s: float = 30.0,
        stall_after_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self._consumer = consumer
        self._clock = clock
        self.live_after_s = live_after_s
        self.stall_after_s = stall_after_s
        self.started = clock()
        self.last_beat: float | None = None
        self.last_progress: float | None = None
        self.last_commit: float | None = None
        self.dependencies: dict[str, str | None] = {"kafka": "not connected yet"}
        self.assigned: list[str] = []
        self.lag: dict[tuple[str, int], int] = {}
        self.blocked: str | None = None
        self.detail: dict[str, Any] = {}

    # -- fed by the service ------------------------------------------------------------
    def beat(self) -> None:
        """The loop is alive (called from the loop itself, every iteration or on a timer)."""
        self.last_beat = self._clock()

    def set_connected(self, ok: bool, error: str | None = None, *, dependency: str = "kafka") -> None:
        """Whether a dependency (Kafka by default, or e.g. "elasticsearch") answers."""
        self.dependencies[dependency] = None if ok else (error or "not connected")

    @property
    def connected(self) -> bool:
        return all(error is None for error in self.dependencies.values())

    def set_assignment(self, partitions: Iterable[tuple[str, int]]) -> None:
        self.assigned = sorted(f"{t}[{p}]" for t, p in partitions)

    def set_lag(self, lag: Mapping[tuple[str, int], int]) -> None:
        """Lag per assigned partition; labels of partitions no longer assigned are removed."""
        for topic, partition in set(self.lag) - set(lag):
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(self.service, topic, str(partition))
        self.lag = {tp: max(0, int(n)) for tp, n in lag.items()}
        for (topic, partition), n in self.lag.items():
            CONSUMER_LAG.labels(self.service, topic, str(partition)).set(n)

    def progressed(self) -> None:
        """A message was settled (processed, dead-lettered, committed)."""
        self.last_progress = self._clock()

    def committed(self) -> None:
        self.last_commit = self._clock()
        self.progressed()

    def set_blocked(self, reason: str | None) -> None:
        """Held on purpose (the dead-letter brake): not ready, with this reason."""
        self.blocked = reason

    # older name kept for callers that report polls
    def polled(self) -> None:
        self.beat()

    # -- read by the HTTP thread ---------------------------------------------------------
    def _ago(self, at: float | None, now: float) -> float | None:
        return None if at is None else round(now - at, 3)

    def livez(self) -> tuple[bool, dict[str, Any]]:
        now = self._clock()
        since = self._ago(self.last_beat, now)
        starting = self.last_beat is None and now - self.started < self.live_after_s
        live = starting or (since is not None and since < self.live_after_s)
        return live, {
            "status": "ok" if live else "dead",
            "service": self.service,
            "seconds_since_beat": since,
        }

    def readyz(self) -> tuple[bool, dict[str, Any]]:
        now = self._clock()
        live, _ = self.livez()
        total_lag = sum(self.lag.values())
        since_progress = self._ago(self.last_progress, now)
        reasons: list[str] = []
        if not live:
            reasons.append(f"loop not alive for {self._ago(self.last_beat, now)} s")
        for name, error in sorted(self.dependencies.items()):
            if error is not None:
                reasons.append(f"{name}: {error}")
        if self._consumer and not self.assigned:
            reasons.append("no partitions assigned")
        if self.blocked:
            reasons.append(self.blocked)
        if total_lag > 0:
            idle = now - (self.last_progress if self.last_progress is not None else self.started)
            if idle > self.stall_after_s:
                reasons.append(f"stalled: lag {total_lag} and nothing settled for {idle:.0f} s")
        ready = not reasons
        READY.labels(self.service).set(1 if ready else 0)
        body = {
            "status": "ok" if ready else "not_ready",
            "service": self.service,
            "reasons": reasons,
            "assigned": self.assigned,
            "lag": total_lag,
            "seconds_since_progress": since_progress,
            "seconds_since_commit": self._ago(self.last_commit, now),
            "uptime_seconds": round(now - self.started, 3),
            **self.detail,
        }
        return ready, body

    # the answer /health gave before /readyz existed
    def status(self) -> tuple[bool, dict[str, Any]]:
        return self.readyz()


def server_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"


def serve_observability(host: str, port: int, health: ServiceHealth) -> ThreadingHTTPServer:
    """Start /livez, /readyz, /health and /metrics on a daemon thread; returns the server."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._reply(200, CONTENT_TYPE_LATEST, generate_latest(REGISTRY))
            elif path in ("/livez", "/readyz", "/health"):
                ok, body = health.livez() if path == "/livez" else health.readyz()
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
