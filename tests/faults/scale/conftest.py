"""Scale-out fixtures: the multi-node stack, asked for explicitly, and the results table.

The case kills a broker of the stack it runs against, and needs a cluster (3 brokers, 2
Elasticsearch nodes), so it runs only with ``AKHBAR_SCALE=1`` (``make scale``); otherwise
tests/faults/conftest.py does not collect it, in CI neither (it does not fit CI's 8 minutes on 2
cores: see bench/results/scale.md).
``SCALE_REPORT=path`` writes the table (``make scale`` → bench/results/scale.md).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from ..harness import machine
from ..procs import Names
from ..stack import StackError
from .cluster import Cluster

RESULTS: dict[str, Any] = {}
_HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    if not os.environ.get("AKHBAR_SCALE"):
        pytest.skip("the scale-out case needs a multi-node stack it may kill a broker of: make scale")
    c = Cluster()
    if c.kafka_nodes < 3 or c.es_nodes < 2:
        pytest.fail(f"needs KAFKA_NODES>=3 and ES_NODES>=2, got {c.kafka_nodes} and {c.es_nodes}")
    try:
        c.check()
    except StackError as err:
        pytest.fail(f"the scale-out case cannot control the stack in {c.dir}: {err}")
    return c


@pytest.fixture(scope="session")
def es_client(cluster: Cluster) -> Elasticsearch:
    return Elasticsearch(cluster.es_url, request_timeout=30, retry_on_timeout=False, max_retries=0)


@pytest.fixture
def names() -> Names:
    return Names(f"scale-{uuid.uuid4().hex[:10]}")


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=_HERE
        ).stdout.strip()
    except OSError:
        return "?"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get("SCALE_REPORT")
    if not path or not RESULTS:
        return
    r = RESULTS
    lines = [
        "# Scale-out on real multi-node engines (tests/faults/scale)",
        "",
        f"Rerun: `{r['command']}`. Commit {_commit()} plus the working tree. Machine: {machine()}.",
        f"Stack: {r['stack']}.",
        "",
        f"Outcome: **{r.get('outcome', 'not run')}**. {r['articles_in']} articles offered by the offline site "
        f"at {r['rate']:g}/s through {r['sources']} feeds; broker {r.get('killed', '?')} "
        f"killed (kill -9) after {r.get('released_at_kill', '?')} releases, down {r.get('down_s', '?')} s.",
        "",
        "Figures: *ready* = from starting the six processes until every /readyz answers 200 (each "
        "consumer holding partitions). *Stall* = the longest time the index count stood still while "
        "released articles waited, from the kill until the restarted broker answered. *Restart to "
        "progress* = until the count grew again (only when articles were still missing). *ISR full* = "
        "until every partition of the five topics had its three replicas in sync again. Lost = offered "
        "ids not indexed; duplicated = documents beyond one per id or per URL.",
        "",
        "| figure | value |",
        "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in r["figures"].items()),
        "",
        "Per instance (counters from each process's own /metrics; partitions from its /health):",
        "",
        "| instance | took part | figure | partitions |",
        "| --- | --- | --- | --- |",
        *(f"| {i['name']} | {i['took_part']} | {i['figure']} | {i['partitions']} |" for i in r["instances"]),
        "",
    ]
    if r.get("note"):
        lines += ["Failures and notes:", "", r["note"], ""]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines), encoding="utf-8")
