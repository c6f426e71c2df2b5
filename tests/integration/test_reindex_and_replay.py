"""Zero-downtime reindex from the enriched topic, and dead-letter replay, on real Kafka + ES."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer

from akhbar.kafka import DeadLetterPublisher, ensure_topics, make_consumer, make_producer
from akhbar.replay import ReplayFilter, replay_dead_letters
from indexer.index_admin import current_indices
from indexer.reindex import reindex
from indexer.settings import IndexerSettings

from .indexer_kit import article, count, produce, run_indexer

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]


def test_reindex_switches_aliases_without_failed_searches(
    settings: IndexerSettings, es: Elasticsearch
) -> None:
    produce(settings, [article(n) for n in range(40)])
    run_indexer(settings, es, expect=40)
    assert count(es, settings) == 40
    assert current_indices(es, settings.read_alias) == [f"{settings.index_prefix}-v1"]

    totals: list[int] = []
    failures: list[Exception] = []
    done = threading.Event()

    def search_continuously() -> None:
        client = Elasticsearch(settings.elasticsearch_url, request_timeout=10)
        while not done.is_set():
            try:
                res = client.search(
                    index=settings.read_alias,
                    query={"match": {"title": "الخارجيه"}},
                    size=0,
                    track_total_hits=True,
                )
                totals.append(int(res["hits"]["total"]["value"]))
            except Exception as err:  # any failed search is a test failure
                failures.append(err)

    searcher = threading.Thread(target=search_continuously)
    searcher.start()
    consumer = make_consumer(settings, group_id=None, client_id="test-reindex")
    producer = make_producer(settings, client_id="test-reindex-dlq")
    try:
        report = reindex(es, consumer, DeadLetterPublisher(producer, settings.topic_dlq_indexer), settings)
    finally:
        done.set()
        searcher.join()
        consumer.close()
        producer.close()
    assert report.new_index == f"{settings.index_prefix}-v2"
    assert (report.messages, report.indexed, report.dead_lettered) == (40, 40, 0)
    assert current_indices(es, settings.read_alias) == [f"{settings.index_prefix}-v2"]
    assert current_indices(es, settings.write_alias) == [f"{settings.index_prefix}-v2"]
    assert failures == []
    assert totals and set(totals) == {40}  # every search, before and after the switch, saw all documents
    assert count(es, settings) == 40


def test_replay_republishes_selected_dead_letters(
    settings: IndexerSettings,
    es: Elasticsearch,
    unique_name: str,
) -> None:
    immense = "ك" * 20_000
    produce(settings, [b"{broken", article(1, tags=[immense]), article(2, tags=[immense]), article(3)])
    run_indexer(settings, es, expect=4)
    target = f"{unique_name}.replayed"
    ensure_topics(settings, [target])
    consumer = make_consumer(settings, group_id=None, client_id="test-replay")
    producer = make_producer(settings, client_id="test-replay")
    try:
        dry = replay_dead_letters(
            consumer,
            producer,
            settings.topic_dlq_indexer,
            to_topic=target,
            dry_run=True,
            selection=ReplayFilter(error_class="DocumentRejected"),
        )
        assert (dry.read, dry.replayed, dry.skipped) == (3, 2, 1)
        report = replay_dead_letters(
            consumer,
            producer,
            settings.topic_dlq_indexer,
            to_topic=target,
            selection=ReplayFilter(
                reason_contains="immense term", since=datetime.now(UTC) - timedelta(hours=1)
            ),
        )
    finally:
        consumer.close()
        producer.close()
    assert (report.read, report.replayed, report.skipped, report.unreadable) == (3, 2, 1, 0)
    replayed = KafkaConsumer(
        target,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    got = {m.key.decode(): m.value for m in replayed}
    replayed.close()
    assert set(got) == {article(1).id, article(2).id}
    assert all(immense.encode() in v for v in got.values())
