"""The enrichment agent: batches of raw events → enriched or dead-lettered, then acked.

Every kind of raw message ends in exactly one of two places, with a reason:
enriched, or the enricher's dead-letter topic (invalid JSON, wrong schema or
version, empty value, tombstone, invalid UTF-8, a value over the size policy, an
enrichment that raised, an output the broker refused for its size).

faust acks the events of a ``take_events`` batch when the loop body ends, however it
ends (``faust/streams.py``: the ``finally`` after ``yield``). So the body never lets an
exception or a cancellation end it early with work undone:

- per-message failures are data: caught and dead-lettered;
- a cancellation (SIGTERM) while a batch is in flight waits for that batch's sends;
- a failure that is not the message's fault (the broker stops acknowledging) and the
  dead-letter brake never leave the body: the first exits the process non-zero at once
  (nothing of the batch acked, so a supervisor's restart re-reads it), the second holds
  the batch unacked, stops consuming and reports not ready until the process restarts.

CPU work runs in a thread so heartbeats and /livez keep answering during a long batch.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from faust.types import EventT, StreamT
from prometheus_client import Counter, Histogram

from akhbar.brake import DeadLetterBrake
from akhbar.errors import InvalidMessage
from akhbar.limits import bound_enriched
from akhbar.messages import DeadLetter, RawArticle, Stage, decode, encode
from enricher import health
from enricher.app import app, dlq_topic, enriched_topic, raw_topic, settings
from enricher.enrich import ArticleEnricher
from enricher.language import warm_up

log = logging.getLogger(__name__)

ARTICLES = Counter("akhbar_enricher_articles_total", "Raw articles by outcome", ["outcome"])
ENRICH_SECONDS = Histogram(
    "akhbar_enricher_enrich_seconds",
    "CPU time to enrich one article",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0),
)
brake = DeadLetterBrake("enricher", ratio=settings.dlq_brake_ratio, window=settings.dlq_brake_window)


@cache
def enricher() -> ArticleEnricher:
    """Models are loaded once per worker process, before the first batch."""
    loaded = ArticleEnricher.load(body_language_prefix_chars=settings.body_language_prefix_chars)
    warm_up()
    return loaded


@dataclass
class Outcome:
    """What to publish for one raw event."""

    key: bytes | None
    value: bytes
    dead: bool
    event: EventT


def _letter(event: EventT, error: Exception, reason: str) -> bytes:
    msg = event.message
    letter = DeadLetter.build(
        stage=Stage.ENRICHER,
        error=error,
        original=msg.value,
        key=msg.key,
        topic=msg.topic,
        partition=msg.partition,
        offset=msg.offset,
        reason=reason,
    )
    return encode(letter.bounded(settings.max_message_bytes))


def process_event(event: EventT) -> Outcome:
    """The outcome of one raw event. Never raises."""
    msg = event.message
    size = len(msg.value) if msg.value is not None else 0
    if size > settings.max_message_bytes:
        ARTICLES.labels("oversized").inc()
        err = InvalidMessage(
            f"message of {size} bytes exceeds AKHBAR_MAX_MESSAGE_BYTES={settings.max_message_bytes}",
            topic=msg.topic,
            partition=msg.partition,
            offset=msg.offset,
        )
        return Outcome(msg.key, _letter(event, err, err.reason), True, event)
    try:
        raw = decode(RawArticle, msg.value, topic=msg.topic, partition=msg.partition, offset=msg.offset)
    except InvalidMessage as err:
        ARTICLES.labels("invalid").inc()
        return Outcome(msg.key, _letter(event, err, err.reason), True, event)
    started = time.perf_counter()
    try:
        enriched = bound_enriched(enricher().enrich(raw), settings.max_message_bytes)
    except Exception as err:  # a bug or bad input in one article must not stop the stream
        ARTICLES.labels("failed").inc()
        log.exception("enrichment failed", extra={"article": raw.id, "offset": msg.offset})
        return Outcome(
            msg.key, _letter(event, err, f"enrichment failed: {type(err).__name__}: {err}"), True, event
        )
    ENRICH_SECONDS.observe(time.perf_counter() - started)
    ARTICLES.labels("truncated" if enriched.truncated and not raw.truncated else "enriched").inc()
    return Outcome(raw.id.encode("ascii"), encode(enriched), False, event)


def _too_large(err: BaseException) -> bool:
    seen: BaseException | None = err
    while seen is not None:
        if "TooLarge" in type(seen).__name__ or "MessageSizeTooLarge" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _exit_process(code: int) -> None:
    """Leave at once, without faust's shutdown acking the batch in hand (tests replace this)."""
    logging.shutdown()
    os._exit(code)


on_fatal: Callable[[int], None] = _exit_process


async def _send_all(outcomes: Sequence[Outcome]) -> None:
    """Send every outcome and wait for the broker; a refusal for size dead-letters that message."""
    pending = []
    for out in outcomes:
        topic = dlq_topic if out.dead else enriched_topic
        pending.append(await topic.send(key=out.key, value=out.value))
    for out, future in zip(outcomes, pending, strict=True):
        try:
            await future
        except Exception as err:
            if out.dead or not _too_large(err):
                raise
            ARTICLES.labels("refused_for_size").inc()
            reason = f"the broker refused the enriched article for its size: {err}"
            letter = _letter(out.event, err, reason)
            await (await dlq_topic.send(key=out.key, value=letter))


async def _handle(events: Sequence[EventT]) -> bool:
    """Process and send one batch; False when the dead-letter brake stopped the stage."""
    outcomes = await asyncio.to_thread(lambda: [process_event(e) for e in events])
    for out in outcomes:
        if out.dead and not brake.allow_dead_letter():
            return False
        if not out.dead:
            brake.record_ok()
    await _send_all(outcomes)
    return True


async def _hold_forever() -> None:
    health.state.set_blocked(brake.engaged_reason)
    log.error("enricher stopped consuming; restart it once the release is fixed")
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        on_fatal(0)  # shutting down while held: leave without acking the held batch
        raise


@app.agent(raw_topic)
async def enrich_articles(stream: StreamT[Any]) -> None:
    enricher()
    batches = stream.take_events(settings.batch_size, within=settings.batch_within_s)  # type: ignore[attr-defined]
    async for events in batches:
        work = asyncio.ensure_future(_handle(events))
        try:
            proceed = await asyncio.shield(work)
        except asyncio.CancelledError:
            # SIGTERM mid-batch: finish this batch's sends before faust acks it, then stop
            try:
                finished = await work
            except Exception:
                log.exception("batch failed during shutdown; exiting without acking it")
                on_fatal(1)
                raise
            if not finished:
                on_fatal(0)  # held by the brake: leave without acking the batch
            raise
        except Exception:
            log.exception("batch could not be sent; exiting without acking it so a restart re-reads it")
            on_fatal(1)
            return
        if not proceed:
            await _hold_forever()
        health.state.progressed()
