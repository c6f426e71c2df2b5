"""Shared helpers for the indexer's integration tests (fixtures live in conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer

from akhbar.kafka import DeadLetterPublisher, make_consumer, make_producer
from akhbar.messages import DeadLetter, EnrichedArticle, LanguageGuess, TopicTag, article_id, decode, encode
from indexer.pipeline import BatchIndexer
from indexer.settings import IndexerSettings


def article(
    n: int, *, revision: int = 1, title: str | None = None, tags: list[str] | None = None
) -> EnrichedArticle:
    url = f"https://news.example.org/2026/{n}"
    return EnrichedArticle(
        id=article_id(url),
        url=url,
        source="example",
        title=title or f"خبر رقم {n} عن وزارة الخارجية",
        body=f"نص الخبر رقم {n}. استقبل الوزير أحمد الصالح وفداً.",
        fetched_at=datetime(2026, 2, 4, tzinfo=UTC),
        revision=revision,
        tags=tags or ["سياسة"],
        language=LanguageGuess(code="ar", script="Arab", confidence=0.99),
        topics=[TopicTag(code="politics", label="سياسة", score=0.9)],
    )


def produce(settings: IndexerSettings, values: list[bytes | EnrichedArticle]) -> None:
    producer = make_producer(settings, client_id="test")
    for v in values:
        if isinstance(v, EnrichedArticle):
            producer.send(settings.topic_enriched, key=v.id.encode(), value=encode(v))
        else:
            producer.send(settings.topic_enriched, key=b"junk", value=v)
    producer.flush()
    producer.close()


def run_indexer(
    settings: IndexerSettings,
    es: Elasticsearch,
    *,
    cls: type[BatchIndexer] = BatchIndexer,
    expect: int | None = None,
    idle_s: float = 3.0,
) -> BatchIndexer:
    def new_consumer() -> KafkaConsumer:
        return make_consumer(settings, group_id=settings.group_id, client_id="test-indexer")

    consumer = new_consumer()
    producer = make_producer(settings, client_id="test-dlq")
    indexer = cls(
        consumer,
        es,
        DeadLetterPublisher(producer, settings.topic_dlq_indexer),
        settings,
        consumer_factory=new_consumer,
    )
    consumer.subscribe([settings.topic_enriched], listener=indexer.rebalance_listener())
    try:
        indexer.run(max_messages=expect, idle_exit_s=idle_s)
    finally:
        indexer.consumer.close(autocommit=False)
        producer.close()
    return indexer


def count(es: Elasticsearch, settings: IndexerSettings) -> int:
    es.indices.refresh(index=settings.read_alias)
    return int(es.count(index=settings.read_alias)["count"])


def dead_letters(settings: IndexerSettings) -> list[DeadLetter]:
    consumer = KafkaConsumer(
        settings.topic_dlq_indexer,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    try:
        return [decode(DeadLetter, m.value) for m in consumer]
    finally:
        consumer.close()
