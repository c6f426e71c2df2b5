"""Create the templates and the first versioned index behind its aliases, idempotently."""

from __future__ import annotations

import logging

from elasticsearch import ApiError, Elasticsearch

from indexer.index_design import added_properties, mappings_component, settings_component
from indexer.settings import IndexerSettings
from indexer.stories.story_index import ensure_story_index

log = logging.getLogger(__name__)


def ensure_templates(
    es: Elasticsearch, settings: IndexerSettings, *, refresh_interval: str | None = None
) -> None:
    prefix = settings.index_prefix
    es.cluster.put_component_template(
        name=f"{prefix}-settings",
        **settings_component(
            shards=settings.index_shards,
            replicas=settings.index_replicas,
            refresh_interval=refresh_interval or settings.refresh_interval,
        ),
    )
    es.cluster.put_component_template(name=f"{prefix}-mappings", **mappings_component())
    es.indices.put_index_template(
        name=prefix,
        index_patterns=[f"{prefix}-v*"],
        composed_of=[f"{prefix}-settings", f"{prefix}-mappings"],
        priority=200,
        meta={"managed_by": "akhbar-indexer"},
    )


def current_indices(es: Elasticsearch, alias: str) -> list[str]:
    try:
        return sorted(es.indices.get_alias(name=alias).body.keys())
    except ApiError as err:
        if err.meta.status == 404:
            return []
        raise


def ensure_index(es: Elasticsearch, settings: IndexerSettings) -> str:
    """Templates, then ``<prefix>-v1`` with both aliases if no index holds the write alias yet.

    Returns the index the write alias points at. The stories index (D17) is made beside it.
    """
    ensure_templates(es, settings)
    if settings.stories_enabled:
        ensure_story_index(
            es,
            settings.stories_index,
            shards=settings.index_shards,
            replicas=settings.index_replicas,
            refresh_interval=settings.refresh_interval,
        )
    existing = current_indices(es, settings.write_alias)
    if existing:
        # fields added since the index was made (akhbar.limits' truncation flags)
        es.indices.put_mapping(index=existing[0], properties=added_properties())
        return existing[0]
    index = f"{settings.index_prefix}-v1"
    try:
        es.indices.create(
            index=index,
            aliases={settings.read_alias: {}, settings.write_alias: {"is_write_index": True}},
        )
        log.info("created index", extra={"index": index})
    except ApiError as err:
        if err.error != "resource_already_exists_exception":
            raise
    return index
