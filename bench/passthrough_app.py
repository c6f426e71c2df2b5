"""A faust app identical to the enricher in wiring (topics, batching, acks) that only forwards bytes.

Used by bench/enricher_speed.py as the baseline: the ratio enricher/pass-through
is the cost of enrichment itself on the same stream.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import faust

SRC = os.environ["BENCH_SRC"]
DST = os.environ["BENCH_DST"]
app = faust.App(
    os.environ["BENCH_APP_ID"],
    broker=f"kafka://{os.environ['KAFKA_BOOTSTRAP_SERVERS']}",
    store="memory://",
    web_port=int(os.environ.get("BENCH_WEB_PORT", "6199")),
    datadir=os.environ.get("BENCH_DATA_DIR", "/tmp/akhbar-bench-passthrough"),
    producer_acks=-1,
    producer_compression_type="gzip",
)
src = app.topic(SRC, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
dst = app.topic(DST, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")


@app.agent(src)
async def forward(stream: Any) -> None:
    async for events in stream.take_events(50, within=0.5):
        pending = [await dst.send(key=e.message.key, value=e.message.value) for e in events]
        await asyncio.gather(*pending)
