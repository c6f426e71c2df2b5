"""A reindex that cannot lose data (issue 13, item 6), on real Kafka + Elasticsearch.

Crashes are injected where they hurt: during the backfill (before any alias moves) and between the
write-alias move and the read-alias swap. Each time readers and writers must be on a working index,
and a rerun must finish with every article of the topic, including those written meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from akhbar.kafka import DeadLetterPublisher, make_consumer, make_producer, topic_config
from akhbar.limits import kafka_limit
from indexer import reindex as reindex_module
from indexer.index_admin import current_indices
from indexer.pipeline import BatchIndexer
from indexer.reindex import ReindexRefused, ReindexReport, reindex
from indexer.settings import IndexerSettings

from .indexer_kit import article, count, produce, run_indexer

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]


class Crash(Exception):
    pass


@pytest.fixture
def run_reindex(settings: IndexerSettings, es: Elasticsearch) -> Iterator[Callable[[], ReindexReport]]:
    clients: list[Any] = []

    def run() -> ReindexReport:
        consumer = make_consumer(settings, group_id=None, client_id="test-reindex")
        producer = make_producer(settings, client_id="test-reindex-dlq")
        clients.extend([consumer, producer])
        return reindex(es, consumer, DeadLetterPublisher(producer, settings.topic_dlq_indexer), settings)

    yield run
    for client in clients:
        client.close()


def _ids(es: Elasticsearch, index: str) -> set[str]:
    es.indices.refresh(index=index)
    res = es.search(index=index, size=1000, source=False, query={"match_all": {}})
    return {hit["_id"] for hit in res["hits"]["hits"]}


def _crash_on_drive(
    monkeypatch: pytest.MonkeyPatch, call: int, after: Callable[[], None] = lambda: None
) -> None:
    """Make the ``call``-th pass over the topic (1 = backfill, 2 = catch-up) raise Crash."""
    real = reindex_module._drive
    calls = {"n": 0}

    def drive(*args: Any, **kwargs: Any) -> BatchIndexer:
        calls["n"] += 1
        if calls["n"] == call:
            after()
            raise Crash(f"crash in pass {call}")
        return real(*args, **kwargs)

    monkeypatch.setattr(reindex_module, "_drive", drive)


def test_the_enriched_topic_is_created_compacted_for_good(
    settings: IndexerSettings, es: Elasticsearch
) -> None:
    assert topic_config(settings, settings.topic_enriched) == {
        "cleanup.policy": "compact",
        "retention.ms": "-1",
        "max.message.bytes": str(kafka_limit(settings.max_message_bytes)),
    }


def test_a_source_with_time_retention_is_refused_and_nothing_moves(
    settings: IndexerSettings, es: Elasticsearch, run_reindex: Callable[[], ReindexReport]
) -> None:
    produce(settings, [article(n) for n in range(5)])
    run_indexer(settings, es, expect=5)
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    admin.alter_configs(
        [
            ConfigResource(
                ConfigResourceType.TOPIC,
                settings.topic_enriched,
                configs={"cleanup.policy": "delete", "retention.ms": "604800000"},
            )
        ]
    )
    admin.close()
    with pytest.raises(ReindexRefused, match=r"cleanup.policy=delete retention.ms=604800000"):
        run_reindex()
    v1 = f"{settings.index_prefix}-v1"
    assert current_indices(es, settings.read_alias) == current_indices(es, settings.write_alias) == [v1]
    assert sorted(es.indices.get(index=f"{settings.index_prefix}-v*").body) == [v1]


def test_crash_in_the_backfill_leaves_both_aliases_and_a_rerun_reuses_the_new_index(
    settings: IndexerSettings,
    es: Elasticsearch,
    run_reindex: Callable[[], ReindexReport],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    produce(settings, [article(n) for n in range(30)])
    run_indexer(settings, es, expect=30)
    v1, v2 = f"{settings.index_prefix}-v1", f"{settings.index_prefix}-v2"
    _crash_on_drive(monkeypatch, 1)
    with pytest.raises(Crash):
        run_reindex()
    assert current_indices(es, settings.read_alias) == current_indices(es, settings.write_alias) == [v1]
    produce(settings, [article(n) for n in range(30, 35)])  # the live indexer still writes to v1
    run_indexer(settings, es, expect=5)
    assert count(es, settings) == 35

    monkeypatch.undo()
    report = run_reindex()
    assert (report.new_index, report.resumed) == (v2, False)  # the orphan is reused, no v3
    assert (report.old_count, report.new_count, report.indexed, report.dead_lettered) == (35, 35, 35, 0)
    assert current_indices(es, settings.read_alias) == current_indices(es, settings.write_alias) == [v2]
    assert _ids(es, v2) == {article(n).id for n in range(35)}


def test_crash_after_the_write_alias_moved_keeps_readers_and_writers_working_and_a_rerun_resumes(
    settings: IndexerSettings,
    es: Elasticsearch,
    run_reindex: Callable[[], ReindexReport],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    produce(settings, [article(n) for n in range(40)])
    run_indexer(settings, es, expect=40)
    v1, v2 = f"{settings.index_prefix}-v1", f"{settings.index_prefix}-v2"
    _crash_on_drive(monkeypatch, 2)
    with pytest.raises(Crash):
        run_reindex()
    assert current_indices(es, settings.write_alias) == [v2]
    assert current_indices(es, settings.read_alias) == [v1]
    assert count(es, settings) == 40  # readers still see everything

    # The live indexer keeps writing, now into v2: 6 new articles and a newer revision of article 0.
    produce(settings, [article(n) for n in range(40, 46)] + [article(0, revision=2, title="عنوان جديد")])
    run_indexer(settings, es, expect=7)
    assert _ids(es, v2) >= {article(n).id for n in range(40, 46)}

    monkeypatch.undo()
    report = run_reindex()
    assert (report.new_index, report.resumed) == (v2, True)
    assert current_indices(es, settings.read_alias) == current_indices(es, settings.write_alias) == [v2]
    assert report.new_count == 46 and count(es, settings) == 46
    assert _ids(es, v2) == {article(n).id for n in range(46)}
    doc = es.get(index=v2, id=article(0).id)
    assert (doc["_version"], doc["_source"]["title"]) == (2, "عنوان جديد")  # the backfill never overwrote it


def test_articles_arriving_during_a_reindex_all_end_up_searchable(
    settings: IndexerSettings, es: Elasticsearch, run_reindex: Callable[[], ReindexReport]
) -> None:
    produce(settings, [article(n) for n in range(300)])
    run_indexer(settings, es, expect=300)
    stop = threading.Event()
    live_errors: list[BaseException] = []

    def live() -> None:  # the live indexer, running all along, and a stream of new articles
        try:
            for start in range(300, 400, 10):
                produce(settings, [article(n) for n in range(start, start + 10)])
                run_indexer(settings, es, expect=10, idle_s=2.0)
                if stop.is_set():
                    break
        except BaseException as err:
            live_errors.append(err)

    thread = threading.Thread(target=live)
    thread.start()
    try:
        report = run_reindex()
    finally:
        thread.join(timeout=120)
    assert not live_errors and not thread.is_alive()
    run_indexer(settings, es, idle_s=2.0)  # anything the stream left for the live indexer
    v2 = f"{settings.index_prefix}-v2"
    assert report.new_index == v2
    assert current_indices(es, settings.read_alias) == current_indices(es, settings.write_alias) == [v2]
    assert _ids(es, v2) == {article(n).id for n in range(400)}
