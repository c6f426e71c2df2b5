"""Read dead-letter topics, and re-publish letters to the topic they came from after a fix.

:func:`scan_dead_letters` reads a dead-letter topic from the beginning up to its end
offsets at start (so letters produced meanwhile, by a replay for instance, are never
re-read) with a consumer that has no group: nothing is committed, a look changes nothing.
``akhbar dlq list|show`` and :func:`replay_dead_letters` both read through it.

:func:`replay_dead_letters` filters by reason and time and sends each original value
with its original key back to ``letter.topic`` (or ``to_topic``). Works for the
enricher's and the indexer's dead-letter topics; the fetcher's letters hold page bodies,
not messages.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import TopicPartition

from akhbar.errors import BrokerUnavailable, InvalidMessage
from akhbar.kafka import make_consumer, make_producer
from akhbar.messages import DeadLetter, decode
from akhbar.settings import CommonSettings

log = logging.getLogger(__name__)

_AGO = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str, *, now: datetime | None = None) -> datetime:
    """An ISO 8601 date or time (UTC when it names no offset), or a span ago: ``90m``, ``2h``, ``7d``.

    A naive time is taken as UTC: letters carry aware times, and comparing the two would fail.
    """
    text = text.strip()
    ago = _AGO.match(text)
    if ago:
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[ago.group(2)]: float(ago.group(1))})
    try:
        when = datetime.fromisoformat(text)
    except ValueError as err:
        raise ValueError(f"{text!r} is neither an ISO 8601 time nor a span like 90m, 2h or 7d") from err
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass
class ReplayFilter:
    """Which letters to take. ``reason`` matches a substring of the reason or the exact error class."""

    reason_contains: str | None = None
    error_class: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    reason: str | None = None

    def accepts(self, letter: DeadLetter) -> bool:
        if self.reason_contains and self.reason_contains not in letter.reason:
            return False
        if self.error_class and letter.error_class != self.error_class:
            return False
        if self.reason and self.reason not in letter.reason and self.reason != letter.error_class:
            return False
        if self.since and letter.failed_at < self.since:
            return False
        return not (self.until and letter.failed_at > self.until)


@dataclass(frozen=True)
class ScannedLetter:
    """One record of a dead-letter topic: the letter, or why it is not one (``error``)."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None
    letter: DeadLetter | None
    error: str | None = None


def scan_dead_letters(
    consumer: KafkaConsumer,
    dlq_topic: str,
    *,
    partition: int | None = None,
    offset: int | None = None,
    idle_timeout_s: float = 60.0,
) -> Iterator[ScannedLetter]:
    """Every record of ``dlq_topic`` up to the end offsets taken at start, by partition, then offset.

    ``consumer`` must have no subscription and no group; it is assigned one partition at a time
    (only ``partition``, from ``offset``, when given). Unknown topics yield nothing. A partition
    that yields nothing for ``idle_timeout_s`` before its end raises ``BrokerUnavailable``.
    """
    parts = sorted(consumer.partitions_for_topic(dlq_topic) or set())
    if partition is not None:
        parts = [p for p in parts if p == partition]
    for tp in (TopicPartition(dlq_topic, p) for p in parts):
        consumer.assign([tp])
        first = consumer.beginning_offsets([tp])[tp]
        end = consumer.end_offsets([tp])[tp]
        begin = first if offset is None else offset
        if not first <= begin < end:
            continue
        consumer.seek(tp, begin)
        yield from _read_partition(consumer, tp, end, idle_timeout_s)


def _read_partition(
    consumer: KafkaConsumer, tp: TopicPartition, end: int, idle_timeout_s: float
) -> Iterator[ScannedLetter]:
    quiet_since = time.monotonic()
    while consumer.position(tp) < end:
        batch = consumer.poll(timeout_ms=1000).get(tp, [])
        if not batch:
            if time.monotonic() - quiet_since > idle_timeout_s:
                raise BrokerUnavailable(
                    f"no records from {tp.topic}[{tp.partition}] for {idle_timeout_s:g} s"
                )
            continue
        quiet_since = time.monotonic()
        for record in batch:
            if record.offset >= end:
                return
            try:
                letter: DeadLetter | None = decode(
                    DeadLetter, record.value, topic=tp.topic, partition=tp.partition, offset=record.offset
                )
                error = None
            except InvalidMessage as err:
                letter, error = None, str(err)
            yield ScannedLetter(tp.topic, tp.partition, record.offset, record.timestamp, letter, error)


@dataclass
class ReplayReport:
    read: int = 0
    replayed: int = 0
    skipped: int = 0
    unreadable: int = 0
    incomplete: int = 0  # letters that hold only a prefix of an oversized original: not replayable

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


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
    report = ReplayReport()
    for scanned in scan_dead_letters(consumer, dlq_topic):
        if limit is not None and report.replayed >= limit:
            break
        report.read += 1
        letter = scanned.letter
        if letter is None:
            report.unreadable += 1
            log.warning("not a dead-letter envelope", extra={"error": scanned.error})
            continue
        target = to_topic or letter.topic
        if letter.original_truncated:
            report.incomplete += 1
            continue
        if not selection.accepts(letter) or target is None:
            report.skipped += 1
            continue
        if not dry_run:
            key = letter.original_key.encode("utf-8") if letter.original_key else None
            producer.send(target, key=key, value=letter.original())
        report.replayed += 1
    producer.flush()
    return report


def replay_from_settings(
    settings: CommonSettings,
    dlq_topic: str,
    *,
    selection: ReplayFilter,
    to_topic: str | None = None,
    dry_run: bool = False,
    limit: int | None = None,
) -> ReplayReport:
    """:func:`replay_dead_letters` with a throwaway consumer and a producer made from ``settings``."""
    consumer = make_consumer(settings, group_id=None, client_id="akhbar-replay")
    try:
        producer = make_producer(settings, client_id="akhbar-replay")
    except BaseException:
        consumer.close()
        raise
    try:
        return replay_dead_letters(
            consumer,
            producer,
            dlq_topic,
            to_topic=to_topic,
            dry_run=dry_run,
            limit=limit,
            selection=selection,
        )
    finally:
        consumer.close()
        producer.close()
