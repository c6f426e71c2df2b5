"""The enricher's /livez, /readyz and /metrics: the shared server (akhbar.observability), fed from faust.

A one-second timer in the worker's event loop is the liveness beat (a loop blocked for
``live_after_s`` stops beating) and copies the consumer's assignment and per-partition
lag into the shared health state, which the HTTP thread only reads.

``python -m enricher worker`` starts no faust web server (``--without-web``) and serves the
shared server on the web host and port. Started through faust's own CLI with its web server on,
the same endpoints are answered by faust's web server instead (the pages below), never both.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from akhbar.observability import ServiceHealth, serve_observability, server_url
from enricher.app import app, settings

log = logging.getLogger(__name__)

state = ServiceHealth("enricher", consumer=True, stall_after_s=settings.stall_after_s)


def _lag(consumer: Any) -> dict[tuple[str, int], int]:
    """High watermark minus the next offset to commit (or to read), per assigned partition."""
    lag: dict[tuple[str, int], int] = {}
    for tp in consumer.assignment():
        if tp.topic != settings.topic_raw:
            continue
        try:
            high = consumer.highwater(tp)
        except Exception:  # not fetched yet, or the partition moved away meanwhile
            continue
        committed = consumer._committed_offset.get(tp)
        read = consumer._read_offset.get(tp)
        done = committed if committed is not None else (read + 1 if read is not None else None)
        if high is not None and done is not None:
            lag[(tp.topic, tp.partition)] = max(0, int(high) - int(done))
    return lag


@app.task
async def serve_health() -> None:
    if app.conf.web_enabled:  # faust's web server holds the port and answers the pages below
        return
    server = serve_observability(app.conf.web_host, app.conf.web_port, state)
    log.info("health and metrics", extra={"address": f"{server_url(server)}/readyz"})


def _answer(web: Any, ok_body: tuple[bool, dict[str, Any]]) -> Any:
    ok, body = ok_body
    return web.json(body, status=200 if ok else 503)


@app.page("/livez")
async def livez(web: Any, request: Any) -> Any:
    return _answer(web, state.livez())


@app.page("/readyz")
async def readyz(web: Any, request: Any) -> Any:
    return _answer(web, state.readyz())


@app.page("/health")
async def health_page(web: Any, request: Any) -> Any:
    return _answer(web, state.readyz())


@app.page("/metrics")
async def metrics(web: Any, request: Any) -> Any:
    # a header, not content_type=: aiohttp refuses a charset inside content_type
    return web.bytes(generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


@app.timer(interval=1.0)
async def beat() -> None:
    state.beat()
    consumer = app.consumer
    assignment = {tp for tp in consumer.assignment() if tp.topic == settings.topic_raw}
    state.set_assignment((tp.topic, tp.partition) for tp in assignment)
    if assignment:
        state.set_connected(True)
    else:
        state.set_connected(False, "no assignment yet (broker unreachable or group rebalancing)")
    state.set_lag(_lag(consumer))
