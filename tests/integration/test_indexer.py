"""The indexer against real Kafka and Elasticsearch: replays, crashes, ordering, rejects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from akhbar.kafka import DeadLetterPublisher, ensure_topics, make_consumer, make_producer
from akhbar.messages import DeadLetter, EnrichedArticle, LanguageGuess, TopicTag, article_id, decode, encode
from elasticsearch import Elasticsearch
from indexer.index_admin import ensure_index
from indexer.pipeline import BatchIndexer
from indexer.settings import IndexerSettings
from kafka import KafkaConsumer

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]


class CrashAfterBulk(Exception):
    """Stands in for the process dying after ES accepted the bulk and before the commit."""


class CrashingIndexer(BatchIndexer):
    def _commit(self, offsets):  # type: ignore[no-untyped-def]
        raise CrashAfterBulk

    def on_revoked(self, revoked):  # type: ignore[no-untyped-def]
        pass  # a dead process runs no rebalance callback


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


@pytest.fixture
def settings(kafka_bootstrap: str, es_url: str, unique_name: str) -> IndexerSettings:
    return IndexerSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        elasticsearch_url=es_url,
        topic_enriched=f"{unique_name}.enriched",
        topic_dlq_indexer=f"{unique_name}.dlq",
        index_prefix=unique_name,
        group_id=f"{unique_name}-g",
        max_batch_size=50,
        max_batch_time_ms=200,
    )


@pytest.fixture
def es(settings: IndexerSettings) -> Iterator[Elasticsearch]:
    client = Elasticsearch(settings.elasticsearch_url, request_timeout=30)
    ensure_index(client, settings)
    ensure_topics(settings, [settings.topic_enriched, settings.topic_dlq_indexer])
    yield client
    for name in client.indices.get(index=f"{settings.index_prefix}-v*"):
        client.indices.delete(index=name)
    client.indices.delete_index_template(name=settings.index_prefix)


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
    consumer = make_consumer(settings, group_id=settings.group_id, client_id="test-indexer")
    producer = make_producer(settings, client_id="test-dlq")
    indexer = cls(consumer, es, DeadLetterPublisher(producer, settings.topic_dlq_indexer), settings)
    consumer.subscribe([settings.topic_enriched], listener=indexer.rebalance_listener())
    try:
        indexer.run(max_messages=expect, idle_exit_s=idle_s)
    finally:
        consumer.close(autocommit=False)
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


def test_replay_never_duplicates(settings: IndexerSettings, es: Elasticsearch) -> None:
    batch = [article(n) for n in range(20)]
    produce(settings, batch)
    assert run_indexer(settings, es, expect=20).settled == 20
    assert count(es, settings) == 20
    produce(settings, batch)  # the same 20 articles again (an upstream replay)
    run_indexer(settings, es, expect=20)
    assert count(es, settings) == 20
    doc = es.get(index=settings.read_alias, id=batch[3].id)
    assert doc["_version"] == 1 and doc["_source"]["title"] == "خبر رقم 3 عن وزارة الخارجية"


def test_crash_between_bulk_and_commit_reindexes_without_duplicates(
    settings: IndexerSettings, es: Elasticsearch
) -> None:
    produce(settings, [article(n) for n in range(10)])
    with pytest.raises(CrashAfterBulk):
        run_indexer(settings, es, cls=CrashingIndexer, expect=10)
    assert count(es, settings) == 10  # written, but the offsets were never committed
    restarted = run_indexer(settings, es, expect=10)
    assert restarted.settled == 10  # everything re-read from the last commit
    assert count(es, settings) == 10


def test_older_revision_never_overwrites_newer(settings: IndexerSettings, es: Elasticsearch) -> None:
    produce(
        settings,
        [article(1, revision=200, title="العنوان المحدث"), article(1, revision=100, title="العنوان القديم")],
    )
    run_indexer(settings, es, expect=2)
    doc = es.get(index=settings.read_alias, id=article(1).id)["_source"]
    assert (doc["title"], doc["revision"]) == ("العنوان المحدث", 200)


def test_rejects_go_to_the_dead_letter_topic_and_the_rest_is_indexed(
    settings: IndexerSettings, es: Elasticsearch
) -> None:
    immense = "ك" * 20_000  # 40,000 UTF-8 bytes: over Lucene's 32,766-byte term limit for a keyword
    produce(settings, [article(1), b"{not json", article(2, tags=[immense]), article(3)])
    run_indexer(settings, es, expect=4)
    assert count(es, settings) == 2
    assert {h["_id"] for h in es.search(index=settings.read_alias)["hits"]["hits"]} == {
        article(1).id,
        article(3).id,
    }
    letters = dead_letters(settings)
    assert len(letters) == 2
    (invalid,) = [d for d in letters if d.error_class == "InvalidMessage"]
    (rejected,) = [d for d in letters if d.error_class != "InvalidMessage"]
    assert invalid.topic == settings.topic_enriched and invalid.offset is not None
    assert invalid.original() == b"{not json" and invalid.original_key == "junk"
    assert invalid.reason.startswith("EnrichedArticle invalid")
    assert rejected.url == article(2).url and rejected.original_key == article(2).id
    assert rejected.error_class == "DocumentRejected"
    assert rejected.reason.startswith("elasticsearch 400 document_parsing_exception: ")
    assert "failed to parse field [tags]" in rejected.reason
    assert "caused by illegal_argument_exception: Document contains at least one immense term" in rejected.reason
    assert len(rejected.reason) < 1000
    assert decode(EnrichedArticle, rejected.original()).id == article(2).id
