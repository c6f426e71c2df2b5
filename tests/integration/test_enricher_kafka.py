"""The enricher worker process against the real broker.

Every kind of raw message ends enriched or dead-lettered with its reason; /metrics,
/livez and /readyz answer; SIGTERM exits promptly with code 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from kafka import KafkaConsumer

from akhbar.kafka import ensure_topics, make_producer
from akhbar.messages import DeadLetter, EnrichedArticle, decode, encode
from akhbar.settings import CommonSettings

from ..unit.test_enricher_agent import raw_article

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[2]


def read_all(servers: str, topic: str, want: int, timeout_s: float = 120) -> list[tuple[bytes | None, bytes]]:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=servers, auto_offset_reset="earliest", consumer_timeout_ms=1000
    )
    got: list[tuple[bytes | None, bytes]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(got) < want and time.monotonic() < deadline:
            got.extend((m.key, m.value) for m in consumer)
    finally:
        consumer.close()
    return got


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8")


def test_worker_enriches_or_dead_letters_every_kind_of_message(
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
    valid = encode(raw)
    wrong_version = json.loads(valid)
    wrong_version["schema_version"] = 9
    huge = raw.model_copy(update={"body": "كلمة " * 600_000})  # 6 MB of JSON, gzip makes it small
    poison: list[tuple[bytes | None, bytes | None, str]] = [
        (b"bad-json", "ليس JSON".encode(), "RawArticle invalid at <root>: Invalid JSON"),
        (b"wrong-schema", b'{"id": "x", "title": 3}', "RawArticle invalid at"),
        (b"wrong-version", json.dumps(wrong_version).encode(), "RawArticle invalid at schema_version"),
        (b"empty", b"", "RawArticle invalid at <root>: Invalid JSON: EOF"),
        (b"tombstone", None, "empty message value (tombstone)"),
        (b"bad-utf8", b'{"id": "\xff\xfe"}', "RawArticle invalid at"),
        (b"oversized", encode(huge), "exceeds AKHBAR_MAX_MESSAGE_BYTES=1048576"),
    ]
    producer = make_producer(settings, client_id="test", max_request_size=16 * 1024 * 1024)
    for key, value, _ in poison:
        producer.send(settings.topic_raw, key=key, value=value)
    producer.send(settings.topic_raw, key=None, value=valid)  # a valid article without a key
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
    base = f"http://127.0.0.1:{free_port}"
    try:
        enriched = read_all(kafka_bootstrap, settings.topic_enriched, 1)
        dead = read_all(kafka_bootstrap, settings.topic_dlq_enricher, len(poison))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and get(f"{base}/readyz")[0] != 200:
            time.sleep(0.5)
        ready = get(f"{base}/readyz")
        live = get(f"{base}/livez")
        metrics = get(f"{base}/metrics")
    finally:
        worker.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        out, _ = worker.communicate(timeout=60)
        shutdown_s = time.monotonic() - stopped
    log = out.decode("utf-8", "replace")[-3000:]
    assert len(enriched) == 1, log
    key, value = enriched[0]
    doc = decode(EnrichedArticle, value)
    assert (key, doc.id, doc.language.code, doc.topics[0].code) == (raw.id.encode(), raw.id, "ar", "politics")
    letters = {letter.original_key: letter for letter in (decode(DeadLetter, v) for _, v in dead)}
    assert sorted(letters) == sorted(k.decode() for k, _, _ in poison), log
    for k, value, reason in poison:
        letter = letters[k.decode()]
        assert reason in letter.reason, [(x.original_key, x.reason) for x in letters.values()]
        assert letter.error_class == "InvalidMessage"
        assert letter.topic == settings.topic_raw and letter.offset is not None
        assert letter.original_size == len(value or b"")
    big = letters["oversized"]
    assert big.original_truncated is True and len(big.original()) == 64 * 1024
    assert big.original() == encode(huge)[: 64 * 1024]
    assert letters["bad-json"].original() == "ليس JSON".encode()
    assert ready[0] == 200, ready
    assert json.loads(ready[1])["assigned"], ready
    assert live[0] == 200, live
    assert metrics[0] == 200, metrics
    assert 'akhbar_enricher_articles_total{outcome="invalid"} 6.0' in metrics[1]
    assert 'akhbar_enricher_articles_total{outcome="oversized"} 1.0' in metrics[1]
    assert 'akhbar_enricher_articles_total{outcome="enriched"} 1.0' in metrics[1]
    assert "akhbar_consumer_lag{" in metrics[1]
    assert worker.returncode == 0, log
    assert shutdown_s < 15, f"SIGTERM took {shutdown_s:.1f} s"


def test_with_fausts_own_web_server_the_same_endpoints_answer(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path, python: str, free_port: int
) -> None:
    """`--with-web` (or faust's own CLI): faust's web server answers /readyz and /metrics itself."""
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "AKHBAR_TOPIC_RAW": f"{unique_name}.raw",
        "AKHBAR_TOPIC_ENRICHED": f"{unique_name}.enriched",
        "AKHBAR_TOPIC_DLQ_ENRICHER": f"{unique_name}.dlq",
        "AKHBAR_APP_ID": f"{unique_name}-enricher",
        "AKHBAR_DATA_DIR": str(tmp_path / "faust"),
    }
    cmd = [
        python,
        "-m",
        "enricher",
        "worker",
        "--with-web",
        "--loglevel",
        "warn",
        "--web-port",
        str(free_port),
    ]
    worker = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{free_port}"
    try:
        deadline = time.monotonic() + 90
        ready: tuple[int, str] = (0, "")
        while time.monotonic() < deadline and worker.poll() is None:
            try:
                ready = get(f"{base}/readyz")
            except OSError:
                ready = (0, "")
            if ready[0] == 200:
                break
            time.sleep(0.5)
        metrics = get(f"{base}/metrics")
        live = get(f"{base}/livez")
    finally:
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=60)
    log = out.decode("utf-8", "replace")[-3000:]
    assert ready[0] == 200 and json.loads(ready[1])["service"] == "enricher", log
    assert live[0] == 200, log
    assert metrics[0] == 200 and "akhbar_ready" in metrics[1], log
    assert worker.returncode == 0, log
