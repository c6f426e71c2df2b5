"""Scale-out: 2 fetchers (each a stable half of the sources), 2 enrichers, 2 indexers on a 3-broker
KRaft cluster (6 partitions, RF 3, min.insync.replicas 2) and a 2-node Elasticsearch cluster (one
replica per shard); a broker is killed mid-stream and restarted. The audit: 0 lost, 0 duplicated,
every instance took part, each consumer group split its partitions between its two members.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka.admin import KafkaAdminClient

from akhbar.kafka import ensure_topics, topic_config
from akhbar.settings import CommonSettings
from fetcher.shards import shard_of

from ..harness import CaseRun, Row, stream_source
from ..procs import Names, Service
from ..site import StreamSite
from .cluster import Cluster
from .conftest import RESULTS

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch, pytest.mark.scale]

# Sized for 2 busy cores: six services take about a minute to be ready, a broker as long to restart;
# the stream (N / RATE s) must still be running when the broker dies.
N = int(os.environ.get("SCALE_N", "1200"))
RATE = float(os.environ.get("SCALE_RATE", "10"))
BROKER_DOWN_S = float(os.environ.get("SCALE_BROKER_DOWN_S", "10"))
PARTITIONS, REPLICATION, MIN_ISR, INDEX_REPLICAS = 6, 3, 2, 1
SOURCES = [f"stream-{k}" for k in range(4)]  # shard 0: stream-0, stream-1; shard 1: stream-2, stream-3
REPLICAS = {"fetcher": 2, "enricher": 2, "indexer": 2}
_SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>[-+0-9.eE]+|NaN)$")


def scale_sources(site: StreamSite) -> str:
    """One feed per source, each a quarter of the stream (articles i with i % 4 == k)."""
    return "".join(
        stream_source(site, name, site.feed_path(k, len(SOURCES))) for k, name in enumerate(SOURCES)
    )


def metric(service: Service, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` in the instance's /metrics whose labels include ``labels``."""
    code, text = service.metrics()
    assert code == 200, f"{service.name} /metrics answered {code}"
    total = 0.0
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if not m or m["name"] != name:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', m["labels"] or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            total += float(m["value"])
    return total


def assigned(service: Service) -> list[str]:
    _, body = service.readyz()
    return list(body.get("assigned", [])) if isinstance(body, dict) else []


def describe(bootstrap: str, topics: list[str]) -> dict[str, list[dict[str, Any]]]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="scale-audit")
    try:
        return {t["name"]: t["partitions"] for t in admin.describe_topics(topics)}
    finally:
        admin.close()


def fully_replicated(bootstrap: str, topics: list[str]) -> bool:
    try:
        layout = describe(bootstrap, topics)
    except Exception:
        return False
    return all(len(p["isr_nodes"]) == REPLICATION for parts in layout.values() for p in parts)


class StallWatch(threading.Thread):
    """Samples the index count: the longest time it stood still while released articles waited."""

    def __init__(self, case: CaseRun) -> None:
        super().__init__(name="stall-watch", daemon=True)
        self.case, self.longest, self._done = case, 0.0, threading.Event()

    def run(self) -> None:
        last_count, since = -1, time.monotonic()
        while not self._done.wait(0.5):
            count, now = self.case.count(), time.monotonic()
            if count != last_count or count >= self.case.site.released():
                last_count, since = count, now
            self.longest = max(self.longest, now - since)

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=10)


def test_scale_out_with_a_broker_killed(
    cluster: Cluster, es_client: Elasticsearch, names: Names, tmp_path: Path
) -> None:
    command = os.environ.get("SCALE_COMMAND") or f"make scale SCALE_N={N} SCALE_RATE={RATE:g}"
    figures: dict[str, Any] = {}
    RESULTS.update(
        command=command,
        stack=f"{cluster.dir}: Kafka {cluster.bootstrap} ({cluster.kafka_nodes} KRaft nodes), "
        f"Elasticsearch {cluster.es_url} ({cluster.es_nodes} nodes)",
        articles_in=N,
        rate=RATE,
        sources=len(SOURCES),
        figures=figures,
        instances=[],
        outcome="FAIL",
    )
    settings = CommonSettings(
        kafka_bootstrap_servers=cluster.bootstrap,
        topic_raw=names.raw,
        topic_enriched=names.enriched,
        topic_dlq_fetcher=names.dlq("fetcher"),
        topic_dlq_enricher=names.dlq("enricher"),
        topic_dlq_indexer=names.dlq("indexer"),
        topic_partitions=PARTITIONS,
        topic_replication=REPLICATION,
        topic_min_insync_replicas=MIN_ISR,
    )
    owners = {name: shard_of(name, 2) for name in SOURCES}
    assert sorted(owners.values()) == [0, 0, 1, 1], owners  # each fetcher a half
    env = {
        "AKHBAR_TOPIC_PARTITIONS": str(PARTITIONS),
        "AKHBAR_TOPIC_REPLICATION": str(REPLICATION),
        "AKHBAR_TOPIC_MIN_INSYNC_REPLICAS": str(MIN_ISR),
        "AKHBAR_INDEX_REPLICAS": str(INDEX_REPLICAS),
    }
    row = Row(case="scale_out_broker_killed")
    case = CaseRun(
        row,
        names,
        kafka=cluster.bootstrap,
        es_url=cluster.es_url,
        es=es_client,
        work=tmp_path,
        n=N,
        rate=RATE,
        sources=scale_sources,
        replicas=REPLICAS,
        extra_env=env,
    )
    started = time.monotonic()
    try:
        ensure_topics(settings, names.topics)  # before any service, so no one creates them otherwise
        deadline = time.monotonic() + 60  # metadata reaches every broker a moment after creation
        while True:
            layout = describe(cluster.bootstrap, names.topics)
            if all(len(parts) == PARTITIONS for parts in layout.values()) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        for topic, parts in layout.items():
            assert len(parts) == PARTITIONS, f"{topic}: {len(parts)} partitions"
            assert all(len(p["replica_nodes"]) == REPLICATION for p in parts), topic
            assert topic_config(settings, topic).get("min.insync.replicas") == str(MIN_ISR), topic
        figures["topics"] = (
            f"{len(layout)} topics × {PARTITIONS} partitions, replication {REPLICATION}, min.insync.replicas {MIN_ISR}"
        )
        started = time.monotonic()
        case.begin()
        figures["start to all 6 instances ready s"] = round(time.monotonic() - started, 1)
        case.wait_released(0.4)
        case.wait_indexed(20)
        assert not case.site.done_releasing(), "the stream ended before the kill: raise SCALE_N"
        # the leader of raw partition 0: its partitions need a new leader, its replicas leave the ISR
        now = describe(cluster.bootstrap, [names.raw])[names.raw]
        victim = int(next(p["leader_id"] for p in now if p["partition_index"] == 0))
        RESULTS["killed"] = f"{victim} (leader of {names.raw}[0])"
        RESULTS["released_at_kill"] = case.site.released()
        indexed_at_kill = case.count()
        stalls = StallWatch(case)
        killed = cluster.kill_broker(victim)
        stalls.start()
        time.sleep(BROKER_DOWN_S)
        figures[f"indexed in the {BROKER_DOWN_S:g} s after the kill"] = case.count() - indexed_at_kill
        case.pipeline.check_alive()
        restarted = cluster.start_brokers()
        stalls.stop()
        figures["longest stall from the kill to the broker answering again s"] = round(stalls.longest, 1)
        RESULTS["down_s"] = round(restarted - killed, 1)
        figures["indexed from the kill to the broker answering again"] = case.count() - indexed_at_kill
        if case.count() < N:  # else the two live brokers carried the whole stream
            figures["broker restart to progress s"] = round(case.recovery(restarted, "indexed"), 1)
        case.pipeline.wait(
            lambda: fully_replicated(cluster.bootstrap, names.topics), 180, "every ISR back to 3"
        )
        figures["broker restart to every ISR full again s"] = round(time.monotonic() - restarted, 1)
        audit = case.finish(shutdown=False)
        figures["stream start to all indexed s"] = round(time.monotonic() - started, 1)
        figures["offered / indexed"] = f"{len(audit.offered)} / {len(audit.indexed)}"
        figures["lost"] = len(audit.lost)
        figures["duplicated"] = audit.duplicated
        figures["dead letters"] = len(audit.letters)
        health = cluster.es_health()
        figures["Elasticsearch"] = (
            f"{health['number_of_nodes']} nodes, {health['status']}, "
            f"{health['active_shards']} active shards ({health['active_primary_shards']} primaries)"
        )
        rows = _participation(case, names, owners)
        RESULTS["instances"] = rows
        stopped = case.pipeline.stop()
        figures["SIGTERM exit codes"] = ", ".join(f"{k} {c}" for k, (c, _) in stopped.items())
        assert all(code == 0 for code, _ in stopped.values()), stopped
        assert all(r["took_part"] == "yes" for r in rows), rows
        RESULTS["outcome"] = "pass"
    except BaseException as err:
        RESULTS["note"] = f"{type(err).__name__}: {str(err)[:1500]}"
        raise
    finally:
        try:
            cluster.ensure_up()
        finally:
            case.close()


def _participation(case: CaseRun, names: Names, owners: dict[str, int]) -> list[dict[str, Any]]:
    """Per instance: what it did (its own counters) and which partitions it holds; asserts the split."""
    p = case.pipeline
    rows: list[dict[str, Any]] = []
    for k, fetcher in enumerate(p.select("fetcher")):
        published = {
            s: metric(fetcher, "akhbar_fetcher_articles_total", source=s, outcome="published") for s in owners
        }
        own = sorted(s for s, shard in owners.items() if shard == k)
        assert {s for s, n in published.items() if n > 0} == set(own), f"{fetcher.name}: {published}"
        rows.append(
            {
                "name": fetcher.name,
                "took_part": "yes" if all(published[s] > 0 for s in own) else "NO",
                "figure": f"published {int(sum(published.values()))} ({', '.join(f'{s} {int(published[s])}' for s in own)})",
                "partitions": f"sources {', '.join(own)}",
            }
        )
    for kind, topic, name, outcome in (
        ("enricher", names.raw, "akhbar_enricher_articles_total", "enriched"),
        ("indexer", names.enriched, "akhbar_indexer_documents_total", "indexed"),
    ):
        split: list[set[str]] = []
        for service in p.select(kind):
            done = metric(service, name, outcome=outcome)
            held = {x for x in assigned(service) if x.startswith(f"{topic}[")}
            split.append(held)
            rows.append(
                {
                    "name": service.name,
                    "took_part": "yes" if done > 0 and held else "NO",
                    "figure": f"{outcome} {int(done)}",
                    "partitions": ", ".join(sorted(held, key=lambda x: int(x.rsplit("[", 1)[1][:-1]))),
                }
            )
        assert len(split) == 2 and all(split), f"{kind}: partitions {split}"
        assert not split[0] & split[1], f"{kind}: a partition held twice: {split}"
        assert len(split[0] | split[1]) == PARTITIONS, f"{kind}: partitions {split}"
    return rows
