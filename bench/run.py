"""`make bench`: every benchmark in one run against one local stack → bench/results/README.md + PNGs.

Run by scripts/bench.sh (which starts and stops the stack); by hand, against a running stack:

    KAFKA_BOOTSTRAP_SERVERS=... ELASTICSEARCH_URL=... .venv/bin/python -m bench.run [--quick]

1. the pipeline (three services as real processes, the offline site) at fixed offered loads,
   then, in the full run, a ramp of higher loads until the backlog grows (saturation);
2. each stage beside its limit on the bytes that run produced (bench/stages.py);
3. the results page, the plots and bench.json (bench/report.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from elasticsearch import Elasticsearch  # noqa: E402

from tests.faults.audit import read_topic_to_end  # noqa: E402
from tests.faults.harness import cleanup  # noqa: E402
from tests.faults.procs import Names  # noqa: E402
from tests.faults.stack import Stack, StackError  # noqa: E402

from . import freshness, report, stages, stats  # noqa: E402


class Plan:
    """What one run offers: (rate, seconds) per fixed load, the ramp, the stage sizes."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.loads = [(5.0, 40.0), (20.0, 40.0)] if quick else [(5.0, 60.0), (20.0, 90.0), (50.0, 60.0)]
        self.drain_s = 30.0 if quick else 60.0
        self.ramp_s = 60.0
        self.ramp_steps = 0 if quick else 3
        self.faust_n, self.faust_warmup = (750, 250) if quick else (3000, 1000)
        self.breakdown_n, self.breakdown_warmup = (300, 100) if quick else (1500, 500)
        self.indexer_docs = 800 if quick else 4000
        self.extract_total = 300 if quick else 2000
        self.store_docs = 1000 if quick else 4000

    def ramp(self, sustained_top: float, failed: float | None) -> list[float]:
        """The saturation search: rates above the highest sustained fixed load, 1.4× apart; or,
        when a fixed load was not sustained, evenly between the two (rounded to 5/s)."""
        if failed is not None:
            gap = (failed - sustained_top) / (self.ramp_steps + 1)
            rates = [round((sustained_top + gap * (k + 1)) / 5) * 5 for k in range(self.ramp_steps)]
            return sorted({float(r) for r in rates if sustained_top < r < failed})
        out, rate = [], sustained_top
        for _ in range(self.ramp_steps):
            rate = round(rate * 1.4 / 5) * 5
            out.append(float(rate))
        return out


class Progress:
    def __init__(self, total_steps: int) -> None:
        self.total, self.done, self.started = total_steps, 0, time.monotonic()

    def __call__(self, what: str) -> None:
        self.done += 1
        elapsed = int(time.monotonic() - self.started)
        print(
            f"[bench {self.done:2d}/{self.total} {elapsed // 60:02d}:{elapsed % 60:02d}] {what}", flush=True
        )


def _run(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (out.stdout + out.stderr).strip()


def machine(es: Elasticsearch) -> dict[str, Any]:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    java_bin = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"
    java = _run([java_bin if Path(java_bin).exists() else "java", "-version"])
    match = re.search(r'version "([^"]+)"', java)
    stack_dir = Path(os.environ.get("AKHBAR_STACK_DIR") or ROOT / ".stack")
    kafka = sorted(p.name.removeprefix("libs-") for p in (stack_dir / "kafka").glob("libs-*"))
    try:
        # GET / is refused on the local node (deploy/local/es.sh): the nodes info says it too
        es_version = next(iter(es.nodes.info()["nodes"].values()))["version"]
    except Exception:
        es_version = "?"
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "java": match.group(1) if match else "?",
        "kafka": kafka[-1] if kafka else "?",
        "elasticsearch": es_version,
        "load_start": [round(x, 2) for x in os.getloadavg()],
        "commit": _run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
        + (" + working tree" if _run(["git", "-C", str(ROOT), "status", "--porcelain"]) else ""),
    }


def stack_pids(kafka: str, es_url: str) -> dict[str, int]:
    """Kafka's and Elasticsearch's pids through the stack's own files (for their CPU time)."""
    try:
        stack = Stack(kafka, es_url)
        return {"kafka": stack.kafka_pid(), "elasticsearch": stack.es_pid()}
    except StackError as err:
        print(f"(no CPU figures for Kafka and Elasticsearch: {err})", flush=True)
        return {}


def phase_dict(p: freshness.PhaseResult) -> dict[str, Any]:
    return dict(p.__dict__)


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # run the finally blocks: stop the services and the site


def service_env(spec: str) -> dict[str, str]:
    """BENCH_ENV="AKHBAR_MAX_BATCH_TIME_MS=250 AKHBAR_BATCH_WITHIN_S=0.2": settings for the services."""
    out = {}
    for item in spec.split():
        key, sep, value = item.partition("=")
        if not sep or not key.startswith("AKHBAR_"):
            raise SystemExit(f"BENCH_ENV: {item!r} is not AKHBAR_NAME=value")
        out[key] = value
    return out


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short loads, small stage runs (≤ 5 min)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--command", default=None, help="the command to print as the rerun command")
    args = parser.parse_args()
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    es_url = os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200")
    plan = Plan(args.quick)
    env = service_env(os.environ.get("BENCH_ENV", ""))
    progress = Progress(len(plan.loads) + plan.ramp_steps + 11)
    started = time.monotonic()
    es = Elasticsearch(es_url, request_timeout=60)
    facts = machine(es)
    names = Names(f"bench-{uuid.uuid4().hex[:8]}")
    work = Path(os.environ.get("BENCH_WORK_DIR") or ROOT / ".bench-work") / names.prefix
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "quick": args.quick,
        "command": args.command or ("make bench QUICK=1" if args.quick else "make bench"),
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": facts,
        "settings": {"poll_interval_s": freshness.POLL_S, "service_env": env, "sources": freshness.SOURCES},
        "stages": {},
    }
    run = freshness.FreshnessRun(
        kafka=kafka,
        es_url=es_url,
        work=work,
        names=names,
        extra_pids=stack_pids(kafka, es_url),
        service_env=env,
    )
    try:
        startup = run.start()
        results["startup_s"] = round(startup, 1)
        progress(f"services ready in {startup:.0f} s (topics and index {names.prefix}); logs in {work}/logs")
        for rate, seconds in plan.loads:
            p = run.phase(f"{rate:g}/s", rate, seconds, plan.drain_s)
            progress(
                f"{p.label:>6} offered for {seconds:.0f} s: p50 {p.freshness.get('p50')} s, "
                f"p99 {p.freshness.get('p99')} s, {p.missing} not searchable, sustained {p.step['sustained']}"
            )
        # the same 20/s with the hub paused: what polling alone gives, side by side in this run
        seconds = dict(plan.loads)[20.0]
        p = run.phase("20/s polled", 20.0, seconds, plan.drain_s, delivery="poll")
        progress(
            f"20/s polled (hub paused) for {seconds:.0f} s: p50 {p.freshness.get('p50')} s, "
            f"p99 {p.freshness.get('p99')} s, {p.missing} not searchable, sustained {p.step['sustained']}"
        )
        fixed = [p for p in run.phases if p.delivery == "push"]
        top = max((p.rate for p in fixed if p.step["sustained"]), default=0.0)
        failed = min((p.rate for p in fixed if not p.step["sustained"] and p.rate > top), default=None)
        ramp = plan.ramp(top, failed) if top > 0 else []
        for rate in ramp:
            p = run.phase(f"ramp {rate:g}/s", rate, plan.ramp_s, plan.drain_s)
            progress(
                f"ramp {rate:g}/s: throughput {p.step['throughput']}/s, backlog growth "
                f"{p.step['backlog_growth']}/s, sustained {p.step['sustained']}"
            )
            if not p.step["sustained"]:
                break
        for _ in range(plan.ramp_steps - len(ramp)):
            progress("ramp step not needed")
        results["peak_rss_mb"] = run.stop_services()
        progress(f"services stopped; peak RSS MB {results['peak_rss_mb']}")
        results["stage_times"] = run.stage_times()
        results["phases"] = [phase_dict(p) for p in run.phases]
        results["series"] = run.series()
        results["t0"] = run.started_at
        results["site_page_ms"] = stats.latency_summary([x * 1000 for x in run.site.page_seconds])
        with contextlib.suppress(Exception):
            primaries = es.indices.stats(index=names.prefix, metric=["store", "docs"]).body["_all"][
                "primaries"
            ]
            results["store_bytes_per_doc"] = round(
                primaries["store"]["size_in_bytes"] / primaries["docs"]["count"]
            )
        progress("stage timestamps read back from the topics")

        raw = [(r.key, r.value) for r in read_topic_to_end(kafka, names.raw, 60)]
        enriched = [r.value for r in read_topic_to_end(kafka, names.enriched, 60)]
        results["stages"]["kafka"] = stages.kafka_limit(kafka, raw)
        progress(f"Kafka limit: {results['stages']['kafka']}")
        n = min(len(raw), plan.faust_n)
        results["stages"]["faust"] = stages.faust_limits(kafka, raw[:n], min(plan.faust_warmup, n // 3))
        progress(f"enricher / pass-through on the stream: {results['stages']['faust']['ratio']}")
        values = [v for _, v in raw][: plan.breakdown_n]
        results["stages"]["breakdown"] = stages.enricher_breakdown(
            values, min(plan.breakdown_warmup, len(values) // 3)
        )
        progress(f"enricher breakdown: {results['stages']['breakdown']['ms_per_article']}")
        results["stages"]["indexer"] = stages.indexer_limit(kafka, es_url, enriched[: plan.indexer_docs])
        progress(f"indexer / raw bulk: {results['stages']['indexer']['ratio']}")
        paths = [run.site.article_path(i) for i in range(min(50, run.site.released()))]
        results["stages"]["extract"] = stages.extract_limit(
            run.site.base, paths, run.site.seed, plan.extract_total
        )
        progress(f"extraction / trafilatura: {results['stages']['extract']['ratio_defaults']}")
        results["stages"]["store"] = stages.store_per_doc(kafka, es_url, plan.store_docs)
        progress(f"Elasticsearch store per article of real text: {results['stages']['store']}")
    finally:
        run.close()
        cleanup(es, kafka, names)
    facts["load_end"] = [round(x, 2) for x in os.getloadavg()]
    results["duration_s"] = round(time.monotonic() - started, 1)
    report.write(results, args.out)
    progress(f"wrote {args.out / 'README.md'} and {', '.join(report.PLOTS)} in {results['duration_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
