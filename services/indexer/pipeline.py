"""Batch → bulk → commit, with back-pressure and dead-lettering.

Delivery contract (see docs/decisions.md, "Indexer delivery"):
- offsets are committed only after every message of the batch is settled:
  indexed, already newer in ES (version conflict), or dead-lettered;
- a transient failure (ES down, 429/5xx after the client's retries) keeps the
  batch, pauses all assigned partitions and retries with exponential backoff
  while the consumer keeps polling (no rebalance, nothing buffered beyond one batch);
- a rebalance flushes once if it can, otherwise abandons the batch uncommitted;
- the dead-letter brake (akhbar.brake): when too many recent messages would be
  dead-lettered, the batch is abandoned uncommitted, every partition is paused and
  /readyz reports the brake, so a bad release backlogs instead of emptying the topic.
Since ``_id`` is the article id and versions are external, re-delivery never duplicates.

Stories (D17): before the bulk, :class:`indexer.stories.stage.StoryStage` gives every pending
article its ``story_id`` (kept across retries of the batch); after it, each settled article's
story document is upserted idempotently. Either step failing transiently retries the batch.
"""

from __future__ import annotations

import collections
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError, helpers
from elasticsearch import ConnectionError as ESConnectionError
from kafka import KafkaConsumer
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition
from prometheus_client import Counter, Gauge, Histogram

from akhbar.brake import DeadLetterBrake
from akhbar.errors import BrokerUnavailable, DocumentRejected, InvalidMessage, SearchUnavailable
from akhbar.es import TRANSIENT_STATUS
from akhbar.kafka import DeadLetterPublisher, partition_lag
from akhbar.kafka_compat import group_member_stable
from akhbar.messages import DeadLetter, EnrichedArticle, Stage, decode
from akhbar.observability import ServiceHealth
from indexer.documents import to_action, to_document
from indexer.settings import IndexerSettings
from indexer.stories.similarity import StoryParams
from indexer.stories.stage import StoryDecision, StoryStage
from indexer.stories.story_index import StoryDocumentRejected, ensure_story_index, upsert_stories

log = logging.getLogger(__name__)

DOCS = Counter("akhbar_indexer_documents_total", "Documents settled, by outcome", ["outcome"])
BULK_SECONDS = Histogram("akhbar_indexer_bulk_seconds", "Duration of one bulk round trip")
BATCH_DOCS = Histogram(
    "akhbar_indexer_batch_documents",
    "Documents per flushed batch",
    buckets=(1, 5, 10, 50, 100, 250, 500, 1000, 2500),
)
STORY_UPDATES = Counter("akhbar_indexer_story_updates_total", "Story document upserts, by result", ["result"])
RETRIES = Counter(
    "akhbar_indexer_transient_failures_total", "Bulk attempts that failed transiently", ["kind"]
)
PAUSED = Gauge("akhbar_indexer_paused", "1 while partitions are paused for back-pressure")
COMMITS = Counter("akhbar_indexer_commits_total", "Offset commits, by result", ["result"])
CONSUMER_REBUILDS = Counter(
    "akhbar_indexer_consumer_rebuilds_total", "Kafka consumers replaced after a wedged group join"
)

_LAG_EVERY_S = 1.0


class BrakeEngaged(Exception):
    """Raised inside a flush or a poll step when the dead-letter brake refuses a letter."""


_REASON_CHARS = 300  # ES echoes field values in reasons; a 40 KB term must not flood the envelope


def _es_reason(error: object) -> str:
    """'reason; caused by type: reason', each part cut to a readable length."""
    if not isinstance(error, dict):
        return str(error)[:_REASON_CHARS]
    reason = str(error.get("reason", ""))[:_REASON_CHARS]
    caused = error.get("caused_by")
    if isinstance(caused, dict):
        reason += f"; caused by {caused.get('type')}: {str(caused.get('reason', ''))[:_REASON_CHARS]}"
    return reason


@dataclass
class _Pending:
    tp: TopicPartition
    offset: int
    key: bytes | None
    value: bytes
    article: EnrichedArticle
    document: dict[str, Any] | None = None
    story: StoryDecision | None = None


@dataclass
class Batch:
    """Messages read but not yet settled, and the offsets to commit once they are."""

    pending: list[_Pending] = field(default_factory=list)
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    size_bytes: int = 0
    started: float | None = None

    def note_offset(self, tp: TopicPartition, offset: int, now: float) -> None:
        self.offsets[tp] = max(self.offsets.get(tp, -1), offset + 1)
        if self.started is None:
            self.started = now

    def drop_partitions(self, tps: set[TopicPartition]) -> None:
        self.pending = [p for p in self.pending if p.tp not in tps]
        self.offsets = {tp: o for tp, o in self.offsets.items() if tp not in tps}
        if not self.offsets:
            self.size_bytes, self.started = 0, None

    def __bool__(self) -> bool:
        return bool(self.offsets)


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, indexer: BatchIndexer) -> None:
        self._indexer = indexer

    def on_partitions_revoked(self, revoked: Any) -> None:
        self._indexer.on_revoked(set(revoked))

    def on_partitions_assigned(self, assigned: Any) -> None:
        log.info(
            "partitions assigned",
            extra={"partitions": sorted(f"{tp.topic}[{tp.partition}]" for tp in assigned)},
        )


class BatchIndexer:
    def __init__(
        self,
        consumer: KafkaConsumer,
        es: Elasticsearch,
        dlq: DeadLetterPublisher,
        settings: IndexerSettings,
        *,
        index: str | None = None,
        heartbeat: ServiceHealth | None = None,
        clock: Callable[[], float] = time.monotonic,
        consumer_factory: Callable[[], KafkaConsumer] | None = None,
        commit_offsets: bool = True,
    ) -> None:
        self._consumer = consumer
        # False for a consumer without a group (reindex): settled offsets are only remembered
        self._commit_offsets = commit_offsets
        # makes a fresh consumer when this one wedges in its group join (see _watch_group); None:
        # raise BrokerUnavailable instead and let the supervisor restart the process
        self._consumer_factory = consumer_factory
        self._unassigned_since: float | None = None
        self._es = es
        self._dlq = dlq
        self._settings = settings
        self._index = index or settings.write_alias
        self._heartbeat = heartbeat or ServiceHealth("indexer", consumer=True)
        self._brake = DeadLetterBrake(
            "indexer", ratio=settings.dlq_brake_ratio, window=settings.dlq_brake_window
        )
        self._committed: dict[TopicPartition, int] = {}
        self._lag_at = 0.0
        self._clock = clock
        self._batch = Batch()
        self._retry_at: float | None = None
        self._backoff_s = settings.retry_initial_backoff_ms / 1000
        self._stopping = False
        self.settled = 0
        self.read = 0  # messages taken from Kafka
        self.outcomes: collections.Counter[str] = collections.Counter()  # this instance's DOCS
        self.stories: StoryStage | None = None
        if settings.stories_enabled:
            self.stories = StoryStage.for_elasticsearch(
                es,
                StoryParams.load(settings.story_params_file),
                target_index=self._index,
                # live: the write alias alone; a reindex (an index by name) also reads the old index
                read_alias=settings.read_alias if self._index != settings.write_alias else self._index,
                stories_index=settings.stories_index,
                k=settings.story_candidates,
                window_hours=settings.story_window_hours,
                recent_members=settings.story_recent_members,
                recent_seconds=settings.story_recent_seconds,
            )

    def rebalance_listener(self) -> ConsumerRebalanceListener:
        return _Rebalance(self)

    @property
    def consumer(self) -> KafkaConsumer:
        """The consumer in use (a new one after a rebuild): close this one on shutdown."""
        return self._consumer

    # -- main loop -----------------------------------------------------------------
    def run(
        self,
        *,
        max_messages: int | None = None,
        idle_exit_s: float | None = None,
        until: dict[TopicPartition, int] | None = None,
    ) -> None:
        """Poll, batch and flush until :meth:`stop`; optionally stop after N settled, when idle, or
        once every partition of ``until`` is settled up to its offset (a reindex's end offsets)."""
        last_activity = self._clock()
        while not self._stopping:
            if until is not None and self.reached(until):
                break
            records = self._consumer.poll(timeout_ms=100, max_records=self._settings.max_batch_size)
            self._heartbeat.beat()
            now = self._clock()
            assignment = self._consumer.assignment()
            assigned = bool(assignment)
            if records or not assigned:
                last_activity = now  # idle time counts only once partitions are assigned
            self._report(assignment, now)
            self._watch_group(assigned, now)
            if self._brake.engaged:
                if until is not None:  # a bounded run (reindex) reports the brake instead of waiting
                    raise BrakeEngaged(self._brake.engaged_reason)
                continue  # stopped on purpose: poll (stay in the group), settle nothing, commit nothing
            try:
                for tp, messages in records.items():
                    for message in messages:
                        self._accept(tp, message.offset, message.key, message.value, now)
                if self._due(now):
                    self._flush()
            except BrakeEngaged:
                self._engage_brake()
                continue
            if max_messages is not None and self.settled >= max_messages:
                break
            if idle_exit_s is not None and not self._batch and now - last_activity > idle_exit_s:
                break
        self.close()

    def mark_settled(self, offsets: dict[TopicPartition, int]) -> None:
        """Offsets already settled by an earlier run (a resumed reindex starts from them)."""
        self._committed.update(offsets)

    def reached(self, offsets: dict[TopicPartition, int]) -> bool:
        """Whether every partition is settled (committed, or remembered without a group) to ``offsets``."""
        return all(self._committed.get(tp, 0) >= end for tp, end in offsets.items() if end > 0)

    def _report(self, assignment: set[TopicPartition], now: float) -> None:
        """Feed /readyz and the lag gauge (once a second; no I/O)."""
        if now - self._lag_at < _LAG_EVERY_S:
            return
        self._lag_at = now
        self._heartbeat.set_assignment((tp.topic, tp.partition) for tp in assignment)
        stable = group_member_stable(self._consumer)
        if assignment or stable:
            self._heartbeat.set_connected(True)
        else:
            self._heartbeat.set_connected(False, "no group coordinator / not a stable group member")
        settled = {tp: o for tp, o in self._committed.items() if tp in assignment}
        self._heartbeat.set_lag(partition_lag(self._consumer, settled))

    def _engage_brake(self) -> None:
        """Abandon the batch uncommitted and pause every partition: the backlog waits in Kafka."""
        assigned = self._consumer.assignment()
        if assigned:
            self._consumer.pause(*assigned)
        self._batch = Batch()
        self._heartbeat.set_blocked(self._brake.engaged_reason)
        PAUSED.set(1)

    def _dead_letter(self, letter: DeadLetter) -> None:
        if not self._brake.allow_dead_letter():
            raise BrakeEngaged(self._brake.engaged_reason)
        self._dlq.publish(letter)
        DOCS.labels("dead_lettered").inc()
        self.outcomes["dead_lettered"] += 1
        self._heartbeat.progressed()

    def _watch_group(self, assigned: bool, now: float) -> None:
        """Replace a consumer that has had no partitions and no stable group membership for
        ``group_stall_s``. A member without partitions in a STABLE group (more members than
        partitions) is left alone; a kafka-python 3.0.12 client that stopped heart-beating after a
        rebalance and never rejoined is not (it would poll an empty assignment for ever)."""
        if assigned:
            self._unassigned_since = None
            return
        if self._unassigned_since is None:
            self._unassigned_since = now
            return
        stalled_s = now - self._unassigned_since
        if stalled_s <= self._settings.group_stall_s or group_member_stable(self._consumer) is not False:
            return
        CONSUMER_REBUILDS.inc()
        topics = sorted(self._consumer.subscription() or ())
        log.error(
            "kafka consumer has had no partitions and no stable group membership; replacing it",
            extra={"stalled_s": round(stalled_s), "topics": topics},
        )
        if self._consumer_factory is None:
            raise BrokerUnavailable(f"kafka consumer wedged in its group join for {stalled_s:.0f} s")
        try:
            self._consumer.close(autocommit=False, timeout_ms=5000)
        except Exception as err:  # a wedged client may not close cleanly; it is dropped anyway
            log.warning("closing the wedged consumer failed", extra={"error": repr(err)})
        # nothing uncommitted is lost: whoever gets the partitions re-reads from the last commit
        self._batch = Batch()
        self._committed.clear()
        self._consumer = self._consumer_factory()
        self._consumer.subscribe(topics, listener=self.rebalance_listener())
        self._unassigned_since = now

    def stop(self) -> None:
        """Signal-safe: the loop finishes its current step, flushes once and exits."""
        self._stopping = True

    def close(self) -> None:
        if self._batch:
            try:
                self._flush(final=True)
            except (SearchUnavailable, BrakeEngaged):
                log.warning("shutdown with an unwritten batch; it was not committed and will be re-read")

    # -- batching ------------------------------------------------------------------
    def _accept(
        self, tp: TopicPartition, offset: int, key: bytes | None, value: bytes | None, now: float
    ) -> None:
        self.read += 1
        try:
            article = decode(EnrichedArticle, value, topic=tp.topic, partition=tp.partition, offset=offset)
        except InvalidMessage as err:
            self._dead_letter(
                DeadLetter.build(
                    stage=Stage.INDEXER,
                    error=err,
                    original=value,
                    key=key,
                    topic=tp.topic,
                    partition=tp.partition,
                    offset=offset,
                    reason=err.reason,
                )
            )
            self._batch.note_offset(tp, offset, now)
            self.settled += 1
            return
        self._batch.pending.append(_Pending(tp, offset, key, value or b"", article))
        self._batch.size_bytes += len(value or b"")
        self._batch.note_offset(tp, offset, now)

    def _due(self, now: float) -> bool:
        if not self._batch:
            return False
        if self._retry_at is not None:
            return now >= self._retry_at
        b = self._batch
        return (
            len(b.pending) >= self._settings.max_batch_size
            or b.size_bytes >= self._settings.max_batch_bytes
            or (b.started is not None and (now - b.started) * 1000 >= self._settings.max_batch_time_ms)
            or not b.pending
        )

    # -- flushing ------------------------------------------------------------------
    def _flush(self, *, final: bool = False) -> None:
        try:
            self._write(self._batch.pending)
        except SearchUnavailable as err:
            RETRIES.labels(type(err.__cause__).__name__ if err.__cause__ else "bulk").inc()
            if final:
                raise
            self._back_off(err)
            return
        BATCH_DOCS.observe(len(self._batch.pending))
        self._commit(self._batch.offsets)
        self.settled += len(self._batch.pending)
        self._batch = Batch()
        if self._retry_at is not None:
            self._resume()

    def _write(self, pending: list[_Pending]) -> None:
        """Bulk the pending documents; leaves in ``pending`` only those still to retry."""
        if not pending:
            return
        retry: list[_Pending] = []
        settled: list[_Pending] = []
        self._decide_stories(pending)
        started = time.perf_counter()
        try:
            results = helpers.streaming_bulk(
                self._es,
                (
                    to_action(
                        p.article,
                        index=self._index,
                        document=p.document,
                        story=p.story.document_fields() if p.story is not None else None,
                    )
                    for p in pending
                ),
                chunk_size=self._settings.max_batch_size,
                max_chunk_bytes=self._settings.max_batch_bytes * 2,
                raise_on_error=False,
                raise_on_exception=True,
                max_retries=0,  # 429s come back as transient results; our backoff retries them in order
            )
            # Without the helper's retries, results arrive in the order of the actions.
            for p, (ok, item) in zip(pending, results, strict=True):
                op = next(iter(item.values()))
                if ok:
                    DOCS.labels("indexed").inc()
                    self.outcomes["indexed"] += 1
                    self._brake.record_ok()
                    settled.append(p)
                    continue
                status = int(op.get("status", 0))
                error = op.get("error") or {}
                etype = error.get("type", "unknown") if isinstance(error, dict) else str(error)
                if status == 409 and etype == "version_conflict_engine_exception":
                    DOCS.labels("stale").inc()  # ES already holds this revision or a newer one
                    self.outcomes["stale"] += 1
                    self._brake.record_ok()
                    settled.append(p)
                elif status in TRANSIENT_STATUS:
                    retry.append(p)
                else:
                    rejected = DocumentRejected(status, etype, _es_reason(error))
                    self._dead_letter(
                        DeadLetter.build(
                            stage=Stage.INDEXER,
                            error=rejected,
                            original=p.value,
                            key=p.key,
                            topic=p.tp.topic,
                            partition=p.tp.partition,
                            offset=p.offset,
                            url=p.article.url,
                            reason=str(rejected),
                        )
                    )
        except (ESConnectionError, TransportError, ApiError) as err:
            raise SearchUnavailable(f"bulk of {len(pending)} documents failed: {err}") from err
        finally:
            BULK_SECONDS.observe(time.perf_counter() - started)
        try:
            self._write_story_updates(settled)
        except SearchUnavailable:
            pending[:] = retry + settled  # the dead-lettered are done; the rest is written again
            raise
        if retry:
            pending[:] = retry
            raise SearchUnavailable(f"{len(retry)} documents got a transient status; will retry")

    def _decide_stories(self, pending: list[_Pending]) -> None:
        """Story ids for the pending articles that have none yet (a retry keeps earlier ones)."""
        if self.stories is None:
            return
        undecided = [p for p in pending if p.story is None]
        for p in undecided:
            if p.document is None:
                p.document = to_document(p.article)
        items = [(p.article, list(p.document["entity_keys"]) if p.document else []) for p in undecided]
        for p, decision in zip(undecided, self.stories.decide(items), strict=True):
            p.story = decision

    def _make_story_index(self) -> None:
        s = self._settings
        ensure_story_index(
            self._es,
            s.stories_index,
            shards=s.index_shards,
            replicas=s.index_replicas,
            refresh_interval=s.refresh_interval,
        )

    def _write_story_updates(self, settled: list[_Pending]) -> None:
        """Add the settled articles to their story documents (idempotent: a member already held
        changes nothing, so a retry of the whole batch never double counts). A transient failure
        raises SearchUnavailable; a permanent refusal is logged and counted, not dead-lettered:
        the articles themselves are indexed, only the story document lags."""
        stage = self.stories
        if stage is None:
            return
        members = [
            stage.member(p.article, p.story, list(p.document["entity_keys"]) if p.document else [])
            for p in settled
            if p.story is not None
        ]
        if not members:
            return
        stage.written([m.article_id for m in members])
        try:
            counts = upsert_stories(
                self._es, stage.stories_index, members, on_missing_index=self._make_story_index
            )
        except StoryDocumentRejected as err:
            STORY_UPDATES.labels("rejected").inc()
            log.error("story document refused", extra={"error": str(err)})
            return
        for result, n in counts.items():
            STORY_UPDATES.labels(result).inc(n)

    def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        if not offsets:
            return
        if not self._commit_offsets:
            self._committed.update(offsets)
            self._heartbeat.committed()
            return
        try:
            self._consumer.commit({tp: OffsetAndMetadata(o, "", -1) for tp, o in offsets.items()})
            COMMITS.labels("ok").inc()
            self._heartbeat.committed()
            self._committed.update(offsets)
        except CommitFailedError as err:
            # The group rebalanced; the new owner re-reads and re-indexes idempotently.
            COMMITS.labels("failed").inc()
            log.warning("offset commit failed after rebalance", extra={"error": str(err)})
        except KafkaError as err:
            COMMITS.labels("failed").inc()
            log.warning("offset commit failed", extra={"error": str(err)})

    # -- back-pressure -------------------------------------------------------------
    def _back_off(self, err: Exception) -> None:
        assigned = self._consumer.assignment()
        if self._retry_at is None and assigned:
            self._consumer.pause(*assigned)
            PAUSED.set(1)
        # jitter around the current step, never past the cap: the cap bounds recovery after an outage
        delay = min(self._backoff_s * (0.5 + random.random()), self._settings.retry_max_backoff_ms / 1000)
        self._retry_at = self._clock() + delay
        self._backoff_s = min(self._backoff_s * 2, self._settings.retry_max_backoff_ms / 1000)
        self._heartbeat.detail["paused"] = True
        self._heartbeat.set_connected(False, f"unavailable: {str(err)[:200]}", dependency="elasticsearch")
        log.warning(
            "elasticsearch unavailable; partitions paused",
            extra={"retry_in_s": round(delay, 2), "error": str(err)[:300]},
        )

    def _resume(self) -> None:
        paused = self._consumer.paused()
        if paused:
            self._consumer.resume(*paused)
        PAUSED.set(0)
        self._retry_at = None
        self._backoff_s = self._settings.retry_initial_backoff_ms / 1000
        self._heartbeat.detail["paused"] = False
        self._heartbeat.set_connected(True, dependency="elasticsearch")
        log.info("elasticsearch healthy again; partitions resumed")

    def on_revoked(self, revoked: set[TopicPartition]) -> None:
        for tp in revoked:
            self._committed.pop(tp, None)
        if not any(tp in revoked for tp in self._batch.offsets):
            return
        try:
            if not self._brake.engaged:
                self._flush(final=True)
                return
        except (SearchUnavailable, BrakeEngaged):
            pass
        log.warning("rebalance: abandoning unwritten batch (uncommitted, will be re-read)")
        self._batch.drop_partitions(revoked)
