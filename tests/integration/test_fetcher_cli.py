"""``python -m fetcher`` as a process: once (twice, across a restart), run with /metrics, /livez, /readyz, fetch.

Real Kafka, the e2e fixture site served on loopback by akhbar.devsite.DevSite.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer

from akhbar.devsite import DevSite

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _count(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap.split(","), group_id=None, auto_offset_reset="earliest"
    )
    total, idle = 0, 0
    try:
        while idle < 4:
            batch = sum(len(r) for r in consumer.poll(timeout_ms=500).values())
            total += batch
            idle = idle + 1 if batch == 0 else 0
    finally:
        consumer.close()
    return total


def _lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def test_once_run_fetch_validate_as_processes(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path, python: str
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "AKHBAR_TOPIC_RAW": f"{unique_name}.raw",
        "AKHBAR_TOPIC_DLQ_FETCHER": f"{unique_name}.dlq",
        "AKHBAR_STATE_PATH": str(tmp_path / "once.sqlite3"),
        "AKHBAR_METRICS_PORT": "0",
        "AKHBAR_POLITENESS_DELAY_S": "0",
        "AKHBAR_CONTACT": "tests@akhbar.invalid",
        "PYTHONUNBUFFERED": "1",
    }
    with DevSite(ROOT / "tests/fixtures/e2e") as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            "sources:\n  - name: cli-site\n    kind: feed\n"
            f"    urls: ['{site.base}/feed.rss']\n    allow_private_addresses: true\n"
            "    poll_interval_s: 3600\n    timezone: Asia/Amman\n",
            encoding="utf-8",
        )

        def once() -> list[dict[str, Any]]:
            done = subprocess.run(
                [python, "-m", "fetcher", "once", "--sources", str(sources)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
            )
            assert done.returncode == 0, done.stderr[-4000:]
            return _lines(done.stdout)

        first, second = once(), once()
        assert [(s["source"], s["discovered"], s["published"], s["unchanged"]) for s in first] == [
            ("cli-site", 2, 2, 0),
            ("total", 2, 2, 0),
        ]
        # A second process finds the URLs in the state file: nothing is published again.
        assert [(s["source"], s["published"], s["unchanged"]) for s in second] == [
            ("cli-site", 0, 2),
            ("total", 0, 2),
        ]
        assert _count(kafka_bootstrap, f"{unique_name}.raw") == 2

        # run: polls, serves /health and /metrics, stops cleanly on SIGTERM.
        run_env = {
            **env,
            "AKHBAR_STATE_PATH": str(tmp_path / "run.sqlite3"),
            "AKHBAR_METRICS_PORT": str(port),
        }
        proc = subprocess.Popen(
            [python, "-m", "fetcher", "run", "--sources", str(sources)],
            cwd=ROOT,
            env=run_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            health: dict[str, Any] = {}
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and health.get("totals", {}).get("published") != 2:
                assert proc.poll() is None, proc.communicate()[1][-4000:]
                try:
                    status, body = _get(f"http://127.0.0.1:{port}/health")
                    health = json.loads(body) if status == 200 else {}
                except OSError:
                    pass
                time.sleep(0.3)
            assert health["status"] == "ok" and health["sources"] == 1 and health["reasons"] == []
            assert health["totals"]["published"] == 2 and health["seconds_since_progress"] is not None
            status, body = _get(f"http://127.0.0.1:{port}/livez")
            live = json.loads(body)
            assert (status, live["status"], live["service"]) == (200, "ok", "fetcher")
            assert live["seconds_since_beat"] < 3  # beaten every second by the loop
            assert _get(f"http://127.0.0.1:{port}/readyz")[0] == 200
            status, metrics = _get(f"http://127.0.0.1:{port}/metrics")
            text = metrics.decode()
            assert status == 200
            assert 'akhbar_fetcher_articles_total{outcome="published",source="cli-site"} 2.0' in text
            assert 'akhbar_fetcher_fetched_total{role="feed",source="cli-site"} 1.0' in text
            assert 'akhbar_fetcher_fetched_total{role="page",source="cli-site"} 2.0' in text
            bytes_line = next(x for x in text.splitlines() if x.startswith("akhbar_fetcher_bytes_total "))
            assert float(bytes_line.split()[1]) > 1000
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-4000:]
        lines = _lines(out)
        assert lines[0]["source"] == "cli-site" and lines[0]["published"] == 2  # progress line per poll
        assert lines[-1]["source"] == "total" and lines[-1]["published"] == 2
        assert _count(kafka_bootstrap, f"{unique_name}.raw") == 4

        fetched = subprocess.run(
            [python, "-m", "fetcher", "fetch", f"{site.base}/sport/2026/qualifiers.html", "--allow-private"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert fetched.returncode == 0, fetched.stderr[-4000:]
        doc = json.loads(fetched.stdout)
        assert doc["title"] == "المنتخب الوطني يفوز على ضيفه بثلاثة أهداف في تصفيات كأس آسيا"
        assert doc["url"] == f"{site.base}/sport/2026/qualifiers.html" and doc["charset"] == "utf-8"

        refused = subprocess.run(
            [python, "-m", "fetcher", "fetch", f"{site.base}/sport/2026/qualifiers.html"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert refused.returncode == 1
        assert "resolves to non-public address 127.0.0.1" in refused.stderr
