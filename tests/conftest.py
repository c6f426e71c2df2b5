"""Service fixtures: real Kafka and Elasticsearch, picked in the order the README gives.

1. ``KAFKA_BOOTSTRAP_SERVERS`` / ``ELASTICSEARCH_URL`` when set (``make test`` sets
   them after starting the local stack);
2. otherwise testcontainers with the images deploy/ pins, when a Docker engine answers;
3. otherwise the test fails under ``CI`` and is skipped, loudly, on a laptop.
Only tests that ask for these fixtures need the services.
"""

from __future__ import annotations

import os
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


def _versions() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (ROOT / "deploy" / "versions.env").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env().ping()
        return True
    except Exception:
        return False


def _missing(what: str) -> None:
    message = (
        f"{what} is not available: set it in the environment, run `make test` "
        "(starts the local stack), or provide a Docker engine"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if servers:
        host, _, port = servers.split(",")[0].rpartition(":")
        if not _reachable(host or "127.0.0.1", int(port)):
            _missing(f"Kafka at {servers}")
        yield servers
        return
    if _docker_answers():
        from .containers import ApacheKafkaContainer

        with ApacheKafkaContainer(f"apache/kafka:{_versions()['KAFKA_VERSION']}") as kafka:
            servers = kafka.get_bootstrap_server()
            os.environ["KAFKA_BOOTSTRAP_SERVERS"] = servers
            yield servers
        return
    _missing("Kafka")


@pytest.fixture(scope="session")
def es_url() -> Iterator[str]:
    url = os.environ.get("ELASTICSEARCH_URL")
    if url:
        parts = urlsplit(url)
        if not _reachable(parts.hostname or "127.0.0.1", parts.port or 9200):
            _missing(f"Elasticsearch at {url}")
        yield url
        return
    if _docker_answers():
        from testcontainers.community.elasticsearch import ElasticSearchContainer

        image = f"docker.elastic.co/elasticsearch/elasticsearch:{_versions()['ELASTICSEARCH_VERSION']}"
        with ElasticSearchContainer(image, mem_limit="2g") as es:
            url = es.get_url()
            os.environ["ELASTICSEARCH_URL"] = url
            yield url
        return
    _missing("Elasticsearch")


@pytest.fixture
def unique_name() -> str:
    """A fresh name per test for topics, groups and index prefixes (arroyo's habit)."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def free_port() -> int:
    """A loopback port free right now (faust's web server needs a real port number)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def python() -> str:
    return sys.executable
