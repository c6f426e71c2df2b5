"""The enrichment agent: batches of raw events → enriched or dead-lettered, then acked.

faust acks an event when an exception escapes the loop, which would lose the
article without a trace; so every per-event failure is caught here and turned
into a dead-letter envelope. Events of a batch are acked (by ``take_events``)
only after every send of the batch was acknowledged by Kafka: at-least-once,
and the id-keyed index downstream absorbs a re-delivery.
"""

from __future__ import annotations

import asyncio
import logging
import time
from functools import cache
from typing import Any

from faust.types import EventT, StreamT
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest

from akhbar.errors import InvalidMessage
from akhbar.messages import DeadLetter, RawArticle, Stage, decode, encode
from enricher.app import app, dlq_topic, enriched_topic, raw_topic, settings
from enricher.enrich import ArticleEnricher
from enricher.language import warm_up

log = logging.getLogger(__name__)

ARTICLES = Counter("akhbar_enricher_articles_total", "Raw articles by outcome", ["outcome"])
ENRICH_SECONDS = Histogram(
    "akhbar_enricher_enrich_seconds",
    "CPU time to enrich one article",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
_last_batch = {"at": 0.0}


@cache
def enricher() -> ArticleEnricher:
    """Models are loaded once per worker process, before the first batch."""
    loaded = ArticleEnricher.load(body_language_prefix_chars=settings.body_language_prefix_chars)
    warm_up()
    return loaded


def _dead_letter(event: EventT, error: Exception, reason: str) -> DeadLetter:
    msg = event.message
    return DeadLetter.build(
        stage=Stage.ENRICHER,
        error=error,
        original=msg.value,
        key=msg.key,
        topic=msg.topic,
        partition=msg.partition,
        offset=msg.offset,
        reason=reason,
    )


def process_event(event: EventT) -> tuple[bytes | None, bytes, bool]:
    """(key, value, is_dead_letter) to publish for one raw event. Never raises."""
    msg = event.message
    try:
        raw = decode(RawArticle, msg.value, topic=msg.topic, partition=msg.partition, offset=msg.offset)
    except InvalidMessage as err:
        ARTICLES.labels("invalid").inc()
        return msg.key, encode(_dead_letter(event, err, err.reason)), True
    started = time.perf_counter()
    try:
        enriched = enricher().enrich(raw)
    except Exception as err:  # a bug or bad input in one article must not stop the stream
        ARTICLES.labels("failed").inc()
        log.exception("enrichment failed", extra={"article": raw.id, "offset": msg.offset})
        return (
            msg.key,
            encode(_dead_letter(event, err, f"enrichment failed: {type(err).__name__}: {err}")),
            True,
        )
    ENRICH_SECONDS.observe(time.perf_counter() - started)
    ARTICLES.labels("enriched").inc()
    return raw.id.encode("ascii"), encode(enriched), False


@app.agent(raw_topic)
async def enrich_articles(stream: StreamT[Any]) -> None:
    enricher()
    batches = stream.take_events(settings.batch_size, within=settings.batch_within_s)  # type: ignore[attr-defined]
    async for events in batches:
        pending = []
        for event in events:
            key, value, dead = process_event(event)
            topic = dlq_topic if dead else enriched_topic
            pending.append(await topic.send(key=key, value=value))
        # Wait for the broker's acknowledgement of every send before the batch is acked.
        await asyncio.gather(*pending)
        _last_batch["at"] = time.time()


@app.page("/health")
async def health(web: Any, request: Any) -> Any:
    consumer = app.consumer
    assigned = sorted(f"{tp.topic}[{tp.partition}]" for tp in consumer.assignment()) if consumer else []
    age = round(time.time() - _last_batch["at"], 3) if _last_batch["at"] else None
    return web.json(
        {
            "status": "ok",
            "assigned": assigned,
            "seconds_since_batch": age,
            "model_versions": enricher().model_versions,
        }
    )


@app.page("/metrics")
async def metrics(web: Any, request: Any) -> Any:
    return web.bytes(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
