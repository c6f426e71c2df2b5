"""Rebuild the index from the enriched topic into a new index version; a crash at any step loses nothing.

The enriched topic is the source of truth (D6): compacted by article id, no time retention, so it
holds the latest revision of every article. The rebuild runs the live indexer's own chain
(:class:`indexer.pipeline.BatchIndexer`: batch → bulk → dead-letter rejects → progress) on a
consumer without a group, into the new index by name. The order of the steps is the point:

1. refuse a source that is not compacted for good (older articles would be gone from it);
2. create ``<prefix>-v{N+1}`` (refresh off) marked ``_meta.akhbar_reindex.state = backfill``, or
   reuse the one a crashed run left behind no alias points at;
3. count the read index, take the end offsets E1, backfill from offset 0 to E1;
4. the new index must hold at least that count, or nothing moves (readers and writers stay put);
5. record E1 in the new index's ``_meta`` (state ``catch_up``), then move the *write* alias;
6. take the end offsets E2 and index E1 → E2: what the live indexer put into the old index
   between 3 and 5;
7. refresh, check the count again, restore the refresh interval, move the *read* alias in one
   atomic ``_aliases`` call, state ``done``.

Between 5 and 7 writers are on the new index and readers on the old one, both working; a rerun
finds the write alias ahead of the read alias and resumes at 6 from the offsets in ``_meta``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch
from kafka import KafkaConsumer
from kafka.structs import TopicPartition

from akhbar.es import make_es, wait_for_es
from akhbar.kafka import (
    SOURCE_OF_TRUTH_CONFIG,
    DeadLetterPublisher,
    make_consumer,
    make_producer,
    topic_config,
)
from indexer.index_admin import current_indices, ensure_index, ensure_templates
from indexer.pipeline import BatchIndexer, BrakeEngaged
from indexer.settings import IndexerSettings

log = logging.getLogger(__name__)

_META = "akhbar_reindex"


class ReindexRefused(Exception):
    """The rebuild cannot be trusted (source not kept for good, or the new index holds fewer
    documents); the aliases were left where they were."""


@dataclass
class ReindexReport:
    old_indices: list[str]
    new_index: str
    messages: int
    indexed: int
    dead_lettered: int
    stale: int = 0
    old_count: int = 0
    new_count: int = 0
    resumed: bool = False
    end_offsets: dict[str, int] = field(default_factory=dict)


def next_index_name(settings: IndexerSettings, existing: list[str]) -> str:
    pattern = re.compile(rf"^{re.escape(settings.index_prefix)}-v(\d+)$")
    versions = [int(m.group(1)) for name in existing if (m := pattern.match(name))]
    return f"{settings.index_prefix}-v{max(versions, default=0) + 1}"


def _all_versions(es: Elasticsearch, settings: IndexerSettings) -> list[str]:
    return sorted(es.indices.get(index=f"{settings.index_prefix}-v*", expand_wildcards="all").body.keys())


def check_source(settings: IndexerSettings) -> None:
    """Refuse a reindex whose source may have lost articles to time retention."""
    config = topic_config(settings, settings.topic_enriched)
    policy = {p.strip() for p in config.get("cleanup.policy", "delete").split(",")}
    retention = config.get("retention.ms")
    if policy == {"compact"} or (retention == "-1" and "compact" in policy):
        return
    raise ReindexRefused(
        f"topic {settings.topic_enriched} has cleanup.policy={','.join(sorted(policy))} "
        f"retention.ms={retention or 'broker default'}: articles older than its retention are gone, "
        f"so a rebuild would drop them. Give it {SOURCE_OF_TRUTH_CONFIG} (`python -m akhbar.provision "
        "--skip-elasticsearch` does) and index the missing ones first, or keep the current index."
    )


def _meta(es: Elasticsearch, index: str) -> dict[str, Any]:
    mapping = es.indices.get_mapping(index=index).body.get(index, {}).get("mappings", {})
    return dict((mapping.get("_meta") or {}).get(_META) or {})


def _set_meta(es: Elasticsearch, index: str, **state: Any) -> None:
    mapping = es.indices.get_mapping(index=index).body.get(index, {}).get("mappings", {})
    meta = dict(mapping.get("_meta") or {})
    meta[_META] = {**(meta.get(_META) or {}), **state}
    es.indices.put_mapping(index=index, meta=meta)


def _count(es: Elasticsearch, index: str | list[str]) -> int:
    if not index:
        return 0
    es.indices.refresh(index=index)
    return int(es.count(index=index).body["count"])


def _orphan(es: Elasticsearch, settings: IndexerSettings, attached: set[str]) -> str | None:
    """A new index left by a run that crashed before moving any alias."""
    for index in reversed(_all_versions(es, settings)):
        if index not in attached and _meta(es, index).get("state") == "backfill":
            return index
    return None


def _drive(
    es: Elasticsearch,
    consumer: KafkaConsumer,
    dlq: DeadLetterPublisher,
    settings: IndexerSettings,
    index: str,
    start: dict[TopicPartition, int] | None,
    until: dict[TopicPartition, int],
) -> BatchIndexer:
    """Index ``start`` (None: the beginning) → ``until`` through the live chain into ``index``."""
    tps = sorted(until, key=lambda tp: tp.partition)
    consumer.assign(tps)
    if start is None:
        consumer.seek_to_beginning(*tps)
    else:
        for tp in tps:
            consumer.seek(tp, start.get(tp, 0))
    chain = BatchIndexer(consumer, es, dlq, settings, index=index, commit_offsets=False)
    if start is not None:
        chain.mark_settled(start)
    try:
        chain.run(until=until)
    except BrakeEngaged as err:
        raise ReindexRefused(f"the dead-letter brake engaged while reindexing into {index}: {err}") from err
    return chain


def reindex(
    es: Elasticsearch,
    consumer: KafkaConsumer,
    dlq: DeadLetterPublisher,
    settings: IndexerSettings,
    *,
    check: bool = True,
) -> ReindexReport:
    """``consumer`` must have no group; partitions are assigned here. Raises ReindexRefused."""
    if check:
        check_source(settings)
    ensure_templates(es, settings)
    old_read = current_indices(es, settings.read_alias)
    old_write = current_indices(es, settings.write_alias)
    parts = consumer.partitions_for_topic(settings.topic_enriched) or set()
    tps = [TopicPartition(settings.topic_enriched, p) for p in sorted(parts)]
    messages = indexed = dead = stale = 0

    resumed = bool(old_write) and old_write != old_read and _meta(es, old_write[0]).get("state") == "catch_up"
    if resumed:
        new_index = old_write[0]
        recorded = _meta(es, new_index)["e1"]
        e1 = {TopicPartition(settings.topic_enriched, int(p)): o for p, o in recorded.items()}
        old_count = _count(es, old_read)
        log.info("resuming an interrupted reindex", extra={"new_index": new_index, "old": old_read})
    else:
        new_index = _orphan(es, settings, set(old_read) | set(old_write)) or next_index_name(
            settings, _all_versions(es, settings)
        )
        if not es.indices.exists(index=new_index):
            es.indices.create(
                index=new_index,
                settings={"index": {"refresh_interval": "-1"}},
                mappings={"_meta": {_META: {"state": "backfill"}}},
            )
        old_count = _count(es, old_read)  # everything in it came from offsets below E1
        e1 = consumer.end_offsets(tps) if tps else {}
        log.info("backfilling", extra={"new_index": new_index, "old": old_read, "old_count": old_count})
        chain = _drive(es, consumer, dlq, settings, new_index, None, e1)
        messages += chain.read
        indexed, dead = chain.outcomes["indexed"], chain.outcomes["dead_lettered"]
        stale = chain.outcomes["stale"]
        backfilled = _count(es, new_index)
        if backfilled < old_count:
            raise ReindexRefused(
                f"{new_index} holds {backfilled} documents after the backfill, {old_read} held "
                f"{old_count}; aliases not moved (the topic is missing articles the index has)"
            )
        _set_meta(es, new_index, state="catch_up", e1={str(tp.partition): o for tp, o in e1.items()})
        moves: list[dict[str, object]] = [
            {"add": {"index": new_index, "alias": settings.write_alias, "is_write_index": True}}
        ]
        moves += [
            {"remove": {"index": i, "alias": settings.write_alias}} for i in old_write if i != new_index
        ]
        es.indices.update_aliases(actions=moves)
        log.info("write alias moved; catching up", extra={"new_index": new_index})

    e2 = consumer.end_offsets(tps) if tps else {}
    chain = _drive(es, consumer, dlq, settings, new_index, e1, e2)
    messages += chain.read
    indexed += chain.outcomes["indexed"]
    dead += chain.outcomes["dead_lettered"]
    stale += chain.outcomes["stale"]
    es.indices.put_settings(
        index=new_index, settings={"index": {"refresh_interval": settings.refresh_interval}}
    )
    new_count = _count(es, new_index)
    old_count = max(old_count, _count(es, [i for i in old_read if i != new_index]))
    if new_count < old_count:
        raise ReindexRefused(
            f"{new_index} holds {new_count} documents, {old_read} {old_count}: the read alias stays on "
            f"{old_read} (writers are on {new_index}); rerun to resume once the cause is fixed"
        )
    swap: list[dict[str, object]] = [{"add": {"index": new_index, "alias": settings.read_alias}}]
    swap += [{"remove": {"index": i, "alias": settings.read_alias}} for i in old_read if i != new_index]
    es.indices.update_aliases(actions=swap)
    try:
        _set_meta(es, new_index, state="done")
    except ApiError as err:  # the swap is done; a stale marker only makes a rerun start afresh
        log.warning("could not mark the reindex done", extra={"error": str(err)})
    log.info(
        "read alias switched",
        extra={"new_index": new_index, "messages": messages, "indexed": indexed, "count": new_count},
    )
    return ReindexReport(
        old_read,
        new_index,
        messages,
        indexed,
        dead,
        stale=stale,
        old_count=old_count,
        new_count=new_count,
        resumed=resumed,
        end_offsets={str(tp.partition): o for tp, o in e2.items()},
    )


def run_reindex(settings: IndexerSettings, *, wait_s: float = 120.0) -> ReindexReport:
    """:func:`reindex` with the clients made from ``settings``: what ``akhbar reindex`` runs."""
    es = make_es(settings, request_timeout=120)
    wait_for_es(es, timeout_s=wait_s)
    ensure_index(es, settings)
    consumer = make_consumer(settings, group_id=None, client_id="akhbar-reindex")
    try:
        producer = make_producer(settings, client_id="akhbar-reindex-dlq")
    except BaseException:
        consumer.close()
        raise
    try:
        dlq = DeadLetterPublisher(
            producer, settings.topic_dlq_indexer, max_message_bytes=settings.max_message_bytes
        )
        return reindex(es, consumer, dlq, settings)
    finally:
        consumer.close()
        producer.close()
