"""End-to-end freshness: an article's first appearance in a feed → searchable, at offered loads.

The fault suite's pieces run the pipeline (tests/faults: ``Pipeline`` starts the fetcher, the
enricher and the indexer as real processes; ``StreamSite`` serves the offline site's feed and
pages from the fixtures' story generator, texts far apart for the near-duplicate check). Here the
site releases articles in *phases* started on demand (a rate for a number of articles), so one
pipeline serves every offered load in turn, with a drain in between.

Two threads watch from this process, never from inside a service:

- the probe searches Elasticsearch (a ``search`` with an ``ids`` query: visible only after a
  refresh, as a user would see it) every ``PROBE_PERIOD_S`` for the released articles not yet
  seen, and records when each became searchable, with the document's ``fetched_at``;
- the sampler records, every second, released and searchable counts, the raw and enriched
  topics' end offsets, both consumer groups' committed offsets (lag), and each service's RSS
  and CPU time (``/proc/<pid>``), plus the CPU time of Kafka and Elasticsearch.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient

from indexer.settings import IndexerSettings
from tests.faults.audit import read_topic_to_end, url_id
from tests.faults.harness import POLL_S as POLL_S  # 5 s: the least a sources file allows
from tests.faults.harness import stream_source
from tests.faults.procs import Names, Pipeline, free_port
from tests.faults.site import StreamSite

from . import stats

PROBE_PERIOD_S = 0.2
SAMPLE_PERIOD_S = 1.0
SOURCES = 4  # feeds /feed/<k>-of-4.rss, one source each, polled side by side like separate sites
CLK_TCK = os.sysconf("SC_CLK_TCK")
SPANS = ("feed→fetched", "fetched→raw", "raw→enriched", "enriched→searchable")


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a live process in MB; zeros when it is gone."""
    rss = hwm = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss, hwm


@dataclass
class Phase:
    label: str
    first: int  # index of its first article
    count: int
    rate: float
    start: float = 0.0  # wall time of its first release

    def release_time(self, i: int) -> float:
        return self.start + (i - self.first) / self.rate

    def released(self, now: float) -> int:
        if now < self.start:
            return 0
        return min(self.count, int((now - self.start) * self.rate) + 1)

    @property
    def release_end(self) -> float:
        return self.release_time(self.first + self.count - 1)


class PhasedSite(StreamSite):
    """The fault suite's stream site, releasing articles phase by phase instead of at one rate.

    Each feed lists about four poll intervals' worth of its newest articles (at least 30), as a
    real feed lists its latest items, not the day's: the fetcher parses every item of every feed
    at every poll, so a feed padded with thousands of old items would bill the fetcher for the
    site's choice (a 500-item feed costs it ~0.1 s of CPU per poll on this machine).
    """

    def __init__(self, *, seed: int, feeds: int, hub: bool = True) -> None:
        super().__init__(n=0, rate_per_s=1.0, seed=seed, window=30 * feeds, hub=hub)
        self.feeds = feeds
        self.phases: list[Phase] = []
        self.page_seconds: list[float] = []  # the site's own time to answer each page (server side)

    def _article(self, h: Any, i: int) -> None:
        started = time.perf_counter()
        super()._article(h, i)
        self.page_seconds.append(time.perf_counter() - started)

    def start_phase(self, label: str, rate: float, count: int) -> Phase:
        first = sum(p.count for p in self.phases)
        phase = Phase(label, first, count, rate, start=time.time())
        per_feed = max(30, math.ceil(rate / self.feeds * POLL_S * 4))
        self.window = max(self.window, per_feed * self.feeds)  # never drops an earlier load's items
        self.phases.append(phase)
        self.t0 = self.t0 or phase.start
        self.n = first + count
        return phase

    def released(self) -> int:
        now = time.time()
        return sum(p.released(now) for p in list(self.phases))

    def release_time(self, i: int) -> float:
        for p in self.phases:
            if p.first <= i < p.first + p.count:
                return p.release_time(i)
        return time.time()


class Probe(threading.Thread):
    """Searches Elasticsearch for the released articles not yet seen; records when each appeared."""

    def __init__(self, es: Elasticsearch, alias: str, site: PhasedSite) -> None:
        super().__init__(name="bench-probe", daemon=True)
        self.es, self.alias, self.site = es, alias, site
        self.visible_at: dict[int, float] = {}
        self.fetched_at: dict[int, float] = {}
        self._ids: dict[str, int] = {}
        self._pending: set[int] = set()
        self._released = 0
        self._halt = threading.Event()
        self.errors = 0

    def run(self) -> None:
        while not self._halt.wait(PROBE_PERIOD_S):
            now_released = self.site.released()
            for i in range(self._released, now_released):
                self._ids[url_id(self.site.base + self.site.article_path(i))] = i
                self._pending.add(i)
            self._released = now_released
            if not self._pending:
                continue
            oldest = sorted(self._pending)[:2000]
            ids = [url_id(self.site.base + self.site.article_path(i)) for i in oldest]
            try:
                res = self.es.search(
                    index=self.alias, query={"ids": {"values": ids}}, size=len(ids), source=["fetched_at"]
                )
            except NotFoundError:
                continue
            except Exception:  # a slow or busy node: try again next period, count it
                self.errors += 1
                continue
            seen = time.time()
            for hit in res["hits"]["hits"]:
                i = self._ids[hit["_id"]]
                if i in self._pending:
                    self._pending.discard(i)
                    self.visible_at[i] = seen
                    fetched = (hit.get("_source") or {}).get("fetched_at")
                    if fetched:
                        self.fetched_at[i] = datetime.fromisoformat(fetched).timestamp()

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)


@dataclass
class Sample:
    t: float  # wall time
    released: int
    visible: int
    raw_end: int
    enriched_end: int
    enricher_lag: int
    indexer_lag: int
    rss_mb: dict[str, float]
    cpu_s: dict[str, float]


class Sampler(threading.Thread):
    def __init__(
        self, kafka: str, names: Names, site: PhasedSite, probe: Probe, pids: dict[str, int]
    ) -> None:
        super().__init__(name="bench-sampler", daemon=True)
        self.kafka, self.names, self.site, self.probe, self.pids = kafka, names, site, probe, pids
        self.samples: list[Sample] = []
        self.peak_mb: dict[str, float] = {}
        self._halt = threading.Event()
        self._lock = threading.Lock()  # a KafkaConsumer is not thread-safe: one reading at a time
        self._consumer = KafkaConsumer(bootstrap_servers=kafka, request_timeout_ms=5000)
        self._admin = KafkaAdminClient(bootstrap_servers=kafka, client_id="bench-sampler")
        self.groups = {names.raw: f"{names.prefix}-enricher", names.enriched: f"{names.prefix}-indexer"}

    def _ends(self, topic: str) -> dict[TopicPartition, int]:
        parts = self._consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        return dict(self._consumer.end_offsets(tps)) if tps else {}

    def _lags(self, ends: dict[str, dict[TopicPartition, int]]) -> dict[str, int]:
        """Consumer lag (end offsets minus committed) of each topic's group; -1 when unknown."""
        try:
            committed = self._admin.list_group_offsets(list(self.groups.values()))
        except Exception:
            return dict.fromkeys(ends, -1)
        out = {}
        for topic, group in self.groups.items():
            offsets = committed.get(group, {})
            out[topic] = sum(
                max(0, end - (offsets[tp].offset if tp in offsets else 0)) for tp, end in ends[topic].items()
            )
        return out

    def take(self) -> Sample:
        with self._lock:
            return self._take()

    def _take(self) -> Sample:
        raw, enriched = self._ends(self.names.raw), self._ends(self.names.enriched)
        lags = self._lags({self.names.raw: raw, self.names.enriched: enriched})
        rss: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for name, pid in self.pids.items():
            rss[name], hwm = proc_memory_mb(pid)
            cpu[name] = proc_cpu_s(pid)
            self.peak_mb[name] = max(self.peak_mb.get(name, 0.0), hwm)
        return Sample(
            t=time.time(),
            released=self.site.released(),
            visible=len(self.probe.visible_at),
            raw_end=sum(raw.values()),
            enriched_end=sum(enriched.values()),
            enricher_lag=lags[self.names.raw],
            indexer_lag=lags[self.names.enriched],
            rss_mb=rss,
            cpu_s=cpu,
        )

    def run(self) -> None:
        while not self._halt.is_set():
            started = time.monotonic()
            with contextlib.suppress(Exception):  # the broker is busy: a gap in the series, not a failure
                self.samples.append(self.take())
            self._halt.wait(max(0.0, SAMPLE_PERIOD_S - (time.monotonic() - started)))

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=15)
        self._consumer.close()
        self._admin.close()


@dataclass
class PhaseResult:
    label: str
    rate: float
    count: int
    start: float
    release_end: float
    drained: float  # wall time the last article became searchable (or the drain timed out)
    delivery: str  # "push": the site's WebSub hub pushes each release; "poll": the fetcher must poll
    freshness: dict[str, float]  # first appearance in the feed → searchable
    after_fetch: dict[str, float]  # the page's fetch → searchable (the poll wait left out)
    missing: int
    step: dict[str, Any]
    cpu_s: dict[str, float] = field(default_factory=dict)  # CPU seconds per process over the phase
    latencies: list[float] = field(default_factory=list)
    after_fetch_latencies: list[float] = field(default_factory=list)


class FreshnessRun:
    """One pipeline, one site; ``phase()`` offers a load and measures it; ``close()`` stops everything."""

    def __init__(
        self,
        *,
        kafka: str,
        es_url: str,
        work: Path,
        names: Names,
        extra_pids: dict[str, int],
        service_env: dict[str, str] | None = None,
    ) -> None:
        self.kafka, self.names, self.work = kafka, names, work
        self.es = Elasticsearch(es_url, request_timeout=30, retry_on_timeout=False, max_retries=0)
        # The site runs its own WebSub hub, as a publisher's CMS does: each release is pushed to the
        # fetcher's callback (D22). A phase with delivery "poll" pauses the hub, so the same run also
        # measures what polling alone gives.
        self.site = PhasedSite(seed=16, feeds=SOURCES, hub=True).start()
        websub_port = free_port()
        sources = "".join(
            stream_source(self.site, f"bench-{k}", self.site.feed_path(k, SOURCES)) for k in range(SOURCES)
        )
        # The fault suite's environment, with the indexer's own flush default back (it sets 200 ms):
        # the figures are those of the shipped settings except what one loopback host standing for
        # several sites needs: no politeness delay, no cap per poll, and each source's own 2
        # concurrent requests (AKHBAR_PER_HOST_CONCURRENCY 2 per source), see bench/results/README.md.
        self.pipeline = Pipeline(
            names,
            kafka=kafka,
            es_url=es_url,
            work=work,
            sources_yaml="sources:\n" + sources,
            extra_env={
                "AKHBAR_MAX_BATCH_TIME_MS": str(IndexerSettings.model_fields["max_batch_time_ms"].default),
                "AKHBAR_PER_HOST_CONCURRENCY": str(2 * SOURCES),
                "AKHBAR_WEBSUB_CALLBACK_URL": f"http://127.0.0.1:{websub_port}/websub",
                "AKHBAR_WEBSUB_HOST": "127.0.0.1",
                "AKHBAR_WEBSUB_PORT": str(websub_port),
                **(service_env or {}),  # BENCH_ENV: a setting tried against the shipped one
            },
        )
        self.extra_pids = extra_pids
        self.probe: Probe | None = None
        self.sampler: Sampler | None = None
        self.phases: list[PhaseResult] = []
        self.started_at = time.time()

    def start(self) -> float:
        """Start the services and wait until ready; returns the seconds that took."""
        started = time.monotonic()
        # an empty feed would be dead-lettered ("not a feed"): one warm-up article first
        self.site.start_phase("warm-up", 1.0, 1)
        self.pipeline.start()
        self.pipeline.wait_ready(timeout_s=180)
        pids = {s.name: s.proc.pid for s in self.pipeline.services.values() if s.proc is not None}
        self.probe = Probe(self.es, self.names.prefix, self.site)
        self.probe.start()
        self.pipeline.wait(lambda: 0 in self.probe.visible_at, 120, "the warm-up article searchable")  # type: ignore[union-attr]
        hub = self.site.hub
        assert hub is not None
        self.pipeline.wait(lambda: len(hub.active()) == SOURCES, 60, "the fetcher's WebSub subscriptions")
        # this process too: it serves the site and runs the probe, on the same two cores
        pids |= {**self.extra_pids, "bench (site, probe)": os.getpid()}
        self.sampler = Sampler(self.kafka, self.names, self.site, self.probe, pids)
        self.sampler.start()
        return time.monotonic() - started

    def phase(
        self, label: str, rate: float, seconds: float, drain_s: float, *, delivery: str = "push"
    ) -> PhaseResult:
        assert self.probe is not None and self.sampler is not None and self.site.hub is not None
        self.site.hub.paused = delivery == "poll"
        try:
            return self._phase(label, rate, seconds, drain_s, delivery)
        finally:
            self.site.hub.paused = False

    def _phase(self, label: str, rate: float, seconds: float, drain_s: float, delivery: str) -> PhaseResult:
        assert self.probe is not None and self.sampler is not None
        cpu0 = self.sampler.take().cpu_s
        p = self.site.start_phase(label, rate, max(1, round(rate * seconds)))
        ids = range(p.first, p.first + p.count)
        time.sleep(max(0.0, p.release_end - time.time()))
        deadline = time.time() + drain_s
        while time.time() < deadline and not all(i in self.probe.visible_at for i in ids):
            self.pipeline.check_alive()
            time.sleep(0.25)
        drained = time.time()
        time.sleep(1.0)
        cpu1 = self.sampler.take().cpu_s
        lat = [self.probe.visible_at[i] - p.release_time(i) for i in ids if i in self.probe.visible_at]
        after = [
            self.probe.visible_at[i] - self.probe.fetched_at[i]
            for i in ids
            if i in self.probe.visible_at and i in self.probe.fetched_at
        ]
        span = [s for s in self.sampler.samples if p.start <= s.t <= p.release_end]
        step = stats.step_of(
            rate,
            [(s.t, s.released - s.visible) for s in span],
            [(s.t, s.visible) for s in span],
            POLL_S,
        )
        result = PhaseResult(
            label=label,
            rate=rate,
            count=p.count,
            start=p.start,
            release_end=p.release_end,
            drained=drained,
            delivery=delivery,
            freshness=stats.latency_summary(lat),
            after_fetch=stats.latency_summary(after),
            missing=p.count - len(lat),
            step={
                "backlog_growth": round(step.backlog_growth, 2),
                "tolerance": round(step.tolerance, 2),
                "throughput": round(step.throughput, 1),
                "sustained": step.sustained(),
            },
            cpu_s={k: round(cpu1.get(k, 0.0) - v, 2) for k, v in cpu0.items()},
            latencies=[round(x, 3) for x in lat],
            after_fetch_latencies=[round(x, 3) for x in after],
        )
        self.phases.append(result)
        return result

    def stage_times(self) -> dict[str, dict[str, dict[str, float]]]:
        """Where the time goes, per offered load and span, from the records' own timestamps.

        feed → fetched: the poll wait, the feed and the page fetch; fetched → raw: the publish;
        raw → enriched: the enricher's batch wait and work; enriched → searchable: the indexer's
        batch wait, the bulk and the refresh (and the probe's period).
        """
        raw_ts = {r.key: r.timestamp / 1000 for r in read_topic_to_end(self.kafka, self.names.raw, 60)}
        enr_ts = {r.key: r.timestamp / 1000 for r in read_topic_to_end(self.kafka, self.names.enriched, 60)}
        assert self.probe is not None
        out: dict[str, dict[str, dict[str, float]]] = {}
        for phase in self.phases:
            parts: dict[str, list[float]] = {span: [] for span in SPANS}
            first = next(p for p in self.site.phases if p.label == phase.label).first
            for i in range(first, first + phase.count):
                key = url_id(self.site.base + self.site.article_path(i)).encode()
                if (
                    i not in self.probe.visible_at
                    or i not in self.probe.fetched_at
                    or key not in raw_ts
                    or key not in enr_ts
                ):
                    continue
                fetched = self.probe.fetched_at[i]
                parts["feed→fetched"].append(fetched - self.site.release_time(i))
                parts["fetched→raw"].append(raw_ts[key] - fetched)
                parts["raw→enriched"].append(enr_ts[key] - raw_ts[key])
                parts["enriched→searchable"].append(self.probe.visible_at[i] - enr_ts[key])
            out[phase.label] = {k: stats.latency_summary(v) for k, v in parts.items()}
        return out

    def series(self) -> list[dict[str, Any]]:
        assert self.sampler is not None
        t0 = self.started_at
        return [{**s.__dict__, "t": round(s.t - t0, 2)} for s in self.sampler.samples]

    def stop_services(self) -> dict[str, float]:
        """Stop sampling and the services; the peak RSS (VmHWM) each reached, MB."""
        if self.probe is not None:
            self.probe.stop()
        peaks: dict[str, float] = {}
        if self.sampler is not None:
            self.sampler.take()  # a last reading of VmHWM
            peaks = dict(self.sampler.peak_mb)
            self.sampler.stop()
        self.pipeline.stop()
        return {k: round(v, 1) for k, v in peaks.items()}

    def close(self) -> None:
        """Stop whatever still runs (idempotent; each part even if another fails)."""
        try:
            for thread in (self.probe, self.sampler):
                if thread is not None and thread.is_alive():
                    with contextlib.suppress(Exception):
                        thread.stop()  # type: ignore[attr-defined]
        finally:
            try:
                self.pipeline.stop()
            finally:
                self.site.stop()
