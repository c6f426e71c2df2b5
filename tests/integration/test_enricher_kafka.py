"""The enricher worker process against the real broker: enriched out, invalid to its dead-letter topic."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from kafka import KafkaConsumer

from akhbar.kafka import ensure_topics, make_producer
from akhbar.messages import DeadLetter, EnrichedArticle, decode, encode
from akhbar.settings import CommonSettings

from ..unit.test_enricher_agent import raw_article

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[2]


def read_all(servers: str, topic: str, want: int, timeout_s: float = 120) -> list[bytes]:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=servers, auto_offset_reset="earliest", consumer_timeout_ms=1000
    )
    got: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(got) < want and time.monotonic() < deadline:
            got.extend(m.value for m in consumer)
    finally:
        consumer.close()
    return got


def test_worker_enriches_and_dead_letters(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path, python: str, free_port: int
) -> None:
    settings = CommonSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        topic_raw=f"{unique_name}.raw",
        topic_enriched=f"{unique_name}.enriched",
        topic_dlq_enricher=f"{unique_name}.dlq",
    )
    ensure_topics(settings, [settings.topic_raw, settings.topic_enriched, settings.topic_dlq_enricher])
    raw = raw_article()
    producer = make_producer(settings, client_id="test")
    producer.send(settings.topic_raw, key=raw.id.encode(), value=encode(raw))
    producer.send(settings.topic_raw, key=b"bad", value="ليس JSON".encode())
    producer.flush()
    producer.close()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "AKHBAR_TOPIC_RAW": settings.topic_raw,
        "AKHBAR_TOPIC_ENRICHED": settings.topic_enriched,
        "AKHBAR_TOPIC_DLQ_ENRICHER": settings.topic_dlq_enricher,
        "AKHBAR_APP_ID": f"{unique_name}-enricher",
        "AKHBAR_DATA_DIR": str(tmp_path / "faust"),
    }
    worker = subprocess.Popen(
        [python, "-m", "enricher", "worker", "--loglevel", "warn", "--web-port", str(free_port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        enriched = read_all(kafka_bootstrap, settings.topic_enriched, 1)
        dead = read_all(kafka_bootstrap, settings.topic_dlq_enricher, 1)
    finally:
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=60)
    assert len(enriched) == 1, out.decode("utf-8", "replace")[-3000:]
    doc = decode(EnrichedArticle, enriched[0])
    assert (doc.id, doc.language.code, doc.topics[0].code) == (raw.id, "ar", "politics")
    (letter,) = [decode(DeadLetter, v) for v in dead]
    assert (letter.error_class, letter.original_key, letter.original()) == (
        "InvalidMessage",
        "bad",
        "ليس JSON".encode(),
    )
    assert worker.returncode == 0, out.decode("utf-8", "replace")[-3000:]
