"""The walking skeleton, for real: HTTP page → fetcher → Kafka → enricher (faust) → Kafka → indexer → ES.

The three services run as separate processes, exactly as `make run` starts them,
against the real broker and node; a loopback HTTP server serves our fixture feed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from akhbar.devsite import DevSite
from akhbar.messages import article_id

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]

ROOT = Path(__file__).resolve().parents[2]


def _wait(predicate, timeout_s: float, what: str, procs: dict[str, subprocess.Popen]) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        for name, p in procs.items():
            if p.poll() is not None and name != "fetcher":
                out = p.stdout.read().decode("utf-8", "replace") if p.stdout else ""
                raise AssertionError(
                    f"{name} exited with {p.returncode} while waiting for {what}:\n{out[-4000:]}"
                )
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def _stop(procs: dict[str, subprocess.Popen]) -> dict[str, str]:
    outputs: dict[str, str] = {}
    for p in procs.values():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for name, p in procs.items():
        try:
            out, _ = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        outputs[name] = (out or b"").decode("utf-8", "replace")
    return outputs


def start_consumers(python: str, env: dict[str, str], web_port: int) -> dict[str, subprocess.Popen]:
    """The enricher and the indexer as real processes (the fetcher runs once, before them)."""
    enricher = [python, "-m", "enricher", "worker", "--loglevel", "warn"]
    commands = {
        "enricher": [*enricher, "--web-port", str(web_port), "--web-host", "127.0.0.1"],
        "indexer": [python, "-m", "indexer", "run"],
    }
    return {
        name: subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for name, cmd in commands.items()
    }


def pipeline_env(kafka_bootstrap: str, es_url: str, unique_name: str, tmp_path: Path) -> dict[str, str]:
    """The three services' environment for one test: its own topics, index prefix, groups and state."""
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "ELASTICSEARCH_URL": es_url,
        "AKHBAR_TOPIC_RAW": f"{unique_name}.raw",
        "AKHBAR_TOPIC_ENRICHED": f"{unique_name}.enriched",
        "AKHBAR_TOPIC_DLQ_FETCHER": f"{unique_name}.dlq.fetcher",
        "AKHBAR_TOPIC_DLQ_ENRICHER": f"{unique_name}.dlq.enricher",
        "AKHBAR_TOPIC_DLQ_INDEXER": f"{unique_name}.dlq.indexer",
        "AKHBAR_INDEX_PREFIX": unique_name,
        "AKHBAR_GROUP_ID": f"{unique_name}-indexer",
        "AKHBAR_APP_ID": f"{unique_name}-enricher",
        "AKHBAR_DATA_DIR": str(tmp_path / "faust"),
        "AKHBAR_STATE_PATH": str(tmp_path / "fetcher.sqlite3"),
        "AKHBAR_METRICS_PORT": "0",
        "AKHBAR_MAX_BATCH_TIME_MS": "200",
        "PYTHONUNBUFFERED": "1",
    }


def test_two_arabic_articles_end_to_end(
    kafka_bootstrap: str, es_url: str, unique_name: str, tmp_path: Path, python: str, free_port: int
) -> None:
    env = pipeline_env(kafka_bootstrap, es_url, unique_name, tmp_path)
    es = Elasticsearch(es_url, request_timeout=30)
    with DevSite(ROOT / "tests/fixtures/e2e") as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            "sources:\n  - name: e2e-site\n    kind: feed\n"
            f"    urls: ['{site.base}/feed.rss']\n    allow_private_addresses: true\n",
            encoding="utf-8",
        )
        fetch = subprocess.run(
            [python, "-m", "fetcher", "--sources", str(sources), "once"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=180,
        )
        assert fetch.returncode == 0, fetch.stderr.decode()[-4000:]
        assert '"published": 2' in fetch.stdout.decode(), fetch.stdout.decode()

        procs = start_consumers(python, env, free_port)
        try:

            def indexed() -> bool:
                if not es.indices.exists_alias(name=unique_name):
                    return False
                es.indices.refresh(index=unique_name)
                return int(es.count(index=unique_name)["count"]) >= 2

            _wait(indexed, 240, "two indexed documents", procs)
            # A second poll of the same feed publishes nothing new (seen URLs survive in the state file).
            again = subprocess.run(
                [python, "-m", "fetcher", "--sources", str(sources), "once"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                timeout=180,
            )
            assert again.returncode == 0, again.stderr.decode()[-4000:]
            assert '"published": 0' in again.stdout.decode()
            time.sleep(2.0)
        finally:
            outputs = _stop(procs)
    assert procs["indexer"].returncode == 0, outputs["indexer"][-4000:]

    es.indices.refresh(index=unique_name)
    hits = es.search(index=unique_name, query={"match_all": {}}, size=10)["hits"]["hits"]
    water_url = f"{site.base}/news/2026/water-talks.html"
    sport_url = f"{site.base}/sport/2026/qualifiers.html"
    assert sorted(h["_id"] for h in hits) == sorted([article_id(water_url), article_id(sport_url)])
    docs = {h["_source"]["url"]: h["_source"] for h in hits}
    water = docs[water_url]  # tracking parameters dropped by canonicalisation
    assert water["title"] == "وزارة الخارجية تستقبل وفداً أوروبياً لبحث ملف المياه"
    assert water["source"] == "e2e-site"
    assert water["language"]["code"] == "ar"
    assert water["published_at"].startswith("2026-02-04T09:30:00")
    assert "سياسة" in water["tags"]
    assert water["topics"][0]["code"] == "politics"
    assert docs[sport_url]["topics"][0]["code"] == "sports"
    assert water["body"].startswith("استقبل وزير الخارجية أحمد الصالح")

    def ids_for(text: str) -> set[str]:
        res = es.search(
            index=unique_name,
            query={
                "multi_match": {
                    "query": text,
                    "fields": ["title", "title.clitic", "body", "body.clitic"],
                    "operator": "and",
                }
            },
        )
        return {h["_id"] for h in res["hits"]["hits"]}

    water_id = article_id(water_url)
    assert ids_for("احمد") == {water_id}  # hamza dropped
    assert ids_for("الوزاره") == {water_id}  # article prefix added, ة written as ه
    assert ids_for("وزاره الخارجيه") == {water_id}
    assert ids_for("عمان") == {water_id}  # the page says بعمّان: proclitic ب and shadda
    assert ids_for("٢٠٢٦ منحه") == {water_id}  # Arabic-Indic digits match, ة↔ه
    for name in es.indices.get(index=f"{unique_name}-v*"):
        es.indices.delete(index=name)
    es.options(ignore_status=404).indices.delete(index=f"{unique_name}-stories")
    es.indices.delete_index_template(name=unique_name)
    for component in ("settings", "mappings"):
        es.cluster.delete_component_template(name=f"{unique_name}-{component}")
