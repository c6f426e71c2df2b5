"""Fixtures for the indexer's integration tests: per-test topics, group and index prefix."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch

from akhbar.kafka import ensure_topics
from indexer.index_admin import ensure_index
from indexer.settings import IndexerSettings


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
        group_stall_s=20.0,  # a wedged group join (kafka-python 3.0.12) is rebuilt within a test's time
    )


@pytest.fixture
def es(settings: IndexerSettings) -> Iterator[Elasticsearch]:
    client = Elasticsearch(settings.elasticsearch_url, request_timeout=30)
    ensure_index(client, settings)
    ensure_topics(settings, [settings.topic_enriched, settings.topic_dlq_indexer])
    yield client
    for name in client.indices.get(index=f"{settings.index_prefix}-v*"):
        client.indices.delete(index=name)
    client.options(ignore_status=404).indices.delete(index=settings.stories_index)
    client.indices.delete_index_template(name=settings.index_prefix)
    for component in ("settings", "mappings"):
        client.cluster.delete_component_template(name=f"{settings.index_prefix}-{component}")
