"""The official Elasticsearch client at the boundary: one factory, one health wait, error mapping.

Transport errors become :class:`akhbar.errors.SearchUnavailable`; per-document bulk
errors are data (handled by the indexer), not exceptions.
"""

from __future__ import annotations

import time

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch import ConnectionError as ESConnectionError

from akhbar.errors import SearchUnavailable
from akhbar.settings import CommonSettings

TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
"""HTTP statuses of Elasticsearch worth retrying (overload, node trouble); any other error is final."""


def make_es(settings: CommonSettings, *, request_timeout: float = 30.0) -> Elasticsearch:
    return Elasticsearch(
        settings.elasticsearch_url,
        request_timeout=request_timeout,
        retry_on_timeout=True,
        max_retries=3,
    )


def wait_for_es(es: Elasticsearch, *, timeout_s: float = 120.0) -> dict[str, str]:
    """Block until the cluster answers green/yellow; returns its name and a node's version.

    Uses the nodes API rather than ``GET /``: the minimal distribution our local
    stack runs has no ``rest-root`` module, so ``GET /`` is not served there.
    """
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            health = es.cluster.health(wait_for_status="yellow", timeout="5s")
            if health.get("status") in ("green", "yellow"):
                nodes = es.nodes.info(node_id="_local", metric="_none", filter_path="nodes.*.version")
                versions = [n["version"] for n in nodes.get("nodes", {}).values()]
                return {
                    "cluster": str(health.get("cluster_name")),
                    "version": versions[0] if versions else "?",
                }
        except (ESConnectionError, TransportError, ApiError) as err:
            last = err
        time.sleep(1.0)
    raise SearchUnavailable(f"Elasticsearch not healthy after {timeout_s:.0f}s: {last}")
