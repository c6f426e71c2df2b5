"""kafka-python at the boundary: producer/consumer factories, topic creation, DLQ publishing.

Kafka exceptions are translated here into :class:`akhbar.errors.BrokerUnavailable`
(the broker is down or slow: retry, never mark done) or :class:`MessageTooLarge`
(this message can never be sent: dead-letter it); services never catch kafka-python's
own errors. A producer that an error has poisoned (kafka-python's idempotent producer
turns fatal on, e.g., a broker-side ``MessageSizeTooLargeError`` and then fails every
later send) is replaced by :class:`ReliableProducer` with a new instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.errors import MessageSizeTooLargeError as _TooLarge
from prometheus_client import Counter

from akhbar import kafka_compat
from akhbar.errors import BrokerUnavailable, PermanentError
from akhbar.limits import kafka_limit
from akhbar.messages import DeadLetter, encode
from akhbar.settings import CommonSettings

log = logging.getLogger(__name__)
kafka_compat.apply()  # bounded cross-thread waits for kafka-python 3.0.12 (see kafka_compat)


# kafka-python backs reconnects off exponentially up to 30 s by default: after a broker restart a
# client then waited up to 30 s before trying again (the fault suite measured 28 s to resume).
_RECONNECT_BACKOFF_MAX_MS = 1000


def _servers(settings: CommonSettings) -> list[str]:
    return [s.strip() for s in settings.kafka_bootstrap_servers.split(",") if s.strip()]


PRODUCER_REBUILDS = Counter(
    "akhbar_kafka_producer_rebuilds_total",
    "Kafka producers replaced after an error left them unusable (fatal state)",
    ["client"],
)


class MessageTooLarge(PermanentError):
    """The broker or the client refuses this message for its size: dead-letter it, never retry."""


def make_producer(settings: CommonSettings, *, client_id: str, **overrides: Any) -> KafkaProducer:
    """Durable producer: acks=all + idempotence, so a retried send never duplicates in the log.

    ``max_request_size`` matches the topics' ``max.message.bytes`` (akhbar.limits).
    """
    config: dict[str, Any] = {
        "bootstrap_servers": _servers(settings),
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "compression_type": "gzip",
        "linger_ms": 20,
        "retries": 2**31 - 1,
        "delivery_timeout_ms": 120_000,
        "max_request_size": kafka_limit(settings.max_message_bytes),
        "reconnect_backoff_max_ms": _RECONNECT_BACKOFF_MAX_MS,
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
        "session_timeout_ms": settings.session_timeout_ms,
        "heartbeat_interval_ms": max(1000, settings.session_timeout_ms // 3),
        "max_partition_fetch_bytes": kafka_limit(settings.max_message_bytes),
        "metadata_max_age_ms": 10_000,  # a topic created after start is found within seconds
        "reconnect_backoff_max_ms": _RECONNECT_BACKOFF_MAX_MS,
    }
    if group_id is not None and settings.instance_id:
        config["group_instance_id"] = f"{settings.instance_id}-{client_id}"
    config.update(overrides)
    try:
        return KafkaConsumer(*topics, **config)
    except KafkaError as err:
        raise BrokerUnavailable(f"cannot create consumer for {config['bootstrap_servers']}: {err}") from err


def await_partitions(consumer: KafkaConsumer, topic: str, *, timeout_s: float = 30.0) -> int:
    """Block until the consumer's metadata lists ``topic``'s partitions; returns how many.

    Subscribe only after this: kafka-python 3.0.12 joined a group with no metadata yet for a
    topic created a moment before ("No partition metadata for topic"), got no partitions, and
    stayed a stable member without partitions (the fault suite saw it once in twelve starts).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            partitions = consumer.partitions_for_topic(topic)
        except KafkaError as err:
            partitions, error = None, err
        else:
            error = None
        if partitions:
            return len(partitions)
        if time.monotonic() >= deadline:
            raise BrokerUnavailable(f"no partition metadata for {topic} after {timeout_s:g} s: {error}")
        time.sleep(0.5)


def partition_lag(
    consumer: KafkaConsumer, settled: dict[Any, int] | None = None
) -> dict[tuple[str, int], int]:
    """Lag per assigned partition: the high watermark minus the next offset not yet settled.

    ``settled`` holds offsets the caller committed (offset + 1); otherwise the consumer's fetch
    position is used. No I/O: partitions without a known high watermark yet are left out.
    """
    lag: dict[tuple[str, int], int] = {}
    for tp in consumer.assignment():
        try:
            high = consumer.highwater(tp)
            state = consumer._subscription.assignment[tp]
            position = state.position.offset if state.position is not None else None
        except (KafkaError, AttributeError, KeyError):
            continue
        done = (settled or {}).get(tp, position)
        if high is not None and done is not None:
            lag[(tp.topic, tp.partition)] = max(0, high - done)
    return lag


SOURCE_OF_TRUTH_CONFIG = {"cleanup.policy": "compact", "retention.ms": "-1"}
"""The enriched topic's retention: the latest revision of every article, kept for good."""


def topic_config(settings: CommonSettings, topic: str) -> dict[str, str]:
    """The topic's configuration entries that differ from the broker's defaults (describe_configs)."""
    try:
        admin = KafkaAdminClient(bootstrap_servers=_servers(settings), client_id="akhbar-admin")
    except KafkaError as err:
        raise BrokerUnavailable(f"cannot reach Kafka at {_servers(settings)}: {err}") from err
    try:
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    except KafkaError as err:
        raise BrokerUnavailable(f"cannot describe topic {topic}: {err}") from err
    finally:
        admin.close()
    entries = (described or {}).get("topic", {}).get(topic, {})
    return {name: str(entry.get("value")) for name, entry in entries.items() if isinstance(entry, dict)}


def topic_durability(settings: CommonSettings) -> dict[str, str]:
    """The min.insync.replicas of a new topic, when set (else the broker's default applies)."""
    if settings.topic_min_insync_replicas is None:
        return {}
    return {"min.insync.replicas": str(settings.topic_min_insync_replicas)}


def ensure_topics(
    settings: CommonSettings, names: Iterable[str], *, compacted: Iterable[str] = (), timeout_s: float = 60.0
) -> None:
    """Create missing topics (idempotent), retrying while the broker starts.

    New topics get ``max.message.bytes`` matching the size policy (akhbar.limits). The enriched
    topic, whoever creates it (a service, the init job, a test), is compacted by article id and
    never expires (:data:`SOURCE_OF_TRUTH_CONFIG`): a reindex rebuilds every article from it (D6).
    """
    compacted = set(compacted) | {settings.topic_enriched}
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
                    topic_configs={
                        "max.message.bytes": str(kafka_limit(settings.max_message_bytes)),
                        **topic_durability(settings),
                        **(SOURCE_OF_TRUTH_CONFIG if name in compacted else {}),
                    },
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


def _poisoned(producer: KafkaProducer) -> bool:
    """True when kafka-python's producer is in a fatal state: every later send would fail."""
    manager = getattr(producer, "_transaction_manager", None)
    try:
        return bool(manager is not None and manager.has_fatal_error())
    except Exception:  # another kafka-python version: judge by the error alone
        return False


class ReliableProducer:
    """A kafka-python producer made by ``factory``, replaced by a new one when an error poisons it.

    ``send`` waits for the broker's acknowledgement and raises only our errors:
    :class:`MessageTooLarge` (permanent, this message) or :class:`BrokerUnavailable`
    (transient: nothing was acknowledged, try again later). Thread-safe.
    """

    def __init__(self, factory: Callable[[], KafkaProducer], *, client: str = "akhbar") -> None:
        self._factory = factory
        self._client = client
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()
        self.rebuilds = 0

    @classmethod
    def of(cls, producer: KafkaProducer | ReliableProducer) -> ReliableProducer:
        """Wrap a plain producer (it cannot be rebuilt: a poisoned one raises BrokerUnavailable)."""
        if isinstance(producer, ReliableProducer):
            return producer
        config = getattr(producer, "config", None) or {}
        wrapped = cls(lambda: producer, client=str(config.get("client_id", "akhbar")))
        wrapped._producer = producer
        return wrapped

    def current(self) -> KafkaProducer:
        with self._lock:
            if self._producer is None:
                self._producer = self._factory()  # raises BrokerUnavailable while the broker is down
            return self._producer

    def _after_failure(self, producer: KafkaProducer, err: BaseException) -> None:
        if not _poisoned(producer):
            return
        with self._lock:
            if self._producer is not producer:
                return  # another thread replaced it already
            self._producer = None
            self.rebuilds += 1
        PRODUCER_REBUILDS.labels(self._client).inc()
        log.error(
            "kafka producer is in a fatal state; replacing it",
            extra={"client": self._client, "error": f"{type(err).__name__}: {err}"},
        )
        threading.Thread(target=_close_quietly, args=(producer,), daemon=True).start()

    def _translate(self, producer: KafkaProducer, topic: str, err: KafkaError) -> Exception:
        self._after_failure(producer, err)
        if isinstance(err, _TooLarge) or type(err).__name__ == "RecordTooLargeError":
            return MessageTooLarge(f"{topic} refused the message for its size: {err}")
        return BrokerUnavailable(f"send to {topic} failed: {type(err).__name__}: {err}")

    def send(self, topic: str, *, key: bytes | None, value: bytes, timeout_s: float = 30.0) -> None:
        """Blocking send; returns once the broker acknowledged (acks=all)."""
        producer = self.current()
        try:
            producer.send(topic, key=key, value=value).get(timeout=timeout_s)
        except KafkaError as err:
            raise self._translate(producer, topic, err) from err

    async def asend(self, topic: str, *, key: bytes | None, value: bytes, timeout_s: float = 30.0) -> None:
        """Like :meth:`send` without holding a thread while waiting: cancellable (shutdown)."""
        loop = asyncio.get_running_loop()
        producer = await asyncio.to_thread(self.current)
        done: asyncio.Future[None] = loop.create_future()

        def settle(error: BaseException | None) -> None:
            if not done.done():
                if error is None:
                    done.set_result(None)
                else:
                    done.set_exception(error)

        def from_io_thread(error: BaseException | None) -> None:
            # the loop may have closed meanwhile (shutdown): then nobody waits any more
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, error)

        try:
            future = await asyncio.to_thread(producer.send, topic, key=key, value=value)
            future.add_callback(lambda _meta: from_io_thread(None))
            future.add_errback(from_io_thread)
            await asyncio.wait_for(done, timeout_s)
        except TimeoutError as err:
            raise BrokerUnavailable(f"send to {topic} not acknowledged within {timeout_s:g} s") from err
        except KafkaError as err:
            raise self._translate(producer, topic, err) from err

    def flush(self, timeout_s: float) -> None:
        if self._producer is not None:
            try:
                self._producer.flush(timeout=timeout_s)
            except KafkaError as err:
                log.warning("producer flush failed", extra={"error": str(err)})

    def close(self, timeout_s: float) -> None:
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            producer.close(timeout=timeout_s)


def _close_quietly(producer: KafkaProducer) -> None:
    try:
        producer.close(timeout=5)
    except Exception as err:
        log.warning("closing a poisoned producer failed", extra={"error": repr(err)})


class DeadLetterPublisher:
    """Publishes DLQ envelopes synchronously: a message is only skipped once its letter is durable.

    A letter is cut to the size policy first (``DeadLetter.bounded``): a dead-letter send never
    fails for size.
    """

    def __init__(
        self,
        producer: KafkaProducer | ReliableProducer,
        topic: str,
        timeout_s: float = 30.0,
        *,
        max_message_bytes: int = CommonSettings.model_fields["max_message_bytes"].default,
    ) -> None:
        self._producer = ReliableProducer.of(producer)
        self._topic = topic
        self._timeout_s = timeout_s
        self._max_bytes = max_message_bytes

    @property
    def topic(self) -> str:
        return self._topic

    def _prepare(self, letter: DeadLetter) -> tuple[bytes | None, bytes]:
        letter = letter.bounded(self._max_bytes)
        key = (letter.original_key or letter.url or "").encode("utf-8")[:1000] or None
        return key, encode(letter)

    def publish(self, letter: DeadLetter) -> None:
        key, value = self._prepare(letter)
        self._producer.send(self._topic, key=key, value=value, timeout_s=self._timeout_s)
        self._logged(letter)

    async def apublish(self, letter: DeadLetter) -> None:
        key, value = self._prepare(letter)
        await self._producer.asend(self._topic, key=key, value=value, timeout_s=self._timeout_s)
        self._logged(letter)

    def _logged(self, letter: DeadLetter) -> None:
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
                "original_size": letter.original_size,
            },
        )
