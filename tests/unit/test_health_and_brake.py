"""/readyz tells the truth; the dead-letter brake stops a stage; a poisoned producer is replaced."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from types import SimpleNamespace
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError
from kafka.structs import MemberState, TopicPartition

from akhbar.brake import DeadLetterBrake
from akhbar.errors import BrokerUnavailable
from akhbar.kafka import MessageTooLarge, ReliableProducer
from akhbar.observability import ServiceHealth, serve_observability, server_url
from indexer.pipeline import BatchIndexer
from indexer.settings import IndexerSettings


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_readiness_needs_connection_partitions_and_progress_under_lag() -> None:
    clock = Clock()
    health = ServiceHealth("indexer", consumer=True, live_after_s=30, stall_after_s=60, clock=clock)
    health.beat()
    assert health.readyz()[1]["reasons"] == ["kafka: not connected yet", "no partitions assigned"]
    health.set_connected(True)
    health.set_assignment([("t", 0), ("t", 1)])
    health.set_lag({("t", 0): 5, ("t", 1): 0})
    assert health.readyz()[0] and health.readyz()[1]["lag"] == 5
    clock.t += 61  # lag and nothing settled for 61 s
    health.beat()
    ready, body = health.readyz()
    assert not ready and body["reasons"] == ["stalled: lag 5 and nothing settled for 61 s"]
    health.progressed()
    assert health.readyz()[0]
    health.set_connected(False, "unavailable: connection refused", dependency="elasticsearch")
    assert health.readyz()[1]["reasons"] == ["elasticsearch: unavailable: connection refused"]
    health.set_connected(True, dependency="elasticsearch")
    clock.t += 31  # the loop stopped beating
    assert health.livez() == (False, {"status": "dead", "service": "indexer", "seconds_since_beat": 31.0})
    assert not health.readyz()[0]


def test_the_endpoints_answer_200_and_503_with_the_reasons() -> None:
    health = ServiceHealth("fetcher", consumer=False)
    server = serve_observability("127.0.0.1", 0, health)
    base = server_url(server)

    def get(path: str) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(base + path, timeout=5) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    try:
        health.beat()
        assert get("/livez")[0] == 200
        code, body = get("/readyz")
        assert (code, body["status"], body["reasons"]) == (503, "not_ready", ["kafka: not connected yet"])
        health.set_connected(True)
        assert get("/readyz")[0] == 200 and get("/health")[0] == 200
        with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
            text = r.read().decode()
        assert 'akhbar_ready{service="fetcher"} 1.0' in text
    finally:
        server.shutdown()


def test_the_brake_engages_past_ratio_times_window_letters_and_stays_engaged() -> None:
    brake = DeadLetterBrake("test", ratio=0.5, window=10)
    assert all(brake.allow_dead_letter() for _ in range(5))  # a burst of 5 poison messages is data
    assert not brake.allow_dead_letter() and brake.engaged
    assert brake.engaged_reason == (
        "dead-letter brake: 6 of the last 10 messages would be dead-lettered (limit 5); "
        "consuming stopped until restart"
    )
    brake.record_ok()
    assert not brake.allow_dead_letter()


def test_letters_spread_out_over_the_window_never_trip_the_brake() -> None:
    brake = DeadLetterBrake("test", ratio=0.5, window=10)
    for _ in range(100):
        assert brake.allow_dead_letter()
        brake.record_ok()
        brake.record_ok()
    assert not brake.engaged


class StandInConsumer:
    """Serves one poll of invalid messages, then nothing."""

    def __init__(self, values: list[bytes]) -> None:
        self.tp = TopicPartition("t.enriched", 0)
        self._records: Any = {
            self.tp: [SimpleNamespace(offset=i, key=b"k", value=v) for i, v in enumerate(values)]
        }
        self._coordinator = SimpleNamespace(coordinator_id=1, state=MemberState.STABLE)
        self.paused_tps: tuple[TopicPartition, ...] = ()
        self.commits: list[Any] = []
        self.polls = 0

    def poll(self, timeout_ms: int, max_records: int) -> Any:
        self.polls += 1
        records, self._records = self._records, {}
        return records

    def assignment(self) -> set[TopicPartition]:
        return {self.tp}

    def pause(self, *tps: TopicPartition) -> None:
        self.paused_tps = tps

    def commit(self, offsets: Any) -> None:
        self.commits.append(offsets)


def test_the_indexer_brake_pauses_commits_nothing_and_reports_not_ready() -> None:
    letters: list[Any] = []
    dlq = SimpleNamespace(publish=letters.append)
    consumer = StandInConsumer([b"{not json"] * 8)
    settings = IndexerSettings(dlq_brake_ratio=0.5, dlq_brake_window=10)
    health = ServiceHealth("indexer", consumer=True)
    indexer = BatchIndexer(consumer, None, dlq, settings, heartbeat=health)  # type: ignore[arg-type]
    consumer_poll = consumer.poll

    def poll(timeout_ms: int, max_records: int) -> Any:
        if consumer.polls >= 20:
            indexer.stop()
        return consumer_poll(timeout_ms, max_records)

    consumer.poll = poll  # type: ignore[method-assign]
    indexer.run()
    assert len(letters) == 5 and consumer.commits == [] and consumer.paused_tps == (consumer.tp,)
    ready, body = health.readyz()
    assert not ready and body["reasons"][-1].startswith("dead-letter brake: 6 of the last 10")


class FakeFuture:
    def __init__(self, error: Exception | None) -> None:
        self._error = error

    def get(self, timeout: float) -> None:
        if self._error is not None:
            raise self._error


class FakeProducer:
    """kafka-python's idempotent producer after a broker-side size refusal: fatal, every send fails."""

    def __init__(self, error: Exception | None = None, *, fatal: bool = False) -> None:
        self._error = error
        self._transaction_manager = SimpleNamespace(has_fatal_error=lambda: fatal)
        self.closed = False

    def send(self, topic: str, key: bytes | None, value: bytes) -> FakeFuture:
        return FakeFuture(self._error)

    def close(self, timeout: float) -> None:
        self.closed = True


def test_a_poisoned_producer_is_replaced_and_the_message_reported_too_large() -> None:
    made = [FakeProducer(MessageSizeTooLargeError("too big"), fatal=True), FakeProducer()]
    producer = ReliableProducer(lambda: made.pop(0), client="test")  # type: ignore[arg-type,return-value]
    with pytest.raises(MessageTooLarge, match="refused the message for its size"):
        producer.send("t", key=b"k", value=b"v")
    assert producer.rebuilds == 1
    producer.send("t", key=b"k", value=b"v")  # the new instance sends
    assert made == []


def test_a_timeout_is_transient_and_keeps_the_producer() -> None:
    first = FakeProducer(KafkaTimeoutError("no ack"))
    producer = ReliableProducer(lambda: first, client="test")  # type: ignore[arg-type,return-value]
    with pytest.raises(BrokerUnavailable, match="KafkaTimeoutError"):
        producer.send("t", key=None, value=b"v")
    assert producer.rebuilds == 0 and producer.current() is first


def test_instance_id_hostname_means_this_hosts_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from akhbar.settings import CommonSettings

    monkeypatch.setenv("AKHBAR_INSTANCE_ID", "hostname")
    assert CommonSettings().instance_id == socket.gethostname()
    monkeypatch.setenv("AKHBAR_INSTANCE_ID", "enricher-1")
    assert CommonSettings().instance_id == "enricher-1"
    monkeypatch.delenv("AKHBAR_INSTANCE_ID")
    assert CommonSettings().instance_id is None
