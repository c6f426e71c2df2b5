"""SIGTERM exits ``python -m fetcher run`` within its budget while a 1 byte/s page is being fetched.

A loopback server lists one page in its feed and drips that page one byte per second (the
issue's server, which held the fetcher for minutes and made SIGTERM wait over 45 s). The
fetch is in flight when SIGTERM arrives; the process must exit with code 0 within 10 s
(``shutdown_timeout_s`` is 8 s by default), having marked nothing seen and published nothing.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient

from ..drip_site import DripSite

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def drip() -> Iterator[DripSite]:
    with DripSite() as site:
        yield site


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _count(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap.split(","), group_id=None, auto_offset_reset="earliest"
    )
    try:
        return sum(len(r) for _ in range(4) for r in consumer.poll(timeout_ms=500).values())
    finally:
        consumer.close()


def test_sigterm_during_a_slow_drip_fetch_exits_within_10_s_with_code_0(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path, python: str, free_port: int, drip: DripSite
) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n  - name: drip\n    kind: feed\n"
        f"    urls: ['{drip.base}/feed.rss']\n    allow_private_addresses: true\n    poll_interval_s: 3600\n",
        encoding="utf-8",
    )
    state_path = tmp_path / "fetcher.sqlite3"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "AKHBAR_TOPIC_RAW": f"{unique_name}.raw",
        "AKHBAR_TOPIC_DLQ_FETCHER": f"{unique_name}.dlq",
        "AKHBAR_STATE_PATH": str(state_path),
        "AKHBAR_METRICS_PORT": str(free_port),
        "AKHBAR_POLITENESS_DELAY_S": "0",
        "AKHBAR_CONTACT": "tests@akhbar.invalid",
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [python, "-m", "fetcher", "run", "--sources", str(sources)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert drip.started.wait(60), "the fetcher never reached the slow page"
        time.sleep(1.5)  # a couple of bytes in: the fetch is in flight
        assert proc.poll() is None
        status, live = _get(f"http://127.0.0.1:{free_port}/livez")
        assert (status, live["status"], live["service"]) == (200, "ok", "fetcher")
        status, ready = _get(f"http://127.0.0.1:{free_port}/readyz")
        assert (status, ready["status"], ready["reasons"], ready["sources"]) == (200, "ok", [], 1)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    print(f"SIGTERM to exit: {took:.2f} s")
    assert proc.returncode == 0, err[-4000:]
    assert took < 10.0, f"exit took {took:.1f} s"
    assert "never retrieved" not in err and "Traceback" not in err, err[-4000:]  # a clean exit
    assert drip.hung_up.wait(5)  # the in-flight fetch was cancelled, its connection closed
    totals = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert totals[-1]["source"] == "total" and totals[-1]["published"] == 0
    with sqlite3.connect(state_path) as db:
        assert db.execute("SELECT count(*) FROM seen").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM rejected").fetchone() == (0,)
    assert _count(kafka_bootstrap, f"{unique_name}.raw") == 0
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap.split(","))
    try:
        admin.delete_topics([f"{unique_name}.raw", f"{unique_name}.dlq"])
    finally:
        admin.close()
