"""Re-publish dead-lettered messages to the topic they came from, after a fix.

Reads a dead-letter topic from the beginning up to its end offsets at start (so
letters produced by the replay itself are never re-read), filters by reason and
time, and sends each original value with its original key back to
``letter.topic`` (or ``to_topic``). Works for the enricher's and the indexer's
dead-letter topics; the fetcher's letters hold page bodies, not messages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import TopicPartition

from akhbar.errors import InvalidMessage
from akhbar.messages import DeadLetter, decode

log = logging.getLogger(__name__)


@dataclass
class ReplayFilter:
    reason_contains: str | None = None
    error_class: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def accepts(self, letter: DeadLetter) -> bool:
        if self.reason_contains and self.reason_contains not in letter.reason:
            return False
        if self.error_class and letter.error_class != self.error_class:
            return False
        if self.since and letter.failed_at < self.since:
            return False
        return not (self.until and letter.failed_at > self.until)


@dataclass
class ReplayReport:
    read: int = 0
    replayed: int = 0
    skipped: int = 0
    unreadable: int = 0
    incomplete: int = 0  # letters that hold only a prefix of an oversized original: not replayable


def replay_dead_letters(
    consumer: KafkaConsumer,
    producer: KafkaProducer,
    dlq_topic: str,
    *,
    selection: ReplayFilter,
    to_topic: str | None = None,
    dry_run: bool = False,
    limit: int | None = None,
) -> ReplayReport:
    """``consumer`` must have no subscription; it is assigned every partition of ``dlq_topic``."""
    tps = [TopicPartition(dlq_topic, p) for p in sorted(consumer.partitions_for_topic(dlq_topic) or set())]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    end = {tp: off for tp, off in consumer.end_offsets(tps).items() if off > 0}
    report = ReplayReport()
    while end and (limit is None or report.replayed < limit):
        for tp, records in consumer.poll(timeout_ms=1000).items():
            for record in records:
                if tp not in end or record.offset >= end[tp]:
                    continue
                if record.offset + 1 >= end[tp]:
                    end.pop(tp)
                report.read += 1
                try:
                    letter = decode(
                        DeadLetter, record.value, topic=tp.topic, partition=tp.partition, offset=record.offset
                    )
                except InvalidMessage as err:
                    report.unreadable += 1
                    log.warning("not a dead-letter envelope", extra={"error": str(err)})
                    continue
                target = to_topic or letter.topic
                if letter.original_truncated:
                    report.incomplete += 1
                    continue
                if (
                    not selection.accepts(letter)
                    or target is None
                    or (limit is not None and report.replayed >= limit)
                ):
                    report.skipped += 1
                    continue
                if not dry_run:
                    key = letter.original_key.encode("utf-8") if letter.original_key else None
                    producer.send(target, key=key, value=letter.original())
                report.replayed += 1
    producer.flush()
    return report
