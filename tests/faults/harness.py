"""One fault case: a stream site, the pipeline, the fault, then the audit and the report row."""

from __future__ import annotations

import contextlib
import os
import platform
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from kafka.admin import KafkaAdminClient

from .audit import Audit, Expect, dead_letters, end_offsets_total, es_count, es_docs, es_ids, url_id
from .procs import Names, Pipeline, WaitTimeout
from .site import StreamSite

# Sizes: CI by default, `make faults N=2000` for the full-size table.
N = int(os.environ.get("FAULTS_N", "200"))
RATE = float(os.environ.get("FAULTS_RATE", str(max(10.0, N / 100))))
FULL = N >= 1000
ES_DOWN_S = float(os.environ.get("FAULTS_ES_DOWN_S", "60" if FULL else "15"))
ES_MODE = os.environ.get("FAULTS_ES_MODE", "down" if FULL else "stop")  # see test_outages
BROKER_DOWN_S = float(os.environ.get("FAULTS_BROKER_DOWN_S", "20" if FULL else "8"))
RECOVERY_MAX_S = 15.0
SHUTDOWN_MAX_S = 10.0
POLL_S = 5.0  # the sources' poll interval (the minimum the sources file allows)


@dataclass
class Row:
    case: str
    articles_in: int = 0
    indexed: int = 0
    lost: int = 0
    duplicated: int = 0
    dead_lettered: dict[str, int] = field(default_factory=dict)
    recovery_s: list[float] = field(default_factory=list)
    shutdown_s: dict[str, float] = field(default_factory=dict)
    outcome: str = "not run"
    note: str = ""
    store_bytes_per_doc: int | None = None  # primaries' store / documents, for the runbook's sizing


def stream_source(site: StreamSite, name: str = "stream", path: str = "/feed.rss") -> str:
    return (
        f"  - name: {name}\n    kind: feed\n    urls: ['{site.base}{path}']\n"
        f"    allow_private_addresses: true\n    poll_interval_s: {POLL_S}\n    rate_limit_per_s: 1000\n"
    )


def article_source(site: StreamSite, name: str, path: str) -> str:
    return (
        f"  - name: {name}\n    kind: article\n    urls: ['{site.base}{path}']\n"
        f"    allow_private_addresses: true\n    poll_interval_s: {POLL_S}\n    rate_limit_per_s: 1000\n"
    )


class CaseRun:
    """Build with the fixtures' stack and clients; ``finish()`` audits and fills the row."""

    def __init__(
        self,
        row: Row,
        names: Names,
        *,
        kafka: str,
        es_url: str,
        es: Elasticsearch,
        work: Path,
        n: int = N,
        rate: float = RATE,
        extra_sources: Callable[[StreamSite], str] | None = None,
        extra_env: dict[str, str] | None = None,
        sources: Callable[[StreamSite], str] | None = None,
        replicas: Mapping[str, int] | None = None,
        hub: bool = False,
    ) -> None:
        self.row, self.names, self.kafka, self.es = row, names, kafka, es
        # The feed keeps every article of the run (like a day's news sitemap). The broker case shrinks
        # ``site.window`` at the kill to less than the outage: items leave the feed while the broker
        # is down, and only the fetcher's outbox keeps them (D7).
        seed = zlib.crc32(names.prefix.encode()) % 10_000
        self.site = StreamSite(n, rate, seed=seed, window=max(500, n), hub=hub).start()
        # ``sources`` replaces the one stream source (tests/scale: a feed per source and fetcher shard)
        yaml = (
            "sources:\n"
            + (sources(self.site) if sources else stream_source(self.site))
            + (extra_sources(self.site) if extra_sources else "")
        )
        self.pipeline = Pipeline(
            names,
            kafka=kafka,
            es_url=es_url,
            work=work,
            sources_yaml=yaml,
            extra_env=extra_env,
            replicas=replicas,
        )
        self.either: dict[str, str] = {}
        self.expected_letters: list[Expect] = []
        self.extra_ids: set[str] = set()  # valid inputs besides the stream that must end indexed

    # -- progress -----------------------------------------------------------------------
    @property
    def alias(self) -> str:
        return self.names.prefix

    def count(self) -> int:
        return es_count(self.es, self.alias)

    def offered_ids(self) -> set[str]:
        return {url_id(self.site.base + p) for p in self.site.offered_paths()} | self.extra_ids

    def begin(self, *services: str, ready: bool = True) -> None:
        """Start the stream and the services (all by default); wait until they are ready.

        The stream starts first: an empty feed would be dead-lettered by the fetcher ("not a feed").
        """
        self.site.begin()
        self.pipeline.start(*services)
        if ready:
            self.pipeline.wait_ready(*services)

    def wait_released(self, fraction: float) -> None:
        target = max(1, int(self.site.n * fraction))
        self.pipeline.wait(
            lambda: self.site.released() >= target, self.site.n / self.site.rate + 30, "releases"
        )

    def wait_indexed(self, at_least: int, timeout_s: float = 120.0) -> None:
        self.pipeline.wait(lambda: self.count() >= at_least, timeout_s, f"{at_least} indexed documents")

    def recovery(self, fault_end: float, measure: str = "indexed", timeout_s: float = 120.0) -> float:
        """Seconds from ``fault_end`` (monotonic) until the stage progresses again.

        "indexed": the document count grows; "enriched": the enriched topic's end offsets grow.
        """
        if measure == "indexed":
            probe: Callable[[], int] = self.count
        else:
            probe = lambda: end_offsets_total(self.kafka, self.names.enriched)  # noqa: E731
        base = probe()
        deadline = fault_end + timeout_s
        while time.monotonic() < deadline:
            now = probe()
            if now > base >= 0 or (base < 0 <= now and now > 0):
                seconds = time.monotonic() - fault_end
                self.row.recovery_s.append(round(seconds, 1))
                return seconds
            if base < 0:
                base = now
            self.pipeline.check_alive(("fetcher",))
            time.sleep(0.2)
        raise AssertionError(f"no progress ({measure}) within {timeout_s:.0f} s of the fault's end")

    # -- the audit ----------------------------------------------------------------------
    def _complete(self) -> bool:
        offered = self.offered_ids()
        if not self.site.done_releasing() or len(es_ids(self.es, self.alias, offered)) < len(offered):
            return False
        if not self.expected_letters and not self.either:
            return True
        letters = dead_letters(self.kafka, self.names.dlqs)
        audit = Audit(offered, [], letters, dict(self.either), list(self.expected_letters))
        either_done = len(es_ids(self.es, self.alias, self.either.values())) + sum(
            1 for o in audit.either_outcomes().values() if o == "dead-lettered"
        )
        return audit.letters_complete() and either_done >= len(self.either)

    def finish(self, timeout_s: float | None = None, shutdown: bool = True) -> Audit:
        """Wait until every offered id is indexed (or the timeout), audit, check readiness, stop."""
        timeout = timeout_s or (self.site.n / self.site.rate + 150)
        with contextlib.suppress(WaitTimeout):  # the audit below says what is missing
            self.pipeline.wait(self._complete, timeout, "every offered article indexed")
        time.sleep(2.0)  # let late duplicates and dead letters land before counting
        not_ready = self.pipeline.not_ready()
        audit = Audit(
            offered=self.offered_ids(),
            docs=es_docs(self.es, self.alias),
            letters=dead_letters(self.kafka, self.names.dlqs),
            either=dict(self.either),
            expected_letters=list(self.expected_letters),
        )
        self.fill(audit)
        if shutdown:
            for name, (code, seconds) in self.pipeline.stop().items():
                self.row.shutdown_s.setdefault(name, round(seconds, 1))
                assert code == 0, f"{name} exited {code} on SIGTERM after {seconds:.1f} s"
        problems = audit.problems()
        if not_ready:
            problems.append(f"not ready at the end: {not_ready}")
        assert not problems, "; ".join(problems)
        return audit

    def fill(self, audit: Audit) -> None:
        self.row.articles_in = len(audit.offered) + len(audit.either) + len(audit.expected_letters)
        self.row.indexed = len(audit.indexed)
        self.row.lost = len(audit.lost)
        self.row.duplicated = audit.duplicated
        self.row.dead_lettered = dict(sorted(audit.by_reason().items()))
        with contextlib.suppress(Exception):  # a figure for sizing, never a reason to fail a case
            stats = self.es.indices.stats(index=self.alias, metric=["store", "docs"]).body["_all"][
                "primaries"
            ]
            docs = int(stats["docs"]["count"])
            if docs:
                self.row.store_bytes_per_doc = round(int(stats["store"]["size_in_bytes"]) / docs)

    def close(self) -> None:
        self.pipeline.stop()
        self.site.stop()
        cleanup(self.es, self.kafka, self.names)


def cleanup(es: Elasticsearch, kafka: str, names: Names) -> None:
    """Drop the case's indices, templates and topics (like tests/integration/conftest.py)."""
    prefix = names.prefix
    try:
        for index in es.indices.get(index=f"{prefix}-v*"):
            es.indices.delete(index=index)
        quiet = es.options(ignore_status=404)
        quiet.indices.delete(index=f"{prefix}-stories")
        quiet.indices.delete_index_template(name=prefix)
        for component in ("settings", "mappings"):
            quiet.cluster.delete_component_template(name=f"{prefix}-{component}")
    except Exception as err:  # pragma: no cover - reported, never hides the case's own result
        print(f"cleanup of {prefix} in Elasticsearch failed: {err}")
    try:
        admin = KafkaAdminClient(bootstrap_servers=kafka, client_id="faults-cleanup")
        try:
            existing = set(admin.list_topics())
            doomed = [t for t in names.topics if t in existing]
            if doomed:
                admin.delete_topics(doomed, timeout_ms=30_000)
        finally:
            admin.close()
    except Exception as err:  # pragma: no cover
        print(f"cleanup of {prefix} topics failed: {err}")


def machine() -> str:
    """The machine a results table was measured on (cores, CPU, Python)."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores (nproc), {model}, Python {platform.python_version()}"


def summary(row: Row) -> dict[str, Any]:
    return {k: v for k, v in row.__dict__.items()}
