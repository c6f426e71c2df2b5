"""The indexer against real Kafka and Elasticsearch: replays, crashes, ordering, rejects."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch

from akhbar.messages import EnrichedArticle, decode
from indexer.pipeline import BatchIndexer
from indexer.settings import IndexerSettings

from .indexer_kit import article, count, dead_letters, produce, run_indexer

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]


class CrashAfterBulk(Exception):
    """Stands in for the process dying after ES accepted the bulk and before the commit."""


class CrashingIndexer(BatchIndexer):
    def _commit(self, offsets):  # type: ignore[no-untyped-def]
        raise CrashAfterBulk

    def on_revoked(self, revoked):  # type: ignore[no-untyped-def]
        pass  # a dead process runs no rebalance callback


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
    assert (
        "caused by illegal_argument_exception: Document contains at least one immense term" in rejected.reason
    )
    assert len(rejected.reason) < 1000
    assert decode(EnrichedArticle, rejected.original()).id == article(2).id
