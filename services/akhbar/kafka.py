"""kafka-python at the boundary: producer/consumer factories, topic creation, DLQ publishing.

Kafka exceptions are translated here into :class:`akhbar.errors.BrokerUnavailable`;
services never catch kafka-python's own errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from akhbar import kafka_compat
from akhbar.errors import BrokerUnavailable
from akhbar.messages import DeadLetter, encode
from akhbar.settings import CommonSettings

log = logging.getLogger(__name__)
kafka_compat.apply()  # bounded cross-thread waits for kafka-python 3.0.12 (see kafka_compat)


def _servers(settings: CommonSettings) -> list[str]:
    return [s.strip() for s in settings.kafka_bootstrap_servers.split(",") if s.strip()]


def make_producer(settings: CommonSettings, *, client_id: str, **overrides: Any) -> KafkaProducer:
    """Durable producer: acks=all + idempotence, so a retried send never duplicates in the log."""
    config: dict[str, Any] = {
        "bootstrap_servers": _servers(settings),
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "compression_type": "gzip",
        "linger_ms": 20,
        "retries": 2**31 - 1,
        "delivery_timeout_ms": 120_000,
        "max_request_size": 8 * 1024 * 1024,
    }
    config.update(overrides)
    try:
        return KafkaProducer(**config)
    except KafkaError as err:
        raise BrokerUnavailable(f"cannot create producer for {config['bootstrap_servers']}: {err}") from err


def make_consumer(
    settings: CommonSettings, *topics: str, group_id: str | None, client_id: str, **overrides: Any
) -> KafkaConsumer:
    """Manual-commit consumer: offsets are committed by the caller after the work is done."""
    config: dict[str, Any] = {
        "bootstrap_servers": _servers(settings),
        "group_id": group_id,
        "client_id": client_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
        "max_poll_records": 500,
        "max_poll_interval_ms": 300_000,
    }
    config.update(overrides)
    try:
        return KafkaConsumer(*topics, **config)
    except KafkaError as err:
        raise BrokerUnavailable(f"cannot create consumer for {config['bootstrap_servers']}: {err}") from err


def ensure_topics(
    settings: CommonSettings, names: Iterable[str], *, compacted: Iterable[str] = (), timeout_s: float = 60.0
) -> None:
    """Create missing topics (idempotent), retrying while the broker starts."""
    compacted = set(compacted)
    wanted = list(dict.fromkeys(names))
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(bootstrap_servers=_servers(settings), client_id="akhbar-admin")
        except KafkaError as err:
            last_error = err
            time.sleep(1.0)
            continue
        try:
            existing = set(admin.list_topics())
            missing = [
                NewTopic(
                    name=name,
                    num_partitions=settings.topic_partitions,
                    replication_factor=settings.topic_replication,
                    topic_configs={"cleanup.policy": "compact"} if name in compacted else {},
                )
                for name in wanted
                if name not in existing
            ]
            if missing:
                try:
                    admin.create_topics(missing, timeout_ms=30_000)
                    log.info("created topics", extra={"topics": [t.name for t in missing]})
                except TopicAlreadyExistsError:
                    pass
            return
        except KafkaError as err:
            last_error = err
            time.sleep(1.0)
        finally:
            admin.close()
    raise BrokerUnavailable(f"could not create topics {wanted}: {last_error}")


class DeadLetterPublisher:
    """Publishes DLQ envelopes synchronously: a message is only skipped once its letter is durable."""

    def __init__(self, producer: KafkaProducer, topic: str, timeout_s: float = 30.0) -> None:
        self._producer = producer
        self._topic = topic
        self._timeout_s = timeout_s

    @property
    def topic(self) -> str:
        return self._topic

    def publish(self, letter: DeadLetter) -> None:
        key = (letter.original_key or letter.url or "").encode("utf-8") or None
        try:
            self._producer.send(self._topic, key=key, value=encode(letter)).get(timeout=self._timeout_s)
        except KafkaError as err:
            raise BrokerUnavailable(f"dead-letter publish to {self._topic} failed: {err}") from err
        log.warning(
            "dead-lettered",
            extra={
                "dlq": self._topic,
                "stage": letter.stage.value,
                "error_class": letter.error_class,
                "reason": letter.reason[:300],
                "topic": letter.topic,
                "partition": letter.partition,
                "offset": letter.offset,
                "url": letter.url,
            },
        )
