"""Indexer docs/s (Kafka → BatchIndexer → ES) versus a raw ``helpers.bulk`` from memory, same node, same run.

``--docs`` enriched articles of about 3 KB each (UTF-8 title + body, built from the topic corpus's
real Arabic text, read in place, never copied) are produced to a fresh topic first (not timed). Then:

- ``raw bulk``: the same documents, already turned into bulk actions in memory, through
  ``helpers.bulk`` (chunks of ``--batch`` documents) into a fresh index of the real template;
- ``indexer``: the real ``BatchIndexer`` (poll, decode and validate every message, bulk, commit
  offsets per batch) from offset 0 until every message is settled, into another fresh index.

Raw bulk runs before and after the indexer and the mean is the reference, to even out the
shared machine. Both targets use the real index template with the same refresh interval; every
topic, group, index and template is uniquely named and deleted afterwards.

    .venv/bin/python bench/indexer_speed.py [--docs 4000] [--batch 500]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, helpers
from kafka.admin import KafkaAdminClient

from akhbar.kafka import DeadLetterPublisher, ensure_topics, make_consumer, make_producer
from akhbar.messages import EnrichedArticle, EntitySummary, LanguageGuess, TopicTag, article_id, encode
from akhbar.settings import CommonSettings
from indexer.documents import to_action
from indexer.index_admin import ensure_index
from indexer.pipeline import BatchIndexer
from indexer.settings import IndexerSettings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "topics" / "train.jsonl"
TARGET_BYTES = 3000


def make_articles(corpus: Path, n: int, seed: int) -> list[EnrichedArticle]:
    """``n`` articles of ~3 KB: a real title, and real paragraphs appended until the size is reached."""
    rows = [json.loads(ln) for ln in corpus.read_text(encoding="utf-8").split("\n") if ln.strip()]
    rng = random.Random(seed)
    rng.shuffle(rows)
    paragraphs = [p for r in rows[:5000] for p in r["text"].split("\n")[1:] if len(p) > 80]
    base = datetime(2026, 2, 1, tzinfo=UTC)
    out: list[EnrichedArticle] = []
    for i in range(n):
        row = rows[i % len(rows)]
        title = row["text"].split("\n", 1)[0][:200]
        body: list[str] = []
        size = len(title.encode())
        while size < TARGET_BYTES:
            p = paragraphs[rng.randrange(len(paragraphs))]
            body.append(p)
            size += len(p.encode()) + 1
        url = f"https://bench.example/{i}/{row['id']}"
        out.append(
            EnrichedArticle(
                id=article_id(url),
                url=url,
                source=row.get("source", "bench"),
                title=title,
                body="\n".join(body),
                published_at=base - timedelta(minutes=i),
                fetched_at=base,
                revision=1,
                tags=[row.get("label", "misc")],
                language=LanguageGuess(code="ar", script="Arab", confidence=0.99),
                entities=[
                    EntitySummary(type="LOC", name="عمّان", normalized="عمان", count=2, confidence=0.9),
                    EntitySummary(
                        type="PER", name="أحمد الصالح", normalized="احمد الصالح", count=1, confidence=0.8
                    ),
                ],
                topics=[TopicTag(code="politics", label="سياسة", score=0.8)],
                model_versions={"ner": "bench", "topics": "bench"},
            )
        )
    return out


def _settings(args: argparse.Namespace, prefix: str, topic: str) -> IndexerSettings:
    return IndexerSettings(
        kafka_bootstrap_servers=args.kafka,
        elasticsearch_url=args.es,
        index_prefix=prefix,
        topic_enriched=topic,
        topic_dlq_indexer=f"{topic}.dlq",
        group_id=f"{topic}-g",
        max_batch_size=args.batch,
        max_batch_time_ms=1000,
        topic_partitions=args.partitions,
    )


def raw_bulk(
    es: Elasticsearch, settings: IndexerSettings, articles: list[EnrichedArticle], batch: int
) -> float:
    index = ensure_index(es, settings)
    actions: list[dict[str, Any]] = [to_action(a, index=index) for a in articles]  # in memory, not timed
    started = time.perf_counter()
    ok, errors = helpers.bulk(es, actions, chunk_size=batch, max_chunk_bytes=16 * 1024 * 1024)
    elapsed = time.perf_counter() - started
    assert ok == len(articles) and not errors, errors
    return elapsed


def through_indexer(es: Elasticsearch, settings: IndexerSettings, n: int) -> float:
    ensure_index(es, settings)
    consumer = make_consumer(settings, group_id=settings.group_id, client_id="bench-indexer")
    producer = make_producer(settings, client_id="bench-dlq")
    indexer = BatchIndexer(consumer, es, DeadLetterPublisher(producer, settings.topic_dlq_indexer), settings)
    consumer.subscribe([settings.topic_enriched], listener=indexer.rebalance_listener())
    # Join the group and get the partitions before the clock starts (a rebalance is not throughput).
    while not consumer.assignment():
        consumer.poll(timeout_ms=100, max_records=1)
    consumer.seek_to_beginning()  # re-read whatever that poll returned
    try:
        started = time.perf_counter()
        indexer.run(max_messages=n)
        elapsed = time.perf_counter() - started
    finally:
        consumer.close(autocommit=False)
        producer.close()
    assert indexer.settled == n, indexer.settled
    return elapsed


def cleanup(es: Elasticsearch, prefixes: list[str], topics: list[str], kafka: str) -> None:
    for prefix in prefixes:
        for name in es.indices.get(index=f"{prefix}-v*", allow_no_indices=True):
            es.indices.delete(index=name)
        quiet = es.options(ignore_status=404)
        quiet.indices.delete(index=f"{prefix}-stories")
        quiet.indices.delete_index_template(name=prefix)
        for part in ("settings", "mappings"):
            quiet.cluster.delete_component_template(name=f"{prefix}-{part}")
    admin = KafkaAdminClient(bootstrap_servers=kafka.split(","))
    try:
        admin.delete_topics(topics)
    finally:
        admin.close()


def compare(
    kafka: str, es_url: str, articles: list[EnrichedArticle], *, batch: int = 500, partitions: int = 3
) -> dict[str, Any]:
    """docs/s of raw ``helpers.bulk`` (mean of a run before and after) and of the real indexer."""
    args = argparse.Namespace(kafka=kafka, es=es_url, batch=batch, partitions=partitions)
    run = f"bench-speed-{uuid.uuid4().hex[:8]}"
    topic = f"{run}.enriched"
    es = Elasticsearch(es_url, request_timeout=120)
    prefixes = [f"{run}-raw1", f"{run}-indexer", f"{run}-raw2"]
    s_raw1, s_idx, s_raw2 = (_settings(args, p, topic) for p in prefixes)
    try:
        ensure_topics(s_idx, [topic, s_idx.topic_dlq_indexer])
        producer = make_producer(s_idx, client_id="bench-producer")
        for a in articles:
            producer.send(topic, key=a.id.encode(), value=encode(a))
        producer.flush()
        producer.close()
        raw1 = raw_bulk(es, s_raw1, articles, batch)
        idx = through_indexer(es, s_idx, len(articles))
        raw2 = raw_bulk(es, s_raw2, articles, batch)
    finally:
        cleanup(es, prefixes, [topic, s_idx.topic_dlq_indexer], kafka)
    n = len(articles)
    raw_rate = n / ((raw1 + raw2) / 2)
    return {
        "docs": n,
        "mean_kb": round(sum(len(a.title.encode()) + len(a.body.encode()) for a in articles) / n / 1000, 2),
        "raw_bulk_docs_per_s": round(raw_rate, 1),
        "raw_bulk_runs_docs_per_s": [round(n / raw1, 1), round(n / raw2, 1)],
        "indexer_docs_per_s": round(n / idx, 1),
        "ratio": round(n / idx / raw_rate, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=4000, help="articles per side")
    parser.add_argument("--batch", type=int, default=500, help="documents per bulk (both sides)")
    parser.add_argument("--partitions", type=int, default=3, help="partitions of the bench topic")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    defaults = CommonSettings()  # ELASTICSEARCH_URL / KAFKA_BOOTSTRAP_SERVERS, as the services read them
    parser.add_argument("--es", default=defaults.elasticsearch_url)
    parser.add_argument("--kafka", default=defaults.kafka_bootstrap_servers)
    args = parser.parse_args()
    articles = make_articles(args.corpus, args.docs, args.seed)
    r = compare(args.kafka, args.es, articles, batch=args.batch, partitions=args.partitions)
    n, raw_rate, idx_rate = r["docs"], r["raw_bulk_docs_per_s"], r["indexer_docs_per_s"]
    mb = n * r["mean_kb"] / 1000
    runs = r["raw_bulk_runs_docs_per_s"]
    print(f"{n} articles, mean {r['mean_kb']:.1f} KB (title + body), batch {args.batch}")
    print(f"{'path':<34} {'docs/s':>8} {'MB/s':>6}")
    print(f"{'raw helpers.bulk (mean of 2 runs)':<34} {raw_rate:>8.0f} {mb / (n / raw_rate):>6.2f}")
    print(f"  runs: {runs[0]:.0f} and {runs[1]:.0f} docs/s")
    print(f"{'BatchIndexer (Kafka → ES)':<34} {idx_rate:>8.0f} {mb / (n / idx_rate):>6.2f}")
    print(f"ratio indexer / raw = {r['ratio']:.2f}x (goal ≥ 0.8x)")
    print(f"rerun: .venv/bin/python bench/indexer_speed.py --docs {args.docs} --batch {args.batch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
