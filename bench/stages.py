"""Each stage beside its limit, on the bytes the end-to-end run produced (same run, same machine).

- Kafka: the raw topic's own messages produced (the services' producer: acks=all, idempotent,
  gzip, linger) to a fresh topic and consumed back by a plain consumer;
- enricher vs a pass-through faust agent on the raw topic (bench/enricher_speed.py's ``on_stream``);
- where the enricher's time goes per article: decoding, language, NER, topics, building and
  encoding the enriched message (one process, CPU time of each part);
- indexer vs raw ``helpers.bulk`` of the enriched topic's own documents (bench/indexer_speed.py);
- fetcher's extractor vs plain trafilatura on the offline site's pages (bench/extract_speed.py).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient

from akhbar.kafka import ensure_topics, make_producer
from akhbar.messages import EnrichedArticle, RawArticle, decode, encode
from akhbar.settings import CommonSettings
from tests.faults.site import page_html
from tests.faults.texts import story

from . import enricher_speed, extract_speed, indexer_speed


def _produce(kafka: str, messages: list[tuple[bytes, bytes]], prefix: str) -> tuple[str, float]:
    """A fresh topic holding exactly ``messages`` (the services' producer); its name and the seconds."""
    topic = f"{prefix}-{uuid.uuid4().hex[:8]}"
    settings = CommonSettings(kafka_bootstrap_servers=kafka)
    ensure_topics(settings, [topic])
    producer = make_producer(settings, client_id=prefix)
    try:
        started = time.perf_counter()
        for key, value in messages:
            producer.send(topic, key=key, value=value)
        producer.flush()
        return topic, time.perf_counter() - started
    finally:
        producer.close()


def _delete_topics(kafka: str, match: Callable[[str], bool]) -> None:
    admin = KafkaAdminClient(bootstrap_servers=kafka, client_id="bench-cleanup")
    try:
        doomed = [t for t in admin.list_topics() if match(t)]
        if doomed:
            admin.delete_topics(doomed)
    finally:
        admin.close()


def kafka_limit(kafka: str, messages: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """Produce the messages to a fresh topic and consume them back: msgs/s and MB/s each way."""
    size = sum(len(k) + len(v) for k, v in messages)
    topic = ""
    try:
        topic, produce_s = _produce(kafka, messages, "bench-kafka")
        consumer = KafkaConsumer(
            bootstrap_servers=kafka,
            enable_auto_commit=False,
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
        )
        try:
            tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            consumer.end_offsets(tps)
            got = 0
            started = time.perf_counter()
            while got < len(messages) and time.perf_counter() - started < 120:
                got += sum(len(b) for b in consumer.poll(timeout_ms=500).values())
            consume_s = time.perf_counter() - started
        finally:
            consumer.close()
    finally:
        _delete_topics(kafka, lambda t: bool(topic) and t == topic)
    n = len(messages)
    return {
        "messages": n,
        "mean_kb": round(size / n / 1000, 2),
        "produce_msgs_per_s": round(n / produce_s, 1),
        "produce_mb_per_s": round(size / produce_s / 1e6, 2),
        "consume_msgs_per_s": round(got / consume_s, 1),
        "consume_mb_per_s": round(size / consume_s / 1e6, 2),
    }


class _Clock:
    """CPU seconds spent inside the functions it wraps."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.process_time() - started

        return timed


def enricher_breakdown(values: list[bytes], warmup: int) -> dict[str, Any]:
    """CPU milliseconds per article of each part of ``ArticleEnricher.enrich``.

    The real ``enrich`` runs once per article with its parts wrapped by CPU clocks (language
    detection, the NER tagger and mention merging, the topic classifier); what is left of its
    time is building the enriched model. Decoding the raw message and encoding the enriched one
    are timed around it, as the stream does them.
    """
    from enricher import enrich as enrich_module
    from enricher import language

    enricher = enrich_module.ArticleEnricher.load()
    language.warm_up()
    clocks = {name: _Clock() for name in ("language", "NER", "topics")}
    patched = [
        (language, "detect_language", clocks["language"]),
        (enrich_module, "merge_mentions", clocks["NER"]),
        (enricher._tagger, "tag_document", clocks["NER"]),
        (enricher._topics, "classify", clocks["topics"]),
    ]
    originals = [(obj, name, getattr(obj, name)) for obj, name, _ in patched]
    decode_s = encode_s = enrich_s = 0.0
    measured = 0
    try:
        for obj, name, clock in patched:
            setattr(obj, name, clock.wrap(getattr(obj, name)))
        for n, value in enumerate(values):
            if n == warmup:  # warm caches (NER feature weights per word), then measure from zero
                for clock in clocks.values():
                    clock.seconds = 0.0
                decode_s = encode_s = enrich_s = 0.0
            t0 = time.process_time()
            raw = decode(RawArticle, value)
            t1 = time.process_time()
            out = enricher.enrich(raw)
            t2 = time.process_time()
            encode(out)
            t3 = time.process_time()
            decode_s, enrich_s, encode_s = decode_s + t1 - t0, enrich_s + t2 - t1, encode_s + t3 - t2
            measured += n >= warmup
    finally:
        for obj, name, original in originals:
            if obj is language or obj is enrich_module:
                setattr(obj, name, original)
    inside = sum(c.seconds for c in clocks.values())
    parts = {
        "decode": decode_s,
        **{k: c.seconds for k, c in clocks.items()},
        "build model": max(0.0, enrich_s - inside),
        "encode": encode_s,
    }
    total = decode_s + enrich_s + encode_s
    return {
        "articles": measured,
        "ms_per_article": {k: round(v / measured * 1000, 2) for k, v in parts.items()},
        "share": {k: round(v / total, 3) for k, v in parts.items()},
        "articles_per_cpu_s": round(measured / total, 1),
    }


def faust_limits(kafka: str, messages: list[tuple[bytes, bytes]], warmup: int) -> dict[str, Any]:
    """The real enricher worker and a pass-through faust agent, each over the same raw messages.

    They read a fresh topic holding exactly these messages, so "done" is exact for both.
    """
    tag = f"bench-{uuid.uuid4().hex[:8]}"
    out: dict[str, Any] = {}
    try:
        src, _ = _produce(kafka, messages, f"{tag}-src")
        for kind in ("passthrough", "enricher"):
            r = enricher_speed.on_stream(kind, kafka, src, len(messages), tag, warmup)
            r["measured_from"] = f"after {warmup} articles"
            if r["measured_articles"] <= 0 or r["articles_per_cpu_s"] <= 0:
                # the pass-through can forward them all between two samples (0.2 s): its figure from
                # the first output on (start-up excluded) is then the only one
                r["articles_per_cpu_s"] = r["cold_articles_per_cpu_s"]
                r["measured_from"] = "the first output"
            out[kind] = r
    finally:
        _delete_topics(kafka, lambda t: t.startswith(tag))
    base = out["passthrough"]["articles_per_cpu_s"]
    out["ratio"] = round(out["enricher"]["articles_per_cpu_s"] / base, 4) if base > 0 else None
    return out


def extract_limit(base: str, paths: list[str], seed: int, total: int) -> dict[str, Any]:
    """extract_article vs plain trafilatura on the offline site's own pages."""
    pages: list[extract_speed.Page] = []
    for path in paths:
        i = int(path.rsplit("/", 1)[1].split(".")[0])
        body = page_html(story(i, seed=seed), published="2026-12-02T04:00:00+00:00").encode("utf-8")
        pages.append((body, base + path, "text/html; charset=utf-8", None))
    result = extract_speed.measure(pages, total)
    ours = result["extract_article"]["pages_per_cpu_s"]
    return {
        **result,
        "ratio_defaults": round(ours / result["trafilatura.extract"]["pages_per_cpu_s"], 3),
        "ratio_precision": round(ours / result["trafilatura (precision)"]["pages_per_cpu_s"], 3),
    }


def indexer_limit(kafka: str, es_url: str, enriched: list[bytes], batch: int = 500) -> dict[str, Any]:
    articles = [decode(EnrichedArticle, v) for v in enriched]
    return indexer_speed.compare(kafka, es_url, articles, batch=batch)


def store_per_doc(kafka: str, es_url: str, n: int) -> dict[str, Any] | None:
    """Elasticsearch store per document of real news text: ``n`` articles of ~3 KB built from the
    topic corpus (bench/indexer_speed.make_articles), bulk-indexed into the real template, refreshed
    and merged to one segment as an index that stopped growing would be; None without the corpus."""
    if not indexer_speed.DEFAULT_CORPUS.exists():
        return None
    import argparse

    from elasticsearch import Elasticsearch

    articles = indexer_speed.make_articles(indexer_speed.DEFAULT_CORPUS, n, seed=5)
    prefix = f"bench-store-{uuid.uuid4().hex[:8]}"
    args = argparse.Namespace(kafka=kafka, es=es_url, batch=500, partitions=1)
    settings = indexer_speed._settings(args, prefix, f"{prefix}.unused")
    es = Elasticsearch(es_url, request_timeout=300)
    try:
        indexer_speed.raw_bulk(es, settings, articles, 500)
        es.indices.refresh(index=prefix)
        unmerged = es.indices.stats(index=prefix, metric=["store", "docs"]).body["_all"]["primaries"]
        es.indices.forcemerge(index=prefix, max_num_segments=1)
        merged = es.indices.stats(index=prefix, metric=["store", "docs"]).body["_all"]["primaries"]
    finally:
        for name in es.indices.get(index=f"{prefix}-v*", allow_no_indices=True):
            es.indices.delete(index=name)
        quiet = es.options(ignore_status=404)
        quiet.indices.delete_index_template(name=prefix)
        for part in ("settings", "mappings"):
            quiet.cluster.delete_component_template(name=f"{prefix}-{part}")
    text = sum(len(a.title.encode()) + len(a.body.encode()) for a in articles)
    return {  # per article: Lucene's docs.count also counts nested entity documents
        "articles": n,
        "lucene_docs": int(merged["docs"]["count"]),
        "text_bytes_per_article": round(text / n),
        "unmerged_bytes_per_article": round(unmerged["store"]["size_in_bytes"] / n),
        "merged_bytes_per_article": round(merged["store"]["size_in_bytes"] / n),
    }
