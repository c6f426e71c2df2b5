"""The enricher's /livez, /readyz and /metrics: the shared server (akhbar.observability), fed from faust.

A one-second timer in the worker's event loop is the liveness beat (a loop blocked for
``live_after_s`` stops beating) and copies the consumer's assignment and per-partition
lag into the shared health state, which the HTTP thread only reads.
"""

from __future__ import annotations

import logging
from typing import Any

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
    server = serve_observability(app.conf.web_host, app.conf.web_port, state)
    log.info("health and metrics", extra={"address": f"{server_url(server)}/readyz"})


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
