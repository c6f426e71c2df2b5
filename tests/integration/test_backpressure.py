"""Elasticsearch down → partitions paused, nothing committed; back up → resumed, all indexed once.

The outage is real: the indexer talks to the real node through a loopback TCP
relay that the test switches off (connections reset) and on again.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient

from akhbar.kafka import DeadLetterPublisher, make_consumer, make_producer
from indexer.pipeline import BatchIndexer
from indexer.settings import IndexerSettings

from .indexer_kit import article, count, produce

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]


class Relay:
    """A TCP relay on 127.0.0.1 that forwards to ``target`` only while ``up`` is set."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.up = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                client.close()  # RST: the client sees a connection error, as with a crashed node
                continue
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closing = True
        self._server.close()


def committed_total(settings: IndexerSettings) -> int:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        offsets = admin.list_group_offsets(settings.group_id).get(settings.group_id, {})
    finally:
        admin.close()
    return sum(o.offset for tp, o in offsets.items() if tp.topic == settings.topic_enriched)


def test_pauses_while_elasticsearch_is_down_and_resumes(settings: IndexerSettings, es: Elasticsearch) -> None:
    url = urlsplit(settings.elasticsearch_url)
    relay = Relay((url.hostname or "127.0.0.1", url.port or 9200))
    produce(settings, [article(n) for n in range(12)])
    flaky = settings.model_copy(update={"retry_initial_backoff_ms": 200, "retry_max_backoff_ms": 1000})
    es_via_relay = Elasticsearch(f"http://127.0.0.1:{relay.port}", request_timeout=5, max_retries=0)
    consumer = make_consumer(flaky, group_id=flaky.group_id, client_id="test-bp")
    producer = make_producer(flaky, client_id="test-bp-dlq")
    indexer = BatchIndexer(
        consumer, es_via_relay, DeadLetterPublisher(producer, flaky.topic_dlq_indexer), flaky
    )
    consumer.subscribe([flaky.topic_enriched], listener=indexer.rebalance_listener())
    runner = threading.Thread(target=indexer.run, kwargs={"max_messages": 12})
    runner.start()
    try:
        deadline = time.monotonic() + 60
        while not consumer.paused() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert consumer.paused(), "the indexer did not pause its partitions while ES was unreachable"
        time.sleep(2.0)  # several failed retries while down
        assert committed_total(flaky) == 0  # nothing committed while nothing was written
        assert count(es, flaky) == 0
        relay.up.set()  # Elasticsearch is back
        runner.join(timeout=60)
        assert not runner.is_alive()
    finally:
        indexer.stop()
        runner.join(timeout=10)
        consumer.close(autocommit=False)
        producer.close()
        relay.close()
    assert indexer.settled == 12
    assert consumer.paused() == set()
    assert count(es, flaky) == 12
    assert committed_total(flaky) == 12
