"""Rebuild the index from the enriched topic into a new index version, with zero downtime.

Order matters:
1. create ``<prefix>-v{N+1}`` from the template, refresh relaxed for the backfill;
2. move the *write* alias to it at once, so the live indexer's new documents land there;
3. read the enriched topic from offset 0 up to the end offsets taken at step 2 and bulk
   everything (external versions: an old revision never overwrites a newer live write);
4. restore the refresh interval, refresh, then move the *read* alias in one atomic
   ``_aliases`` call. Searches see the old index until that instant, the new one after.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from elasticsearch import Elasticsearch, helpers
from kafka import KafkaConsumer
from kafka.structs import TopicPartition

from akhbar.errors import InvalidMessage
from akhbar.es import make_es, wait_for_es
from akhbar.kafka import DeadLetterPublisher, make_consumer, make_producer
from akhbar.messages import DeadLetter, EnrichedArticle, Stage, decode
from indexer.documents import to_action
from indexer.index_admin import current_indices, ensure_index, ensure_templates
from indexer.settings import IndexerSettings

log = logging.getLogger(__name__)


@dataclass
class ReindexReport:
    old_indices: list[str]
    new_index: str
    messages: int
    indexed: int
    dead_lettered: int


def next_index_name(settings: IndexerSettings, existing: list[str]) -> str:
    pattern = re.compile(rf"^{re.escape(settings.index_prefix)}-v(\d+)$")
    versions = [int(m.group(1)) for name in existing if (m := pattern.match(name))]
    return f"{settings.index_prefix}-v{max(versions, default=0) + 1}"


def _all_versions(es: Elasticsearch, settings: IndexerSettings) -> list[str]:
    return sorted(es.indices.get(index=f"{settings.index_prefix}-v*", expand_wildcards="all").body.keys())


def reindex(
    es: Elasticsearch,
    consumer: KafkaConsumer,
    dlq: DeadLetterPublisher,
    settings: IndexerSettings,
    *,
    batch_size: int = 1000,
) -> ReindexReport:
    """``consumer`` must have no group subscription; partitions are assigned here."""
    ensure_templates(es, settings)
    old_read = current_indices(es, settings.read_alias)
    old_write = current_indices(es, settings.write_alias)
    new_index = next_index_name(settings, _all_versions(es, settings))
    es.indices.create(index=new_index, settings={"index": {"refresh_interval": "-1"}})
    actions: list[dict[str, object]] = [
        {"add": {"index": new_index, "alias": settings.write_alias, "is_write_index": True}}
    ]
    actions += [{"remove": {"index": i, "alias": settings.write_alias}} for i in old_write]
    es.indices.update_aliases(actions=actions)
    log.info("write alias moved; backfilling", extra={"new_index": new_index, "old": old_read})

    parts = consumer.partitions_for_topic(settings.topic_enriched) or set()
    tps = [TopicPartition(settings.topic_enriched, p) for p in sorted(parts)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    end = {tp: off for tp, off in consumer.end_offsets(tps).items() if off > 0}
    messages = indexed = dead = 0
    remaining = dict(end)
    while remaining:
        batch: list[EnrichedArticle] = []
        for tp, records in consumer.poll(timeout_ms=1000, max_records=batch_size).items():
            for record in records:
                if tp not in remaining or record.offset >= end[tp]:
                    continue
                messages += 1
                try:
                    batch.append(
                        decode(
                            EnrichedArticle,
                            record.value,
                            topic=tp.topic,
                            partition=tp.partition,
                            offset=record.offset,
                        )
                    )
                except InvalidMessage as err:
                    dlq.publish(
                        DeadLetter.build(
                            stage=Stage.INDEXER,
                            error=err,
                            original=record.value,
                            key=record.key,
                            topic=tp.topic,
                            partition=tp.partition,
                            offset=record.offset,
                            reason=err.reason,
                        )
                    )
                    dead += 1
                if record.offset + 1 >= end[tp]:
                    remaining.pop(tp, None)
        if batch:
            ok, errors = helpers.bulk(
                es,
                (to_action(a, index=new_index) for a in batch),
                raise_on_error=False,
                max_retries=5,
                initial_backoff=1,
            )
            indexed += ok
            for item in errors if isinstance(errors, list) else []:
                op = next(iter(item.values()))
                if op.get("status") != 409:  # 409: the live indexer already wrote a newer revision
                    log.warning("reindex reject", extra={"id": op.get("_id"), "error": op.get("error")})
    es.indices.put_settings(
        index=new_index, settings={"index": {"refresh_interval": settings.refresh_interval}}
    )
    es.indices.refresh(index=new_index)
    swap: list[dict[str, object]] = [{"add": {"index": new_index, "alias": settings.read_alias}}]
    swap += [{"remove": {"index": i, "alias": settings.read_alias}} for i in old_read]
    es.indices.update_aliases(actions=swap)
    log.info("read alias switched", extra={"new_index": new_index, "messages": messages, "indexed": indexed})
    return ReindexReport(old_read, new_index, messages, indexed, dead)


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
